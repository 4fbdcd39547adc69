/* The log-linear latency histogram: bucket layout, add/merge/reset and quantiles.
** Layout (SUB = FL_HIST_SUB_BITS): values below 2^SUB are their own bucket; a value v with
** e = floor(log2 v) >= SUB lands in group e - SUB + 1, sub-bucket (v >> (e - SUB)) mod 2^SUB.
** Every bucket past the exact range is at most 1/2^SUB of its lower bound wide. The last bucket
** also takes everything at or above 2^FL_HIST_MAX_EXP, so its range ends at INT64_MAX and a
** quantile landing in it reports max (an overestimate, the safe side for latency checks).
** Empty state: count 0, min INT64_MAX, max 0, lo > hi (lo = FL_HIST_BUCKETS, hi = 0). */
#include "faultline/hist.h"

#include <math.h>
#include <string.h>

#define SUB   FL_HIST_SUB_BITS
#define LAST  ((uint32_t)FL_HIST_BUCKETS - 1)
_Static_assert(FL_HIST_BUCKETS % 8 == 0, "add_buckets adds eight buckets a step");
_Static_assert(FL_HIST_BUCKETS % FL_HIST_BLOCK == 0 && FL_HIST_BLOCK % 8 == 0, "whole blocks of whole steps");
#define NWORDS ((int)(sizeof ((fl_hist_t *)0)->blk / sizeof(uint64_t)))

static inline void mark(fl_hist_t *h, uint32_t i) {
  uint32_t k = i / FL_HIST_BLOCK;
  h->blk[k >> 6] |= 1ull << (k & 63);
}

/* The next block at or after k that may hold counts, or FL_HIST_BLOCKS. */
static inline uint32_t next_block(const fl_hist_t *h, uint32_t k) {
  while (k < FL_HIST_BLOCKS) {
    uint64_t w = h->blk[k >> 6] >> (k & 63);
    if (w) return k + (uint32_t)__builtin_ctzll(w);
    k = (k | 63) + 1;
  }
  return FL_HIST_BLOCKS;
}

static void set_empty(fl_hist_t *h) {   /* the header; the buckets and blocks are the caller's */
  h->count = 0; h->sum = 0;
  h->min = INT64_MAX; h->max = 0;
  h->lo = FL_HIST_BUCKETS; h->hi = 0;
}

void fl_hist_init(fl_hist_t *h) {
  memset(h->b, 0, sizeof h->b);
  memset(h->blk, 0, sizeof h->blk);
  set_empty(h);
}

void fl_hist_init_zeroed(fl_hist_t *h) { set_empty(h); }

fl_hist_t *fl_hist_new(void) {
  fl_hist_t *h = fl_xcalloc(1, sizeof *h);
  set_empty(h);
  return h;
}

void fl_hist_reset(fl_hist_t *h) {
  if (h->count == 0) return;   /* already empty: nothing added or merged since init or reset */
  for (uint32_t k = next_block(h, 0); k < FL_HIST_BLOCKS; k = next_block(h, k + 1))
    memset(&h->b[k * FL_HIST_BLOCK], 0, FL_HIST_BLOCK * sizeof h->b[0]);
  memset(h->blk, 0, sizeof h->blk);
  set_empty(h);
}

/* With s = max(e - SUB, 0) the index is (s << SUB) + (v >> s): for v < 2^(SUB+1) that is v
** itself, above it (v >> s) is 2^SUB + sub-bucket, which supplies the group's extra 1. */
uint32_t fl_hist_bucket(int64_t value) {
  uint64_t v = value < 0 ? 0 : (uint64_t)value;
  unsigned s = 63u - (unsigned)__builtin_clzll((v >> SUB) | 1);
  uint64_t idx = ((uint64_t)s << SUB) + (v >> s);
  return idx < LAST ? (uint32_t)idx : LAST;
}

void fl_hist_bucket_range(uint32_t idx, int64_t *lo, int64_t *hi) {
  if (idx < (1u << SUB)) { *lo = *hi = idx; return; }
  if (idx > LAST) idx = LAST;
  unsigned shift = (idx >> SUB) - 1;  /* bucket width is 2^shift */
  uint64_t l = (uint64_t)((1u << SUB) + (idx & ((1u << SUB) - 1))) << shift;
  *lo = (int64_t)l;
  *hi = idx == LAST ? INT64_MAX : (int64_t)(l + ((uint64_t)1 << shift) - 1);
}

/* Hot path: no allocation; min/max/lo/hi updates compile to conditional moves. */
void fl_hist_add(fl_hist_t *h, int64_t value) {
  int64_t v = value < 0 ? 0 : value;
  uint32_t i = fl_hist_bucket(v);
  h->b[i]++;
  mark(h, i);
  h->count++;
  h->sum += (double)v;
  h->min = v < h->min ? v : h->min;
  h->max = v > h->max ? v : h->max;
  h->lo = i < h->lo ? i : h->lo;
  h->hi = i > h->hi ? i : h->hi;
}

/* dst->b[lo..hi] += src->b[lo..hi], eight buckets a step (the compiler makes each step one vector
** add); the range is widened to whole steps, whose extra buckets add src's zeros. */
static void add_buckets(uint32_t *restrict d, const uint32_t *restrict s, uint32_t lo, uint32_t hi) {
  size_t from = lo & ~7u, steps = ((size_t)(hi | 7u) + 1 - from) / 8;   /* FL_HIST_BUCKETS is a multiple of 8 */
  d += from; s += from;
  for (size_t k = 0; k < steps; k++, d += 8, s += 8) {
    d[0] += s[0]; d[1] += s[1]; d[2] += s[2]; d[3] += s[3];
    d[4] += s[4]; d[5] += s[5]; d[6] += s[6]; d[7] += s[7];
  }
}

void fl_hist_add_many(fl_hist_t *h, const int64_t *v, int n) {
  uint32_t idx[64];
  while (n > 0) {
    int m = n < 64 ? n : 64;
    for (int k = 0; k < m; k++) idx[k] = fl_hist_bucket(v[k]);
    for (int k = 0; k < m; k++) h->b[idx[k]]++;
    for (int k = 0; k < m; k++) mark(h, idx[k]);
    for (int k = 0; k < m; k++) {
      int64_t x = v[k] < 0 ? 0 : v[k];
      h->sum += (double)x;
      h->min = x < h->min ? x : h->min;
      h->max = x > h->max ? x : h->max;
      h->lo = idx[k] < h->lo ? idx[k] : h->lo;
      h->hi = idx[k] > h->hi ? idx[k] : h->hi;
    }
    h->count += (uint64_t)m;
    v += m; n -= m;
  }
}

void fl_hist_merge(fl_hist_t *dst, const fl_hist_t *src) {
  if (src->count == 0) return;
  add_buckets(dst->b, src->b, src->lo, src->hi);
  for (int w = 0; w < NWORDS; w++) dst->blk[w] |= src->blk[w];
  dst->count += src->count;
  dst->sum += src->sum;
  if (src->min < dst->min) dst->min = src->min;
  if (src->max > dst->max) dst->max = src->max;
  if (src->lo < dst->lo) dst->lo = src->lo;
  if (src->hi > dst->hi) dst->hi = src->hi;
}

void fl_hist_take(fl_hist_t *src, fl_hist_t *dst, const double *q, int n, int64_t *out) {
  fl_hist_quantiles(src, q, n, out);   /* brings the range into the cache for the passes below */
  if (dst) fl_hist_merge(dst, src);
  fl_hist_reset(src);
}

int64_t fl_hist_quantile(const fl_hist_t *h, double q) {
  int64_t v;
  fl_hist_quantiles(h, &q, 1, &v);   /* the same rules; the scan skips blocks known empty */
  return v;
}

void fl_hist_quantiles(const fl_hist_t *h, const double *q, int n, int64_t *out) {
  uint64_t seen = 0;   /* counts of the buckets before i */
  uint32_t i = h->lo;
  for (int k = 0; k < n; k++) {
    if (h->count == 0) { out[k] = 0; continue; }
    if (!(q[k] > 0)) { out[k] = h->min; continue; }
    if (q[k] >= 1) { out[k] = h->max; continue; }
    double r = ceil(q[k] * (double)h->count);
    uint64_t rank = r < 1 ? 1 : r >= (double)h->count ? h->count : (uint64_t)r;
    while (i <= h->hi) {   /* the first bucket reaching the rank, skipping blocks known empty */
      uint32_t blk = i / FL_HIST_BLOCK;
      if (!(h->blk[blk >> 6] >> (blk & 63) & 1)) { i = next_block(h, blk + 1) * FL_HIST_BLOCK; continue; }
      uint32_t end = (blk + 1) * FL_HIST_BLOCK;
      while (i < end && i <= h->hi && seen + h->b[i] < rank) seen += h->b[i++];
      if (i < end && i <= h->hi) break;
    }
    if (i > h->hi || i == LAST) { out[k] = h->max; continue; }
    int64_t lo, hi;
    fl_hist_bucket_range(i, &lo, &hi);
    int64_t mid = lo + (hi - lo) / 2;
    out[k] = mid < h->min ? h->min : mid > h->max ? h->max : mid;
  }
}

/* The bucket ranked 'rank' (from 1) among idx[0..n): the group (power of two) holding it found by
** counting the buckets per group, then the sub-bucket within it the same way. Counting, not
** partitioning: a window's few values are in no order, and a comparison per value mispredicts. */
#define GROUPS (FL_HIST_BUCKETS >> SUB)
static uint32_t select_bucket(const uint32_t *idx, int n, const uint8_t *gcnt, int rank) {
  uint32_t g = 0;
  int seen = 0;
  while (seen + gcnt[g] < rank) seen += gcnt[g++];
  uint8_t scnt[1u << SUB];
  memset(scnt, 0, sizeof scnt);
  for (int k = 0; k < n; k++) scnt[idx[k] & ((1u << SUB) - 1)] += (idx[k] >> SUB) == g;
  uint32_t i = 0;
  while (seen + scnt[i] < rank) seen += scnt[i++];
  return (g << SUB) | i;
}

void fl_hist_quantiles_of(const int64_t *v, int nv, const double *q, int n, int64_t *out) {
  uint32_t idx[64];
  uint8_t gcnt[GROUPS];
  int64_t min = INT64_MAX, max = 0;
  FL_ASSERT(nv >= 0 && nv <= 64);
  memset(gcnt, 0, sizeof gcnt);
  for (int k = 0; k < nv; k++) {
    int64_t x = v[k] < 0 ? 0 : v[k];
    idx[k] = fl_hist_bucket(x);
    gcnt[idx[k] >> SUB]++;
    min = x < min ? x : min;
    max = x > max ? x : max;
  }
  for (int k = 0; k < n; k++) {
    if (nv == 0) { out[k] = 0; continue; }
    if (!(q[k] > 0)) { out[k] = min; continue; }
    if (q[k] >= 1) { out[k] = max; continue; }
    double r = ceil(q[k] * (double)nv);
    int rank = r < 1 ? 1 : r >= (double)nv ? nv : (int)r;
    uint32_t i = select_bucket(idx, nv, gcnt, rank);
    if (i == LAST) { out[k] = max; continue; }
    int64_t lo, hi;
    fl_hist_bucket_range(i, &lo, &hi);
    int64_t mid = lo + (hi - lo) / 2;
    out[k] = mid < min ? min : mid > max ? max : mid;
  }
}

void fl_hist_cumulative(const fl_hist_t *h, const int64_t *le, int n, uint64_t *out) {
  for (int k = 0; k < n; k++) out[k] = 0;
  if (h->count == 0) return;
  for (uint32_t i = h->lo; i <= h->hi; i++) {
    if (!h->b[i]) continue;
    int64_t lo, hi;
    fl_hist_bucket_range(i, &lo, &hi);
    int64_t mid = i == LAST ? h->max : lo + (hi - lo) / 2;
    if (mid < h->min) mid = h->min;
    if (mid > h->max) mid = h->max;
    for (int k = 0; k < n; k++) if (mid <= le[k]) out[k] += h->b[i];
  }
}

double fl_hist_mean(const fl_hist_t *h) {
  return h->count ? h->sum / (double)h->count : 0;
}
