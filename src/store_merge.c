/* store_merge.c: the fleet merge (store_merge): other databases' rows
 * copied into one, attached read-only (an older schema through a migrated
 * copy), table by table as merge_tables lists. */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store_int.h"

/*
 * Fleet: merging the databases of several hosts into one.
 */

/* The tables a merge copies, each after the table it refers to: one line
 * per table of the schema (store_merge refuses a database with a table
 * that is not listed, rather than leave its rows behind). key: the table's
 * INTEGER PRIMARY KEY, renumbered in the output (NULL: none); fk: its
 * column holding the parent table's key. The root, runs, is matched by
 * MERGE_SAME_RUN: a run the output holds already is not copied again, nor
 * are its rows in the other tables; but a table marked replace takes the
 * rows of every run of the input, and an input's row replaces the
 * output's on a conflict (a host's own database says which of its runs is
 * its baseline); a table of shared rows (replace 2: signatures, which
 * cases name by their hash) is copied whole, each row kept once. */
static const struct merge_table {
	const char *name;
	const char *key;
	const char *fk;
	const char *parent;
	int replace;				/* 1: replace; 2: shared rows, kept once */
} merge_tables[] = {
	{ "signatures",		NULL,	NULL,		NULL,		2 },
	{ "runs",		"id",	NULL,		NULL,		0 },
	{ "run_sysctls",	NULL,	"run_id",	"runs",		0 },
	{ "run_skips",		"id",	"run_id",	"runs",		0 },
	{ "baselines",		NULL,	"run_id",	"runs",		1 },
	{ "cases",		"id",	"run_id",	"runs",		0 },
	{ "case_records",	NULL,	"case_id",	"cases",	0 },
};

#define MERGE_NTABLES	(sizeof(merge_tables) / sizeof(merge_tables[0]))

/* Run m of the output is run x of an input: the same host, start and
 * kernel release. */
#define MERGE_SAME_RUN(m, x)						\
	m ".host = " x ".host AND " m ".started_us = " x ".started_us"	\
	" AND " m ".kernel_release = " x ".kernel_release"

/* Runs the SQL built in q (and frees q); what names it in the error. */
static int
merge_exec_str(struct store *st, sqlite3_str *q, const char *what)
{
	char *sql = sqlite3_str_finish(q);
	int rc;

	if (sql == NULL)
		return store_fail(st, "%s: out of memory", what);
	rc = store_exec(st, sql, what);
	sqlite3_free(sql);
	return rc;
}

/* Whether name is a table of merge_tables. */
static int
merge_listed(const char *name)
{
	size_t i;

	for (i = 0; i < MERGE_NTABLES; i++)
		if (strcmp(merge_tables[i].name, name) == 0)
			return 1;
	return 0;
}

/* Checks that every table of the output's schema has its line in
 * merge_tables, and that every line names a table of the schema. */
static int
merge_check_tables(struct store *st)
{
	sqlite3_stmt *s = NULL;
	const char *name;
	int64_t n = 0;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT name FROM main.sqlite_schema"
	    " WHERE type = 'table' AND name NOT LIKE 'sqlite%'", -1, &s,
	    NULL) != SQLITE_OK)
		return store_fail_db(st, "merge: list tables");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(s, 0);
		if (name != NULL && !merge_listed(name)) {
			store_fail(st, "merge: table %s has no line in store.c's "
			    "merge_tables, so its rows would be lost", name);
			sqlite3_finalize(s);
			return -1;
		}
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail_db(st, "merge: list tables");
	if (n != (int64_t)MERGE_NTABLES)
		return store_fail(st, "merge: merge_tables lists a table the "
		    "schema does not have");
	return 0;
}

/* Appends table t's columns to cols, and to vals what the output gets in
 * each: the new key (k.new_id), the parent's new key (p.new_id), or the
 * input's value (x.column). */
static int
merge_columns(struct store *st, const struct merge_table *t,
    sqlite3_str *cols, sqlite3_str *vals)
{
	sqlite3_stmt *s = NULL;
	char *sql;
	const char *c;
	int rc, n = 0;

	sql = sqlite3_mprintf("PRAGMA main.table_info(\"%w\")", t->name);
	rc = sql != NULL ? sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) :
	    SQLITE_NOMEM;
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return store_fail_db(st, "merge: columns");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((c = (const char *)sqlite3_column_text(s, 1)) == NULL)
			break;
		sqlite3_str_appendf(cols, "%s\"%w\"", n ? ", " : "", c);
		if (t->key != NULL && strcmp(c, t->key) == 0)
			sqlite3_str_appendf(vals, "%sk.new_id", n ? ", " : "");
		else if (t->fk != NULL && strcmp(c, t->fk) == 0)
			sqlite3_str_appendf(vals, "%sp.new_id", n ? ", " : "");
		else
			sqlite3_str_appendf(vals, "%sx.\"%w\"", n ? ", " : "", c);
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE || n == 0)
		return store_fail(st, "merge: columns of %s: %s", t->name,
		    rc == SQLITE_DONE ? "none" : sqlite3_errmsg(st->db));
	return 0;
}

/* Maps the keys of keyed table t in input schema src to the output's
 * (temp.merge_map): a run the output holds to its id there (added 0);
 * the other runs, and the rows of runs added, to new keys after the
 * output's highest (added 1). */
static int
merge_map(struct store *st, const struct merge_table *t, const char *src)
{
	sqlite3_str *q = sqlite3_str_new(st->db);

	if (t->parent == NULL) {
		sqlite3_str_appendf(q, "INSERT OR IGNORE INTO temp.merge_map"
		    " SELECT %Q, x.\"%w\", m.\"%w\", 0 FROM \"%w\".\"%w\" AS x"
		    " JOIN main.\"%w\" AS m ON " MERGE_SAME_RUN("m", "x") ";",
		    t->name, t->key, t->key, src, t->name, t->name);
	}
	sqlite3_str_appendf(q, "INSERT INTO temp.merge_map SELECT %Q,"
	    " x.\"%w\", (SELECT coalesce(max(\"%w\"), 0) FROM main.\"%w\")"
	    " + row_number() OVER (ORDER BY x.\"%w\"), 1 FROM \"%w\".\"%w\" AS x",
	    t->name, t->key, t->key, t->name, t->key, src, t->name);
	if (t->parent == NULL)
		sqlite3_str_appendf(q, " WHERE NOT EXISTS (SELECT 1 FROM"
		    " main.\"%w\" AS m WHERE " MERGE_SAME_RUN("m", "x") ")",
		    t->name);
	else
		sqlite3_str_appendf(q, " JOIN temp.merge_map AS p ON p.tbl = %Q"
		    " AND p.src_id = x.\"%w\" AND p.added", t->parent, t->fk);
	return merge_exec_str(st, q, "merge: number rows");
}

/* Copies the rows of table t from input schema src that belong to added
 * rows (to any mapped run, for a replace table), under their new keys. */
static int
merge_copy(struct store *st, const struct merge_table *t, const char *src)
{
	sqlite3_str *cols = sqlite3_str_new(st->db);
	sqlite3_str *vals = sqlite3_str_new(st->db);
	sqlite3_str *q = sqlite3_str_new(st->db);
	char *c = NULL, *v = NULL;
	int rc = -1;

	if (merge_columns(st, t, cols, vals) == -1)
		goto done;
	c = sqlite3_str_finish(cols);
	v = sqlite3_str_finish(vals);
	cols = vals = NULL;
	if (c == NULL || v == NULL) {
		store_fail(st, "merge: out of memory");
		goto done;
	}
	sqlite3_str_appendf(q, "INSERT %s INTO main.\"%w\" (%s) SELECT %s"
	    " FROM \"%w\".\"%w\" AS x", t->replace == 1 ? "OR REPLACE" :
	    t->replace == 2 ? "OR IGNORE" : "",
	    t->name, c, v, src, t->name);
	if (t->key != NULL)
		sqlite3_str_appendf(q, " JOIN temp.merge_map AS k ON k.tbl = %Q"
		    " AND k.src_id = x.\"%w\" AND k.added", t->name, t->key);
	if (t->parent != NULL)
		sqlite3_str_appendf(q, " JOIN temp.merge_map AS p ON p.tbl = %Q"
		    " AND p.src_id = x.\"%w\"%s", t->parent, t->fk,
		    t->replace ? "" : " AND p.added");
	rc = merge_exec_str(st, q, "merge: copy rows");
	q = NULL;
done:
	sqlite3_free(sqlite3_str_finish(cols));
	sqlite3_free(sqlite3_str_finish(vals));
	sqlite3_free(sqlite3_str_finish(q));
	sqlite3_free(c);
	sqlite3_free(v);
	return rc;
}

/* Merges the input attached as src into the output, inside the open
 * transaction. A run the output holds as 'running' is replaced by the
 * input's (it may have ended or stored more cases since). */
static int
merge_input(struct store *st, const char *src, struct store_merge_input *in)
{
	sqlite3_str *q = sqlite3_str_new(st->db);
	char *sql;
	size_t i;
	int rc;

	sqlite3_str_appendf(q, "SELECT count(*) FROM \"%w\".runs", src);
	if ((sql = sqlite3_str_finish(q)) == NULL)
		return store_fail(st, "merge: out of memory");
	rc = store_read_int(st, sql, &in->runs);
	sqlite3_free(sql);
	if (rc == -1 ||
	    store_exec(st, "DELETE FROM temp.merge_map", "merge") == -1)
		return -1;
	q = sqlite3_str_new(st->db);
	sqlite3_str_appendf(q, "DELETE FROM main.runs WHERE status = 'running'"
	    " AND EXISTS (SELECT 1 FROM \"%w\".runs AS x WHERE "
	    MERGE_SAME_RUN("main.runs", "x") ")", src);
	if (merge_exec_str(st, q, "merge: replace running runs") == -1)
		return -1;
	in->replaced = sqlite3_changes(st->db);
	for (i = 0; i < MERGE_NTABLES; i++) {
		if (merge_tables[i].key != NULL &&
		    merge_map(st, &merge_tables[i], src) == -1)
			return -1;
		if (merge_copy(st, &merge_tables[i], src) == -1)
			return -1;
	}
	return store_read_int(st, "SELECT count(*) FROM temp.merge_map"
	    " WHERE tbl = 'runs' AND added", &in->added);
}

/* Reads the schema version of the database at path, opened read-only,
 * and checks that this build can merge it. */
static int
merge_probe(struct store *st, const char *path, int64_t *version)
{
	struct store in = { .readonly = 1 };
	int64_t appid, nobjects;
	int rc = -1;

	if (sqlite3_open_v2(path, &in.db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		store_fail(st, "%s: cannot open: %s", path, in.db != NULL ?
		    sqlite3_errmsg(in.db) : "out of memory");
		goto done;
	}
	sqlite3_busy_timeout(in.db, STORE_BUSY_MS);
	if (store_identify(&in, &appid, version, &nobjects) == -1)
		store_fail(st, "%s: %s", path, in.err);
	else if (appid != STORE_APPLICATION_ID || *version == 0)
		store_fail(st, "%s: not a teardownd database", path);
	else if (*version > schema_version)
		store_fail(st, "%s: schema version %lld is newer than this build "
		    "knows (%d); upgrade teardownctl", path,
		    (long long)*version, schema_version);
	else
		rc = 0;
done:
	sqlite3_close(in.db);
	return rc;
}

/* Copies the database at path (read-only) to copy with SQLite's backup,
 * then brings the copy to this build's schema. The original is not
 * touched; the copy is the caller's to delete. */
static int
merge_migrated_copy(struct store *st, const char *path, const char *copy,
    int64_t from)
{
	struct store c = { 0 };
	sqlite3 *src = NULL;
	sqlite3_backup *b;
	char what[32];
	int64_t v;
	int rc = -1;

	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_open_v2(copy, &c.db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		store_fail(st, "%s: cannot copy: %s", path, c.db != NULL ?
		    sqlite3_errmsg(c.db) : sqlite3_errmsg(src));
		goto done;
	}
	sqlite3_busy_timeout(src, STORE_BUSY_MS);
	if ((b = sqlite3_backup_init(c.db, "main", src, "main")) == NULL ||
	    sqlite3_backup_step(b, -1) != SQLITE_DONE) {
		store_fail(st, "%s: cannot copy: %s", path, sqlite3_errmsg(c.db));
		sqlite3_backup_finish(b);
		goto done;
	}
	if (sqlite3_backup_finish(b) != SQLITE_OK) {
		store_fail(st, "%s: cannot copy: %s", path, sqlite3_errmsg(c.db));
		goto done;
	}
	/* The steps store_migrate applies, on the private copy, with
	 * foreign keys off as there (a rebuilt table must not cascade). */
	if (store_exec(&c, "PRAGMA foreign_keys = OFF", "foreign_keys") == -1) {
		store_fail(st, "%s: copy: %s", path, c.err);
		goto done;
	}
	for (v = from + 1; v <= schema_version; v++) {
		snprintf(what, sizeof(what), "migration %lld", (long long)v);
		if (store_exec(&c, schema_steps[v], what) == -1) {
			store_fail(st, "%s: copy: %s", path, c.err);
			goto done;
		}
	}
	/* A copy of a WAL database is one too: attached read-only it would
	 * leave -wal and -shm files behind. */
	if (store_exec(&c, "PRAGMA journal_mode = DELETE", "journal_mode") == -1) {
		store_fail(st, "%s: copy: %s", path, c.err);
		goto done;
	}
	rc = 0;
done:
	sqlite3_close(src);
	sqlite3_close(c.db);
	return rc;
}

/* Writes path as a read-only SQLite URI ("file:...?mode=ro"), every byte
 * other than [A-Za-z0-9/._~-] percent-encoded. */
static int
merge_uri(const char *path, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)path;
	size_t n = 0;

	if (len < sizeof("file:?mode=ro"))
		return -1;
	memcpy(buf, "file:", 5);
	n = 5;
	for (; *p != '\0'; p++) {
		if (n + 3 + sizeof("?mode=ro") > len)
			return -1;
		if (strchr("/._~-", *p) != NULL || (*p >= '0' && *p <= '9') ||
		    ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')) {
			buf[n++] = (char)*p;
		} else {
			buf[n++] = '%';
			buf[n++] = hex[*p >> 4];
			buf[n++] = hex[*p & 15];
		}
	}
	memcpy(buf + n, "?mode=ro", sizeof("?mode=ro"));
	return 0;
}

/* A merge's private directory for migrated copies, made when needed. */
struct merge_tmp {
	char dir[PATH_MAX];			/* "" until made */
	size_t ncopies;				/* dir/0.db, dir/1.db, ... */
};

/* Makes tmp's directory under $TMPDIR (or /tmp) unless it exists. */
static int
merge_tmpdir(struct store *st, struct merge_tmp *tmp)
{
	const char *base = getenv("TMPDIR");

	if (tmp->dir[0] != '\0')
		return 0;
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if ((size_t)snprintf(tmp->dir, sizeof(tmp->dir),
	    "%s/teardownctl-merge.XXXXXX", base) >= sizeof(tmp->dir) ||
	    mkdtemp(tmp->dir) == NULL) {
		tmp->dir[0] = '\0';
		return store_fail(st, "merge: temporary directory in %s: %s",
		    base, strerror(errno));
	}
	return 0;
}

/* Deletes tmp's copies (and their journals) and its directory. */
static void
merge_tmp_remove(struct merge_tmp *tmp)
{
	char path[PATH_MAX + 64];
	size_t i;

	if (tmp->dir[0] == '\0')
		return;
	for (i = 0; i < tmp->ncopies; i++) {
		snprintf(path, sizeof(path), "%s/%zu.db", tmp->dir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%zu.db-journal", tmp->dir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%zu.db-wal", tmp->dir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%zu.db-shm", tmp->dir, i);
		unlink(path);
	}
	if (rmdir(tmp->dir) == -1)
		log_warn("merge: cannot remove %s", tmp->dir);
	tmp->dir[0] = '\0';
}

/* Attaches input in as schema name, read-only; an input of an older
 * schema through a migrated copy in tmp's directory. */
static int
merge_attach(struct store *st, struct merge_tmp *tmp,
    struct store_merge_input *in, const char *name)
{
	char copy[PATH_MAX + 64], uri[3 * PATH_MAX + 64], *sql;
	const char *path = in->path;
	int rc;

	in->migrated = 0;
	if (merge_probe(st, in->path, &in->version) == -1)
		return -1;
	if (in->version < schema_version) {
		if (merge_tmpdir(st, tmp) == -1)
			return -1;
		snprintf(copy, sizeof(copy), "%s/%zu.db", tmp->dir,
		    tmp->ncopies++);
		if (merge_migrated_copy(st, in->path, copy, in->version) == -1)
			return -1;
		path = copy;
		in->migrated = 1;
	}
	if (merge_uri(path, uri, sizeof(uri)) == -1)
		return store_fail(st, "%s: the path is too long", in->path);
	if ((sql = sqlite3_mprintf("ATTACH %Q AS \"%w\"", uri, name)) == NULL)
		return store_fail(st, "merge: out of memory");
	rc = store_exec(st, sql, in->path);
	sqlite3_free(sql);
	return rc;
}

/* Detaches the first n inputs of a group (src0 .. src<n-1>). */
static void
merge_detach(struct store *st, size_t n)
{
	char sql[64];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql), "DETACH \"src%zu\"", i);
		sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	}
}

/* Merges n inputs, all attached at once, in one transaction. */
static int
merge_group(struct store *st, struct merge_tmp *tmp,
    struct store_merge_input *in, size_t n)
{
	char name[32];
	size_t i, attached = 0;
	int rc = -1;

	for (; attached < n; attached++) {
		snprintf(name, sizeof(name), "src%zu", attached);
		if (merge_attach(st, tmp, &in[attached], name) == -1)
			goto done;
	}
	if (store_begin(st) == -1)
		goto done;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "src%zu", i);
		if (merge_input(st, name, &in[i]) == -1) {
			store_rollback(st);
			goto done;
		}
	}
	if (store_commit(st) == 0)
		rc = 0;
done:
	merge_detach(st, attached);
	return rc;
}

/* Checks every input before the output is touched (merge_probe); 0, or
 * -1 with the reason in err. */
static int
merge_inputs_probe(struct store_merge_input *in, size_t n, char *err,
    size_t errlen)
{
	struct store probe = { .readonly = 1 };
	size_t i;

	for (i = 0; i < n; i++)
		if (merge_probe(&probe, in[i].path, &in[i].version) == -1) {
			snprintf(err, errlen, "%s", probe.err);
			return -1;
		}
	return 0;
}

/* Merges the probed inputs in[0..n-1] into st, in groups of SQLite's
 * attach limit. */
static int
merge_into(struct store *st, struct store_merge_input *in, size_t n,
    char *err, size_t errlen)
{
	struct merge_tmp tmp = { .dir = "" };
	size_t i, k, group;
	int rc = -1;

	group = (size_t)sqlite3_limit(st->db, SQLITE_LIMIT_ATTACHED, -1);
	if (merge_check_tables(st) == -1 ||
	    store_exec(st, "CREATE TEMP TABLE IF NOT EXISTS merge_map (tbl TEXT"
	    " NOT NULL, src_id INTEGER NOT NULL, new_id INTEGER NOT NULL,"
	    " added INTEGER NOT NULL, PRIMARY KEY (tbl, src_id))"
	    " WITHOUT ROWID", "merge") == -1 ||
	    store_exec(st, "DELETE FROM merge_map", "merge") == -1)
		goto done;
	if (group == 0) {
		store_fail(st, "merge: SQLite attaches no databases here");
		goto done;
	}
	for (i = 0; i < n; i += k) {
		k = n - i < group ? n - i : group;
		if (merge_group(st, &tmp, in + i, k) == -1)
			goto done;
	}
	rc = 0;
done:
	if (rc == -1)
		snprintf(err, errlen, "%s", st->err);
	merge_tmp_remove(&tmp);
	return rc;
}

/* Merges the databases in[0..n-1] into st, open already: see store.h. */
int
store_merge_into(struct store *st, struct store_merge_input *in, size_t n,
    char *err, size_t errlen)
{
	if (merge_inputs_probe(in, n, err, errlen) == -1)
		return -1;
	return merge_into(st, in, n, err, errlen);
}

/* Merges the databases in[0..n-1] into the database at out: see store.h. */
int
store_merge(const char *out, struct store_merge_input *in, size_t n,
    char *err, size_t errlen)
{
	struct store *st;
	int rc;

	store_once();
	if (merge_inputs_probe(in, n, err, errlen) == -1)
		return -1;			/* before the output is made */
	if ((st = store_open(out, 0, err, errlen)) == NULL)
		return -1;
	rc = merge_into(st, in, n, err, errlen);
	store_close(st);
	return rc;
}

/* The runs the last input of store_merge_into added, by their new ids. */
int
store_merged_runs(struct store *st, int64_t *ids, size_t max, size_t *n)
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT new_id FROM temp.merge_map"
	    " WHERE tbl = 'runs' AND added ORDER BY new_id", -1, &s,
	    NULL) != SQLITE_OK)
		return store_fail_db(st, "merged runs");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (*n < max)
			ids[(*n)++] = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_fail_db(st, "merged runs");
}
