/* The event queue: a 4-ary min-heap of (time, seq, event) entries with the heap index kept in
** each event, so cancellation is O(log n) and no event is ever allocated here. */
#include "faultline/engine.h"

#include <stdlib.h>

#define ARITY 4

void fl_engine_init(fl_engine_t *e, void *user) {
  e->now = 0; e->seq = (uint64_t)1 << 62; e->seq_first = 0; e->dispatched = 0;
  e->cap = 1024; e->size = 0;
  e->heap = fl_xmalloc(sizeof *e->heap * e->cap);
  e->user = user;
}

void fl_engine_release(fl_engine_t *e) {
  for (uint32_t i = 0; i < e->size; i++) e->heap[i].ev->slot = -1;
  free(e->heap);
  e->heap = NULL; e->size = e->cap = 0;
}

static inline bool before(const fl_heap_entry_t *a, const fl_heap_entry_t *b) {
  return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static inline void place(fl_engine_t *e, uint32_t i, fl_heap_entry_t ent) {
  e->heap[i] = ent;
  ent.ev->slot = (int32_t)i;
}

static void sift_up(fl_engine_t *e, uint32_t i, fl_heap_entry_t ent) {
  while (i > 0) {
    uint32_t parent = (i - 1) / ARITY;
    if (!before(&ent, &e->heap[parent])) break;
    place(e, i, e->heap[parent]);
    i = parent;
  }
  place(e, i, ent);
}

static void sift_down(fl_engine_t *e, uint32_t i, fl_heap_entry_t ent) {
  uint32_t n = e->size;
  for (;;) {
    uint32_t first = i * ARITY + 1;
    if (first >= n) break;
    uint32_t best = first, last = first + ARITY < n ? first + ARITY : n;
    for (uint32_t c = first + 1; c < last; c++)
      if (before(&e->heap[c], &e->heap[best])) best = c;
    if (!before(&e->heap[best], &ent)) break;
    place(e, i, e->heap[best]);
    i = best;
  }
  place(e, i, ent);
}

static void push(fl_engine_t *e, fl_event_t *ev, fl_time_t at, uint64_t seq) {
  FL_ASSERT(ev->slot < 0);
  FL_ASSERT(at >= e->now);
  if (e->size == e->cap) {
    e->cap *= 2;
    e->heap = fl_xrealloc(e->heap, sizeof *e->heap * e->cap);
  }
  ev->time = at;
  fl_heap_entry_t ent = { at, seq, ev };
  sift_up(e, e->size++, ent);
}

void fl_engine_schedule_at(fl_engine_t *e, fl_event_t *ev, fl_time_t at) { push(e, ev, at, e->seq++); }

void fl_engine_schedule_first_at(fl_engine_t *e, fl_event_t *ev, fl_time_t at) { push(e, ev, at, e->seq_first++); }

static void remove_at(fl_engine_t *e, uint32_t i) {
  e->heap[i].ev->slot = -1;
  fl_heap_entry_t last = e->heap[--e->size];
  if (i == e->size) return;
  if (i > 0 && before(&last, &e->heap[(i - 1) / ARITY])) sift_up(e, i, last);
  else sift_down(e, i, last);
}

void fl_engine_cancel(fl_engine_t *e, fl_event_t *ev) {
  if (ev->slot < 0) return;
  FL_ASSERT((uint32_t)ev->slot < e->size && e->heap[ev->slot].ev == ev);
  remove_at(e, (uint32_t)ev->slot);
}

bool fl_engine_step(fl_engine_t *e) {
  if (!e->size) return false;
  fl_event_t *ev = e->heap[0].ev;
  e->now = e->heap[0].time;
  remove_at(e, 0);
  e->dispatched++;
  ev->cb(e, ev);
  return true;
}

uint64_t fl_engine_run_until(fl_engine_t *e, fl_time_t until) {
  uint64_t n = 0;
  while (e->size && e->heap[0].time <= until) {
    fl_engine_step(e);
    n++;
  }
  return n;
}
