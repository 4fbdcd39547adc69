/* The pool that runs a batch of independent runs on threads: jobs start in index order, each
** worker loads and runs its own model (a run shares nothing), results are handed over under one
** lock. The calling thread waits, draws the progress bar (stderr, terminals only) and relays an
** interruption to the running simulations. Plain pthreads rather than libuv's work queue: that
** pool's size is process-wide and fixed at its first use (UV_THREADPOOL_SIZE), so it could not
** honour -j exactly. */
#include "faultline/run.h"
#include "faultline/sweep.h"
#include "faultline/units.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

typedef struct pool {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int njobs, next, ndone, running;
  int rc;                     /* first failure, or 0 */
  atomic_int stop;
  fl_pool_job_fn job;
  fl_pool_done_fn done;
  void *ctx;
  fl_run_ctl_t *ctl;          /* [threads] */
  uint64_t events;
} pool_t;

typedef struct worker { pool_t *p; int index; } worker_t;

int fl_pool_default_threads(void) {
  unsigned n = uv_available_parallelism();
  return n >= 1 ? (int)n : 1;
}

static void *work(void *arg) {
  worker_t *w = arg;
  pool_t *p = w->p;
  fl_run_ctl_t *ctl = &p->ctl[w->index];
  pthread_mutex_lock(&p->mu);
  while (!atomic_load(&p->stop) && p->next < p->njobs) {
    int j = p->next++;
    atomic_store(&ctl->permille, 0);
    p->running++;
    pthread_mutex_unlock(&p->mu);
    int rc = p->job(p->ctx, j, w->index, ctl);
    pthread_mutex_lock(&p->mu);
    p->running--;
    atomic_store(&ctl->permille, 0);
    if (rc == 0) {
      p->done(p->ctx, j, w->index);
      p->ndone++;
      p->events += ctl->events;
    } else if (rc < 0 && p->rc == 0) {
      p->rc = rc;
      atomic_store(&p->stop, 1);
    }
    pthread_cond_broadcast(&p->cv);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

static void draw(pool_t *p, int threads, double start, int *width) {
  double inflight = 0;
  for (int i = 0; i < threads; i++) inflight += atomic_load(&p->ctl[i].permille) / 1000.0;
  double frac = p->njobs ? ((double)p->ndone + inflight) / p->njobs : 1, el = fl_run_clock() - start;
  if (frac > 1) frac = 1;
  char bar[32], eta[16] = "?";
  int fill = (int)(frac * 24);
  for (int i = 0; i < 24; i++) bar[i] = i < fill ? '#' : '-';
  bar[24] = 0;
  if (frac > 0.001) fl_format_wall(el / frac - el, eta, sizeof eta);
  int n = fprintf(stderr, "\r  [%s] %d/%d runs %3.0f%%  ETA %s   ", bar, p->ndone, p->njobs, 100 * frac, eta);
  if (n > *width) *width = n;
}

int fl_pool_run(int njobs, const fl_pool_opts_t *o, fl_pool_job_fn job, fl_pool_done_fn done, void *ctx,
                fl_batch_info_t *info) {
  int threads = o->threads > 0 ? o->threads : fl_pool_default_threads();
  if (threads > njobs) threads = njobs > 0 ? njobs : 1;
  pool_t p;
  memset(&p, 0, sizeof p);
  pthread_mutex_init(&p.mu, NULL);
  pthread_cond_init(&p.cv, NULL);
  p.njobs = njobs;
  atomic_init(&p.stop, 0);
  p.job = job; p.done = done; p.ctx = ctx;
  p.ctl = fl_xcalloc((size_t)threads, sizeof *p.ctl);
  worker_t *ws = fl_xcalloc((size_t)threads, sizeof *ws);
  pthread_t *tids = fl_xcalloc((size_t)threads, sizeof *tids);
  double start = fl_run_clock();
  int started = 0;
  for (int i = 0; i < threads; i++) {
    p.ctl[i].stop = &p.stop;
    atomic_init(&p.ctl[i].permille, 0);
    ws[i].p = &p; ws[i].index = i;
  }
  for (int i = 0; i < threads; i++) {
    if (pthread_create(&tids[i], NULL, work, &ws[i]) != 0) break;
    started++;
  }
  bool interrupted = false;
  int width = 0;
  pthread_mutex_lock(&p.mu);
  if (started == 0) { p.rc = -FL_EINTERNAL; atomic_store(&p.stop, 1); }
  if (o->progress && started > 0) draw(&p, threads, start, &width);
  while (started > 0 && (p.running > 0 || (p.next < p.njobs && !atomic_load(&p.stop)))) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 200 * 1000 * 1000;
    if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
    pthread_cond_timedwait(&p.cv, &p.mu, &until);
    if (o->interrupted && *o->interrupted && !interrupted) {
      interrupted = true;
      atomic_store(&p.stop, 1);
    }
    if (o->progress) draw(&p, threads, start, &width);
  }
  pthread_mutex_unlock(&p.mu);
  for (int i = 0; i < started; i++) pthread_join(tids[i], NULL);
  if (o->progress && width > 0) fprintf(stderr, "\r%*s\r", width, "");
  if (info) {
    info->threads = threads;
    info->runs = p.ndone;
    info->wall_seconds = fl_run_clock() - start;
    info->events = p.events;
    fl_run_host(info->host, sizeof info->host);
  }
  int rc = p.rc ? p.rc : (interrupted || p.ndone < njobs) ? 1 : 0;
  free(tids); free(ws); free(p.ctl);
  pthread_cond_destroy(&p.cv);
  pthread_mutex_destroy(&p.mu);
  return rc;
}
