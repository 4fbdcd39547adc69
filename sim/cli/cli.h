/* Commands of the faultline binary beyond run and check. Each lives in its own sim/cmd_*.c,
** gets the arguments after its name (argv[0] is the command's name) and returns the exit code:
** 0 held, 1 an expectation failed, 2 usage or scenario error, 3 internal error. Messages go to
** stderr as "faultline: error: ...". */
#ifndef FAULTLINE_SIM_CLI_H
#define FAULTLINE_SIM_CLI_H

enum { FL_EXIT_HELD = 0, FL_EXIT_EXPECT = 1, FL_EXIT_USAGE = 2, FL_EXIT_INTERNAL = 3 };

typedef struct fl_command {
  const char *name;
  const char *synopsis;      /* one line for the usage text */
  int (*main)(int argc, char **argv);
} fl_command_t;

/* The table of extra commands (sim/cli/commands.c); ends with a NULL name. */
extern const fl_command_t fl_commands[];

/* faultline graph (sim/cli/cmd_graph.c). */
int fl_cmd_graph(int argc, char **argv);

#endif
