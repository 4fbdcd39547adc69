/* Random streams: xoshiro256** seeded through splitmix64, one stream per (seed, entity,
** purpose), and the variates built on it (uniform, bounded integer, exp, normal, gamma). */
#include "faultline/rng.h"

#include <math.h>

/* splitmix64 finalizer: a bijection of 64-bit words with full avalanche. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t fl_hash_str(const char *s) {
  FL_ASSERT(s != NULL);
  uint64_t h = 0xcbf29ce484222325u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3u;
  return h;
}

/* Four consecutive splitmix64 outputs: mix64 is a bijection and its inputs differ, so at
** most one word can be zero and the all-zero xoshiro state is impossible. */
void fl_rng_seed(fl_rng_t *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) {
    seed += 0x9e3779b97f4a7c15u;
    r->s[i] = mix64(seed);
  }
}

/* Each step is a bijection of the running key, so for fixed other inputs distinct entity or
** purpose hashes give distinct keys; the key is then expanded like any 64-bit seed. */
void fl_rng_init(fl_rng_t *r, uint64_t seed, const char *entity, const char *purpose) {
  uint64_t k = mix64(seed + 0x9e3779b97f4a7c15u);
  k = mix64(k ^ fl_hash_str(entity));
  k = mix64(k ^ mix64(fl_hash_str(purpose) + 0x6a09e667f3bcc909u));
  fl_rng_seed(r, k);
}

uint64_t fl_rng_next(fl_rng_t *r) {
  uint64_t *s = r->s;
  uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

double fl_rng_uniform(fl_rng_t *r) { return (double)(fl_rng_next(r) >> 11) * 0x1.0p-53; }

double fl_rng_uniform_pos(fl_rng_t *r) { return (double)((fl_rng_next(r) >> 11) + 1) * 0x1.0p-53; }

/* High and low words of the 128-bit product a*b. */
static uint64_t mul128(uint64_t a, uint64_t b, uint64_t *lo) {
  uint64_t al = a & 0xffffffffu, ah = a >> 32, bl = b & 0xffffffffu, bh = b >> 32;
  uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
  *lo = (mid << 32) | (ll & 0xffffffffu);
  return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

/* Lemire's multiply-shift: reject the (2^64 mod n) low products that would bias the result. */
uint64_t fl_rng_below(fl_rng_t *r, uint64_t n) {
  FL_ASSERT(n > 0);
  uint64_t lo, hi = mul128(fl_rng_next(r), n, &lo);
  if (lo < n) {
    uint64_t threshold = (0 - n) % n;
    while (lo < threshold) hi = mul128(fl_rng_next(r), n, &lo);
  }
  return hi;
}

double fl_rng_exp(fl_rng_t *r) { return -log(fl_rng_uniform_pos(r)); }

/* Marsaglia's polar method; the second variate is dropped so the stream stays stateless. */
double fl_rng_normal(fl_rng_t *r) {
  double u, v, s;
  do {
    u = 2 * fl_rng_uniform(r) - 1;
    v = 2 * fl_rng_uniform(r) - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  return u * sqrt(-2 * log(s) / s);
}

/* Marsaglia-Tsang squeeze/rejection for k >= 1; for k < 1, Gamma(k+1) * U^(1/k). */
double fl_rng_gamma(fl_rng_t *r, double k) {
  FL_ASSERT(k > 0);
  if (k < 1) {
    double g = fl_rng_gamma(r, k + 1);
    return g * exp(log(fl_rng_uniform_pos(r)) / k);
  }
  double d = k - 1.0 / 3, c = 1 / sqrt(9 * d);
  for (;;) {
    double x = fl_rng_normal(r), v = 1 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    double u = fl_rng_uniform_pos(r), x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (log(u) < 0.5 * x2 + d * (1 - v + log(v))) return d * v;
  }
}
