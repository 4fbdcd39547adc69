/* Asynchronous calls and brokers: publishing does not wait, every consumer gets every message,
** failed deliveries are redelivered then dead-lettered, messages are conserved, and a surge the
** consumers cannot follow shows up as lag rather than errors. */
#define CHECK_MAIN
#include "check.h"

#include "faultline/scenario.h"
#include "faultline/sim.h"

#define FIXTURE_NAME "messaging"
#include "fixture.h"

/* Writes 'text' to a scenario file and runs it with one --set assignment (NULL: none). */
static bool run_set(run_t *r, const char *text, const char *set) {
  const char *sets[1] = { set };
  return run_path(r, put("msg.lua", text), sets, set ? 1 : 0);
}


static const fl_group_t *group(const run_t *r, const char *consumer) {
  for (int g = 0; g < r->s.ngroups; g++)
    if (strcmp(r->s.groups[g].consumer->full_name, consumer) == 0) return &r->s.groups[g];
  return NULL;
}

static int sid(const run_t *r, const char *name) { return fl_model_find_service(r->m, name)->id; }

static const char shop[] =
  "scenario { duration = \"10m\", seed = 5, window = \"10s\" }\n"
  "service \"shop\" { instances = 2, workers = 50, work = const \"5ms\", calls = { call \"orders\" { async = true } } }\n"
  "service \"orders\" { kind = \"broker\", capacity = 1000000, consumers = { \"fulfil\", \"mail\" }, max_deliveries = 3 }\n"
  "service \"fulfil\" { instances = 1, workers = 4, queue = 10, work = exp \"20ms\", error_rate = 0.1 }\n"
  "service \"mail\" { instances = 1, workers = 2, queue = 10, work = exp \"5ms\" }\n"
  "traffic { rate = piecewise { {\"0s\",\"100/s\"}, {\"2m\",\"100/s\"}, {\"2.01m\",\"400/s\"}, {\"4m\",\"400/s\"}, {\"4.01m\",\"100/s\"} },\n"
  "          mix = { shop = 1 } }\n";

TEST(publishing_does_not_wait_for_the_consumers) {
  run_t r;
  if (!run_set(&r, shop, NULL)) return;
  /* the shop's answer is its own 5 ms of work: the consumers' 20 ms and their backlog do not count */
  const fl_hist_t *h = r.s.svc[sid(&r, "shop")].st.htotal;
  CHECK_NEAR(fl_hist_mean(h) / 1e6, 5.0, 0.05);
  CHECK_EQ_INT(r.s.svc[sid(&r, "shop")].st.total.failures, 0);
  run_free(&r);
}

TEST(every_consumer_gets_every_message_and_messages_are_conserved) {
  run_t r;
  if (!run_set(&r, shop, NULL)) return;
  uint64_t pub = r.s.published[sid(&r, "orders")];
  CHECK(pub > 90000);
  const char *names[] = { "fulfil.default", "mail.default" };
  for (int k = 0; k < 2; k++) {
    const fl_group_t *g = group(&r, names[k]);
    CHECK(g != NULL);
    if (!g) continue;
    /* published = consumed + dead-lettered + still waiting or in delivery at the end */
    CHECK_EQ_INT(g->consumed + g->dead + (uint64_t)g->count + (uint64_t)g->inflight, pub);
    /* deliveries = first deliveries + redeliveries */
    CHECK_EQ_INT(g->delivered, pub - (uint64_t)g->count + g->redelivered);
  }
  run_free(&r);
}

TEST(failed_deliveries_are_redelivered_then_dead_lettered) {
  run_t r;
  if (!run_set(&r, shop, NULL)) return;
  const fl_group_t *g = group(&r, "fulfil.default");
  uint64_t pub = r.s.published[sid(&r, "orders")];
  /* each delivery fails with p = 0.1, three deliveries at most: dead-lettered share p^3 = 0.001,
  ** redeliveries per message p + p^2 = 0.11; with ~96k messages: sd ~ 10 and ~100 */
  CHECK_NEAR((double)g->dead / (double)pub, 0.001, 0.0004);
  CHECK_NEAR((double)g->redelivered / (double)pub, 0.11, 0.005);
  CHECK_EQ_INT(group(&r, "mail.default")->dead, 0);
  run_free(&r);
}

TEST(a_surge_shows_up_as_lag_not_as_errors) {
  run_t r;
  if (!run_set(&r, shop, NULL)) return;
  const fl_svc_rt_t *o = &r.s.svc[sid(&r, "orders")];
  /* fulfil handles 4 / 20 ms = 200/s at most; 400/s for 2 minutes leaves ~24k waiting */
  double peak = 0;
  for (uint32_t w = 0; w < r.s.wdone; w++) if (o->st.series[FL_SER_LAG][w] > peak) peak = o->st.series[FL_SER_LAG][w];
  CHECK_MSG(peak > 15000 && peak < 35000, "peak lag %.0f", peak);
  CHECK(o->st.series[FL_SER_LAG_AGE][20] > 30);                    /* minutes behind at 3m20s */
  CHECK_EQ_INT(o->st.series[FL_SER_LAG][r.s.wdone - 1], 0);        /* and caught up by the end */
  CHECK_EQ_INT(o->st.total.failures, 0);
  CHECK_EQ_INT(r.s.svc[sid(&r, "fulfil")].st.total.cause[FL_CAUSE_REJECTED], 0);
  run_free(&r);
}

TEST(a_full_broker_rejects_the_publish_and_the_caller_does_not_see_it) {
  run_t r;
  char text[2048];
  snprintf(text, sizeof text, "%s", shop);
  char *cap = strstr(text, "capacity = 1000000");
  memcpy(cap, "capacity =    1000", 18);
  if (!run_set(&r, text, NULL)) return;
  const fl_group_t *g = group(&r, "fulfil.default");
  CHECK(g->max_lag <= 1000 + g->limit);   /* redeliveries of messages already held may come on top */
  CHECK(r.s.publish_rejected[sid(&r, "orders")] > 1000);
  /* the broker answers 'rejected', but the shop did not wait for it */
  CHECK(r.s.svc[sid(&r, "orders")].st.total.cause[FL_CAUSE_REJECTED] == r.s.publish_rejected[sid(&r, "orders")]);
  CHECK_EQ_INT(r.s.svc[sid(&r, "shop")].st.total.failures, 0);
  run_free(&r);
}
