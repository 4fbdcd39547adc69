/* The HTML report: one self-contained page (no network needed, opens from disk) made of the
** embedded template, style and script (reports/web/, uPlot from npm (reports/web/node_modules/)), the JSON report
** and the architecture laid out by Graphviz. The page's script renders from those two JSON
** objects, so that the live dashboard (the same page with no report and the live script at the
** template's LIVE marker) can feed it the same data as it arrives. */
#include "faultline/graph.h"
#include "faultline/io.h"
#include "faultline/report.h"
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

static char *page(const cJSON *report, const cJSON *graph, bool live, size_t *len) {
  buf_t b = { 0 };
  const char *t = (const char *)fl_web_report_html, *end = t + fl_web_report_html_len;
  while (t < end) {
    const char *mark = strstr(t, "<!--@");
    const char *close = mark ? strstr(mark + 5, "@-->") : NULL;
    if (!mark || !close) { put(&b, t, (size_t)(end - t)); break; }
    put(&b, t, (size_t)(mark - t));
    put_part(&b, mark + 5, (size_t)(close - mark - 5), report, graph, live);
    t = close + 4;
  }
  return fl_text_take(&b, len);
}

char *fl_report_html_page(const cJSON *report, const cJSON *graph, size_t *len) { return page(report, graph, false, len); }

char *fl_report_live_page(const cJSON *graph, size_t *len) { return graph ? page(NULL, graph, true, len) : NULL; }

int fl_report_write_html(const fl_sim_t *s, const fl_run_info_t *run, const char *path, char *err, size_t errlen) {
  cJSON *report = fl_report_json(s, run);
  cJSON *graph = fl_graph_json(s->m);
  int rc = fl_graph_layout(graph, err, errlen);
  if (rc == 0) {
    size_t len;
    char *page = fl_report_html_page(report, graph, &len);
    if (!fl_utf8_valid(page, len)) {   /* the page says charset=utf-8: stray Latin-1 bytes become U+FFFD */
      fl_text_t t = { 0 };
      fl_text_put_utf8(&t, page, len);
      free(page);
      page = fl_text_take(&t, &len);
    }
    rc = fl_write_atomic(path, page, len, err, errlen);
    free(page);
  }
  cJSON_Delete(graph);
  cJSON_Delete(report);
  return rc;
}
