/* The streaming JSON writer: commas, nesting and layout as cJSON prints them, numbers and string
** escapes as cJSON prints them (tests/test_jsonw.c holds the two side by side), through a sink
** that is a file being written whole or a growable text. */
#include "faultline/jsonw.h"

#include <cJSON.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fl_jsonw_init(fl_jsonw_t *w, fl_jsonw_sink sink, void *user, bool pretty) {
  memset(w, 0, sizeof *w);
  w->sink = sink;
  w->user = user;
  w->pretty = pretty;
}

void fl_jsonw_to_atomic(void *user, const void *data, size_t n) { fl_atomic_write(user, data, n); }
void fl_jsonw_to_text(void *user, const void *data, size_t n) { fl_text_put(user, data, n); }

static void put(fl_jsonw_t *w, const char *s, size_t n) { w->sink(w->user, s, n); }
static void puts_(fl_jsonw_t *w, const char *s) { put(w, s, strlen(s)); }

void fl_jsonw_put(fl_jsonw_t *w, const void *data, size_t n) { put(w, data, n); }

static void tabs(fl_jsonw_t *w, int n) {
  static const char t[FL_JSONW_DEPTH + 1] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"
                                        "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
  put(w, t, (size_t)n);
}

/* A string in quotes with cJSON's escapes: \" \\ \b \f \n \r \t, \u00XX for the other controls;
** '<' as \u003c in html mode; bytes that start no UTF-8 sequence as U+FFFD. */
static void put_string(fl_jsonw_t *w, const char *s) {
  put(w, "\"", 1);
  const unsigned char *p = (const unsigned char *)s;
  size_t run = 0, i = 0, n = strlen(s);
  while (i < n) {
    unsigned char c = p[i];
    const char *esc = NULL;
    char u[8];
    size_t k = 1;
    if (c >= 0x80) {
      k = 0;
      for (size_t len = 2; len <= 4 && !k && i + len <= n; len++)
        if (fl_utf8_valid(s + i, len)) k = len;
      if (k) { i += k; continue; }
      k = 1;   /* this byte alone becomes U+FFFD */
      esc = "\xEF\xBF\xBD";
    } else if (c == '"') esc = "\\\"";
    else if (c == '\\') esc = "\\\\";
    else if (c == '<' && w->html) esc = "\\u003c";
    else if (c < 32) {
      switch (c) {
      case '\b': esc = "\\b"; break;
      case '\f': esc = "\\f"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      default: snprintf(u, sizeof u, "\\u%04x", c); esc = u;
      }
    }
    if (!esc) { i++; continue; }
    put(w, s + run, i - run);
    puts_(w, esc);
    run = i += k;
  }
  put(w, s + run, n - run);
  put(w, "\"", 1);
}

/* What goes before a value: the comma and layout after the previous item, and the key. */
static void item(fl_jsonw_t *w, const char *key) {
  if (w->depth == 0) return;
  int d = w->depth - 1;
  if (w->array[d]) {
    FL_ASSERT(!key);
    if (w->any[d]) put(w, w->pretty ? ", " : ",", w->pretty ? 2 : 1);
  } else {
    FL_ASSERT(key);
    if (w->any[d]) put(w, w->pretty ? ",\n" : ",", w->pretty ? 2 : 1);
    if (w->pretty) tabs(w, w->depth);
    put_string(w, key);
    put(w, w->pretty ? ":\t" : ":", w->pretty ? 2 : 1);
  }
  w->any[d] = true;
}

static void open_(fl_jsonw_t *w, const char *key, bool array) {
  item(w, key);
  FL_ASSERT(w->depth < FL_JSONW_DEPTH);
  w->array[w->depth] = array;
  w->any[w->depth] = false;
  w->depth++;
  if (array) put(w, "[", 1);
  else put(w, w->pretty ? "{\n" : "{", w->pretty ? 2 : 1);
}

void fl_jsonw_object(fl_jsonw_t *w, const char *key) { open_(w, key, false); }
void fl_jsonw_array(fl_jsonw_t *w, const char *key) { open_(w, key, true); }

void fl_jsonw_end(fl_jsonw_t *w) {
  FL_ASSERT(w->depth > 0);
  int d = --w->depth;
  if (w->array[d]) { put(w, "]", 1); return; }
  if (w->pretty) {
    if (w->any[d]) put(w, "\n", 1);
    tabs(w, d);
  }
  put(w, "}", 1);
}

/* cJSON's test of whether the 15 digits read back: within one epsilon of the larger. */
static bool close_enough(double a, double b) {
  double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  return fabs(a - b) <= m * DBL_EPSILON;
}

size_t fl_jsonw_format_number(double v, char out[32]) {
  if (isnan(v) || isinf(v)) { memcpy(out, "null", 5); return 4; }
  if (v == trunc(v) && fabs(v) < 1e15) {   /* what %1.15g prints for a whole number below 10^15: its digits */
    char tmp[24];
    int n = 0;
    unsigned long long u = (unsigned long long)fabs(v);
    do tmp[n++] = (char)('0' + u % 10); while ((u /= 10));
    size_t len = 0;
    if (signbit(v)) out[len++] = '-';
    while (n) out[len++] = tmp[--n];
    out[len] = 0;
    return len;
  }
  int n = snprintf(out, 32, "%1.15g", v);
  if (!close_enough(strtod(out, NULL), v)) n = snprintf(out, 32, "%1.17g", v);
  return (size_t)n;
}

void fl_jsonw_number(fl_jsonw_t *w, const char *key, double v) {
  char s[32];
  item(w, key);
  put(w, s, fl_jsonw_format_number(v, s));
}

void fl_jsonw_string(fl_jsonw_t *w, const char *key, const char *s) {
  if (!s) return;
  item(w, key);
  put_string(w, s);
}

void fl_jsonw_bool(fl_jsonw_t *w, const char *key, bool v) { item(w, key); puts_(w, v ? "true" : "false"); }
void fl_jsonw_null(fl_jsonw_t *w, const char *key) { item(w, key); puts_(w, "null"); }
void fl_jsonw_raw(fl_jsonw_t *w, const char *key, const char *text) { item(w, key); puts_(w, text); }

void fl_jsonw_tree(fl_jsonw_t *w, const char *key, const cJSON *v) {
  if (!v) return;
  if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
    open_(w, key, cJSON_IsArray(v));
    for (const cJSON *c = v->child; c; c = c->next) fl_jsonw_tree(w, cJSON_IsArray(v) ? NULL : c->string, c);
    fl_jsonw_end(w);
  } else if (cJSON_IsNumber(v)) fl_jsonw_number(w, key, v->valuedouble);
  else if (cJSON_IsString(v)) { item(w, key); put_string(w, v->valuestring ? v->valuestring : ""); }
  else if (cJSON_IsRaw(v)) fl_jsonw_raw(w, key, v->valuestring ? v->valuestring : "");
  else if (cJSON_IsBool(v)) fl_jsonw_bool(w, key, cJSON_IsTrue(v));
  else fl_jsonw_null(w, key);
}

void fl_jsonw_hooks(void) {
  cJSON_Hooks h = { fl_xmalloc, free };
  cJSON_InitHooks(&h);
}

typedef struct file_job { fl_jsonw_t *w; void (*write)(fl_jsonw_t *w, const void *arg); const void *arg; } file_job_t;

static int file_job(void *arg) {
  file_job_t *j = arg;
  j->write(j->w, j->arg);
  return 0;
}

int fl_jsonw_write_file(const char *path, bool pretty, void (*write)(fl_jsonw_t *w, const void *arg), const void *arg,
                        char *err, size_t errlen) {
  fl_atomic_t *a = malloc(sizeof *a);
  if (!a) { snprintf(err, errlen, "cannot write '%s': %s", path, strerror(ENOMEM)); return -FL_ENOMEM; }
  int rc = fl_atomic_open(a, path, err, errlen);
  if (rc == 0) {
    fl_jsonw_t w;
    fl_jsonw_init(&w, fl_jsonw_to_atomic, a, pretty);
    file_job_t job = { &w, write, arg };
    if (fl_try_alloc(file_job, &job) != 0) fl_atomic_fail(a, ENOMEM);   /* out of memory: no file, the run goes on */
    rc = fl_atomic_close(a, err, errlen);
  }
  free(a);
  return rc;
}
