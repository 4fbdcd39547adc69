/* Hardening, round two (issue 20), below the command line: the atomic writer onto devices, FIFOs,
** folders and planted links (3), checked stream writes on a full disk (9), UTF-8 repair and the
** terminal gate (10), checked number conversions and merge's outside numbers (11), the folder
** swap of --csv (13). The command-line side is tests/cli_hardening.sh. */
#define _XOPEN_SOURCE 700   /* mknod() */
#define _DEFAULT_SOURCE      /* makedev() */
#define CHECK_MAIN
#include "check.h"

#include "faultline/io.h"
#include "faultline/num.h"
#include "faultline/report.h"
#include "faultline/sweep.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define FIXTURE_NAME "hardening"
#include "fixture.h"

static char *slurp(const char *path) {
  char *t = NULL, err[256];
  size_t n;
  if (fl_read_file(path, NULL, &t, &n, err, sizeof err) != 0) return NULL;
  return t;
}

/* ---- 3: the atomic writer ---- */

TEST(write_atomic_onto_a_character_device_leaves_it_a_device) {
  const char *p = path_of("null");
  if (mknod(p, S_IFCHR | 0666, makedev(1, 3)) != 0) { note("skipped: mknod: %s", strerror(errno)); return; }
  char err[256];
  CHECK_EQ_INT(fl_write_atomic(p, "{}\n", 3, err, sizeof err), 0);
  struct stat st;
  CHECK(stat(p, &st) == 0 && S_ISCHR(st.st_mode));
  unlink(p);
}

TEST(write_atomic_into_a_fifo_writes_in_place) {
  const char *p = path_of("fifo");
  CHECK(mkfifo(p, 0600) == 0);
  int rd = open(p, O_RDONLY | O_NONBLOCK);   /* a reader, so that the writer's open does not block */
  CHECK(rd >= 0);
  char err[256], buf[16] = "";
  CHECK_EQ_INT(fl_write_atomic(p, "hello", 5, err, sizeof err), 0);
  CHECK_EQ_INT(read(rd, buf, sizeof buf - 1), 5);
  CHECK_EQ_STR(buf, "hello");
  close(rd);
  struct stat st;
  CHECK(lstat(p, &st) == 0 && S_ISFIFO(st.st_mode));
  unlink(p);
}

TEST(write_atomic_replaces_a_regular_file_whole) {
  const char *p = put("r.json", "old old old old\n");
  char path[256], err[256];
  snprintf(path, sizeof path, "%s", p);
  CHECK_EQ_INT(fl_write_atomic(path, "new\n", 4, err, sizeof err), 0);
  char *t = slurp(path);
  CHECK(t && strcmp(t, "new\n") == 0);
  free(t);
}

TEST(write_atomic_never_follows_a_planted_link_at_the_old_temporary_name) {
  /* the old writer opened "PATH.tmp.PID" with fopen: a link planted there was followed */
  char victim[256], target[256], planted[300], err[256];
  snprintf(victim, sizeof victim, "%s", put("victim.txt", "precious\n"));
  snprintf(target, sizeof target, "%s", path_of("out.json"));
  snprintf(planted, sizeof planted, "%s.tmp.%ld", target, (long)getpid());
  CHECK(symlink(victim, planted) == 0);
  CHECK_EQ_INT(fl_write_atomic(target, "{}\n", 3, err, sizeof err), 0);
  char *t = slurp(victim);
  CHECK(t && strcmp(t, "precious\n") == 0);
  free(t);
  unlink(planted);
}

TEST(write_atomic_refuses_a_folder) {
  const char *p = path_of("afolder");
  mkdir(p, 0700);
  char err[256];
  CHECK_EQ_INT(fl_write_atomic(p, "x", 1, err, sizeof err), -FL_EIO);
  struct stat st;
  CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
  rmdir(p);
}

/* ---- 9: a full disk ---- */

TEST(write_stream_reports_a_full_disk) {
  FILE *f = fopen("/dev/full", "w");
  if (!f) { note("skipped: no /dev/full"); return; }
  CHECK(fl_write_stream(f, "abc", 3) != 0);
  fclose(f);
}

/* ---- 10: UTF-8 and the terminal ---- */

TEST(utf8_repair_replaces_latin1_bytes_and_keeps_valid_text) {
  CHECK(fl_utf8_valid("caf\xc3\xa9", 5));
  CHECK(!fl_utf8_valid("caf\xe9", 4));
  CHECK(!fl_utf8_valid("\xc0\xaf", 2));          /* overlong '/' */
  CHECK(!fl_utf8_valid("\xed\xa0\x80", 3));      /* a surrogate */
  fl_text_t t = { 0 };
  fl_text_put_utf8(&t, "caf\xe9!", 5);
  CHECK_EQ_STR(t.p, "caf\xef\xbf\xbd!");
  fl_text_release(&t);
}

static char *through_gate(const char *s, bool color) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  fl_report_terminal_write(f, s, strlen(s), color);
  fclose(f);
  return buf;
}

TEST(terminal_gate_drops_escapes_but_our_colours) {
  const char *evil = "a\033]52;c;ZXZpbA==\007b\033[2Ac\r\x08\xc2\x9b" "d\033[31mred\033[0m\n";
  char *plain = through_gate(evil, false), *col = through_gate(evil, true);
  CHECK_EQ_STR(plain, "a]52;c;ZXZpbA==b[2Acd[31mred[0m\n");
  CHECK_EQ_STR(col, "a]52;c;ZXZpbA==b[2Acd\033[31mred\033[0m\n");
  free(plain);
  free(col);
}

/* ---- 11: numbers from outside ---- */

TEST(checked_conversions_refuse_what_a_cast_would_break) {
  int i = 7;
  int64_t x = 7;
  uint64_t u = 7;
  CHECK(!fl_num_to_int(2147483648.0, 1, 2147483647, &i));
  CHECK(!fl_num_to_int(1e300, 0, 10, &i));
  CHECK(!fl_num_to_int(NAN, 0, 10, &i));
  CHECK(!fl_num_to_int(1.5, 0, 10, &i));
  CHECK(fl_num_to_int(10, 0, 10, &i) && i == 10);
  CHECK(!fl_num_to_u64(-1, &u));
  CHECK(!fl_num_to_u64(18446744073709551616.0, &u));
  CHECK(fl_num_to_u64(18446744073709549568.0, &u) && u == 18446744073709549568ull);
  CHECK(!fl_num_to_i64(9223372036854775808.0, INT64_MIN, INT64_MAX, &x));
  CHECK(fl_num_to_i64(-9223372036854775808.0, INT64_MIN, INT64_MAX, &x) && x == INT64_MIN);
  CHECK_EQ_INT(fl_num_clamp_int(1e308, 2, 100000), 100000);
  CHECK_EQ_INT(fl_num_clamp_int(-1e308, 2, 100000), 2);
  CHECK_EQ_INT(fl_num_clamp_int(NAN, 2, 100000), 2);
  CHECK(fl_num_clamp_i64(1e300, 0, INT64_MAX) == INT64_MAX);
}

/* A shard's JSON, as sweep --shard 1/1 writes it, with one field replaced by 'edit'. */
static int merge_edited(const char *key, const char *sub, double v) {
  const char *text =
    "{\"faultline\":\"" FL_VERSION "\",\"schema\":1,\"kind\":\"sweep\",\"scenario\":{\"name\":\"t\",\"file\":\"t.lua\",\"seed\":1},"
    "\"replications\":1,\"seeds\":[5],\"parameters\":[{\"path\":\"a.workers\",\"values\":[\"2\"]}],\"points\":1,"
    "\"subjects\":{\"journeys\":[],\"services\":[],\"expectations\":[]},\"shard\":{\"index\":1,\"of\":1},\"complete\":true,"
    "\"samples\":[]}";
  cJSON *root = cJSON_Parse(text);
  cJSON *o = sub ? cJSON_GetObjectItemCaseSensitive(root, sub) : root;
  if (strcmp(key, "seeds") == 0) cJSON_ReplaceItemInArray(cJSON_GetObjectItemCaseSensitive(root, "seeds"), 0, cJSON_CreateNumber(v));
  else cJSON_ReplaceItemInObjectCaseSensitive(o, key, cJSON_CreateNumber(v));
  fl_sweep_t sw;
  char err[512];
  int rc = fl_sweep_merge(&sw, &root, 1, err, sizeof err);
  fl_sweep_release(&sw);
  cJSON_Delete(root);
  return rc;
}

TEST(merge_refuses_numbers_out_of_range_before_converting_them) {
  CHECK_EQ_INT(merge_edited("of", "shard", 2147483648.0), -FL_EINVAL);
  CHECK_EQ_INT(merge_edited("of", "shard", 1e300), -FL_EINVAL);
  CHECK_EQ_INT(merge_edited("seed", "scenario", -1), -FL_EINVAL);
  CHECK_EQ_INT(merge_edited("seed", "scenario", 1e300), -FL_EINVAL);
  CHECK_EQ_INT(merge_edited("seeds", NULL, -1), -FL_EINVAL);
  CHECK_EQ_INT(merge_edited("seeds", NULL, 1e300), -FL_EINVAL);
  CHECK_EQ_INT(merge_edited("replications", NULL, 1e300), -FL_EINVAL);
  CHECK_EQ_INT(merge_edited("index", "shard", 1e300), -FL_EINVAL);
}

/* ---- 13: a folder swapped in whole ---- */

static bool csv_only(const char *name) { return fl_report_csv_file(name); }

TEST(dir_swap_replaces_the_old_files_with_the_new_ones_whole) {
  char dirp[256], tmp[512], err[512];
  snprintf(dirp, sizeof dirp, "%s", path_of("series"));
  mkdir(dirp, 0700);
  put("series/service-old.csv", "t\n");
  CHECK_EQ_INT(fl_dir_fresh(dirp, tmp, sizeof tmp, err, sizeof err), 0);
  char f[600];
  snprintf(f, sizeof f, "%s/service-new.csv", tmp);
  CHECK_EQ_INT(fl_write_atomic(f, "t\n", 2, err, sizeof err), 0);
  CHECK_EQ_INT(fl_dir_swap(tmp, dirp, csv_only, err, sizeof err), 0);
  CHECK(access(path_of("series/service-new.csv"), F_OK) == 0);
  CHECK(access(path_of("series/service-old.csv"), F_OK) != 0);
  CHECK(access(tmp, F_OK) != 0);
}

TEST(dir_swap_refuses_a_folder_holding_other_files) {
  char dirp[256], tmp[512], err[512];
  snprintf(dirp, sizeof dirp, "%s", path_of("mixed"));
  mkdir(dirp, 0700);
  put("mixed/notes.txt", "mine\n");
  CHECK_EQ_INT(fl_dir_fresh(dirp, tmp, sizeof tmp, err, sizeof err), 0);
  CHECK(fl_dir_swap(tmp, dirp, csv_only, err, sizeof err) != 0);
  CHECK(access(path_of("mixed/notes.txt"), F_OK) == 0);
  CHECK(access(tmp, F_OK) != 0);
}
