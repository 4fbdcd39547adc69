/* Toxiproxy's proxies and toxics (the server's -config / POST /populate list, or GET /proxies'
** object keyed by name) as faults. A proxy stands in front of one upstream service: it is mapped
** to a service by its upstream's host name or its own name (or both sides of a link when named
** "a_to_b" / "a->b"). The toxics:
**   latency     -> latency on the service (jitter dropped: the mean is kept); toxicity t < 1
**                  (a share of connections) -> t x latency, the mean added delay
**   timeout 0   -> partition of the link when both ends are known, else hang (t: a share of
**                  instances); timeout T > 0 (closed after T) -> latency T and errors
**   reset_peer  -> crash (every connection reset at once), else errors at rate t (+ latency T)
**   bandwidth, limit_data, slow_close, slicer -> no equivalent (faultline models no payloads)
**   a disabled proxy (enabled: false) -> crash, or a partition of its link
** Proxies to one host on several ports (its HTTP and gRPC ports) become faults on the endpoint each
** port stands for (named after the proxy, "cart_grpc" -> cart.grpc, else "portN"; a crash there,
** errors at rate 1), so they do not add up on the whole service.
** Field names match case-insensitively, as Go's encoding/json (and so Toxiproxy) reads them.
** Toxiproxy has no schedule: --at and --duration place the faults (guessed otherwise). */
#include "import_int.h"

#include <ctype.h>
#include <math.h>
#include <string.h>
#include <strings.h>

typedef struct {
  fl_ifaults_t *fs;
  const fl_json_t *j;
  char name[128];
  char path[128];             /* JSON path of the proxy */
  int line;
  bool mapped, link;
  char target[128], from[128];
  char upstream[256];
  char unmapped_why[1024];
} proxy_t;

static bool is_ip_or_local(const char *host) {
  if (!*host || strchr(host, ':') || strcmp(host, "localhost") == 0) return true;
  for (const char *p = host; *p; p++) if (!isdigit((unsigned char)*p) && *p != '.') return false;
  return true;
}

/* The upstream's host ("payment.shop.svc:8080" -> "payment.shop.svc") and its first label. */
static void upstream_host(const char *up, char *host, size_t hn, char *label, size_t ln) {
  host[0] = label[0] = 0;
  if (up[0] == '[') return;   /* an IPv6 address */
  const char *colon = strrchr(up, ':');
  snprintf(host, hn, "%.*s", colon ? (int)(colon - up) : (int)strlen(up), up);
  if (is_ip_or_local(host)) { host[0] = 0; return; }
  const char *dot = strchr(host, '.');
  snprintf(label, ln, "%.*s", dot ? (int)(dot - host) : (int)strlen(host), host);
}

static void map_proxy(proxy_t *px) {
  fl_ifaults_t *fs = px->fs;
  const fl_model_t *m = fs->o->scenario;
  char host[256], label[128];
  upstream_host(px->upstream, host, sizeof host, label, sizeof label);
  /* a link named "a_to_b", "a-to-b" or "a->b" */
  static const char *const seps[] = { "->", "_to_", "-to-", ".to.", NULL };
  for (int i = 0; seps[i] && !px->link; i++) {
    const char *s = strstr(px->name, seps[i]);
    if (!s || s == px->name || !s[strlen(seps[i])]) continue;
    char a[128], b[128];
    snprintf(a, sizeof a, "%.*s", (int)(s - px->name), px->name);
    snprintf(b, sizeof b, "%s", s + strlen(seps[i]));
    const char *ca[] = { a, NULL }, *cb[] = { b, label, NULL };
    if (fl__faults_map(fs, ca, px->from, sizeof px->from) && fl__faults_map(fs, cb, px->target, sizeof px->target)) {
      px->link = px->mapped = true;
    }
  }
  if (px->link) return;
  const char *with_scenario[] = { px->name, label, host, NULL }, *without[] = { label, px->name, NULL };
  px->mapped = fl__faults_map(fs, m ? with_scenario : without, px->target, sizeof px->target);
  if (!px->mapped) {
    char list[256] = "";
    size_t w = 0;
    for (int s = 0; m && s < m->nservices && w < sizeof list - 40; s++)
      w += (size_t)snprintf(list + w, sizeof list - w, "%s%s", s ? ", " : "", m->services[s].name);
    snprintf(px->unmapped_why, sizeof px->unmapped_why, "neither its name \"%.120s\" nor its upstream \"%.200s\" names a service of %.300s (%s)",
             px->name, px->upstream, m ? m->file : "the scenario", list);
  }
}

/* How a fault stands for the proxy: on its link when the proxy names both ends, else on the
** service behind it (exact when every caller connects through the proxy). */
static void why_service_wide(const proxy_t *px, fl_ifault_t *f) {
  if (px->link) {
    f->link = true;
    fl__fault_why(f, "the proxy carries the calls %s -> %s: a fault on that link only", px->from, px->target);
    if (px->fs->o->scenario && !fl__faults_calls(px->fs, px->from, px->target))
      fl__fault_why(f, "%s makes no call to %s in %s: no effect there", px->from, px->target, px->fs->o->scenario->file);
  } else {
    fl__fault_why(f, "the proxy stands in front of %s: exact if every caller of %s connects through it", px->target, px->target);
  }
}

static fl_ifault_t *new_fault(proxy_t *px, int line, const char *toxic, const char *suffix) {
  fl_ifault_t *f = fl__faults_add(px->fs);
  snprintf(f->origin, sizeof f->origin, "%s:%d", px->fs->file, line);
  snprintf(f->name, sizeof f->name, "%.100s/%.60s%.20s", px->name, toxic, suffix ? suffix : "");
  snprintf(f->target, sizeof f->target, "%s", px->target);
  snprintf(f->from, sizeof f->from, "%s", px->from);
  snprintf(f->via, sizeof f->via, "%s", px->upstream);
  return f;
}

/* attributes.NAME: a non-negative number (0 when absent). */
static int attr(const proxy_t *px, const cJSON *attrs, const char *tpath, const char *name, double *out, char *err, size_t n) {
  *out = 0;
  const cJSON *v = attrs ? cJSON_GetObjectItem(attrs, name) : NULL;
  if (!v) return 0;
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
    return fl__imp_err(err, n, px->fs->file, fl__json_line(px->j, v), "%s.attributes.%s: expected a number, got %s", tpath, name, fl__json_type(v));
  if (v->valuedouble < 0)
    return fl__imp_err(err, n, px->fs->file, fl__json_line(px->j, v), "%s.attributes.%s: negative value %g", tpath, name, v->valuedouble);
  *out = v->valuedouble;
  return 0;
}

static int read_toxic(proxy_t *px, const cJSON *t, const char *tpath, char *err, size_t n) {
  const fl_json_t *j = px->j;
  const char *file = px->fs->file;
  int line = fl__json_line(j, t);
  if (!cJSON_IsObject(t)) return fl__imp_err(err, n, file, line, "%s: expected a toxic { \"type\", \"attributes\", ... }, got %s", tpath, fl__json_type(t));
  const cJSON *type = cJSON_GetObjectItem(t, "type");
  if (!type) return fl__imp_err(err, n, file, line, "%s: missing \"type\" (latency, timeout, reset_peer, bandwidth, ...)", tpath);
  if (!cJSON_IsString(type)) return fl__imp_err(err, n, file, fl__json_line(j, type), "%s.type: expected a string, got %s", tpath, fl__json_type(type));
  const char *ty = type->valuestring;
  const cJSON *sv = cJSON_GetObjectItem(t, "stream");
  const char *stream = "downstream";
  if (sv) {
    if (!cJSON_IsString(sv) || (strcmp(sv->valuestring, "upstream") != 0 && strcmp(sv->valuestring, "downstream") != 0))
      return fl__imp_err(err, n, file, fl__json_line(j, sv), "%s.stream: expected \"upstream\" or \"downstream\"", tpath);
    stream = sv->valuestring;
  }
  char tname[128];
  const cJSON *nv = cJSON_GetObjectItem(t, "name");
  if (nv && !cJSON_IsString(nv)) return fl__imp_err(err, n, file, fl__json_line(j, nv), "%s.name: expected a string, got %s", tpath, fl__json_type(nv));
  if (nv && nv->valuestring[0]) snprintf(tname, sizeof tname, "%s", nv->valuestring);
  else snprintf(tname, sizeof tname, "%s_%s", ty, stream);   /* Toxiproxy's default name */
  double tox = 1;
  const cJSON *tv = cJSON_GetObjectItem(t, "toxicity");
  if (tv) {
    if (!cJSON_IsNumber(tv) || !(tv->valuedouble >= 0 && tv->valuedouble <= 1))
      return fl__imp_err(err, n, file, fl__json_line(j, tv), "%s.toxicity: expected a share from 0 to 1 (of the connections it hits)", tpath);
    tox = tv->valuedouble;
  }
  const cJSON *attrs = cJSON_GetObjectItem(t, "attributes");
  if (attrs && !cJSON_IsObject(attrs))
    return fl__imp_err(err, n, file, fl__json_line(j, attrs), "%s.attributes: expected an object, got %s", tpath, fl__json_type(attrs));
  char what[512];
  int w = snprintf(what, sizeof what, "proxy \"%s\" (upstream %s), toxic \"%s\": %s", px->name, px->upstream[0] ? px->upstream : "?", tname, ty);
  int rc;
  double a = 0, b = 0;
  bool is_latency = strcmp(ty, "latency") == 0, is_timeout = strcmp(ty, "timeout") == 0, is_reset = strcmp(ty, "reset_peer") == 0;
  if (is_latency) {
    if ((rc = attr(px, attrs, tpath, "latency", &a, err, n)) || (rc = attr(px, attrs, tpath, "jitter", &b, err, n))) return rc;
    w += snprintf(what + w, sizeof what - (size_t)w, " %gms", a);
    if (b > 0) w += snprintf(what + w, sizeof what - (size_t)w, " +- %gms jitter", b);
  } else if (is_timeout || is_reset) {
    if ((rc = attr(px, attrs, tpath, "timeout", &a, err, n))) return rc;
    if (a > 0) w += snprintf(what + w, sizeof what - (size_t)w, " after %gms", a);
    else w += snprintf(what + w, sizeof what - (size_t)w, is_timeout ? " 0 (never closes)" : " at once");
  } else if (strcmp(ty, "bandwidth") == 0) {
    if ((rc = attr(px, attrs, tpath, "rate", &a, err, n))) return rc;
    w += snprintf(what + w, sizeof what - (size_t)w, " %g KB/s", a);
  } else if (strcmp(ty, "limit_data") == 0) {
    if ((rc = attr(px, attrs, tpath, "bytes", &a, err, n))) return rc;
    w += snprintf(what + w, sizeof what - (size_t)w, " %g bytes", a);
  } else if (strcmp(ty, "slow_close") == 0) {
    if ((rc = attr(px, attrs, tpath, "delay", &a, err, n))) return rc;
    w += snprintf(what + w, sizeof what - (size_t)w, " %gms", a);
  } else if (strcmp(ty, "slicer") == 0) {
    if ((rc = attr(px, attrs, tpath, "average_size", &a, err, n)) || (rc = attr(px, attrs, tpath, "delay", &b, err, n))) return rc;
    w += snprintf(what + w, sizeof what - (size_t)w, " %g-byte slices, %gus apart", a, b);
  }
  if (w < (int)sizeof what) snprintf(what + w, sizeof what - (size_t)w, ", %s, toxicity %g", stream, tox);

  fl_ifault_t *f = new_fault(px, line, tname, NULL);
  snprintf(f->what, sizeof f->what, "%s", what);
  if (!px->mapped) { fl__fault_why(f, "%s", px->unmapped_why); return 0; }
  if (tox == 0) { fl__fault_why(f, "toxicity 0: it never applies"); return 0; }
  if (is_latency) {
    f->kind = "latency";
    f->value = a / 1000 * tox;
    fl__fault_why(f, "a request and its answer cross the proxy once each: the %s delay adds %gms to each call", stream, a);
    if (b > 0) fl__fault_why(f, "the jitter has no equivalent: faultline adds a constant latency (the mean is the same)");
    if (tox < 1)
      fl__fault_why(f, "toxicity %g: only that share of connections is slowed; faultline slows every call, so this adds the mean, %gms (the tail is shorter than the real one)",
                    tox, a * tox);
    why_service_wide(px, f);
  } else if (is_timeout && a == 0) {
    if (px->link && tox == 1) {
      f->kind = "partition";
      fl__fault_why(f, "timeout 0: data stops and the connection stays open, so calls hang until the caller's own timeout, as across a partition");
    } else {
      f->kind = "hang";
      if (tox < 1) f->share = tox;
      fl__fault_why(f, "timeout 0: data stops and the connection stays open, so calls hang until the caller's own timeout, as with a hung service");
      if (tox < 1) fl__fault_why(f, "toxicity %g: that share of connections, written as that share of %s's instances hung", tox, px->target);
      why_service_wide(px, f);
      f->link = false;   /* hang acts on instances */
    }
  } else if (is_timeout || (is_reset && (a > 0 || tox < 1 || px->link))) {
    /* the call fails after 'a' ms: a delay, then an error */
    if (a > 0) {
      f->kind = "latency";
      f->value = a / 1000 * tox;
      snprintf(f->name, sizeof f->name, "%.100s/%.60s (delay)", px->name, tname);
      fl__fault_why(f, "%s: calls fail after %gms: written as two faults, this delay and errors", is_timeout ? "the connection is closed" : "the connection is reset", a);
      if (tox < 1) fl__fault_why(f, "toxicity %g: the delay is the mean over all calls", tox);
      why_service_wide(px, f);
      f = new_fault(px, line, tname, " (failure)");
      snprintf(f->what, sizeof f->what, "%s", what);
    }
    f->kind = "errors";
    f->value = tox;
    fl__fault_why(f, "%s: calls fail (as error; Toxiproxy's callers see the connection %s)%s",
                  is_timeout ? "closed connections" : "reset connections", is_timeout ? "closed" : "reset",
                  tox < 1 ? ", on the share of connections the toxicity gives" : "");
    why_service_wide(px, f);
  } else if (is_reset) {
    f->kind = "crash";
    fl__fault_why(f, "every connection is reset at once: callers fail as unavailable, as when %s crashes", px->target);
    why_service_wide(px, f);
    f->link = false;
  } else if (strcmp(ty, "bandwidth") == 0) {
    fl__fault_why(f, "faultline models no payload sizes: an answer of S KB would take S / %g s more; if you know S, write a latency fault of that size", a);
  } else if (strcmp(ty, "limit_data") == 0) {
    fl__fault_why(f, "connections close after %g bytes: faultline models neither connections nor payload sizes", a);
  } else if (strcmp(ty, "slow_close") == 0) {
    fl__fault_why(f, "it delays closing the connection, after the answer: no effect on a call in faultline's model");
  } else if (strcmp(ty, "slicer") == 0) {
    fl__fault_why(f, "it slices data into small packets: about (answer size / %g bytes) x %gus more per call; faultline models no payload sizes", a, b);
  } else {
    fl__fault_why(f, "an unknown toxic type");
  }
  return 0;
}

static int read_proxy(fl_ifaults_t *fs, const fl_json_t *j, const cJSON *p, const char *path, const char *key, char *err, size_t n) {
  proxy_t px;
  memset(&px, 0, sizeof px);
  px.fs = fs; px.j = j;
  snprintf(px.path, sizeof px.path, "%s", path);
  px.line = fl__json_line(j, p);
  if (!cJSON_IsObject(p))
    return fl__imp_err(err, n, fs->file, px.line, "%s: expected a proxy { \"name\", \"upstream\", \"toxics\" }, got %s", path, fl__json_type(p));
  const cJSON *nm = cJSON_GetObjectItem(p, "name");
  if (nm && (!cJSON_IsString(nm) || !nm->valuestring[0]))
    return fl__imp_err(err, n, fs->file, fl__json_line(j, nm), "%s.name: expected the proxy's name, got %s", path, fl__json_type(nm));
  if (!nm && !key) return fl__imp_err(err, n, fs->file, px.line, "%s: missing \"name\"", path);
  snprintf(px.name, sizeof px.name, "%s", nm ? nm->valuestring : key);
  const cJSON *up = cJSON_GetObjectItem(p, "upstream");
  if (up && !cJSON_IsString(up))
    return fl__imp_err(err, n, fs->file, fl__json_line(j, up), "%s.upstream: expected \"host:port\", got %s", path, fl__json_type(up));
  if (up) snprintf(px.upstream, sizeof px.upstream, "%s", up->valuestring);
  const cJSON *en = cJSON_GetObjectItem(p, "enabled");
  if (en && !cJSON_IsBool(en))
    return fl__imp_err(err, n, fs->file, fl__json_line(j, en), "%s.enabled: expected true or false, got %s", path, fl__json_type(en));
  const cJSON *toxics = cJSON_GetObjectItem(p, "toxics");
  if (toxics && !cJSON_IsArray(toxics) && !cJSON_IsNull(toxics))
    return fl__imp_err(err, n, fs->file, fl__json_line(j, toxics), "%s.toxics: expected a list of toxics, got %s", path, fl__json_type(toxics));
  map_proxy(&px);
  if (en && cJSON_IsFalse(en)) {
    fl_ifault_t *f = new_fault(&px, fl__json_line(j, en), "disabled", NULL);
    snprintf(f->what, sizeof f->what, "proxy \"%s\" (upstream %s) disabled (\"enabled\": false)", px.name, px.upstream[0] ? px.upstream : "?");
    if (!px.mapped) fl__fault_why(f, "%s", px.unmapped_why);
    else if (px.link) {
      f->kind = "partition";
      fl__fault_why(f, "a disabled proxy refuses connections: calls %s -> %s fail (faultline's partition lets them wait for the caller's timeout instead)",
                    px.from, px.target);
    } else {
      f->kind = "crash";
      fl__fault_why(f, "a disabled proxy refuses connections: callers fail as unavailable, as when %s crashes", px.target);
      why_service_wide(&px, f);
      f->link = false;
    }
  }
  const cJSON *ls = cJSON_GetObjectItem(p, "listen");
  if (!(en && cJSON_IsFalse(en)) && cJSON_GetArraySize(toxics) == 0) {
    /* toxics are usually added at run time: the proxy still says which calls it carries */
    fl_ifault_t *f = new_fault(&px, px.line, "latency", NULL);
    snprintf(f->name, sizeof f->name, "%s", px.name);
    snprintf(f->what, sizeof f->what, "proxy \"%s\" (listen %s, upstream %s), no toxics", px.name,
             cJSON_IsString(ls) ? ls->valuestring : "?", px.upstream[0] ? px.upstream : "?");
    if (!px.mapped) fl__fault_why(f, "%s", px.unmapped_why);
    else {
      f->kind = "latency";
      f->value = 0.1;
      f->template_only = true;
      fl__fault_why(f, "no toxics: Toxiproxy adds them at run time; the proxy is a link ready for faults: uncomment and set the latency "
                    "(100ms is an example), or change kind to \"errors\" with a rate");
      why_service_wide(&px, f);
    }
  }
  int idx = 0;
  for (const cJSON *t = toxics ? toxics->child : NULL; t; t = t->next, idx++) {
    char tpath[192];
    snprintf(tpath, sizeof tpath, "%s.toxics[%d]", path, idx);
    int rc = read_toxic(&px, t, tpath, err, n);
    if (rc) return rc;
  }
  return 0;
}

/* The endpoint that proxy f's port stands for: its proxy's name less the service's ("service-b-grpc"
** in front of service-b: "grpc"), else "portN". */
static void port_endpoint(const fl_ifault_t *f, char *ep, size_t n) {
  char px[128];
  snprintf(px, sizeof px, "%.*s", (int)strcspn(f->name, "/"), f->name);
  size_t tl = strlen(f->target);
  const char *rest = strncasecmp(px, f->target, tl) == 0 ? px + tl : "";
  while (*rest == '-' || *rest == '_' || *rest == '.') rest++;
  if (*rest && !strchr(rest, '.')) snprintf(ep, n, "%s", rest);
  else { const char *port = strrchr(f->via, ':'); snprintf(ep, n, "port%s", port ? port + 1 : ""); }
}

/* Two proxies in front of one service on two ports (its HTTP and gRPC ports, say) each carry only
** the calls on their port, while a fault on the whole service hits every call: written so they
** would add up. Each becomes a fault on the endpoint its port stands for (a crash, a refused
** port, as errors on it); with a scenario whose service lacks those endpoints, the first stays on
** the service and the others of the same kind are written commented out, each saying so. */
static void same_host(fl_ifaults_t *fs) {
  const fl_model_t *m = fs->o->scenario;
  for (int i = 0; i < fs->n; i++) {
    fl_ifault_t *f = &fs->v[i];
    if (!f->kind || f->link || !f->via[0] || strchr(f->target, '.')) continue;
    int other = -1;
    for (int j = 0; j < fs->n && other < 0; j++) {
      const fl_ifault_t *g = &fs->v[j];
      if (j != i && g->kind && !g->link && g->via[0] && strcmp(g->via, f->via) != 0 &&
          (strcmp(g->target, f->target) == 0 || (strncmp(g->target, f->target, strlen(f->target)) == 0 && g->target[strlen(f->target)] == '.')))
        other = j;
    }
    if (other < 0) continue;
    char ep[128], full[260];
    port_endpoint(f, ep, sizeof ep);
    snprintf(full, sizeof full, "%s.%s", f->target, ep);
    const fl_service_t *svc = m ? fl_model_find_service(m, f->target) : NULL;
    if (!m || (svc && !svc->implicit && fl_model_find_endpoint(m, full))) {
      char svcname[128];
      snprintf(svcname, sizeof svcname, "%s", f->target);
      size_t fl = strlen(full);
      if (fl >= sizeof f->target) continue;   /* a name too long for a target: left as it was */
      memcpy(f->target, full, fl + 1);
      fl__fault_why(f, "%s is behind several proxies, one per port (also %.*s, upstream %s): each carries only the calls on its own port, "
                    "so this is a fault on the endpoint %s, not on all of %s's calls%s", svcname, (int)strcspn(fs->v[other].name, "/"), fs->v[other].name,
                    fs->v[other].via, full, svcname,
                    m ? "" : ": name the endpoints of " "the service so in your scenario (one per port)");
      if (strcmp(f->kind, "crash") == 0) {
        f->kind = "errors"; f->value = 1; f->instances = 0; f->share = 0;
        fl__fault_why(f, "a refused port fails the calls to it, as errors at rate 1 on that endpoint (the service's other ports still answer)");
      } else if (f->share > 0 || f->instances > 0) {
        f->share = 0; f->instances = 0;
        fl__fault_why(f, "a fault on one endpoint hits all its instances: the share of connections is not kept");
      }
      continue;
    }
    if (other > i) continue;   /* the first of the group stays on the service */
    const fl_ifault_t *g = &fs->v[other];
    if (!g->template_only && !f->template_only && strcmp(g->kind, f->kind) == 0) {
      char a[32], b[32];
      fl__fmt_dur(a, sizeof a, g->value); fl__fmt_dur(b, sizeof b, f->value);
      bool lat = strcmp(f->kind, "latency") == 0;
      fl__fault_why(f, "%s is also behind proxy %s (upstream %s), and %s has no endpoint %s: each proxy carries only the calls on its own port, but "
                    "faultline's %s fault on the service acts on every call to %s, so both would add up%s%s%s%s%s: this one is written commented "
                    "out; use it instead of the other for the calls on this port, or give %s an endpoint per port", f->target, g->name, g->via,
                    m->file, full, f->kind, f->target, lat ? " (" : "", lat ? a : "", lat ? " + " : "", lat ? b : "", lat ? " on every call)" : "",
                    f->target);
      f->template_only = true;
    } else {
      fl__fault_why(f, "%s is also behind proxy %s (upstream %s): each proxy carries the calls on its own port; faultline's faults act on all of "
                    "%s's calls (give it an endpoint per port, %s, to tell them apart)", f->target, g->name, g->via, f->target, full);
    }
  }
}

int fl__import_toxiproxy(const char *path, const char *text, size_t len, fl_ifaults_t *fs, char *err, size_t n) {
  fl_json_t j;
  int rc = fl__json_parse(&j, path, text, len, err, n);
  if (rc) return rc;
  fs->source = "Toxiproxy proxies and toxics";
  const cJSON *root = j.root;
  const cJSON *list = root;
  char pfx[16] = "";
  if (cJSON_IsObject(root)) {
    const cJSON *pl = cJSON_GetObjectItem(root, "proxies");
    if (cJSON_IsArray(pl)) { list = pl; snprintf(pfx, sizeof pfx, "proxies"); }
    else if (cJSON_GetObjectItem(root, "upstream") || cJSON_GetObjectItem(root, "toxics")) {
      rc = read_proxy(fs, &j, root, "(the proxy)", NULL, err, n);
      goto out;
    } else {
      /* GET /proxies: an object keyed by proxy name */
      for (const cJSON *p = root->child; p && !rc; p = p->next) {
        char ppath[192];
        snprintf(ppath, sizeof ppath, "[\"%.160s\"]", p->string);
        rc = read_proxy(fs, &j, p, ppath, p->string, err, n);
      }
      goto out;
    }
  }
  if (!cJSON_IsArray(list)) {
    rc = fl__imp_err(err, n, path, fl__json_line(&j, list), "expected Toxiproxy's proxies: a list of { \"name\", \"upstream\", \"toxics\" }, "
                     "or GET /proxies' object keyed by name; got %s", fl__json_type(list));
    goto out;
  }
  int idx = 0;
  for (const cJSON *p = list->child; p && !rc; p = p->next, idx++) {
    char ppath[64];
    snprintf(ppath, sizeof ppath, "%s[%d]", pfx, idx);
    rc = read_proxy(fs, &j, p, ppath, NULL, err, n);
  }
out:
  if (rc == 0) same_host(fs);
  fl__json_release(&j);
  return rc;
}
