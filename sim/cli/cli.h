/* The command line's shared helpers (sim/cli/cli.c) and its table of commands. Each command gets
** the arguments after its name (argv[0] is the command's name) and returns the exit code: 0 held,
** 1 an expectation failed, 2 usage or scenario error, 3 internal error. Messages go to stderr as
** "faultline: error: ...". */
#ifndef FAULTLINE_SIM_CLI_H
#define FAULTLINE_SIM_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include "faultline/report.h"
#include "faultline/run.h"

enum { FL_EXIT_HELD = 0, FL_EXIT_EXPECT = 1, FL_EXIT_USAGE = 2, FL_EXIT_INTERNAL = 3 };

typedef struct fl_command {
  const char *name;
  const char *synopsis;      /* one line for the usage text */
  int (*main)(int argc, char **argv);
  const char *help;          /* its options, for `faultline CMD --help`; NULL: the command prints its own */
} fl_command_t;

/* The table of extra commands (sim/cli/commands.c); ends with a NULL name. */
extern const fl_command_t fl_commands[];

int fl_cmd_graph(int argc, char **argv);     /* sim/cli/cmd_graph.c */
int fl__cmd_sweep(int argc, char **argv);     /* sim/cli/cmd_sweep.c */
int fl__cmd_compare(int argc, char **argv);   /* sim/cli/cmd_sweep.c */
int fl__cmd_merge(int argc, char **argv);     /* sim/cli/cmd_sweep.c */
int fl__cmd_import(int argc, char **argv);    /* sim/cli/cmd_import.c */
int fl__cmd_size(int argc, char **argv);      /* sim/cli/cmd_size.c */
int fl__cmd_serve(int argc, char **argv);     /* sim/cli/cmd_serve.c */

/* ---- usage and messages ---- */

/* The whole usage text: run and check, then every command's synopsis. */
void fl_cli_print_usage(FILE *out);
/* "faultline: error: MSG[ ARG]" on stderr. */
void fl_cli_error(const char *msg, const char *arg);
/* The error, then one line of hint: "try 'faultline CMD --help'" (cmd NULL: 'faultline --help').
** Returns FL_EXIT_USAGE. */
int fl_cli_usage_error(const char *cmd, const char *msg, const char *arg);
/* `faultline CMD --help` (or -h anywhere after CMD): prints CMD's usage on stdout and returns
** true, for run, check and every command with a help text; false otherwise. */
bool fl_cli_help(int argc, char **argv);
/* The exit code of a failed library call: 3 for -FL_EINTERNAL and -FL_ENOMEM, else 2. */
int fl_cli_exit_of(int rc);

/* ---- arguments ---- */

/* A whole number in [min, max] written in decimal digits (an optional '-', no '+', nothing
** after). Returns false otherwise. */
bool fl_cli_parse_int(const char *s, long long min, long long max, long long *out);
/* A confidence level: "0.95", "95%" or "95" (a number above 1 is a percentage), strictly
** between 0 and 1 once read. Returns false otherwise. */
bool fl_cli_parse_level(const char *s, double *out);
/* A non-negative whole number up to max, digits only. Returns false otherwise. */
bool fl_cli_parse_u64(const char *s, unsigned long long max, unsigned long long *out);
/* --memory's value 'v' (NULL: the option was last) into *bytes ("500MB", "2GB", a bare number
** of bytes), for run, check and every command that takes it. Returns 0, or the usage error of
** command 'cmd' (NULL: faultline's own) with its message printed. */
int fl_cli_parse_memory(const char *cmd, const char *v, double *bytes);

/* ---- output files ---- */

/* The folder of a report file is writable (checked before a long run, not found missing at
** its end). Returns 0, or -1 with a message on stderr. */
int fl_cli_check_output(const char *path);
/* A folder of outputs (--csv DIR): an existing writable folder holding only faultline's CSV
** series (it is replaced whole), or one that can be made in a writable parent. Returns 0, or -1
** with a message on stderr. */
int fl_cli_check_dir(const char *dir);
/* No output of a run is one of its inputs (the scenario, a part to merge) and no two outputs are
** one file (--json and --html the same), compared by inode when the files exist, else by the
** resolved folder and name. outs[i] may be NULL (not asked for); what[i] names it ("--json").
** Returns 0, or -1 with a message on stderr. */
int fl_cli_check_targets(const char *const *outs, const char *const *what, int nouts, const char *const *ins, int nins);
/* Prints 'root' and a newline to 'path' (whole or not at all), or to stdout when path is NULL:
** the same bytes either way. Frees root. Returns 0, or -1 with a message on stderr. */
int fl_cli_write_json(cJSON *root, const char *path);
/* 'root' printed with a newline: a new string (free()), NULL when out of memory. */
char *fl_cli_json_text(const cJSON *root);

/* ---- signals ---- */

/* Catches SIGINT and SIGTERM: the first sets the flag fl_cli_interrupted() points to and stops
** the simulation given to fl_cli_stop_on_signal at its next window; with 'second_ends', a
** second one ends the process at once (the default action of the signal). */
void fl_cli_catch_signals(bool second_ends);
volatile sig_atomic_t *fl_cli_interrupted(void);
/* The simulation the first signal stops (NULL: none). */
void fl_cli_stop_on_signal(fl_sim_t *s);

/* ---- run info ---- */

/* The report's "run" object of run 'r': wall time, events, peak memory, host. */
void fl_cli_run_info(const fl_run_t *r, fl_run_info_t *out);

#endif
