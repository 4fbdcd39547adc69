/* Tests for sim/core/hist.c: bucket layout (contiguous, complete, <1% wide), quantile accuracy
** against sorted samples, merge, reset, and exact min/max/mean. */
#define CHECK_MAIN
#include "check.h"

#include "faultline/hist.h"

#define SUB FL_HIST_SUB_BITS
#define LAST ((uint32_t)FL_HIST_BUCKETS - 1)
#define N_SAMPLES 1000000

/* A local generator so this test does not depend on sim/core/rng.c (PCG's LCG step, high bits). */
static uint64_t lcg_state = 42;
static uint64_t lcg_next(void) {
  lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
  return lcg_state >> 11;  /* 53 bits */
}
static double lcg_unit(void) { return (double)lcg_next() / 9007199254740992.0; }  /* [0, 1) */

/* The brief's formula, written the slow way. */
static uint32_t ref_bucket(int64_t value) {
  uint64_t v = value < 0 ? 0 : (uint64_t)value;
  if (v < (1u << SUB)) return (uint32_t)v;
  int e = 0;
  while ((v >> e) > 1) e++;
  uint64_t b = ((uint64_t)(e - SUB + 1) << SUB) + ((v >> (e - SUB)) & ((1u << SUB) - 1));
  return b > LAST ? LAST : (uint32_t)b;
}

static fl_hist_t h1, h2, h3;
static int64_t samples[N_SAMPLES];

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* The value at rank max(1, ceil(q * n)) of a sorted array: what the histogram approximates. */
static int64_t exact_quantile(const int64_t *sorted, size_t n, double q) {
  double r = ceil(q * (double)n);
  size_t rank = r < 1 ? 1 : r > (double)n ? n : (size_t)r;
  return sorted[rank - 1];
}

static void check_quantiles_of_samples(size_t n) {
  fl_hist_init(&h1);
  for (size_t i = 0; i < n; i++) fl_hist_add(&h1, samples[i]);
  qsort(samples, n, sizeof samples[0], cmp_i64);
  static const double qs[] = {0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999};
  for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
    double want = (double)exact_quantile(samples, n, qs[i]);
    CHECK_REL((double)fl_hist_quantile(&h1, qs[i]), want, 0.01);
  }
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0), samples[0]);
  CHECK_EQ_INT(fl_hist_quantile(&h1, 1), samples[n - 1]);
  CHECK_EQ_INT(h1.min, samples[0]);
  CHECK_EQ_INT(h1.max, samples[n - 1]);
  CHECK_EQ_INT(h1.count, n);
}

TEST(bucket_ranges_are_contiguous_and_cover_every_value) {
  int64_t lo, hi, next_lo, next_hi;
  fl_hist_bucket_range(0, &lo, &hi);
  CHECK_EQ_INT(lo, 0);
  for (uint32_t i = 0; i < LAST; i++) {
    fl_hist_bucket_range(i, &lo, &hi);
    fl_hist_bucket_range(i + 1, &next_lo, &next_hi);
    CHECK_MSG(lo <= hi && hi + 1 == next_lo, "bucket %u [%lld, %lld], next starts at %lld",
              i, (long long)lo, (long long)hi, (long long)next_lo);
    CHECK_MSG(fl_hist_bucket(lo) == i && fl_hist_bucket(hi) == i, "bucket %u ends map elsewhere", i);
    if (check_failed_now) return;
  }
  fl_hist_bucket_range(LAST, &lo, &hi);
  CHECK_EQ_INT(hi, INT64_MAX);
  CHECK_EQ_INT(lo, (int64_t)((1u << (SUB + 1)) - 1) << (FL_HIST_MAX_EXP - SUB - 1));
}

TEST(bucket_matches_the_reference_formula) {
  for (int64_t v = 0; v < (1 << 20); v++)
    if (fl_hist_bucket(v) != ref_bucket(v)) { CHECK_MSG(0, "value %lld", (long long)v); return; }
  for (int e = 20; e < 63; e++) {  /* both sides of every power of two, and random values */
    int64_t p = (int64_t)1 << e;
    int64_t vs[] = {p - 1, p, p + 1, p + (p >> 1), (p - 1) | p};
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
      CHECK_MSG(fl_hist_bucket(vs[i]) == ref_bucket(vs[i]), "value %lld", (long long)vs[i]);
  }
  for (int i = 0; i < 100000; i++) {
    int64_t v = (int64_t)(lcg_next() >> (lcg_next() % 53));
    CHECK_MSG(fl_hist_bucket(v) == ref_bucket(v), "value %lld", (long long)v);
    if (check_failed_now) return;
  }
}

TEST(bucket_width_is_within_one_part_in_two_to_the_sub_bits) {
  for (uint32_t i = 0; i < (1u << SUB); i++) {
    int64_t lo, hi;
    fl_hist_bucket_range(i, &lo, &hi);
    CHECK(lo == (int64_t)i && hi == (int64_t)i);
  }
  for (uint32_t i = 1u << SUB; i < LAST; i++) {  /* the last bucket is the overflow bucket */
    int64_t lo, hi;
    fl_hist_bucket_range(i, &lo, &hi);
    double width = (double)(hi - lo + 1);
    CHECK_MSG(width / (double)lo <= 1.0 / (1 << SUB), "bucket %u [%lld, %lld]", i, (long long)lo, (long long)hi);
    int64_t mid = lo + (hi - lo) / 2;  /* the midpoint is within half that of any member */
    CHECK_MSG((double)(mid - lo) / (double)lo <= 0.5 / (1 << SUB), "bucket %u midpoint", i);
    if (check_failed_now) return;
  }
}

TEST(values_beyond_the_top_and_below_zero_are_clamped) {
  CHECK_EQ_INT(fl_hist_bucket((int64_t)1 << FL_HIST_MAX_EXP), LAST);
  CHECK_EQ_INT(fl_hist_bucket(((int64_t)1 << FL_HIST_MAX_EXP) - 1), LAST);
  CHECK_EQ_INT(fl_hist_bucket(INT64_MAX), LAST);
  CHECK_EQ_INT(fl_hist_bucket(-1), 0);
  CHECK_EQ_INT(fl_hist_bucket(INT64_MIN), 0);
  fl_hist_init(&h1);
  fl_hist_add(&h1, -5);
  CHECK_EQ_INT(h1.min, 0);
  CHECK_EQ_INT(h1.max, 0);
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0.5), 0);
  CHECK(fl_hist_mean(&h1) == 0);
  fl_hist_add(&h1, INT64_MAX);
  CHECK_EQ_INT(fl_hist_quantile(&h1, 1), INT64_MAX);
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0.5), 0);
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0.99), INT64_MAX);  /* the overflow bucket reports max */
  fl_hist_reset(&h1);
  fl_hist_add(&h1, (int64_t)100 << FL_HIST_MAX_EXP);
  fl_hist_add(&h1, (int64_t)200 << FL_HIST_MAX_EXP);
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0.5), (int64_t)200 << FL_HIST_MAX_EXP);
}

TEST(empty_histogram_reports_zeros) {
  fl_hist_init(&h1);
  CHECK_EQ_INT(h1.count, 0);
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0), 0);
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0.5), 0);
  CHECK_EQ_INT(fl_hist_quantile(&h1, 1), 0);
  CHECK(fl_hist_mean(&h1) == 0);
}

TEST(quantiles_below_the_sub_bucket_range_are_exact) {
  fl_hist_init(&h1);
  for (int v = 100; v >= 1; v--) fl_hist_add(&h1, v);
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0.5), 50);
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0.99), 99);
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0.01), 1);
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0.011), 2);  /* rank ceil(1.1) = 2 */
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0.001), 1);  /* rank at least 1 */
  CHECK_EQ_INT(fl_hist_quantile(&h1, -1), 1);
  CHECK_EQ_INT(fl_hist_quantile(&h1, NAN), 1);
  CHECK_EQ_INT(fl_hist_quantile(&h1, 2), 100);
}

TEST(quantile_is_clamped_into_min_max) {
  fl_hist_init(&h1);
  fl_hist_add(&h1, 1000001);  /* bucket [999424, 1007615] */
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0.5), 1000001);
  fl_hist_add(&h1, 1000002);
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0.5), 1000002);  /* midpoint 1003519 clamped to max */
}

TEST(min_max_mean_are_exact) {
  fl_hist_init(&h1);
  static const int64_t vs[] = {250000, 12000000, 3, 1500000000, 777, 123456789};
  double sum = 0;
  for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) { fl_hist_add(&h1, vs[i]); sum += (double)vs[i]; }
  CHECK_EQ_INT(h1.count, 6);
  CHECK_EQ_INT(h1.min, 3);
  CHECK_EQ_INT(h1.max, 1500000000);
  CHECK(h1.sum == sum);
  CHECK(fl_hist_mean(&h1) == sum / 6);
}

TEST(quantiles_of_uniform_integers_are_within_one_percent) {
  for (size_t i = 0; i < N_SAMPLES; i++) samples[i] = (int64_t)(lcg_next() % 1000000000);
  check_quantiles_of_samples(N_SAMPLES);
}

TEST(quantiles_of_exponential_samples_are_within_one_percent) {
  for (size_t i = 0; i < N_SAMPLES; i++) samples[i] = (int64_t)(-log(1 - lcg_unit()) * 5e6);  /* mean 5ms */
  check_quantiles_of_samples(N_SAMPLES);
  CHECK_REL(fl_hist_mean(&h1), 5e6, 0.01);
}

TEST(quantiles_of_heavy_tailed_samples_are_within_one_percent) {
  for (size_t i = 0; i < N_SAMPLES; i++)  /* log-uniform over 1ns..~100s: every group used */
    samples[i] = (int64_t)exp(lcg_unit() * log(1e11));
  check_quantiles_of_samples(N_SAMPLES);
}

static bool same_hist(const fl_hist_t *a, const fl_hist_t *b) {
  return a->count == b->count && a->sum == b->sum && a->min == b->min && a->max == b->max &&
         a->lo == b->lo && a->hi == b->hi && memcmp(a->b, b->b, sizeof a->b) == 0;
}

TEST(merge_equals_adding_both) {
  fl_hist_init(&h1); fl_hist_init(&h2); fl_hist_init(&h3);
  for (int i = 0; i < 10000; i++) {
    int64_t a = (int64_t)(lcg_next() % 5000000), b = (int64_t)(lcg_next() % 900000000) + 1000000;
    fl_hist_add(&h1, a); fl_hist_add(&h3, a);
    fl_hist_add(&h2, b); fl_hist_add(&h3, b);
  }
  fl_hist_merge(&h1, &h2);
  CHECK(same_hist(&h1, &h3));
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0.9), fl_hist_quantile(&h3, 0.9));

  fl_hist_t *empty = &h2;  /* merging an empty one changes nothing; into an empty one copies */
  fl_hist_reset(empty);
  fl_hist_merge(&h1, empty);
  CHECK(same_hist(&h1, &h3));
  fl_hist_merge(empty, &h3);
  CHECK(same_hist(empty, &h3));
}

TEST(reset_empties_the_histogram) {
  fl_hist_init(&h1); fl_hist_init(&h2);
  for (int i = 0; i < 1000; i++) fl_hist_add(&h1, (int64_t)(lcg_next() % 100000000));
  fl_hist_reset(&h1);
  CHECK(same_hist(&h1, &h2));
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0.5), 0);
  fl_hist_add(&h1, 42);  /* usable again */
  CHECK_EQ_INT(fl_hist_quantile(&h1, 0.5), 42);
  CHECK_EQ_INT(h1.min, 42);
  CHECK_EQ_INT(h1.lo, 42);
  CHECK_EQ_INT(h1.hi, 42);
}

TEST(reset_clears_only_the_touched_blocks) {
  fl_hist_init(&h1);
  fl_hist_add(&h1, 1000);
  fl_hist_add(&h1, 2000000);
  uint32_t lo = fl_hist_bucket(1000), hi = fl_hist_bucket(2000000);
  CHECK_EQ_INT(h1.lo, lo);
  CHECK_EQ_INT(h1.hi, hi);
  uint32_t before = lo / FL_HIST_BLOCK * FL_HIST_BLOCK - 1, between = (lo / FL_HIST_BLOCK + 1) * FL_HIST_BLOCK;
  CHECK(between < hi / FL_HIST_BLOCK * FL_HIST_BLOCK);   /* a whole block between the two values */
  h1.b[before] = 7;    /* sentinels in untouched blocks (breaking the invariant on purpose) */
  h1.b[between] = 9;
  fl_hist_reset(&h1);
  CHECK_EQ_INT(h1.b[lo], 0);
  CHECK_EQ_INT(h1.b[hi], 0);
  CHECK_EQ_INT(h1.b[before], 7);
  CHECK_EQ_INT(h1.b[between], 9);
  h1.b[before] = h1.b[between] = 0;
}

/* A window's histogram: its few values in a wide range are found by block, and every quantile
** equals the one a plain scan of every bucket gives (the blocks only skip zeros). */
TEST(quantiles_skip_empty_blocks_and_equal_a_plain_scan) {
  static const double qs[] = { 0.001, 0.1, 0.5, 0.9, 0.99, 0.999 };
  fl_hist_t *h = malloc(sizeof *h);
  CHECK(h != NULL);
  if (!h) return;
  uint64_t x = 1181783497276652981ull;
  for (int round = 0; round < 300; round++) {
    fl_hist_init(h);
    int n = 1 + round % 60;
    for (int i = 0; i < n; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      fl_hist_add(h, (int64_t)(x % 1000000000) >> (x % 30));
    }
    int64_t got[6];
    fl_hist_quantiles(h, qs, 6, got);
    for (int k = 0; k < 6; k++) {   /* the plain scan: every bucket from the first */
      double r = ceil(qs[k] * (double)h->count);
      uint64_t rank = r < 1 ? 1 : (uint64_t)r, seen = 0;
      uint32_t i = 0;
      while (seen + h->b[i] < rank) seen += h->b[i++];
      int64_t lo, hi;
      fl_hist_bucket_range(i, &lo, &hi);
      int64_t mid = i == LAST ? h->max : lo + (hi - lo) / 2;
      int64_t want = mid < h->min ? h->min : mid > h->max ? h->max : mid;
      CHECK_MSG(got[k] == want, "round %d q %g: %lld vs %lld", round, qs[k], (long long)got[k], (long long)want);
    }
    int marked = 0;
    for (uint32_t b = 0; b < FL_HIST_BLOCKS; b++) marked += (int)(h->blk[b / 64] >> (b % 64) & 1);
    CHECK(marked >= 1 && marked <= n);
  }
  free(h);
}

/* One scan for several quantiles gives what one scan per quantile gives, over spreads from one
** bucket to the overflow bucket, and for the empty histogram. */
TEST(quantiles_in_one_scan_equal_quantile_one_at_a_time) {
  static const double qs[] = { 0, 0.001, 0.25, 0.5, 0.5, 0.9, 0.99, 0.999, 1 };
  const int nq = (int)(sizeof qs / sizeof *qs);
  fl_hist_t *h = malloc(sizeof *h);
  CHECK(h != NULL);
  if (!h) return;
  uint64_t x = 88172645463325252ull;
  for (int round = 0; round < 6; round++) {
    fl_hist_init(h);
    int n = round == 0 ? 0 : round == 1 ? 1 : 2000;
    for (int i = 0; i < n; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;   /* xorshift64 */
      int64_t v = round == 2 ? 5 : round == 3 ? (int64_t)(x % 1000000) : round == 4 ? (int64_t)(x >> (x % 64)) : (int64_t)(x % 7) * 1000000007;
      fl_hist_add(h, v);
    }
    int64_t out[16];
    fl_hist_quantiles(h, qs, nq, out);
    for (int k = 0; k < nq; k++)
      CHECK_MSG(out[k] == fl_hist_quantile(h, qs[k]), "round %d q %g: %lld vs %lld", round, qs[k], (long long)out[k], (long long)fl_hist_quantile(h, qs[k]));
  }
  free(h);
}

/* Taking a window's histogram (quantiles, merge into a total, reset, in one visit) equals the
** three steps one after the other, for ranges that start and end anywhere in the eight-bucket
** steps merges add, and leaves the buckets outside the range alone. */
TEST(take_equals_quantiles_then_merge_then_reset) {
  static const double qs[] = { 0.5, 0.99 };
  fl_hist_t *total = malloc(sizeof *total), *ref = malloc(sizeof *ref), *win = malloc(sizeof *win);
  CHECK(total && ref && win);
  if (!total || !ref || !win) { free(total); free(ref); free(win); return; }
  fl_hist_init(total); fl_hist_init(ref); fl_hist_init(win);
  uint64_t x = 2463534242ull;
  for (int round = 0; round < 200; round++) {
    int n = round % 7 == 0 ? 0 : 1 + (int)(round % 50);
    for (int i = 0; i < n; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      int64_t v = round % 3 == 0 ? (int64_t)(x % 300) : (int64_t)(x % 20000000) >> (x % 9);
      fl_hist_add(win, v);
    }
    int64_t want[2], got[2];
    fl_hist_quantiles(win, qs, 2, want);
    fl_hist_merge(ref, win);
    fl_hist_take(win, total, qs, 2, got);
    CHECK_MSG(got[0] == want[0] && got[1] == want[1], "round %d: %lld %lld vs %lld %lld", round, (long long)got[0], (long long)got[1],
              (long long)want[0], (long long)want[1]);
    CHECK(same_hist(total, ref));
    CHECK_EQ_INT(win->count, 0);
    int zero = 1;
    for (uint32_t i = 0; i < FL_HIST_BUCKETS; i++) zero &= win->b[i] == 0;
    CHECK(zero);
  }
  fl_hist_take(win, NULL, qs, 2, (int64_t[2]){ 0 });   /* no total: only quantiles and the reset */
  CHECK_EQ_INT(win->count, 0);
  free(total); free(ref); free(win);
}

/* A window's few values give, selected among themselves, the quantiles a histogram holding them
** gives: for 0 to 64 values, spreads within one bucket, across many, into the exact range and the
** overflow bucket, with ties, negatives (read as 0) and quantiles out of order. */
TEST(quantiles_of_few_values_equal_a_histogram_of_them) {
  static const double qs[] = { 0.5, 0.99, 0, 1, 0.25, 0.9, 0.001, 0.75, 0.5 };
  const int nq = (int)(sizeof qs / sizeof *qs);
  fl_hist_t *h = fl_hist_new();
  CHECK(h->count == 0 && h->min == INT64_MAX && h->lo > h->hi);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  int64_t v[64];
  for (int round = 0; round < 3000; round++) {
    int n = round % 65;
    for (int i = 0; i < n; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      switch (round % 5) {
      case 0: v[i] = (int64_t)(x % 4) + 1000000; break;                 /* ties in one or two buckets */
      case 1: v[i] = (int64_t)(x % 300) - 20; break;                    /* the exact range, negatives */
      case 2: v[i] = (int64_t)(x % 50000000) >> (x % 13); break;        /* many buckets */
      case 3: v[i] = i % 3 ? (int64_t)(x % 100000) : INT64_MAX - (int64_t)(x % 9); break;   /* the overflow bucket */
      default: v[i] = (int64_t)(-log(1 - (double)(x >> 11) / 9007199254740992.0) * 1e6); break;   /* exponential */
      }
    }
    fl_hist_reset(h);
    for (int i = 0; i < n; i++) fl_hist_add(h, v[i]);
    int64_t want[16], got[16];
    for (int k = 0; k < nq; k++) want[k] = fl_hist_quantile(h, qs[k]);
    fl_hist_quantiles_of(v, n, qs, nq, got);
    for (int k = 0; k < nq; k++)
      CHECK_MSG(got[k] == want[k], "round %d (%d values) q %g: %lld vs %lld", round, n, qs[k], (long long)got[k], (long long)want[k]);
  }
  free(h);
}

/* Cumulative counts at the bounds of a Prometheus histogram: exact for values away from a bound
** (a value is read as its bucket's midpoint, within 1% of it), and the same count as the
** quantiles read: fl_hist_quantile(q) <= le exactly when rank ceil(q n) <= the count at le. */
TEST(cumulative_counts_match_the_samples_and_the_quantiles) {
  static const int64_t le[] = { 5000000, 10000000, 25000000, 50000000, 100000000, 250000000 };
  const int nb = (int)(sizeof le / sizeof *le);
  fl_hist_init(&h1);
  uint64_t want[6] = { 0 };
  int n = 0;
  for (int i = 0; i < 200000; i++) {
    int64_t v = (int64_t)(-log(1 - lcg_unit()) * 30e6);   /* exponential, mean 30 ms */
    bool near = false;
    for (int k = 0; k < nb; k++) near |= fabs((double)(v - le[k])) < 0.01 * (double)le[k];
    if (near) continue;                                     /* within a bucket's width of a bound */
    fl_hist_add(&h1, v);
    n++;
    for (int k = 0; k < nb; k++) want[k] += v <= le[k];
  }
  uint64_t got[6];
  fl_hist_cumulative(&h1, le, nb, got);
  for (int k = 0; k < nb; k++) {
    CHECK_MSG(got[k] == want[k], "le %lld: %llu vs %llu", (long long)le[k], (unsigned long long)got[k], (unsigned long long)want[k]);
    if (k > 0) CHECK(got[k] >= got[k - 1]);
    /* rank got[k] (the last value at or below le[k]) and the next: ceil(q n) of a q half a rank below */
    if (got[k] > 0) CHECK(fl_hist_quantile(&h1, ((double)got[k] - 0.5) / n) <= le[k]);
    if (got[k] < (uint64_t)n) CHECK(fl_hist_quantile(&h1, ((double)got[k] + 0.5) / n) > le[k]);
  }
  fl_hist_init(&h2);
  fl_hist_cumulative(&h2, le, nb, got);
  CHECK(got[0] == 0 && got[nb - 1] == 0);
}
