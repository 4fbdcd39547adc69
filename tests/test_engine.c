/* The event queue: order by time, ties first-in first-out, events scheduled first ahead of the
** ordinary ones at their time, cancellation anywhere in the heap, and a large random workload
** checked against a sort. */
#define CHECK_MAIN
#include "check.h"

#include "faultline/engine.h"
#include "faultline/rng.h"

typedef struct { fl_event_t ev; int id; } item_t;

static int order[100000], norder;

static void record(fl_engine_t *e, fl_event_t *ev) {
  (void)e;
  order[norder++] = ((item_t *)ev)->id;
}

TEST(events_run_in_time_order) {
  fl_engine_t e;
  fl_engine_init(&e, NULL);
  item_t it[5];
  fl_time_t at[5] = { 50, 10, 40, 20, 30 };
  norder = 0;
  for (int i = 0; i < 5; i++) { fl_event_init(&it[i].ev, record); it[i].id = i; fl_engine_schedule_at(&e, &it[i].ev, at[i]); }
  fl_engine_run_until(&e, 100);
  int want[5] = { 1, 3, 4, 2, 0 };
  for (int i = 0; i < 5; i++) CHECK_EQ_INT(order[i], want[i]);
  CHECK_EQ_INT(e.now, 50);
  fl_engine_release(&e);
}

TEST(ties_run_first_in_first_out) {
  fl_engine_t e;
  fl_engine_init(&e, NULL);
  item_t it[100];
  norder = 0;
  for (int i = 0; i < 100; i++) { fl_event_init(&it[i].ev, record); it[i].id = i; fl_engine_schedule_at(&e, &it[i].ev, 7); }
  fl_engine_run_until(&e, 7);
  CHECK_EQ_INT(norder, 100);
  for (int i = 0; i < 100; i++) CHECK_EQ_INT(order[i], i);
  fl_engine_release(&e);
}

TEST(events_scheduled_first_run_before_the_others_at_their_time) {
  fl_engine_t e;
  fl_engine_init(&e, NULL);
  item_t it[4];
  norder = 0;
  for (int i = 0; i < 4; i++) { fl_event_init(&it[i].ev, record); it[i].id = i; }
  fl_engine_schedule_at(&e, &it[0].ev, 5);
  fl_engine_schedule_at(&e, &it[1].ev, 10);
  fl_engine_schedule_first_at(&e, &it[2].ev, 10);   /* scheduled later, runs first at t=10 */
  fl_engine_schedule_first_at(&e, &it[3].ev, 10);
  fl_engine_run_until(&e, 10);
  int want[4] = { 0, 2, 3, 1 };
  for (int i = 0; i < 4; i++) CHECK_EQ_INT(order[i], want[i]);
  fl_engine_release(&e);
}

TEST(run_until_stops_at_the_bound_and_keeps_later_events) {
  fl_engine_t e;
  fl_engine_init(&e, NULL);
  item_t it[3];
  norder = 0;
  fl_time_t at[3] = { 5, 10, 11 };
  for (int i = 0; i < 3; i++) { fl_event_init(&it[i].ev, record); it[i].id = i; fl_engine_schedule_at(&e, &it[i].ev, at[i]); }
  CHECK_EQ_INT(fl_engine_run_until(&e, 10), 2);
  CHECK(fl_event_pending(&it[2].ev));
  CHECK_EQ_INT(fl_engine_next_time(&e), 11);
  fl_engine_release(&e);
}

TEST(cancelled_events_never_run_and_leave_the_heap_sound) {
  fl_engine_t e;
  fl_engine_init(&e, NULL);
  static item_t it[5000];
  fl_rng_t r;
  fl_rng_seed(&r, 7);
  norder = 0;
  for (int i = 0; i < 5000; i++) {
    fl_event_init(&it[i].ev, record); it[i].id = i;
    fl_engine_schedule_at(&e, &it[i].ev, (fl_time_t)fl_rng_below(&r, 1000));
  }
  for (int i = 0; i < 5000; i += 3) fl_engine_cancel(&e, &it[i].ev);
  fl_engine_cancel(&e, &it[0].ev);                 /* twice: a no-op */
  CHECK(!fl_event_pending(&it[3].ev));
  fl_engine_run_until(&e, FL_TIME_MAX - 1);
  CHECK_EQ_INT(norder, 5000 - 1667);
  bool none_cancelled = true, sorted = true;
  for (int k = 0; k < norder; k++) {
    if (order[k] % 3 == 0) none_cancelled = false;
    if (k && (it[order[k]].ev.time < it[order[k - 1]].ev.time ||
              (it[order[k]].ev.time == it[order[k - 1]].ev.time && order[k] < order[k - 1]))) sorted = false;
  }
  CHECK(none_cancelled);
  CHECK(sorted);                                   /* by time, ties in scheduling order */
  fl_engine_release(&e);
}

/* Events rescheduling themselves: a random workload matches a reference order. */
static fl_rng_t wr;
static fl_time_t last_time;
static bool monotonic = true;
static int fired;
static void again(fl_engine_t *e, fl_event_t *ev) {
  if (e->now < last_time) monotonic = false;
  last_time = e->now;
  fired++;
  if (fired < 200000) fl_engine_schedule(e, ev, (fl_time_t)fl_rng_below(&wr, 100));
}

TEST(a_long_random_workload_keeps_time_monotonic) {
  fl_engine_t e;
  fl_engine_init(&e, NULL);
  static item_t it[1000];
  fl_rng_seed(&wr, 11);
  fired = 0; last_time = 0; monotonic = true;
  for (int i = 0; i < 1000; i++) { fl_event_init(&it[i].ev, again); fl_engine_schedule_at(&e, &it[i].ev, (fl_time_t)fl_rng_below(&wr, 100)); }
  while (fl_engine_step(&e)) {}
  CHECK(monotonic);
  CHECK_EQ_INT(fired, 200000 + 999);
  CHECK_EQ_INT(e.size, 0);
  fl_engine_release(&e);
}
