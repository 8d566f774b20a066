/* worker.c: the worker pool (worker.h). Jobs wait in a FIFO under one
 * mutex; an idle thread takes the next one, or a new thread is started
 * while there are fewer than max. A finished job goes to the done list and
 * an eventfd wakes the loop, which calls each job's done(). The loop never
 * waits for a worker except in workers_free. */
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "worker.h"

#define STOP_WAIT_MS	1000		/* workers_free: wait for running jobs */

struct workers {
	pthread_mutex_t mu;			/* guards everything below but ev */
	pthread_cond_t cv;			/* a job was queued, or stop */
	struct job *head, *tail;		/* queued, FIFO */
	struct job *done;			/* finished, for the loop (LIFO) */
	int max;				/* threads at most */
	int nthreads;				/* started and not exited */
	int nidle;				/* waiting for a job */
	int nqueued;				/* queued, not yet taken */
	int busy;				/* queued + running */
	int stop;				/* threads exit when idle */
	int efd;				/* eventfd: done is not empty */
	struct event *ev;			/* efd readable, on the loop */
};

/* Takes the next job, waiting while there is none; NULL on stop. */
static struct job *
queue_take(struct workers *w)
{
	struct job *j;

	while (w->head == NULL && !w->stop) {
		w->nidle++;
		pthread_cond_wait(&w->cv, &w->mu);
		w->nidle--;
	}
	if ((j = w->head) == NULL)
		return NULL;
	w->nqueued--;
	w->head = j->next;
	if (w->head == NULL)
		w->tail = NULL;
	return j;
}

/* A worker thread: runs jobs until the pool stops. */
static void *
worker_main(void *arg)
{
	struct workers *w = arg;
	struct job *j;
	uint64_t one = 1;

	pthread_setname_np(pthread_self(), "td-worker");
	pthread_mutex_lock(&w->mu);
	while ((j = queue_take(w)) != NULL) {
		pthread_mutex_unlock(&w->mu);
		j->run(j);
		pthread_mutex_lock(&w->mu);
		j->next = w->done;
		w->done = j;
		if (write(w->efd, &one, sizeof(one)) == -1 && errno != EAGAIN)
			log_warn("worker: eventfd");
	}
	w->nthreads--;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Calls done() for every finished job; on the loop. */
static void
workers_reap(struct workers *w)
{
	struct job *j, *next;

	pthread_mutex_lock(&w->mu);
	j = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->mu);
	for (; j != NULL; j = next) {
		next = j->next;
		pthread_mutex_lock(&w->mu);
		w->busy--;
		pthread_mutex_unlock(&w->mu);
		j->done(j);
	}
}

/* The eventfd is readable: some jobs are done. */
static void
workers_on_done(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		log_warn("worker: eventfd");
	workers_reap(arg);
}

/* A pool on base of at most max threads. */
struct workers *
workers_new(struct event_base *base, int max)
{
	struct workers *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->max = max > 0 ? max : 1;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (w->efd == -1 || (w->ev = event_new(base, w->efd, EV_READ | EV_PERSIST,
	    workers_on_done, w)) == NULL || event_add(w->ev, NULL) == -1) {
		if (w->efd != -1)
			close(w->efd);
		if (w->ev != NULL)
			event_free(w->ev);
		free(w);
		return NULL;
	}
	return w;
}

/* Starts a thread running fn(arg) with every signal blocked, so that
 * signals reach the loop. 0, or -1 with errno. */
int
thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = rc;
	return rc == 0 ? 0 : -1;
}

/* Starts one more worker thread; called locked. */
static int
worker_spawn(struct workers *w)
{
	pthread_t t;

	if (thread_start(&t, worker_main, w) == -1)
		return -1;
	pthread_detach(t);
	w->nthreads++;
	return 0;
}

/* Queues j, starting a thread when none is idle. */
int
workers_submit(struct workers *w, struct job *j)
{
	int rc = 0;

	j->next = NULL;
	j->cancelled = 0;
	pthread_mutex_lock(&w->mu);
	/* An idle thread already signalled for a queued job is not free:
	 * start one unless more are idle than jobs wait. */
	if (w->nidle <= w->nqueued && w->nthreads < w->max &&
	    worker_spawn(w) == -1 && w->nthreads == 0)
		rc = -1;
	if (rc == 0) {
		if (w->tail != NULL)
			w->tail->next = j;
		else
			w->head = j;
		w->tail = j;
		w->nqueued++;
		w->busy++;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

/* Jobs queued or running. */
int
workers_busy(const struct workers *w)
{
	return w->busy;
}

/* Waits until every thread has exited or the deadline passed; called
 * locked. 0 when they all exited. */
static int
workers_join(struct workers *w)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STOP_WAIT_MS / 1000;
	while (w->nthreads > 0)
		if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT)
			break;
	return w->nthreads > 0 ? -1 : 0;
}

/* Stops the pool and frees it unless a thread is still busy. */
void
workers_free(struct workers *w)
{
	int left;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	left = workers_join(w);
	pthread_mutex_unlock(&w->mu);
	workers_reap(w);
	event_free(w->ev);
	w->ev = NULL;
	if (left == -1) {
		log_warnx("%d worker thread%s still inside a system call; left "
		    "running", w->nthreads, w->nthreads == 1 ? "" : "s");
		return;		/* the threads still use w: it stays */
	}
	close(w->efd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
