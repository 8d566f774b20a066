/* signature.h: the canonical text of what a case did, and its hash. Two
 * cases that behaved the same (same step outcomes, same states at both
 * ends, same teardown segments) get the same text, whatever their timing,
 * ports, addresses or sequence numbers; repetitions of a scenario are
 * compared, and runs diffed, by it.
 *
 * The text is one line per item, fields separated by tabs:
 *
 *	verdict	pass
 *	IDX	SIDE	VERB ARGS	RESULT	CLIENT_STATE	SERVER_STATE
 *	...
 *	wire	C>S F. ; S>C . ; S>C F. ; C>S .
 *
 * RESULT is the step's status ("ok", "failed", "timeout", "not_run"), then
 * for an action its return value (poll events by name for poll and the
 * wait readable|hup steps), its errno name if it set one, and "eof" when a
 * recv ended at EOF. A state is "-" when the end was not observed (a step
 * that did not run). The wire line is there only when the case's wire was
 * observed: the segments from the first FIN or RST on, "none" if there was
 * none. */
#ifndef TEARDOWND_SIGNATURE_H
#define TEARDOWND_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

#define SIG_HASH_LEN	17		/* 16 hex digits and the NUL */
#define SIG_FIELDS	6		/* fields of a step line */

/* The signature of cr, malloc'd; NULL when memory ran out. */
char *signature_text(const struct case_result *cr);

/* The one copy of text that every holder of an equal text shares: text
 * (signature_text's) is freed or kept. Counted; give it back with
 * signature_release. NULL when memory ran out (text freed). The stable
 * cases of a run, thousands alike, hold one text between them. */
const char *signature_intern(char *text);
/* Gives back a text signature_intern handed out; NULL is a no-op. */
void signature_release(const char *sig);

/* FNV-1a 64 of text. */
uint64_t signature_hash(const char *text);
/* The same as 16 lowercase hex digits in buf. */
void signature_hash_hex(const char *text, char buf[SIG_HASH_LEN]);
/* The hash of text without its wire line, as hex: what a run whose wire
 * was observed and one whose wire was not can be compared by. */
void signature_steps_hash_hex(const char *text, char buf[SIG_HASH_LEN]);

/* Splits one line of a signature (up to, not including, its '\n') into at
 * most SIG_FIELDS fields at its tabs: the pointers go into buf, a copy of
 * the line cut to len. Returns the number of fields. */
int signature_fields(const char *line, size_t n, char *buf, size_t len,
    const char *fields[SIG_FIELDS]);

#endif
