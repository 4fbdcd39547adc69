/* The HTML report: one self-contained page (no network needed, opens from disk) made of the
** embedded template, style and script (reports/web/, uPlot from npm (reports/web/node_modules/)), the JSON report
** and the architecture laid out by Graphviz. The page's script renders from those two JSON
** objects, so that the live dashboard (the same page with no report and the live script at the
** template's LIVE marker) can feed it the same data as it arrives. The diff page of `compare
** --html` is made the same way from its own template (diff.html) and script (diff.js): the
** comparison's JSON and, per variant, the report and laid-out architecture of one replication. */
#include "faultline/graph.h"
#include "faultline/io.h"
#include "faultline/jsonw.h"
#include "faultline/report.h"
#include "decimate.h"
#include "web_assets.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

/* The page goes out through a JSON writer's sink (a file written whole, or a text): its fixed
** parts as they are, its data as JSON written straight from the run. */
typedef fl_jsonw_t out_t;

static void put(out_t *b, const void *data, size_t n) { fl_jsonw_put(b, data, n); }
static void puts_(out_t *b, const char *s) { fl_jsonw_put(b, s, strlen(s)); }

/* Text in HTML, as UTF-8 (the page says charset=utf-8: stray Latin-1 bytes become U+FFFD). */
static void put_html_text(out_t *b, const char *s) {
  fl_text_t t = { 0 };
  for (; *s; s++) {
    switch (*s) {
    case '&': fl_text_puts(&t, "&amp;"); break;
    case '<': fl_text_puts(&t, "&lt;"); break;
    case '>': fl_text_puts(&t, "&gt;"); break;
    case '"': fl_text_puts(&t, "&quot;"); break;
    default: fl_text_put(&t, s, 1);
    }
  }
  fl_text_t u = { 0 };
  fl_text_put_utf8(&u, t.p ? t.p : "", t.n);
  put(b, u.p ? u.p : "", u.n);
  fl_text_release(&u);
  fl_text_release(&t);
}

/* The data a page embeds: a run's report (streamed from 'sim'; NULL: none; 'run' NULL: without
** its "run" object) or a cJSON tree. */
typedef struct data { const fl_sim_t *sim; const fl_run_info_t *run; const cJSON *tree; } data_t;

/* JSON inside <script>, unformatted: '<' appears only within strings, where \u003c reads the
** same, so that no "</script>" or "<!--" in a name can end or bend the element. */
static void put_json_script(out_t *b, const char *id, data_t d) {
  puts_(b, "<script type=\"application/json\" id=\"");
  puts_(b, id);
  puts_(b, "\">");
  bool pretty = b->pretty, html = b->html;
  b->pretty = false;
  b->html = true;
  if (d.sim) fl_report_json_write_page(b, d.sim, d.run);   /* the page's copy: what a screen can show */
  else fl_jsonw_tree(b, NULL, d.tree);
  b->pretty = pretty;
  b->html = html;
  puts_(b, "</script>\n");
}

static void put_asset(out_t *b, const unsigned char *a, size_t n) { put(b, a, n); }

/* The report page's data: the run (NULL on the live page) and the laid-out architecture. */
typedef struct report_data { const fl_sim_t *sim; const fl_run_info_t *run; const cJSON *graph; bool live; } report_data_t;

/* The text for marker <!--@NAME@--> of the template; LIVE holds the live page's script, and
** nothing in the static report. */
static void put_part(out_t *b, const char *name, size_t nlen, const report_data_t *d) {
  if (nlen == 5 && memcmp(name, "TITLE", 5) == 0) {
    const char *nm = d->sim ? d->sim->m->name : NULL;
    if (!nm && d->graph) {
      const cJSON *g = cJSON_GetObjectItemCaseSensitive(d->graph, "name");
      nm = cJSON_IsString(g) ? g->valuestring : NULL;
    }
    put_html_text(b, nm && nm[0] ? nm : "faultline");
  } else if (nlen == 5 && memcmp(name, "STYLE", 5) == 0) {
    puts_(b, "<style>\n");
    put_asset(b, fl_web_uplot_css, fl_web_uplot_css_len);
    puts_(b, "\n");
    put_asset(b, fl_web_report_css, fl_web_report_css_len);
    puts_(b, "</style>");
  } else if (nlen == 4 && memcmp(name, "DATA", 4) == 0) {
    if (d->sim) put_json_script(b, "fl-report", (data_t){ d->sim, d->run, NULL });
    if (d->graph) put_json_script(b, "fl-graph", (data_t){ NULL, NULL, d->graph });
  } else if (nlen == 6 && memcmp(name, "SCRIPT", 6) == 0) {
    if (fl_web_uplot_js_len) {
      puts_(b, "<script>\n");
      put_asset(b, fl_web_uplot_js, fl_web_uplot_js_len);
      puts_(b, "\n</script>\n");
    }
    puts_(b, "<script>\n");
    put_asset(b, fl_web_dashboard_js, fl_web_dashboard_js_len);
    puts_(b, "\n</script>");
  } else if (nlen == 4 && memcmp(name, "LIVE", 4) == 0 && d->live) {
    puts_(b, "\n<script>\n");
    put_asset(b, fl_web_live_js, fl_web_live_js_len);
    puts_(b, "\n</script>");
  }
}

/* The diff page's markers: DATA holds the comparison and both variants' report and graph. */
typedef struct diff_data { const cJSON *compare; const fl_sim_t *sims[2]; const cJSON *graphs[2]; } diff_data_t;

static void put_diff_part(out_t *b, const char *name, size_t nlen, const diff_data_t *d) {
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
    put_json_script(b, "fl-compare", (data_t){ NULL, NULL, d->compare });
    for (int v = 0; v < 2; v++) {   /* the variants' reports without "run": the comparison's says how it ran */
      if (d->sims[v]) put_json_script(b, ids[v][0], (data_t){ d->sims[v], NULL, NULL });
      if (d->graphs[v]) put_json_script(b, ids[v][1], (data_t){ NULL, NULL, d->graphs[v] });
    }
  } else if (nlen == 6 && memcmp(name, "SCRIPT", 6) == 0) {
    puts_(b, "<script>\n");
    put_asset(b, fl_web_diff_js, fl_web_diff_js_len);
    puts_(b, "\n</script>");
  }
}

/* Fills template t's markers <!--@NAME@-->: from the report page's parts, or the diff page's
** when 'diff' is set. */
static void fill(out_t *b, const unsigned char *tmpl, size_t tlen, const report_data_t *report, const diff_data_t *diff) {
  const char *t = (const char *)tmpl, *end = t + tlen;
  while (t < end) {
    const char *mark = strstr(t, "<!--@");
    const char *close = mark ? strstr(mark + 5, "@-->") : NULL;
    if (!mark || !close) { put(b, t, (size_t)(end - t)); break; }
    put(b, t, (size_t)(mark - t));
    if (diff) put_diff_part(b, mark + 5, (size_t)(close - mark - 5), diff);
    else put_part(b, mark + 5, (size_t)(close - mark - 5), report);
    t = close + 4;
  }
}

char *fl_report_live_page(const cJSON *graph, size_t *len) {
  if (!graph) return NULL;
  fl_text_t t = { 0 };
  out_t b;
  fl_jsonw_init(&b, fl_jsonw_to_text, &t, false);
  report_data_t d = { NULL, NULL, graph, true };
  fill(&b, fl_web_report_html, fl_web_report_html_len, &d, NULL);
  return fl_text_take(&t, len);
}

typedef struct job { const unsigned char *tmpl; size_t tlen; const report_data_t *report; const diff_data_t *diff; } job_t;

static void fill_job(out_t *b, const void *arg) {
  const job_t *j = arg;
  fill(b, j->tmpl, j->tlen, j->report, j->diff);
}

/* Writes the page of template 'tmpl' to 'path', whole or not at all (out of memory included). */
static int write_page(const unsigned char *tmpl, size_t tlen, const report_data_t *report, const diff_data_t *diff,
                      const char *path, char *err, size_t errlen) {
  job_t job = { tmpl, tlen, report, diff };
  return fl_jsonw_write_file(path, false, fill_job, &job, err, errlen);
}

/* Model m's architecture laid out (Graphviz) into *graph; out of memory returns -FL_ENOMEM. */
typedef struct graph_job { const fl_model_t *m; cJSON *graph; char *err; size_t errlen; } graph_job_t;

static int graph_job(void *arg) {
  graph_job_t *g = arg;
  g->graph = fl_graph_json(g->m);
  return fl_graph_layout(g->graph, g->err, g->errlen);
}

static int laid_out(const fl_model_t *m, cJSON **graph, const char *path, char *err, size_t errlen) {
  graph_job_t g = { m, NULL, err, errlen };
  int rc = fl_try_alloc(graph_job, &g);
  if (rc == -FL_ENOMEM) { snprintf(err, errlen, "cannot write '%s': out of memory", path); g.graph = NULL; }
  if (rc) { cJSON_Delete(g.graph); g.graph = NULL; }
  *graph = g.graph;
  return rc;
}

int fl_report_write_html(const fl_sim_t *s, const fl_run_info_t *run, const char *path, char *err, size_t errlen) {
  cJSON *graph;
  int rc = laid_out(s->m, &graph, path, err, errlen);
  if (rc == 0) {
    report_data_t d = { s, run, graph, false };
    rc = write_page(fl_web_report_html, fl_web_report_html_len, &d, NULL, path, err, errlen);
  }
  cJSON_Delete(graph);
  return rc;
}

int fl_report_write_diff_html(const cJSON *compare, const fl_sim_t *a, const fl_sim_t *b, const char *path, char *err,
                              size_t errlen) {
  diff_data_t d = { compare, { a, b }, { NULL, NULL } };
  cJSON *g[2] = { NULL, NULL };
  int rc = 0;
  for (int v = 0; v < 2 && rc == 0; v++) rc = laid_out(d.sims[v]->m, &g[v], path, err, errlen);
  if (rc == 0) {
    d.graphs[0] = g[0];
    d.graphs[1] = g[1];
    rc = write_page(fl_web_diff_html, fl_web_diff_html_len, NULL, &d, path, err, errlen);
  }
  for (int v = 0; v < 2; v++) cJSON_Delete(g[v]);
  return rc;
}
