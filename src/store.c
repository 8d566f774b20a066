/* store.c: the SQLite store, and every SQL statement of teardownd.
 *
 * The schema is src/schema.sql, embedded at build time as numbered
 * migration steps (schema_steps[1..schema_version]); opening a database
 * for writing applies the steps it lacks. Writes go through statements
 * prepared once and kept in struct store, each inside BEGIN IMMEDIATE, so a
 * batch of cases is stored whole or not at all. Reads (teardownctl) are
 * named queries over the schema's v_* views, on a read-only connection. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "scenario.h"
#include "store.h"

#define STORE_BUSY_MS		5000		/* wait this long for a lock */
#define STORE_APPLICATION_ID	1413764942	/* 'TDWN', set by migration 1 */
#define STORE_MAXCOLS		64		/* columns of a read query */

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
	STMT_INSERT_STEP,
	STMT_INSERT_SEGMENT,
	STMT_ADD_RUN_COUNTS,
	STMT_END_RUN,
	STMT__COUNT
};

struct store {
	sqlite3 *db;				/* the connection */
	int readonly;				/* opened SQLITE_OPEN_READONLY */
	sqlite3_stmt *stmt[STMT__COUNT];	/* write path; NULL when readonly */
	char err[512];				/* last error, one line */
};

/* The tcp_snap fields kept for each end, as X(prefix, field). */
#define SNAP_FIELDS(X, p)						\
	X(p, ca_state) X(p, retransmits) X(p, probes) X(p, backoff)	\
	X(p, rto) X(p, unacked) X(p, lost) X(p, retrans)		\
	X(p, total_retrans) X(p, segs_in) X(p, segs_out)		\
	X(p, last_data_sent) X(p, last_data_recv) X(p, notsent_bytes)	\
	X(p, snd_wnd) X(p, rcv_wnd)
#define SNAP_COL(p, f)		p "_" #f ", "
#define SNAP_PARAM(p, f)	":" p "_" #f ", "
/* Column and parameter lists of one end, prefix "c" or "s". */
#define END_COLS(p)	p "_state, " p "_source, " p "_timer, " p "_timer_ms, " \
			SNAP_FIELDS(SNAP_COL, p)
#define END_PARAMS(p)	":" p "_state, :" p "_source, :" p "_timer, :"	\
			p "_timer_ms, " SNAP_FIELDS(SNAP_PARAM, p)

static const char *const stmt_sql[STMT__COUNT] = {
	[STMT_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_INSERT_RUN] =
	    "INSERT INTO runs (host, kernel_release, kernel_version,"
	    " config_hash, version, families, isolation, repeat, started_us)"
	    " VALUES (:host, :kernel_release, :kernel_version, :config_hash,"
	    " :version, :families, :isolation, :repeat, :started_us)",
	[STMT_INSERT_SYSCTL] =
	    "INSERT INTO run_sysctls (run_id, name, value)"
	    " VALUES (:run_id, :name, :value)",
	[STMT_INSERT_CASE] =
	    "INSERT INTO cases (run_id, scenario, family, rep, verdict,"
	    " first_fail, message, client_addr, server_addr, started_us,"
	    " duration_us, wire)"
	    " VALUES (:run_id, :scenario, :family, :rep, :verdict, :first_fail,"
	    " :message, :client_addr, :server_addr, :started_us, :duration_us,"
	    " :wire)",
	[STMT_INSERT_STEP] =
	    "INSERT INTO steps (" END_COLS("c") END_COLS("s")
	    " case_id, idx, line, side, verb, args, status, rc, errno, events,"
	    " eof, t_us, dur_us, message)"
	    " VALUES (" END_PARAMS("c") END_PARAMS("s")
	    " :case_id, :idx, :line, :side, :verb, :args, :status, :rc, :errno,"
	    " :events, :eof, :t_us, :dur_us, :message)",
	[STMT_INSERT_SEGMENT] =
	    "INSERT INTO segments (case_id, idx, t_us, dir, flags, flag_bits,"
	    " seq, ack, len, win)"
	    " VALUES (:case_id, :idx, :t_us, :dir, :flags, :flag_bits, :seq,"
	    " :ack, :len, :win)",
	/* The run's wire: the batch's (:wire), or 'partial' once batches
	 * differ; a batch of no cases (:wire NULL) leaves it. */
	[STMT_ADD_RUN_COUNTS] =
	    "UPDATE runs SET n_pass = n_pass + :pass, n_fail = n_fail + :fail,"
	    " n_timeout = n_timeout + :timeout, n_error = n_error + :error,"
	    " wire = CASE WHEN :wire IS NULL THEN wire"
	    "  WHEN wire IS NULL OR wire = :wire THEN :wire ELSE 'partial' END"
	    " WHERE id = :run_id AND status = 'running'",
	[STMT_END_RUN] =
	    "UPDATE runs SET status = :status, ended_us = :ended_us"
	    " WHERE id = :run_id AND status = 'running'",
};

/* Times as the tables keep them (us) shown as ISO-8601 to the second. */
#define ISO_SECONDS(col) \
	"strftime('%Y-%m-%dT%H:%M:%SZ', " col " / 1000000, 'unixepoch')"

/* The read queries, by enum store_query. */
static const char *const query_sql[STORE_Q__COUNT] = {
	[STORE_Q_RUNS] =
	    "SELECT run_id, " ISO_SECONDS("started_us") " AS started,"
	    " kernel_release AS kernel, host, status, n_pass AS pass,"
	    " n_fail AS fail, n_timeout AS timeout, n_error AS error,"
	    " round(duration_us / 1e6, 1) AS duration_s"
	    " FROM v_run ORDER BY started_us DESC, run_id DESC LIMIT :limit",
	[STORE_Q_RUN] =
	    "SELECT run_id, status, started_at, ended_at,"
	    " round(duration_us / 1e6, 3) AS duration_s, host, kernel_release,"
	    " kernel_version, version, config_hash, families, isolation, repeat,"
	    " n_cases,"
	    " n_pass, n_fail, n_timeout, n_error,"
	    " replace(wire, '_', ' ') AS wire"
	    " FROM v_run WHERE run_id = :run_id",
	[STORE_Q_RUN_SYSCTLS] =
	    "SELECT name, value FROM run_sysctls WHERE run_id = :run_id"
	    " ORDER BY name",
	[STORE_Q_RUN_CASES] =
	    "SELECT 'c' || c.case_id AS \"case\", c.scenario, c.family, c.rep,"
	    " c.verdict, CASE WHEN s.idx IS NULL THEN NULL"
	    "  ELSE '#' || s.idx || ' ' || s.side || ' '"
	    "  || trim(s.verb || ' ' || s.args) END AS failed_step,"
	    " c.message, round(c.duration_us / 1000.0, 1) AS duration_ms"
	    " FROM v_case AS c LEFT JOIN steps AS s"
	    "  ON s.case_id = c.case_id AND s.idx = c.first_fail"
	    " WHERE c.run_id = :run_id ORDER BY c.scenario, c.family, c.rep",
	[STORE_Q_CASE] =
	    "SELECT 'c' || case_id AS \"case\", run_id, scenario, family, rep,"
	    " verdict, first_fail, message, client_addr, server_addr,"
	    " started_at, round(duration_us / 1000.0, 1) AS duration_ms,"
	    " host, kernel_release, run_status,"
	    " replace(wire, '_', ' ') AS wire"
	    " FROM v_case WHERE case_id = :case_id",
	[STORE_Q_CASE_STEPS] =
	    "SELECT idx, round(t_us / 1000.0, 1) AS t_ms, side,"
	    " trim(verb || ' ' || args) AS step, coalesce(events, rc) AS rc,"
	    " errno, client_state, server_state, status, message"
	    " FROM v_step WHERE case_id = :case_id ORDER BY idx",
	[STORE_Q_CASE_STEPS_VERBOSE] =
	    "SELECT idx, round(t_us / 1000.0, 1) AS t_ms, side,"
	    " trim(verb || ' ' || args) AS step, coalesce(events, rc) AS rc,"
	    " errno, client_state, server_state, status,"
	    " round(dur_us / 1000.0, 1) AS dur_ms,"
	    " c_retrans, c_total_retrans, round(c_rto / 1000.0, 1) AS c_rto_ms,"
	    " c_backoff, c_timer_ms,"
	    " s_retrans, s_total_retrans, round(s_rto / 1000.0, 1) AS s_rto_ms,"
	    " s_backoff, s_timer_ms, message"
	    " FROM v_step WHERE case_id = :case_id ORDER BY idx",
	[STORE_Q_CASE_SEGMENTS] =
	    "SELECT idx, t_us, dir, flags, seq, ack, len, win, flag_bits"
	    " FROM v_segment WHERE case_id = :case_id ORDER BY idx",
	[STORE_Q_CASE_WIRE] =
	    "SELECT idx, round(t_us / 1000.0, 1) AS t_ms, dir, flags, seq, ack,"
	    " len, win FROM v_segment WHERE case_id = :case_id ORDER BY idx",
	[STORE_Q_HISTORY] =
	    "SELECT run_id, " ISO_SECONDS("run_started_us") " AS started,"
	    " kernel_release AS kernel, host, family, verdict, n_pass AS pass,"
	    " n_fail AS fail, n_timeout AS timeout, n_error AS error"
	    " FROM v_history WHERE scenario = :scenario"
	    " AND (:family IS NULL OR family = :family)"
	    " ORDER BY run_started_us, run_id, family",
};

/* The lookups, by enum store_lookup: each selects one id or nothing. */
static const char *const lookup_sql[] = {
	[STORE_L_LAST_RUN] =
	    "SELECT id FROM runs ORDER BY started_us DESC, id DESC LIMIT 1",
	[STORE_L_RUN] = "SELECT id FROM runs WHERE id = :run_id",
	[STORE_L_CASE] = "SELECT id FROM cases WHERE id = :case_id",
	[STORE_L_CASE_BY_NAME] =
	    "SELECT id FROM cases WHERE run_id = :run_id"
	    " AND scenario = :scenario AND family = :family"
	    " AND (:rep < 0 OR rep = :rep) ORDER BY rep LIMIT 1",
};

/* Sets st's error text; returns -1 for "return store_fail(...)". */
static int __attribute__((format(printf, 2, 3)))
store_fail(struct store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* Sets st's error to "what: <SQLite's message>"; returns -1. */
static int
store_fail_db(struct store *st, const char *what)
{
	return store_fail(st, "%s: %s", what, sqlite3_errmsg(st->db));
}

/* Runs one SQL text (pragmas, transaction control, migration steps). */
static int
store_exec(struct store *st, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_fail(st, "%s: %s", what,
		    msg != NULL ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Reads the one integer a statement such as "PRAGMA user_version" returns. */
static int
store_read_int(struct store *st, const char *sql, int64_t *v)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(s) != SQLITE_ROW)
		goto fail;
	*v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
fail:
	store_fail_db(st, sql);
	sqlite3_finalize(s);
	return -1;
}

/* Applies every migration step above the database's version, in one
 * transaction, and sets user_version to the last. */
static int
store_migrate(struct store *st)
{
	char sql[64], what[32];
	int64_t from;
	int v;

	if (store_exec(st, "BEGIN IMMEDIATE", "begin migration") == -1)
		return -1;
	/* Read again under the lock: another writer may have migrated. */
	if (store_read_int(st, "PRAGMA user_version", &from) == -1)
		goto fail;
	for (v = (int)from + 1; v <= schema_version; v++) {
		snprintf(what, sizeof(what), "migration %d", v);
		if (store_exec(st, schema_steps[v], what) == -1)
			goto fail;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", schema_version);
	if (from < schema_version && store_exec(st, sql, "set version") == -1)
		goto fail;
	if (store_exec(st, "COMMIT", "commit migration") == -1)
		goto fail;
	if (from > 0 && from < schema_version)
		log_info("schema migrated from version %lld to %d",
		    (long long)from, schema_version);
	return 0;
fail:
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Reads the database's identity, the first read of the connection: a file
 * that is not a database fails here, and so does a reader of a WAL
 * database that would have to create the -wal/-shm files in a directory
 * it cannot write. */
static int
store_identify(struct store *st, int64_t *appid, int64_t *version,
    int64_t *nobjects)
{
	if (store_read_int(st, "PRAGMA application_id", appid) == 0 &&
	    store_read_int(st, "PRAGMA user_version", version) == 0 &&
	    store_read_int(st, "SELECT count(*) FROM sqlite_schema",
	    nobjects) == 0)
		return 0;
	if (sqlite3_extended_errcode(st->db) == SQLITE_READONLY_DIRECTORY)
		return store_fail(st, "cannot read: it is in WAL mode, its -wal "
		    "and -shm files are missing and this directory is not "
		    "writable (teardownd keeps them once it has opened it)");
	return store_fail(st, "%s", sqlite3_errmsg(st->db));
}

/* Checks, before anything is written, that the file is a teardownd
 * database this build can use; *migrate is set when it lacks steps. */
static int
store_check_schema(struct store *st, int *migrate)
{
	int64_t version, appid, nobjects;

	if (store_identify(st, &appid, &version, &nobjects) == -1)
		return -1;
	if (appid != 0 && appid != STORE_APPLICATION_ID)
		return store_fail(st, "not a teardownd database "
		    "(application_id %lld)", (long long)appid);
	if (version == 0 && nobjects > 0)
		return store_fail(st, "not a teardownd database "
		    "(it has tables but no schema version)");
	if (version > schema_version)
		return store_fail(st, "schema version %lld is newer than this "
		    "build knows (%d); upgrade teardownd", (long long)version,
		    schema_version);
	if (version < schema_version && st->readonly && version == 0)
		return store_fail(st, "no teardownd schema yet; "
		    "run teardownd to create it");
	if (version < schema_version && st->readonly)
		return store_fail(st, "schema version %lld is older than this "
		    "build's (%d); run teardownd once to migrate it",
		    (long long)version, schema_version);
	*migrate = version < schema_version;
	return 0;
}

/* Switches the database to WAL; a file system that cannot do it (no shared
 * memory) keeps its journal mode, with a warning. */
static int
store_set_wal(struct store *st)
{
	sqlite3_stmt *s = NULL;
	const char *mode;
	int ret = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s,
	    NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		store_fail_db(st, "journal_mode");
		goto done;
	}
	mode = (const char *)sqlite3_column_text(s, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0)
		log_warnx("journal_mode is %s, not wal: readers will wait for "
		    "writers", mode != NULL ? mode : "unknown");
	ret = 0;
done:
	sqlite3_finalize(s);
	return ret;
}

/* Sets a writable connection up: WAL, synchronous=NORMAL, foreign keys,
 * and a -wal/-shm pair that stays after close so that read-only users
 * (teardownctl) never need to create them. */
static int
store_configure(struct store *st)
{
	int persist = 1;

	if (store_set_wal(st) == -1 ||
	    store_exec(st, "PRAGMA synchronous = NORMAL", "synchronous") == -1 ||
	    store_exec(st, "PRAGMA foreign_keys = ON", "foreign_keys") == -1)
		return -1;
	sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	return 0;
}

/* Prepares the write path's statements, kept for the connection's life. */
static int
store_prepare_writes(struct store *st)
{
	int i;

	for (i = 0; i < STMT__COUNT; i++)
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL) != SQLITE_OK)
			return store_fail_db(st, "prepare");
	return 0;
}

/* Opens (creating and migrating unless readonly) the database at path;
 * NULL with "path: reason" in err on failure. */
struct store *
store_open(const char *path, int readonly, char *err, size_t errlen)
{
	struct store *st;
	int migrate = 0;
	int flags = SQLITE_OPEN_EXRESCODE | (readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	st->readonly = readonly;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		if (st->db != NULL && sqlite3_system_errno(st->db) != 0)
			store_fail(st, "cannot open: %s",
			    strerror(sqlite3_system_errno(st->db)));
		else
			store_fail(st, "cannot open: %s", st->db != NULL ?
			    sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	if (store_check_schema(st, &migrate) == -1)
		goto fail;
	if (readonly)
		return st;
	if (store_configure(st) == -1 || (migrate && store_migrate(st) == -1) ||
	    store_prepare_writes(st) == -1)
		goto fail;
	return st;
fail:
	snprintf(err, errlen, "%s: %s", path, st->err);
	store_close(st);
	return NULL;
}

/* Closes the database and frees st (NULL is fine). */
void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < STMT__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

/* Last error text of st, one line. */
const char *
store_errmsg(struct store *st)
{
	return st->err;
}

/* The schema version this build writes and reads. */
int
store_schema_version(void)
{
	return schema_version;
}

/* Binds an integer to the named parameter; -1 if there is none. */
static int
bind_int(sqlite3_stmt *s, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	return i > 0 && sqlite3_bind_int64(s, i, v) == SQLITE_OK ? 0 : -1;
}

/* Binds text (at most max bytes of it, NUL or not) to the named parameter;
 * empty text is bound as NULL when empty_null is set. */
static int
bind_text(sqlite3_stmt *s, const char *name, const char *v, size_t max,
    int empty_null)
{
	int i = sqlite3_bind_parameter_index(s, name);
	size_t n = strnlen(v, max);

	if (i <= 0)
		return -1;
	if (n == 0 && empty_null)
		return 0;			/* cleared bindings are NULL */
	return sqlite3_bind_text(s, i, v, (int)n, SQLITE_STATIC) ==
	    SQLITE_OK ? 0 : -1;
}

/* Binds a NUL-terminated string that must not be stored as NULL. */
static int
bind_str(sqlite3_stmt *s, const char *name, const char *v)
{
	return bind_text(s, name, v, (size_t)-1, 0);
}

/* Binds an integer to the parameter ":<prefix>_<field>". */
static int
bind_end_int(sqlite3_stmt *s, const char *prefix, const char *field,
    int64_t v)
{
	char name[64];

	snprintf(name, sizeof(name), ":%s_%s", prefix, field);
	return bind_int(s, name, v);
}

/* Binds one end's observation (prefix "c" or "s"); what was not observed
 * stays NULL. */
static int
bind_end(sqlite3_stmt *s, const char *p, const struct end_obs *o)
{
	const struct tcp_snap *i = &o->info;
	char name[64];
	int bad = 0;

	if (o->source == OBS_NONE)
		return 0;
	snprintf(name, sizeof(name), ":%s_state", p);
	bad |= bind_str(s, name, state_name(o->state));
	snprintf(name, sizeof(name), ":%s_source", p);
	bad |= bind_str(s, name, source_name(o->source));
	if (o->source == OBS_DIAG || o->source == OBS_DIAG_TW) {
		bad |= bind_end_int(s, p, "timer", o->timer);
		bad |= bind_end_int(s, p, "timer_ms", o->timer_ms);
	}
	if (!o->has_info)
		return bad;
#define BIND_SNAP(p, f)	bad |= bind_end_int(s, p, #f, i->f);
	SNAP_FIELDS(BIND_SNAP, p)
#undef BIND_SNAP
	return bad;
}

/* Steps a kept write statement to completion and resets it; what names
 * it in the error. */
static int
stmt_run(struct store *st, enum stmt k, const char *what)
{
	sqlite3_stmt *s = st->stmt[k];
	int rc;

	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		store_fail_db(st, what);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/* Gives up on a statement whose parameters could not be bound. */
static int
stmt_bind_failed(struct store *st, enum stmt k, const char *what)
{
	sqlite3_clear_bindings(st->stmt[k]);
	return store_fail(st, "%s: cannot bind parameters", what);
}

/* Starts a write transaction, or fails on a read-only store. */
static int
store_begin(struct store *st)
{
	if (st->readonly)
		return store_fail(st, "the database is open read-only");
	return stmt_run(st, STMT_BEGIN_IMMEDIATE, "begin");
}

/* Rolls the open transaction back, keeping the error that caused it. */
static void
store_rollback(struct store *st)
{
	char keep[sizeof(st->err)];

	if (sqlite3_get_autocommit(st->db))
		return;				/* SQLite has rolled back */
	memcpy(keep, st->err, sizeof(keep));
	if (stmt_run(st, STMT_ROLLBACK, "rollback") == -1)
		log_warnx("store: %s", st->err);
	memcpy(st->err, keep, sizeof(keep));
}

/* Commits, or rolls back if the commit fails. */
static int
store_commit(struct store *st)
{
	if (stmt_run(st, STMT_COMMIT, "commit") == 0)
		return 0;
	store_rollback(st);
	return -1;
}

/* Inserts the run's row and returns its id in *run_id. */
static int
insert_run(struct store *st, const struct run_info *ri, int64_t *run_id)
{
	sqlite3_stmt *s = st->stmt[STMT_INSERT_RUN];
	int bad = 0;

	bad |= bind_text(s, ":host", ri->host, sizeof(ri->host), 0);
	bad |= bind_text(s, ":kernel_release", ri->kernel_release,
	    sizeof(ri->kernel_release), 0);
	bad |= bind_text(s, ":kernel_version", ri->kernel_version,
	    sizeof(ri->kernel_version), 0);
	bad |= bind_text(s, ":config_hash", ri->config_hash,
	    sizeof(ri->config_hash), 0);
	bad |= bind_text(s, ":version", ri->version, sizeof(ri->version), 0);
	bad |= bind_text(s, ":families", ri->families, sizeof(ri->families), 0);
	bad |= bind_text(s, ":isolation", ri->isolation[0] ? ri->isolation : "host",
	    sizeof(ri->isolation), 0);
	bad |= bind_int(s, ":repeat", ri->repeat);
	bad |= bind_int(s, ":started_us", ri->start_us);
	if (bad)
		return stmt_bind_failed(st, STMT_INSERT_RUN, "insert run");
	if (stmt_run(st, STMT_INSERT_RUN, "insert run") == -1)
		return -1;
	*run_id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* Inserts the run's sysctls. */
static int
insert_sysctls(struct store *st, int64_t run_id, const struct run_info *ri)
{
	sqlite3_stmt *s = st->stmt[STMT_INSERT_SYSCTL];
	const struct sysctl_value *sv;
	char what[96];
	size_t i, n = ri->nsysctl;
	int bad;

	if (n > sizeof(ri->sysctl) / sizeof(ri->sysctl[0]))
		return store_fail(st, "insert sysctls: %zu is too many", n);
	for (i = 0; i < n; i++) {
		sv = &ri->sysctl[i];
		snprintf(what, sizeof(what), "insert sysctl %.*s",
		    (int)sizeof(sv->name), sv->name);
		bad = bind_int(s, ":run_id", run_id);
		bad |= bind_text(s, ":name", sv->name, sizeof(sv->name), 0);
		bad |= bind_text(s, ":value", sv->value, sizeof(sv->value), 0);
		if (bad)
			return stmt_bind_failed(st, STMT_INSERT_SYSCTL, what);
		if (stmt_run(st, STMT_INSERT_SYSCTL, what) == -1)
			return -1;
	}
	return 0;
}

/* Records a new run with status 'running' and its sysctls; sets *run_id. */
int
store_run_begin(struct store *st, const struct run_info *ri, int64_t *run_id)
{
	int64_t id = 0;

	if (store_begin(st) == -1)
		return -1;
	if (insert_run(st, ri, &id) == -1 || insert_sysctls(st, id, ri) == -1)
		goto fail;
	if (store_commit(st) == -1)
		return -1;
	*run_id = id;
	return 0;
fail:
	store_rollback(st);
	return -1;
}

/* Inserts step idx of a case: its definition, and what happened if r is
 * not NULL and the step ran. */
static int
insert_step(struct store *st, int64_t case_id, size_t idx,
    const struct step *sp, const struct step_result *r)
{
	sqlite3_stmt *s = st->stmt[STMT_INSERT_STEP];
	enum step_status status = r != NULL ? r->status : STEP_NOT_RUN;
	char what[64], ev[64];
	int bad = 0;

	snprintf(what, sizeof(what), "insert step %zu", idx);
	bad |= bind_int(s, ":case_id", case_id);
	bad |= bind_int(s, ":idx", (int64_t)idx);
	bad |= bind_int(s, ":line", sp->line);
	bad |= bind_str(s, ":side", side_name(sp->side));
	bad |= bind_str(s, ":verb", verb_name(sp->verb));
	bad |= bind_text(s, ":args", sp->args, sizeof(sp->args), 0);
	bad |= bind_str(s, ":status", status_name(status));
	if (r != NULL)
		bad |= bind_text(s, ":message", r->msg, sizeof(r->msg), 1);
	if (status != STEP_NOT_RUN) {
		if (!verb_is_expect(sp->verb))
			bad |= bind_int(s, ":rc", r->rc);
		if (r->err != 0)
			bad |= bind_str(s, ":errno", errno_name(r->err));
		if (verb_reports_events(sp->verb) && r->err == 0) {
			events_format((int)r->rc, ev, sizeof(ev));
			bad |= bind_str(s, ":events", ev);
		}
		bad |= bind_int(s, ":eof", r->eof != 0);
		bad |= bind_int(s, ":t_us", r->t_us);
		bad |= bind_int(s, ":dur_us", r->dur_us);
		bad |= bind_end(s, "c", &r->end[SIDE_CLIENT]);
		bad |= bind_end(s, "s", &r->end[SIDE_SERVER]);
	}
	if (bad)
		return stmt_bind_failed(st, STMT_INSERT_STEP, what);
	return stmt_run(st, STMT_INSERT_STEP, what);
}

/* Binds a case's row to the insert-case statement. */
static int
bind_case(sqlite3_stmt *s, int64_t run_id, const struct case_result *cr)
{
	int bad = 0;

	bad |= bind_int(s, ":run_id", run_id);
	bad |= bind_text(s, ":scenario", cr->sc->name, sizeof(cr->sc->name), 0);
	bad |= bind_str(s, ":family", family_name(cr->family));
	bad |= bind_int(s, ":rep", cr->rep);
	bad |= bind_str(s, ":verdict", verdict_name(cr->verdict));
	if (cr->first_fail >= 0)
		bad |= bind_int(s, ":first_fail", cr->first_fail);
	bad |= bind_text(s, ":message", cr->msg, sizeof(cr->msg), 1);
	bad |= bind_text(s, ":client_addr", cr->client_addr,
	    sizeof(cr->client_addr), 1);
	bad |= bind_text(s, ":server_addr", cr->server_addr,
	    sizeof(cr->server_addr), 1);
	bad |= bind_int(s, ":started_us", cr->start_us);
	bad |= bind_int(s, ":duration_us", cr->dur_us);
	return bad;
}

/* Inserts one case and all its script's steps (not run if no results). */
static int
insert_case(struct store *st, int64_t run_id, const struct case_result *cr)
{
	const struct scenario *sc = cr->sc;
	char what[160], why[sizeof(st->err)];
	int64_t case_id;
	size_t i;

	if (sc == NULL)
		return store_fail(st, "insert case: it has no scenario");
	snprintf(what, sizeof(what), "insert case %.64s/%s/%d", sc->name,
	    family_name(cr->family), cr->rep);
	if ((unsigned)cr->verdict >= VERDICT__COUNT)
		return store_fail(st, "%s: verdict %d out of range", what,
		    (int)cr->verdict);
	if (bind_case(st->stmt[STMT_INSERT_CASE], run_id, cr) != 0)
		return stmt_bind_failed(st, STMT_INSERT_CASE, what);
	if (stmt_run(st, STMT_INSERT_CASE, what) == -1)
		return -1;
	case_id = sqlite3_last_insert_rowid(st->db);
	for (i = 0; i < sc->nsteps; i++)
		if (insert_step(st, case_id, i, &sc->steps[i],
		    cr->res != NULL ? &cr->res[i] : NULL) == -1) {
			memcpy(why, st->err, sizeof(why));
			return store_fail(st, "%s: %s", what + strlen("insert "),
			    why);
		}
	return 0;
}

/* Adds a batch's verdict counts to its run, which must still be running. */
static int
add_run_counts(struct store *st, int64_t run_id, const int64_t *count)
{
	sqlite3_stmt *s = st->stmt[STMT_ADD_RUN_COUNTS];
	int bad = 0;

	bad |= bind_int(s, ":pass", count[VERDICT_PASS]);
	bad |= bind_int(s, ":fail", count[VERDICT_FAIL]);
	bad |= bind_int(s, ":timeout", count[VERDICT_TIMEOUT]);
	bad |= bind_int(s, ":error", count[VERDICT_ERROR]);
	bad |= bind_int(s, ":run_id", run_id);
	if (bad)
		return stmt_bind_failed(st, STMT_ADD_RUN_COUNTS, "count cases");
	if (stmt_run(st, STMT_ADD_RUN_COUNTS, "count cases") == -1)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return store_fail(st, "run %lld: no such run, or it has ended",
		    (long long)run_id);
	return 0;
}

/* Stores n finished cases and their steps in one transaction: all of them
 * or, on any error, none. */
int
store_cases(struct store *st, int64_t run_id,
    struct case_result *const *cases, size_t n)
{
	int64_t count[VERDICT__COUNT] = { 0 };
	size_t i;

	if (store_begin(st) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (insert_case(st, run_id, cases[i]) == -1)
			goto fail;
		count[cases[i]->verdict]++;
	}
	if (add_run_counts(st, run_id, count) == -1)
		goto fail;
	return store_commit(st);
fail:
	store_rollback(st);
	return -1;
}

/* Ends a running run: status is "complete", "interrupted" or "aborted". */
int
store_run_end(struct store *st, int64_t run_id, const char *status,
    int64_t end_us)
{
	sqlite3_stmt *s;
	int bad;

	if (strcmp(status, "complete") != 0 &&
	    strcmp(status, "interrupted") != 0 && strcmp(status, "aborted") != 0)
		return store_fail(st, "end run: bad status '%s'", status);
	if (store_begin(st) == -1)
		return -1;
	s = st->stmt[STMT_END_RUN];
	bad = bind_str(s, ":status", status);
	bad |= bind_int(s, ":ended_us", end_us);
	bad |= bind_int(s, ":run_id", run_id);
	if (bad) {
		stmt_bind_failed(st, STMT_END_RUN, "end run");
		goto fail;
	}
	if (stmt_run(st, STMT_END_RUN, "end run") == -1)
		goto fail;
	if (sqlite3_changes(st->db) != 1) {
		store_fail(st, "end run %lld: no such run, or it has ended",
		    (long long)run_id);
		goto fail;
	}
	return store_commit(st);
fail:
	store_rollback(st);
	return -1;
}

/* Prepares a read statement and binds the arguments it names. */
static int
prepare_read(struct store *st, const char *sql, const struct store_args *a,
    sqlite3_stmt **sp)
{
	sqlite3_stmt *s;
	int bad = 0;

	if (sqlite3_prepare_v2(st->db, sql, -1, sp, NULL) != SQLITE_OK)
		return store_fail_db(st, "prepare query");
	s = *sp;
	if (sqlite3_bind_parameter_index(s, ":run_id") > 0)
		bad |= bind_int(s, ":run_id", a->run_id);
	if (sqlite3_bind_parameter_index(s, ":case_id") > 0)
		bad |= bind_int(s, ":case_id", a->case_id);
	if (sqlite3_bind_parameter_index(s, ":limit") > 0)
		bad |= bind_int(s, ":limit", a->limit > 0 ? a->limit : -1);
	if (sqlite3_bind_parameter_index(s, ":rep") > 0)
		bad |= bind_int(s, ":rep", a->rep);
	if (a->scenario != NULL && sqlite3_bind_parameter_index(s, ":scenario") > 0)
		bad |= bind_str(s, ":scenario", a->scenario);
	if (a->family != NULL && sqlite3_bind_parameter_index(s, ":family") > 0)
		bad |= bind_str(s, ":family", a->family);
	if (bad) {
		sqlite3_finalize(s);
		*sp = NULL;
		return store_fail(st, "query: cannot bind parameters");
	}
	return 0;
}

/* Fills v with column i of the current row. */
static void
row_value(sqlite3_stmt *s, int i, struct store_value *v)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_INTEGER:
		v->type = STORE_INT;
		break;
	case SQLITE_FLOAT:
		v->type = STORE_REAL;
		break;
	case SQLITE_NULL:
		v->type = STORE_NULL;
		v->text = NULL;
		return;
	default:
		v->type = STORE_TEXT;
		break;
	}
	v->text = (const char *)sqlite3_column_text(s, i);
	if (v->text == NULL)			/* out of memory */
		v->type = STORE_NULL;
}

/* Runs query q, handing fn the column names, then each row. */
int
store_query(struct store *st, enum store_query q,
    const struct store_args *args, store_row_fn fn, void *ctx)
{
	const char *names[STORE_MAXCOLS];
	struct store_value vals[STORE_MAXCOLS];
	sqlite3_stmt *s = NULL;
	int i, n, rc, ret;

	if ((unsigned)q >= STORE_Q__COUNT)
		return store_fail(st, "query %d: no such query", (int)q);
	if (prepare_read(st, query_sql[q], args, &s) == -1)
		return -1;
	n = sqlite3_column_count(s);
	if (n > STORE_MAXCOLS)
		n = STORE_MAXCOLS;
	for (i = 0; i < n; i++)
		names[i] = sqlite3_column_name(s, i);
	if ((ret = fn(ctx, n, names, NULL)) != 0)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < n; i++)
			row_value(s, i, &vals[i]);
		if ((ret = fn(ctx, n, names, vals)) != 0)
			goto done;
	}
	ret = rc == SQLITE_DONE ? 0 : store_fail_db(st, "query");
done:
	sqlite3_finalize(s);
	return ret;
}

/* Finds one id by lookup l: 1 found, 0 not found, -1 on error. */
int
store_lookup(struct store *st, enum store_lookup l,
    const struct store_args *args, int64_t *id)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((unsigned)l >= sizeof(lookup_sql) / sizeof(lookup_sql[0]))
		return store_fail(st, "lookup %d: no such lookup", (int)l);
	if (prepare_read(st, lookup_sql[l], args, &s) == -1)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		store_fail_db(st, "lookup");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}
