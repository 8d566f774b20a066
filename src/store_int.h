/* store_int.h: what the store's own files share (store.c: the
 * connection, its schema and the writes; store_read.c: the queries;
 * store_merge.c: the fleet merge): the connection's struct and its error
 * helpers. The rest of teardownd uses store.h. */
#ifndef TEARDOWND_STORE_INT_H
#define TEARDOWND_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "buf.h"

#include "store.h"

#define STORE_BUSY_MS		5000		/* wait this long for a lock */
#define STORE_APPLICATION_ID	1413764942	/* 'TDWN', set by migration 1 */
#define STORE_MAXCOLS		64		/* columns of a read query */
#define STORE_WAL_LIMIT		"67108864"	/* the WAL's size after a checkpoint */
#define STORE_WRITE_CACHE	"-1024"		/* KiB of pages a writer keeps: inserts
						 * touch the tables' ends only */
#define STORE_SIG_MEMORY	1021		/* signature hashes remembered */

/* build/schema_sql.c, from src/schema.sql by tests/embed_sql.awk. */
extern const char *const schema_steps[];
extern const int schema_version;

/* The write path's statements, prepared once per connection. */
enum stmt {
	STMT_BEGIN_IMMEDIATE,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_INSERT_RUN,
	STMT_INSERT_SYSCTL,
	STMT_INSERT_CASE,
	STMT_INSERT_SIGNATURE,
	STMT_INSERT_RECORDS,
	STMT_ADD_RUN_COUNTS,
	STMT_END_RUN,
	STMT__COUNT
};

/* The write path's parameters, as the statements name them (":host"):
 * resolved to each statement's indexes once, when it is prepared, and
 * bound by index. */
#define PARAMS(X)							\
	X(abandoned) X(case_id) X(client_addr) X(config_hash) \
	X(duration_us) X(ended_us) X(error) X(fail) X(families) \
	X(family) X(first_fail) X(host) X(isolation) \
	X(kernel_release) X(kernel_version) X(link) X(message) \
	X(name) X(pass) X(profile) X(rep) X(repeat) X(run_id) X(scenario) \
	X(scope) X(server_addr) X(sig_hash) X(signature) X(skipped) \
	X(started_us) X(status) X(steps_hash) X(timeout) \
	X(transitions) X(value) X(verdict) X(version) X(virt) X(wire) \
	X(headers) X(steps) X(segments)
#define P_ENUM(n)	P_##n,
#define P_NAME(n)	":" #n,
enum param { PARAMS(P_ENUM) P__COUNT };

/* A JSON text being built (store.c: a case's records): its bytes, the
 * start of the innermost open array's elements, and the length without
 * its trailing nulls. bad: memory ran out on the way. */
struct jsbuf {
	struct buf b;
	size_t open, keep;
};

/* A write statement and its parameters' indexes (0: not in it). */
struct wstmt {
	sqlite3_stmt *s;
	int ix[P__COUNT];
};

struct store {
	sqlite3 *db;				/* the connection */
	int readonly;				/* opened SQLITE_OPEN_READONLY */
	int lock_fd;				/* store_open_writer's lock, or -1 */
	struct wstmt w[STMT__COUNT];		/* write path; NULL s when readonly */
	struct jsbuf js;			/* insert_records' text, reused */
	uint64_t sigs[STORE_SIG_MEMORY];	/* signature hashes stored (0: none) */
	char err[512];				/* last error, one line */
};

/* A run that can be compared: complete, and its cases have signatures. */
#define SIGNED(r)							\
	r ".status = 'complete' AND EXISTS (SELECT 1 FROM cases"		\
	" WHERE run_id = " r ".id AND sig_hash IS NOT NULL)"

/* Sets st's error text; returns -1 for "return store_fail(...)". */
int store_fail(struct store *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sets st's error to "what: SQLite's message"; -1. */
int store_fail_db(struct store *st, const char *what);
/* SQLite's process-wide settings; first, before any connection. */
void store_once(void);
/* Runs one SQL text (pragmas, transaction control, migration steps). */
int store_exec(struct store *st, const char *sql, const char *what);
/* Reads the one integer a statement such as "PRAGMA user_version" returns. */
int store_read_int(struct store *st, const char *sql, int64_t *v);
/* Binds an integer or a string to the named parameter; -1 if none. */
int store_bind_int(sqlite3_stmt *s, const char *name, int64_t v);
int store_bind_str(sqlite3_stmt *s, const char *name, const char *v);
/* Prepares a read statement and binds the arguments it names. */
int store_prepare_read(struct store *st, const char *sql,
    const struct store_args *a, sqlite3_stmt **sp);
/* Reads the database's identity (the connection's first read): its
 * application_id, schema version and number of schema objects. */
int store_identify(struct store *st, int64_t *appid, int64_t *version,
    int64_t *nobjects);
/* A write transaction: BEGIN IMMEDIATE, COMMIT (or, failing, ROLLBACK),
 * ROLLBACK keeping the error that caused it. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

#endif
