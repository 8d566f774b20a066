/* test_daemon_store.c: the store's bookkeeping for the daemon: the last
 * complete run of a host (the schedule and the kernel-change trigger),
 * runs left running by a crash marked aborted, skipped runs recorded
 * against the run that was still going. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "store.h"

/* Opens a fresh database named name. */
static struct store *
open_db(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tu_dir, name);
	return tu_store_open(path);
}

/* Begins a run of host on kernel at start_us; returns its id. */
static int64_t
begin(struct store *st, const char *host, const char *kernel, int64_t start_us)
{
	struct run_info ri;
	int64_t id = 0;

	memset(&ri, 0, sizeof(ri));
	snprintf(ri.host, sizeof(ri.host), "%s", host);
	snprintf(ri.kernel_release, sizeof(ri.kernel_release), "%s", kernel);
	snprintf(ri.kernel_version, sizeof(ri.kernel_version), "#1");
	snprintf(ri.config_hash, sizeof(ri.config_hash), "0");
	snprintf(ri.version, sizeof(ri.version), "test");
	snprintf(ri.families, sizeof(ri.families), "ipv4");
	ri.repeat = 1;
	ri.start_us = start_us;
	assert_int_equal(store_run_begin(st, &ri, &id), 0);
	return id;
}

/* The last complete run is the host's latest complete one, whatever
 * runs started after it and whatever other hosts did. */
static void
the_last_complete_run_is_the_hosts_latest_complete_one(void **state)
{
	struct store *st = open_db("last.db");
	struct store_last_run lr;
	int64_t a, b;

	assert_int_equal(store_last_complete_run(st, "h1", &lr), 0);
	a = begin(st, "h1", "6.1.0", 1000);
	assert_int_equal(store_run_end(st, a, "complete", 2000), 0);
	b = begin(st, "h1", "6.18.0", 3000);
	assert_int_equal(store_run_end(st, b, "complete", 4000), 0);
	assert_int_equal(store_run_end(st, begin(st, "h1", "6.18.0", 5000),
	    "interrupted", 6000), 0);
	begin(st, "h1", "6.18.0", 7000);		/* still running */
	assert_int_equal(store_run_end(st, begin(st, "h2", "7.0.0", 9000),
	    "complete", 9500), 0);
	assert_int_equal(store_last_complete_run(st, "h1", &lr), 1);
	assert_int_equal(lr.id, b);
	assert_string_equal(lr.kernel_release, "6.18.0");
	assert_int_equal(lr.started_us, 3000);
	assert_int_equal(lr.ended_us, 4000);
	assert_int_equal(lr.n[VERDICT_PASS], 0);
	assert_int_equal(store_last_complete_run(st, "h3", &lr), 0);
	store_close(st);
}

/* Runs left running are marked aborted, ended at their start when they
 * stored no case; ended runs are left alone. */
static void
runs_left_running_are_marked_aborted(void **state)
{
	struct store *st = open_db("stale.db");
	struct store_last_run lr;
	int64_t done;
	int n = -1;

	done = begin(st, "h", "k", 100);
	assert_int_equal(store_run_end(st, done, "complete", 200), 0);
	begin(st, "h", "k", 300);
	begin(st, "h", "k", 400);
	assert_int_equal(store_mark_stale(st, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_mark_stale(st, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_last_complete_run(st, "h", &lr), 1);
	assert_int_equal(lr.id, done);
	/* An aborted run has ended: it cannot be ended again. */
	assert_int_equal(store_run_end(st, done + 1, "interrupted", 500), -1);
	store_close(st);
}

/* A skip names the run that was still going; it must exist. */
static void
a_skip_is_recorded_against_the_run_still_going(void **state)
{
	struct store *st = open_db("skip.db");
	int64_t id = begin(st, "h", "k", 100);

	assert_int_equal(store_skip(st, 150, id), 0);
	assert_int_equal(store_skip(st, 250, id), 0);
	assert_int_equal(store_skip(st, 350, id + 1), -1);
	assert_non_null(strstr(store_errmsg(st), "FOREIGN KEY"));
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_last_complete_run_is_the_hosts_latest_complete_one),
		cmocka_unit_test(runs_left_running_are_marked_aborted),
		cmocka_unit_test(a_skip_is_recorded_against_the_run_still_going),
	};

	return cmocka_run_group_tests(tests, tu_scratch_setup,
	    tu_scratch_teardown);
}
