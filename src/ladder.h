/* ladder.h: the seed-style ladder diagram of one case. The client's column
 * is on the left, the server's on the right; one arrow per segment in time
 * order, labelled with its flags, relative seq/ack and length; each end's
 * state changes written beside its column when they happened (traced
 * transitions) or else when a step observed them; time offsets in ms on
 * the left. As text for a terminal, or as SVG.
 *
 * The renderers read plain arrays, so they are testable without a
 * database; the ladder_row_* functions (store_row_fn) fill them from the
 * store's queries for teardownctl. */
#ifndef TEARDOWND_LADDER_H
#define TEARDOWND_LADDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"
#include "store.h"

#define LADDER_TEXT_WIDTH	96		/* columns of a text line, at most */

/* A state an end was seen in, different from the one before it. */
struct ladder_state {
	int64_t t_us;				/* when, from the case's start */
	enum side side;				/* the end */
	char name[16];				/* "FIN_WAIT1" */
};

struct ladder {
	char title[192];			/* first line: case, verdict */
	char message[256];			/* the case's message, or "" */
	char addr[2][64];			/* each end's address, or "" */
	int wire_observed;			/* seg is the case's whole wire */
	int trans_observed;			/* st comes from traced transitions */
	struct segment *seg;			/* in time order */
	size_t nseg;
	struct ladder_state *st;		/* in time order */
	size_t nst;
	size_t segcap, stcap;			/* allocated by the ladder_add_* */
};

/* Appends a segment; 0, or -1 when memory ran out. */
int ladder_add_segment(struct ladder *l, const struct segment *s);
/* Records both ends' states as seen at t_us (NULL or "" = not seen),
 * appending a change for each end whose state is new. 0 or -1. */
int ladder_observe(struct ladder *l, int64_t t_us, const char *client,
    const char *server);
/* Records a traced transition of side to state at t_us (in time order).
 * 0 or -1. */
int ladder_transition(struct ladder *l, int64_t t_us, enum side side,
    const char *state);
/* Frees the arrays the ladder_add_* and ladder_row_* allocated. */
void ladder_free(struct ladder *l);

/* The diagram as text lines of at most LADDER_TEXT_WIDTH columns. */
void ladder_text(const struct ladder *l, FILE *fp);
/* The diagram as a standalone SVG document. */
void ladder_svg(const struct ladder *l, FILE *fp);
/* The same with its ids prefixed by idp, for a page of several. */
void ladder_svg_ids(const struct ladder *l, FILE *fp, const char *idp);

/* store_row_fn with ctx a struct ladder, for STORE_Q_CASE (title,
 * addresses, wire, transitions), STORE_Q_CASE_TRANSITIONS,
 * STORE_Q_CASE_STATES (after the transitions: with them, a step's states
 * add only what the tracepoint cannot see, the TIME_WAIT mini-socket and
 * its end) and STORE_Q_CASE_SEGMENTS. Each returns 1 (stopping the query)
 * when memory ran out. */
int ladder_row_case(void *ctx, int ncols, const char *const *names,
    const struct store_value *vals);
int ladder_row_transitions(void *ctx, int ncols, const char *const *names,
    const struct store_value *vals);
int ladder_row_states(void *ctx, int ncols, const char *const *names,
    const struct store_value *vals);
int ladder_row_segments(void *ctx, int ncols, const char *const *names,
    const struct store_value *vals);

#endif
