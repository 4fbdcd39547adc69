/* Range checks of model values that come from outside a script (serve's API injecting a fault):
** the same bounds (model_int.h) that the Lua readers and --set apply, so that no number can reach
** the run that a scenario could not give it. */
#include "model_int.h"

#include <stdarg.h>
#include <stdio.h>

static int bad(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
  return -FL_EINVAL;
}

/* A time or duration in seconds: 0 to FL_MAX_SECONDS (NaN fails every comparison). */
static bool seconds_ok(double v) { return v >= 0 && v <= FL_MAX_SECONDS; }
static bool factor_ok(double v) { return v >= 1 && v <= FL_MAX_FACTOR; }

int fl_model_check_fault(const fl_fault_t *ft, char *err, size_t n) {
  if (!seconds_ok(ft->at)) return bad(err, n, "at must be from 0 to 1000000000s (about 31 years), got %g", ft->at);
  if (!seconds_ok(ft->duration))
    return bad(err, n, "duration must be from 1ns to 1000000000s (about 31 years), got %gs", ft->duration);
  if (ft->duration != 0 && !(ft->duration > FL_MIN_PERIOD))
    return bad(err, n, "duration must be at least 1ns, got %gs", ft->duration);
  if (ft->fraction != 0 && !(ft->fraction > 0 && ft->fraction < 1))
    return bad(err, n, "instances as a share must be between 0 and 1, got %g", ft->fraction);
  if (ft->instances < 0 || ft->instances > FL_MAX_INSTANCES)
    return bad(err, n, "instances must be a whole number from 1 to %d, got %d", FL_MAX_INSTANCES, ft->instances);
  switch (ft->kind) {
  case FL_FAULT_LATENCY:
    if (!seconds_ok(ft->value)) return bad(err, n, "latency must be from 0 to 1000000000s (about 31 years), got %gs", ft->value);
    break;
  case FL_FAULT_CPU_HOG:
    if (!(ft->value > 0 && ft->value <= 1)) return bad(err, n, "share must be above 0 and at most 1, got %g", ft->value);
    break;
  case FL_FAULT_ERRORS:
    if (!(ft->value >= 0 && ft->value <= 1)) return bad(err, n, "rate must be between 0 and 1, got %g", ft->value);
    break;
  case FL_FAULT_LEAK:
    if (!(ft->every > FL_MIN_PERIOD && ft->every <= FL_MAX_SECONDS))
      return bad(err, n, "every must be from 1ns to 1000000000s (about 31 years), got %gs", ft->every);
    if (!seconds_ok(ft->restart)) return bad(err, n, "restart must be from 0 to 1000000000s (about 31 years), got %gs", ft->restart);
    return factor_ok(ft->value) ? 0 : bad(err, n, "factor must be a number from 1 to 1000000, got %g", ft->value);
  case FL_FAULT_PAUSE:
    if (!seconds_ok(ft->every)) return bad(err, n, "every must be from 0 to 1000000000s (about 31 years), got %gs", ft->every);
    if (!seconds_ok(fl_dist_mean(&ft->pause))) return bad(err, n, "pause must be from 0 to 1000000000s (about 31 years)");
    break;
  case FL_FAULT_SLOWDOWN:
    return factor_ok(ft->value) ? 0 : bad(err, n, "factor must be a number from 1 to 1000000, got %g", ft->value);
  default:
    break;
  }
  return 0;
}
