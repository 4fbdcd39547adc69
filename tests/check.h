/* The test harness: TEST(sentence_name) { ... } registers a test; CHECK* record failures.
** Each test binary prints one line per test ("ok name" / "FAIL name") and a closing line
** "# <binary>: N passed, N failed"; tests/run.sh adds them up. */
#ifndef FAULTLINE_TEST_CHECK_H
#define FAULTLINE_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*check_fn)(void);
typedef struct { const char *name; check_fn fn; } check_case_t;

#define CHECK_MAX_CASES 512
extern check_case_t check_cases[CHECK_MAX_CASES];
extern int check_ncases;
extern int check_failed_now;

#define TEST(name) \
  static void name(void); \
  __attribute__((constructor)) static void reg_##name(void) { \
    if (check_ncases < CHECK_MAX_CASES) check_cases[check_ncases++] = (check_case_t){#name, name}; } \
  static void name(void)

#define CHECK_FAIL_(...) do { check_failed_now = 1; \
  fprintf(stdout, "  %s:%d: ", __FILE__, __LINE__); fprintf(stdout, __VA_ARGS__); fputc('\n', stdout); } while (0)

#define CHECK(cond) do { if (!(cond)) CHECK_FAIL_("expected %s", #cond); } while (0)
#define CHECK_MSG(cond, ...) do { if (!(cond)) CHECK_FAIL_(__VA_ARGS__); } while (0)
#define CHECK_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
  if (a_ != b_) CHECK_FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_); } while (0)
#define CHECK_EQ_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
  if (!a_ || !b_ || strcmp(a_, b_) != 0) CHECK_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)
/* |a - b| <= tol */
#define CHECK_NEAR(a, b, tol) do { double a_ = (a), b_ = (b), t_ = (tol); \
  if (!(fabs(a_ - b_) <= t_)) CHECK_FAIL_("%s ~ %s: %.6g vs %.6g (tolerance %.3g)", #a, #b, a_, b_, t_); } while (0)
/* |a - b| <= rel * |b| */
#define CHECK_REL(a, b, rel) do { double a_ = (a), b_ = (b), r_ = (rel); \
  if (!(fabs(a_ - b_) <= r_ * fabs(b_))) CHECK_FAIL_("%s ~ %s: %.6g vs %.6g (relative tolerance %.3g, off by %.3g)", \
    #a, #b, a_, b_, r_, b_ != 0 ? fabs(a_ - b_) / fabs(b_) : fabs(a_)); } while (0)

/* In exactly one translation unit of each test binary: #define CHECK_MAIN before including. */
#ifdef CHECK_MAIN
check_case_t check_cases[CHECK_MAX_CASES];
int check_ncases;
int check_failed_now;
int main(int argc, char **argv) {
  int passed = 0, failed = 0;
  const char *only = argc > 1 ? argv[1] : NULL;
  const char *bin = strrchr(argv[0], '/'); bin = bin ? bin + 1 : argv[0];
  for (int i = 0; i < check_ncases; i++) {
    if (only && !strstr(check_cases[i].name, only)) continue;
    check_failed_now = 0;
    fflush(stdout);
    check_cases[i].fn();
    if (check_failed_now) { failed++; printf("FAIL %s\n", check_cases[i].name); }
    else { passed++; printf("ok   %s\n", check_cases[i].name); }
    fflush(stdout);
  }
  printf("# %s: %d passed, %d failed\n", bin, passed, failed);
  return failed ? 1 : 0;
}
#endif

#endif
