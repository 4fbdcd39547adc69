/* `faultline serve`: its options, the lines that say where it listens (and its API token, and a
** warning off loopback), and the report written when it stops (--json); the server itself is
** sim/serve/. */
#include "faultline/serve.h"
#include "cli.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


typedef struct serve_args {
  fl_serve_opts_t o;
  const char *json;
} serve_args_t;

/* Returns 0, or the exit code of a usage error. 'sets' has room for every argument. */
static int parse_args(int argc, char **argv, serve_args_t *a, const char **sets) {
  memset(a, 0, sizeof *a);
  a->o.host = "127.0.0.1";
  a->o.port = 8080;
  a->o.speed = 60;
  a->o.load.sets = sets;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    long long ll;
    unsigned long long u;
    if (strcmp(arg, "--port") == 0) {
      if (!fl_cli_parse_int(val, 0, 65535, &ll)) return fl_cli_usage_error("serve", "--port needs 0 to 65535, got", val ? val : "nothing");
      a->o.port = (int)ll; i++;
    } else if (strcmp(arg, "--host") == 0) {
      if (!val) return fl_cli_usage_error("serve", "--host needs an IP address", NULL);
      a->o.host = argv[++i];
    } else if (strcmp(arg, "--speed") == 0) {
      char *end = NULL;
      double v = val ? strtod(val, &end) : 0;
      if (val && strcmp(val, "max") == 0) a->o.speed = 0;
      else if (!val || end == val || *end || !(v > 0) || v > 1e9)
        return fl_cli_usage_error("serve", "--speed needs a positive number or max, got", val ? val : "nothing");
      else a->o.speed = v;
      i++;
    } else if (strcmp(arg, "--seed") == 0) {
      if (!fl_cli_parse_u64(val, ~0ull, &u)) return fl_cli_usage_error("serve", "--seed needs a whole number, got", val ? val : "nothing");
      a->o.load.has_seed = true; a->o.load.seed = u; i++;
    } else if (strcmp(arg, "--memory") == 0) {
      int rc = fl_cli_parse_memory("serve", val, &a->o.load.memory);
      if (rc) return rc;
      i++;
    } else if (strcmp(arg, "--set") == 0) {
      if (!val) return fl_cli_usage_error("serve", "--set needs PATH=VALUE", NULL);
      sets[a->o.load.nsets++] = argv[++i];
    } else if (strcmp(arg, "--json") == 0) {
      if (!val) return fl_cli_usage_error("serve", "--json needs a file name", NULL);
      a->json = argv[++i];
    } else if (strcmp(arg, "--unsafe") == 0) {
      a->o.load.unsafe = true;
    } else if (arg[0] == '-' && arg[1]) {
      return fl_cli_usage_error("serve", "unknown option", arg);
    } else if (!a->o.path) {
      a->o.path = arg;
    } else {
      return fl_cli_usage_error("serve", "unexpected argument", arg);
    }
  }
  if (!a->o.path) return fl_cli_usage_error("serve", "missing scenario file after", "serve");
  if (a->json && fl_cli_check_output(a->json) != 0) return FL_EXIT_USAGE;
  return 0;
}

/* 127.0.0.0/8 or ::1: only this machine can connect. */
static bool loopback(const char *host) {
  unsigned char a[16];
  if (inet_pton(AF_INET, host, a) == 1) return a[0] == 127;
  static const unsigned char one[16] = { [15] = 1 };
  return inet_pton(AF_INET6, host, a) == 1 && memcmp(a, one, 16) == 0;
}

/* --json: the report of the run at the moment it stopped. */
static int write_report(fl_serve_t *sv, const char *path) {
  fl_run_t *r = fl_serve_current(sv);
  if (!r) return 0;
  fl_run_info_t info;
  fl_cli_run_info(r, &info);
  fl_sim_finish(&r->s);   /* stopped: its series are whole */
  fl_run_check(r);
  char err[512];
  if (fl_report_write_json(&r->s, &info, path, err, sizeof err) != 0) { fl_cli_error(err, NULL); return FL_EXIT_INTERNAL; }
  fprintf(stderr, "faultline: report: %s\n", path);
  return 0;
}

int fl__cmd_serve(int argc, char **argv) {
  const char **sets = fl_xcalloc((size_t)argc + 1, sizeof *sets);
  serve_args_t a;
  int rc = parse_args(argc, argv, &a, sets);
  fl_serve_t *sv = NULL;
  char err[1200];
  if (rc == 0) {
    int r = fl_serve_new(&a.o, &sv, err, sizeof err);
    if (r == -FL_EINVAL) rc = fl_cli_usage_error("serve", err, NULL);
    else if (r != 0) { fl_cli_error(err, NULL); rc = fl_cli_exit_of(r); }
  }
  if (rc == 0) {
    bool v6 = strchr(a.o.host, ':') != NULL;
    printf("faultline: serving %s on http://%s%s%s:%d/\n", a.o.path, v6 ? "[" : "", a.o.host, v6 ? "]" : "", fl_serve_port(sv));
    if (!loopback(a.o.host))
      fprintf(stderr, "faultline: WARNING: listening on %s, which is not a loopback address: every machine that can reach it "
              "can watch this run and read its report, and anyone who opens its page can pause it, change it and inject faults\n",
              a.o.host);
    if (a.o.speed > 0) printf("faultline: %g simulated seconds per second; Ctrl-C stops\n", a.o.speed);
    else printf("faultline: simulating as fast as it goes; Ctrl-C stops\n");
    printf("faultline: API token %s (POST and DELETE send it as X-Faultline-Token; the page does)\n", fl_serve_token(sv));
    fflush(stdout);
    fl_serve_run(sv);
    if (a.json) rc = write_report(sv, a.json);
  }
  fl_serve_free(sv);
  free(sets);
  return rc;
}
