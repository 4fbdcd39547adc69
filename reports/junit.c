/* Expectations as a JUnit XML file for CI systems: one test case per expectation, a failure
** carrying what was wanted and what was observed. */
#include "faultline/io.h"
#include "faultline/report.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Text for an XML attribute or element: the markup characters as entities, tab and line breaks
** as character references, and what XML 1.0 cannot hold at all (the other control characters,
** bytes that are not UTF-8) as U+FFFD, so that one odd expectation name never makes the whole
** file unreadable to a CI server. */
static void xml_escape(FILE *f, const char *s) {
  fl_text_t t = { 0 };
  fl_text_put_utf8(&t, s, strlen(s));
  for (size_t i = 0; i < t.n; i++) {
    unsigned char c = (unsigned char)t.p[i];
    switch (c) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\t': fputs("&#9;", f); break;
    case '\n': fputs("&#10;", f); break;
    case '\r': fputs("&#13;", f); break;
    default:
      if (c < 0x20 || c == 0x7f) fputs("\xEF\xBF\xBD", f);
      else fputc(c, f);
    }
  }
  fl_text_release(&t);
}

int fl_report_write_junit(const fl_sim_t *s, const fl_run_info_t *run, const char *path, char *err, size_t errlen) {
  const fl_model_t *m = s->m;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) { snprintf(err, errlen, "out of memory"); return -FL_ENOMEM; }
  int failures = 0;
  for (int x = 0; x < m->nexpects; x++) failures += !s->exp[x].passed;
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"");
  xml_escape(f, m->name);
  fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"0\" time=\"%.3f\">\n", m->nexpects, failures, run ? run->wall_seconds : 0.0);
  for (int x = 0; x < m->nexpects; x++) {
    char w[512], o[512];
    fl_expect_wanted(&m->expects[x], w, sizeof w);
    fl_expect_observed(s, x, o, sizeof o);
    /* a classname CI servers split on dots and show as a package: no spaces or odd characters */
    fprintf(f, "  <testcase classname=\"faultline.");
    for (const char *c = m->name; *c; c++) fputc(isalnum((unsigned char)*c) || *c == '_' || *c == '-' ? *c : '_', f);
    fprintf(f, "\" time=\"0\" name=\"");
    xml_escape(f, m->expects[x].name);
    fprintf(f, "\">");
    if (!s->exp[x].passed) {
      fprintf(f, "\n    <failure message=\"wanted ");
      xml_escape(f, w);
      fprintf(f, ", observed ");
      xml_escape(f, o);
      fprintf(f, "\">");
      xml_escape(f, m->expects[x].file);
      fprintf(f, ":%d: wanted ", m->expects[x].line);
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
