/* test_verdict.c: the verdict as pure functions. Every expectation verb is
 * checked holding and not holding against hand-made observations, with the
 * exact message a failure stores; verdict_case() picks the first failing
 * step, tells a timeout from a failure and keeps a set-up error. */
#include "testutil.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "verdict.h"

#define MSGLEN	160				/* a message buffer */

/* An expectation step: verb and its parsed fields, given as the number
 * n (state, errno, rc, events mask, value), mode (info field, or 1 for
 * duration over), op and a duration, put where the verb keeps them. */
static struct step
expect_step(enum verb v, long n, int mode, int op, int64_t dur_us)
{
	struct step st;

	memset(&st, 0, sizeof(st));
	st.line = 9;
	st.verb = v;
	switch (v) {
	case VERB_EXPECT_STATE: case VERB_EXPECT_PASSED:
		st.a.state.state = (enum tcp_state)n;
		break;
	case VERB_EXPECT_ERRNO: case VERB_EXPECT_SOERROR:
		st.a.err.err = (int)n;
		break;
	case VERB_EXPECT_RC:
		st.a.rc.op = (enum cmp_op)op;
		st.a.rc.value = n;
		break;
	case VERB_EXPECT_EVENTS:
		st.a.events.mask = (int)n;
		break;
	case VERB_EXPECT_DURATION:
		st.a.duration.over = mode;
		st.a.duration.us = dur_us;
		break;
	default:
		st.a.info.field = (enum info_field)mode;
		st.a.info.op = (enum cmp_op)op;
		st.a.info.value = n;
		st.a.info.within_us = dur_us;
	}
	return st;
}

/* An action step of verb v, as the "previous step of this side". */
static struct step
action_step(enum verb v)
{
	struct step st;

	memset(&st, 0, sizeof(st));
	st.line = 8;
	st.verb = v;
	return st;
}

/* Its result: rc, errno, eof and how long it took. */
static struct step_result
action_result(long rc, int err, int eof, int64_t dur_us)
{
	struct step_result r;

	memset(&r, 0, sizeof(r));
	r.status = STEP_OK;
	r.rc = rc;
	r.err = err;
	r.eof = eof;
	r.dur_us = dur_us;
	return r;
}

/* An end seen through TCP_INFO in state s. */
static struct end_obs
info_end(enum tcp_state s)
{
	struct end_obs o;

	tu_end(&o, s, OBS_INFO, TU_TCPI_LEN_6_18);
	return o;
}

/* Checks st about the previous step (ls, last); returns msg ("" if held). */
static int
check_prev(const struct step *st, const struct step *ls,
    const struct step_result *last, char *msg)
{
	struct end_obs now = info_end(STATE_ESTABLISHED);
	struct expect_ctx x = { .last_step = ls, .last = last, .now = &now };

	memset(msg, 'x', MSGLEN);			/* must be overwritten */
	return verdict_expect(st, &x, msg, MSGLEN);
}

/* Checks st about this end now (now, so_error). */
static int
check_now(const struct step *st, const struct end_obs *now, int so_error,
    char *msg)
{
	struct expect_ctx x = { .now = now, .so_error = so_error };

	memset(msg, 'x', MSGLEN);
	return verdict_expect(st, &x, msg, MSGLEN);
}

/* Exactly the expect verbs are expectations; wait info is not. */
static void
only_expect_verbs_are_expectations(void **state)
{
	int v;

	for (v = 0; v < VERB__COUNT; v++) {
		print_message("%s\n", verb_name(v));
		assert_int_equal(verb_is_expect(v),
		    strncmp(verb_name(v), "expect ", 7) == 0);
	}
	assert_true(verb_is_expect(VERB_EXPECT_INFO));
	assert_false(verb_is_expect(VERB_WAIT_INFO));
	assert_false(verb_is_expect(VERB_WAIT_STATE));
	assert_false(verb_is_expect(VERB_POLL));
}

/* expect state compares this end's state now. */
static void
expect_state_holds_only_in_that_state(void **state)
{
	struct step st = expect_step(VERB_EXPECT_STATE, STATE_TIME_WAIT, 0, 0, 0);
	struct end_obs now = info_end(STATE_TIME_WAIT);
	char msg[MSGLEN];

	assert_true(check_now(&st, &now, 0, msg));
	assert_string_equal(msg, "");
	now.state = STATE_FIN_WAIT2;
	assert_false(check_now(&st, &now, 0, msg));
	assert_string_equal(msg, "state FIN_WAIT2, expected TIME_WAIT");
	now.state = STATE_CLOSED;
	now.source = OBS_GONE;
	assert_false(check_now(&st, &now, 0, msg));
	assert_string_equal(msg, "state CLOSED, expected TIME_WAIT");
}

/* expect so-error compares the SO_ERROR it is given. */
static void
expect_so_error_compares_so_error_now(void **state)
{
	struct step st = expect_step(VERB_EXPECT_SOERROR, ECONNRESET, 0, 0, 0);
	struct step none = expect_step(VERB_EXPECT_SOERROR, 0, 0, 0, 0);
	struct end_obs now = info_end(STATE_CLOSE);
	char msg[MSGLEN];

	assert_true(check_now(&st, &now, ECONNRESET, msg));
	assert_string_equal(msg, "");
	assert_true(check_now(&none, &now, 0, msg));
	assert_string_equal(msg, "");
	assert_false(check_now(&st, &now, 0, msg));
	assert_string_equal(msg, "SO_ERROR 0, expected ECONNRESET");
	assert_false(check_now(&none, &now, EPIPE, msg));
	assert_string_equal(msg, "SO_ERROR EPIPE, expected none");
	assert_false(check_now(&none, &now, -1, msg));
	assert_string_equal(msg, "no SO_ERROR: this end's fd is closed");
}

/* expect errno looks at the previous step's errno, success included. */
static void
expect_errno_compares_the_previous_errno(void **state)
{
	struct step st = expect_step(VERB_EXPECT_ERRNO, ECONNRESET, 0, 0, 0);
	struct step none = expect_step(VERB_EXPECT_ERRNO, 0, 0, 0, 0);
	struct step snd = action_step(VERB_SEND), rcv = action_step(VERB_RECV);
	struct step_result reset = action_result(-1, ECONNRESET, 0, 0);
	struct step_result epipe = action_result(-1, EPIPE, 0, 0);
	struct step_result ok = action_result(100, 0, 0, 0);
	char msg[MSGLEN];

	assert_true(check_prev(&st, &rcv, &reset, msg));
	assert_string_equal(msg, "");
	assert_true(check_prev(&none, &snd, &ok, msg));
	assert_string_equal(msg, "");
	assert_false(check_prev(&st, &snd, &ok, msg));
	assert_string_equal(msg,
	    "send succeeded (rc 100), expected errno ECONNRESET");
	assert_false(check_prev(&st, &rcv, &epipe, msg));
	assert_string_equal(msg, "recv gave errno EPIPE, expected ECONNRESET");
	assert_false(check_prev(&none, &rcv, &reset, msg));
	assert_string_equal(msg, "recv gave errno ECONNRESET, expected none");
}

/* expect eof holds only after a recv that ended at EOF. */
static void
expect_eof_needs_a_recv_that_saw_eof(void **state)
{
	struct step st = expect_step(VERB_EXPECT_EOF, 0, 0, 0, 0);
	struct step rcv = action_step(VERB_RECV), cl = action_step(VERB_CLOSE);
	struct step_result eof = action_result(0, 0, 1, 0);
	struct step_result data = action_result(10, 0, 0, 0);
	struct step_result reset = action_result(-1, ECONNRESET, 0, 0);
	char msg[MSGLEN];

	assert_true(check_prev(&st, &rcv, &eof, msg));
	assert_string_equal(msg, "");
	assert_false(check_prev(&st, &rcv, &data, msg));
	assert_string_equal(msg, "recv did not end at EOF (rc 10, errno 0)");
	assert_false(check_prev(&st, &rcv, &reset, msg));
	assert_string_equal(msg,
	    "recv did not end at EOF (rc -1, errno ECONNRESET)");
	assert_false(check_prev(&st, &cl, &eof, msg));
	assert_string_equal(msg, "close did not end at EOF (rc 0, errno 0)");
}

/* expect rc compares the previous step's return value. */
static void
expect_rc_compares_the_previous_return(void **state)
{
	struct step st = expect_step(VERB_EXPECT_RC, 0, 0, 0, 0);
	struct step cl = action_step(VERB_CLOSE);
	struct step_result ok = action_result(0, 0, 0, 0);
	struct step_result bad = action_result(-1, EBADF, 0, 0);
	char msg[MSGLEN];

	assert_true(check_prev(&st, &cl, &ok, msg));
	assert_string_equal(msg, "");
	assert_false(check_prev(&st, &cl, &bad, msg));
	assert_string_equal(msg, "close returned -1, expected 0");
}

/* expect events holds only for exactly those events of a previous poll. */
static void
expect_events_needs_exactly_those_poll_events(void **state)
{
	struct step st = expect_step(VERB_EXPECT_EVENTS, POLLIN | POLLRDHUP, 0,
	    0, 0);
	struct step pl = action_step(VERB_POLL), snd = action_step(VERB_SEND);
	struct step_result same = action_result(POLLIN | POLLRDHUP, 0, 0, 0);
	struct step_result in = action_result(POLLIN, 0, 0, 0);
	char msg[MSGLEN];

	assert_true(check_prev(&st, &pl, &same, msg));
	assert_string_equal(msg, "");
	assert_false(check_prev(&st, &pl, &in, msg));
	assert_string_equal(msg, "poll gave events IN, expected IN|RDHUP");
	assert_false(check_prev(&st, &snd, &same, msg));
	assert_string_equal(msg, "send gave events none, expected IN|RDHUP");
}

/* expect duration under/over compares how long the previous step took. */
static void
expect_duration_compares_the_previous_duration(void **state)
{
	struct step under = expect_step(VERB_EXPECT_DURATION, 0, 0, 0, 1000000);
	struct step over = expect_step(VERB_EXPECT_DURATION, 0, 1, 0, 1000000);
	struct step cl = action_step(VERB_CLOSE);
	struct step_result fast = action_result(0, 0, 0, 2500);
	struct step_result slow = action_result(0, 0, 0, 1500000);
	struct step_result exact = action_result(0, 0, 0, 1000000);
	char msg[MSGLEN];

	assert_true(check_prev(&under, &cl, &fast, msg));
	assert_string_equal(msg, "");
	assert_true(check_prev(&over, &cl, &slow, msg));
	assert_string_equal(msg, "");
	assert_false(check_prev(&under, &cl, &slow, msg));
	assert_string_equal(msg, "close took 1500.0 ms, expected under 1000.0 ms");
	assert_false(check_prev(&over, &cl, &fast, msg));
	assert_string_equal(msg, "close took 2.5 ms, expected over 1000.0 ms");
	assert_false(check_prev(&under, &cl, &exact, msg));
	assert_false(check_prev(&over, &cl, &exact, msg));
}

/* Expectations about a previous step fail when the side has none. */
static void
expectations_about_a_previous_step_need_one(void **state)
{
	static const enum verb verbs[] = { VERB_EXPECT_ERRNO, VERB_EXPECT_EOF,
	    VERB_EXPECT_RC, VERB_EXPECT_EVENTS, VERB_EXPECT_DURATION };
	static const char *const msgs[] = {
	    "expect errno: no earlier step of this end",
	    "expect eof: no earlier step of this end",
	    "expect rc: no earlier step of this end",
	    "expect events: no earlier step of this end",
	    "expect duration: no earlier step of this end" };
	struct step st;
	char msg[MSGLEN];
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		st = expect_step(verbs[i], 0, 0, 0, 0);
		assert_false(check_prev(&st, NULL, NULL, msg));
		assert_string_equal(msg, msgs[i]);
	}
}

/* expect info: each operator holds or not against the field's value. */
static void
expect_info_applies_each_operator(void **state)
{
	static const struct {
		enum cmp_op op;
		long n;
		int holds;
		const char *msg;
	} cases[] = {
		{ OP_EQ, 3, 1, "" }, { OP_EQ, 2, 0, "total_retrans is 3, expected = 2" },
		{ OP_NE, 2, 1, "" }, { OP_NE, 3, 0, "total_retrans is 3, expected != 3" },
		{ OP_LT, 4, 1, "" }, { OP_LT, 3, 0, "total_retrans is 3, expected < 3" },
		{ OP_LE, 3, 1, "" }, { OP_LE, 2, 0, "total_retrans is 3, expected <= 2" },
		{ OP_GT, 2, 1, "" }, { OP_GT, 3, 0, "total_retrans is 3, expected > 3" },
		{ OP_GE, 3, 1, "" }, { OP_GE, 4, 0, "total_retrans is 3, expected >= 4" },
	};
	struct end_obs now = info_end(STATE_FIN_WAIT1);
	struct step st;
	char msg[MSGLEN];
	size_t i;

	now.info.total_retrans = 3;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st = expect_step(VERB_EXPECT_INFO, cases[i].n, INFO_TOTAL_RETRANS,
		    cases[i].op, 0);
		print_message("case %zu: %s %ld\n", i, op_name(cases[i].op),
		    cases[i].n);
		assert_int_equal(check_now(&st, &now, 0, msg), cases[i].holds);
		assert_string_equal(msg, cases[i].msg);
	}
}

/* expect info on counters at 0 and at the top of their range. */
static void
expect_info_reads_zero_and_the_largest_values(void **state)
{
	struct step zero = expect_step(VERB_EXPECT_INFO, 1, INFO_TOTAL_RETRANS,
	    OP_GE, 0);
	struct step top = expect_step(VERB_EXPECT_INFO, 4294967295L,
	    INFO_NOTSENT_BYTES, OP_EQ, 0);
	struct end_obs now = info_end(STATE_ESTABLISHED);
	char msg[MSGLEN];

	assert_false(check_now(&zero, &now, 0, msg));
	assert_string_equal(msg, "total_retrans is 0, expected >= 1");
	now.info.notsent_bytes = 4294967295U;
	assert_true(check_now(&top, &now, 0, msg));
	assert_string_equal(msg, "");
	now.info.notsent_bytes = 4294967294U;
	assert_false(check_now(&top, &now, 0, msg));
	assert_string_equal(msg,
	    "notsent_bytes is 4294967294, expected = 4294967295");
}

/* expect info fails, naming the source, when the end has no such value. */
static void
expect_info_without_a_value_fails_naming_the_source(void **state)
{
	struct step retr = expect_step(VERB_EXPECT_INFO, 0, INFO_TOTAL_RETRANS,
	    OP_GE, 0);
	struct step timer = expect_step(VERB_EXPECT_INFO, 0, INFO_TIMER_MS,
	    OP_GE, 0);
	struct step below = expect_step(VERB_EXPECT_INFO, 1, INFO_UNACKED,
	    OP_LT, 0);
	struct end_obs now;
	char msg[MSGLEN];

	memset(&now, 0, sizeof(now));
	now.state = STATE_CLOSED;
	now.source = OBS_GONE;
	assert_false(check_now(&retr, &now, 0, msg));
	assert_string_equal(msg,
	    "total_retrans: no tcp_info for this end (source gone)");
	assert_false(check_now(&below, &now, 0, msg));	/* not "-1 < 1" */
	assert_string_equal(msg,
	    "unacked: no tcp_info for this end (source gone)");
	now.state = STATE_TIME_WAIT;
	now.source = OBS_DIAG_TW;
	now.timer_ms = 59000;
	assert_false(check_now(&retr, &now, 0, msg));
	assert_string_equal(msg,
	    "total_retrans: no tcp_info for this end (source sock_diag_tw)");
	assert_true(check_now(&timer, &now, 0, msg));
	assert_string_equal(msg, "");
	now = info_end(STATE_ESTABLISHED);
	assert_false(check_now(&timer, &now, 0, msg));
	assert_string_equal(msg,
	    "timer_ms: no sock_diag timer for this end (source tcp_info)");
}

/* On a kernel whose tcp_info stops before a field (rcv_wnd, new in 6.2,
 * on 6.1), expect info on it fails saying so, not "is 0"; the fields the
 * kernel does report still compare, 0 included. */
static void
expect_info_on_a_field_this_kernel_lacks_says_not_reported(void **state)
{
	struct step rcv = expect_step(VERB_EXPECT_INFO, 0, INFO_RCV_WND, OP_GT, 0);
	struct step snd = expect_step(VERB_EXPECT_INFO, 0, INFO_SND_WND, OP_EQ, 0);
	struct step rq = expect_step(VERB_EXPECT_INFO, 0, INFO_RQUEUE, OP_EQ, 0);
	struct end_obs now;
	char msg[MSGLEN];

	tu_end(&now, STATE_ESTABLISHED, OBS_INFO, TU_TCPI_LEN_6_1);
	assert_int_equal(info_value(&now, INFO_RCV_WND), -1);
	assert_false(check_now(&rcv, &now, 0, msg));
	assert_string_equal(msg, "rcv_wnd not reported by this kernel");
	assert_true(check_now(&snd, &now, 0, msg));
	/* The queues do not come from tcp_info: absent for another reason. */
	assert_false(check_now(&rq, &now, 0, msg));
	assert_string_equal(msg,
	    "rqueue: no queue length for this end (source tcp_info)");
	/* The same end on a kernel that has it: the value, 0. */
	tu_end(&now, STATE_ESTABLISHED, OBS_INFO, TU_TCPI_LEN_6_18);
	assert_false(check_now(&rcv, &now, 0, msg));
	assert_string_equal(msg, "rcv_wnd is 0, expected > 0");
}

/* expect info on rqueue and wqueue reads the queue lengths, which a
 * TIME_WAIT mini-socket reports without tcp_info. */
static void
expect_info_reads_the_queues_without_tcp_info(void **state)
{
	struct step rq = expect_step(VERB_EXPECT_INFO, 5, INFO_RQUEUE, OP_EQ, 0);
	struct step wq = expect_step(VERB_EXPECT_INFO, 0, INFO_WQUEUE, OP_GT, 0);
	struct end_obs now;
	char msg[MSGLEN];

	tu_end(&now, STATE_TIME_WAIT, OBS_DIAG_TW, 0);
	now.info.rqueue = 5;
	now.info.has = 1u << SNAP_RQUEUE | 1u << SNAP_WQUEUE;
	assert_true(check_now(&rq, &now, 0, msg));
	assert_false(check_now(&wq, &now, 0, msg));
	assert_string_equal(msg, "wqueue is 0, expected > 0");
}

/* A reason for no value is cut to the buffer, never overrun. */
static void
the_reason_for_no_value_is_cut_to_the_buffer(void **state)
{
	struct end_obs o;
	char msg[12];

	tu_end(&o, STATE_ESTABLISHED, OBS_INFO, TU_TCPI_LEN_6_1);
	memset(msg, 'x', sizeof(msg));
	verdict_info_absent(INFO_RCV_WND, &o, msg, sizeof(msg));
	assert_string_equal(msg, "rcv_wnd not");
}

/* expect info reads the field it names, not another. */
static void
expect_info_reads_the_named_field(void **state)
{
	struct end_obs now = info_end(STATE_FIN_WAIT1);
	struct step st;
	char msg[MSGLEN];

	now.info.backoff = 2;
	now.info.rto = 800000;
	st = expect_step(VERB_EXPECT_INFO, 2, INFO_BACKOFF, OP_EQ, 0);
	assert_true(check_now(&st, &now, 0, msg));
	st = expect_step(VERB_EXPECT_INFO, 800000, INFO_RTO, OP_EQ, 0);
	assert_true(check_now(&st, &now, 0, msg));
	st = expect_step(VERB_EXPECT_INFO, 0, INFO_PROBES, OP_GT, 0);
	assert_false(check_now(&st, &now, 0, msg));
	assert_string_equal(msg, "probes is 0, expected > 0");
}

/* A message longer than the buffer is cut, never overrun. */
static void
a_failure_message_is_cut_to_the_buffer(void **state)
{
	struct step st = expect_step(VERB_EXPECT_INFO, 1, INFO_TOTAL_RETRANS,
	    OP_GE, 0);
	struct end_obs now = info_end(STATE_ESTABLISHED);
	struct expect_ctx x = { .now = &now };
	char msg[16];

	msg[15] = 'x';
	assert_false(verdict_expect(&st, &x, msg, 14));
	assert_string_equal(msg, "total_retrans");
	assert_int_equal(msg[15], 'x');
}

/* A scenario of four steps and their results, for verdict_case(). */
struct four {
	struct step steps[4];
	struct scenario sc;
	struct step_result res[4];
	struct case_result cr;
};

/* Sets up f: steps on lines 3..6, all results ok, verdict unset. */
static void
four_init(struct four *f)
{
	int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < 4; i++) {
		f->steps[i].line = 3 + i;
		f->steps[i].verb = VERB_CLOSE;
		f->res[i].status = STEP_OK;
	}
	f->sc.nsteps = 4;
	f->sc.steps = f->steps;
	f->cr.sc = &f->sc;
	f->cr.res = f->res;
	f->cr.first_fail = -1;
}

/* Every step ok: the case passes with no failing step. */
static void
a_case_whose_steps_all_hold_passes(void **state)
{
	struct four f;

	four_init(&f);
	verdict_case(&f.cr);
	assert_int_equal(f.cr.verdict, VERDICT_PASS);
	assert_int_equal(f.cr.first_fail, -1);
	assert_null(f.cr.msg);
}

/* The first failing step decides, with its line and message. */
static void
the_first_failing_step_decides_the_verdict(void **state)
{
	struct four f;

	four_init(&f);
	f.res[1].status = STEP_FAILED;
	step_note(&f.cr, 1, "state FIN_WAIT2, expected TIME_WAIT");
	f.res[2].status = STEP_TIMEOUT;
	step_note(&f.cr, 2, "later");
	f.res[3].status = STEP_NOT_RUN;
	verdict_case(&f.cr);
	assert_int_equal(f.cr.verdict, VERDICT_FAIL);
	assert_int_equal(f.cr.first_fail, 1);
	assert_string_equal(f.cr.msg,
	    "line 4: state FIN_WAIT2, expected TIME_WAIT");
	free(f.cr.msg);
	step_notes_free(f.cr.notes);
}

/* A step that timed out first makes the case a timeout, not a failure. */
static void
a_timed_out_step_makes_a_timeout(void **state)
{
	struct four f;

	four_init(&f);
	f.res[2].status = STEP_TIMEOUT;
	step_note(&f.cr, 2, "send 100: still blocked after 5 s");
	f.res[3].status = STEP_FAILED;
	step_note(&f.cr, 3, "later");
	verdict_case(&f.cr);
	assert_int_equal(f.cr.verdict, VERDICT_TIMEOUT);
	assert_int_equal(f.cr.first_fail, 2);
	assert_string_equal(f.cr.msg, "line 5: send 100: still blocked after 5 s");
	free(f.cr.msg);
	step_notes_free(f.cr.notes);
}

/* A set-up error stays an error, with its message, whatever the steps. */
static void
a_set_up_error_is_kept(void **state)
{
	struct four f;

	four_init(&f);
	f.cr.verdict = VERDICT_ERROR;
	case_msg(&f.cr, "connect: ECONNREFUSED");
	f.res[0].status = STEP_FAILED;
	step_note(&f.cr, 0, "not this");
	verdict_case(&f.cr);
	assert_int_equal(f.cr.verdict, VERDICT_ERROR);
	assert_int_equal(f.cr.first_fail, -1);
	assert_string_equal(f.cr.msg, "connect: ECONNREFUSED");
	free(f.cr.msg);
	step_notes_free(f.cr.notes);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(only_expect_verbs_are_expectations),
		cmocka_unit_test(expect_state_holds_only_in_that_state),
		cmocka_unit_test(expect_so_error_compares_so_error_now),
		cmocka_unit_test(expect_errno_compares_the_previous_errno),
		cmocka_unit_test(expect_eof_needs_a_recv_that_saw_eof),
		cmocka_unit_test(expect_rc_compares_the_previous_return),
		cmocka_unit_test(expect_events_needs_exactly_those_poll_events),
		cmocka_unit_test(expect_duration_compares_the_previous_duration),
		cmocka_unit_test(expectations_about_a_previous_step_need_one),
		cmocka_unit_test(expect_info_applies_each_operator),
		cmocka_unit_test(expect_info_reads_zero_and_the_largest_values),
		cmocka_unit_test(expect_info_without_a_value_fails_naming_the_source),
		cmocka_unit_test(expect_info_reads_the_named_field),
		cmocka_unit_test(expect_info_on_a_field_this_kernel_lacks_says_not_reported),
		cmocka_unit_test(expect_info_reads_the_queues_without_tcp_info),
		cmocka_unit_test(the_reason_for_no_value_is_cut_to_the_buffer),
		cmocka_unit_test(a_failure_message_is_cut_to_the_buffer),
		cmocka_unit_test(a_case_whose_steps_all_hold_passes),
		cmocka_unit_test(the_first_failing_step_decides_the_verdict),
		cmocka_unit_test(a_timed_out_step_makes_a_timeout),
		cmocka_unit_test(a_set_up_error_is_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
