/* Parsers and formatters for the scenario language's units: durations, rates, percentages. */
#ifndef FAULTLINE_UNITS_H
#define FAULTLINE_UNITS_H

#include "core.h"

/* Duration text -> seconds. Accepts a number followed by ns|us|µs|ms|s|m|h|d ("250us", "1.5s",
** "10m", "2h"), optional spaces between number and unit, and a bare number (seconds).
** Rejects empty text, trailing garbage, negative values, NaN and infinity. Returns 0 or -FL_EPARSE. */
int fl_parse_duration(const char *text, double *seconds);

/* Rate text -> per second. "2000/s", "90000/m", "5/h", "12/ms", "3.5/s", bare number (per second),
** also "2000 rps". Rejects negatives, NaN, inf. Returns 0 or -FL_EPARSE. */
int fl_parse_rate(const char *text, double *per_second);

/* Size text -> bytes: a number followed by B, kB|KB|KiB, MB|MiB, GB|GiB or TB|TiB, each 1024 times
** the one before ("500MB", "1.5 GiB"), or a bare number (bytes). Must be above 0. */
int fl_parse_size(const char *text, double *bytes);

/* Percentage or ratio -> fraction. "99.5%" -> 0.995, "0.5" -> 0.5. Must end in [0,1]. */
int fl_parse_fraction(const char *text, double *fraction);

/* Comparison "  >= 99.5%", "< 300ms": operator out (one of "<", "<=", ">", ">=", "=="),
** then the rest (trimmed) into 'value' (caller parses it). Returns 0 or -FL_EPARSE. */
int fl_parse_comparison(const char *text, char op[3], const char **value);

/* Formats seconds as the shortest readable duration: "250us", "12ms", "1.5s", "10m", "2h". */
void fl_format_duration(double seconds, char *buf, size_t n);

/* Wall-clock seconds as people read them: "850ms", "12.3s", "1m25s", "2h03m"; "-" when unknown. */
void fl_format_wall(double seconds, char *buf, size_t n);

#endif
