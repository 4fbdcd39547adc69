/* The table of faultline's commands beyond run and check, with each one's usage: add a line per
** command. */
#include "cli.h"

#include <stddef.h>

const fl_command_t fl_commands[] = {
  { "sweep", "sweep SCENARIO.lua --set PATH=V1,V2,... [--reps N] [-j N] [--seed S] [--json F] [--csv F] [--shard I/N]\n"
             "                       a grid of settings x replications: mean ± 95% CI per point", fl__cmd_sweep,
    "  --set PATH=V1,V2,... one axis of the grid per --set (the last varies fastest)\n"
    "  --reps N             replications per grid point (default 10)\n"
    "  -j N, --jobs N       threads (default: the cores available)\n"
    "  --seed S             base seed (default: the scenario's)\n"
    "  --memory SIZE        memory the whole command may keep, e.g. 500MB, shared by the runs held at once\n"
    "                       (default: run's 1GB for each run); long series consolidate to fit\n"
    "  --json F             write the result as JSON\n"
    "  --csv F              write one row per (point, subject, metric)\n"
    "  --shard I/N          run only shard I of N (its JSON goes to merge)\n"
    "  -q, --quiet          no table on stdout\n"
    "  --unsafe             lift the scenario sandbox\n"
    "\n"
    "Per point: mean ± 95% confidence interval (Student t) of each journey's success ratio, p99 and mean\n"
    "latency, each service's utilisation; latency quantiles never get an interval narrower than their\n"
    "histogram bucket (\"resolution\"); each expectation's pass share with its exact binomial interval\n"
    "(Clopper-Pearson) and what it observed inside its own 'during' against its threshold.\n"
    "exit codes: 0 every run held every expectation, 1 a run failed one, 2 usage or scenario error\n" },
  { "compare", "compare A.lua [B.lua] [--set-a PATH=V] [--set-b PATH=V] [--reps N] [-j N] [--seed S] [--set PATH=V] [--json F] [--html F] [--independent]\n"
               "                       the same traffic through two variants: paired differences", fl__cmd_compare,
    "  B.lua                the second variant; leave it out to compare A with A plus --set-b (or --set-a)\n"
    "  --set-a PATH=VALUE   override a field of A only (repeatable)\n"
    "  --set-b PATH=VALUE   override a field of B only (repeatable), e.g. --set-b db.instances=4\n"
    "  --set PATH=VALUE     override a field of both (applied first)\n"
    "  --reps N             replications (default 10); both variants run replication r with the same seed\n"
    "  -j N, --jobs N       threads (default: the cores available)\n"
    "  --seed S             base seed (default: A's)\n"
    "  --independent        B gets its own seeds (no common random numbers)\n"
    "  --memory SIZE        memory the whole command may keep, e.g. 500MB, shared by the runs held at once\n"
    "                       (at least 2: --html draws a pair; default: run's 1GB for each run)\n"
    "  --json F             write the result as JSON\n"
    "  --html F             write one self-contained page: both runs side by side and overlaid (diagrams,\n"
    "                       health strips, cascades, journey charts; replication 0 of each) and the differences\n"
    "  -q, --quiet          no table on stdout\n"
    "  --unsafe             lift the scenario sandbox\n"
    "\n"
    "exit codes: 0 no expectation fares worse in B, 1 one does, 2 usage or scenario error\n" },
  { "merge", "merge PART.json... [--json F] [--csv F]\n"
             "                       the shards of a sweep (sweep --shard I/N) into the whole result", fl__cmd_merge,
    "  PART.json...         the JSON of every shard (sweep --shard I/N --json PART.json), any order\n"
    "  --json F             write the whole result as JSON (default: to stdout)\n"
    "  --csv F              write one row per (point, subject, metric)\n"
    "  -q, --quiet          no table on stdout\n" },
  { "graph", "graph SCENARIO.lua   the architecture as DOT, Mermaid or JSON [--format dot|mermaid|json] [--report R.json]", fl_cmd_graph, NULL },
  { "import", "import jaeger|otel|traces|toxiproxy|chaos-mesh FILE [--out F]\n"
              "                       a scenario skeleton from a traced service graph, or faults from chaos experiments", fl__cmd_import, NULL },
  { "serve", "serve SCENARIO.lua [--port 8080] [--host 127.0.0.1] [--speed 60|max] [--json F]\n"
             "                       the live dashboard: the diagram breathes while the simulation runs", fl__cmd_serve,
    "  --port N             HTTP port (default 8080; 0: any free port)\n"
    "  --host ADDR          address to listen on (default 127.0.0.1)\n"
    "  --speed X|max        simulated seconds per wall-clock second (default 60), or as fast as possible\n"
    "  --seed N             override the scenario's seed\n"
    "  --set PATH=VALUE     override a model field (repeatable)\n"
    "  --memory SIZE        memory each run may keep, e.g. 500MB (default 1GB); long series consolidate to fit\n"
    "  --json F             write the JSON report when the run ends\n"
    "  --unsafe             lift the scenario sandbox\n" },
  { "size", "size SCENARIO.lua [--services a,b] [--vary instances|workers] [--reps N] [--confidence C] [--budget N] [--max N] [-j N] [--json F]\n"
            "                       the smallest instances (or workers) for which every expectation holds", fl__cmd_size,
    "  --services a,b       the services to size (default: all)\n"
    "  --vary instances|workers   what to size (default instances; autoscaled services: autoscale.max)\n"
    "  --reps N             replications every candidate must pass (default 3)\n"
    "  --confidence C       level of the statement P(pass) >= L (default 0.95; 0.9, 90% ...)\n"
    "  --budget N           most simulations (default 200)\n"
    "  --max N              cap on every sized value (default max(64, 8 x the scenario's))\n"
    "  -j N, --jobs N       threads (default: the cores available)\n"
    "  --seed S             base seed: replication r runs with S + r (default: the scenario's)\n"
    "  --set PATH=VALUE     fixed override applied first (repeatable)\n"
    "  --memory SIZE        memory the whole search may keep, e.g. 500MB, shared by a candidate's replications\n"
    "                       running at once (default: run's 1GB for each run)\n"
    "  --json F             write the result as JSON\n"
    "  -q, --quiet          no table on stdout\n"
    "  --unsafe             lift the scenario sandbox\n"
    "\n"
    "The answer holds in all N replications; from N of N the one-sided exact binomial bound says how sure\n"
    "that is: P(pass) >= (1 - C)^(1/N) (10 of 10 at 95%: 0.74). More replications, a firmer bound.\n"
    "exit codes: 0 sizes found, 1 none found (infeasible, or budget spent first), 2 usage or scenario error\n" },
  { NULL, NULL, NULL, NULL }
};
