/* test_merge.c: store_merge, the fleet merge. Inputs are written with
 * plain SQL (as teardownd would have stored them) in a fresh directory;
 * the checks read the output with plain SQL. It proves that every table of
 * the schema has its line in the merge, that runs keep their host under
 * new ids, that merging again adds nothing, that an input of an older
 * schema is merged through a copy and left as it was, and that a run
 * merged while 'running' is replaced by its finished self. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

/* build/schema_sql.c: the migration steps, to make an old database. */
extern const char *const schema_steps[];

/* One test's directory. */
struct fx {
	char dir[64];				/* mkdtemp */
	char out[128];				/* dir/fleet.db */
};

/* The first column of the first row of SQL on path, as text (static). */
static const char *
one(const char *path, const char *text)
{
	static char out[256];
	sqlite3_stmt *s;
	sqlite3 *db;

	out[0] = '\0';
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, text, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", text, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		snprintf(out, sizeof(out), "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out;
}

/* Makes dir/name a teardownd database of the current schema. */
static const char *
new_db(struct fx *f, const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	store_close(tu_store_open(path));
	return path;
}

/* Adds a run of host started at start_us, with one sysctl and nc cases
 * of two steps each; status as given. */
static void
add_run(const char *path, const char *host, long start_us,
    const char *status, int nc)
{
	char buf[2048];
	int i, packed;

	/* steps is a table before migration 13, a view of case_records after */
	packed = strcmp(one(path, "SELECT count(*) FROM sqlite_schema"
	    " WHERE name = 'case_records'"), "1") == 0;
	snprintf(buf, sizeof(buf), "INSERT INTO runs (host, kernel_release,"
	    " kernel_version, config_hash, version, families, repeat,"
	    " started_us, status) VALUES ('%s', '6.1.0', '#1', 'abc', '0.1',"
	    " 'ipv4', 1, %ld, '%s');"
	    "INSERT INTO run_sysctls (run_id, name, value)"
	    " VALUES (last_insert_rowid(), 'net.ipv4.tcp_fin_timeout', '60');",
	    host, start_us, status);
	tu_sql_exec(path, buf);
	for (i = 0; i < nc; i++) {
		snprintf(buf, sizeof(buf), "INSERT INTO cases (run_id, scenario,"
		    " family, rep, verdict, started_us, duration_us) VALUES"
		    " ((SELECT max(id) FROM runs), 's%d', 'ipv4', 0, 'pass',"
		    " %ld, 10);"
		    "%s", i, start_us, packed ?
		    "INSERT INTO case_records (case_id, steps)"
		    " SELECT max(id), '[[1,\"client\",\"close\",\"\",\"ok\"],"
		    "[2,\"server\",\"close\",\"\",\"ok\"]]' FROM cases;" :
		    "INSERT INTO steps (case_id, idx, side, verb, status)"
		    " SELECT max(id), 0, 'client', 'close', 'ok' FROM cases"
		    " UNION ALL SELECT max(id), 1, 'server', 'close', 'ok'"
		    " FROM cases;");
		tu_sql_exec(path, buf);
	}
}

/* Merges the n paths into f->out; returns store_merge's result. */
static int
merge(struct fx *f, const char *const *paths, size_t n,
    struct store_merge_input *in)
{
	char err[512];
	size_t i;
	int rc;

	if (n > 0)
		memset(in, 0, n * sizeof(*in));
	for (i = 0; i < n; i++)
		in[i].path = paths[i];
	rc = store_merge(f->out, in, n, err, sizeof(err));
	if (rc != 0)
		print_message("merge: %s\n", err);
	return rc;
}

/* A fresh directory, also the merge's TMPDIR, and the output's path. */
static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_int_equal(tu_mkdtemp(f->dir, sizeof(f->dir)), 0);
	snprintf(f->out, sizeof(f->out), "%s/fleet.db", f->dir);
	setenv("TMPDIR", f->dir, 1);
	*state = f;
	return 0;
}

/* Removes the directory and all in it. */
static int
teardown(void **state)
{
	struct fx *f = *state;

	if (tu_rmrf(f->dir) != 0)
		return -1;
	free(f);
	return 0;
}

static void
every_table_of_the_schema_has_a_line_in_the_merge(void **state)
{
	struct fx *f = *state;

	/* No inputs: store_merge still creates the output and checks that
	 * each of its tables is one it knows how to merge. A migration that
	 * adds a table fails here until store.c's merge_tables lists it. */
	assert_int_equal(merge(f, NULL, 0, NULL), 0);
	assert_string_equal(one(f->out, "PRAGMA user_version"),
	    one(new_db(f, "fresh.db"), "PRAGMA user_version"));
}

static void
runs_of_two_hosts_keep_their_host_under_new_ids(void **state)
{
	struct fx *f = *state;
	struct store_merge_input in[2];
	const char *paths[2];
	char a[128], b[128];

	snprintf(a, sizeof(a), "%s", new_db(f, "a.db"));
	snprintf(b, sizeof(b), "%s", new_db(f, "b.db"));
	add_run(a, "host-a", 1000, "complete", 2);
	add_run(b, "host-b", 1000, "complete", 3);
	add_run(b, "host-b", 2000, "complete", 1);
	paths[0] = a;
	paths[1] = b;
	assert_int_equal(merge(f, paths, 2, in), 0);
	assert_int_equal(in[0].runs, 1);
	assert_int_equal(in[0].added, 1);
	assert_int_equal(in[1].added, 2);
	assert_string_equal(one(f->out, "SELECT group_concat(host || ':' ||"
	    " (SELECT count(*) FROM cases WHERE run_id = runs.id), ' ')"
	    " FROM runs"), "host-a:2 host-b:3 host-b:1");
	assert_string_equal(one(f->out, "SELECT count(*) FROM steps"), "12");
	assert_string_equal(one(f->out, "SELECT count(*) FROM run_sysctls"), "3");
	/* b's first run was run 1 in b.db; it is run 2 in the output. */
	assert_string_equal(one(f->out, "SELECT group_concat(id) FROM runs"
	    " WHERE host = 'host-b'"), "2,3");
	assert_string_equal(one(f->out, "SELECT count(*) FROM cases AS c"
	    " JOIN runs AS r ON r.id = c.run_id WHERE r.host = 'host-b'"), "4");
	assert_string_equal(one(f->out, "PRAGMA foreign_key_check"), "");
}

static void
merging_again_adds_nothing(void **state)
{
	struct fx *f = *state;
	struct store_merge_input in[2];
	const char *paths[2];
	char a[128];

	snprintf(a, sizeof(a), "%s", new_db(f, "a.db"));
	add_run(a, "host-a", 1000, "complete", 2);
	paths[0] = paths[1] = a;
	assert_int_equal(merge(f, paths, 2, in), 0);
	assert_int_equal(in[0].added, 1);
	assert_int_equal(in[1].added, 0);	/* the same run, again */
	assert_int_equal(merge(f, paths, 1, in), 0);
	assert_int_equal(in[0].runs, 1);
	assert_int_equal(in[0].added, 0);
	assert_string_equal(one(f->out, "SELECT count(*) || ' ' ||"
	    " (SELECT count(*) FROM cases) || ' ' || (SELECT count(*) FROM"
	    " steps) FROM runs"), "1 2 4");
}

static void
an_older_schema_is_merged_through_a_copy_and_left_as_it_was(void **state)
{
	struct fx *f = *state;
	struct store_merge_input in[1];
	const char *paths[1];
	char old[128], before[64];
	struct dirent *e;
	DIR *d;

	/* What teardownd 0.1 with migration 1 alone wrote, in WAL mode (its
	 * copy then is too: attached read-only, it left -wal and -shm files,
	 * and the copies' directory, behind). */
	snprintf(old, sizeof(old), "%s/old.db", f->dir);
	tu_sql_exec(old, "PRAGMA journal_mode = WAL");
	tu_sql_exec(old, schema_steps[1]);
	tu_sql_exec(old, "PRAGMA user_version = 1");
	add_run(old, "old-host", 500, "complete", 1);
	snprintf(before, sizeof(before), "%s", one(old, "SELECT group_concat("
	    "name) FROM sqlite_schema WHERE type = 'table'"));
	paths[0] = old;
	assert_int_equal(merge(f, paths, 1, in), 0);
	assert_int_equal(in[0].version, 1);
	assert_true(in[0].migrated);
	assert_int_equal(in[0].added, 1);
	assert_string_equal(one(f->out, "SELECT host || ' ' || coalesce(wire,"
	    " 'no wire') FROM runs"), "old-host no wire");
	assert_string_equal(one(f->out, "SELECT count(*) FROM steps"), "2");
	/* The input still has schema 1 and its tables alone. */
	assert_string_equal(one(old, "PRAGMA user_version"), "1");
	assert_string_equal(one(old, "SELECT group_concat(name) FROM"
	    " sqlite_schema WHERE type = 'table'"), before);
	/* The migrated copy and its directory are gone. */
	assert_non_null(d = opendir(f->dir));
	while ((e = readdir(d)) != NULL)
		assert_null(strstr(e->d_name, "teardownctl-merge"));
	closedir(d);
}

static void
a_run_merged_while_running_is_replaced_once_it_ended(void **state)
{
	struct fx *f = *state;
	struct store_merge_input in[1];
	const char *paths[1];
	char a[128];

	snprintf(a, sizeof(a), "%s", new_db(f, "a.db"));
	add_run(a, "host-a", 1000, "running", 1);
	paths[0] = a;
	assert_int_equal(merge(f, paths, 1, in), 0);
	assert_int_equal(in[0].added, 1);
	/* The run goes on: another case, then it ends. */
	tu_sql_exec(a, "INSERT INTO cases (run_id, scenario, family, rep, verdict,"
	    " started_us, duration_us) VALUES (1, 'late', 'ipv4', 0, 'fail',"
	    " 1000, 10); UPDATE runs SET status = 'complete'");
	assert_int_equal(merge(f, paths, 1, in), 0);
	assert_int_equal(in[0].added, 1);
	assert_int_equal(in[0].replaced, 1);
	assert_string_equal(one(f->out, "SELECT count(*) || ' ' || status ||"
	    " ' ' || (SELECT count(*) FROM cases) FROM runs"), "1 complete 2");
	/* Ended, it is not replaced again. */
	assert_int_equal(merge(f, paths, 1, in), 0);
	assert_int_equal(in[0].added, 0);
	assert_int_equal(in[0].replaced, 0);
}

static void
a_hosts_baseline_follows_its_run_and_its_own_database(void **state)
{
	struct fx *f = *state;
	struct store_merge_input in[1];
	const char *paths[1];
	char a[128];

	snprintf(a, sizeof(a), "%s", new_db(f, "a.db"));
	add_run(new_db(f, "fleet.db"), "other", 10, "complete", 0); /* ids differ */
	add_run(a, "host-a", 1000, "complete", 1);
	add_run(a, "host-a", 2000, "complete", 1);
	tu_sql_exec(a, "INSERT INTO baselines (host, profile, link, run_id, set_us)"
	    " VALUES ('host-a', 'default', 'lo', 1, 5)");
	paths[0] = a;
	assert_int_equal(merge(f, paths, 1, in), 0);
	assert_string_equal(one(f->out, "SELECT r.started_us FROM baselines"
	    " AS b JOIN runs AS r ON r.id = b.run_id WHERE b.host = 'host-a'"),
	    "1000");
	/* The host moves its baseline to a run merged already. */
	tu_sql_exec(a, "UPDATE baselines SET run_id = 2, set_us = 6");
	assert_int_equal(merge(f, paths, 1, in), 0);
	assert_int_equal(in[0].added, 0);
	assert_string_equal(one(f->out, "SELECT count(*) || ' ' ||"
	    " max(r.started_us) FROM baselines AS b JOIN runs AS r"
	    " ON r.id = b.run_id WHERE b.host = 'host-a'"), "1 2000");
}

static void
an_input_that_cannot_be_merged_leaves_no_output(void **state)
{
	struct fx *f = *state;
	struct store_merge_input in[2];
	char a[128], bad[128], err[512];

	snprintf(a, sizeof(a), "%s", new_db(f, "a.db"));
	add_run(a, "host-a", 1000, "complete", 1);
	snprintf(bad, sizeof(bad), "%s/newer.db", f->dir);
	tu_sql_exec(bad, "PRAGMA application_id = 1413764942; PRAGMA user_version ="
	    " 999; CREATE TABLE t (x)");
	memset(in, 0, sizeof(in));
	in[0].path = a;
	in[1].path = bad;
	assert_int_equal(store_merge(f->out, in, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "schema version 999 is newer"));
	assert_int_equal(access(f->out, F_OK), -1);
	tu_sql_exec(bad, "PRAGMA application_id = 7");
	assert_int_equal(store_merge(f->out, in, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a teardownd database"));
	assert_int_equal(access(f->out, F_OK), -1);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(every_table_of_the_schema_has_a_line_in_the_merge),
		T(runs_of_two_hosts_keep_their_host_under_new_ids),
		T(merging_again_adds_nothing),
		T(an_older_schema_is_merged_through_a_copy_and_left_as_it_was),
		T(a_run_merged_while_running_is_replaced_once_it_ended),
		T(a_hosts_baseline_follows_its_run_and_its_own_database),
		T(an_input_that_cannot_be_merged_leaves_no_output),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
