/* The terminal text after the summary: the health timeline and cascades, the policies that
** acted, the scenario's log, scaling events and the expectations, in that order; and the one
** gate every terminal text passes, which keeps names from driving the terminal. */
#include "faultline/io.h"
#include "faultline/report.h"
#include "faultline/units.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void fl_report_time(const fl_model_t *m, double sec, char *buf, size_t n) {
  /* one unit for the whole run, chosen by its length: never "t=1700s" between "t=15.5m" and "t=45m" */
  if (m->duration < 600) snprintf(buf, n, "%.10gs", round(sec * 1000) / 1000);
  else if (m->duration < 36000) snprintf(buf, n, "%.10gm", round(sec / 60 * 100) / 100);
  else snprintf(buf, n, "%.10gh", round(sec / 3600 * 100) / 100);
}

/* ---- the gate ---- */

/* Our own colours (reports/summary.c, cascade.c, expect.c): the only escapes that pass. */
static const char *const colours[] = { "\033[0m", "\033[31m", "\033[32m", "\033[33m" };

void fl_report_terminal_write(FILE *out, const char *text, size_t n, bool color) {
  fl_text_t t = { 0 }, o = { 0 };
  fl_text_put_utf8(&t, text, n);   /* a stray byte 0x9b is an 8-bit CSI to some terminals */
  for (size_t i = 0; i < t.n;) {
    unsigned char c = (unsigned char)t.p[i];
    size_t keep = 0;
    if (c == 033 && color)
      for (size_t k = 0; k < sizeof colours / sizeof *colours; k++) {
        size_t l = strlen(colours[k]);
        if (t.n - i >= l && memcmp(t.p + i, colours[k], l) == 0) keep = l;
      }
    if (keep) { fl_text_put(&o, t.p + i, keep); i += keep; continue; }
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) { i++; continue; }   /* C0: ESC, BEL, CR, BS... */
    if (c == 0xC2 && i + 1 < t.n && (unsigned char)t.p[i + 1] < 0xA0) { i += 2; continue; }   /* C1 as UTF-8 */
    fl_text_put(&o, t.p + i, 1);
    i++;
  }
  if (o.n) fwrite(o.p, 1, o.n, out);
  fl_text_release(&t);
  fl_text_release(&o);
}

/* Runs 'draw' into memory, then through the gate onto 'out'. */
void fl__report_gated(FILE *out, bool color, void (*draw)(FILE *f, const void *a, const void *b, bool color), const void *a, const void *b) {
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (!mem) return;
  draw(mem, a, b, color);
  fclose(mem);
  fl_report_terminal_write(out, buf, len, color);
  free(buf);
}

/* ---- the text after the summary ---- */

static void cascade_text(FILE *out, const void *sp, const void *unused, bool color) {
  const fl_sim_t *s = sp;
  (void)unused;
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
  fl_report_model_changes_text(out, s);
  fl_report_expectations_text(out, s, color);
}

void fl_report_cascade_text(FILE *out, const fl_sim_t *s, bool color) { fl__report_gated(out, color, cascade_text, s, NULL); }
