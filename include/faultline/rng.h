/* Random streams: xoshiro256** generators, one independent stream per (seed, entity, purpose). */
#ifndef FAULTLINE_RNG_H
#define FAULTLINE_RNG_H

#include "core.h"

typedef struct fl_rng { uint64_t s[4]; } fl_rng_t;

/* 64-bit FNV-1a hash of a NUL-terminated string. */
uint64_t fl_hash_str(const char *s);

/* Seeds 'r' from (seed, entity name, purpose) through splitmix64, so that
** streams of different entities or purposes are independent and a stream
** does not depend on which other streams exist. */
void fl_rng_init(fl_rng_t *r, uint64_t seed, const char *entity, const char *purpose);

/* Seeds 'r' directly from one 64-bit value (splitmix64 expansion). */
void fl_rng_seed(fl_rng_t *r, uint64_t seed);

uint64_t fl_rng_next(fl_rng_t *r);
/* Uniform in [0, 1) with 53 bits. */
double fl_rng_uniform(fl_rng_t *r);
/* Uniform in (0, 1]: safe for log(). */
double fl_rng_uniform_pos(fl_rng_t *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t fl_rng_below(fl_rng_t *r, uint64_t n);
/* Exponential with mean 1. */
double fl_rng_exp(fl_rng_t *r);
/* Standard normal N(0,1). */
double fl_rng_normal(fl_rng_t *r);
/* Gamma with shape k > 0 and scale 1 (Marsaglia-Tsang). */
double fl_rng_gamma(fl_rng_t *r, double k);

#endif
