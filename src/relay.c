/* relay.c: the relay (relay.h). Each TUN device is watched on the loop; a
 * packet read from one side goes, by its 4-tuple, to its case, whose rules
 * (newest first) say pass, hold, drop, delay or duplicate; what is
 * delivered is written to the other side's device. A write to a TUN device
 * is received by its namespace before write() returns, so two packets
 * released together are both in before either end has answered the
 * other. Packets of no case (a case's clean-up RSTs, IPv6 neighbour
 * traffic) pass.
 *
 * The case's capture gets each packet when the relay is done with it:
 * passed or dropped when read, held, delayed or copied when delivered,
 * injected when made. The two devices are read in the order the loop
 * reports them, which is not always the order the ends sent in;
 * deliveries are in the relay's order, so a script that holds and
 * releases gets the same wire every time. Each connection keeps the next
 * sequence number delivered each way, for injected segments. */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <pcap/dlt.h>

#include "capture.h"
#include "clock.h"
#include "craft.h"
#include "flowtab.h"
#include "link.h"
#include "log.h"
#include "relay.h"
#include "rules.h"
#include "run.h"

#define RELAY_MTU	65536		/* read buffer: a TUN packet at most */
#define RELAY_BURST	256		/* packets read per event, at most */
#define DRAIN_ROUNDS	16		/* relay_drain's passes, at most */

/* A packet kept by the relay: for a release, or until it is due. */
struct held {
	enum side from;				/* the side that sent it */
	enum seg_mark mark;			/* as delivered: held, duplicate, delayed */
	int64_t read_us;			/* when the relay read it (monotonic) */
	int64_t due_us;				/* delayed: deliver then; 0 for a release */
	size_t len;
	struct held *next;			/* the next younger */
	unsigned char data[];			/* the IP packet */
};

/* A case's state in the relay. */
struct rcase {
	struct relay *r;
	struct case_result *res;		/* whose packets these are */
	struct flow_link *flows;		/* its connections, newest first */
	struct event *wake;			/* made active when one is held */
	struct event *ev_due;			/* the next delayed one is due */
	struct rule *rules;			/* newest first */
	struct held *head, *tail;		/* kept, oldest first */
	int nheld[2];				/* held for a release, per side */
};

/* A connection of a case. */
struct rflow {
	struct flow_link link;			/* first: the table's part */
	struct rcase *rc;
	int pair;				/* the case's client/server pair */
	int known[2];				/* a segment went that way */
	uint32_t nxt[2];			/* per sender: the next seq delivered */
	uint16_t win[2];			/* per sender: its last window field */
};

struct relay {
	struct event_base *base;
	struct link *link;			/* borrowed */
	struct flowtab flows;			/* every registered connection */
	struct capture *cap;			/* relay cases' segments */
	struct event *ev[2];			/* [side]: its TUN device readable */
	unsigned char buf[RELAY_MTU];		/* the packet being read */
	uint64_t strangers;			/* packets of no case, passed */
};

/* Writes a packet to the TUN device of the side it goes to. 0 or -1. */
static int
relay_send(struct relay *r, enum side from, const void *p, size_t len)
{
	ssize_t n = write(link_tun(r->link, from == SIDE_CLIENT ? SIDE_SERVER :
	    SIDE_CLIENT), p, len);

	if (n == (ssize_t)len)
		return 0;
	log_warn("relay: a packet of %zu bytes was not delivered", len);
	return -1;
}

/* Whether sequence number a is after b (RFC 9293's modular comparison). */
static int
seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* Notes a segment delivered on its connection: the next seq its sender
 * has delivered, and its window. */
static void
flow_track(struct rflow *fl, enum side from, const struct frame *f)
{
	uint32_t end = f->seq + f->len + !!(f->flags & TCPF_SYN) +
	    !!(f->flags & TCPF_FIN);

	if (f->flags & TCPF_RST)
		return;
	/* A SYN starts the sequence space again (a reconnect from the same
	 * port reuses the flow). */
	if (!fl->known[from] || (f->flags & TCPF_SYN) ||
	    seq_after(end, fl->nxt[from]))
		fl->nxt[from] = end;
	fl->known[from] = 1;
	fl->win[from] = f->win;
}

/* Delivers a packet of a case and records it, marked; its time is taken
 * before the write, which the receiving end handles before it returns.
 * held_us is -1 unless the relay kept it. 0 or -1. */
static int
deliver(struct relay *r, struct rflow *fl, enum side from, const void *p,
    size_t len, enum seg_mark mark, int64_t held_us)
{
	int64_t us = clock_wall_us();
	struct frame f;
	int rc;

	if (capture_parse(DLT_RAW, p, len, &f) == 0)
		flow_track(fl, from, &f);
	rc = relay_send(r, from, p, len);
	capture_feed_mark(r->cap, DLT_RAW, p, len, us, mark, held_us);
	return rc;
}

/* Arms rc's timer for its earliest delayed packet, if any. */
static void
due_arm(struct rcase *rc)
{
	struct held *h;
	struct timeval tv;
	int64_t at = 0, now;

	for (h = rc->head; h != NULL; h = h->next)
		if (h->due_us != 0 && (at == 0 || h->due_us < at))
			at = h->due_us;
	if (at == 0 || rc->ev_due == NULL)
		return;
	now = clock_mono_us();
	at = at > now ? at - now : 0;
	tv.tv_sec = at / 1000000;
	tv.tv_usec = at % 1000000;
	evtimer_add(rc->ev_due, &tv);
}

/* Keeps a copy of a packet in rc's list: for a release (due 0), or until
 * due. 0 or -1. */
static int
keep(struct rcase *rc, enum side from, const void *p, size_t len,
    enum seg_mark mark, int64_t due)
{
	struct held *h;

	if ((h = malloc(sizeof(*h) + len)) == NULL)
		return -1;
	h->from = from;
	h->mark = mark;
	h->read_us = clock_mono_us();
	h->due_us = due;
	h->len = len;
	h->next = NULL;
	memcpy(h->data, p, len);
	if (rc->tail != NULL)
		rc->tail->next = h;
	else
		rc->head = h;
	rc->tail = h;
	if (due == 0)
		rc->nheld[from]++;
	else
		due_arm(rc);
	return 0;
}

/* The newest connection of rc's pair, or NULL. */
static struct rflow *
pair_flow(struct rcase *rc, int pair)
{
	struct flow_link *fl;

	for (fl = rc->flows; fl != NULL; fl = fl->onext)
		if (((struct rflow *)fl)->pair == pair)
			return (struct rflow *)fl;
	return NULL;
}

/* The flow a kept packet belongs to (its case may have more than one). */
static struct rflow *
held_flow(struct relay *r, const struct held *h)
{
	struct frame f;
	enum side dir;

	if (capture_parse(DLT_RAW, h->data, h->len, &f) == -1)
		return NULL;
	return (struct rflow *)flowtab_find(&r->flows, f.af, f.src, f.sport,
	    f.dst, f.dport, &dir);
}

/* Delivers a kept packet (or, unreleased, only records it), and frees
 * it. 0 or -1. */
static int
held_out(struct relay *r, struct held *h, int unreleased)
{
	struct rflow *fl = held_flow(r, h);
	int64_t kept = clock_mono_us() - h->read_us;
	int rc = 0;

	if (unreleased)
		capture_feed_mark(r->cap, DLT_RAW, h->data, h->len,
		    clock_wall_us(), MARK_UNRELEASED, kept);
	else if (fl != NULL)
		rc = deliver(r, fl, h->from, h->data, h->len, h->mark, kept);
	else
		rc = relay_send(r, h->from, h->data, h->len);
	free(h);
	return rc;
}

/* Takes the oldest kept packet of rc that fits: held for a release from
 * side from (SIDE_BOTH: either), or, with due set, delayed and due by
 * then. NULL if none. */
static struct held *
held_take(struct rcase *rc, enum side from, int64_t due)
{
	struct held **pp, *h, *prev = NULL;

	for (pp = &rc->head; (h = *pp) != NULL; prev = h, pp = &h->next) {
		if (due != 0 ? h->due_us != 0 && h->due_us <= due :
		    h->due_us == 0 && (from == SIDE_BOTH || h->from == from))
			break;
	}
	if (h == NULL)
		return NULL;
	*pp = h->next;
	if (rc->tail == h)
		rc->tail = prev;
	if (h->due_us == 0)
		rc->nheld[h->from]--;
	return h;
}

/* A case's delayed packets are due: deliver them, in order. */
static void
relay_on_due(evutil_socket_t fd, short what, void *arg)
{
	struct rcase *rc = arg;
	struct held *h;

	while ((h = held_take(rc, SIDE_BOTH, clock_mono_us())) != NULL)
		held_out(rc->r, h, 0);
	due_arm(rc);
}

/* One packet read from side from's device. */
static void
relay_packet(struct relay *r, enum side from, size_t len)
{
	struct rflow *fl;
	struct frame f;
	const struct rule *ru;
	enum side dir;
	enum relay_action act = RELAY_PASS;
	int64_t due = 0;

	if (capture_parse(DLT_RAW, r->buf, len, &f) == -1 ||
	    (fl = (struct rflow *)flowtab_find(&r->flows, f.af, f.src, f.sport,
	    f.dst, f.dport, &dir)) == NULL) {
		r->strangers++;
		relay_send(r, from, r->buf, len);
		return;
	}
	if ((ru = rules_match(fl->rc->rules, dir, f.flags)) != NULL)
		act = ru->act;
	if (act == RELAY_DELAY)
		due = clock_mono_us() + ru->delay_us;
	if ((act == RELAY_HOLD || act == RELAY_DELAY || act == RELAY_DUP) &&
	    keep(fl->rc, dir, r->buf, len, act == RELAY_HOLD ? MARK_HELD :
	    act == RELAY_DELAY ? MARK_DELAYED : MARK_DUPLICATE, due) == -1) {
		log_warnx("relay: out of memory keeping a packet: %s",
		    act == RELAY_DUP ? "not copied" : "dropped");
		act = act == RELAY_DUP ? RELAY_PASS : RELAY_DROP;
	}
	if (act == RELAY_HOLD || act == RELAY_DUP) {
		if (fl->rc->wake != NULL)
			event_active(fl->rc->wake, EV_TIMEOUT, 0);
	}
	if (act == RELAY_PASS || act == RELAY_DUP)
		deliver(r, fl, dir, r->buf, len, MARK_PASSED, -1);
	else if (act == RELAY_DROP)
		capture_feed_mark(r->cap, DLT_RAW, r->buf, len, clock_wall_us(),
		    MARK_DROPPED, -1);
}

/* Relays up to RELAY_BURST packets side's device holds; how many. */
static int
relay_read(struct relay *r, enum side from)
{
	ssize_t n;
	int i;

	for (i = 0; i < RELAY_BURST; i++) {
		if ((n = read(link_tun(r->link, from), r->buf, sizeof(r->buf))) <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("relay: read");
			break;
		}
		relay_packet(r, from, (size_t)n);
	}
	return i;
}

/* Relays what the devices hold, and what the ends answer to it, until
 * neither holds anything (at most DRAIN_ROUNDS passes). */
void
relay_drain(struct relay *r)
{
	int i;

	for (i = 0; r != NULL && i < DRAIN_ROUNDS; i++)
		if (relay_read(r, SIDE_CLIENT) + relay_read(r, SIDE_SERVER) == 0)
			break;
}

/* A TUN device is readable: relay what its namespace sent, and the
 * answers to it (a handshake in one go, not one loop turn per segment). */
static void
relay_on_read(evutil_socket_t fd, short what, void *arg)
{
	relay_drain(arg);
}

/* Forwards between the link's devices on base. */
struct relay *
relay_open(struct event_base *base, struct link *l, char *why, size_t len)
{
	struct relay *r;
	int k;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->cap = capture_new()) == NULL) {
		snprintf(why, len, "out of memory");
		relay_close(r);
		return NULL;
	}
	r->base = base;
	r->link = l;
	for (k = 0; k < 2; k++)
		if ((r->ev[k] = event_new(base, link_tun(l, (enum side)k),
		    EV_READ | EV_PERSIST, relay_on_read, r)) == NULL ||
		    (event_base_get_npriorities(base) > RUN_PRIOS - 1 &&
		    event_priority_set(r->ev[k], RUN_PRIO_WIRE) == -1) ||
		    event_add(r->ev[k], NULL) == -1) {
			snprintf(why, len, "cannot watch the relay's devices");
			relay_close(r);
			return NULL;
		}
	return r;
}

/* Stops forwarding. */
void
relay_close(struct relay *r)
{
	struct flow_link *fl;
	size_t i;
	int k;

	if (r == NULL)
		return;
	for (k = 0; k < 2; k++)
		if (r->ev[k] != NULL)
			event_free(r->ev[k]);
	for (i = 0; i < r->flows.nbucket; i++)
		while ((fl = r->flows.bucket[i]) != NULL)
			relay_remove(r, ((struct rflow *)fl)->rc->res);
	flowtab_free(&r->flows);
	capture_close(r->cap);
	if (r->strangers > 0)
		log_debug("relay: %llu packets of no case passed",
		    (unsigned long long)r->strangers);
	free(r);
}

/* The capture relay cases register with. */
struct capture *
relay_capture(struct relay *r)
{
	return r->cap;
}

/* Registers a case. */
int
relay_case(struct relay *r, struct case_result *res, struct event *wake)
{
	struct rcase *rc = res->relay_ctx;

	if (rc == NULL) {
		if ((rc = calloc(1, sizeof(*rc))) == NULL)
			return -1;
		if ((rc->ev_due = evtimer_new(r->base, relay_on_due, rc)) == NULL) {
			free(rc);
			return -1;
		}
		rc->r = r;
		rc->res = res;
		res->relay_ctx = rc;
	}
	rc->wake = wake;
	return 0;
}

/* Registers a connection of a case. */
int
relay_add(struct relay *r, const struct sockaddr *client,
    const struct sockaddr *server, struct case_result *res, int pair)
{
	struct rcase *rc = res->relay_ctx;
	struct rflow *fl;
	int fresh;

	if (rc == NULL)
		return -1;
	if ((fl = (struct rflow *)flowtab_register(&r->flows, client, server,
	    &rc->flows, sizeof(*fl), &fresh)) == NULL)
		return -1;
	fl->rc = rc;
	fl->pair = pair;
	return 0;
}

/* The case ends: what it still holds is recorded as unreleased. */
void
relay_settle(struct relay *r, struct case_result *res)
{
	struct rcase *rc = res->relay_ctx;
	struct held *h;

	while (rc != NULL && (h = rc->head) != NULL) {
		rc->head = h->next;
		held_out(r, h, 1);
	}
	if (rc != NULL) {
		rc->tail = NULL;
		rc->nheld[0] = rc->nheld[1] = 0;
	}
}

/* Unregisters res: its rules go, its held packets are dropped. */
void
relay_remove(struct relay *r, struct case_result *res)
{
	struct rcase *rc = res->relay_ctx;
	struct flow_link *fl, *next;
	struct held *h;

	if (r == NULL || rc == NULL)
		return;
	for (fl = rc->flows; fl != NULL; fl = next) {
		next = fl->onext;
		flowtab_del(&r->flows, fl);
		free(fl);
	}
	relay_clear(r, res);
	while ((h = rc->head) != NULL) {
		rc->head = h->next;
		free(h);
	}
	event_free(rc->ev_due);
	free(rc);
	res->relay_ctx = NULL;
}

/* Adds a rule for res's packets. */
int
relay_rule(struct relay *r, struct case_result *res, enum side from,
    int flags, enum relay_action act, int count, int64_t delay_us)
{
	struct rcase *rc = res->relay_ctx;

	if (rc == NULL)
		return -1;
	return rules_add(&rc->rules, from, flags, act, count, delay_us);
}

/* Removes every rule of res. */
void
relay_clear(struct relay *r, struct case_result *res)
{
	struct rcase *rc = res->relay_ctx;

	if (rc != NULL)
		rules_clear(&rc->rules);
}

/* Packets of res held for a release from a side. */
int
relay_held(struct relay *r, struct case_result *res, enum side from)
{
	struct rcase *rc = res->relay_ctx;

	if (rc == NULL)
		return 0;
	return from == SIDE_BOTH ? rc->nheld[0] + rc->nheld[1] : rc->nheld[from];
}

/* Releases res's held packets: all in order, or one from each side. */
int
relay_release(struct relay *r, struct case_result *res, int together)
{
	struct rcase *rc = res->relay_ctx;
	struct held *h[2];
	struct rflow *fl[2];
	int64_t us[2], kept[2];
	int n = 0, k, bad = 0;

	if (rc == NULL)
		return 0;
	if (!together) {
		while ((h[0] = held_take(rc, SIDE_BOTH, 0)) != NULL) {
			bad |= held_out(r, h[0], 0);
			n++;
		}
		return bad ? -1 : n;
	}
	if (rc->nheld[SIDE_CLIENT] == 0 || rc->nheld[SIDE_SERVER] == 0)
		return 0;
	h[0] = held_take(rc, SIDE_CLIENT, 0);
	h[1] = held_take(rc, SIDE_SERVER, 0);
	for (k = 0; k < 2; k++) {		/* back to back, then recorded */
		struct frame f;

		fl[k] = held_flow(r, h[k]);
		us[k] = clock_wall_us();
		kept[k] = clock_mono_us() - h[k]->read_us;
		if (fl[k] != NULL && capture_parse(DLT_RAW, h[k]->data,
		    h[k]->len, &f) == 0)
			flow_track(fl[k], h[k]->from, &f);
		bad |= relay_send(r, h[k]->from, h[k]->data, h[k]->len);
	}
	for (k = 0; k < 2; k++) {
		capture_feed_mark(r->cap, DLT_RAW, h[k]->data, h[k]->len, us[k],
		    h[k]->mark, kept[k]);
		free(h[k]);
	}
	return bad ? -1 : 2;
}

/* Makes a segment and delivers it. */
int
relay_inject(struct relay *r, struct case_result *res,
    const struct relay_inject *spec)
{
	struct rcase *rc = res->relay_ctx;
	uint8_t pkt[CRAFT_MAX];
	struct rflow *fl;
	struct craft c;
	struct frame f;
	size_t len;
	int64_t us;
	int rc2;

	if (rc == NULL || (fl = pair_flow(rc, 1)) == NULL ||
	    !fl->known[SIDE_CLIENT] || !fl->known[SIDE_SERVER]) {
		errno = ENOTCONN;
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.t = &fl->link.t;
	c.from = spec->from;
	c.flags = spec->flags;
	c.seq = fl->nxt[spec->from] + (uint32_t)spec->seq_off;
	c.ack = fl->nxt[!spec->from] + (uint32_t)spec->ack_off;
	c.win = spec->win >= 0 ? (uint16_t)spec->win : fl->win[spec->from];
	len = craft_segment(&c, pkt);
	if (capture_parse(DLT_RAW, pkt, len, &f) == 0)
		flow_track(fl, spec->from, &f);	/* a FIN or SYN counts */
	us = clock_wall_us();
	rc2 = relay_send(r, spec->from, pkt, len);
	capture_feed_mark(r->cap, DLT_RAW, pkt, len, us, MARK_INJECTED, -1);
	return rc2;
}
