/* verdict.h: expectations and the case verdict, as pure functions over
 * what was observed, so they are testable without sockets. */
#ifndef TEARDOWND_VERDICT_H
#define TEARDOWND_VERDICT_H

#include <stddef.h>

#include "scenario.h"

/* Checks expectation st against: last, the result of this side's previous
 * action step (NULL if none); now, this end's state at this moment; so_error,
 * the end's SO_ERROR (for expect so-error). Returns 1 if it holds, else 0
 * with the reason in msg. */
int verdict_expect(const struct step *st, const struct step *last_step,
    const struct step_result *last, const struct end_obs *now, int so_error,
    char *msg, size_t len);

/* Why end o has no value for info field f (info_value() < 0), into msg:
 * "<field> not reported by this kernel" when the end's tcp_info is too
 * short for it, else "<field>: no tcp_info for this end (source S)" or
 * the like. For expect info and wait info alike. */
void verdict_info_absent(enum info_field f, const struct end_obs *o,
    char *msg, size_t len);

/* Sets cr->verdict, first_fail and msg from the step results. Keeps
 * VERDICT_ERROR if set-up had already failed. */
void verdict_case(struct case_result *cr);

/* Checks the case's teardown segments (wire_teardown) against its
 * scenario's wire pattern, if it has one. A case that passed and whose
 * observed wire does not match fails with "wire: expected P, got T"; a case
 * that failed already keeps its first failure. A wire not observed is never
 * a failure: a passing case says "wire not checked: not observed". */
void verdict_wire(struct case_result *cr);

#endif
