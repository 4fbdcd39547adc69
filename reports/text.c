/* The terminal text after the summary: the health timeline and cascades, the policies that
** acted, the scenario's log, scaling events and the expectations, in that order. */
#include "faultline/report.h"
#include "faultline/units.h"

#include <math.h>

void fl_report_time(const fl_model_t *m, double sec, char *buf, size_t n) {
  /* one unit for the whole run, chosen by its length: never "t=1700s" between "t=15.5m" and "t=45m" */
  if (m->duration < 600) snprintf(buf, n, "%.10gs", round(sec * 1000) / 1000);
  else if (m->duration < 36000) snprintf(buf, n, "%.10gm", round(sec / 60 * 100) / 100);
  else snprintf(buf, n, "%.10gh", round(sec / 3600 * 100) / 100);
}

void fl_report_cascade_text(FILE *out, const fl_sim_t *s, bool color) {
  const fl_model_t *m = s->m;
  fl_cascade_t c;
  fl_cascade_init(&c, s);
  fl_report_cascade_lines(out, s, &c, color);
  fl_cascade_release(&c);
  fl_report_policies_text(out, s);
  if (s->nlogs) {
    fprintf(out, "\nlog\n");
    for (int i = 0; i < s->nlogs; i++) {
      char t[32];
      fl_report_time(m, fl_time_to_sec(s->logs[i].t), t, sizeof t);
      fprintf(out, "  t=%-7s %s\n", t, s->logs[i].msg);
    }
  }
  if (s->nsev) {
    fprintf(out, "\nscaling\n");
    for (int i = 0; i < s->nsev; i++) {
      char t[32];
      fl_report_time(m, fl_time_to_sec(s->sev[i].t), t, sizeof t);
      fprintf(out, "  t=%-7s %s %d → %d  %s\n", t, m->services[s->sev[i].service].name, s->sev[i].from, s->sev[i].to, s->sev[i].reason);
    }
  }
  fl_report_expectations_text(out, s, color);
}
