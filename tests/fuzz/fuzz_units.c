/* libFuzzer target: the unit parsers and the duration formatter (sim/core/units.c). Whatever the text,
** a parser either fails leaving its out-param alone or gives a finite value in range; a duration
** formatted reads back within the formatter's rounding (3 significant digits), twice over. */
#include "fuzz.h"

#include "faultline/units.h"

#include <math.h>

FUZZ_TARGET(units) {
  if (size > 4096) return 0;
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  const double untouched = -12345.5;
  double v = untouched;
  if (fl_parse_duration(text, &v) == 0) {
    FUZZ_CHECK(isfinite(v) && v >= 0, "duration '%s' -> %g", text, v);
    char buf[64], again[64];
    fl_format_duration(v, buf, sizeof buf);
    double w = untouched;
    FUZZ_CHECK(fl_parse_duration(buf, &w) == 0, "'%s' -> %g -> '%s' does not read back", text, v, buf);
    FUZZ_CHECK(fabs(w - v) <= 0.006 * v, "'%s' -> %.17g -> '%s' -> %.17g", text, v, buf, w);
    /* not idempotent, and need not be: 19763981114s prints "228750d" (days round whole), which
    ** is exactly "5490000h", the shorter form (tests/fuzz/units/format-not-idempotent) */
    fl_format_duration(w, again, sizeof again);
    double x = untouched;
    FUZZ_CHECK(fl_parse_duration(again, &x) == 0 && fabs(x - w) <= 0.006 * w, "'%s' -> '%s' -> '%s'", text, buf, again);
    char tiny[4];
    fl_format_duration(v, tiny, sizeof tiny);   /* truncates, never overflows */
  } else {
    FUZZ_CHECK(v == untouched, "failed duration '%s' wrote %g", text, v);
  }
  v = untouched;
  if (fl_parse_rate(text, &v) == 0) FUZZ_CHECK(isfinite(v) && v >= 0, "rate '%s' -> %g", text, v);
  else FUZZ_CHECK(v == untouched, "failed rate '%s' wrote %g", text, v);
  v = untouched;
  if (fl_parse_fraction(text, &v) == 0) FUZZ_CHECK(v >= 0 && v <= 1, "fraction '%s' -> %g", text, v);
  else FUZZ_CHECK(v == untouched, "failed fraction '%s' wrote %g", text, v);
  char op[3] = "";
  const char *rest = NULL;
  if (fl_parse_comparison(text, op, &rest) == 0) {
    FUZZ_CHECK(rest && rest >= text && rest <= text + size, "comparison '%s': rest outside the text", text);
    FUZZ_CHECK(strlen(op) >= 1 && strlen(op) <= 2, "comparison '%s': operator '%s'", text, op);
    double x;
    (void)fl_parse_duration(rest, &x);
    (void)fl_parse_fraction(rest, &x);
  }
  /* any double formats without overflowing its buffer */
  if (size >= sizeof(double)) {
    double d;
    memcpy(&d, data, sizeof d);
    char buf[64];
    fl_format_duration(d, buf, sizeof buf);
    FUZZ_CHECK(strlen(buf) < sizeof buf - 1, "formatting %g filled the buffer", d);
  }
  free(text);
  return 0;
}
