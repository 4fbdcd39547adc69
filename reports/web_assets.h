/* The report's web assets, embedded at build time by reports/web/embed.sh into
** $(BUILD)/gen/web_assets.c: our page, style and script (reports/web/), and uPlot from
** node_modules/ (empty when it was not installed: the page then draws plain SVG charts).
** Each is NUL-terminated; NAME_len excludes the NUL. */
#ifndef FAULTLINE_REPORTS_WEB_ASSETS_H
#define FAULTLINE_REPORTS_WEB_ASSETS_H

#include <stddef.h>

extern const unsigned char fl_web_report_html[], fl_web_report_css[], fl_web_dashboard_js[], fl_web_live_js[];
extern const unsigned char fl_web_uplot_js[], fl_web_uplot_css[];
extern const unsigned char fl_web_diff_html[], fl_web_diff_js[];   /* compare --html */
extern const size_t fl_web_diff_html_len, fl_web_diff_js_len;
extern const size_t fl_web_report_html_len, fl_web_report_css_len, fl_web_dashboard_js_len, fl_web_live_js_len;
extern const size_t fl_web_uplot_js_len, fl_web_uplot_css_len;

#endif
