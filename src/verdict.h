/* verdict.h: expectations and the case verdict, as pure functions over
 * what was observed, so they are testable without sockets. */
#ifndef TEARDOWND_VERDICT_H
#define TEARDOWND_VERDICT_H

#include <stddef.h>

#include "scenario.h"

/* What an expectation is checked against. */
struct expect_ctx {
	const struct step *last_step;		/* this end's previous action, or NULL */
	const struct step_result *last;		/* its result, or NULL */
	const struct end_obs *now;		/* this end at this moment */
	int so_error;				/* its SO_ERROR; -1 when its fd is closed */
	int passed;				/* expect passed: 1 entered, 0 not, -1 unknown */
};

/* Checks expectation st against x. Returns 1 if it holds, 0 if not, -1
 * if it cannot be checked here (transitions not observed); msg says why
 * unless it holds. */
int verdict_expect(const struct step *st, const struct expect_ctx *x,
    char *msg, size_t len);

/* Why end o has no value for info field f (info_value() < 0), into msg:
 * "<field> not reported by this kernel" when the end's tcp_info is too
 * short for it, else "<field>: no tcp_info for this end (source S)" or
 * the like. For expect info and wait info alike. */
void verdict_info_absent(enum info_field f, const struct end_obs *o,
    char *msg, size_t len);

/* Sets cr->verdict, first_fail and msg from the step results: the first
 * step that failed, timed out or was abandoned decides. Keeps a verdict
 * the case was given as a whole (VERDICT_ERROR, VERDICT_SKIPPED, and
 * VERDICT_ABANDONED in set-up). */
void verdict_case(struct case_result *cr);

/* Checks the case's teardown segments (wire_teardown) against its
 * scenario's wire pattern, if it has one. A case that passed and whose
 * observed wire does not match fails with "wire: expected P, got T"; a case
 * that failed already keeps its first failure. A wire not observed is never
 * a failure: a passing case says "wire not checked: not observed". */
void verdict_wire(struct case_result *cr);
/* Signs the decided case: cr->sig, its canonical text (signature.h), and
 * its hashes, which the store keeps and runs are compared by. Without
 * memory sig stays NULL (the case is then stored without a signature). */
void verdict_sign(struct case_result *cr);

#endif
