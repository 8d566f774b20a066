/* store.h: the SQLite store. Every SQL statement of teardownd lives in
 * store.c; the runner hands it finished cases, teardownctl reads rows. */
#ifndef TEARDOWND_STORE_H
#define TEARDOWND_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

struct store;

struct sysctl_value {
	char name[64];				/* "net.ipv4.tcp_fin_timeout" */
	char value[64];				/* as read, "" if unreadable */
};

struct run_info {
	char host[256];
	char kernel_release[128];		/* uname -r */
	char kernel_version[256];		/* uname -v */
	char config_hash[32];			/* hex */
	char version[32];			/* teardownd's */
	char families[32];			/* "ipv4 ipv6" */
	char isolation[16];			/* "netns" or "host" ("" = host) */
	int repeat;
	int64_t start_us;			/* CLOCK_REALTIME, us */
	size_t nsysctl;
	struct sysctl_value sysctl[32];
};

/* Exit codes for store failures, distinct from the others. */
#define STORE_EXIT_OPEN		74		/* EX_IOERR: cannot open/write */

/* Opens (creating and migrating unless readonly) the database at path.
 * On failure returns NULL with a one-line reason in err. */
struct store *store_open(const char *path, int readonly, char *err, size_t errlen);
void store_close(struct store *st);
/* Last error text of st, one line. */
const char *store_errmsg(struct store *st);

/* Records a new run with status 'running'; sets *run_id. 0 or -1. */
int store_run_begin(struct store *st, const struct run_info *ri, int64_t *run_id);
/* Stores n finished cases and their steps in one transaction. 0 or -1. */
int store_cases(struct store *st, int64_t run_id,
    struct case_result *const *cases, size_t n);
/* Ends a run: status is "complete", "interrupted" or "aborted". */
int store_run_end(struct store *st, int64_t run_id, const char *status,
    int64_t end_us);

/* The schema version this build writes and reads (PRAGMA user_version). */
int store_schema_version(void);

/*
 * The read API, for teardownctl. Queries and lookups are named; their SQL
 * lives in store.c and reads the schema's v_* views. Each query fills only
 * the arguments it names.
 */
enum store_query {
	STORE_Q_RUNS,				/* recent runs, newest first: limit */
	STORE_Q_RUN,				/* one run's header: run_id */
	STORE_Q_RUN_SYSCTLS,			/* its sysctls: run_id */
	STORE_Q_RUN_CASES,			/* its cases, first failing step: run_id */
	STORE_Q_CASE,				/* one case's header: case_id */
	STORE_Q_CASE_STEPS,			/* its steps, both ends side by side: case_id */
	STORE_Q_CASE_STEPS_VERBOSE,		/* the same with key tcp_info: case_id */
	/* Its segments in capture order (none when the wire was not observed,
	 * see STORE_Q_CASE's wire): idx, t_us, dir ('C>S', 'S>C'), flags
	 * (tcpdump's letters), seq, ack (NULL without ACK), len, win,
	 * flag_bits (the flags byte). */
	STORE_Q_CASE_SEGMENTS,			/* case_id */
	STORE_Q_CASE_WIRE,			/* the same for people, t in ms: case_id */
	STORE_Q_HISTORY,			/* verdict per run: scenario [, family] */
	STORE_Q__COUNT
};

enum store_lookup {
	STORE_L_LAST_RUN,			/* the latest run (by start) */
	STORE_L_RUN,				/* run_id, if that run exists */
	STORE_L_CASE,				/* case_id, if that case exists */
	STORE_L_CASE_BY_NAME			/* run_id, scenario, family, rep */
};

struct store_args {
	int64_t run_id;
	int64_t case_id;
	int64_t limit;				/* rows at most; <= 0: all */
	const char *scenario;			/* catalogue name */
	const char *family;			/* "ipv4", "ipv6"; NULL: any */
	int rep;				/* repetition; < 0: the lowest */
};

enum store_type {
	STORE_NULL,
	STORE_INT,
	STORE_REAL,
	STORE_TEXT
};

/* One value of a row: its SQLite type and its text (NULL for STORE_NULL),
 * valid only during the callback. */
struct store_value {
	enum store_type type;
	const char *text;
};

/* Called once with vals NULL to name the ncols columns, then once per row.
 * A non-zero return stops the query and store_query returns it. */
typedef int (*store_row_fn)(void *ctx, int ncols, const char *const *names,
    const struct store_value *vals);

/* Runs query q; 0 when every row was passed to fn, -1 on a database error
 * (store_errmsg), or fn's non-zero return. */
int store_query(struct store *st, enum store_query q,
    const struct store_args *args, store_row_fn fn, void *ctx);
/* Finds one id: 1 found (*id set), 0 not found, -1 on a database error. */
int store_lookup(struct store *st, enum store_lookup l,
    const struct store_args *args, int64_t *id);

#endif
