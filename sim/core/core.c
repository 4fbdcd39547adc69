/* Process-wide helpers from core.h: error text, the assertion failure path, and allocation
** that exits with status 3 instead of returning NULL. */
#include "faultline/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const error_text[] = {
#define FL_E_TEXT(name, msg) msg,
  FL_ERRORS(FL_E_TEXT)
#undef FL_E_TEXT
};

const char *fl_strerror(int err) {
  if (err <= -FL_E__COUNT || err >= FL_E__COUNT) return "unknown error";
  return error_text[err < 0 ? -err : err];
}

void fl__assert_fail(const char *cond, const char *file, int line) {
  fprintf(stderr, "faultline: internal error: assertion failed: %s (%s:%d)\n", cond, file, line);
  abort();
}

_Noreturn static void oom(void) {
  fputs("faultline: error: out of memory\n", stderr);
  exit(3);
}

/* Zero-byte requests allocate one byte so that NULL always means failure. */
void *fl_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) oom();
  return p;
}

void *fl_xcalloc(size_t count, size_t n) {
  void *p = calloc(count ? count : 1, n ? n : 1);
  if (!p) oom();
  return p;
}

void *fl_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) oom();
  return q;
}

char *fl_xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(fl_xmalloc(n), s, n);
}
