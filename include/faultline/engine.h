/* The discrete-event engine: an integer-nanosecond clock and a 4-ary heap of events ordered by
** (time, sequence number assigned at scheduling), so ties resolve FIFO. Events are owned by the
** caller (usually embedded in a request), which makes scheduling and cancellation allocation-free. */
#ifndef FAULTLINE_ENGINE_H
#define FAULTLINE_ENGINE_H

#include "core.h"

typedef struct fl_engine fl_engine_t;
typedef struct fl_event fl_event_t;
typedef void (*fl_event_cb)(fl_engine_t *e, fl_event_t *ev);

struct fl_event {
  fl_event_cb cb;
  fl_time_t time;     /* when it fires; valid while pending */
  int32_t slot;       /* heap position, -1 when not pending */
  uint32_t aux;       /* free for the owner */
};

typedef struct fl_heap_entry { fl_time_t time; uint64_t seq; fl_event_t *ev; } fl_heap_entry_t;

struct fl_engine {
  fl_time_t now;
  uint64_t seq;               /* ordinary events: from 2^62 up */
  uint64_t seq_first;         /* events scheduled first: from 0 up */
  uint64_t dispatched;
  fl_heap_entry_t *heap;
  uint32_t size, cap;
  void *user;
};

void fl_engine_init(fl_engine_t *e, void *user);
void fl_engine_release(fl_engine_t *e);

static inline void fl_event_init(fl_event_t *ev, fl_event_cb cb) { ev->cb = cb; ev->time = 0; ev->slot = -1; ev->aux = 0; }
static inline bool fl_event_pending(const fl_event_t *ev) { return ev->slot >= 0; }

/* Schedules 'ev' at absolute time 'at' (>= now). Borrows 'ev' until its callback ran or
** fl_engine_cancel() returned. 'ev' must not be pending. The heap grows as needed. */
void fl_engine_schedule_at(fl_engine_t *e, fl_event_t *ev, fl_time_t at);
/* A delay past the end of time saturates at FL_TIME_MAX (an absurd work time must not wrap). */
static inline void fl_engine_schedule(fl_engine_t *e, fl_event_t *ev, fl_time_t delay) {
  fl_engine_schedule_at(e, ev, delay > FL_TIME_MAX - e->now ? FL_TIME_MAX : e->now + delay);
}
/* As fl_engine_schedule_at, but 'ev' runs before every event scheduled the ordinary way for
** the same time (FIFO among such events): a window closes before what happens at its end. */
void fl_engine_schedule_first_at(fl_engine_t *e, fl_event_t *ev, fl_time_t at);
/* Removes a pending event; no-op when it is not pending. */
void fl_engine_cancel(fl_engine_t *e, fl_event_t *ev);

/* Time of the next event, or FL_TIME_MAX when none. */
static inline fl_time_t fl_engine_next_time(const fl_engine_t *e) { return e->size ? e->heap[0].time : FL_TIME_MAX; }

/* Dispatches events while the next one is at or before 'until'; the clock then stands at
** the last event's time (never moved past 'until'). Returns the number dispatched. */
uint64_t fl_engine_run_until(fl_engine_t *e, fl_time_t until);
/* Dispatches exactly one event if any; returns false when the queue is empty. */
bool fl_engine_step(fl_engine_t *e);

#endif
