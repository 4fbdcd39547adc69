/* The live server of `faultline serve` (sim/serve/): a libuv HTTP/1.1 server that runs one
** scenario paced in wall time, streams its records as Server-Sent Events, takes control by API,
** and rebuilds the run when the scenario file changes. The command line (sim/cli/cmd_serve.c)
** parses the options, creates the server, runs it until a signal and writes the report.
**
**   fl_serve_t *sv;
**   if (fl_serve_new(&o, &sv, err, sizeof err) != 0) { ...; return; }   // nothing to free
**   printf("http://%s:%d/\n", o.host, fl_serve_port(sv));
**   fl_serve_run(sv);                   // until SIGINT or SIGTERM
**   fl_run_t *r = fl_serve_current(sv); // the run at that moment, for --json
**   fl_serve_free(sv); */
#ifndef FAULTLINE_SERVE_H
#define FAULTLINE_SERVE_H

#include "run.h"

typedef struct fl_serve fl_serve_t;

typedef struct fl_serve_opts {
  const char *path;           /* the scenario (borrowed): watched, every save rebuilds the run */
  fl_load_opts_t load;        /* --seed, --set, --unsafe (borrowed), --memory: the budget of each run it builds */
  const char *host;           /* the address to listen on, an IP address */
  int port;                   /* 0: any free port (fl_serve_port says which) */
  double speed;               /* simulated seconds per wall second, > 0; 0: as fast as possible */
} fl_serve_opts_t;

/* Loads the scenario, starts its run and listens. Returns 0 with the server in *out; or
** -FL_ESCENARIO / -FL_EIO (the scenario did not load), -FL_EINVAL (host is no IP address),
** -FL_EIO (cannot listen), with a message in err, and then nothing is left to free. */
int fl_serve_new(const fl_serve_opts_t *o, fl_serve_t **out, char *err, size_t errlen);

/* The port it listens on. */
int fl_serve_port(const fl_serve_t *sv);

/* The token drawn at start (32 hex digits): every POST and DELETE must send it as the header
** X-Faultline-Token. The served page carries it; the command prints it for scripts. */
const char *fl_serve_token(const fl_serve_t *sv);

/* Serves until SIGINT or SIGTERM, then closes every connection. Returns 0. */
int fl_serve_run(fl_serve_t *sv);

/* The current run (owned by the server, valid until fl_serve_free), or NULL when none runs. */
fl_run_t *fl_serve_current(fl_serve_t *sv);

/* Frees the server and its run; fl_serve_free(NULL) is a no-op. */
void fl_serve_free(fl_serve_t *sv);

#endif
