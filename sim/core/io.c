/* Files and text: whole-or-nothing writes (temporary file + rename), whole-file reads, and the
** growable text buffer every writer of files and pages builds its output in. */
#include "faultline/io.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fl_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen) {
  size_t pl = strlen(path) + 32;
  char *tmp = fl_xmalloc(pl);
  snprintf(tmp, pl, "%s.tmp.%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
    free(tmp);
    return -FL_EIO;
  }
  bool ok = fwrite(data, 1, len, f) == len;
  ok = (fflush(f) == 0) && ok;
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
    remove(tmp);
    free(tmp);
    return -FL_EIO;
  }
  free(tmp);
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
