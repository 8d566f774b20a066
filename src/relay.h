/* relay.h: the relay, the wire of a relay case. The loop reads every
 * packet one namespace of the link sends (its TUN device) and writes it to
 * the other's, unless a rule of its case says otherwise: hold it (until a
 * release), or drop it. Rules match a direction and tcpdump's flags, as
 * wire patterns do. What passes through is the case's capture too: every
 * segment as the relay passed it on (held ones when delivered), marked
 * passed, held, dropped or unreleased. */
#ifndef TEARDOWND_RELAY_H
#define TEARDOWND_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

struct capture;
struct event;
struct event_base;
struct link;
struct relay;
struct sockaddr;

enum relay_action {
	RELAY_PASS,				/* forward at once */
	RELAY_HOLD,				/* keep until a release */
	RELAY_DROP				/* never forward */
};

/* Forwards between the link's two TUN devices on base. NULL with a
 * one-line reason in why. */
struct relay *relay_open(struct event_base *base, struct link *l, char *why,
    size_t len);
/* Stops forwarding; held packets are dropped. NULL is a no-op. */
void relay_close(struct relay *r);
/* The capture relay cases register with (capture_add, capture_remove):
 * it is fed by the relay, not by libpcap, and needs no privilege. */
struct capture *relay_capture(struct relay *r);

/* Registers a case: its rules and held packets are the case's, for all
 * its connections; wake (if not NULL) is made active whenever the relay
 * holds one of its packets. 0 or -1 (no memory). */
int relay_case(struct relay *r, struct case_result *res, struct event *wake);
/* Registers a connection of a registered case; again is a no-op. 0 or -1. */
int relay_add(struct relay *r, const struct sockaddr *client,
    const struct sockaddr *server, struct case_result *res);
/* Reads what the devices hold now (before a case's segments are taken). */
void relay_drain(struct relay *r);
/* The case ends: the packets it still holds go to the capture marked
 * unreleased, and are dropped. */
void relay_settle(struct relay *r, struct case_result *res);
/* Unregisters res: its rules go, its held packets are dropped. */
void relay_remove(struct relay *r, struct case_result *res);

/* Adds a rule for res's packets from side from (SIDE_CLIENT, SIDE_SERVER,
 * or SIDE_BOTH for either) whose flags are flags (exactly; -1 any): act,
 * for the next count of them (0: all). The newest matching rule decides.
 * 0, or -1 (no memory, or res not registered). */
int relay_rule(struct relay *r, struct case_result *res, enum side from,
    int flags, enum relay_action act, int count);
/* Removes every rule of res (held packets stay held). */
void relay_clear(struct relay *r, struct case_result *res);
/* Packets of res held from side from (SIDE_BOTH: from either). */
int relay_held(struct relay *r, struct case_result *res, enum side from);
/* Releases res's held packets: every one, in the order they were read;
 * or, together, the oldest from each side, back to back (the client's
 * first), when both sides have one. The number released, or -1 when a
 * write failed (errno). */
int relay_release(struct relay *r, struct case_result *res, int together);

#endif
