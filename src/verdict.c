/* verdict.c: expectations checked against what a case observed, the case
 * verdict summarised from its steps, and its wire checked against the
 * scenario's pattern. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signature.h"
#include "verdict.h"
#include "wire.h"

#define WIRE_SHOWN	100			/* of a pattern, in a message */

/* An errno as a script writes it: its name, "none" for 0. */
static const char *
errno_word(int err)
{
	return err == 0 ? "none" : errno_name(err);
}

/* Checks an expectation about the previous action of the same end. */
static int
expect_previous(const struct step *st, const struct step *ls,
    const struct step_result *last, char *msg, size_t len)
{
	char want[64], got[64];

	if (last == NULL || ls == NULL) {
		snprintf(msg, len, "%s: no earlier step of this end",
		    verb_name(st->verb));
		return 0;
	}
	switch (st->verb) {
	case VERB_EXPECT_ERRNO:
		if (last->err == st->a.err.err)
			return 1;
		snprintf(got, sizeof(got), "%s", errno_name(last->err));
		if (last->err == 0)
			snprintf(msg, len, "%s succeeded (rc %ld), expected errno %s",
			    verb_name(ls->verb), (long)last->rc, errno_word(st->a.err.err));
		else
			snprintf(msg, len, "%s gave errno %s, expected %s",
			    verb_name(ls->verb), got, errno_word(st->a.err.err));
		return 0;
	case VERB_EXPECT_EOF:
		if (ls->verb == VERB_RECV && last->eof)
			return 1;
		snprintf(msg, len, "%s did not end at EOF (rc %ld, errno %s)",
		    verb_name(ls->verb), (long)last->rc, errno_name(last->err));
		return 0;
	case VERB_EXPECT_RC:
		if (op_holds(last->rc, st->a.rc.op, st->a.rc.value))
			return 1;
		snprintf(msg, len, "%s returned %ld, expected %s%s%ld",
		    verb_name(ls->verb), (long)last->rc, st->a.rc.op == OP_EQ ? "" :
		    op_name(st->a.rc.op), st->a.rc.op == OP_EQ ? "" : " ",
		    st->a.rc.value);
		return 0;
	case VERB_EXPECT_EVENTS:
		if (verb_reports_events(ls->verb) && last->err == 0 &&
		    last->rc == st->a.events.mask)
			return 1;
		events_format(st->a.events.mask, want, sizeof(want));
		events_format(last->rc < 0 ? 0 : (int)last->rc, got, sizeof(got));
		snprintf(msg, len, "%s gave events %s, expected %s",
		    verb_name(ls->verb), verb_reports_events(ls->verb) ? got :
		    "none", want);
		return 0;
	case VERB_EXPECT_DURATION:
		if (st->a.duration.over ? last->dur_us > st->a.duration.us :
		    last->dur_us < st->a.duration.us)
			return 1;
		snprintf(msg, len, "%s took %.1f ms, expected %s %.1f ms",
		    verb_name(ls->verb), last->dur_us / 1000.0,
		    st->a.duration.over ? "over" : "under",
		    st->a.duration.us / 1000.0);
		return 0;
	default:
		snprintf(msg, len, "not an expectation about a previous step");
		return 0;
	}
}

/* Why end o has no value for field f; see verdict.h. */
void
verdict_info_absent(enum info_field f, const struct end_obs *o, char *msg,
    size_t len)
{
	if (info_unreported(o, f))
		snprintf(msg, len, "%s not reported by this kernel", info_name(f));
	else
		snprintf(msg, len, "%s: no %s for this end (source %s)",
		    info_name(f), f == INFO_TIMER_MS ? "sock_diag timer" :
		    f == INFO_RQUEUE || f == INFO_WQUEUE ? "queue length" :
		    "tcp_info", source_name(o->source));
}

/* expect info FIELD OP N: about this end's observation now. */
static int
expect_info(const struct step *st, const struct end_obs *now, char *msg,
    size_t len)
{
	enum info_field f = st->a.info.field;
	long v = info_value(now, f);

	if (v >= 0 && op_holds(v, st->a.info.op, st->a.info.value))
		return 1;
	if (v >= 0)
		snprintf(msg, len, "%s is %ld, expected %s %ld", info_name(f), v,
		    op_name(st->a.info.op), st->a.info.value);
	else
		verdict_info_absent(f, now, msg, len);
	return 0;
}

/* expect passed S: whether the end entered S (x->passed). */
static int
expect_passed(const struct step *st, const struct expect_ctx *x, char *msg,
    size_t len)
{
	if (x->passed < 0) {
		snprintf(msg, len, "transitions not observed: cannot tell "
		    "whether it passed %s", state_name(st->a.state.state));
		return -1;
	}
	if (x->passed)
		return 1;
	snprintf(msg, len, "never entered %s", state_name(st->a.state.state));
	return 0;
}

/* Checks expectation st; 1 if it holds, 0 (reason in msg) if not, -1
 * (reason in msg) if it cannot be checked here. */
int
verdict_expect(const struct step *st, const struct expect_ctx *x, char *msg,
    size_t len)
{
	char got[32];

	msg[0] = '\0';
	switch (st->verb) {
	case VERB_EXPECT_STATE:
		if (x->now->state == st->a.state.state)
			return 1;
		snprintf(msg, len, "state %s, expected %s",
		    state_name(x->now->state), state_name(st->a.state.state));
		return 0;
	case VERB_EXPECT_SOERROR:
		if (x->so_error == st->a.err.err)
			return 1;
		snprintf(got, sizeof(got), "%s", errno_name(x->so_error));
		if (x->so_error < 0)
			snprintf(msg, len, "no SO_ERROR: this end's fd is closed");
		else
			snprintf(msg, len, "SO_ERROR %s, expected %s", got,
			    errno_word(st->a.err.err));
		return 0;
	case VERB_EXPECT_INFO:
		return expect_info(st, x->now, msg, len);
	case VERB_EXPECT_PASSED:
		return expect_passed(st, x, msg, len);
	default:
		return expect_previous(st, x->last_step, x->last, msg, len);
	}
}

/* Sets cr->verdict, first_fail and msg from the step results. */
void
verdict_case(struct case_result *cr)
{
	size_t i;

	if (cr->verdict == VERDICT_ERROR || cr->verdict == VERDICT_SKIPPED ||
	    cr->verdict == VERDICT_ABANDONED)
		return;
	cr->verdict = VERDICT_PASS;
	cr->first_fail = -1;
	for (i = 0; i < cr->sc->nsteps; i++) {
		const struct step_result *r = &cr->res[i];

		if (r->status != STEP_FAILED && r->status != STEP_TIMEOUT &&
		    r->status != STEP_ABANDONED)
			continue;
		cr->verdict = r->status == STEP_TIMEOUT ? VERDICT_TIMEOUT :
		    r->status == STEP_ABANDONED ? VERDICT_ABANDONED : VERDICT_FAIL;
		cr->first_fail = (int)i;
		case_msg(cr, "line %d: %s",
		    cr->sc->steps[i].line, step_note_text(cr, i) != NULL ?
		    step_note_text(cr, i) : "");
		return;
	}
}

/* Checks the case's teardown segments against its scenario's wire. */
void
verdict_wire(struct case_result *cr)
{
	const char *pattern = cr->sc->wire;
	char err[160], got[256];
	struct wire *w;
	size_t k, off;

	if (pattern[0] == '\0' || cr->verdict != VERDICT_PASS)
		return;
	if (cr->wire != WIRE_OBSERVED) {
		case_msg(cr, "wire not checked: not observed");
		return;
	}
	if ((w = wire_compile(pattern, err, sizeof(err), NULL)) == NULL) {
		cr->verdict = VERDICT_FAIL;
		case_msg(cr, "%s", err);
		return;
	}
	k = wire_teardown(cr->seg, cr->nseg);
	if (!wire_match(w, cr->seg + k, cr->nseg - k)) {
		cr->verdict = VERDICT_FAIL;
		off = (size_t)snprintf(got, sizeof(got),
		    "wire: expected %.*s%s, got ", WIRE_SHOWN, pattern,
		    strlen(pattern) > WIRE_SHOWN ? "..." : "");
		if (k == cr->nseg)
			snprintf(got + off, sizeof(got) - off, "no FIN or RST");
		else
			wire_format(cr->seg + k, cr->nseg - k, got + off,
			    sizeof(got) - off);
		case_msg(cr, "%s", got);
	}
	wire_free(w);
}

/* Signs the decided case. */
void
verdict_sign(struct case_result *cr)
{
	signature_release(cr->sig);
	if ((cr->sig = signature_intern(signature_text(cr))) == NULL) {
		cr->sig_hash[0] = cr->steps_hash[0] = '\0';
		return;
	}
	signature_hash_hex(cr->sig, cr->sig_hash);
	signature_steps_hash_hex(cr->sig, cr->steps_hash);
}
