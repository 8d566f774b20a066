/* test_baseline.c: signatures in the store. Cases are stored with their
 * signature; repetitions give a stable or flaky scenario; a baseline is a
 * complete run of a host; two runs compare by their majority signatures
 * (changed, same, appeared, disappeared), and the runs teardownctl diff
 * picks by default are the right ones. Each test works in a fresh
 * directory under /tmp. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "signature.h"
#include "store.h"
#include "verdict.h"

#define MAXCASES	8

static struct step two_steps[2] = {
	{ .line = 3, .side = SIDE_CLIENT, .verb = VERB_CLOSE },
	{ .line = 4, .side = SIDE_CLIENT, .verb = VERB_WAIT_STATE,
	    .args = "CLOSED within 3s",
	    .a.wait_state = { STATE_CLOSED, 3000000 } },
};

static struct scenario sc_a = { .name = "alpha", .nsteps = 2, .steps = two_steps };
static struct scenario sc_b = { .name = "beta", .nsteps = 2, .steps = two_steps };
static struct scenario sc_c = { .name = "gamma", .nsteps = 2, .steps = two_steps };

/* One test's directory, database and a batch of cases being built. */
struct fx {
	char dir[64];				/* mkdtemp */
	char path[128];				/* dir/teardownd.db */
	struct store *st;			/* open read-write */
	struct step_result res[MAXCASES][2];
	struct end_obs obs[MAXCASES][2][2];	/* what res[][].end point to */
	struct case_result cases[MAXCASES];
	struct case_result *batch[MAXCASES];
	size_t n;				/* cases in the batch */
};

/* Adds a passing case of sc to the batch; the client ends in final
 * (CLOSED, or another state for a changed behaviour). */
static void
add_case(struct fx *f, struct scenario *sc, int rep, enum tcp_state final,
    enum wire_status wire)
{
	struct case_result *cr = &f->cases[f->n];
	struct step_result *r = f->res[f->n];
	struct end_obs (*o)[2] = f->obs[f->n];
	int k;

	memset(cr, 0, sizeof(*cr));
	memset(r, 0, 2 * sizeof(*r));
	memset(o, 0, 2 * sizeof(*o));
	cr->sc = sc;
	cr->rep = rep;
	cr->verdict = VERDICT_PASS;
	cr->first_fail = -1;
	cr->res = r;
	cr->start_us = 1700000000000000LL + 1000 * (int64_t)f->n;
	cr->wire = wire;
	for (k = 0; k < 2; k++) {
		r[k].status = STEP_OK;
		o[k][SIDE_CLIENT].state = k == 0 ? STATE_FIN_WAIT2 : final;
		o[k][SIDE_CLIENT].source = OBS_DIAG;
		o[k][SIDE_SERVER].state = STATE_CLOSE_WAIT;
		o[k][SIDE_SERVER].source = OBS_INFO;
		r[k].end[SIDE_CLIENT] = &o[k][SIDE_CLIENT];
		r[k].end[SIDE_SERVER] = &o[k][SIDE_SERVER];
	}
	f->batch[f->n] = cr;
	f->n++;
}

/* Stores the batch as a run of host on kernel, ended with status (NULL:
 * left running); returns its id. */
static int64_t
store_batch(struct fx *f, const char *host, const char *kernel,
    const char *status, int64_t start_us)
{
	struct run_info ri = { .repeat = 1, .start_us = start_us };
	int64_t id = 0;
	size_t i;

	for (i = 0; i < f->n; i++)		/* as the engine does, at the verdict */
		verdict_sign(f->batch[i]);
	snprintf(ri.host, sizeof(ri.host), "%s", host);
	snprintf(ri.kernel_release, sizeof(ri.kernel_release), "%s", kernel);
	if (store_run_begin(f->st, &ri, &id) == -1 ||
	    store_cases(f->st, id, f->batch, f->n) == -1 ||
	    (status != NULL && store_run_end(f->st, id, status,
	    start_us + 1000) == -1))
		fail_msg("store: %s", store_errmsg(f->st));
	for (i = 0; i < f->n; i++) {
		signature_release(f->batch[i]->sig);
		f->batch[i]->sig = NULL;
	}
	f->n = 0;
	return id;
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

	store_close(f->st);
	assert_int_equal(tu_rmrf(f->dir), 0);
	free(f);
	return 0;
}

/* A complete run of host h1 on kernel: alpha, its client ending in
 * a_final, and beta. */
static int64_t
two_scenarios(struct fx *f, enum tcp_state a_final, const char *kernel,
    int64_t start_us)
{
	add_case(f, &sc_a, 0, a_final, WIRE_NOT_OBSERVED);
	add_case(f, &sc_b, 0, STATE_CLOSED, WIRE_NOT_OBSERVED);
	return store_batch(f, "h1", kernel, "complete", start_us);
}

static void
repetitions_with_two_signatures_make_the_scenario_flaky(void **state)
{
	struct fx *f = *state;
	struct report *r;
	int64_t run;

	add_case(f, &sc_a, 0, STATE_CLOSED, WIRE_NOT_OBSERVED);
	add_case(f, &sc_a, 1, STATE_FIN_WAIT2, WIRE_NOT_OBSERVED);
	add_case(f, &sc_a, 2, STATE_CLOSED, WIRE_NOT_OBSERVED);
	add_case(f, &sc_b, 0, STATE_CLOSED, WIRE_NOT_OBSERVED);
	run = store_batch(f, "h1", "6.1", "complete", 1000);
	r = tu_query(f->st, STORE_Q_RUN_STABILITY,
	    &(struct store_args){ .run_id = run });
	assert_int_equal(report_nrows(r), 2);
	assert_string_equal(tu_col(r, 0, "scenario"), "alpha");
	assert_string_equal(tu_col(r, 0, "stability"), "flaky");
	assert_string_equal(tu_col(r, 0, "n_signatures"), "2");
	assert_string_equal(tu_col(r, 0, "n_majority"), "2");
	assert_string_equal(tu_col(r, 1, "stability"), "stable");
	report_free(r);
	r = tu_query(f->st, STORE_Q_RUN_FLAKY,
	    &(struct store_args){ .run_id = run });
	assert_int_equal(report_nrows(r), 2);
	assert_string_equal(tu_col(r, 0, "reps"), "0,2");
	assert_string_equal(tu_col(r, 1, "reps"), "1");
	report_free(r);
}

static void
a_baseline_is_a_complete_run_one_per_host(void **state)
{
	struct fx *f = *state;
	int64_t running, r1, r2, id = 0;
	int n = 0;

	add_case(f, &sc_a, 0, STATE_CLOSED, WIRE_NOT_OBSERVED);
	running = store_batch(f, "h1", "6.1", NULL, 1000);
	assert_int_equal(store_baseline_set(f->st, running, 5), 1);
	assert_int_equal(store_baseline_set(f->st, 99, 5), 1);
	r1 = two_scenarios(f, STATE_CLOSED, "6.1", 2000);
	r2 = two_scenarios(f, STATE_CLOSED, "6.1", 3000);
	assert_int_equal(store_baseline(f->st, r2, &id), 0);
	assert_int_equal(store_baseline_set(f->st, r1, 5), 0);
	assert_int_equal(store_baseline(f->st, r2, &id), 1);
	assert_int_equal(id, r1);
	assert_int_equal(store_baseline_set(f->st, r2, 6), 0);
	assert_int_equal(store_baseline(f->st, r1, &id), 1);
	assert_int_equal(id, r2);
	assert_int_equal(store_baseline_clear(f->st, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_baseline(f->st, r2, &id), 0);
}

static void
a_diff_names_what_changed_appeared_and_disappeared(void **state)
{
	struct fx *f = *state;
	struct report *r;
	int64_t before, after;
	int changed = -1;

	add_case(f, &sc_a, 0, STATE_CLOSED, WIRE_NOT_OBSERVED);
	add_case(f, &sc_b, 0, STATE_CLOSED, WIRE_NOT_OBSERVED);
	add_case(f, &sc_c, 0, STATE_CLOSED, WIRE_NOT_OBSERVED);
	before = store_batch(f, "h1", "6.1", "complete", 1000);
	add_case(f, &sc_a, 0, STATE_FIN_WAIT2, WIRE_NOT_OBSERVED);
	add_case(f, &sc_b, 0, STATE_CLOSED, WIRE_NOT_OBSERVED);
	add_case(f, &sc_c, 0, STATE_CLOSED, WIRE_NOT_OBSERVED);
	f->cases[2].family = FAM_IPV6;		/* gamma/ipv4 goes, ipv6 comes */
	after = store_batch(f, "h1", "6.1", "complete", 2000);
	r = tu_query(f->st, STORE_Q_DIFF,
	    &(struct store_args){ .run_id = before, .run_id2 = after });
	assert_int_equal(report_nrows(r), 4);
	assert_string_equal(tu_col(r, 0, "scenario"), "alpha");
	assert_string_equal(tu_col(r, 0, "change"), "changed");
	assert_non_null(tu_col(r, 0, "before_signature"));
	assert_string_equal(tu_col(r, 1, "change"), "same");
	assert_null(tu_col(r, 1, "before_signature"));
	assert_string_equal(tu_col(r, 2, "family"), "ipv4");
	assert_string_equal(tu_col(r, 2, "change"), "disappeared");
	assert_string_equal(tu_col(r, 3, "change"), "appeared");
	report_free(r);
	assert_int_equal(store_regressions(f->st, after, before, &changed), 0);
	assert_int_equal(changed, 1);
}

static void
a_run_without_its_wire_compares_by_its_steps(void **state)
{
	struct fx *f = *state;
	int64_t before, after;
	int changed = -1;

	add_case(f, &sc_a, 0, STATE_CLOSED, WIRE_OBSERVED);
	before = store_batch(f, "h1", "6.1", "complete", 1000);
	add_case(f, &sc_a, 0, STATE_CLOSED, WIRE_NOT_OBSERVED);
	after = store_batch(f, "h1", "6.1", "complete", 2000);
	assert_int_equal(store_regressions(f->st, after, before, &changed), 0);
	assert_int_equal(changed, 0);
	add_case(f, &sc_a, 0, STATE_TIME_WAIT, WIRE_NOT_OBSERVED);
	after = store_batch(f, "h1", "6.1", "complete", 3000);
	assert_int_equal(store_regressions(f->st, after, before, &changed), 0);
	assert_int_equal(changed, 1);
}

/* Looks l up for run_id: the id found, or 0. */
static int64_t
look(struct store *st, enum store_lookup l, int64_t run_id)
{
	struct store_args a = { .run_id = run_id };
	int64_t id = 0;

	assert_int_not_equal(store_lookup(st, l, &a, &id), -1);
	return id;
}

static void
diff_defaults_skip_unfinished_runs_and_find_the_other_kernel(void **state)
{
	struct fx *f = *state;
	int64_t k1, k2a, k2b;

	k1 = two_scenarios(f, STATE_CLOSED, "6.1", 1000);
	k2a = two_scenarios(f, STATE_CLOSED, "6.18", 2000);
	k2b = two_scenarios(f, STATE_CLOSED, "6.18", 3000);
	add_case(f, &sc_a, 0, STATE_CLOSED, WIRE_NOT_OBSERVED);
	store_batch(f, "h1", "6.18", "interrupted", 4000);
	add_case(f, &sc_a, 0, STATE_CLOSED, WIRE_NOT_OBSERVED);
	store_batch(f, "h1", "6.18", NULL, 5000);
	assert_int_equal(look(f->st, STORE_L_LAST_SIGNED, 0), k2b);
	assert_int_equal(look(f->st, STORE_L_OTHER_KERNEL, k2b), k1);
	assert_int_equal(look(f->st, STORE_L_PREVIOUS_SIGNED, k2b), k2a);
	assert_int_equal(look(f->st, STORE_L_PREVIOUS_SIGNED, k1), 0);
	assert_int_equal(look(f->st, STORE_L_SIGNED, k2a), k2a);
	assert_int_equal(look(f->st, STORE_L_SIGNED, k2b + 1), 0);
}

/* The first line sqlite3(1) prints for sql on the database at path. */
static void
sqlite3_line(const char *path, const char *sql, char *line, size_t len)
{
	char cmd[1024];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' \"%s\"", path, sql);
	if ((p = popen(cmd, "r")) == NULL)
		fail_msg("popen: %s", cmd);
	if (fgets(line, (int)len, p) == NULL)
		line[0] = '\0';
	pclose(p);
}

static void
the_views_compare_kernels_on_plain_sql(void **state)
{
	struct fx *f = *state;
	struct report *r;
	char line[128];

	two_scenarios(f, STATE_CLOSED, "6.1", 1000);
	two_scenarios(f, STATE_FIN_WAIT2, "6.18", 2000);
	r = tu_query(f->st, STORE_Q_DIFF,
	    &(struct store_args){ .run_id = 1, .run_id2 = 2 });
	assert_int_equal(report_nrows(r), 2);
	report_free(r);
	/* The README's query: scenarios whose signature differs by kernel. */
	sqlite3_line(f->path, "select x.scenario from v_kernel_signature x"
	    " join v_kernel_signature y using (scenario, family)"
	    " where x.kernel_release = '6.1' and y.kernel_release = '6.18'"
	    " and x.majority and y.majority and x.sig_hash <> y.sig_hash",
	    line, sizeof(line));
	assert_string_equal(line, "alpha\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(repetitions_with_two_signatures_make_the_scenario_flaky, setup, teardown),
		cmocka_unit_test_setup_teardown(a_baseline_is_a_complete_run_one_per_host, setup, teardown),
		cmocka_unit_test_setup_teardown(a_diff_names_what_changed_appeared_and_disappeared, setup, teardown),
		cmocka_unit_test_setup_teardown(a_run_without_its_wire_compares_by_its_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(diff_defaults_skip_unfinished_runs_and_find_the_other_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(the_views_compare_kernels_on_plain_sql, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
