/* case.h: one client/server socket pair stepping through a scenario's
 * script on the runner's event loop, observed at both ends after each step. */
#ifndef TEARDOWND_CASE_H
#define TEARDOWND_CASE_H

#include <stdint.h>

#include "scenario.h"

struct capture;
struct event_base;
struct probe;
struct tcase;
struct trans;

/* Called once when the case has ended (passed, failed, timed out). */
typedef void (*case_done_fn)(struct tcase *tc, void *arg);

/* Starts a case on base; it reports through done, never from inside
 * case_start. Its segments come from cap (NULL: the wire is not
 * observed), its state transitions from trans (NULL: not observed). NULL
 * only when memory ran out. */
struct tcase *case_start(struct event_base *base, struct probe *probe,
    struct capture *cap, struct trans *trans, const struct scenario *sc,
    enum family fam, int rep, int64_t timeout_us, case_done_fn done,
    void *arg);
/* The case's result; complete once done has been called. */
struct case_result *case_result(struct tcase *tc);
/* Ends a running case now: its sockets are closed, the step in progress is
 * recorded as timed out with why; done is called. */
void case_abandon(struct tcase *tc, const char *why);
/* Frees the case and its result. */
void case_free(struct tcase *tc);

#endif
