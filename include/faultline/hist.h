/* Log-linear latency histogram: fixed memory, relative error under 1% on percentiles. */
#ifndef FAULTLINE_HIST_H
#define FAULTLINE_HIST_H

#include "core.h"

/* Values are non-negative nanoseconds. Values below 2^FL_HIST_SUB_BITS ns are exact;
** above, each power of two is split into 2^FL_HIST_SUB_BITS linear sub-buckets.
** Values at or above 2^FL_HIST_MAX_EXP ns (~78 h) go to the last bucket. */
#define FL_HIST_SUB_BITS 7
#define FL_HIST_MAX_EXP 48
#define FL_HIST_BUCKETS ((FL_HIST_MAX_EXP - FL_HIST_SUB_BITS + 1) << FL_HIST_SUB_BITS)   /* a multiple of 8 */

#define FL_HIST_BLOCK 32   /* buckets a block: two cache lines */
#define FL_HIST_BLOCKS (FL_HIST_BUCKETS / FL_HIST_BLOCK)

typedef struct fl_hist {
  uint64_t count;
  double sum;           /* of values, nanoseconds */
  int64_t min, max;
  uint32_t lo, hi;      /* touched bucket range [lo, hi] */
  uint64_t blk[(FL_HIST_BLOCKS + 63) / 64];   /* blocks that may hold counts (every other is zero): a
                                                  window's few values are scanned and cleared by block */
  uint32_t b[FL_HIST_BUCKETS];
} fl_hist_t;

void fl_hist_init(fl_hist_t *h);
/* An empty histogram on the heap, to free(). Its buckets come zeroed from calloc, which need not
** write fresh pages: those stay untouched until a value lands in them. */
fl_hist_t *fl_hist_new(void);
/* fl_hist_init of a histogram whose memory is already zero (calloc): writes its header only. */
void fl_hist_init_zeroed(fl_hist_t *h);
/* Clears in time proportional to the touched range. */
void fl_hist_reset(fl_hist_t *h);
void fl_hist_add(fl_hist_t *h, int64_t value);
/* fl_hist_add of v[0..n) in order (the same sum), their buckets found first so that the
** increments' cache misses overlap. */
void fl_hist_add_many(fl_hist_t *h, const int64_t *v, int n);
/* Adds every count of 'src' into 'dst'. */
void fl_hist_merge(fl_hist_t *dst, const fl_hist_t *src);
/* q in [0,1]; returns nanoseconds (midpoint of the bucket holding rank ceil(q*count),
** clamped to [min, max]); 0 when empty. */
int64_t fl_hist_quantile(const fl_hist_t *h, double q);
/* Closing a window's histogram in one visit of its buckets: fl_hist_quantiles of src into out,
** then src merged into dst (unless NULL) and reset. */
void fl_hist_take(fl_hist_t *src, fl_hist_t *dst, const double *q, int n, int64_t *out);
/* fl_hist_quantile of each of q[0..n) (ascending) into out[0..n), in one scan of the buckets. */
void fl_hist_quantiles(const fl_hist_t *h, const double *q, int n, int64_t *out);
/* The quantiles fl_hist_quantiles would give of a histogram holding just v[0..nv) (nv <= 64),
** without one: their buckets are selected among themselves. */
void fl_hist_quantiles_of(const int64_t *v, int nv, const double *q, int n, int64_t *out);
double fl_hist_mean(const fl_hist_t *h);
/* Cumulative counts at bounds le[0..n) (ascending, nanoseconds): out[k] = values <= le[k], each
** value read as fl_hist_quantile reads it (its bucket's midpoint, clamped to [min, max]). */
void fl_hist_cumulative(const fl_hist_t *h, const int64_t *le, int n, uint64_t *out);
/* Bucket index for a value, and the bucket's [lo, hi] range in nanoseconds (for tests). */
uint32_t fl_hist_bucket(int64_t value);
void fl_hist_bucket_range(uint32_t idx, int64_t *lo, int64_t *hi);

#endif
