/* The HTML report: one self-contained page (no network needed, opens from disk) made of the
** embedded template, style and script (reports/web/, uPlot from npm (reports/web/node_modules/)), the JSON report
** and the architecture laid out by Graphviz. The page's script renders from those two JSON
** objects, so that the live dashboard (the same page with no report and the live script at the
** template's LIVE marker) can feed it the same data as it arrives. The diff page of `compare
** --html` is made the same way from its own template (diff.html) and script (diff.js): the
** comparison's JSON and, per variant, the report and laid-out architecture of one replication. */
#include "faultline/graph.h"
#include "faultline/io.h"
#include "faultline/report.h"
#include "decimate.h"
#include "web_assets.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

typedef fl_text_t buf_t;

static void put(buf_t *b, const void *data, size_t n) { fl_text_put(b, data, n); }
static void puts_(buf_t *b, const char *s) { fl_text_puts(b, s); }

static void put_html_text(buf_t *b, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&': puts_(b, "&amp;"); break;
    case '<': puts_(b, "&lt;"); break;
    case '>': puts_(b, "&gt;"); break;
    case '"': puts_(b, "&quot;"); break;
    default: put(b, s, 1);
    }
  }
}

/* JSON inside <script>: '<' appears only within strings, where \u003c reads the same, so
** that no "</script>" or "<!--" in a name can end or bend the element. */
static void put_json_script(buf_t *b, const char *id, const cJSON *o) {
  char *text = cJSON_PrintUnformatted(o);
  if (!text) return;
  puts_(b, "<script type=\"application/json\" id=\"");
  puts_(b, id);
  puts_(b, "\">");
  const char *p = text, *lt;
  while ((lt = strchr(p, '<'))) {
    put(b, p, (size_t)(lt - p));
    puts_(b, "\\u003c");
    p = lt + 1;
  }
  puts_(b, p);
  puts_(b, "</script>\n");
  cJSON_free(text);
}

static void put_asset(buf_t *b, const unsigned char *a, size_t n) { put(b, a, n); }

/* The text for marker <!--@NAME@--> of the template; LIVE holds the live page's script, and
** nothing in the static report. */
static void put_part(buf_t *b, const char *name, size_t nlen, const cJSON *report, const cJSON *graph, bool live) {
  if (nlen == 5 && memcmp(name, "TITLE", 5) == 0) {
    const cJSON *sc = report ? cJSON_GetObjectItemCaseSensitive(report, "scenario") : NULL;
    const cJSON *nm = sc ? cJSON_GetObjectItemCaseSensitive(sc, "name") : NULL;
    if (!nm && graph) nm = cJSON_GetObjectItemCaseSensitive(graph, "name");
    put_html_text(b, cJSON_IsString(nm) && nm->valuestring[0] ? nm->valuestring : "faultline");
  } else if (nlen == 5 && memcmp(name, "STYLE", 5) == 0) {
    puts_(b, "<style>\n");
    put_asset(b, fl_web_uplot_css, fl_web_uplot_css_len);
    puts_(b, "\n");
    put_asset(b, fl_web_report_css, fl_web_report_css_len);
    puts_(b, "</style>");
  } else if (nlen == 4 && memcmp(name, "DATA", 4) == 0) {
    if (report) put_json_script(b, "fl-report", report);
    if (graph) put_json_script(b, "fl-graph", graph);
  } else if (nlen == 6 && memcmp(name, "SCRIPT", 6) == 0) {
    if (fl_web_uplot_js_len) {
      puts_(b, "<script>\n");
      put_asset(b, fl_web_uplot_js, fl_web_uplot_js_len);
      puts_(b, "\n</script>\n");
    }
    puts_(b, "<script>\n");
    put_asset(b, fl_web_dashboard_js, fl_web_dashboard_js_len);
    puts_(b, "\n</script>");
  } else if (nlen == 4 && memcmp(name, "LIVE", 4) == 0 && live) {
    puts_(b, "\n<script>\n");
    put_asset(b, fl_web_live_js, fl_web_live_js_len);
    puts_(b, "\n</script>");
  }
}

/* The diff page's markers: DATA holds the comparison and both variants' report and graph. */
typedef struct diff_data { const cJSON *compare, *const *reports, *const *graphs; } diff_data_t;

static void put_diff_part(buf_t *b, const char *name, size_t nlen, const diff_data_t *d) {
  if (nlen == 5 && memcmp(name, "TITLE", 5) == 0) {
    static const char *const side[2] = { "a", "b" };
    for (int v = 0; v < 2; v++) {
      const cJSON *o = cJSON_GetObjectItemCaseSensitive(d->compare, side[v]);
      const cJSON *nm = o ? cJSON_GetObjectItemCaseSensitive(o, "name") : NULL;
      if (v) puts_(b, " vs ");
      put_html_text(b, cJSON_IsString(nm) ? nm->valuestring : side[v]);
    }
  } else if (nlen == 5 && memcmp(name, "STYLE", 5) == 0) {
    puts_(b, "<style>\n");
    put_asset(b, fl_web_report_css, fl_web_report_css_len);
    puts_(b, "</style>");
  } else if (nlen == 4 && memcmp(name, "DATA", 4) == 0) {
    static const char *const ids[2][2] = { { "fl-report-a", "fl-graph-a" }, { "fl-report-b", "fl-graph-b" } };
    put_json_script(b, "fl-compare", d->compare);
    for (int v = 0; v < 2; v++) {
      if (d->reports[v]) put_json_script(b, ids[v][0], d->reports[v]);
      if (d->graphs[v]) put_json_script(b, ids[v][1], d->graphs[v]);
    }
  } else if (nlen == 6 && memcmp(name, "SCRIPT", 6) == 0) {
    puts_(b, "<script>\n");
    put_asset(b, fl_web_diff_js, fl_web_diff_js_len);
    puts_(b, "\n</script>");
  }
}

/* Fills template t's markers <!--@NAME@-->: from the report page's parts, or the diff page's
** when 'diff' is set. */
static char *fill(const unsigned char *tmpl, size_t tlen, const cJSON *report, const cJSON *graph, bool live,
                  const diff_data_t *diff, size_t *len) {
  buf_t b = { 0 };
  const char *t = (const char *)tmpl, *end = t + tlen;
  while (t < end) {
    const char *mark = strstr(t, "<!--@");
    const char *close = mark ? strstr(mark + 5, "@-->") : NULL;
    if (!mark || !close) { put(&b, t, (size_t)(end - t)); break; }
    put(&b, t, (size_t)(mark - t));
    if (diff) put_diff_part(&b, mark + 5, (size_t)(close - mark - 5), diff);
    else put_part(&b, mark + 5, (size_t)(close - mark - 5), report, graph, live);
    t = close + 4;
  }
  return fl_text_take(&b, len);
}

static char *page(const cJSON *report, const cJSON *graph, bool live, size_t *len) {
  return fill(fl_web_report_html, fl_web_report_html_len, report, graph, live, NULL, len);
}

char *fl_report_html_page(const cJSON *report, const cJSON *graph, size_t *len) { return page(report, graph, false, len); }

char *fl_report_live_page(const cJSON *graph, size_t *len) { return graph ? page(NULL, graph, true, len) : NULL; }

/* Writes 'page' to 'path' as UTF-8 (the page says charset=utf-8: stray Latin-1 bytes become
** U+FFFD). Frees 'page'. */
static int write_page(char *page, size_t len, const char *path, char *err, size_t errlen) {
  if (!fl_utf8_valid(page, len)) {
    fl_text_t t = { 0 };
    fl_text_put_utf8(&t, page, len);
    free(page);
    page = fl_text_take(&t, &len);
  }
  int rc = fl_write_atomic(path, page, len, err, errlen);
  free(page);
  return rc;
}

int fl_report_write_html(const fl_sim_t *s, const fl_run_info_t *run, const char *path, char *err, size_t errlen) {
  cJSON *report = fl_report_json(s, run);
  fl_report_decimate(report);   /* the page's copy: what a screen can show */
  cJSON *graph = fl_graph_json(s->m);
  int rc = fl_graph_layout(graph, err, errlen);
  if (rc == 0) {
    size_t len;
    char *page = fl_report_html_page(report, graph, &len);
    rc = write_page(page, len, path, err, errlen);
  }
  cJSON_Delete(graph);
  cJSON_Delete(report);
  return rc;
}

char *fl_report_diff_page(const cJSON *compare, const cJSON *const reports[2], const cJSON *const graphs[2], size_t *len) {
  diff_data_t d = { compare, reports, graphs };
  return fill(fl_web_diff_html, fl_web_diff_html_len, NULL, NULL, false, &d, len);
}

int fl_report_write_diff_html(const cJSON *compare, const fl_sim_t *a, const fl_sim_t *b, const char *path, char *err,
                              size_t errlen) {
  const fl_sim_t *sims[2] = { a, b };
  cJSON *reports[2] = { NULL, NULL }, *graphs[2] = { NULL, NULL };
  int rc = 0;
  for (int v = 0; v < 2 && rc == 0; v++) {
    fl_run_info_t none;
    memset(&none, 0, sizeof none);
    reports[v] = fl_report_json(sims[v], &none);
    cJSON_DeleteItemFromObjectCaseSensitive(reports[v], "run");   /* the comparison's "run" says how it ran */
    graphs[v] = fl_graph_json(sims[v]->m);
    rc = fl_graph_layout(graphs[v], err, errlen);
  }
  if (rc == 0) {
    size_t len;
    const cJSON *const cr[2] = { reports[0], reports[1] }, *const cg[2] = { graphs[0], graphs[1] };
    char *page = fl_report_diff_page(compare, cr, cg, &len);
    rc = write_page(page, len, path, err, errlen);
  }
  for (int v = 0; v < 2; v++) { cJSON_Delete(graphs[v]); cJSON_Delete(reports[v]); }
  return rc;
}
