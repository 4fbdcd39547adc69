/* The table of faultline's commands beyond run and check: add a line per command. */
#include "cli.h"

#include <stddef.h>

int fl__cmd_sweep(int argc, char **argv);     /* sim/cli/cmd_sweep.c */
int fl__cmd_compare(int argc, char **argv);   /* sim/cli/cmd_sweep.c */
int fl__cmd_merge(int argc, char **argv);     /* sim/cli/cmd_sweep.c */
int fl__cmd_import(int argc, char **argv);    /* sim/cli/cmd_import.c */
int fl__cmd_size(int argc, char **argv);      /* sim/cli/cmd_size.c */
int fl__cmd_serve(int argc, char **argv);     /* sim/cli/cmd_serve.c */

const fl_command_t fl_commands[] = {
  { "sweep", "sweep SCENARIO.lua --set PATH=V1,V2,... [--reps N] [-j N] [--seed S] [--json F] [--csv F] [--shard I/N]\n"
             "                       a grid of settings x replications: mean ± 95% CI per point", fl__cmd_sweep },
  { "compare", "compare A.lua B.lua [--reps N] [-j N] [--seed S] [--set PATH=VALUE] [--json F] [--independent]\n"
               "                       the same traffic through two variants: paired differences", fl__cmd_compare },
  { "merge", "merge PART.json... [--json F] [--csv F]\n"
             "                       the shards of a sweep (sweep --shard I/N) into the whole result", fl__cmd_merge },
  { "graph", "graph SCENARIO.lua   the architecture as DOT, Mermaid or JSON [--format dot|mermaid|json] [--report R.json]", fl_cmd_graph },
  { "import", "import jaeger|otel|toxiproxy|chaos-mesh FILE [--out F]\n"
              "                       a scenario skeleton from a traced service graph, or faults from chaos experiments", fl__cmd_import },
  { "serve", "serve SCENARIO.lua [--port 8080] [--host 127.0.0.1] [--speed 60|max] [--json F]\n"
             "                       the live dashboard: the diagram breathes while the simulation runs", fl__cmd_serve },
  { "size", "size SCENARIO.lua [--services a,b] [--vary instances|workers] [--reps N] [--budget N] [--max N] [-j N] [--json F]\n"
            "                       the smallest instances (or workers) for which every expectation holds", fl__cmd_size },
  { NULL, NULL, NULL }
};
