/* Tests for reports/jsonw.c and the streamed reports: the writer's numbers, strings and layout
** against cJSON's own printer (the source of truth the reports were written with before they
** were streamed), whole reports read back and printed again by cJSON, and the whole-or-nothing
** file under it. */
#define CHECK_MAIN
#include "check.h"
#define FIXTURE_NAME "jsonw"
#include "fixture.h"

#include "faultline/io.h"
#include "faultline/jsonw.h"
#include "faultline/report.h"
#include "faultline/rng.h"

#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

/* cJSON's text of number v, in 'out'. */
static void cjson_number(double v, char *out, size_t n) {
  cJSON *j = cJSON_CreateNumber(v);
  char *t = cJSON_PrintUnformatted(j);
  snprintf(out, n, "%s", t ? t : "(null)");
  cJSON_free(t);
  cJSON_Delete(j);
}

static int number_differs(double v) {
  char want[64], got[32];
  cjson_number(v, want, sizeof want);
  fl_jsonw_format_number(v, got);
  if (strcmp(want, got) == 0) return 0;
  fprintf(stderr, "  %.17g: cJSON %s, writer %s\n", v, want, got);
  return 1;
}

TEST(numbers_print_as_cjson_prints_them_at_the_edges) {
  static const double edges[] = {
    0, -0.0, 1, -1, 0.1, 0.2, 0.3, 0.30000000000000004, 1.0 / 3, 2.0 / 3, 1e-300, -1e-300, 5e-324, DBL_MIN,
    DBL_MAX, -DBL_MAX, 1e21, 1e22, 1e15, 1e15 - 1, 1e15 + 1, 999999999999999.9, 1e16, 1e17, 123456789012345.6,
    12345678901234567.0, 9007199254740992.0, 9007199254740993.0, 18446744073709551615.0, (double)INT_MAX,
    (double)INT_MAX + 1, (double)INT_MIN, (double)INT_MIN - 1, 2147483647.5, 1e-5, 1e-4, 0.0001234, 123e-7,
    100, 1e5, 1234567.0, 0.5, 0.25, 1.5e-9, 3.14159265358979, 2.718281828459045, NAN, -NAN, INFINITY, -INFINITY,
  };
  int bad = 0;
  for (size_t i = 0; i < COUNT(edges); i++) bad += number_differs(edges[i]);
  CHECK_EQ_INT(bad, 0);
}

TEST(numbers_print_as_cjson_prints_them_over_random_values) {
  fl_rng_t r;
  fl_rng_seed(&r, 42);
  int bad = 0;
  for (int i = 0; i < 200000; i++) {
    uint64_t bits = fl_rng_next(&r);
    double v;
    switch (i % 5) {
    case 0: memcpy(&v, &bits, sizeof v); if (isnan(v)) v = 0; break;       /* any double */
    case 1: v = (double)(int64_t)(bits >> (bits % 64)) * ((bits & 1) ? -1 : 1); break;  /* whole numbers of every size */
    case 2: v = (double)(bits % 100000) / 1000.0; break;                     /* latencies in ms, as series hold them */
    case 3: v = (double)(bits % 1000003) / (double)(1 + (bits >> 40) % 977); break;   /* ratios */
    default: v = ldexp((double)(bits >> 11), (int)(bits % 200) - 150); break;         /* wide exponents */
    }
    bad += number_differs(v);
    if (bad > 10) break;
  }
  CHECK_EQ_INT(bad, 0);
}

/* Writer output of tree j, printed through fl_jsonw_tree (free()). */
static char *writer_text(const cJSON *j, bool pretty, bool html) {
  fl_text_t t = { 0 };
  fl_jsonw_t w;
  fl_jsonw_init(&w, fl_jsonw_to_text, &t, pretty);
  w.html = html;
  fl_jsonw_tree(&w, NULL, j);
  return fl_text_take(&t, NULL);
}

/* A random tree: objects and arrays (empty ones too) of numbers, strings, booleans, nulls. */
static cJSON *random_tree(fl_rng_t *r, int depth) {
  uint64_t x = fl_rng_next(r);
  int kind = depth >= 5 ? (int)(x % 4) : (int)(x % 6);
  static const char *const strs[] = { "", "a", "gateway", "with \"quotes\"", "back\\slash", "tab\there", "line\nbreak",
                                      "ctl\x01\x1f", "caf\xc3\xa9", "\xe2\x86\x92 arrow", "</script>", "emoji \xf0\x9f\x94\xa5" };
  switch (kind) {
  case 0: return cJSON_CreateNumber((double)(int64_t)(x >> 20) / (double)(1 + (x & 0xff)));
  case 1: return cJSON_CreateString(strs[(x >> 8) % COUNT(strs)]);
  case 2: return cJSON_CreateBool(x & 0x100);
  case 3: return cJSON_CreateNull();
  default: {
    bool arr = kind == 4;
    cJSON *c = arr ? cJSON_CreateArray() : cJSON_CreateObject();
    int n = (int)((x >> 12) % 5);
    for (int i = 0; i < n; i++) {
      cJSON *v = random_tree(r, depth + 1);
      if (arr) cJSON_AddItemToArray(c, v);
      else cJSON_AddItemToObject(c, strs[(x >> (16 + i)) % COUNT(strs)], v);
    }
    return c;
  }
  }
}

TEST(trees_lay_out_byte_for_byte_as_cjson_print_and_print_unformatted) {
  fl_rng_t r;
  fl_rng_seed(&r, 7);
  int bad = 0;
  for (int i = 0; i < 3000 && !bad; i++) {
    cJSON *j = cJSON_CreateObject();
    for (int k = 0; k < 4; k++) { char key[16]; snprintf(key, sizeof key, "k%d", k); cJSON_AddItemToObject(j, key, random_tree(&r, 0)); }
    for (int pretty = 0; pretty < 2; pretty++) {
      char *want = pretty ? cJSON_Print(j) : cJSON_PrintUnformatted(j);
      char *got = writer_text(j, pretty, false);
      if (strcmp(want, got) != 0) { bad++; fprintf(stderr, "  cJSON:\n%s\n  writer:\n%s\n", want, got); }
      cJSON_free(want);
      free(got);
    }
    cJSON_Delete(j);
  }
  CHECK_EQ_INT(bad, 0);
}

TEST(calls_build_the_same_text_as_the_tree_they_describe) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "name", "x");
  cJSON_AddItemToObject(j, "seed", cJSON_CreateRaw("18446744073709551615"));
  cJSON_AddObjectToObject(j, "empty");
  cJSON_AddArrayToObject(j, "none");
  cJSON *a = cJSON_AddArrayToObject(j, "list");
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "v", 0.1);
  cJSON_AddNullToObject(o, "end");
  cJSON_AddItemToArray(a, o);
  cJSON_AddItemToArray(a, cJSON_CreateNumber(-0.0));
  cJSON_AddStringToObject(j, "missing", NULL);   /* cJSON adds nothing */
  cJSON_AddFalseToObject(j, "done");
  char *want = cJSON_Print(j);
  fl_text_t t = { 0 };
  fl_jsonw_t w;
  fl_jsonw_init(&w, fl_jsonw_to_text, &t, true);
  fl_jsonw_object(&w, NULL);
  fl_jsonw_string(&w, "name", "x");
  fl_jsonw_raw(&w, "seed", "18446744073709551615");
  fl_jsonw_object(&w, "empty"); fl_jsonw_end(&w);
  fl_jsonw_array(&w, "none"); fl_jsonw_end(&w);
  fl_jsonw_array(&w, "list");
  fl_jsonw_object(&w, NULL); fl_jsonw_number(&w, "v", 0.1); fl_jsonw_null(&w, "end"); fl_jsonw_end(&w);
  fl_jsonw_number(&w, NULL, -0.0);
  fl_jsonw_end(&w);
  fl_jsonw_string(&w, "missing", NULL);
  fl_jsonw_bool(&w, "done", false);
  fl_jsonw_end(&w);
  CHECK_EQ_STR(t.p, want);
  CHECK_EQ_INT(w.depth, 0);
  fl_text_release(&t);
  cJSON_free(want);
  cJSON_Delete(j);
}

TEST(strings_come_out_as_utf8_and_html_mode_hides_only_the_angle_bracket) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "caf\xe9", "</script><!-- \xff ok \xc3\xa9 \xe2\x82");   /* Latin-1, stray and cut bytes */
  char *raw = cJSON_PrintUnformatted(j);
  fl_text_t fixed = { 0 };
  fl_text_put_utf8(&fixed, raw, strlen(raw));   /* what the reports did to the whole text before */
  char *got = writer_text(j, false, false);
  CHECK_EQ_STR(got, fixed.p);
  CHECK(fl_utf8_valid(got, strlen(got)));
  free(got);
  got = writer_text(j, false, true);
  CHECK(!strchr(got, '<'));
  CHECK(strstr(got, "\"\\u003c/script>\\u003c!-- \xef\xbf\xbd ok \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd\"") != NULL);
  cJSON *back = cJSON_Parse(got);   /* and reads back as the same strings */
  const cJSON *v = back ? back->child : NULL;
  CHECK(v && cJSON_IsString(v) && strncmp(v->valuestring, "</script><!-- ", 14) == 0);
  cJSON_Delete(back);
  free(got);
  fl_text_release(&fixed);
  cJSON_free(raw);
  cJSON_Delete(j);
}

/* ---- whole reports ---- */

static const char *scenario_path(const char *name) {
  static char p[256];
  snprintf(p, sizeof p, "scenarios/%s", name);
  if (access(p, R_OK) != 0) snprintf(p, sizeof p, "../scenarios/%s", name);
  return p;
}

TEST(a_streamed_report_reads_back_and_prints_the_same_under_cjson) {
  static const char *const names[] = { "incidents/cart_retry_storm.lua", "incidents/consumer_lag_spike.lua",
                                       "incidents/k6_closed_loop.lua", "recommendation_outage.lua" };
  for (size_t i = 0; i < COUNT(names); i++) {
    run_t r;
    if (!run_path(&r, scenario_path(names[i]), NULL, 0)) { CHECK_MSG(0, "cannot run %s", names[i]); continue; }
    fl_run_info_t info;
    memset(&info, 0, sizeof info);
    info.wall_seconds = 1.25;
    snprintf(info.host, sizeof info.host, "host");
    char err[512];
    const char *out = path_of("r.json");
    CHECK_EQ_INT(fl_report_write_json(&r.s, &info, out, err, sizeof err), 0);
    char *text;
    size_t len;
    CHECK_EQ_INT(fl_read_file(out, NULL, &text, &len, err, sizeof err), 0);
    cJSON *j = cJSON_Parse(text);
    CHECK(j != NULL);
    char *again = j ? cJSON_Print(j) : NULL;
    CHECK_MSG(again && strcmp(again, text) == 0, "%s: the streamed report is not what cJSON prints of it", names[i]);
    /* the unformatted text (serve's /api/report) is the same tree */
    size_t ulen;
    char *flat = fl_report_json_text(&r.s, &info, &ulen);
    char *want = j ? cJSON_PrintUnformatted(j) : NULL;
    CHECK(want && strlen(flat) == ulen && strcmp(flat, want) == 0);
    /* series hold one value per window, as the run kept them */
    const cJSON *ser = cJSON_GetObjectItem(j, "series");
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(ser, "t")), r.s.wdone);
    cJSON_free(want);
    free(flat);
    cJSON_free(again);
    cJSON_Delete(j);
    free(text);
    run_free(&r);
  }
}

TEST(the_html_page_embeds_the_same_report_unformatted) {
  run_t r;
  if (!run_path(&r, scenario_path("incidents/cache_flush.lua"), NULL, 0)) { CHECK_MSG(0, "cannot run"); return; }
  fl_run_info_t info;
  memset(&info, 0, sizeof info);
  char err[512], *json, *html;
  size_t jl, hl;
  CHECK_EQ_INT(fl_report_write_json(&r.s, &info, path_of("p.json"), err, sizeof err), 0);
  CHECK_EQ_INT(fl_report_write_html(&r.s, &info, path_of("p.html"), err, sizeof err), 0);
  CHECK_EQ_INT(fl_read_file(path_of("p.json"), NULL, &json, &jl, err, sizeof err), 0);
  CHECK_EQ_INT(fl_read_file(path_of("p.html"), NULL, &html, &hl, err, sizeof err), 0);
  cJSON *j = cJSON_Parse(json);
  char *flat = j ? cJSON_PrintUnformatted(j) : NULL;
  fl_text_t want = { 0 };   /* with '<' as \u003c, as inside <script> */
  for (const char *p = flat ? flat : ""; *p; p++) { if (*p == '<') fl_text_puts(&want, "\\u003c"); else fl_text_put(&want, p, 1); }
  const char *open = "<script type=\"application/json\" id=\"fl-report\">";
  const char *at = strstr(html, open);
  CHECK(at != NULL);
  if (at && want.p) {
    at += strlen(open);
    CHECK(strncmp(at, want.p, want.n) == 0);
    CHECK(strncmp(at + want.n, "</script>", 9) == 0);
  }
  fl_text_release(&want);
  cJSON_free(flat);
  cJSON_Delete(j);
  free(json);
  free(html);
  run_free(&r);
}

/* ---- the whole-or-nothing file ---- */

static int files_in_dir(const char *prefix) {
  DIR *d = opendir(dir());
  int n = 0;
  struct dirent *de;
  while (d && (de = readdir(d))) n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
  if (d) closedir(d);
  return n;
}

TEST(a_failed_streamed_file_leaves_the_old_one_and_no_temporary) {
  const char *path = put("keep.json", "old");
  char p[256], err[256];
  snprintf(p, sizeof p, "%s", path);
  fl_atomic_t *a = malloc(sizeof *a);
  CHECK_EQ_INT(fl_atomic_open(a, p, err, sizeof err), 0);
  for (int i = 0; i < 10000; i++) fl_atomic_write(a, "0123456789", 10);   /* past the buffer: the temporary file holds some */
  fl_atomic_fail(a, ENOMEM);
  fl_atomic_write(a, "more", 4);
  CHECK(fl_atomic_close(a, err, sizeof err) == -FL_EIO);
  CHECK(strstr(err, "keep.json") && strstr(err, strerror(ENOMEM)));
  char *text;
  size_t len;
  CHECK_EQ_INT(fl_read_file(p, NULL, &text, &len, err, sizeof err), 0);
  CHECK_EQ_STR(text, "old");
  free(text);
  CHECK_EQ_INT(files_in_dir("keep.json"), 1);   /* no keep.json.tmp-* left */
  /* and a good one replaces it whole */
  CHECK_EQ_INT(fl_atomic_open(a, p, err, sizeof err), 0);
  for (int i = 0; i < 10000; i++) fl_atomic_write(a, "0123456789", 10);
  CHECK_EQ_INT(fl_atomic_close(a, err, sizeof err), 0);
  CHECK_EQ_INT(fl_read_file(p, NULL, &text, &len, err, sizeof err), 0);
  CHECK_EQ_INT(len, 100000);
  CHECK(text[99999] == '9');
  free(text);
  CHECK_EQ_INT(files_in_dir("keep.json"), 1);
  free(a);
}
