/* trans.h: state transitions, seen by a BPF program on the tracepoint
 * sock:inet_sock_set_state. The runner opens one trans for a run; each
 * case registers its 4-tuple and gets every state change of its two ends,
 * with a nanosecond time, in its case_result. Loading BPF needs CAP_BPF
 * and CAP_PERFMON (root) and a kernel with BTF; without them the run goes
 * on, its transitions not observed. */
#ifndef TEARDOWND_TRANS_H
#define TEARDOWND_TRANS_H

#include <stddef.h>

#include "scenario.h"
#include "trans.bpf.h"

struct event_base;
struct sockaddr;
struct trans;

/* Loads the BPF program, attaches it and watches its ring buffer on base.
 * Only sockets of the calling thread's network namespace, and of the
 * nextra namespaces whose cookies extra holds (63 at most), are traced. NULL
 * with a one-line reason in why when transitions cannot be observed. */
struct trans *trans_open(struct event_base *base, const uint64_t *extra,
    size_t nextra, char *why, size_t len);
/* A trans without BPF: events come through trans_feed (tests). NULL
 * without memory. */
struct trans *trans_new(void);
/* Detaches and frees; cases still registered are not observed. */
void trans_close(struct trans *tr);

/* Registers a connection of a case, its client/server pair number pair:
 * state changes of the socket whose local and remote addresses are client
 * and server (its client end) or server and client (its server end) go to
 * res->tr, timed from res->mono0_us. The same connection again (a
 * reconnect from the same port) is kept once.
 * Register after connect(2) and before control returns to the event loop:
 * the handshake's first changes, made before the socket had both ports,
 * are then still pending, and are matched by socket cookie. 0, or -1. */
int trans_add(struct trans *tr, const struct sockaddr *client,
    const struct sockaddr *server, struct case_result *res, int pair);
/* Reads every pending record: each state change made before the call is
 * then in its case's res->tr. */
void trans_sync(struct trans *tr);
/* Reads what is pending, then unregisters every connection of res and
 * sets res->trans:
 * TRANS_OBSERVED only when res->tr holds every state change of its ends
 * (no record dropped, no failure). A NULL tr or an unregistered res is
 * left as it is. */
void trans_remove(struct trans *tr, struct case_result *res);

/* Hands one record to the case it belongs to, if any (tests; trans_sync
 * for the ring buffer's). */
void trans_feed(struct trans *tr, const struct trans_event *ev);

#endif
