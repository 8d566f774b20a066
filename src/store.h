/* store.h: the SQLite store. Every SQL statement of teardownd lives in
 * the store's files: store.c (the connection, its schema and the writes),
 * store_read.c (the queries) and store_merge.c (the fleet merge); the
 * writer thread hands it finished cases, teardownctl reads rows. */
#ifndef TEARDOWND_STORE_H
#define TEARDOWND_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

struct store;

/* Exit codes for store failures, distinct from the others. */
#define STORE_EXIT_OPEN		74		/* EX_IOERR: cannot open/write */
#define STORE_EXIT_BUSY		75		/* EX_TEMPFAIL: another teardownd writes it */

/* Opens (creating and migrating unless readonly) the database at path.
 * On failure returns NULL with a one-line reason in err. */
struct store *store_open(const char *path, int readonly, char *err, size_t errlen);
/* Opens the database at path for teardownd, its one writer: first takes
 * the lock "path.lock" (see store.c), held until store_close. On failure
 * returns NULL with a one-line reason in err and *busy set to 1 when
 * another process holds the lock, else 0. */
struct store *store_open_writer(const char *path, int *busy, char *err,
    size_t errlen);
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
/* Moves what the WAL holds into the database file and truncates the WAL
 * (after each run: the WAL never keeps a disk full). 0; 1 when the disk
 * has no room for the pages (nothing more should be written until it
 * has); -1 on another error (a reader in the way). */
int store_checkpoint(struct store *st);

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
	STORE_Q_CASE_STEPS_VERBOSE,		/* the same with key tcp_info, queues: case_id */
	/* Its steps with its state transitions between them in time order,
	 * as STORE_Q_CASE_STEPS's columns (t_ms to the us): a transition
	 * has no idx, its end as side, "FROM -> TO" as step and its new
	 * state in its end's state column. */
	STORE_Q_CASE_TIMELINE,			/* case_id */
	STORE_Q_CASE_TIMELINE_VERBOSE,		/* the same with the -v columns: case_id */
	/* Its state transitions in time order (none when they were not
	 * observed, see STORE_Q_CASE's transitions): idx, t_ns, t_us, side,
	 * from_state, to_state. */
	STORE_Q_CASE_TRANSITIONS,		/* case_id */
	/* Its segments in capture order (none when the wire was not observed,
	 * see STORE_Q_CASE's wire): idx, t_us, dir ('C>S', 'S>C'), flags
	 * (tcpdump's letters), seq, ack (NULL without ACK), len, win,
	 * flag_bits (the flags byte). */
	STORE_Q_CASE_SEGMENTS,			/* case_id */
	STORE_Q_CASE_WIRE,			/* the same for people, t in ms: case_id */
	/* What a pcap file of the case needs: family, client_addr,
	 * server_addr, started_us, wire ('observed', 'not_observed', NULL). */
	STORE_Q_CASE_ENDS,			/* case_id */
	/* Both ends' states after each step that ran, for a ladder diagram:
	 * idx, t_us, dur_us, client_state, server_state, c_source, s_source. */
	STORE_Q_CASE_STATES,			/* case_id */
	STORE_Q_HISTORY,			/* verdict per run: scenario [, family] */
	/* Signatures (src/signature.h): */
	STORE_Q_RUN_STABILITY,			/* per scenario+family: run_id */
	STORE_Q_RUN_FLAKY,			/* each signature of its flaky ones: run_id */
	/* run_id (before) against run_id2 (after): per scenario and family
	 * of either, change ('same', 'changed', 'appeared', 'disappeared')
	 * and each side's majority: before_/after_ hash, case, verdict,
	 * stability, n_cases, n_majority and, unless same, signature. */
	STORE_Q_DIFF,
	/* run_id (before) against run_id2 (after): each sysctl whose value
	 * differs, by name: name, before, after (NULL where that run did not
	 * record it). */
	STORE_Q_DIFF_SYSCTLS,
	STORE_Q_BASELINES,			/* the baseline of each host, profile, link */
	/* A run's cases for export, by scenario, family and rep: run_id,
	 * host, kernel_release, kernel_version, run_started_at, case_id,
	 * scenario, family, rep, verdict, started_at, duration_us, failure
	 * ("line N: side verb args: message", NULL if it passed), fail_*
	 * (its first failing step), message, wire, sig_hash, signature. */
	STORE_Q_EXPORT_CASES,			/* run_id */
	/* Per scenario and kernel release, the cases of the latest run of
	 * that kernel that ran the scenario: host, scenario, kernel, run_id,
	 * verdict ('pass', 'fail', 'timeout', 'error'; 'flaky' when the
	 * repetitions of a family differ between pass and not; 'mixed' when
	 * families differ), cases, pass, fail, timeout, error, signatures
	 * (distinct sig_hash). */
	STORE_Q_MATRIX,				/* [family] */
	STORE_Q_MATRIX_BY_HOST,			/* the same per host: [family] */
	/* Every scenario the database has cases of, by name: scenario. */
	STORE_Q_SCENARIOS,
	/* The latest run's cases as c<ID>, in order: case. */
	STORE_Q_LATEST_CASES,
	STORE_Q__COUNT
};

enum store_lookup {
	STORE_L_LAST_RUN,			/* the latest run (by start) */
	STORE_L_RUN,				/* run_id, if that run exists */
	STORE_L_CASE,				/* case_id, if that case exists */
	STORE_L_CASE_BY_NAME,			/* run_id, scenario, family, rep */
	/* Runs to compare; "signed": complete, with signatures. */
	STORE_L_LAST_SIGNED,			/* the latest signed run */
	STORE_L_SIGNED,				/* run_id, if it is signed */
	STORE_L_BASELINE,			/* the baseline of run_id's host, profile, link */
	STORE_L_OTHER_KERNEL,			/* latest signed before run_id, other kernel,
						 * same profile and link */
	STORE_L_PREVIOUS_SIGNED			/* latest signed before run_id, same
						 * profile and link */
};

struct store_args {
	int64_t run_id;
	int64_t case_id;
	int64_t run_id2;			/* the second run of a comparison */
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
/* The SQL text of query q, of lookup l, of store_regressions' count:
 * for tests of their plans; NULL for no such query or lookup. */
const char *store_query_sql(enum store_query q);
const char *store_lookup_sql(enum store_lookup l);
const char *store_regressions_sql(void);
/* Finds one id: 1 found (*id set), 0 not found, -1 on a database error. */
int store_lookup(struct store *st, enum store_lookup l,
    const struct store_args *args, int64_t *id);

/*
 * The daemon's bookkeeping.
 */

/* The latest complete run of a host, as the schedule needs it. */
struct store_last_run {
	int64_t id;				/* runs.id */
	char kernel_release[128];		/* uname -r then */
	int64_t started_us, ended_us;		/* wall clock, us */
	int n[VERDICT__COUNT];			/* cases per verdict */
};

/* Marks every run still 'running' as 'aborted' (left so by a crash: one
 * teardownd writes a database at a time, under store_open_writer's lock,
 * so call this only on a store opened so), its end the end of its last
 * stored case; *n gets how many. 0 or -1. */
int store_mark_stale(struct store *st, int *n);
/* The latest complete run of host: 1 found (*lr set), 0 none, -1 error. */
int store_last_complete_run(struct store *st, const char *host,
    struct store_last_run *lr);
/* Records a scheduled run, due at due_us, skipped because run run_id was
 * still going (table run_skips). 0 or -1. */
int store_skip(struct store *st, int64_t due_us, int64_t run_id);

/*
 * Fleet: one database from several hosts' (teardownctl merge).
 */

/* One input of store_merge, and what merging it did. */
struct store_merge_input {
	const char *path;			/* in: the database */
	int64_t version;			/* its schema version */
	int migrated;				/* merged from a migrated copy */
	int64_t runs;				/* runs it holds */
	int64_t added;				/* of those, new to the output */
	int64_t replaced;			/* of those, replacing the output's
						 * copy, which was 'running' */
};

/* Merges the databases in[0..n-1] into the database at out (created, or
 * migrated, to this build's schema): each run the output does not hold
 * yet (by host, started_us and kernel_release) is copied with its rows in
 * every table, under new ids; a run it holds is left as it is unless it
 * was 'running' there. Merging again adds nothing. Inputs are opened
 * read-only; one of an older schema is merged from a migrated copy in a
 * private temporary directory, removed afterwards. Inputs are merged in
 * one transaction, or one per group of SQLite's attach limit (10).
 * 0, or -1 with a one-line reason in err. */
int store_merge(const char *out, struct store_merge_input *in, size_t n,
    char *err, size_t errlen);
/* The same into st, open already (teardownd --kernel: the runs' store,
 * its lock held). */
int store_merge_into(struct store *st, struct store_merge_input *in,
    size_t n, char *err, size_t errlen);
/* The ids of the runs the last input of store_merge_into added (at most
 * max, in order) into ids, their count into *n. 0 or -1. */
int store_merged_runs(struct store *st, int64_t *ids, size_t max, size_t *n);

/*
 * Baselines and regressions (teardownctl baseline, diff; teardownd --once).
 */

/* Makes run_id, a complete run with signatures, the baseline of its host,
 * profile and link.
 * 0, 1 when it is not such a run, -1 on a database error. */
int store_baseline_set(struct store *st, int64_t run_id, int64_t now_us);
/* Removes every baseline; *n gets how many there were. 0 or -1. */
int store_baseline_clear(struct store *st, int *n);
/* The baseline of run_id's host, profile and link: 1 found
 * (*baseline_id), 0 none, -1. */
int store_baseline(struct store *st, int64_t run_id, int64_t *baseline_id);
/* Counts the scenario+family, present in both runs, whose majority
 * signature differs between baseline_id and run_id into *changed. 0 or -1. */
int store_regressions(struct store *st, int64_t run_id, int64_t baseline_id,
    int *changed);

#endif
