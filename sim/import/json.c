/* JSON for the importers: cJSON parses; a second walk over the (then known valid) text finds the
** line where each value starts, in document order, which is also the order of a pre-order walk
** of cJSON's tree. Invalid JSON is reported with the line and column of cJSON's error pointer. */
#include "import_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct { int *lines; size_t n, cap; } linevec_t;

static void push_line(linevec_t *v, int line) {
  if (v->n == v->cap) { v->cap = v->cap ? v->cap * 2 : 256; v->lines = fl_xrealloc(v->lines, v->cap * sizeof *v->lines); }
  v->lines[v->n++] = line;
}

static const char *skip_ws(const char *p, const char *end, int *line) {
  while (p < end && (unsigned char)*p <= 32) { if (*p == '\n') (*line)++; p++; }
  return p;
}

static const char *skip_string(const char *p, const char *end) {
  p++;   /* the opening quote */
  while (p < end && *p != '"') p += *p == '\\' ? 2 : 1;
  return p < end ? p + 1 : end;
}

/* Records the line of the value at p and of every value inside it; returns the end of it. */
static const char *walk(const char *p, const char *end, int *line, linevec_t *v, int depth) {
  p = skip_ws(p, end, line);
  if (p >= end) return end;
  push_line(v, *line);
  if (depth > 2000) return end;
  if (*p == '"') return skip_string(p, end);
  if (*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    p = skip_ws(p + 1, end, line);
    if (p < end && *p == close) return p + 1;
    while (p < end) {
      if (close == '}') {
        p = skip_ws(p, end, line);
        if (p < end && *p == '"') p = skip_string(p, end);
        p = skip_ws(p, end, line);
        if (p < end && *p == ':') p++;
      }
      p = walk(p, end, line, v, depth + 1);
      p = skip_ws(p, end, line);
      if (p < end && *p == ',') { p++; continue; }
      if (p < end && *p == close) return p + 1;
      return end;
    }
    return end;
  }
  while (p < end && *p != ',' && *p != ']' && *p != '}' && (unsigned char)*p > 32) p++;
  return p;
}

static void collect(const cJSON *node, const linevec_t *v, size_t *k, fl_json_t *j) {
  j->lines[j->nlines].node = node;
  j->lines[j->nlines].line = *k < v->n ? v->lines[*k] : 0;
  j->nlines++; (*k)++;
  for (const cJSON *c = node->child; c; c = c->next) collect(c, v, k, j);
}

static size_t count_nodes(const cJSON *node) {
  size_t n = 1;
  for (const cJSON *c = node->child; c; c = c->next) n += count_nodes(c);
  return n;
}

static int cmp_node(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)((const fl_jline_t *)a)->node, y = (uintptr_t)((const fl_jline_t *)b)->node;
  return x < y ? -1 : x > y;
}

int fl__json_parse(fl_json_t *j, const char *file, const char *text, size_t len, char *err, size_t n) {
  return fl__json_parse_at(j, file, text, len, 1, err, n);
}

int fl__json_parse_at(fl_json_t *j, const char *file, const char *text, size_t len, int first_line, char *err, size_t n) {
  memset(j, 0, sizeof *j);
  j->file = file;
  const char *endp = NULL;
  /* len + 1: with require_null_terminated, cJSON wants the terminating NUL inside the length */
  j->root = cJSON_ParseWithLengthOpts(text, len + 1, &endp, 1);
  if (!j->root) {
    const char *at = endp && endp >= text && endp <= text + len ? endp : text + len;
    int line = first_line, col = 1;
    for (const char *p = text; p < at; p++) { if (*p == '\n') { line++; col = 1; } else col++; }
    if (at >= text + len) {
      bool blank = true;
      for (const char *p = text; p < text + len; p++) if ((unsigned char)*p > 32) blank = false;
      return fl__imp_err(err, n, file, line, "invalid JSON: %s", blank ? "the file is empty" : "it ends too early (cut short? a bracket or quote not closed?)");
    }
    char near[32];
    size_t k = 0;
    for (const char *p = at; p < text + len && *p != '\n' && *p != '\r' && k < 20; p++) near[k++] = *p;
    near[k] = 0;
    int w = snprintf(err, n, "%s:%d:%d: invalid JSON near '%s'", file, line, col, near);
    (void)w;
    return -FL_EPARSE;
  }
  linevec_t v = { 0 };
  int line = first_line;
  const char *p = text, *end = text + len;
  if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
  walk(p, end, &line, &v, 0);
  size_t total = count_nodes(j->root), k = 0;
  j->lines = fl_xcalloc(total, sizeof *j->lines);
  collect(j->root, &v, &k, j);
  qsort(j->lines, j->nlines, sizeof *j->lines, cmp_node);
  free(v.lines);
  return 0;
}

int fl__json_line(const fl_json_t *j, const cJSON *node) {
  size_t lo = 0, hi = j->nlines;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (j->lines[mid].node == node) return j->lines[mid].line;
    if ((uintptr_t)j->lines[mid].node < (uintptr_t)node) lo = mid + 1; else hi = mid;
  }
  return 0;
}

void fl__json_release(fl_json_t *j) {
  cJSON_Delete(j->root);
  free(j->lines);
  memset(j, 0, sizeof *j);
}

const char *fl__json_type(const cJSON *v) {
  if (!v) return "nothing";
  if (cJSON_IsString(v)) return "a string";
  if (cJSON_IsNumber(v)) return "a number";
  if (cJSON_IsBool(v)) return "a boolean";
  if (cJSON_IsNull(v)) return "null";
  if (cJSON_IsArray(v)) return "a list";
  if (cJSON_IsObject(v)) return "an object";
  return "an unknown value";
}
