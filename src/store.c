/* store.c: the SQLite store's connection, schema and writes.
 *
 * The schema is src/schema.sql, embedded at build time as numbered
 * migration steps (schema_steps[1..schema_version]); opening a database
 * for writing applies the steps it lacks. Writes go through statements
 * prepared once and kept in struct store, each inside BEGIN IMMEDIATE, so a
 * batch of cases is stored whole or not at all. Reads (teardownctl) are in
 * store_read.c, the fleet merge in store_merge.c. */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "scenario.h"
#include "buf.h"
#include "store_int.h"

/* The tcp_snap fields kept for each end, as X(prefix, field, SNAP_ bit). */
#define SNAP_FIELDS(X, p)						\
	X(p, ca_state, CA_STATE) X(p, retransmits, RETRANSMITS)		\
	X(p, probes, PROBES) X(p, backoff, BACKOFF) X(p, rto, RTO)	\
	X(p, unacked, UNACKED) X(p, lost, LOST) X(p, retrans, RETRANS)	\
	X(p, total_retrans, TOTAL_RETRANS) X(p, segs_in, SEGS_IN)	\
	X(p, segs_out, SEGS_OUT) X(p, last_data_sent, LAST_DATA_SENT)	\
	X(p, last_data_recv, LAST_DATA_RECV)				\
	X(p, notsent_bytes, NOTSENT_BYTES) X(p, snd_wnd, SND_WND)	\
	X(p, rcv_wnd, RCV_WND) X(p, rqueue, RQUEUE) X(p, wqueue, WQUEUE)
static const char *const param_name[P__COUNT] = { PARAMS(P_NAME) };

static const char *const stmt_sql[STMT__COUNT] = {
	[STMT_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_INSERT_RUN] =
	    "INSERT INTO runs (host, kernel_release, kernel_version,"
	    " config_hash, version, families, isolation, repeat, started_us,"
	    " profile, link, virt)"
	    " VALUES (:host, :kernel_release, :kernel_version, :config_hash,"
	    " :version, :families, :isolation, :repeat, :started_us, :profile,"
	    " :link, :virt)",
	[STMT_INSERT_SYSCTL] =
	    "INSERT INTO run_sysctls (run_id, name, value, scope)"
	    " VALUES (:run_id, :name, :value, :scope)",
	[STMT_INSERT_CASE] =
	    "INSERT INTO cases (run_id, scenario, family, rep, verdict,"
	    " first_fail, message, client_addr, server_addr, started_us,"
	    " duration_us, wire, sig_hash, steps_hash, transitions,"
	    " link)"
	    " VALUES (:run_id, :scenario, :family, :rep, :verdict, :first_fail,"
	    " :message, :client_addr, :server_addr, :started_us, :duration_us,"
	    " :wire, :sig_hash, :steps_hash, :transitions, :link)",
	[STMT_INSERT_SIGNATURE] =
	    "INSERT OR IGNORE INTO signatures (sig_hash, text)"
	    " VALUES (:sig_hash, :signature)",
	[STMT_INSERT_RECORDS] =
	    "INSERT INTO case_records (case_id, steps, segments, headers,"
	    " transitions) VALUES (:case_id, :steps, :segments, :headers,"
	    " :transitions)",
	/* The run's wire and transitions: the batch's (:wire,
	 * :transitions), or 'partial' once batches differ; a batch of no
	 * cases (NULL) leaves them. */
	[STMT_ADD_RUN_COUNTS] =
	    "UPDATE runs SET n_pass = n_pass + :pass, n_fail = n_fail + :fail,"
	    " n_timeout = n_timeout + :timeout, n_error = n_error + :error,"
	    " n_abandoned = n_abandoned + :abandoned,"
	    " n_skipped = n_skipped + :skipped,"
	    " wire = CASE WHEN :wire IS NULL THEN wire"
	    "  WHEN wire IS NULL OR wire = :wire THEN :wire ELSE 'partial' END,"
	    " transitions = CASE WHEN :transitions IS NULL THEN transitions"
	    "  WHEN transitions IS NULL OR transitions = :transitions"
	    "  THEN :transitions ELSE 'partial' END"
	    " WHERE id = :run_id AND status = 'running'",
	[STMT_END_RUN] =
	    "UPDATE runs SET status = :status, ended_us = :ended_us"
	    " WHERE id = :run_id AND status = 'running'",
};

/* Sets st's error text; returns -1 for "return store_fail(...)". */
int
store_fail(struct store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* Sets st's error to "what: <SQLite's message>"; returns -1. */
int
store_fail_db(struct store *st, const char *what)
{
	return store_fail(st, "%s: %s", what, sqlite3_errmsg(st->db));
}

/* Runs one SQL text (pragmas, transaction control, migration steps). */
int
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
int
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

static int store_migrate_steps(struct store *st);

/* Fails unless every foreign key holds (PRAGMA foreign_key_check). */
static int
store_check_keys(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA foreign_key_check", -1, &s,
	    NULL) != SQLITE_OK)
		return store_fail_db(st, "foreign_key_check");
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return store_fail(st, "migration: a foreign key no longer holds");
	if (rc != SQLITE_DONE)
		return store_fail_db(st, "foreign_key_check");
	return 0;
}

/* Applies every migration step above the database's version, in one
 * transaction, and sets user_version to the last. Foreign keys are off
 * meanwhile, so a step may rebuild a table (copy, drop, rename: SQLite's
 * way of changing a CHECK) without cascading deletes; they are checked
 * before the commit. */
static int
store_migrate(struct store *st)
{
	int rc;

	if (store_exec(st, "PRAGMA foreign_keys = OFF", "foreign_keys") == -1)
		return -1;
	rc = store_migrate_steps(st);
	if (store_exec(st, "PRAGMA foreign_keys = ON", "foreign_keys") == -1)
		rc = -1;
	return rc;
}

/* store_migrate's transaction. */
static int
store_migrate_steps(struct store *st)
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
		if (store_exec(st, schema_steps[v], what) == -1) {
			char why[sizeof(st->err)];

			memcpy(why, st->err, sizeof(why));
			if (from > 0 && sqlite3_errcode(st->db) == SQLITE_ERROR)
				store_fail(st, "a damaged teardownd database: its "
				    "tables do not match its schema version (%lld); "
				    "%s", (long long)from, why);
			goto fail;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", schema_version);
	if (from < schema_version && (store_check_keys(st) == -1 ||
	    store_exec(st, sql, "set version") == -1))
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
int
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
	if (version < 0)
		return store_fail(st, "a damaged teardownd database (schema "
		    "version %lld)", (long long)version);
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
	    store_exec(st, "PRAGMA foreign_keys = ON", "foreign_keys") == -1 ||
	    store_exec(st, "PRAGMA journal_size_limit = " STORE_WAL_LIMIT,
	    "journal_size_limit") == -1 ||
	    store_exec(st, "PRAGMA cache_size = " STORE_WRITE_CACHE,
	    "cache_size") == -1)
		return -1;
	sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	return 0;
}

/* Moves the WAL's committed pages into the database and empties it. */
int
store_checkpoint(struct store *st)
{
	int log = 0, done = 0, rc;

	if (st->readonly)
		return 0;
	sqlite3_busy_timeout(st->db, 0);	/* a reader: not now, never wait */
	rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	    &log, &done);
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	if (rc == SQLITE_OK)
		return 0;
	store_fail_db(st, "checkpoint");
	return (rc & 0xff) == SQLITE_FULL ? 1 : -1;
}

/* Prepares the write path's statements, kept for the connection's life. */
static int
store_prepare_writes(struct store *st)
{
	int i, p;

	for (i = 0; i < STMT__COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->w[i].s, NULL) != SQLITE_OK)
			return store_fail_db(st, "prepare");
		for (p = 0; p < P__COUNT; p++)
			st->w[i].ix[p] = sqlite3_bind_parameter_index(st->w[i].s,
			    param_name[p]);
	}
	return 0;
}

/* SQLite's process-wide settings, before its first use: no memory
 * statistics (a global mutex around every allocation). And malloc keeps
 * up to 64 MB free at the heap's top: each B-tree split allocates and
 * frees a 64 KB buffer, which glibc's default (128 KB) gave back to the
 * kernel and took again, two brk calls per stored step (10k four-way
 * cases: 11k step rows/s with them, 59k without). */
static void
store_init(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 1 << 20);
}

/* store_init, once per process, before any other use of SQLite. */
void
store_once(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, store_init);
}

/* The longest file name SQLite's default VFS opens (unix: 512 bytes). */
static int
sqlite_path_max(void)
{
	sqlite3_vfs *vfs;

	store_once();
	vfs = sqlite3_vfs_find(NULL);

	return vfs != NULL ? vfs->mxPathname : 512;
}

/* The length of path once SQLite makes it absolute (it prefixes a
 * relative one with the working directory). */
static size_t
sqlite_path_len(const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return strlen(path);
	return strlen(cwd) + 1 + strlen(path);
}

/* path as messages show it: whole, or when long its start and its end
 * (so that the reason after it still fits in one line). */
static const char *
path_shown(const char *path, char *buf, size_t len)
{
	size_t n = strlen(path);

	if (n <= 160)
		return path;
	snprintf(buf, len, "%.60s...%s", path, path + n - 80);
	return buf;
}

/* Refuses a path that cannot hold a database: empty (SQLite would make a
 * temporary one, lost at close), ":memory:", too long, or something
 * that is there but not a regular file (/dev/null: its journal would be
 * made beside it, in /dev). 0, or -1 with "path: reason" in err. */
static int
store_path_check(const char *path, char *err, size_t errlen)
{
	char buf[256], why[128];
	const char *what = NULL;
	struct stat sb;

	if (path[0] == '\0') {
		snprintf(err, errlen, "the database path is empty");
		return -1;
	}
	if (strcmp(path, ":memory:") == 0)
		what = "an in-memory database, whose results would be lost";
	else if (strlen(path) >= PATH_MAX - sizeof("-journal"))
		what = "path too long";
	else if (sqlite_path_len(path) + sizeof("-journal") >
	    (size_t)sqlite_path_max()) {
		snprintf(why, sizeof(why), "path too long for SQLite (%zu bytes"
		    " as an absolute path; it takes at most %zu)",
		    sqlite_path_len(path), (size_t)sqlite_path_max() -
		    sizeof("-journal"));
		what = why;
	}
	else if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
		what = S_ISDIR(sb.st_mode) ? "a directory, not a database file" :
		    S_ISCHR(sb.st_mode) ? "a character device, not a database file" :
		    S_ISBLK(sb.st_mode) ? "a block device, not a database file" :
		    "not a regular file";
	if (what == NULL)
		return 0;
	snprintf(err, errlen, "%s: %s", path_shown(path, buf, sizeof(buf)), what);
	return -1;
}

/* Opens (creating and migrating unless readonly) the database at path;
 * NULL with "path: reason" in err on failure. */
struct store *
store_open(const char *path, int readonly, char *err, size_t errlen)
{
	char shown[256];
	struct store *st;
	int migrate = 0;
	/* URIs: store_merge attaches its inputs as "file:...?mode=ro". A
	 * connection is used by one thread at a time (the writer's by the
	 * writer): no mutex of its own. */
	int flags = SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_URI |
	    SQLITE_OPEN_NOMUTEX | (readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);

	store_once();
	if (store_path_check(path, err, errlen) == -1)
		return NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	st->readonly = readonly;
	st->lock_fd = -1;
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
	snprintf(err, errlen, "%s: %s", path_shown(path, shown, sizeof(shown)),
	    st->err);
	store_close(st);
	return NULL;
}

/*
 * The writer's lock. One teardownd (--once or the daemon) writes a
 * database at a time: a second one would mark the first one's run
 * 'aborted' as stale (store_mark_stale) and the first could then not
 * store its cases. So teardownd takes flock(LOCK_EX | LOCK_NB) on a
 * separate file "DB.lock" next to the database, created 0640 like it and
 * never removed (removing it would let two processes lock two files),
 * held as long as the store: the kernel drops it when the process dies,
 * however it dies, so a run still 'running' once the lock is held is
 * stale. Not on the database file itself: SQLite takes POSIX locks on
 * it, and closing any descriptor of that file drops them all. Not on its
 * directory: several databases may share one (/var/lib/teardownd), and
 * they are independent. teardownctl takes no lock: it reads, and its
 * writes (baseline set/clear, merge -o) never touch a run's status;
 * SQLite's own locking orders them with teardownd's transactions.
 */
static int
store_lock(const char *path, int *busy, char *err, size_t errlen)
{
	char lock[PATH_MAX + 8], shown[256];
	int fd;

	*busy = 0;
	if (store_path_check(path, err, errlen) == -1)
		return -1;
	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >=
	    sizeof(lock)) {
		snprintf(err, errlen, "%s: path too long",
		    path_shown(path, shown, sizeof(shown)));
		return -1;
	}
	path = path_shown(path, shown, sizeof(shown));
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY,
	    0640)) == -1) {
		snprintf(err, errlen, "%s: cannot open its lock: %s", path,
		    strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK) {
			*busy = 1;
			snprintf(err, errlen, "%s: in use by another teardownd "
			    "(lock %s.lock)", path, path);
		} else
			snprintf(err, errlen, "%s: cannot lock it: %s", path,
			    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Opens path for teardownd under the writer's lock (above). */
struct store *
store_open_writer(const char *path, int *busy, char *err, size_t errlen)
{
	struct store *st;
	int fd;

	if ((fd = store_lock(path, busy, err, errlen)) == -1)
		return NULL;
	if ((st = store_open(path, 0, err, errlen)) == NULL) {
		close(fd);
		return NULL;
	}
	st->lock_fd = fd;
	return st;
}

/* Closes the database and frees st (NULL is fine). */
void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < STMT__COUNT; i++)
		sqlite3_finalize(st->w[i].s);
	sqlite3_close(st->db);
	free(st->js.b.p);
	if (st->lock_fd != -1)
		close(st->lock_fd);		/* after the database: drops the lock */
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
int
store_bind_int(sqlite3_stmt *s, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	return i > 0 && sqlite3_bind_int64(s, i, v) == SQLITE_OK ? 0 : -1;
}

/* Binds a NUL-terminated string that must not be stored as NULL. */
int
store_bind_str(sqlite3_stmt *s, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	return i > 0 && sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) ==
	    SQLITE_OK ? 0 : -1;
}

/* Binds an integer to parameter p of w; -1 if w has none. */
static int
wbind_int(struct wstmt *w, enum param p, int64_t v)
{
	return w->ix[p] > 0 && sqlite3_bind_int64(w->s, w->ix[p], v) ==
	    SQLITE_OK ? 0 : -1;
}

/* Binds text (at most max bytes of it, NUL or not) to parameter p of w;
 * empty text is bound as NULL when empty_null is set. */
static int
wbind_text(struct wstmt *w, enum param p, const char *v, size_t max,
    int empty_null)
{
	size_t n = strnlen(v, max);

	if (w->ix[p] <= 0)
		return -1;
	if (n == 0 && empty_null)
		return 0;			/* cleared bindings are NULL */
	return sqlite3_bind_text(w->s, w->ix[p], v, (int)n, SQLITE_STATIC) ==
	    SQLITE_OK ? 0 : -1;
}

/* Binds a NUL-terminated string that must not be stored as NULL. */
static int
wbind_str(struct wstmt *w, enum param p, const char *v)
{
	return w->ix[p] > 0 && sqlite3_bind_text(w->s, w->ix[p], v, -1,
	    SQLITE_STATIC) == SQLITE_OK ? 0 : -1;
}

/* Steps a kept write statement to completion and resets it; what names
 * it in the error. */
static int
stmt_run(struct store *st, enum stmt k, const char *what)
{
	sqlite3_stmt *s = st->w[k].s;
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
	sqlite3_clear_bindings(st->w[k].s);
	return store_fail(st, "%s: cannot bind parameters", what);
}

/* Says which row of a case could not be stored (its message is built
 * only then: not once per row): its parameters could not be bound, or
 * stmt_run failed and left its reason. */
static int
row_failed(struct store *st, enum stmt k, const char *what, size_t idx,
    int bind)
{
	char why[sizeof(st->err)];

	if (bind) {
		sqlite3_clear_bindings(st->w[k].s);
		return store_fail(st, "insert %s %zu: cannot bind parameters",
		    what, idx);
	}
	memcpy(why, st->err, sizeof(why));
	return store_fail(st, "insert %s %zu%s", what, idx, why);
}

/* Starts a write transaction, or fails on a read-only store. */
int
store_begin(struct store *st)
{
	if (st->readonly)
		return store_fail(st, "the database is open read-only");
	return stmt_run(st, STMT_BEGIN_IMMEDIATE, "begin");
}

/* Rolls the open transaction back, keeping the error that caused it. */
void
store_rollback(struct store *st)
{
	char keep[sizeof(st->err)];

	memset(st->sigs, 0, sizeof(st->sigs));	/* they may be gone with it */
	if (sqlite3_get_autocommit(st->db))
		return;				/* SQLite has rolled back */
	memcpy(keep, st->err, sizeof(keep));
	if (stmt_run(st, STMT_ROLLBACK, "rollback") == -1)
		log_warnx("store: %s", st->err);
	memcpy(st->err, keep, sizeof(keep));
}

/* Commits, or rolls back if the commit fails. */
int
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
	struct wstmt *w = &st->w[STMT_INSERT_RUN];
	int bad = 0;

	bad |= wbind_text(w, P_host, ri->host, sizeof(ri->host), 0);
	bad |= wbind_text(w, P_kernel_release, ri->kernel_release,
	    sizeof(ri->kernel_release), 0);
	bad |= wbind_text(w, P_kernel_version, ri->kernel_version,
	    sizeof(ri->kernel_version), 0);
	bad |= wbind_text(w, P_config_hash, ri->config_hash,
	    sizeof(ri->config_hash), 0);
	bad |= wbind_text(w, P_version, ri->version, sizeof(ri->version), 0);
	bad |= wbind_text(w, P_families, ri->families, sizeof(ri->families), 0);
	bad |= wbind_text(w, P_isolation, ri->isolation[0] ? ri->isolation : "host",
	    sizeof(ri->isolation), 0);
	bad |= wbind_int(w, P_repeat, ri->repeat);
	bad |= wbind_int(w, P_started_us, ri->start_us);
	bad |= wbind_text(w, P_profile, ri->profile[0] ? ri->profile : "default",
	    sizeof(ri->profile), 0);
	bad |= wbind_text(w, P_link, ri->link[0] ? ri->link : "lo",
	    sizeof(ri->link), 0);
	bad |= wbind_text(w, P_virt, ri->virt[0] ? ri->virt : "none",
	    sizeof(ri->virt), 0);
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
	struct wstmt *w = &st->w[STMT_INSERT_SYSCTL];
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
		bad = wbind_int(w, P_run_id, run_id);
		bad |= wbind_text(w, P_name, sv->name, sizeof(sv->name), 0);
		bad |= wbind_text(w, P_value, sv->value, sizeof(sv->value), 0);
		bad |= wbind_text(w, P_scope, sv->scope, sizeof(sv->scope), 1);
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

/* A case's steps as case_records stores them (schema.sql, migration 13):
 * a JSON array built in st->js, reused from case to case. */

/* Starts an element of the array opened at js->open: a comma unless it
 * is the first. */
static void
js_sep(struct jsbuf *js)
{
	if (buf_room(&js->b, 1) == 0 && js->b.len > js->open)
		js->b.p[js->b.len++] = ',';
}

/* Appends null: trailing ones are cut when the array closes. */
static void
js_null(struct jsbuf *js)
{
	js_sep(js);
	buf_put(&js->b, "null", 4);
}

/* Appends an integer. */
static void
js_int(struct jsbuf *js, int64_t v)
{
	js_sep(js);
	buf_int(&js->b, v);
	js->keep = js->b.len;
}

/* Appends at most max bytes of v as a JSON string. */
static void
js_str(struct jsbuf *js, const char *v, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = strnlen(v, max);

	js_sep(js);
	if (buf_room(&js->b, n * 6 + 2) == -1)
		return;
	js->b.p[js->b.len++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '"' || c == '\\') {
			js->b.p[js->b.len++] = '\\';
			js->b.p[js->b.len++] = (char)c;
		} else if (c < 0x20) {
			memcpy(js->b.p + js->b.len, "\\u00", 4);
			js->b.p[js->b.len + 4] = hex[c >> 4];
			js->b.p[js->b.len + 5] = hex[c & 15];
			js->b.len += 6;
		} else
			js->b.p[js->b.len++] = (char)c;
	}
	js->b.p[js->b.len++] = '"';
	js->keep = js->b.len;
}

/* Opens an array as an element of the enclosing one; returns what
 * js_close needs to restore. */
static size_t
js_open(struct jsbuf *js)
{
	size_t outer = js->open;

	js_sep(js);
	if (buf_room(&js->b, 1) == 0)
		js->b.p[js->b.len++] = '[';
	js->open = js->b.len;
	js->keep = js->b.len;
	return outer;
}

/* Closes the array js_open opened, without its trailing nulls. */
static void
js_close(struct jsbuf *js, size_t outer)
{
	js->b.len = js->keep;
	if (buf_room(&js->b, 1) == 0)
		js->b.p[js->b.len++] = ']';
	js->open = outer;
	js->keep = js->b.len;
}

/* One end after a step: null if not observed, else its array; what the
 * kernel did not report (its bit clear in info.has) is null. */
static void
js_end(struct jsbuf *js, const struct end_obs *o)
{
	const struct tcp_snap *i = &o->info;
	size_t outer;

	if (o->source == OBS_NONE) {
		js_null(js);
		return;
	}
	outer = js_open(js);
	js_str(js, state_name(o->state), 32);
	js_str(js, source_name(o->source), 32);
	if (o->source == OBS_DIAG || o->source == OBS_DIAG_TW) {
		js_int(js, o->timer);
		js_int(js, o->timer_ms);
	} else {
		js_null(js);
		js_null(js);
	}
#define JS_SNAP(p, f, b)						\
	if (SNAP_HAS(i, SNAP_##b))					\
		js_int(js, i->f);					\
	else								\
		js_null(js);
	SNAP_FIELDS(JS_SNAP, c)
#undef JS_SNAP
	js_close(js, outer);
}

/* Step sp of a case: its definition, and what happened if r is not NULL
 * and the step ran. */
static void
js_step(struct jsbuf *js, const struct step *sp, const struct step_result *r,
    const char *note)
{
	enum step_status status = r != NULL ? r->status : STEP_NOT_RUN;
	char ev[64], end[END_NAME_LEN];
	size_t outer = js_open(js);

	js_int(js, sp->line);
	js_str(js, end_name(sp->side, sp->pair, end), sizeof(end));
	js_str(js, verb_name(sp->verb), 64);
	js_str(js, sp->args, sizeof(sp->args));
	js_str(js, status_name(status), 16);
	if (status == STEP_NOT_RUN) {
		js_null(js);			/* rc .. dur_us */
		js_null(js); js_null(js); js_null(js); js_null(js); js_null(js);
	} else {
		if (!verb_is_expect(sp->verb))
			js_int(js, r->rc);
		else
			js_null(js);
		if (r->err != 0)
			js_str(js, errno_name(r->err), 32);
		else
			js_null(js);
		if (verb_reports_events(sp->verb) && r->err == 0) {
			events_format((int)r->rc, ev, sizeof(ev));
			js_str(js, ev, sizeof(ev));
		} else
			js_null(js);
		js_int(js, r->eof != 0);
		js_int(js, r->t_us);
		js_int(js, r->dur_us);
	}
	if (r != NULL && note != NULL && note[0] != '\0')
		js_str(js, note, SIZE_MAX);
	else
		js_null(js);
	if (status != STEP_NOT_RUN) {
		js_end(js, step_obs(r, SIDE_CLIENT));
		js_end(js, step_obs(r, SIDE_SERVER));
	}
	js_close(js, outer);
}

/* One segment: its headers are hdr_len bytes of the case's hdr from
 * hdr_off (not kept: both null). */
static void
js_segment(struct jsbuf *js, const struct segment *g, const uint8_t *hdr)
{
	char flags[TCP_FLAGS_LEN];
	size_t outer = js_open(js);

	tcp_flags_format(g->flags, flags, sizeof(flags));
	js_int(js, g->t_us);
	js_str(js, g->from == SIDE_CLIENT ? "C>S" : "S>C", 4);
	js_str(js, flags, sizeof(flags));
	js_int(js, g->flags);
	js_int(js, g->seq);
	if (g->flags & TCPF_ACK)
		js_int(js, g->ack);
	else
		js_null(js);
	js_int(js, g->len);
	js_int(js, g->win);
	js_int(js, g->pair > 0 ? g->pair : 1);
	if (mark_name(g->mark) != NULL)
		js_str(js, mark_name(g->mark), 16);
	else
		js_null(js);
	if (g->held_us >= 0 && g->mark != MARK_NONE)
		js_int(js, g->held_us);
	else
		js_null(js);
	if (g->hdr_len > 0 && hdr != NULL) {
		js_int(js, g->hdr_off);
		js_int(js, g->hdr_len);
	}
	js_close(js, outer);
}

/* One state transition. */
static void
js_transition(struct jsbuf *js, const struct transition *t)
{
	char end[END_NAME_LEN];
	size_t outer = js_open(js);

	js_int(js, t->t_ns);
	js_str(js, end_name(t->end, t->pair, end), sizeof(end));
	js_str(js, state_name(t->from), 32);
	js_str(js, state_name(t->to), 32);
	js_close(js, outer);
}

/* Starts a top-level array at js's end; returns where it starts. */
static size_t
js_list(struct jsbuf *js)
{
	size_t at = js->b.len;

	if (buf_room(&js->b, 1) == 0)
		js->b.p[js->b.len++] = '[';
	js->open = js->keep = js->b.len;
	return at;
}

/* Binds text [at, js->b.len) of js to parameter p of w. */
static int
js_bind(struct wstmt *w, enum param p, const struct jsbuf *js, size_t at,
    size_t end)
{
	return w->ix[p] > 0 && sqlite3_bind_text(w->s, w->ix[p], js->b.p + at,
	    (int)(end - at), SQLITE_STATIC) == SQLITE_OK ? 0 : -1;
}

/* Inserts what a case recorded (schema.sql, migration 13): its script's
 * steps (not run if no results), and its segments and transitions if
 * they were observed. The three lists are built one after the other in
 * st->js, then bound. */
static int
insert_records(struct store *st, int64_t case_id, const struct case_result *cr)
{
	struct wstmt *w = &st->w[STMT_INSERT_RECORDS];
	struct jsbuf *js = &st->js;
	const struct scenario *sc = cr->sc;
	size_t i, at[3], end[3];
	int bad = 0;

	js->b.len = 0;
	js->b.bad = 0;
	at[0] = js_list(js);
	for (i = 0; i < sc->nsteps; i++)
		js_step(js, &sc->steps[i], cr->res != NULL ? &cr->res[i] : NULL,
		    step_note_text(cr, i));
	js_close(js, 0);
	end[0] = js->b.len;
	at[1] = js_list(js);
	for (i = 0; cr->wire == WIRE_OBSERVED && i < cr->nseg; i++)
		js_segment(js, &cr->seg[i], cr->hdr);
	js_close(js, 0);
	end[1] = js->b.len;
	at[2] = js_list(js);
	for (i = 0; cr->trans == TRANS_OBSERVED && i < cr->ntrans; i++)
		js_transition(js, &cr->tr[i]);
	js_close(js, 0);
	end[2] = js->b.len;
	if (js->b.bad)
		return store_fail(st, "insert records: out of memory");
	bad |= wbind_int(w, P_case_id, case_id);
	bad |= js_bind(w, P_steps, js, at[0], end[0]);
	if (cr->wire == WIRE_OBSERVED) {
		bad |= js_bind(w, P_segments, js, at[1], end[1]);
		if (cr->hdr != NULL && cr->nhdr > 0)
			bad |= w->ix[P_headers] <= 0 ||
			    sqlite3_bind_blob(w->s, w->ix[P_headers], cr->hdr,
			    (int)cr->nhdr, SQLITE_STATIC) != SQLITE_OK;
	}
	if (cr->trans == TRANS_OBSERVED)
		bad |= js_bind(w, P_transitions, js, at[2], end[2]);
	if (bad)
		return row_failed(st, STMT_INSERT_RECORDS, "records", 0, 1);
	if (stmt_run(st, STMT_INSERT_RECORDS, "") == -1)
		return row_failed(st, STMT_INSERT_RECORDS, "records", 0, 0);
	return 0;
}

/* Binds a case's row to the insert-case statement. */
static int
bind_case(struct wstmt *w, int64_t run_id, const struct case_result *cr)
{
	int bad = 0;

	bad |= wbind_int(w, P_run_id, run_id);
	bad |= wbind_text(w, P_scenario, cr->sc->name, sizeof(cr->sc->name), 0);
	bad |= wbind_str(w, P_family, family_name(cr->family));
	bad |= wbind_int(w, P_rep, cr->rep);
	bad |= wbind_str(w, P_verdict, verdict_name(cr->verdict));
	if (cr->first_fail >= 0)
		bad |= wbind_int(w, P_first_fail, cr->first_fail);
	if (cr->msg != NULL && cr->msg[0] != '\0')
		bad |= wbind_str(w, P_message, cr->msg);
	bad |= wbind_text(w, P_client_addr, cr->client_addr,
	    sizeof(cr->client_addr), 1);
	bad |= wbind_text(w, P_server_addr, cr->server_addr,
	    sizeof(cr->server_addr), 1);
	bad |= wbind_int(w, P_started_us, cr->start_us);
	bad |= wbind_int(w, P_duration_us, cr->dur_us);
	bad |= wbind_str(w, P_wire, cr->wire == WIRE_OBSERVED ? "observed" :
	    "not_observed");
	bad |= wbind_str(w, P_transitions, cr->trans == TRANS_OBSERVED ?
	    "observed" : "not_observed");
	bad |= wbind_str(w, P_link, link_name(cr->link));
	return bad;
}

/* Stores signature text sig under hash, once: a hash this connection
 * stored already (st->sigs, a direct-mapped memory of them, forgotten at
 * a rollback) is not written again. */
static int
insert_signature(struct store *st, const char *sig, const char *hash,
    const char *what)
{
	struct wstmt *w = &st->w[STMT_INSERT_SIGNATURE];
	uint64_t h = strtoull(hash, NULL, 16);
	size_t k = (size_t)(h % STORE_SIG_MEMORY);
	int bad;

	if (st->sigs[k] == h && h != 0)
		return 0;
	bad = wbind_str(w, P_sig_hash, hash);
	bad |= wbind_str(w, P_signature, sig);
	if (bad)
		return stmt_bind_failed(st, STMT_INSERT_SIGNATURE, what);
	if (stmt_run(st, STMT_INSERT_SIGNATURE, what) == -1)
		return -1;
	st->sigs[k] = h;
	return 0;
}

/* Inserts a case's row with its signature's hashes (src/signature.h),
 * and the signature itself if it is new. The verdict signed the case
 * (verdict_sign); one it could not sign (no memory) is stored without. */
static int
insert_case_row(struct store *st, int64_t run_id, const struct case_result *cr,
    const char *what)
{
	struct wstmt *w = &st->w[STMT_INSERT_CASE];
	int bad;

	if (cr->sig != NULL && cr->sig_hash[0] != '\0' &&
	    insert_signature(st, cr->sig, cr->sig_hash, what) == -1)
		return -1;
	bad = bind_case(w, run_id, cr);
	if (cr->sig != NULL && cr->sig_hash[0] != '\0') {
		bad |= wbind_str(w, P_sig_hash, cr->sig_hash);
		bad |= wbind_str(w, P_steps_hash, cr->steps_hash);
	}
	if (bad)
		return stmt_bind_failed(st, STMT_INSERT_CASE, what);
	return stmt_run(st, STMT_INSERT_CASE, what);
}

/* Inserts one case: its row, and what it recorded. */
static int
insert_case(struct store *st, int64_t run_id, const struct case_result *cr)
{
	const struct scenario *sc = cr->sc;
	char what[160], why[sizeof(st->err)];
	int64_t case_id;

	if (sc == NULL)
		return store_fail(st, "insert case: it has no scenario");
	snprintf(what, sizeof(what), "insert case %.64s/%s/%d", sc->name,
	    family_name(cr->family), cr->rep);
	if ((unsigned)cr->verdict >= VERDICT__COUNT)
		return store_fail(st, "%s: verdict %d out of range", what,
		    (int)cr->verdict);
	if (insert_case_row(st, run_id, cr, what) == -1)
		return -1;
	case_id = sqlite3_last_insert_rowid(st->db);
	if (insert_records(st, case_id, cr) == -1)
		goto fail;
	return 0;
fail:
	memcpy(why, st->err, sizeof(why));
	return store_fail(st, "%s: %s", what + strlen("insert "), why);
}

/* How many of n cases were observed, as the runs table says it. */
static const char *
observed_word(size_t observed, size_t n)
{
	return observed == n ? "observed" : observed == 0 ? "not_observed" :
	    "partial";
}

/* Adds a batch's verdict counts to its run, which must still be running,
 * its wire and its transitions: observed[0] and [1] are how many of its n
 * cases had theirs observed. */
static int
add_run_counts(struct store *st, int64_t run_id, const int64_t *count,
    const size_t *observed, size_t n)
{
	struct wstmt *w = &st->w[STMT_ADD_RUN_COUNTS];
	int bad = 0;

	if (n > 0) {
		bad |= wbind_str(w, P_wire, observed_word(observed[0], n));
		bad |= wbind_str(w, P_transitions, observed_word(observed[1], n));
	}
	bad |= wbind_int(w, P_pass, count[VERDICT_PASS]);
	bad |= wbind_int(w, P_fail, count[VERDICT_FAIL]);
	bad |= wbind_int(w, P_timeout, count[VERDICT_TIMEOUT]);
	bad |= wbind_int(w, P_error, count[VERDICT_ERROR]);
	bad |= wbind_int(w, P_abandoned, count[VERDICT_ABANDONED]);
	bad |= wbind_int(w, P_skipped, count[VERDICT_SKIPPED]);
	bad |= wbind_int(w, P_run_id, run_id);
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
	size_t i, observed[2] = { 0, 0 };	/* wire, transitions */

	if (store_begin(st) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (insert_case(st, run_id, cases[i]) == -1)
			goto fail;
		count[cases[i]->verdict]++;
		observed[0] += cases[i]->wire == WIRE_OBSERVED;
		observed[1] += cases[i]->trans == TRANS_OBSERVED;
	}
	if (add_run_counts(st, run_id, count, observed, n) == -1)
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
	struct wstmt *w;
	int bad;

	if (strcmp(status, "complete") != 0 &&
	    strcmp(status, "interrupted") != 0 && strcmp(status, "aborted") != 0)
		return store_fail(st, "end run: bad status '%s'", status);
	if (store_begin(st) == -1)
		return -1;
	w = &st->w[STMT_END_RUN];
	bad = wbind_str(w, P_status, status);
	bad |= wbind_int(w, P_ended_us, end_us);
	bad |= wbind_int(w, P_run_id, run_id);
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

/*
 * The daemon's bookkeeping: stale runs, the last complete run, skipped
 * runs. Each is used at most once per scheduled run, so its statement is
 * prepared on the spot.
 */

/* Runs one write statement with the given integer parameters (name,
 * value pairs, NULL-terminated) inside its own transaction; *changes gets
 * the rows it changed. */
static int
store_write_once(struct store *st, const char *sql, const char *what,
    int *changes, ...)
{
	sqlite3_stmt *s = NULL;
	const char *name;
	va_list ap;
	int bad = 0;

	if (store_begin(st) == -1)
		return -1;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_fail_db(st, what);
		goto fail;
	}
	va_start(ap, changes);
	while ((name = va_arg(ap, const char *)) != NULL)
		bad |= store_bind_int(s, name, va_arg(ap, int64_t));
	va_end(ap);
	if (bad) {
		store_fail(st, "%s: cannot bind parameters", what);
		goto fail;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_fail_db(st, what);
		goto fail;
	}
	if (changes != NULL)
		*changes = sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return store_commit(st);
fail:
	sqlite3_finalize(s);
	store_rollback(st);
	return -1;
}

/* Marks every run still 'running' as 'aborted'. */
int
store_mark_stale(struct store *st, int *n)
{
	*n = 0;
	return store_write_once(st,
	    "UPDATE runs SET status = 'aborted', ended_us = coalesce("
	    " (SELECT max(c.started_us + c.duration_us) FROM cases AS c"
	    "  WHERE c.run_id = runs.id), started_us)"
	    " WHERE status = 'running'", "mark stale runs", n, (const char *)NULL);
}

/* Records a scheduled run skipped because run_id was still going. */
int
store_skip(struct store *st, int64_t due_us, int64_t run_id)
{
	int n = 0;

	if (store_write_once(st, "INSERT INTO run_skips (due_us, run_id)"
	    " VALUES (:due_us, :run_id)", "record skipped run", &n,
	    ":due_us", due_us, ":run_id", run_id, (const char *)NULL) == -1)
		return -1;
	return n == 1 ? 0 : store_fail(st, "record skipped run: not stored");
}

/* The latest complete run of host: 1 found (*lr set), 0 none, -1 error. */
int
store_last_complete_run(struct store *st, const char *host,
    struct store_last_run *lr)
{
	sqlite3_stmt *s = NULL;
	const char *k;
	int rc;

	if (sqlite3_prepare_v2(st->db,
	    "SELECT id, kernel_release, started_us, ended_us, n_pass, n_fail,"
	    " n_timeout, n_error FROM runs"
	    " WHERE status = 'complete' AND host = :host"
	    " ORDER BY started_us DESC, id DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return store_fail_db(st, "last run");
	if (store_bind_str(s, ":host", host) == -1) {
		sqlite3_finalize(s);
		return store_fail(st, "last run: cannot bind parameters");
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(lr, 0, sizeof(*lr));
		lr->id = sqlite3_column_int64(s, 0);
		k = (const char *)sqlite3_column_text(s, 1);
		snprintf(lr->kernel_release, sizeof(lr->kernel_release), "%s",
		    k != NULL ? k : "");
		lr->started_us = sqlite3_column_int64(s, 2);
		lr->ended_us = sqlite3_column_int64(s, 3);
		lr->n[VERDICT_PASS] = sqlite3_column_int(s, 4);
		lr->n[VERDICT_FAIL] = sqlite3_column_int(s, 5);
		lr->n[VERDICT_TIMEOUT] = sqlite3_column_int(s, 6);
		lr->n[VERDICT_ERROR] = sqlite3_column_int(s, 7);
	} else if (rc != SQLITE_DONE)
		store_fail_db(st, "last run");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Makes run_id the baseline of its host, profile and link: 0, 1 when it
 * is not a complete run with signatures, -1 on a database error. */
int
store_baseline_set(struct store *st, int64_t run_id, int64_t now_us)
{
	int n = 0;

	if (store_write_once(st, "INSERT INTO baselines (host, profile, link,"
	    " run_id, set_us) SELECT host, profile, coalesce(link, 'lo'), id,"
	    " :now FROM runs AS r WHERE id = :run_id AND " SIGNED("r")
	    " ON CONFLICT (host, profile, link) DO UPDATE SET"
	    " run_id = excluded.run_id,"
	    " set_us = excluded.set_us", "set baseline", &n, ":run_id", run_id,
	    ":now", now_us, (const char *)NULL) == -1)
		return -1;
	return n == 1 ? 0 : 1;
}

/* Removes every baseline; *n gets how many there were. */
int
store_baseline_clear(struct store *st, int *n)
{
	*n = 0;
	return store_write_once(st, "DELETE FROM baselines", "clear baselines",
	    n, (const char *)NULL);
}
