/* test_store.c: the SQLite store. Writes runs and cases as the runner
 * does, reads them back through the read API that teardownctl uses, and
 * checks the database itself (pragmas, views) with plain SQL as a user of
 * sqlite3 would. Each test works in a fresh directory under /tmp. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "scenario.h"
#include "store.h"

/* One test's directory, database and cases. */
struct fx {
	char dir[64];				/* mkdtemp */
	char path[128];				/* dir/teardownd.db */
	struct store *st;			/* open read-write */
	struct step_result res[4][3];		/* results of cases[i] */
	struct end_obs obs[4][3][2];		/* what res[][].end point to */
	struct case_result cases[4];
	struct case_result *batch[4];
};

static struct step three_steps[3] = {
	{ .line = 3, .side = SIDE_CLIENT, .verb = VERB_SEND, .args = "100" },
	{ .line = 4, .side = SIDE_SERVER, .verb = VERB_RECV, .args = "eof" },
	{ .line = 5, .side = SIDE_CLIENT, .verb = VERB_WAIT_STATE,
	    .args = "TIME_WAIT within 1s" },
};

static struct scenario three = {
	.name = "three-way-close", .nsteps = 3, .steps = three_steps,
};

/* Runs one SQL statement on a plain connection and returns the first
 * column of its first row as an integer (0 when there is no row). */
static int64_t
sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = 0;
	int rc;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Sets one end's observation; info only when has_info. */
static void
set_end(struct end_obs *o, enum tcp_state state, enum obs_source src,
    int has_info)
{
	tu_end(o, state, src, has_info ? TU_TCPI_LEN_6_18 : 0);
	if (has_info) {
		o->info.rto = 204000;
		o->info.total_retrans = 3;
		o->info.retrans = 1;
		o->info.backoff = 2;
		o->info.segs_out = 7;
	}
	if (src == OBS_DIAG_TW) {
		o->timer = 3;
		o->timer_ms = 59000;
	}
}

/* Case i: three-way-close/ipv4/rep i. Case 0 passes; the others fail at
 * step 1 with ECONNRESET, the server then in TIME_WAIT seen through
 * sock_diag (no tcp_info), step 2 not run. */
static void
make_case(struct fx *f, int i, int rep)
{
	struct case_result *cr = &f->cases[i];
	struct step_result *r = f->res[i];
	struct end_obs (*o)[2] = f->obs[i];
	int k;

	free(cr->msg);
	step_notes_free(cr->notes);
	memset(cr, 0, sizeof(*cr));
	memset(f->res[i], 0, sizeof(f->res[i]));
	memset(f->obs[i], 0, sizeof(f->obs[i]));
	cr->sc = &three;
	cr->family = FAM_IPV4;
	cr->rep = rep;
	cr->start_us = 1700000000123456LL + i;
	cr->dur_us = 1500;
	cr->res = r;
	snprintf(cr->client_addr, sizeof(cr->client_addr), "127.0.0.1:4000%d", i);
	snprintf(cr->server_addr, sizeof(cr->server_addr), "127.0.0.1:5000");
	for (k = 0; k < 3; k++) {
		r[k].status = STEP_OK;
		r[k].t_us = 1000 * k;
		r[k].dur_us = 100;
		set_end(&o[k][SIDE_CLIENT], STATE_ESTABLISHED, OBS_INFO, 1);
		set_end(&o[k][SIDE_SERVER], STATE_ESTABLISHED, OBS_INFO, 1);
		r[k].end[SIDE_CLIENT] = &o[k][SIDE_CLIENT];
		r[k].end[SIDE_SERVER] = &o[k][SIDE_SERVER];
	}
	r[0].rc = 100;
	cr->verdict = VERDICT_PASS;
	cr->first_fail = -1;
	if (i == 0)
		return;
	cr->verdict = VERDICT_FAIL;
	cr->first_fail = 1;
	case_msg(cr, "recv: connection reset");
	r[1].status = STEP_FAILED;
	r[1].rc = -1;
	r[1].err = ECONNRESET;
	step_note(cr, 1, "expected eof, got ECONNRESET");
	set_end(&o[1][SIDE_CLIENT], STATE_FIN_WAIT1, OBS_INFO, 1);
	set_end(&o[1][SIDE_SERVER], STATE_TIME_WAIT, OBS_DIAG_TW, 0);
	memset(&r[2], 0, sizeof(r[2]));		/* not run */
}

/* A run as the daemon describes it. */
static void
make_run(struct run_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	snprintf(ri->host, sizeof(ri->host), "testhost");
	snprintf(ri->kernel_release, sizeof(ri->kernel_release), "6.1.0-test");
	snprintf(ri->kernel_version, sizeof(ri->kernel_version), "#1 SMP");
	snprintf(ri->config_hash, sizeof(ri->config_hash), "abcdef");
	snprintf(ri->version, sizeof(ri->version), "0.1.0");
	snprintf(ri->families, sizeof(ri->families), "ipv4 ipv6");
	ri->repeat = 2;
	ri->start_us = 1700000000000000LL;
	ri->nsysctl = 2;
	snprintf(ri->sysctl[0].name, sizeof(ri->sysctl[0].name),
	    "net.ipv4.tcp_fin_timeout");
	snprintf(ri->sysctl[0].value, sizeof(ri->sysctl[0].value), "60");
	snprintf(ri->sysctl[0].scope, sizeof(ri->sysctl[0].scope), "netns");
	snprintf(ri->sysctl[1].name, sizeof(ri->sysctl[1].name),
	    "net.ipv4.tcp_tw_reuse");
	snprintf(ri->sysctl[1].value, sizeof(ri->sysctl[1].value), "2");
}

/* Fresh directory and a database opened read-write in it. */
static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(tu_mkdtemp(f->dir, sizeof(f->dir)), 0);
	snprintf(f->path, sizeof(f->path), "%s/teardownd.db", f->dir);
	f->st = tu_store_open(f->path);
	*state = f;
	return 0;
}

/* Closes the store and removes the directory. */
static int
teardown(void **state)
{
	struct fx *f = *state;
	size_t i;

	store_close(f->st);
	assert_int_equal(tu_rmrf(f->dir), 0);
	for (i = 0; i < 4; i++) {
		free(f->cases[i].msg);
		step_notes_free(f->cases[i].notes);
	}
	free(f);
	return 0;
}

/* Begins a run, stores cases [0, n) in one batch, ends it complete. */
static int64_t
store_run(struct fx *f, size_t n)
{
	struct run_info ri;
	int64_t id = 0;
	size_t i;

	make_run(&ri);
	if (store_run_begin(f->st, &ri, &id) == -1)
		fail_msg("run_begin: %s", store_errmsg(f->st));
	for (i = 0; i < n; i++)
		f->batch[i] = &f->cases[i];
	if (store_cases(f->st, id, f->batch, n) == -1)
		fail_msg("store_cases: %s", store_errmsg(f->st));
	if (store_run_end(f->st, id, "complete", ri.start_us + 2500000) == -1)
		fail_msg("run_end: %s", store_errmsg(f->st));
	return id;
}

static void
a_new_database_is_in_wal_mode_at_the_current_schema_version(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	sqlite3_stmt *s;

	assert_true(store_schema_version() >= 1);
	assert_int_equal(sql_int(f->path, "PRAGMA user_version"),
	    store_schema_version());
	assert_int_equal(sql_int(f->path, "PRAGMA application_id"), 1413764942);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM sqlite_schema "
	    "WHERE type = 'table' AND name IN ('runs', 'run_sysctls', 'cases', "
	    "'case_records') AND sql LIKE '%STRICT%'"), 4);
}

static void
reopening_a_current_database_leaves_it_as_it_was(void **state)
{
	struct fx *f = *state;

	store_run(f, 0);
	store_close(tu_store_open(f->path));
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM runs"), 1);
	assert_int_equal(sql_int(f->path, "PRAGMA user_version"),
	    store_schema_version());
}

static void
a_run_reads_back_as_it_was_written(void **state)
{
	struct fx *f = *state;
	struct store_args a = { 0 };
	struct report *r;
	int64_t run_id, id;

	make_case(f, 0, 0);
	make_case(f, 1, 1);
	run_id = store_run(f, 2);

	a.limit = 10;
	r = tu_query(f->st, STORE_Q_RUNS, &a);
	assert_int_equal(report_nrows(r), 1);
	assert_string_equal(tu_col(r, 0, "status"), "complete");
	assert_string_equal(tu_col(r, 0, "kernel_release"), "6.1.0-test");
	assert_string_equal(tu_col(r, 0, "n_pass"), "1");
	assert_string_equal(tu_col(r, 0, "n_fail"), "1");
	assert_string_equal(tu_col(r, 0, "duration_us"), "2500000");
	report_free(r);

	a.run_id = run_id;
	r = tu_query(f->st, STORE_Q_RUN, &a);
	assert_int_equal(report_nrows(r), 1);
	assert_string_equal(tu_col(r, 0, "started_at"), "2023-11-14T22:13:20.000000Z");
	assert_string_equal(tu_col(r, 0, "kernel_version"), "#1 SMP");
	assert_string_equal(tu_col(r, 0, "n_cases"), "2");
	report_free(r);

	r = tu_query(f->st, STORE_Q_RUN_SYSCTLS, &a);
	assert_int_equal(report_nrows(r), 2);
	assert_string_equal(tu_col(r, 0, "name"), "net.ipv4.tcp_fin_timeout");
	assert_string_equal(tu_col(r, 0, "value"), "60");
	assert_string_equal(tu_col(r, 0, "scope"), "netns");
	assert_null(tu_col(r, 1, "scope"));	/* "" is not known: NULL */
	report_free(r);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM v_run_sysctl "
	    "WHERE host = 'testhost' AND kernel_release = '6.1.0-test' AND "
	    "run_started_at = '2023-11-14T22:13:20.000000Z' AND "
	    "run_started_us = 1700000000000000 AND name = "
	    "'net.ipv4.tcp_fin_timeout' AND value = '60' AND scope = 'netns'"), 1);

	r = tu_query(f->st, STORE_Q_RUN_CASES, &a);
	assert_int_equal(report_nrows(r), 2);
	assert_string_equal(tu_col(r, 0, "verdict"), "pass");
	assert_null(tu_col(r, 0, "failed_step"));
	assert_null(tu_col(r, 0, "message"));
	assert_string_equal(tu_col(r, 1, "verdict"), "fail");
	assert_string_equal(tu_col(r, 1, "failed_step"), "#1 server recv eof");
	assert_string_equal(tu_col(r, 1, "message"), "recv: connection reset");
	report_free(r);

	a.scenario = "three-way-close";
	a.family = "ipv4";
	a.rep = 1;
	assert_int_equal(store_lookup(f->st, STORE_L_CASE_BY_NAME, &a, &id), 1);
	a.case_id = id;
	r = tu_query(f->st, STORE_Q_CASE, &a);
	assert_string_equal(tu_col(r, 0, "client_addr"), "127.0.0.1:40001");
	assert_string_equal(tu_col(r, 0, "fail_idx"), "1");
	report_free(r);
	report_free(tu_query(f->st, STORE_Q_CASE_STEPS, &a));
}

static void
steps_keep_states_errno_names_and_null_tcp_info(void **state)
{
	struct fx *f = *state;
	struct store_args a = { .rep = 1, .scenario = "three-way-close",
	    .family = "ipv4" };
	struct report *r;

	make_case(f, 0, 0);
	make_case(f, 1, 1);
	a.run_id = store_run(f, 2);
	assert_int_equal(store_lookup(f->st, STORE_L_CASE_BY_NAME, &a,
	    &a.case_id), 1);
	r = tu_query(f->st, STORE_Q_CASE_STEPS_VERBOSE, &a);
	assert_int_equal(report_nrows(r), 3);
	/* Step 0 ran with both ends open: tcp_info, no errno. */
	assert_string_equal(tu_col(r, 0, "step"), "send 100");
	assert_string_equal(tu_col(r, 0, "rc"), "100");
	assert_null(tu_col(r, 0, "errno"));
	assert_string_equal(tu_col(r, 0, "client_state"), "ESTABLISHED");
	assert_string_equal(tu_col(r, 0, "c_total_retrans"), "3");
	assert_string_equal(tu_col(r, 0, "c_rto_us"), "204000");
	assert_null(tu_col(r, 0, "c_timer_us"));
	/* Step 1 failed; the server was found by sock_diag only. */
	assert_string_equal(tu_col(r, 1, "status"), "failed");
	assert_string_equal(tu_col(r, 1, "rc"), "-1");
	assert_string_equal(tu_col(r, 1, "errno"), "ECONNRESET");
	assert_string_equal(tu_col(r, 1, "client_state"), "FIN_WAIT1");
	assert_string_equal(tu_col(r, 1, "server_state"), "TIME_WAIT");
	assert_null(tu_col(r, 1, "s_retrans"));
	assert_null(tu_col(r, 1, "s_rto_us"));
	assert_string_equal(tu_col(r, 1, "s_timer_us"), "59000000");
	assert_string_equal(tu_col(r, 1, "message"), "expected eof, got ECONNRESET");
	/* Step 2 never ran: its definition only. */
	assert_string_equal(tu_col(r, 2, "status"), "not_run");
	assert_string_equal(tu_col(r, 2, "step"), "wait state TIME_WAIT within 1s");
	assert_null(tu_col(r, 2, "rc"));
	assert_null(tu_col(r, 2, "t_us"));
	assert_null(tu_col(r, 2, "client_state"));
	report_free(r);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM steps WHERE "
	    "s_source = 'sock_diag_tw' AND s_timer = 3 AND s_segs_out IS NULL"), 1);
}

/* A tcp_info field the running kernel does not fill is NULL, not 0: the
 * client's tcp_info as Linux 6.1 returns it (no rcv_wnd), the server's as
 * 6.18 does (rcv_wnd 0); the fields both report are stored, zeros too. */
static void
a_field_the_kernel_did_not_report_is_stored_as_null(void **state)
{
	struct fx *f = *state;

	make_case(f, 0, 0);
	tu_end(&f->obs[0][0][SIDE_CLIENT], STATE_ESTABLISHED, OBS_INFO,
	    TU_TCPI_LEN_6_1);
	tu_end(&f->obs[0][0][SIDE_SERVER], STATE_ESTABLISHED, OBS_INFO,
	    TU_TCPI_LEN_6_18);
	store_run(f, 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM v_step WHERE "
	    "idx = 0 AND c_rcv_wnd IS NULL AND c_snd_wnd = 0 AND "
	    "c_segs_out = 0 AND s_rcv_wnd = 0 AND s_snd_wnd = 0"), 1);
	/* The other steps' ends had the full tcp_info. */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM steps WHERE "
	    "c_rcv_wnd IS NULL"), 1);
}

/* A case's steps are one JSON text (case_records): text that JSON must
 * escape (quotes, backslashes, control characters, UTF-8) comes back from
 * the steps view byte for byte, negative and 64-bit numbers too (a
 * transition's t_ns), and the views' columns keep their types. */
static void
steps_text_and_numbers_come_back_through_the_json_whole(void **state)
{
	static const char msg[] = "got \"x\\y\"\n\ttab \x01 caf\xc3\xa9 end";
	struct transition tr = { .t_ns = 9007199254740993LL,	/* 2^53 + 1 */
	    .end = SIDE_CLIENT, .pair = 1, .from = STATE_ESTABLISHED,
	    .to = STATE_FIN_WAIT1 };
	struct fx *f = *state;
	sqlite3 *db;
	sqlite3_stmt *s;

	make_case(f, 0, 0);
	step_note(&f->cases[0], 0, "%s", msg);
	f->res[0][0].rc = -1;
	f->res[0][0].err = EPIPE;
	f->res[0][0].t_us = INT32_MAX;
	f->cases[0].trans = TRANS_OBSERVED;		/* t_ns: 64 bits */
	f->cases[0].tr = &tr;
	f->cases[0].ntrans = 1;
	store_run(f, 1);
	f->cases[0].tr = NULL;
	f->cases[0].ntrans = 0;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT message, rc, errno,"
	    " t_us, typeof(rc), typeof(line), typeof(c_rto), typeof(c_state)"
	    " FROM steps WHERE idx = 0", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(s, 0), (int)strlen(msg));
	assert_memory_equal(sqlite3_column_text(s, 0), msg, strlen(msg));
	assert_int_equal(sqlite3_column_int64(s, 1), -1);
	assert_string_equal((const char *)sqlite3_column_text(s, 2), "EPIPE");
	assert_int_equal(sqlite3_column_int64(s, 3), INT32_MAX);
	assert_string_equal((const char *)sqlite3_column_text(s, 4), "integer");
	assert_string_equal((const char *)sqlite3_column_text(s, 5), "integer");
	assert_string_equal((const char *)sqlite3_column_text(s, 6), "integer");
	assert_string_equal((const char *)sqlite3_column_text(s, 7), "text");
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_int_equal(sql_int(f->path, "SELECT json_valid(steps) FROM"
	    " case_records"), 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM transitions"
	    " WHERE t_ns = 9007199254740993 AND typeof(t_ns) = 'integer'"), 1);
}

/* The sysctls of two runs compared: a changed value, one recorded by
 * the later run only; equal values are left out. */
static void
two_runs_list_the_sysctls_whose_values_differ(void **state)
{
	struct fx *f = *state;
	struct store_args a = { 0 };
	struct run_info ri;
	struct report *r;

	make_run(&ri);
	assert_int_equal(store_run_begin(f->st, &ri, &a.run_id), 0);
	snprintf(ri.sysctl[0].value, sizeof(ri.sysctl[0].value), "1");
	snprintf(ri.sysctl[2].name, sizeof(ri.sysctl[2].name),
	    "net.ipv4.tcp_rmem");
	snprintf(ri.sysctl[2].value, sizeof(ri.sysctl[2].value),
	    "4096 131072 6291456");
	ri.nsysctl = 3;
	ri.start_us += 1000000;
	assert_int_equal(store_run_begin(f->st, &ri, &a.run_id2), 0);
	r = tu_query(f->st, STORE_Q_DIFF_SYSCTLS, &a);
	assert_int_equal(report_nrows(r), 2);
	assert_string_equal(tu_col(r, 0, "name"), "net.ipv4.tcp_fin_timeout");
	assert_string_equal(tu_col(r, 0, "before"), "60");
	assert_string_equal(tu_col(r, 0, "after"), "1");
	assert_string_equal(tu_col(r, 1, "name"), "net.ipv4.tcp_rmem");
	assert_null(tu_col(r, 1, "before"));
	assert_string_equal(tu_col(r, 1, "after"), "4096 131072 6291456");
	report_free(r);
	a.run_id2 = a.run_id;			/* a run against itself */
	r = tu_query(f->st, STORE_Q_DIFF_SYSCTLS, &a);
	assert_int_equal(report_nrows(r), 0);
	report_free(r);
}

static void
a_case_without_results_stores_its_script_as_not_run(void **state)
{
	struct fx *f = *state;

	make_case(f, 0, 0);
	f->cases[0].verdict = VERDICT_ERROR;
	f->cases[0].res = NULL;
	f->cases[0].client_addr[0] = '\0';
	case_msg(&f->cases[0], "socket: EMFILE");
	store_run(f, 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM steps WHERE "
	    "status = 'not_run' AND rc IS NULL AND c_state IS NULL"), 3);
	assert_int_equal(sql_int(f->path, "SELECT n_error FROM runs"), 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM cases WHERE "
	    "client_addr IS NULL AND first_fail IS NULL"), 1);
}

static void
a_batch_that_fails_midway_is_rolled_back_whole(void **state)
{
	struct fx *f = *state;
	struct store_args a = { 0 };
	struct run_info ri;
	struct report *r;

	make_run(&ri);
	assert_int_equal(store_run_begin(f->st, &ri, &a.run_id), 0);
	make_case(f, 0, 0);
	make_case(f, 1, 1);
	make_case(f, 2, 0);		/* the same scenario/family/rep as 0 */
	f->batch[0] = &f->cases[0];
	f->batch[1] = &f->cases[1];
	f->batch[2] = &f->cases[2];
	assert_int_equal(store_cases(f->st, a.run_id, f->batch, 3), -1);
	assert_non_null(strstr(store_errmsg(f->st), "UNIQUE constraint failed"));
	assert_non_null(strstr(store_errmsg(f->st), "three-way-close/ipv4/0"));

	r = tu_query(f->st, STORE_Q_RUN_CASES, &a);
	assert_int_equal(report_nrows(r), 0);
	report_free(r);
	r = tu_query(f->st, STORE_Q_RUN, &a);
	assert_string_equal(tu_col(r, 0, "n_cases"), "0");
	report_free(r);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM steps"), 0);

	/* The connection is fine afterwards: the good cases go in. */
	assert_int_equal(store_cases(f->st, a.run_id, f->batch, 2), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM steps"), 6);
	assert_int_equal(sql_int(f->path, "SELECT n_pass + n_fail FROM runs"), 2);
}

static void
cases_are_refused_once_their_run_has_ended(void **state)
{
	struct fx *f = *state;
	int64_t run_id;

	run_id = store_run(f, 0);
	make_case(f, 0, 0);
	f->batch[0] = &f->cases[0];
	assert_int_equal(store_cases(f->st, run_id, f->batch, 1), -1);
	assert_non_null(strstr(store_errmsg(f->st), "has ended"));
	assert_int_equal(store_cases(f->st, run_id + 1, f->batch, 1), -1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM cases"), 0);
}

static void
a_run_ends_once_and_only_with_a_known_status(void **state)
{
	struct fx *f = *state;
	struct run_info ri;
	int64_t id;

	make_run(&ri);
	assert_int_equal(store_run_begin(f->st, &ri, &id), 0);
	assert_int_equal(store_run_end(f->st, id, "running", 1), -1);
	assert_int_equal(store_run_end(f->st, id, "done", 1), -1);
	assert_int_equal(store_run_end(f->st, id, "interrupted", 1), 0);
	assert_int_equal(store_run_end(f->st, id, "complete", 2), -1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM runs WHERE "
	    "status = 'interrupted' AND ended_us = 1"), 1);
}

static void
opening_a_missing_file_read_only_fails_with_a_clear_message(void **state)
{
	struct fx *f = *state;
	char path[160], err[256];

	snprintf(path, sizeof(path), "%s/missing.db", f->dir);
	assert_null(store_open(path, 1, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file or directory"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(access(path, F_OK), -1);
}

static void
opening_a_file_that_is_not_a_database_fails_cleanly(void **state)
{
	struct fx *f = *state;
	char path[160], err[256];
	char junk[8192];

	snprintf(path, sizeof(path), "%s/notes.db", f->dir);
	memset(junk, 'x', sizeof(junk) - 1);
	junk[sizeof(junk) - 1] = '\0';
	tu_write_file(path, junk);
	assert_null(store_open(path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "file is not a database"));
	assert_null(store_open(path, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "file is not a database"));
}

static void
opening_a_directory_fails_with_a_one_line_message(void **state)
{
	struct fx *f = *state;
	char err[256];

	assert_null(store_open(f->dir, 0, err, sizeof(err)));
	assert_non_null(strstr(err, f->dir));
	assert_null(strchr(err, '\n'));
	assert_null(store_open(f->dir, 1, err, sizeof(err)));
}

static void
a_database_from_a_newer_teardownd_is_refused(void **state)
{
	struct fx *f = *state;
	char sql[64], err[256];

	store_close(f->st);
	f->st = NULL;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    store_schema_version() + 1);
	tu_sql_exec(f->path, sql);
	assert_null(store_open(f->path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "newer"));
	assert_null(store_open(f->path, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "newer"));
	assert_int_equal(sql_int(f->path, "PRAGMA user_version"),
	    store_schema_version() + 1);
}

static void
a_reader_asks_for_teardownd_when_the_schema_is_missing(void **state)
{
	struct fx *f = *state;
	char path[160], err[256];

	snprintf(path, sizeof(path), "%s/empty.db", f->dir);
	tu_write_file(path, "");
	assert_null(store_open(path, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "run teardownd"));
	assert_int_equal(sql_int(path, "SELECT count(*) FROM sqlite_schema"), 0);
}

static void
another_programs_database_is_not_migrated(void **state)
{
	struct fx *f = *state;
	char path[160], err[256];

	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	tu_sql_exec(path, "CREATE TABLE notes (t TEXT)");
	assert_null(store_open(path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "not a teardownd database"));
	assert_int_equal(sql_int(path, "SELECT count(*) FROM sqlite_schema"), 1);
	assert_int_equal(sql_int(path, "SELECT journal_mode = 'delete' "
	    "FROM pragma_journal_mode"), 1);
	tu_sql_exec(path, "DROP TABLE notes; PRAGMA application_id = 42");
	assert_null(store_open(path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "application_id 42"));
}

static void
a_read_only_store_never_writes(void **state)
{
	struct fx *f = *state;
	struct store *ro;
	struct run_info ri;
	char err[256];
	int64_t id;

	ro = store_open(f->path, 1, err, sizeof(err));
	if (ro == NULL)
		fail_msg("readonly: %s", err);
	make_run(&ri);
	assert_int_equal(store_run_begin(ro, &ri, &id), -1);
	assert_non_null(strstr(store_errmsg(ro), "read-only"));
	assert_int_equal(store_run_end(ro, 1, "complete", 1), -1);
	store_close(ro);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM runs"), 0);
}

static void
a_reader_sees_a_running_run_while_the_writer_holds_the_database(void **state)
{
	struct fx *f = *state;
	struct store_args a = { 0 };
	struct store *ro;
	struct run_info ri;
	struct report *r;
	char err[256];
	int64_t id, last;

	make_run(&ri);
	assert_int_equal(store_run_begin(f->st, &ri, &id), 0);
	ro = store_open(f->path, 1, err, sizeof(err));
	if (ro == NULL)
		fail_msg("readonly: %s", err);
	assert_int_equal(store_lookup(ro, STORE_L_LAST_RUN, &a, &last), 1);
	assert_int_equal(last, id);
	a.run_id = id;
	r = tu_query(ro, STORE_Q_RUN, &a);
	assert_string_equal(tu_col(r, 0, "status"), "running");
	assert_null(tu_col(r, 0, "ended_at"));
	report_free(r);
	a.run_id = id + 1;
	assert_int_equal(store_lookup(ro, STORE_L_RUN, &a, &last), 0);
	a.case_id = 1;
	assert_int_equal(store_lookup(ro, STORE_L_CASE, &a, &last), 0);
	store_close(ro);
}

static void
history_gives_one_verdict_per_run_with_its_kernel(void **state)
{
	struct fx *f = *state;
	struct store_args a = { .scenario = "three-way-close" };
	struct report *r;

	make_case(f, 0, 0);
	make_case(f, 1, 1);
	store_run(f, 2);
	make_case(f, 0, 0);
	store_run(f, 1);
	r = tu_query(f->st, STORE_Q_HISTORY, &a);
	assert_int_equal(report_nrows(r), 2);
	assert_string_equal(tu_col(r, 0, "verdict"), "mixed");
	assert_string_equal(tu_col(r, 0, "n_pass"), "1");
	assert_string_equal(tu_col(r, 0, "n_fail"), "1");
	assert_string_equal(tu_col(r, 0, "kernel_release"), "6.1.0-test");
	assert_string_equal(tu_col(r, 1, "verdict"), "pass");
	report_free(r);
	a.family = "ipv6";
	r = tu_query(f->st, STORE_Q_HISTORY, &a);
	assert_int_equal(report_nrows(r), 0);
	report_free(r);
}

static void
the_views_answer_plain_sql(void **state)
{
	struct fx *f = *state;

	make_case(f, 0, 0);
	make_case(f, 1, 1);
	store_run(f, 2);
	assert_int_equal(sql_int(f->path, "SELECT n_cases FROM v_run "
	    "WHERE status = 'complete' AND duration_us = 2500000"), 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM v_case "
	    "WHERE kernel_release = '6.1.0-test' AND host = 'testhost'"), 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM v_step "
	    "WHERE client_state IS NOT NULL"), 5);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM v_latest"), 2);
	assert_int_equal(sql_int(f->path, "SELECT n_reps FROM v_history "
	    "WHERE scenario = 'three-way-close' AND verdict = 'mixed'"), 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM v_failure "
	    "WHERE fail_idx = 1 AND fail_errno = 'ECONNRESET' AND "
	    "fail_server_state = 'TIME_WAIT'"), 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM v_case "
	    "WHERE started_at = '2023-11-14T22:13:20.123457Z'"), 1);
}

/* Every test gets a fresh directory and database. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(a_new_database_is_in_wal_mode_at_the_current_schema_version),
		T(reopening_a_current_database_leaves_it_as_it_was),
		T(a_run_reads_back_as_it_was_written),
		T(steps_keep_states_errno_names_and_null_tcp_info),
		T(a_field_the_kernel_did_not_report_is_stored_as_null),
		T(steps_text_and_numbers_come_back_through_the_json_whole),
		T(two_runs_list_the_sysctls_whose_values_differ),
		T(a_case_without_results_stores_its_script_as_not_run),
		T(a_batch_that_fails_midway_is_rolled_back_whole),
		T(cases_are_refused_once_their_run_has_ended),
		T(a_run_ends_once_and_only_with_a_known_status),
		T(opening_a_missing_file_read_only_fails_with_a_clear_message),
		T(opening_a_file_that_is_not_a_database_fails_cleanly),
		T(opening_a_directory_fails_with_a_one_line_message),
		T(a_database_from_a_newer_teardownd_is_refused),
		T(a_reader_asks_for_teardownd_when_the_schema_is_missing),
		T(another_programs_database_is_not_migrated),
		T(a_read_only_store_never_writes),
		T(a_reader_sees_a_running_run_while_the_writer_holds_the_database),
		T(history_gives_one_verdict_per_run_with_its_kernel),
		T(the_views_answer_plain_sql),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
