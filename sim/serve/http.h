/* A small HTTP/1.1 request reader for faultline serve: the request line, the headers it needs
** (Content-Length, Transfer-Encoding, and for its checks Host, Origin, Content-Type and
** X-Faultline-Token) and a body, within fixed limits. */
#ifndef FAULTLINE_SIM_HTTP_H
#define FAULTLINE_SIM_HTTP_H

#include <stddef.h>

#define FL_HTTP_MAX_HEAD (16 * 1024)
#define FL_HTTP_MAX_BODY (64 * 1024)

typedef struct fl_http_req {
  char method[16];
  char path[1024];            /* decoded of nothing: raw, query string cut off */
  char query[1024];
  size_t content_length;
  char host[256];             /* the Host header, "" when none */
  char origin[256];           /* the Origin header, "" when none */
  char content_type[128];     /* the Content-Type header, "" when none */
  char token[128];            /* the X-Faultline-Token header, "" when none */
  const char *body;           /* points into the caller's buffer */
  size_t head_len;            /* bytes of the request line and headers, blank line included */
} fl_http_req_t;

/* Reads one request from buf[0..len). Returns the bytes the whole request takes (head and
** body) when complete, 0 when more bytes are needed, or a negative HTTP status for a request
** that cannot be served: -400 malformed (also: Host, Origin or the token twice), -413 body too
** large, -431 headers too large (also: one of the four kept longer than its field), -501
** chunked bodies. */
long fl_http_parse(const char *buf, size_t len, fl_http_req_t *req);

/* Decodes %XX in place; returns 0 or -1 on a bad escape. */
int fl_http_unescape(char *s);

#endif
