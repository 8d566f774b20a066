/* writer.h: the store's writer thread. A run hands it batches of finished
 * cases; it stores each batch in one transaction on a database connection
 * of its own, so a commit never makes the event loop wait, and reports
 * each batch back on the loop. */
#ifndef TEARDOWND_WRITER_H
#define TEARDOWND_WRITER_H

#include <stddef.h>
#include <stdint.h>

struct case_result;
struct event_base;
struct writer;

/* Called on the loop after each batch: failed is 1 when it could not be
 * stored (the reason is logged), and backlog the batches still queued. */
typedef void (*writer_done_fn)(void *ctx, int failed, size_t backlog);

/* Starts a writer of run run_id's cases into the database at db, on a
 * connection of its own. NULL with a one-line reason in err when it cannot
 * (a database only one connection can see, such as ":memory:", or an open
 * that fails): the caller then stores on the loop. */
struct writer *writer_start(struct event_base *base, const char *db,
    int64_t run_id, writer_done_fn done, void *ctx, char *err, size_t len);
/* Queues n cases to be stored and freed (case_result_free). 0, or -1
 * when out of memory: the cases are freed, not stored. */
int writer_put(struct writer *w, struct case_result **res, size_t n);
/* Batches queued or being written. */
size_t writer_backlog(struct writer *w);
/* Stops the writer once its queue is empty, waiting for it, and frees it;
 * NULL is a no-op. */
void writer_stop(struct writer *w);

#endif
