/* test_plans.c: every read query of the store reads only what it needs.
 * Each query's bytecode (EXPLAIN) is searched for a full scan of cases
 * or case_records (steps, segments, transitions: their table or one of
 * their indexes, whatever alias the query gives it): a cursor on one of them that starts
 * at an end (Rewind, Last) instead of seeking reads every row, and the
 * query grows with the whole database, not with the runs it compares. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"

#define MAX_ROOTS	64
#define MAX_CURSORS	256

struct roots {
	int page[MAX_ROOTS];
	char name[MAX_ROOTS][32];		/* the table the b-tree belongs to */
	int n;
};

/* The root pages of the big tables and their indexes. */
static void
roots_read(sqlite3 *db, struct roots *r)
{
	sqlite3_stmt *s;

	memset(r, 0, sizeof(*r));
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT rootpage, tbl_name"
	    " FROM sqlite_schema WHERE rootpage > 0 AND tbl_name IN"
	    " ('cases', 'case_records')", -1, &s, NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW && r->n < MAX_ROOTS) {
		r->page[r->n] = sqlite3_column_int(s, 0);
		snprintf(r->name[r->n], sizeof(r->name[0]), "%s",
		    (const char *)sqlite3_column_text(s, 1));
		r->n++;
	}
	sqlite3_finalize(s);
	assert_true(r->n >= 3);
}

/* The big table whose b-tree starts at page, or NULL. */
static const char *
root_table(const struct roots *r, int page)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (r->page[i] == page)
			return r->name[i];
	return NULL;
}

/* Fails when sql (named what) scans a big table: its cursors opened on
 * one of their b-trees, then started with Rewind or Last. */
static void
assert_no_scan(sqlite3 *db, const struct roots *r, const char *what,
    const char *sql)
{
	const char *cursor[MAX_CURSORS] = { NULL };
	char *q = sqlite3_mprintf("EXPLAIN %s", sql);
	sqlite3_stmt *s;
	int nops = 0;

	assert_non_null(q);
	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", what, sqlite3_errmsg(db));
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *op = (const char *)sqlite3_column_text(s, 1);
		int p1 = sqlite3_column_int(s, 2), p2 = sqlite3_column_int(s, 3);

		nops++;
		if (p1 < 0 || p1 >= MAX_CURSORS)
			continue;
		if (strcmp(op, "OpenRead") == 0 || strcmp(op, "OpenWrite") == 0)
			cursor[p1] = root_table(r, p2);
		else if (strncmp(op, "Open", 4) == 0)
			cursor[p1] = NULL;	/* ephemeral, pseudo, sorter */
		else if ((strcmp(op, "Rewind") == 0 || strcmp(op, "Last") == 0) &&
		    cursor[p1] != NULL)
			fail_msg("%s reads every row of %s (a full scan: %s on its "
			    "cursor %d)", what, cursor[p1], op, p1);
	}
	sqlite3_finalize(s);
	sqlite3_free(q);
	assert_true(nops > 0);
}

/* A migrated database, opened plainly. */
static sqlite3 *
db_open(char *dir, size_t len, struct roots *r)
{
	char path[128];
	struct store *st;
	sqlite3 *db;

	assert_int_equal(tu_mkdtemp(dir, len), 0);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	st = tu_store_open(path);
	store_close(st);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	roots_read(db, r);
	return db;
}

/* The checker itself finds a scan, whatever the table's alias. */
static void
a_scan_under_an_alias_is_found(void **state)
{
	char dir[64];
	struct roots r;
	sqlite3 *db = db_open(dir, sizeof(dir), &r);
	const char *cursor_sql = "SELECT count(*) FROM cases AS k WHERE k.rep > 1";
	char *q = sqlite3_mprintf("EXPLAIN %s", cursor_sql);
	sqlite3_stmt *s;
	int found = 0;

	/* The same walk as assert_no_scan, counting instead of failing. */
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	{
		const char *cursor[MAX_CURSORS] = { NULL };

		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *op = (const char *)sqlite3_column_text(s, 1);
			int p1 = sqlite3_column_int(s, 2);

			if (p1 < 0 || p1 >= MAX_CURSORS)
				continue;
			if (strcmp(op, "OpenRead") == 0)
				cursor[p1] = root_table(&r, sqlite3_column_int(s, 3));
			else if (strcmp(op, "Rewind") == 0 && cursor[p1] != NULL)
				found = 1;
		}
	}
	sqlite3_finalize(s);
	sqlite3_free(q);
	assert_true(found);
	sqlite3_close(db);
	assert_int_equal(tu_rmrf(dir), 0);
}

static void
every_read_query_searches_instead_of_scanning(void **state)
{
	char dir[64], what[64];
	struct roots r;
	sqlite3 *db = db_open(dir, sizeof(dir), &r);
	int q, l;

	for (q = 0; q < STORE_Q__COUNT; q++) {
		snprintf(what, sizeof(what), "query %d", q);
		assert_non_null(store_query_sql((enum store_query)q));
		assert_no_scan(db, &r, what, store_query_sql((enum store_query)q));
	}
	for (l = 0; store_lookup_sql((enum store_lookup)l) != NULL; l++) {
		snprintf(what, sizeof(what), "lookup %d", l);
		assert_no_scan(db, &r, what, store_lookup_sql((enum store_lookup)l));
	}
	assert_no_scan(db, &r, "the baseline check", store_regressions_sql());
	sqlite3_close(db);
	assert_int_equal(tu_rmrf(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_scan_under_an_alias_is_found),
		cmocka_unit_test(every_read_query_searches_instead_of_scanning),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
