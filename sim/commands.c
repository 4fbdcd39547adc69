/* The table of faultline's commands beyond run and check: add a line per command. */
#include "cli.h"

#include <stddef.h>

const fl_command_t fl_commands[] = {
  { NULL, NULL, NULL }
};
