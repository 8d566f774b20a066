/* relay.h: the relay, the wire of a relay case. The loop reads every
 * packet one namespace of the link sends (its TUN device) and writes it to
 * the other's, unless a rule of its case says otherwise: hold it (until a
 * release), drop it, delay it, or pass it and hold a copy; a case may also
 * have the relay inject a segment of its own making. Rules match a
 * direction and tcpdump's flags, as wire patterns do. What passes through
 * is the case's capture too: every segment as the relay passed it on
 * (held ones when delivered), marked with what the relay did. */
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
	RELAY_DROP,				/* never forward */
	RELAY_DUP,				/* forward, and keep a copy until a release */
	RELAY_DELAY				/* forward after a delay */
};

/* A segment to inject: from one end of the case's first pair to the
 * other; seq and ack relative to what the relay delivered so far in each
 * direction (the receiver's rcv_nxt, and the sender's). */
struct relay_inject {
	enum side from;				/* SIDE_CLIENT (C>S) or SIDE_SERVER */
	uint8_t flags;				/* TCPF_* */
	long seq_off;				/* seq = the next the receiver expects + this */
	long ack_off;				/* ack = the next the sender expects + this */
	int win;				/* window field; -1: the sender's last */
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
 * holds one of its packets for a release. 0 or -1 (no memory). */
int relay_case(struct relay *r, struct case_result *res, struct event *wake);
/* Registers connection pair of a registered case; again is a no-op. 0 or
 * -1. */
int relay_add(struct relay *r, const struct sockaddr *client,
    const struct sockaddr *server, struct case_result *res, int pair);
/* Relays what the devices hold now, and what the ends answer to it, until
 * the wire is quiet: before a relay step acts (so it sees everything the
 * ends sent before it), and before a case's segments are taken. */
void relay_drain(struct relay *r);
/* The case ends: the packets it still keeps (held, delayed) go to the
 * capture marked unreleased, and are dropped. */
void relay_settle(struct relay *r, struct case_result *res);
/* Unregisters res: its rules go, its held packets are dropped. */
void relay_remove(struct relay *r, struct case_result *res);

/* Adds a rule for res's packets from side from (SIDE_CLIENT, SIDE_SERVER,
 * or SIDE_BOTH for either) whose flags are flags (exactly; -1 any): act
 * (delay_us for RELAY_DELAY), for the next count of them (0: all). The
 * newest matching rule decides. 0, or -1 (no memory, or res not
 * registered). */
int relay_rule(struct relay *r, struct case_result *res, enum side from,
    int flags, enum relay_action act, int count, int64_t delay_us);
/* Removes every rule of res (held packets stay held). */
void relay_clear(struct relay *r, struct case_result *res);
/* Packets of res held for a release from side from (SIDE_BOTH: from
 * either); delayed ones are not counted. */
int relay_held(struct relay *r, struct case_result *res, enum side from);
/* Releases res's held packets: every one, in the order they were read;
 * or, together, the oldest from each side, back to back (the client's
 * first), when both sides have one. The number released, or -1 when a
 * write failed (errno). */
int relay_release(struct relay *r, struct case_result *res, int together);
/* Makes the segment spec says and delivers it. 0, or -1 with errno:
 * ENOTCONN when the first pair's connection has not been seen both ways. */
int relay_inject(struct relay *r, struct case_result *res,
    const struct relay_inject *spec);

#endif
