/* test_signature.c: the canonical signature of a case. The same behaviour
 * gives the same text and hash whatever the timing, ports or sequence
 * numbers; a changed state, errno or teardown segment gives another; steps
 * that did not run say so. */
#include "testutil.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "signature.h"

static struct step steps[4] = {
	{ .line = 2, .side = SIDE_CLIENT, .verb = VERB_SEND, .args = "100",
	    .a.send.bytes = 100 },
	{ .line = 3, .side = SIDE_CLIENT, .verb = VERB_CLOSE },
	{ .line = 4, .side = SIDE_SERVER, .verb = VERB_POLL },
	{ .line = 5, .side = SIDE_CLIENT, .verb = VERB_WAIT_STATE,
	    .args = "TIME_WAIT within 1s",
	    .a.wait_state = { STATE_TIME_WAIT, 1000000 } },
};

static struct scenario sc = {
	.name = "sig", .summary = "a signature", .nsteps = 4, .steps = steps,
};

/* A case, its step results and its segments, as one test builds them. */
struct fx {
	struct case_result cr;
	struct step_result res[4];
	struct end_obs obs[4][2];		/* what res[].end point to */
	struct segment seg[6];
};

/* Sets an observed end. */
static void
set_end(struct end_obs *o, enum tcp_state st, enum obs_source src)
{
	o->state = st;
	o->source = src;
	o->has_info = src == OBS_INFO || src == OBS_DIAG;
}

/* Sets one segment. */
static void
set_seg(struct segment *g, enum side from, uint8_t flags, uint32_t seq)
{
	g->from = from;
	g->flags = flags;
	g->seq = seq;
	g->ack = seq + 1;
}

/* A passing case; t0, port and isn vary what the signature must ignore. */
static void
make_case(struct fx *f, int64_t t0, int port, uint32_t isn)
{
	static const enum tcp_state cs[4] = { STATE_ESTABLISHED, STATE_FIN_WAIT2,
	    STATE_FIN_WAIT2, STATE_TIME_WAIT };
	static const enum tcp_state ss[4] = { STATE_ESTABLISHED, STATE_CLOSE_WAIT,
	    STATE_CLOSE_WAIT, STATE_CLOSED };
	int i;

	memset(f, 0, sizeof(*f));
	f->cr.sc = &sc;
	f->cr.verdict = VERDICT_PASS;
	f->cr.first_fail = -1;
	f->cr.res = f->res;
	f->cr.start_us = 1700000000000000 + t0;
	f->cr.dur_us = 5000 + t0;
	snprintf(f->cr.client_addr, sizeof(f->cr.client_addr), "127.0.0.1:%d", port);
	snprintf(f->cr.server_addr, sizeof(f->cr.server_addr), "127.0.0.1:%d", port + 1);
	for (i = 0; i < 4; i++) {
		f->res[i].status = STEP_OK;
		f->res[i].t_us = t0 + i * 1000;
		f->res[i].dur_us = t0 / 2 + 10;
		set_end(&f->obs[i][SIDE_CLIENT], cs[i], OBS_INFO);
		set_end(&f->obs[i][SIDE_SERVER], ss[i], OBS_INFO);
		f->obs[i][SIDE_CLIENT].info.rto = (uint32_t)(204000 + t0);
		f->obs[i][SIDE_CLIENT].timer_ms = (uint32_t)(59000 - t0);
		f->res[i].end[SIDE_CLIENT] = &f->obs[i][SIDE_CLIENT];
		f->res[i].end[SIDE_SERVER] = &f->obs[i][SIDE_SERVER];
	}
	f->res[0].rc = 100;
	f->res[2].rc = POLLIN | POLLOUT | POLLRDHUP;
	f->cr.wire = WIRE_OBSERVED;
	f->cr.seg = f->seg;
	f->cr.nseg = 6;
	set_seg(&f->seg[0], SIDE_CLIENT, TCPF_SYN, isn);
	set_seg(&f->seg[1], SIDE_SERVER, TCPF_SYN | TCPF_ACK, isn + 7);
	set_seg(&f->seg[2], SIDE_CLIENT, TCPF_ACK, isn + 1);
	set_seg(&f->seg[3], SIDE_CLIENT, TCPF_FIN | TCPF_ACK, isn + 101);
	set_seg(&f->seg[4], SIDE_SERVER, TCPF_ACK, isn + 8);
	set_seg(&f->seg[5], SIDE_SERVER, TCPF_FIN | TCPF_ACK, isn + 8);
	for (i = 0; i < 6; i++)
		f->seg[i].t_us = t0 + i * 37;
}

/* The signature of f, checked for allocation; the caller frees it. */
static char *
text_of(const struct fx *f)
{
	char *t = signature_text(&f->cr);

	assert_non_null(t);
	return t;
}

/* Whether two cases get the same text and the same hash. */
static int
same_signature(const struct fx *a, const struct fx *b)
{
	char *ta = text_of(a), *tb = text_of(b);
	char ha[SIG_HASH_LEN], hb[SIG_HASH_LEN];
	int same;

	signature_hash_hex(ta, ha);
	signature_hash_hex(tb, hb);
	same = strcmp(ta, tb) == 0;
	assert_int_equal(same, strcmp(ha, hb) == 0);
	free(ta);
	free(tb);
	return same;
}

static void
the_signature_is_one_line_per_step_then_the_teardown_segments(void **state)
{
	struct fx f;
	char *t;

	make_case(&f, 0, 40000, 1000);
	t = text_of(&f);
	assert_string_equal(t,
	    "verdict\tpass\n"
	    "0\tclient\tsend 100\tok 100\tESTABLISHED\tESTABLISHED\n"
	    "1\tclient\tclose\tok 0\tFIN_WAIT2\tCLOSE_WAIT\n"
	    "2\tserver\tpoll\tok IN|OUT|RDHUP\tFIN_WAIT2\tCLOSE_WAIT\n"
	    "3\tclient\twait state TIME_WAIT within 1s\tok 0\tTIME_WAIT\tCLOSED\n"
	    "wire\tC>S F. ; S>C . ; S>C F.\n");
	free(t);
}

static void
timing_ports_and_sequence_numbers_do_not_change_the_signature(void **state)
{
	struct fx a, b;

	make_case(&a, 0, 40000, 1000);
	make_case(&b, 123457, 51234, 3000000000u);
	assert_true(same_signature(&a, &b));
}

static void
a_changed_state_gives_another_signature(void **state)
{
	struct fx a, b;

	make_case(&a, 0, 40000, 1000);
	make_case(&b, 0, 40000, 1000);
	b.obs[1][SIDE_CLIENT].state = STATE_FIN_WAIT1;
	assert_false(same_signature(&a, &b));
}

static void
a_changed_errno_gives_another_signature(void **state)
{
	struct fx a, b;
	char *t;

	make_case(&a, 0, 40000, 1000);
	make_case(&b, 0, 40000, 1000);
	a.res[0].rc = b.res[0].rc = -1;
	a.res[0].err = EPIPE;
	b.res[0].err = ECONNRESET;
	assert_false(same_signature(&a, &b));
	t = text_of(&b);
	assert_non_null(strstr(t, "\tsend 100\tok -1 ECONNRESET\t"));
	free(t);
}

static void
a_changed_teardown_segment_gives_another_signature(void **state)
{
	struct fx a, b;

	make_case(&a, 0, 40000, 1000);
	make_case(&b, 0, 40000, 1000);
	b.seg[5].flags = TCPF_RST;
	assert_false(same_signature(&a, &b));
}

static void
segments_before_the_first_fin_are_not_part_of_it(void **state)
{
	struct fx a, b;

	make_case(&a, 0, 40000, 1000);
	make_case(&b, 0, 40000, 1000);
	b.seg[2].flags = TCPF_ACK | TCPF_PSH;
	b.seg[2].len = 100;
	assert_true(same_signature(&a, &b));
}

static void
steps_not_run_appear_as_such(void **state)
{
	struct fx f;
	char *t;

	make_case(&f, 0, 40000, 1000);
	f.cr.verdict = VERDICT_FAIL;
	f.cr.first_fail = 1;
	f.res[1].status = STEP_FAILED;
	memset(&f.res[2], 0, 2 * sizeof(f.res[0]));
	f.cr.wire = WIRE_NOT_OBSERVED;
	t = text_of(&f);
	assert_string_equal(t,
	    "verdict\tfail\n"
	    "0\tclient\tsend 100\tok 100\tESTABLISHED\tESTABLISHED\n"
	    "1\tclient\tclose\tfailed 0\tFIN_WAIT2\tCLOSE_WAIT\n"
	    "2\tserver\tpoll\tnot_run\t-\t-\n"
	    "3\tclient\twait state TIME_WAIT within 1s\tnot_run\t-\t-\n");
	free(t);
}

static void
a_case_that_never_started_lists_every_step_as_not_run(void **state)
{
	struct case_result cr = { .sc = &sc, .verdict = VERDICT_ERROR };
	char *t = signature_text(&cr);

	assert_non_null(t);
	assert_non_null(strstr(t, "verdict\terror\n0\tclient\tsend 100\tnot_run"));
	assert_null(strstr(t, "wire"));
	free(t);
}

static void
an_observed_wire_without_fin_or_rst_says_none(void **state)
{
	struct fx f;
	char *t;

	make_case(&f, 0, 40000, 1000);
	f.cr.nseg = 3;
	t = text_of(&f);
	assert_non_null(strstr(t, "\nwire\tnone\n"));
	free(t);
}

/* Equal texts are held once, by all their holders, until the last one
 * gives it back; a different text is its own. */
static void
equal_signatures_share_one_text(void **state)
{
	const char *a = signature_intern(strdup("verdict\tpass\n"));
	const char *b = signature_intern(strdup("verdict\tpass\n"));
	const char *c = signature_intern(strdup("verdict\tfail\n"));
	const char *d;

	assert_non_null(a);
	assert_ptr_equal(a, b);
	assert_ptr_not_equal(a, c);
	assert_string_equal(c, "verdict\tfail\n");
	signature_release(a);
	assert_string_equal(b, "verdict\tpass\n");	/* still held by b */
	signature_release(b);
	d = signature_intern(strdup("verdict\tpass\n"));
	assert_string_equal(d, "verdict\tpass\n");
	signature_release(d);
	signature_release(c);
	signature_release(NULL);
	assert_null(signature_intern(NULL));
}

static void
the_steps_hash_leaves_the_wire_out(void **state)
{
	struct fx a, b;
	char *ta, *tb, ha[SIG_HASH_LEN], hb[SIG_HASH_LEN];

	make_case(&a, 0, 40000, 1000);
	make_case(&b, 0, 40000, 1000);
	b.cr.wire = WIRE_NOT_OBSERVED;
	ta = text_of(&a);
	tb = text_of(&b);
	signature_steps_hash_hex(ta, ha);
	signature_steps_hash_hex(tb, hb);
	assert_string_equal(ha, hb);
	signature_hash_hex(tb, hb);
	assert_string_equal(ha, hb);
	signature_hash_hex(ta, hb);
	assert_string_not_equal(ha, hb);
	free(ta);
	free(tb);
}

static void
the_hash_is_fnv1a_64_in_hex(void **state)
{
	char h[SIG_HASH_LEN];

	assert_true(signature_hash("") == 0xcbf29ce484222325ULL);
	signature_hash_hex("a", h);
	assert_string_equal(h, "af63dc4c8601ec8c");
}

static void
a_line_splits_into_its_fields(void **state)
{
	const char *line = "3\tclient\twait state CLOSED within 3s\tfailed 0\t"
	    "FIN_WAIT2\tCLOSED\nnext";
	const char *f[SIG_FIELDS];
	char buf[128];

	assert_int_equal(signature_fields(line, strcspn(line, "\n"), buf,
	    sizeof(buf), f), 6);
	assert_string_equal(f[2], "wait state CLOSED within 3s");
	assert_string_equal(f[3], "failed 0");
	assert_string_equal(f[5], "CLOSED");
	assert_int_equal(signature_fields("wire\tC>S F.", 11, buf, sizeof(buf),
	    f), 2);
	assert_string_equal(f[1], "C>S F.");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_signature_is_one_line_per_step_then_the_teardown_segments),
		cmocka_unit_test(timing_ports_and_sequence_numbers_do_not_change_the_signature),
		cmocka_unit_test(a_changed_state_gives_another_signature),
		cmocka_unit_test(a_changed_errno_gives_another_signature),
		cmocka_unit_test(a_changed_teardown_segment_gives_another_signature),
		cmocka_unit_test(segments_before_the_first_fin_are_not_part_of_it),
		cmocka_unit_test(steps_not_run_appear_as_such),
		cmocka_unit_test(a_case_that_never_started_lists_every_step_as_not_run),
		cmocka_unit_test(an_observed_wire_without_fin_or_rst_says_none),
		cmocka_unit_test(equal_signatures_share_one_text),
		cmocka_unit_test(the_steps_hash_leaves_the_wire_out),
		cmocka_unit_test(the_hash_is_fnv1a_64_in_hex),
		cmocka_unit_test(a_line_splits_into_its_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
