/* Which requests faultline serve obeys: only those a page it served itself can send. A Host
** header naming this server (its address or a loopback name, with its port: a DNS-rebinding page
** names its own domain), no foreign Origin (a page from elsewhere), POSTs in JSON (a cross-origin
** "simple request" cannot be), and on every POST and DELETE the token drawn at start, which only
** the served page carries. */
#include "serve_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int fl__serve_draw_token(fl_serve_t *sv) {
  unsigned char raw[16];
  if (uv_random(NULL, NULL, raw, sizeof raw, 0, NULL) != 0) return -FL_EIO;
  for (size_t i = 0; i < sizeof raw; i++) snprintf(sv->token + 2 * i, 3, "%02x", raw[i]);
  return 0;
}

/* An IPv4 address, or an IPv6 one in brackets, of at most 63 characters. */
static bool ip_literal(const char *name, size_t len) {
  char buf[64];
  unsigned char addr[16];
  if (len < 2 || len >= sizeof buf) return false;
  if (name[0] == '[') {
    if (name[len - 1] != ']') return false;
    memcpy(buf, name + 1, len - 2);
    buf[len - 2] = 0;
    return inet_pton(AF_INET6, buf, addr) == 1;
  }
  memcpy(buf, name, len);
  buf[len] = 0;
  return inet_pton(AF_INET, buf, addr) == 1;
}

static bool same(const char *a, size_t alen, const char *b) { return strlen(b) == alen && strncasecmp(a, b, alen) == 0; }

/* "NAME[:PORT]" (NAME an IPv6 address in brackets, or without): this server's port (none: 80),
** and a name of this server: a loopback name, the address it listens on, or any IP address when
** it listens on all of them. */
static bool host_ok(const fl_serve_t *sv, const char *h) {
  size_t len = strlen(h), nlen = len;
  const char *port = NULL;
  if (h[0] == '[') {
    const char *close = strchr(h, ']');
    if (!close) return false;
    nlen = (size_t)(close - h) + 1;
    if (close[1] == ':') port = close + 2;
    else if (close[1]) return false;
  } else {
    const char *colon = strchr(h, ':');
    if (colon && strchr(colon + 1, ':')) return false;
    if (colon) { nlen = (size_t)(colon - h); port = colon + 1; }
  }
  if (port) {
    char want[16];
    snprintf(want, sizeof want, "%d", sv->port);
    if (strcmp(port, want) != 0) return false;
  } else if (sv->port != 80) {
    return false;
  }
  char listen[80];
  snprintf(listen, sizeof listen, strchr(sv->o.host, ':') ? "[%s]" : "%s", sv->o.host);
  return nlen > 0 && (same(h, nlen, "localhost") || same(h, nlen, "127.0.0.1") || same(h, nlen, "[::1]") ||
                      same(h, nlen, listen) || (sv->wildcard && ip_literal(h, nlen)));
}

/* Compares in a time that does not depend on where the two differ. */
static bool token_ok(const char *got, const char *want) {
  size_t n = strlen(want);
  if (strlen(got) != n) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < n; i++) diff |= (unsigned char)(got[i] ^ want[i]);
  return diff == 0;
}

/* The media type of a Content-Type value (before any ';' parameter) is application/json. */
static bool json_type(const char *ct) {
  size_t n = strcspn(ct, ";");
  while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
  return same(ct, n, "application/json");
}

int fl__serve_guard(const fl_serve_t *sv, const fl_http_req_t *rq, char *msg, size_t n) {
  if (!rq->host[0]) { snprintf(msg, n, "a Host header is required"); return 403; }
  if (!host_ok(sv, rq->host)) {
    snprintf(msg, n, "refused: Host '%s' does not name this server (it answers to 127.0.0.1, localhost, [::1] and %s, port %d)",
             rq->host, sv->o.host, sv->port);
    return 403;
  }
  if (rq->origin[0] && !(strncasecmp(rq->origin, "http://", 7) == 0 && host_ok(sv, rq->origin + 7))) {
    snprintf(msg, n, "refused: a page from %s may not use this server (only the page it serves may)", rq->origin);
    return 403;
  }
  bool post = strcmp(rq->method, "POST") == 0, del = strcmp(rq->method, "DELETE") == 0;
  if (post && !json_type(rq->content_type)) {
    snprintf(msg, n, "a POST must be sent as Content-Type: application/json%s%s", rq->content_type[0] ? ", not " : "", rq->content_type);
    return 415;
  }
  if ((post || del) && !token_ok(rq->token, sv->token)) {
    snprintf(msg, n, "refused: %s needs the X-Faultline-Token header of the page this server serves", rq->method);
    return 403;
  }
  return 0;
}
