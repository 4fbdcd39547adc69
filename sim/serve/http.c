/* Reading HTTP/1.1 requests for faultline serve: request line, Content-Length and body, with
** limits on the head (16 KiB) and the body (64 KiB); chunked bodies are refused. Host, Origin,
** Content-Type and X-Faultline-Token are kept for the server's checks. */
#include "http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *find_head_end(const char *buf, size_t len) {
  for (size_t i = 0; i + 3 < len; i++)
    if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') return buf + i + 4;
  return NULL;
}

/* Keeps header value v[0..vl) in 'dst' (of size n), trailing blanks cut. Returns 0, or -431
** when it does not fit. */
static int keep(char *dst, size_t n, const char *v, size_t vl) {
  if (vl >= n) return -431;
  while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
  memcpy(dst, v, vl);
  dst[vl] = 0;
  return 0;
}

long fl_http_parse(const char *buf, size_t len, fl_http_req_t *req) {
  memset(req, 0, sizeof *req);
  const char *end = find_head_end(buf, len < FL_HTTP_MAX_HEAD + 4 ? len : FL_HTTP_MAX_HEAD + 4);
  if (!end) return len > FL_HTTP_MAX_HEAD ? -431 : 0;
  req->head_len = (size_t)(end - buf);
  /* request line: METHOD SP TARGET SP HTTP/1.x CRLF */
  const char *p = buf, *eol = memchr(buf, '\r', req->head_len);
  const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
  if (!sp1 || sp1 == p || (size_t)(sp1 - p) >= sizeof req->method) return -400;
  memcpy(req->method, p, (size_t)(sp1 - p));
  for (char *m = req->method; *m; m++) if (!isupper((unsigned char)*m)) return -400;
  const char *tgt = sp1 + 1, *sp2 = memchr(tgt, ' ', (size_t)(eol - tgt));
  if (!sp2 || sp2 == tgt || *tgt != '/') return -400;
  if (eol - sp2 - 1 != 8 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0) return -400;
  const char *q = memchr(tgt, '?', (size_t)(sp2 - tgt));
  const char *pend = q ? q : sp2;
  if ((size_t)(pend - tgt) >= sizeof req->path) return -431;
  memcpy(req->path, tgt, (size_t)(pend - tgt));
  if (q) {
    size_t ql = (size_t)(sp2 - q - 1);
    if (ql >= sizeof req->query) return -431;
    memcpy(req->query, q + 1, ql);
  }
  /* headers */
  const char *h = eol + 2;
  int has_length = 0;
  unsigned seen = 0;          /* the kept headers given so far */
  while (h < end - 2) {
    const char *he = memchr(h, '\r', (size_t)(end - h));
    if (!he || he[1] != '\n') return -400;
    const char *colon = memchr(h, ':', (size_t)(he - h));
    if (!colon || colon == h) return -400;
    size_t nl = (size_t)(colon - h);
    const char *v = colon + 1;
    while (v < he && (*v == ' ' || *v == '\t')) v++;
    if (nl == 14 && strncasecmp(h, "Content-Length", 14) == 0) {
      char num[32];
      size_t vl = (size_t)(he - v);
      if (vl == 0 || vl >= sizeof num) return -400;
      memcpy(num, v, vl); num[vl] = 0;
      for (char *c = num; *c; c++) if (!isdigit((unsigned char)*c)) return -400;
      unsigned long long cl = strtoull(num, NULL, 10);
      if (has_length && cl != req->content_length) return -400;
      if (cl > FL_HTTP_MAX_BODY) return -413;
      req->content_length = (size_t)cl;
      has_length = 1;
    } else if (nl == 17 && strncasecmp(h, "Transfer-Encoding", 17) == 0) {
      return -501;
    } else {
      static const char *const kept[] = { "Host", "Origin", "Content-Type", "X-Faultline-Token" };
      char *dst[] = { req->host, req->origin, req->content_type, req->token };
      size_t cap[] = { sizeof req->host, sizeof req->origin, sizeof req->content_type, sizeof req->token };
      for (int k = 0; k < 4; k++) {
        if (nl != strlen(kept[k]) || strncasecmp(h, kept[k], nl) != 0) continue;
        if (seen & (1u << k)) return -400;     /* twice: which one would count? */
        seen |= 1u << k;
        int rc = keep(dst[k], cap[k], v, (size_t)(he - v));
        if (rc) return rc;
      }
    }
    h = he + 2;
  }
  if (len < req->head_len + req->content_length) return 0;
  req->body = buf + req->head_len;
  return (long)(req->head_len + req->content_length);
}

int fl_http_unescape(char *s) {
  char *w = s;
  for (char *r = s; *r; r++) {
    if (*r == '%') {
      if (!isxdigit((unsigned char)r[1]) || !isxdigit((unsigned char)r[2])) return -1;
      char hex[3] = { r[1], r[2], 0 };
      *w++ = (char)strtol(hex, NULL, 16);
      r += 2;
    } else {
      *w++ = *r;
    }
  }
  *w = 0;
  return 0;
}
