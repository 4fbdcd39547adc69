/* The scenario language's unit grammar: parsing durations, rates, fractions and comparisons,
** and formatting durations back.
** A value is: optional spaces, a plain decimal number ('+' allowed; no '-', hex, nan, inf;
** exponent allowed: "1e-3"), optional spaces, a case-sensitive unit, optional trailing spaces.
** Parsers leave their out-params untouched on failure. Numbers go through strtod, so a
** non-'.' LC_NUMERIC locale makes fractional numbers fail to parse (never misparse). */
#include "faultline/units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

/* A unit is 10^shift * mul seconds. Decimal units move the number's exponent before strtod
** rounds it, so "99.9%", "1.1ms" and "250us" equal the literals 0.999, 0.0011 and 0.00025;
** m/h/d multiply after (one more rounding, exact for integers). */
typedef struct { const char *name; int shift; double mul; } unit_t;

static const unit_t duration_units[] = {
  {"ns", -9, 1}, {"us", -6, 1}, {"\xC2\xB5s", -6, 1} /* U+00B5 micro sign */,
  {"\xCE\xBCs", -6, 1} /* U+03BC greek mu */, {"ms", -3, 1}, {"s", 0, 1}, {"m", 0, 60},
  {"h", 0, 3600}, {"d", 0, 86400},
};
/* Rates accept "/<duration unit>" plus these spellings. */
static const unit_t rate_aliases[] = { {"sec", 0, 1}, {"min", 0, 60} };

/* A lexed number: the mantissa text and its decimal exponent. */
typedef struct { const char *mant, *end; size_t len; long exp; } num_t;

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static const char *skip_space(const char *p) { while (is_space(*p)) p++; return p; }

/* Lexes [+]digits[.digits][e[+-]digits] ourselves (strtod alone would take "0x10", "nan",
** "inf", "-1"). An 'e' without digits is left for the unit. Returns the end, or NULL. */
static const char *lex_number(const char *p, num_t *n) {
  int digits = 0;
  if (*p == '+') p++;
  n->mant = p;
  for (; is_digit(*p); p++) digits++;
  if (*p == '.') for (p++; is_digit(*p); p++) digits++;
  if (digits == 0) return NULL;
  n->len = (size_t)(p - n->mant);
  n->exp = 0;
  if (*p == 'e' || *p == 'E') {
    const char *q = p + 1;
    int sign = *q == '-' ? -1 : 1;
    if (*q == '+' || *q == '-') q++;
    if (is_digit(*q)) {
      for (; is_digit(*q); q++) if (n->exp < 100000) n->exp = n->exp * 10 + (*q - '0');
      n->exp *= sign;
      p = q;
    }
  }
  return n->end = p;
}

/* The number times 10^shift, rounded once by strtod; false if not finite. */
static bool to_double(const num_t *n, int shift, double *out) {
  char buf[128], *end;
  double v;
  if (n->len + 16 <= sizeof buf) {
    int w = snprintf(buf, sizeof buf, "%.*se%ld", (int)n->len, n->mant, n->exp + shift);
    v = strtod(buf, &end);
    if (end != buf + w) return false;  /* e.g. a ',' locale */
  } else {  /* absurdly long mantissa: let strtod read it in place, round twice */
    v = strtod(n->mant, &end) * pow(10, shift);
    if (end != n->end) return false;
  }
  if (!isfinite(v)) return false;
  *out = v;
  return true;
}

/* Splits "  <number> <unit>  " into the number and the unit span (possibly empty). */
static bool split(const char *text, num_t *num, const char **unit, size_t *len) {
  if (!text) return false;
  const char *p = lex_number(skip_space(text), num);
  if (!p) return false;
  p = skip_space(p);
  size_t n = strlen(p);
  while (n > 0 && is_space(p[n - 1])) n--;
  *unit = p; *len = n;
  return true;
}

static const unit_t *find_unit(const unit_t *t, size_t count, const char *s, size_t len) {
  for (size_t i = 0; i < count; i++)
    if (strlen(t[i].name) == len && memcmp(t[i].name, s, len) == 0) return &t[i];
  return NULL;
}

static const unit_t seconds_unit = {"s", 0, 1};

int fl_parse_duration(const char *text, double *seconds) {
  num_t n; const char *u; size_t len;
  double v;
  if (!split(text, &n, &u, &len)) return -FL_EPARSE;
  const unit_t *t = len ? find_unit(duration_units, COUNT(duration_units), u, len) : &seconds_unit;
  if (!t || !to_double(&n, t->shift, &v)) return -FL_EPARSE;
  v *= t->mul;
  if (!isfinite(v)) return -FL_EPARSE;
  *seconds = v;
  return 0;
}

int fl_parse_rate(const char *text, double *per_second) {
  num_t n; const char *u; size_t len;
  double v;
  if (!split(text, &n, &u, &len)) return -FL_EPARSE;
  const unit_t *t = &seconds_unit;
  if (len > 0 && !(len == 3 && memcmp(u, "rps", 3) == 0)) {
    if (u[0] != '/') return -FL_EPARSE;
    const char *w = skip_space(u + 1);
    size_t wl = len - (size_t)(w - u);
    t = find_unit(duration_units, COUNT(duration_units), w, wl);
    if (!t) t = find_unit(rate_aliases, COUNT(rate_aliases), w, wl);
    if (!t) return -FL_EPARSE;
  }
  if (!to_double(&n, -t->shift, &v)) return -FL_EPARSE;
  v /= t->mul;
  *per_second = v;
  return 0;
}

static const unit_t size_units[] = {
  {"B", 0, 1}, {"kB", 0, 1024.0}, {"KB", 0, 1024.0}, {"KiB", 0, 1024.0}, {"MB", 0, 1048576.0}, {"MiB", 0, 1048576.0},
  {"GB", 0, 1073741824.0}, {"GiB", 0, 1073741824.0}, {"TB", 0, 1099511627776.0}, {"TiB", 0, 1099511627776.0},
};

int fl_parse_size(const char *text, double *bytes) {
  num_t n; const char *u; size_t len;
  double v;
  if (!split(text, &n, &u, &len)) return -FL_EPARSE;
  const unit_t *t = len ? find_unit(size_units, COUNT(size_units), u, len) : &size_units[0];
  if (!t || !to_double(&n, 0, &v)) return -FL_EPARSE;
  v *= t->mul;
  if (!isfinite(v) || v <= 0) return -FL_EPARSE;
  *bytes = v;
  return 0;
}

/* Out-of-range values ("150%", "1.5") are -FL_EPARSE too, like the other parsers. */
int fl_parse_fraction(const char *text, double *fraction) {
  num_t n; const char *u; size_t len;
  double v;
  if (!split(text, &n, &u, &len)) return -FL_EPARSE;
  int shift = 0;
  if (len == 1 && u[0] == '%') shift = -2;
  else if (len != 0) return -FL_EPARSE;
  if (!to_double(&n, shift, &v) || !(v >= 0 && v <= 1)) return -FL_EPARSE;
  *fraction = v;
  return 0;
}

/* Spaces are allowed before the operator and between it and the value, not inside it
** ("> =" is rejected). A value starting with another operator character ("<<5", ">==1")
** or an empty value is rejected here rather than left to the value parser. */
int fl_parse_comparison(const char *text, char op[3], const char **value) {
  if (!text) return -FL_EPARSE;
  const char *p = skip_space(text);
  size_t len;
  if (p[0] == '<' || p[0] == '>') len = p[1] == '=' ? 2 : 1;
  else if (p[0] == '=' && p[1] == '=') len = 2;
  else return -FL_EPARSE;
  const char *v = skip_space(p + len);
  if (*v == '\0' || strchr("<>=!", *v)) return -FL_EPARSE;
  memcpy(op, p, len);
  op[len] = '\0';
  *value = v;
  return 0;
}

/* Formatting rule: among the units d, h, m, s, ms, us, ns in which the value is >= 1, take
** the largest that states it exactly in at most 3 significant digits (90 -> "1.5m",
** 100 -> "100s", 90000 -> "25h"); if none does, the largest such unit rounded to 3 significant
** digits (100.2 -> "1.67m", 1.2345 -> "1.23s"), moving up a unit when rounding reaches it
** (59.97 -> "1m"). Days never move up: 1234 days prints whole, "1234d" (from 1e15 days, "%.3g").
** Below 1ns: "%.3g" ns.
** Zero is "0s"; negatives get a '-'; NaN and infinities print as "nan", "inf". */
typedef struct { const char *name; double mul, div; } fmt_unit_t;  /* mul/div seconds */
static const fmt_unit_t format_units[] = {
  {"d", 86400, 1}, {"h", 3600, 1}, {"m", 60, 1}, {"s", 1, 1}, {"ms", 1, 1e3}, {"us", 1, 1e6},
  {"ns", 1, 1e9},
};

/* v >= 1 rounded to 3 significant digits; '*decimals' is how many to print. */
static double round3(double v, int *decimals) {
  int k = -2;  /* v rounds at 10^k */
  for (double lim = 10; v >= lim && k < 300; lim *= 10) k++;
  *decimals = k < 0 ? -k : 0;
  if (k < 0) { double s = k == -1 ? 10 : 100; return round(v * s) / s; }
  double p = pow(10, k);
  return round(v / p) * p;
}

static void print_value(char *buf, size_t n, const char *sign, double v, int decimals, const char *unit) {
  char num[64];
  snprintf(num, sizeof num, "%.*f", decimals, v);
  if (decimals > 0) {  /* drop trailing zeros and a bare '.' */
    size_t l = strlen(num);
    while (num[l - 1] == '0') num[--l] = '\0';
    if (num[l - 1] == '.') num[--l] = '\0';
  }
  snprintf(buf, n, "%s%s%s", sign, num, unit);
}

void fl_format_duration(double seconds, char *buf, size_t n) {
  if (n == 0) return;
  if (isnan(seconds)) { snprintf(buf, n, "nan"); return; }
  const char *sign = seconds < 0 ? "-" : "";
  double x = fabs(seconds);
  if (isinf(x)) { snprintf(buf, n, "%sinf", sign); return; }
  if (x == 0) { snprintf(buf, n, "0s"); return; }
  int fallback = -1;
  for (int i = 0; i < (int)COUNT(format_units); i++) {
    double v = x * format_units[i].div / format_units[i].mul;
    if (v < 1) continue;
    if (fallback < 0) fallback = i;
    int d;
    double r = round3(v, &d);
    if (v < 1e15 && fabs(r - v) <= 1e-9 * v) { print_value(buf, n, sign, r, d, format_units[i].name); return; }
  }
  if (fallback < 0) {  /* below 1ns */
    snprintf(buf, n, "%s%.3gns", sign, x * 1e9);
    return;
  }
  const fmt_unit_t *u = &format_units[fallback];
  double v = x * u->div / u->mul;
  int d;
  double r = round3(v, &d);
  if (fallback == 0) {
    if (v >= 1e15) { snprintf(buf, n, "%s%.3gd", sign, v); return; }
    if (v >= 1000) { r = round(v); d = 0; }
  } else {
    /* Units are listed largest first; 'ratio' is how many of this unit make the next larger. */
    const fmt_unit_t *up = u - 1;
    double ratio = up->mul / up->div * u->div / u->mul;
    if (r >= ratio * (1 - 1e-12)) { print_value(buf, n, sign, 1, 0, up->name); return; }
  }
  print_value(buf, n, sign, r, d, u->name);
}

/* Wall-clock time for people: "850ms", "12.3s", "1m25s", "2h03m" (never "1.42m", which reads as millions). */
void fl_format_wall(double sec, char *buf, size_t n) {
  if (!(sec >= 0) || sec > 1e12) { snprintf(buf, n, "-"); return; }
  if (sec < 1) { snprintf(buf, n, "%.0fms", sec * 1000); return; }
  if (sec < 59.95) { snprintf(buf, n, "%.1fs", sec); return; }
  long long s = (long long)(sec + 0.5);
  if (s < 3600) snprintf(buf, n, "%lldm%02llds", s / 60, s % 60);
  else snprintf(buf, n, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
}
