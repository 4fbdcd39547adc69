/* Core vocabulary shared by every faultline module: simulated time, error codes, asserts. */
#ifndef FAULTLINE_CORE_H
#define FAULTLINE_CORE_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define FL_VERSION "0.1.0"
#define FL_REPORT_SCHEMA 1

/* Simulated time: integer nanoseconds. */
typedef int64_t fl_time_t;

#define FL_NS  ((fl_time_t)1)
#define FL_US  ((fl_time_t)1000)
#define FL_MS  ((fl_time_t)1000000)
#define FL_SEC ((fl_time_t)1000000000)
#define FL_TIME_MAX INT64_MAX

static inline double fl_time_to_sec(fl_time_t t) { return (double)t / 1e9; }
static inline fl_time_t fl_sec_to_time(double s) { return (fl_time_t)(s * 1e9 + (s >= 0 ? 0.5 : -0.5)); }

#define FL_ERRORS(X) \
  X(OK,      "no error") \
  X(EINVAL,  "invalid argument") \
  X(ENOMEM,  "out of memory") \
  X(EPARSE,  "cannot parse value") \
  X(ERANGE,  "value out of range") \
  X(EIO,     "input/output error") \
  X(ESCENARIO, "scenario error") \
  X(EINTERNAL, "internal error")

enum {
#define FL_E_ENUM(name, msg) FL_##name,
  FL_ERRORS(FL_E_ENUM)
#undef FL_E_ENUM
  FL_E__COUNT
};

/* Text for an error code (positive or negated). Never NULL. */
const char *fl_strerror(int err);

/* Aborts with file:line on a broken invariant (kept in release builds). */
#define FL_ASSERT(cond) \
  do { if (!(cond)) fl__assert_fail(#cond, __FILE__, __LINE__); } while (0)
_Noreturn void fl__assert_fail(const char *cond, const char *file, int line);

/* Allocation that aborts with a message rather than returning NULL. */
void *fl_xmalloc(size_t n);
void *fl_xcalloc(size_t count, size_t n);
/* Zeroed like fl_xcalloc(), aligned to 'align' (a power of two, a multiple of sizeof(void *)):
** for arrays of a type declared _Alignas(align). Freed with free(). */
void *fl_xcalloc_aligned(size_t count, size_t n, size_t align);
void *fl_xrealloc(void *p, size_t n);
char *fl_xstrdup(const char *s);
/* Runs fn(arg) so that an allocation failing inside it (fl_x*, and cJSON's once
** fl_jsonw_hooks() ran) returns here with -FL_ENOMEM instead of exiting; else fn's result. What
** fn allocated before the failure stays allocated (the process is short of memory and near its
** end): the caller cleans up only what it set up before. Nests. For tests, the environment
** variable FAULTLINE_FAIL_ALLOC_AFTER=N makes the allocation after the first N inside these
** scopes (counted over the process) fail, once. */
int fl_try_alloc(int (*fn)(void *arg), void *arg);

#endif
