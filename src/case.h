/* case.h: one case: a listener, its clients and their accepted ends,
 * stepping through a scenario's script on the runner's event loop,
 * observed after each step. */
#ifndef TEARDOWND_CASE_H
#define TEARDOWND_CASE_H

#include <stdint.h>

#include "scenario.h"

struct capture;
struct event_base;
struct link;
struct probe;
struct relay;
struct tcase;
struct trans;
struct workers;

/* A link the run uses, for the scenarios of its kind whose sysctls are
 * key: its relay (relay) or its capture (veth). */
struct relay_slot {
	enum link_kind kind;			/* LINK_RELAY or LINK_VETH */
	const char *key;			/* a scenario's netkey; "" none */
	struct link *link;			/* the namespaces; NULL: cases skipped */
	struct relay *relay;			/* relay: NULL: its cases are skipped */
	struct capture *cap;			/* veth: libpcap there; NULL: not observed */
	char why[160];				/* why they are */
};

/* What every case of a run shares; the runner's. */
struct case_env {
	struct event_base *base;
	struct probe *probe;			/* sock_diag */
	struct qring *qring;			/* queue lengths; NULL: by ioctl */
	struct capture *cap;			/* the wire, or NULL: not observed */
	struct trans *trans;			/* transitions, or NULL: not observed */
	struct workers *workers;		/* for the calls that may block */
	enum link_kind link;			/* of scenarios without a link key */
	struct relay_slot *relays;		/* one per link the plan uses */
	size_t nrelays;
	int fds;				/* sockets the cases hold now */
	unsigned since_drain;			/* case calls since trans was read */
	unsigned lacks;				/* NEED_*: what this environment cannot do */
	char lack_why[2][160];			/* why, for NEED_FILTER and NEED_TRANS */
};

/* Called once when the case has ended (passed, failed, timed out). */
typedef void (*case_done_fn)(struct tcase *tc, void *arg);

/* Starts a case; it reports through done, never from inside case_start.
 * NULL only when memory ran out. */
struct tcase *case_start(struct case_env *env, const struct scenario *sc,
    enum family fam, int rep, int64_t timeout_us, case_done_fn done,
    void *arg);
/* The case's result; complete once done has been called. */
struct case_result *case_result(struct tcase *tc);
/* Where the runner keeps the case (its plan index); set and read by it. */
size_t *case_slot(struct tcase *tc);
/* Ends a running case now, because the run was stopped: its sockets are
 * closed, the step in progress is recorded as abandoned with why, its
 * verdict is abandoned; done is called. */
void case_abandon(struct tcase *tc, const char *why);
/* Frees the case and its result. */
void case_free(struct tcase *tc);
/* Frees an ended case but keeps its result, which the caller then owns
 * (plain data: any thread may read and free it); NULL when memory ran
 * out (the result is lost with the case). */
struct case_result *case_detach(struct tcase *tc);
/* Frees a result case_detach handed out; NULL is a no-op. */
void case_result_free(struct case_result *cr);
/* The sockets a case of sc holds at most at once. */
int case_fds(const struct scenario *sc);
/* How long a case of sc may spend waiting, at most: its sleeps, its relay
 * delays and the bounds of its waits, in microseconds. */
int64_t case_wait_bound(const struct scenario *sc);

#endif
