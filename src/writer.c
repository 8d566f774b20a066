/* writer.c: the store's writer thread (writer.h). Batches wait in a FIFO
 * under one mutex; the thread stores each in one transaction (store_cases)
 * on its own connection, frees its cases, and wakes the loop through an
 * eventfd; the loop then calls done() once per finished batch. */
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "case.h"
#include "log.h"
#include "store.h"
#include "worker.h"
#include "writer.h"

/* One batch of cases, queued. */
struct batch {
	struct case_result **res;		/* owned: freed once stored */
	size_t n;				/* cases in res */
	struct batch *next;
};

struct writer {
	pthread_t thread;			/* the writer thread */
	pthread_mutex_t mu;			/* guards the queue and counts */
	pthread_cond_t cv;			/* a batch was queued, or stop */
	struct batch *head, *tail;		/* queued */
	size_t backlog;				/* queued + being written */
	size_t finished, failed;		/* batches done since the loop looked */
	int stop;				/* exit once the queue is empty */
	struct store *st;			/* the writer's own connection */
	const char *db;				/* for messages */
	int64_t run_id;				/* the run its cases belong to */
	int efd;				/* eventfd: batches finished */
	struct event *ev;			/* efd readable */
	writer_done_fn done;			/* the run's, after each batch */
	void *ctx;				/* done's argument */
};

/* Stores one batch and frees its cases; on the writer thread. 0 or -1. */
static int
batch_write(struct writer *w, struct batch *b)
{
	size_t i;
	int rc = store_cases(w->st, w->run_id, b->res, b->n);

	if (rc == -1)
		log_warnx("%s: cannot store results: %s", w->db,
		    store_errmsg(w->st));
	for (i = 0; i < b->n; i++)
		case_result_free(b->res[i]);
	free(b->res);
	free(b);
	return rc;
}

/* The writer thread: stores batches until stopped and drained. */
static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct batch *b;
	uint64_t one = 1;
	int rc;

	pthread_setname_np(pthread_self(), "td-writer");	/* top -H, perf */
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->head == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if ((b = w->head) == NULL)
			break;
		w->head = b->next;
		if (w->head == NULL)
			w->tail = NULL;
		pthread_mutex_unlock(&w->mu);
		rc = batch_write(w, b);
		pthread_mutex_lock(&w->mu);
		w->backlog--;
		w->finished++;
		w->failed += rc == -1;
		if (write(w->efd, &one, sizeof(one)) == -1 && errno != EAGAIN)
			log_warn("writer: eventfd");
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* The eventfd is readable: report the finished batches on the loop. */
static void
writer_on_done(evutil_socket_t fd, short what, void *arg)
{
	struct writer *w = arg;
	size_t finished, failed, backlog;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		log_warn("writer: eventfd");
	pthread_mutex_lock(&w->mu);
	finished = w->finished;
	failed = w->failed;
	backlog = w->backlog;
	w->finished = w->failed = 0;
	pthread_mutex_unlock(&w->mu);
	while (finished-- > 0)
		w->done(w->ctx, failed > 0 ? (failed--, 1) : 0, backlog);
}

/* Whether db names a database that a second connection would not see. */
static int
db_private(const char *db)
{
	return db[0] == '\0' || strcmp(db, ":memory:") == 0 ||
	    strstr(db, "mode=memory") != NULL;
}

/* Frees what writer_start made, the thread not started. */
static void
writer_free(struct writer *w)
{
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->efd != -1)
		close(w->efd);
	store_close(w->st);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

/* Starts a writer of run run_id's cases into db. */
struct writer *
writer_start(struct event_base *base, const char *db, int64_t run_id,
    writer_done_fn done, void *ctx, char *err, size_t len)
{
	struct writer *w;

	if (db_private(db)) {
		snprintf(err, len, "%s: only one connection sees this database",
		    db);
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->db = db;
	w->run_id = run_id;
	w->done = done;
	w->ctx = ctx;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if ((w->st = store_open(db, 0, err, len)) == NULL)
		goto fail;
	if (w->efd == -1 || (w->ev = event_new(base, w->efd,
	    EV_READ | EV_PERSIST, writer_on_done, w)) == NULL ||
	    event_add(w->ev, NULL) == -1 ||
	    thread_start(&w->thread, writer_main, w) == -1) {
		snprintf(err, len, "writer thread: %s", strerror(errno));
		goto fail;
	}
	return w;
fail:
	writer_free(w);
	return NULL;
}

/* Queues n cases to be stored. */
int
writer_put(struct writer *w, struct case_result **res, size_t n)
{
	struct batch *b;
	size_t i;

	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->res = calloc(n, sizeof(*b->res))) == NULL) {
		free(b);
		for (i = 0; i < n; i++)
			case_result_free(res[i]);
		return -1;
	}
	memcpy(b->res, res, n * sizeof(*res));
	b->n = n;
	pthread_mutex_lock(&w->mu);
	if (w->tail != NULL)
		w->tail->next = b;
	else
		w->head = b;
	w->tail = b;
	w->backlog++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

/* Batches queued or being written. */
size_t
writer_backlog(struct writer *w)
{
	size_t n;

	pthread_mutex_lock(&w->mu);
	n = w->backlog;
	pthread_mutex_unlock(&w->mu);
	return n;
}

/* Stops the writer once its queue is empty, and frees it. */
void
writer_stop(struct writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	writer_free(w);
}
