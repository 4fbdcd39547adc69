/* Checked conversions of numbers that come from outside (JSON fields, imported files, API
** requests) into integers (sim/core/num.c). A double outside an integer type's range converts
** with undefined behaviour in C (clang's -fsanitize=float-cast-overflow reports it); every such
** conversion goes through these instead of a cast. */
#ifndef FAULTLINE_NUM_H
#define FAULTLINE_NUM_H

#include "core.h"

/* v is finite, whole and within [lo, hi]: *out = v, true. Otherwise false and *out untouched. */
bool fl_num_to_int(double v, int lo, int hi, int *out);
bool fl_num_to_i64(double v, int64_t lo, int64_t hi, int64_t *out);
/* v is finite, whole and within [0, 2^64): *out = v, true. Otherwise false. */
bool fl_num_to_u64(double v, uint64_t *out);

/* v rounded toward zero and clamped into [lo, hi]; NaN gives lo. Never undefined: for counts
** and sizes where a huge value means "as many as allowed". */
int fl_num_clamp_int(double v, int lo, int hi);
int64_t fl_num_clamp_i64(double v, int64_t lo, int64_t hi);

#endif
