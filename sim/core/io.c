/* Files and text: whole-or-nothing writes (a fresh temporary file, fsync, rename; in place onto a
** device or FIFO), folders of files swapped in whole, checked writes to a stream, whole-file
** reads, and the growable text buffer every writer of files and pages builds its output in. */
#include "faultline/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- whole-or-nothing writes ---- */

/* A name nobody guesses: the clock, the pid, a counter and an address mixed (splitmix64). The
** name only has to be hard to predict and unlikely to exist: O_EXCL refuses one that does. */
static void random_suffix(char *out, size_t n) {
  static unsigned long counter;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 17) ^
               (uint64_t)(uintptr_t)&ts ^ ((uint64_t)++counter * 0x9E3779B97F4A7C15ull);
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  snprintf(out, n, "%012llx", (unsigned long long)(x & 0xffffffffffffull));
}

/* Writes all of data to fd, through short writes and EINTR. Returns 0 or -1 (errno set). */
static int write_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, data, len);
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    if (w == 0) { errno = EIO; return -1; }
    data += w;
    len -= (size_t)w;
  }
  return 0;
}

static int io_error(char *err, size_t errlen, const char *path, int e) {
  snprintf(err, errlen, "cannot write '%s': %s", path, strerror(e));
  return -FL_EIO;
}

/* Opens what a whole-or-nothing write goes to: "PATH.tmp-RANDOM" (its name in *tmp, to free), or
** for an existing target that is not a regular file (a device, a FIFO) the target itself, in place
** (*tmp NULL), since a rename would replace the device (as root, --json /dev/null made /dev/null a
** file). Returns 0 with *fd open, or -FL_EIO with "cannot write 'PATH': REASON" in err. */
static int open_target(const char *path, int *fd, char **tmp, char *err, size_t errlen) {
  *fd = -1; *tmp = NULL;
  struct stat st;
  if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode)) return io_error(err, errlen, path, EISDIR);
    if (!S_ISREG(st.st_mode)) {
      do *fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC); while (*fd < 0 && errno == EINTR);
      return *fd < 0 ? io_error(err, errlen, path, errno) : 0;
    }
  }
  size_t pl = strlen(path) + 32;
  if (!(*tmp = malloc(pl))) return io_error(err, errlen, path, ENOMEM);   /* no abort: the run is kept */
  for (int tries = 0; tries < 100 && *fd < 0; tries++) {
    char suffix[16];
    random_suffix(suffix, sizeof suffix);
    snprintf(*tmp, pl, "%s.tmp-%s", path, suffix);
    *fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0666);
    if (*fd < 0 && errno != EEXIST && errno != EINTR) break;
  }
  if (*fd < 0) {
    int e = errno;
    free(*tmp);
    *tmp = NULL;
    return io_error(err, errlen, path, e);
  }
  return 0;
}

/* After the file is closed: renames the temporary file over 'path' when all went well (e == 0)
** and 'commit', else removes it; frees tmp. Returns the first failure (errno), or 0. */
static int put_in_place(char *tmp, const char *path, int e, bool commit) {
  if (!tmp) return e;
  if (!e && commit && rename(tmp, path) != 0) e = errno;
  if (e || !commit) unlink(tmp);
  free(tmp);
  return e;
}

int fl_atomic_open(fl_atomic_t *a, const char *path, char *err, size_t errlen) {
  memset(a, 0, sizeof *a);
  a->path = path;
  return open_target(path, &a->fd, &a->tmp, err, errlen);
}

/* Empties the buffer into the file; the first failure sticks in a->error. */
static void atomic_drain(fl_atomic_t *a) {
  if (a->n && !a->error && write_all(a->fd, a->buf, a->n) != 0) a->error = errno ? errno : EIO;
  a->n = 0;
}

void fl_atomic_write(fl_atomic_t *a, const void *data, size_t len) {
  if (a->error) return;
  if (a->n + len > sizeof a->buf) {
    atomic_drain(a);
    if (len >= sizeof a->buf) {
      if (!a->error && write_all(a->fd, data, len) != 0) a->error = errno ? errno : EIO;
      return;
    }
  }
  memcpy(a->buf + a->n, data, len);
  a->n += len;
}

void fl_atomic_fail(fl_atomic_t *a, int e) {
  if (!a->error) a->error = e;
}

int fl_atomic_close(fl_atomic_t *a, char *err, size_t errlen) {
  if (a->fd < 0) return io_error(err, errlen, a->path, a->error ? a->error : EBADF);
  atomic_drain(a);
  int e = a->error;
  if (!e && a->tmp && fsync(a->fd) != 0) e = errno;
  if (close(a->fd) != 0 && !e && errno != EINTR) e = errno;
  a->fd = -1;
  e = put_in_place(a->tmp, a->path, e, true);
  a->tmp = NULL;
  return e ? io_error(err, errlen, a->path, e) : 0;
}

int fl_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen) {
  fl_atomic_t a;
  int rc = fl_atomic_open(&a, path, err, errlen);
  if (rc) return rc;
  fl_atomic_write(&a, data, len);
  return fl_atomic_close(&a, err, errlen);
}

int fl_afile_open(fl_afile_t *a, const char *path, char *err, size_t errlen) {
  memset(a, 0, sizeof *a);
  int fd;
  if (open_target(path, &fd, &a->tmp, err, errlen) != 0) return -FL_EIO;
  if (!(a->f = fdopen(fd, "w"))) {
    int e = errno;
    close(fd);
    put_in_place(a->tmp, path, e, false);
    a->tmp = NULL;
    return io_error(err, errlen, path, e);
  }
  a->path = fl_xstrdup(path);
  return 0;
}

int fl_afile_close(fl_afile_t *a, bool commit, char *err, size_t errlen) {
  if (!a->f) return 0;
  int e = 0;
  if (fflush(a->f) != 0 || ferror(a->f)) e = errno ? errno : EIO;
  if (!e && a->tmp && commit && fsync(fileno(a->f)) != 0) e = errno;
  if (fclose(a->f) != 0 && !e) e = errno;
  a->f = NULL;
  e = put_in_place(a->tmp, a->path, e, commit);
  int rc = e && commit ? io_error(err, errlen, a->path, e) : 0;
  free(a->path);
  memset(a, 0, sizeof *a);
  return rc;
}

int fl_write_stream(FILE *f, const char *data, size_t len) {
  if (len && fwrite(data, 1, len, f) != len) return -FL_EIO;
  if (fflush(f) != 0 || ferror(f)) return -FL_EIO;
  return 0;
}

/* ---- a folder of files, swapped in whole ---- */

/* 'dir' without its trailing slashes, into out. */
static void strip_slashes(char *out, size_t n, const char *dir) {
  snprintf(out, n, "%s", dir);
  size_t l = strlen(out);
  while (l > 1 && out[l - 1] == '/') out[--l] = 0;
}

int fl_dir_fresh(const char *dir, char *tmp, size_t tmplen, char *err, size_t errlen) {
  char base[4096];
  strip_slashes(base, sizeof base, dir);
  const char *last = strrchr(base, '/');
  last = last ? last + 1 : base;
  if (strcmp(last, ".") == 0 || strcmp(last, "..") == 0 || strcmp(base, "/") == 0) {
    snprintf(err, errlen, "cannot write into '%s': give a folder of its own (not '.', '..' or '/')", dir);
    return -FL_EINVAL;
  }
  if ((size_t)snprintf(tmp, tmplen, "%s.tmp-XXXXXX", base) >= tmplen) {
    snprintf(err, errlen, "cannot write into '%s': the name is too long", dir);
    return -FL_EINVAL;
  }
  if (!mkdtemp(tmp)) {
    snprintf(err, errlen, "cannot create a folder beside '%s': %s", dir, strerror(errno));
    return -FL_EIO;
  }
  return 0;
}

/* Removes the files of folder 'dir' that 'ours' accepts, then the folder if that emptied it. */
void fl_dir_remove(const char *dir, bool (*ours)(const char *name)) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *de;
  char path[4096 + 256];
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 && ours(de->d_name)) {
      snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
      unlink(path);
    }
  closedir(d);
  rmdir(dir);
}

int fl_dir_foreign(const char *dir, bool (*ours)(const char *name), char *first, size_t firstlen) {
  DIR *d = opendir(dir);
  if (!d) return errno == ENOENT ? 0 : -1;
  struct dirent *de;
  int n = 0;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 && !ours(de->d_name)) {
      if (n++ == 0 && first) snprintf(first, firstlen, "%s", de->d_name);
    }
  closedir(d);
  return n;
}

int fl_dir_swap(const char *tmp, const char *dir, bool (*ours)(const char *name), char *err, size_t errlen) {
  char base[4096];
  strip_slashes(base, sizeof base, dir);
  char first[256] = "";
  int foreign = fl_dir_foreign(base, ours, first, sizeof first);
  if (foreign != 0) {
    if (foreign < 0) snprintf(err, errlen, "cannot read folder '%s': %s", dir, strerror(errno));
    else snprintf(err, errlen, "'%s' holds other files than faultline's (%s): give it a folder of its own", dir, first);
    fl_dir_remove(tmp, ours);
    return -FL_EIO;
  }
  char old[4096 + 32];
  struct stat st;
  bool existed = lstat(base, &st) == 0;
  if (existed && !S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "cannot write into '%s': not a folder", dir);
    fl_dir_remove(tmp, ours);
    return -FL_EIO;
  }
  if (existed) {
    /* the old folder moves aside whole, then the new one takes its name: an interruption between
    ** the two leaves each folder whole (the old one under its .old name), never a mix */
    int tries = 0;
    do {
      char suffix[16];
      random_suffix(suffix, sizeof suffix);
      snprintf(old, sizeof old, "%s.old-%s", base, suffix);
    } while (lstat(old, &st) == 0 && ++tries < 100);
    if (rename(base, old) != 0) {
      snprintf(err, errlen, "cannot replace folder '%s': %s", dir, strerror(errno));
      fl_dir_remove(tmp, ours);
      return -FL_EIO;
    }
  }
  if (rename(tmp, base) != 0) {
    snprintf(err, errlen, "cannot write into '%s': %s", dir, strerror(errno));
    if (existed) rename(old, base);
    fl_dir_remove(tmp, ours);
    return -FL_EIO;
  }
  if (existed) fl_dir_remove(old, ours);
  return 0;
}

int fl_read_file(const char *path, const char *what, char **text, size_t *len, char *err, size_t errlen) {
  const char *sp = what ? " " : "";
  *text = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "cannot open %s%s'%s': %s", what ? what : "", sp, path, strerror(errno));
    return -FL_EIO;
  }
  size_t cap = 65536, used = 0;
  char *buf = fl_xmalloc(cap);
  for (;;) {
    if (cap - used < 2) buf = fl_xrealloc(buf, cap *= 2);
    size_t got = fread(buf + used, 1, cap - used - 1, f);
    used += got;
    if (got == 0) break;
  }
  bool bad = ferror(f) != 0;
  fclose(f);
  if (bad) {
    free(buf);
    snprintf(err, errlen, "cannot read %s%s'%s'", what ? what : "", sp, path);
    return -FL_EIO;
  }
  buf[used] = 0;
  *text = buf;
  *len = used;
  return 0;
}

/* ---- the growable text ---- */

static void reserve(fl_text_t *t, size_t more) {
  if (t->n + more + 1 <= t->cap) return;
  t->cap = (t->n + more + 1) * 2;
  t->p = fl_xrealloc(t->p, t->cap);
}

void fl_text_put(fl_text_t *t, const void *data, size_t n) {
  reserve(t, n);
  memcpy(t->p + t->n, data, n);
  t->n += n;
  t->p[t->n] = 0;
}

void fl_text_puts(fl_text_t *t, const char *s) { fl_text_put(t, s, strlen(s)); }

void fl_text_printf(fl_text_t *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[256];
  int k = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (k < 0) return;
  if ((size_t)k < sizeof small) { fl_text_put(t, small, (size_t)k); return; }
  reserve(t, (size_t)k);
  va_start(ap, fmt);
  vsnprintf(t->p + t->n, (size_t)k + 1, fmt, ap);
  va_end(ap);
  t->n += (size_t)k;
}

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0 when it is not one: no
** overlong forms, no surrogates, nothing past U+10FFFF (RFC 3629). */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  size_t k = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (!k || k > n) return 0;
  for (size_t i = 1; i < k; i++) if ((s[i] & 0xC0) != 0x80) return 0;
  if (c == 0xE0 && s[1] < 0xA0) return 0;
  if (c == 0xED && s[1] >= 0xA0) return 0;
  if (c == 0xF0 && s[1] < 0x90) return 0;
  if (c == 0xF4 && s[1] >= 0x90) return 0;
  return k;
}

bool fl_utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    size_t k = utf8_len(p + i, n - i);
    if (!k) return false;
    i += k;
  }
  return true;
}

void fl_text_put_utf8(fl_text_t *t, const void *data, size_t n) {
  const unsigned char *p = data;
  size_t i = 0, run = 0;
  while (i < n) {
    size_t k = utf8_len(p + i, n - i);
    if (k) { i += k; continue; }
    fl_text_put(t, p + run, i - run);
    fl_text_put(t, "\xEF\xBF\xBD", 3);   /* U+FFFD for each byte that starts no valid sequence */
    run = ++i;
  }
  fl_text_put(t, p + run, n - run);
}

void fl_text_clear(fl_text_t *t) {
  t->n = 0;
  if (t->p) t->p[0] = 0;
}

char *fl_text_take(fl_text_t *t, size_t *len) {
  char *p = t->p;
  if (len) *len = t->n;
  *t = (fl_text_t){ 0 };
  return p;
}

void fl_text_release(fl_text_t *t) {
  free(t->p);
  *t = (fl_text_t){ 0 };
}
