/* run.h: one run of the plan, for `teardownd --once` and the daemon alike:
 * a runs row, the runner on the caller's loop, every batch of finished
 * cases stored, the run ended as complete, interrupted or aborted, and a
 * summary per scenario and family. */
#ifndef TEARDOWND_RUN_H
#define TEARDOWND_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"
#include "runner.h"
#include "scenario.h"
#include "store.h"

struct catalog;
struct config;
struct event_base;
struct run;
struct writer;

/* Called once when every case has ended (or was abandoned) and every
 * result is stored; call run_finish() then, from this callback or later. */
typedef void (*run_done_fn)(struct run *r, void *ctx);

/* The results of one scenario and family in a run. */
struct run_summary {
	const struct scenario *sc;		/* borrowed from the catalogue */
	enum family family;
	int n[VERDICT__COUNT];			/* cases per verdict */
	char msg[256];				/* the first failure's message */
};

struct run {
	struct store *st;			/* borrowed */
	const char *db;				/* the database, for messages */
	struct run_info ri;			/* what identifies the run */
	int64_t id;				/* runs.id */
	int64_t end_us;				/* wall clock at run_finish */
	int store_failed;			/* a batch could not be written */
	int end_failed;				/* the run's end could not be written */
	int interrupted;			/* run_abandon() was called */
	struct runner *rn;
	struct writer *w;			/* stores batches off the loop, or NULL */
	size_t batches_out;			/* handed to w, not yet stored */
	int cases_done;				/* every case has ended */
	struct run_counts counts;		/* every case that ended */
	struct run_summary *sum;		/* sorted by run_finish */
	size_t nsum;
	run_done_fn done;
	void *ctx;
};

/* Fills ri with the identity of a run of environment env of s: machine,
 * kernel, sysctls (a profile's in place of those read), start, the hash
 * of configuration and catalogue, families, repeat, profile, link. */
void run_describe(struct run_info *ri, const struct setup *s, size_t env);
#define RUN_PRIOS	2		/* the loop's priorities */
#define RUN_PRIO_WIRE	0		/* the relay's devices: first */
#define RUN_DISPATCH	64		/* callbacks between looks for events */

struct event_base;

/* The loop of the runs: see run.c. NULL when libevent fails. */
struct event_base *run_base_new(void);

/* Moves the process into a private network namespace as s->cf.isolation
 * asks (once, before any socket: see isolate.h), copying ri's sysctls;
 * writes "netns" or "host" to where (16 bytes). 0, or -1 (logged) when a
 * required isolation failed. Makes the links' namespaces there too
 * (src/link.h): the relay's, and one for each link and set of sysctls
 * (a scenario's, a profile's) of s's plan (when it cannot, those cases
 * are skipped with the reason). Then gives up CAP_SYS_ADMIN, which only
 * the namespaces need. */
int run_isolate(const struct setup *s, const struct run_info *ri, char *where);
/* Closes the relay links run_isolate made. */
void run_link_close(void);

/* Opens the database db for runs (store_open_writer): with its lock held,
 * so any run still 'running' in it was left so by a teardownd that died,
 * and is marked aborted here (logged). Returns the store, or NULL with
 * one line logged and *rc set: STORE_EXIT_BUSY when another process holds
 * the lock, else STORE_EXIT_OPEN. */
struct store *run_store_open(const char *db, int *rc);

/* Begins a run: the runs row (ri, with start_us and identity filled by
 * the caller), then the runner on base. 0, or an exit code with one line
 * logged: STORE_EXIT_OPEN when the row cannot be written, 70 when the
 * runner cannot start (no netlink socket); r needs run_free() either way. */
int run_start(struct run *r, struct event_base *base, struct store *st,
    const char *db, const struct run_info *ri, const struct runner_plan *plan,
    run_done_fn done, void *ctx);
/* Abandons the cases in flight (their sockets closed); the run will be
 * stored as interrupted, with why as the abandoned steps' message. */
void run_abandon(struct run *r, const char *why);
/* Ends the run in the store (after done): "complete", "interrupted" or
 * "aborted" (a batch could not be stored); sorts the summary. 0 or -1. */
int run_finish(struct run *r);
/* The status run_finish() stored. */
const char *run_status(const struct run *r);
/* Frees the runner and the summary; r itself is the caller's. */
void run_free(struct run *r);

#endif
