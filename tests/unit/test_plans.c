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

/* Whether sql reads a big table whole, saying how in why: a cursor on
 * one of its b-trees started at an end (Rewind, Last), or positioned by
 * a range seek (SeekGE, SeekGT, SeekLE, SeekLT), then advanced (Next,
 * Prev), that nothing bounds: no IdxGE/IdxGT/IdxLE/IdxLT on it (an
 * index), no comparison of its Rowid (a table) — reading from the seek to
 * the end. A seek that reads one row (the matrix's skip from scenario to
 * scenario, min() or LIMIT 1) is not advanced. */
static int
scan_found(sqlite3 *db, const struct roots *r, const char *sql, char *why,
    size_t len)
{
	const char *cursor[MAX_CURSORS] = { NULL };
	int seek[MAX_CURSORS] = { 0 }, bounded[MAX_CURSORS] = { 0 };
	int advanced[MAX_CURSORS] = { 0 };
	char *q = sqlite3_mprintf("EXPLAIN %s", sql);
	sqlite3_stmt *s;
	int found = 0, nops = 0, rowid_of = -1, goto_to = -1, prev_goto, i;

	assert_non_null(q);
	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	while (!found && sqlite3_step(s) == SQLITE_ROW) {
		const char *op = (const char *)sqlite3_column_text(s, 1);
		int addr = sqlite3_column_int(s, 0);
		int p1 = sqlite3_column_int(s, 2), p2 = sqlite3_column_int(s, 3);
		int cmp = strcmp(op, "Gt") == 0 || strcmp(op, "Ge") == 0 ||
		    strcmp(op, "Lt") == 0 || strcmp(op, "Le") == 0;

		nops++;
		prev_goto = goto_to;
		goto_to = strcmp(op, "Goto") == 0 ? p2 : -1;
		if (cmp && rowid_of >= 0)
			bounded[rowid_of] = 1;
		rowid_of = -1;
		if (p1 < 0 || p1 >= MAX_CURSORS)
			continue;
		if (strcmp(op, "OpenRead") == 0 || strcmp(op, "OpenWrite") == 0) {
			cursor[p1] = root_table(r, p2);
			seek[p1] = bounded[p1] = advanced[p1] = 0;
		} else if (strncmp(op, "Open", 4) == 0)
			cursor[p1] = NULL;	/* ephemeral, pseudo, sorter */
		else if (cursor[p1] == NULL)
			continue;
		else if (strcmp(op, "Rewind") == 0 || strcmp(op, "Last") == 0) {
			snprintf(why, len, "reads every row of %s (a full scan: %s"
			    " on its cursor %d)", cursor[p1], op, p1);
			found = 1;
		} else if (strncmp(op, "Seek", 4) == 0 && (op[4] == 'G' ||
		    op[4] == 'L'))
			seek[p1] = 1;
		else if (strncmp(op, "Idx", 3) == 0 && (op[3] == 'G' ||
		    op[3] == 'L'))
			bounded[p1] = 1;
		else if (strcmp(op, "Rowid") == 0)
			rowid_of = p1;
		else if ((strcmp(op, "Next") == 0 || strcmp(op, "Prev") == 0) &&
		    !(prev_goto > addr))
			advanced[p1] = 1;	/* not after a Goto past it */
	}
	for (i = 0; !found && i < MAX_CURSORS; i++)
		if (cursor[i] != NULL && seek[i] && advanced[i] && !bounded[i]) {
			snprintf(why, len, "reads %s from a seek to its end (an "
			    "unbounded range on its cursor %d)", cursor[i], i);
			found = 1;
		}
	sqlite3_finalize(s);
	sqlite3_free(q);
	assert_true(nops > 0);
	return found;
}

/* Fails when sql (named what) reads a big table whole (scan_found). */
static void
assert_no_scan(sqlite3 *db, const struct roots *r, const char *what,
    const char *sql)
{
	char why[160];

	if (scan_found(db, r, sql, why, sizeof(why)))
		fail_msg("%s %s", what, why);
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

/* The checker itself finds a scan, whatever the table's alias, and a
 * range that runs to the table's end; an equality or a bounded range
 * passes. */
static void
the_checker_finds_scans_and_unbounded_ranges(void **state)
{
	char dir[64], why[160];
	struct roots r;
	sqlite3 *db = db_open(dir, sizeof(dir), &r);

	assert_true(scan_found(db, &r, "SELECT count(*) FROM cases AS k"
	    " WHERE k.rep > 1", why, sizeof(why)));
	assert_non_null(strstr(why, "a full scan"));
	assert_true(scan_found(db, &r, "SELECT count(*) FROM cases"
	    " WHERE run_id > 5", why, sizeof(why)));
	assert_non_null(strstr(why, "unbounded range"));
	assert_true(scan_found(db, &r, "SELECT count(*) FROM cases"
	    " WHERE id >= 5", why, sizeof(why)));
	assert_false(scan_found(db, &r, "SELECT count(*) FROM cases"
	    " WHERE run_id = 5", why, sizeof(why)));
	assert_false(scan_found(db, &r, "SELECT count(*) FROM cases"
	    " WHERE run_id BETWEEN 5 AND 9", why, sizeof(why)));
	assert_false(scan_found(db, &r, "SELECT count(*) FROM cases"
	    " WHERE id BETWEEN 5 AND 9", why, sizeof(why)));
	assert_false(scan_found(db, &r, "SELECT min(scenario) FROM cases"
	    " WHERE scenario > 'a'", why, sizeof(why)));
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
		cmocka_unit_test(the_checker_finds_scans_and_unbounded_ranges),
		cmocka_unit_test(every_read_query_searches_instead_of_scanning),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
