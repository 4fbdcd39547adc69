/* Expectations as a JUnit XML file for CI systems: one test case per expectation, a failure
** carrying what was wanted and what was observed. */
#include "faultline/io.h"
#include "faultline/report.h"

#include <stdlib.h>

static void xml_escape(FILE *f, const char *t) {
  for (; *t; t++) {
    switch (*t) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    default: fputc(*t, f);
    }
  }
}

int fl_report_write_junit(const fl_sim_t *s, const char *path, char *err, size_t errlen) {
  const fl_model_t *m = s->m;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) { snprintf(err, errlen, "out of memory"); return -FL_ENOMEM; }
  int failures = 0;
  for (int x = 0; x < m->nexpects; x++) failures += !s->exp[x].passed;
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"");
  xml_escape(f, m->name);
  fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"0\">\n", m->nexpects, failures);
  for (int x = 0; x < m->nexpects; x++) {
    char w[512], o[512];
    fl_expect_wanted(&m->expects[x], w, sizeof w);
    fl_expect_observed(s, x, o, sizeof o);
    fprintf(f, "  <testcase classname=\"faultline.");
    xml_escape(f, m->name);
    fprintf(f, "\" name=\"");
    xml_escape(f, m->expects[x].name);
    fprintf(f, "\">");
    if (!s->exp[x].passed) {
      fprintf(f, "\n    <failure message=\"wanted ");
      xml_escape(f, w);
      fprintf(f, ", observed ");
      xml_escape(f, o);
      fprintf(f, "\">%s:%d: wanted ", m->expects[x].file, m->expects[x].line);
      xml_escape(f, w);
      fprintf(f, "; observed ");
      xml_escape(f, o);
      fprintf(f, "</failure>\n  ");
    }
    fprintf(f, "</testcase>\n");
  }
  fprintf(f, "</testsuite>\n</testsuites>\n");
  fclose(f);
  int rc = fl_write_atomic(path, buf, len, err, errlen);
  free(buf);
  return rc;
}
