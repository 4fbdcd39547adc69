/* fl_import: reads a file in one of the import formats and writes its scenario or fault lines,
** whole or not at all; with the helpers the importers share (errors, notes, names, durations). */
#include "import_int.h"
#include "faultline/units.h"

#include "faultline/io.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const format_names[FL_IMPORT__COUNT] = { "jaeger", "otel", "toxiproxy", "chaos-mesh", "traces" };

int fl_import_format_parse(const char *name) {
  for (int i = 0; i < FL_IMPORT__COUNT; i++) if (strcmp(name, format_names[i]) == 0) return i;
  if (strcmp(name, "chaosmesh") == 0) return FL_IMPORT_CHAOS_MESH;
  if (strcmp(name, "opentelemetry") == 0) return FL_IMPORT_OTEL;
  return -1;
}

const char *fl_import_format_name(fl_import_format_t f) {
  return (unsigned)f < FL_IMPORT__COUNT ? format_names[f] : "?";
}

int fl__imp_err(char *err, size_t n, const char *file, int line, const char *fmt, ...) {
  int w = line > 0 ? snprintf(err, n, "%s:%d: ", file, line) : snprintf(err, n, "%s: ", file);
  if (w < 0) w = 0;
  va_list ap;
  va_start(ap, fmt);
  if ((size_t)w < n) vsnprintf(err + w, n - (size_t)w, fmt, ap);
  va_end(ap);
  return -FL_EPARSE;
}

void fl__imp_note(FILE *notes, const char *fmt, ...) {
  if (!notes) return;
  va_list ap;
  va_start(ap, fmt);
  fputs("faultline: note: ", notes);
  vfprintf(notes, fmt, ap);
  fputc('\n', notes);
  va_end(ap);
}

int fl__imp_read_file(const char *path, char **text, size_t *len, char *err, size_t n) {
  char *buf;
  size_t used;
  int rc = fl_read_file(path, NULL, &buf, &used, err, n);
  *text = NULL; *len = 0;
  if (rc) return rc;
  if (strlen(buf) != used) {
    size_t at = strlen(buf);
    int line = 1;
    for (size_t i = 0; i < at; i++) line += buf[i] == '\n';
    free(buf);
    return fl__imp_err(err, n, path, line, "a NUL byte: this is not a text file");
  }
  *text = buf; *len = used;
  return 0;
}

void fl__lua_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
    else if (*p == '\n') fputs("\\n", out);
    else if (*p < 0x20 || *p == 0x7f) fprintf(out, "\\%03u", *p);
    else fputc(*p, out);
  }
  fputc('"', out);
}

void fl__fmt_rate(char *buf, size_t n, double r) {
  if (r >= 1 || r == 0) snprintf(buf, n, "%.6g/s", r);
  else if (r * 60 >= 1) snprintf(buf, n, "%.6g/m", r * 60);
  else snprintf(buf, n, "%.6g/h", r * 3600);
}

void fl__write_scenario_line(FILE *out, const char *name, const fl_import_opts_t *o) {
  char dur[32] = "10m", wu[32] = "1m";
  if (o->has_duration && o->duration > 0) {
    fl_format_duration(o->duration, dur, sizeof dur);
    fl_format_duration(o->duration / 10, wu, sizeof wu);
  }
  fprintf(out, "\nscenario { name = ");
  fl__lua_string(out, name);
  fprintf(out, ", duration = \"%s\", warmup = \"%s\", seed = 1 }  -- %s\n", dur, wu,
          o->has_duration ? "duration given (--duration), warm-up a tenth of it (guessed)" : "guessed: duration and warm-up (--duration sets them)");
}

void fl__fmt_dur(char *buf, size_t n, double s) {
  if (!(s > 0)) snprintf(buf, n, "0s");
  else if (s < 1e-3) snprintf(buf, n, "%.4gus", s * 1e6);
  else if (s < 1) snprintf(buf, n, "%.4gms", s * 1e3);
  else snprintf(buf, n, "%.4gs", s);
}

bool fl__sanitize_name(char *name) {
  bool changed = false;
  for (unsigned char *p = (unsigned char *)name; *p; p++)
    if (*p == '.' || *p == '=' || *p == ',' || *p < 0x20 || *p == 0x7f) { *p = '_'; changed = true; }
  return changed;
}

int fl__parse_go_duration(const char *s, double *seconds) {
  static const struct { const char *unit; double mult; } units[] = {
    { "ns", 1e-9 }, { "us", 1e-6 }, { "\xc2\xb5s", 1e-6 }, { "\xce\xbcs", 1e-6 }, { "ms", 1e-3 },
    { "s", 1 }, { "m", 60 }, { "h", 3600 },
  };
  double total = 0;
  const char *p = s;
  if (!*p) return -1;
  if (strcmp(p, "0") == 0) { *seconds = 0; return 0; }
  while (*p) {
    char *end;
    if (!(isdigit((unsigned char)*p) || *p == '.')) return -1;
    errno = 0;
    double v = strtod(p, &end);
    if (end == p || errno || !isfinite(v) || v < 0) return -1;
    p = end;
    int best = -1; size_t bestlen = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
      size_t l = strlen(units[i].unit);
      if (strncmp(p, units[i].unit, l) == 0 && l > bestlen) { best = (int)i; bestlen = l; }
    }
    if (best < 0) return -1;
    total += v * units[best].mult;
    p += bestlen;
  }
  *seconds = total;
  return 0;
}

int fl_import(fl_import_format_t f, const char *path, const fl_import_opts_t *o, FILE *out, FILE *notes,
              char *err, size_t errlen) {
  static const fl_import_opts_t defaults = { 0 };
  if (!o) o = &defaults;
  if ((unsigned)f >= FL_IMPORT__COUNT) { snprintf(err, errlen, "unknown import format"); return -FL_EINVAL; }
  char *text; size_t len;
  int rc = fl__imp_read_file(path, &text, &len, err, errlen);
  if (rc) return rc;
  /* everything goes to memory first: on an error nothing reaches 'out' */
  char *buf = NULL; size_t blen = 0;
  FILE *mem = open_memstream(&buf, &blen);
  if (!mem) { free(text); snprintf(err, errlen, "out of memory"); return -FL_ENOMEM; }
  if (f == FL_IMPORT_TRACES) {
    rc = fl__import_traces(path, text, len, o, mem, notes, err, errlen);
  } else if (f == FL_IMPORT_JAEGER || f == FL_IMPORT_OTEL) {
    fl_igraph_t g;
    memset(&g, 0, sizeof g);
    g.file = path;
    rc = f == FL_IMPORT_JAEGER ? fl__import_jaeger(path, text, len, &g, err, errlen)
                               : fl__import_otel(path, text, len, &g, err, errlen);
    if (rc == 0) rc = fl__graph_write(&g, o, mem, notes, err, errlen);
    fl__graph_release(&g);
  } else {
    fl_ifaults_t fs;
    memset(&fs, 0, sizeof fs);
    fs.o = o; fs.file = path;
    fs.horizon = o->scenario ? o->scenario->duration : FL__IMP_DEFAULT_HORIZON;
    fs.horizon_guessed = !o->scenario;
    rc = f == FL_IMPORT_TOXIPROXY ? fl__import_toxiproxy(path, text, len, &fs, err, errlen)
                                  : fl__import_chaos_mesh(path, text, len, &fs, err, errlen);
    if (rc == 0) rc = fl__faults_write(&fs, mem, notes, err, errlen);
    fl__faults_release(&fs);
  }
  fclose(mem);
  if (rc == 0 && blen && fwrite(buf, 1, blen, out) != blen) {
    snprintf(err, errlen, "cannot write the output: %s", strerror(errno));
    rc = -FL_EIO;
  }
  free(buf);
  free(text);
  return rc;
}
