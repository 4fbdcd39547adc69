/* Process-wide helpers from core.h: error text, the assertion failure path, and allocation
** that exits with status 3 instead of returning NULL, or inside fl_try_alloc() returns there. */
#include "faultline/core.h"

#include <setjmp.h>
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

/* The allocator's state: the innermost fl_try_alloc() running (NULL: none), where a failed
** allocation returns to instead of exiting; and the allocations inside them still to succeed
** before one fails (FAULTLINE_FAIL_ALLOC_AFTER, read at the first scope; -1: none fails). */
static jmp_buf *scope;
static long fail_after = -2;

_Noreturn static void oom(void) {
  if (scope) longjmp(*scope, 1);
  fputs("faultline: error: out of memory\n", stderr);
  exit(3);
}

/* Whether the allocation about to be made is the one FAULTLINE_FAIL_ALLOC_AFTER asked to fail. */
static bool injected(void) { return scope && fail_after >= 0 && fail_after-- == 0; }

int fl_try_alloc(int (*fn)(void *arg), void *arg) {
  if (fail_after == -2) {
    const char *inj = getenv("FAULTLINE_FAIL_ALLOC_AFTER");
    fail_after = inj && *inj ? strtol(inj, NULL, 10) : -1;
  }
  jmp_buf here, *outer = scope;
  scope = &here;
  int rc = setjmp(here) == 0 ? fn(arg) : -FL_ENOMEM;
  scope = outer;
  return rc;
}

/* Zero-byte requests allocate one byte so that NULL always means failure. */
void *fl_xmalloc(size_t n) {
  void *p = injected() ? NULL : malloc(n ? n : 1);
  if (!p) oom();
  return p;
}

void *fl_xcalloc(size_t count, size_t n) {
  void *p = injected() ? NULL : calloc(count ? count : 1, n ? n : 1);
  if (!p) oom();
  return p;
}

void *fl_xcalloc_aligned(size_t count, size_t n, size_t align) {
  if (!count) count = 1;
  if (!n) n = 1;
  if (count > (SIZE_MAX - align) / n) oom();   /* count * n rounded up to align overflows */
  size_t size = (count * n + align - 1) / align * align;   /* aligned_alloc wants a multiple */
  void *p = injected() ? NULL : aligned_alloc(align, size);
  if (!p) oom();
  return memset(p, 0, size);
}

void *fl_xrealloc(void *p, size_t n) {
  void *q = injected() ? NULL : realloc(p, n ? n : 1);
  if (!q) oom();
  return q;
}

char *fl_xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(fl_xmalloc(n), s, n);
}
