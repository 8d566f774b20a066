/* worker.h: a small pool of threads for the system calls that may block
 * (close under SO_LINGER, a paired shutdown that waits for a kernel tick),
 * so the event loop never waits on them. A job's run() executes on a
 * worker thread; its done() is called back on the loop thread, always
 * (also for a job the loop no longer wants: see job.cancelled). */
#ifndef TEARDOWND_WORKER_H
#define TEARDOWND_WORKER_H

#include <pthread.h>

struct event_base;
struct workers;

/* A unit of work; the caller embeds it first in a struct of its own. */
struct job {
	void (*run)(struct job *j);		/* on a worker thread */
	void (*done)(struct job *j);		/* back on the loop; frees the job */
	int cancelled;				/* set on the loop: the result is unwanted */
	struct job *next;			/* queue link, the pool's */
};

/* Starts a thread running fn(arg) with every signal blocked, so that
 * signals reach the loop. 0, or -1 with errno. */
int thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/* A pool on base growing to at most max threads (started on demand, with
 * every signal blocked, so signals reach the loop). NULL on failure. */
struct workers *workers_new(struct event_base *base, int max);
/* Queues j; 0, or -1 when no thread could run it (j is then not queued). */
int workers_submit(struct workers *w, struct job *j);
/* Jobs queued or running. */
int workers_busy(const struct workers *w);
/* Stops the pool: waits up to about a second for running jobs (a close
 * under SO_LINGER can take its whole linger time), calls done for the
 * finished ones, and frees the pool, unless a thread is still inside a
 * system call: then the pool is left for it (logged). NULL is a no-op. */
void workers_free(struct workers *w);

#endif
