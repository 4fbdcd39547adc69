/* Checked conversions of outside numbers (doubles) into integers: range and wholeness checks
** that run before any cast, so that no conversion is undefined (include/faultline/num.h). */
#include "faultline/num.h"

#include <math.h>

/* 2^63 and 2^64 are exact doubles; INT64_MAX is not (it rounds up to 2^63). */
#define TWO_63 9223372036854775808.0
#define TWO_64 18446744073709551616.0

bool fl_num_to_i64(double v, int64_t lo, int64_t hi, int64_t *out) {
  if (!isfinite(v) || v != floor(v) || v < -TWO_63 || v >= TWO_63) return false;
  int64_t x = (int64_t)v;
  if (x < lo || x > hi) return false;
  *out = x;
  return true;
}

bool fl_num_to_int(double v, int lo, int hi, int *out) {
  int64_t x;
  if (!fl_num_to_i64(v, lo, hi, &x)) return false;
  *out = (int)x;
  return true;
}

bool fl_num_to_u64(double v, uint64_t *out) {
  if (!isfinite(v) || v != floor(v) || v < 0 || v >= TWO_64) return false;
  *out = (uint64_t)v;
  return true;
}

int64_t fl_num_clamp_i64(double v, int64_t lo, int64_t hi) {
  if (isnan(v) || v <= (double)lo) return lo;
  if (v >= (double)hi) return hi;   /* (double)hi may round up: compared before any cast */
  int64_t x = (int64_t)v;
  return x > hi ? hi : x;
}

int fl_num_clamp_int(double v, int lo, int hi) { return (int)fl_num_clamp_i64(v, lo, hi); }
