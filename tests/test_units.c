/* Tests for sim/core/units.c: every accepted and rejected form of durations, rates, fractions and
** comparisons, with exact values, and the duration formatter's rule. */
#define CHECK_MAIN
#include "check.h"

#include "faultline/units.h"

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

typedef struct { const char *text; double want; } accept_t;

/* Every 'want' is the literal the parser must produce bit for bit. */
static const accept_t durations[] = {
  {"250us", 0.00025}, {"12ms", 0.012}, {"1.5s", 1.5}, {"10m", 600}, {"2h", 7200}, {"1d", 86400},
  {"3 ms", 0.003}, {"7\xC2\xB5s", 7e-6}, {"7\xCE\xBCs", 7e-6}, {"100ns", 1e-7}, {"1.5ms", 0.0015},
  {"5", 5}, {"0", 0}, {"0s", 0}, {"0.25", 0.25}, {"+2s", 2}, {".5s", 0.5}, {"5.s", 5},
  {"1e3ms", 1}, {"2E-3s", 0.002}, {"1e+2s", 100}, {"  12ms  ", 0.012}, {"\t12\tms\n", 0.012},
  {"1.5h", 5400}, {"0.5d", 43200}, {"007s", 7}, {"1.1ms", 0.0011}, {"0.3s", 0.3}, {"5.e3ms", 5},
  {"1.1m", 66}, {"1e-400s", 0},
};

static const char *const bad_durations[] = {
  "", "   ", "ms", "s", "12 ms x", "12mss", "12 s s", "-1s", "-0", "- 1s", "+-1s", "++1s",
  "nan", "NaN", "nans", "inf", "infs", "infinity", "-inf", "0x10", "0x10s", "0X1p3", "12 parsecs",
  "12MS", "12S", "12sec", "12min", "1..5s", "1.5.s", "1e", "1es", "1e+s", ".", "+", ".s",
  "s12", "1 2s", "1,5s", "1e999s", "1e308d", "12ms\x01", "\xC2\xB5s", "7\xB5s",
};

TEST(duration_accepts_every_unit_and_spacing) {
  for (size_t i = 0; i < COUNT(durations); i++) {
    double v = -1;
    int rc = fl_parse_duration(durations[i].text, &v);
    CHECK_MSG(rc == 0, "'%s' rejected (%d)", durations[i].text, rc);
    CHECK_MSG(v == durations[i].want, "'%s' -> %.17g, want %.17g", durations[i].text, v, durations[i].want);
  }
}

TEST(duration_rejects_garbage_negatives_nan_inf_hex_and_unknown_units) {
  for (size_t i = 0; i < COUNT(bad_durations); i++) {
    double v = 123;
    int rc = fl_parse_duration(bad_durations[i], &v);
    CHECK_MSG(rc == -FL_EPARSE, "'%s' accepted as %.17g (rc %d)", bad_durations[i], v, rc);
    CHECK_MSG(v == 123, "'%s' wrote the out-param on failure", bad_durations[i]);
  }
  double v;
  CHECK_EQ_INT(fl_parse_duration(NULL, &v), -FL_EPARSE);
}

static const accept_t rates[] = {
  {"2000/s", 2000}, {"90000/m", 1500}, {"5/h", 5.0 / 3600}, {"12/ms", 12000}, {"3.5/s", 3.5},
  {"100", 100}, {"2000 rps", 2000}, {"2000rps", 2000}, {"60/min", 1}, {"10/sec", 10},
  {"10 / s", 10}, {"10 /s", 10}, {"1/d", 1.0 / 86400}, {"1/us", 1e6}, {"1/\xC2\xB5s", 1e6},
  {"3/ns", 3e9}, {"0/s", 0}, {" 7/s ", 7}, {"+1e3/s", 1000}, {"1.1/ms", 1100}, {"0.3/us", 3e5},
};

static const char *const bad_rates[] = {
  "", " ", "/s", "rps", "-5/s", "-5", "nan/s", "nan", "inf", "inf/s", "0x10/s", "5/parsec",
  "5/", "5/ ", "5 per s", "5/s x", "5//s", "5/ss", "5s", "5/S", "5 rps x", "5rpss", "5/2s",
  "1e308/ns",
};

TEST(duration_parses_mantissas_longer_than_the_stack_buffer) {
  char text[400];
  double v = -1;
  snprintf(text, sizeof text, "0.%0200de200s", 1);  /* 1e-200, written out */
  CHECK_EQ_INT(fl_parse_duration(text, &v), 0);
  CHECK(v == 1);
  snprintf(text, sizeof text, "1%0200de-200ms", 0);
  CHECK_EQ_INT(fl_parse_duration(text, &v), 0);
  CHECK(v == 0.001);
  snprintf(text, sizeof text, "0x%0200ds", 1);
  CHECK_EQ_INT(fl_parse_duration(text, &v), -FL_EPARSE);
}

/* Decimal units shift the exponent instead of dividing: "X ms" is exactly strtod("Xe-3"). */
TEST(decimal_units_round_once_like_the_literal) {
  for (int i = 0; i < 100000; i++) {
    char text[32], lit[32];
    double v, want;
    snprintf(text, sizeof text, "%d.%03dms", i / 1000, i % 1000);
    snprintf(lit, sizeof lit, "%d.%03de-3", i / 1000, i % 1000);
    want = strtod(lit, NULL);
    CHECK_MSG(fl_parse_duration(text, &v) == 0 && v == want, "'%s' -> %.17g, want %.17g", text, v, want);
    snprintf(text, sizeof text, "%d.%03d%%", i / 1000 % 100, i % 1000);
    snprintf(lit, sizeof lit, "%d.%03de-2", i / 1000 % 100, i % 1000);
    want = strtod(lit, NULL);
    CHECK_MSG(fl_parse_fraction(text, &v) == 0 && v == want, "'%s' -> %.17g, want %.17g", text, v, want);
    if (check_failed_now) return;
  }
}

TEST(rate_accepts_per_unit_forms_and_bare_numbers) {
  for (size_t i = 0; i < COUNT(rates); i++) {
    double v = -1;
    int rc = fl_parse_rate(rates[i].text, &v);
    CHECK_MSG(rc == 0, "'%s' rejected (%d)", rates[i].text, rc);
    CHECK_MSG(v == rates[i].want, "'%s' -> %.17g, want %.17g", rates[i].text, v, rates[i].want);
  }
}

TEST(rate_rejects_negatives_nan_inf_and_unknown_units) {
  for (size_t i = 0; i < COUNT(bad_rates); i++) {
    double v = 123;
    int rc = fl_parse_rate(bad_rates[i], &v);
    CHECK_MSG(rc == -FL_EPARSE, "'%s' accepted as %.17g (rc %d)", bad_rates[i], v, rc);
    CHECK_MSG(v == 123, "'%s' wrote the out-param on failure", bad_rates[i]);
  }
  double v;
  CHECK_EQ_INT(fl_parse_rate(NULL, &v), -FL_EPARSE);
}

static const accept_t fractions[] = {
  {"99.5%", 0.995}, {"0.5", 0.5}, {"0", 0}, {"1", 1}, {"100%", 1}, {"0%", 0}, {"50 %", 0.5},
  {"0.1%", 0.001}, {"99.9%", 0.999}, {"99.95%", 0.9995}, {"99.99%", 0.9999}, {"99.999%", 0.99999}, {" 0.25 ", 0.25}, {"1e1%", 0.1}, {"+.5", 0.5},
};

static const char *const bad_fractions[] = {
  "", "%", "150%", "100.1%", "1.5", "1.0000001", "-0.1", "-1%", "-0", "50%%", "50% x", "nan",
  "nan%", "inf", "0x1", "50 percent", "0.5s", "% 50",
};

TEST(fraction_accepts_percentages_and_ratios_within_zero_one) {
  for (size_t i = 0; i < COUNT(fractions); i++) {
    double v = -1;
    int rc = fl_parse_fraction(fractions[i].text, &v);
    CHECK_MSG(rc == 0, "'%s' rejected (%d)", fractions[i].text, rc);
    CHECK_MSG(v == fractions[i].want, "'%s' -> %.17g, want %.17g", fractions[i].text, v, fractions[i].want);
  }
}

TEST(fraction_rejects_out_of_range_and_malformed_values) {
  for (size_t i = 0; i < COUNT(bad_fractions); i++) {
    double v = 123;
    int rc = fl_parse_fraction(bad_fractions[i], &v);
    CHECK_MSG(rc == -FL_EPARSE, "'%s' accepted as %.17g (rc %d)", bad_fractions[i], v, rc);
    CHECK_MSG(v == 123, "'%s' wrote the out-param on failure", bad_fractions[i]);
  }
}

typedef struct { const char *text, *op, *value; } cmp_t;

/* 'value' is what the caller gets: leading spaces skipped, trailing spaces kept (the value
** parsers accept them). */
static const cmp_t comparisons[] = {
  {"<300ms", "<", "300ms"}, {"  >= 99.5%", ">=", "99.5%"}, {"<= 1s", "<=", "1s"}, {">5", ">", "5"},
  {"==  0", "==", "0"}, {"\t<\t1ms", "<", "1ms"}, {"> 2000/s ", ">", "2000/s "}, {"<=1", "<=", "1"},
  {">=.5", ">=", ".5"},
};

static const char *const bad_comparisons[] = {
  "", "   ", "300ms", "=5", "!=5", "=<5", "=>5", "> =5", "= =5", "<", ">=", ">=   ", "==\t",
  "<<5", ">==5", "<>5", "<!5", "~5",
};

TEST(comparison_splits_operator_and_value_with_any_spacing) {
  for (size_t i = 0; i < COUNT(comparisons); i++) {
    char op[3] = "xx";
    const char *value = NULL;
    int rc = fl_parse_comparison(comparisons[i].text, op, &value);
    CHECK_MSG(rc == 0, "'%s' rejected (%d)", comparisons[i].text, rc);
    CHECK_EQ_STR(op, comparisons[i].op);
    CHECK_EQ_STR(value, comparisons[i].value);
  }
}

TEST(comparison_rejects_unknown_operators_and_missing_values) {
  for (size_t i = 0; i < COUNT(bad_comparisons); i++) {
    char op[3] = "xx";
    const char *value = "untouched";
    int rc = fl_parse_comparison(bad_comparisons[i], op, &value);
    CHECK_MSG(rc == -FL_EPARSE, "'%s' accepted as '%s' '%s' (rc %d)", bad_comparisons[i], op, value, rc);
    CHECK_EQ_STR(value, "untouched");
  }
  char op[3];
  const char *value;
  CHECK_EQ_INT(fl_parse_comparison(NULL, op, &value), -FL_EPARSE);
}

TEST(comparison_value_feeds_the_value_parsers) {
  char op[3];
  const char *value;
  double v;
  CHECK_EQ_INT(fl_parse_comparison("  < 300 ms  ", op, &value), 0);
  CHECK_EQ_INT(fl_parse_duration(value, &v), 0);
  CHECK(v == 0.3);
  CHECK_EQ_INT(fl_parse_comparison(">= 99.5% ", op, &value), 0);
  CHECK_EQ_INT(fl_parse_fraction(value, &v), 0);
  CHECK(v == 0.995);
}

typedef struct { double seconds; const char *want; } fmt_t;

static const fmt_t formats[] = {
  {0, "0s"}, {-0.0, "0s"}, {0.00025, "250us"}, {0.012, "12ms"}, {1.5, "1.5s"}, {600, "10m"},
  {7200, "2h"}, {86400, "1d"}, {90, "1.5m"}, {100, "100s"}, {90000, "25h"}, {5400, "1.5h"},
  {1, "1s"}, {1e-9, "1ns"}, {1e-6, "1us"}, {0.001, "1ms"}, {0.1 + 0.2, "300ms"}, {3.25, "3.25s"},
  {12.5, "12.5s"}, {0.0015, "1.5ms"}, {61, "61s"}, {3660, "61m"},
  /* not exact in 3 digits: largest unit >= 1, rounded, moving up when rounding reaches it */
  {100.2, "1.67m"}, {1.2345, "1.23s"}, {1.234e-6, "1.23us"}, {59.97, "1m"}, {0.9999, "1s"},
  {0.0009996, "1ms"}, {3601, "1h"}, {86399, "1d"}, {123.4, "2.06m"},
  /* days never move up */
  {2000 * 86400.0, "2000d"}, {1234.4 * 86400, "1234d"}, {1e300, "1.16e+295d"},
  {2e15 * 86400, "2e+15d"},
  /* below a nanosecond, signs, non-finite */
  {5e-10, "0.5ns"}, {-0.012, "-12ms"}, {-90, "-1.5m"}, {NAN, "nan"}, {INFINITY, "inf"},
  {-INFINITY, "-inf"},
};

TEST(format_duration_picks_the_largest_exact_unit_with_three_digits) {
  for (size_t i = 0; i < COUNT(formats); i++) {
    char buf[32];
    fl_format_duration(formats[i].seconds, buf, sizeof buf);
    CHECK_MSG(strcmp(buf, formats[i].want) == 0, "%.17g -> '%s', want '%s'", formats[i].seconds, buf, formats[i].want);
  }
}

TEST(format_duration_truncates_to_the_buffer_and_ignores_empty_buffers) {
  char buf[4] = "zzz";
  fl_format_duration(0.00025, buf, 0);
  CHECK_EQ_STR(buf, "zzz");
  fl_format_duration(0.00025, buf, sizeof buf);
  CHECK_EQ_STR(buf, "250");
}

TEST(format_then_parse_round_trips) {
  static const char *const texts[] = {
    "0s", "250us", "12ms", "1.5s", "10m", "2h", "1.5m", "100s", "25h", "1d", "1ns", "999ms",
    "1.01s", "123us", "4.56ns", "2000d", "7.5h",
  };
  for (size_t i = 0; i < COUNT(texts); i++) {
    double v;
    char buf[32];
    CHECK_EQ_INT(fl_parse_duration(texts[i], &v), 0);
    fl_format_duration(v, buf, sizeof buf);
    CHECK_EQ_STR(buf, texts[i]);
  }
}

TEST(wall_times_read_as_minutes_and_seconds) {
  char b[32];
  fl_format_wall(85.2, b, sizeof b); CHECK_EQ_STR(b, "1m25s");
  fl_format_wall(12.34, b, sizeof b); CHECK_EQ_STR(b, "12.3s");
  fl_format_wall(0.25, b, sizeof b); CHECK_EQ_STR(b, "250ms");
  fl_format_wall(7385, b, sizeof b); CHECK_EQ_STR(b, "2h03m");
  fl_format_wall(-1, b, sizeof b); CHECK_EQ_STR(b, "-");
}
