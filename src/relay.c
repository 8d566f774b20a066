/* relay.c: the relay (relay.h). Each TUN device is watched on the loop; a
 * packet read from one side goes, by its 4-tuple, to its case, whose rules
 * (newest first) say pass, hold or drop; passed packets are written to the
 * other side's device at once, held ones when released. A write to a TUN
 * device is received by its namespace before write() returns, so two
 * packets released together are both in before either end has answered
 * the other. Packets of no case (a case's clean-up RSTs, IPv6 neighbour
 * traffic) pass.
 *
 * The case's capture gets each packet when the relay is done with it:
 * passed or dropped when read, held when delivered. The two devices are
 * read in the order the loop reports them, which is not always the order
 * the ends sent in; deliveries are in the relay's order, so a script that
 * holds and releases gets the same wire every time. */
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
#include "flowtab.h"
#include "link.h"
#include "log.h"
#include "relay.h"

#define RELAY_MTU	65536		/* read buffer: a TUN packet at most */
#define RELAY_BURST	256		/* packets read per event, at most */

/* A rule of a case. */
struct rule {
	enum side from;				/* SIDE_CLIENT, SIDE_SERVER, SIDE_BOTH */
	int flags;				/* exact TCP flags, -1 any */
	enum relay_action act;
	int left;				/* packets it still applies to; -1 all */
	struct rule *next;			/* the next older rule */
};

/* A packet held for a release. */
struct held {
	enum side from;				/* the side that sent it */
	int64_t read_us;			/* when the relay read it (monotonic) */
	size_t len;
	struct held *next;			/* the next younger */
	unsigned char data[];			/* the IP packet */
};

/* A case's state in the relay. */
struct rcase {
	struct case_result *res;		/* whose packets these are */
	struct flow_link *flows;		/* its connections */
	struct event *wake;			/* made active when one is held */
	struct rule *rules;			/* newest first */
	struct held *head, *tail;		/* held, oldest first */
	int nheld[2];				/* held per side */
};

/* A connection of a case. */
struct rflow {
	struct flow_link link;			/* first: the table's part */
	struct rcase *rc;
};

struct relay {
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

/* The newest rule of rc that applies to a packet from side from with
 * flags flags; NULL: pass. Uses one of its count. */
static struct rule *
rule_match(struct rcase *rc, enum side from, uint8_t flags)
{
	struct rule *ru;

	for (ru = rc->rules; ru != NULL; ru = ru->next) {
		if (ru->left == 0 || (ru->from != SIDE_BOTH && ru->from != from) ||
		    (ru->flags >= 0 && ru->flags != flags))
			continue;
		if (ru->left > 0)
			ru->left--;
		return ru;
	}
	return NULL;
}

/* Keeps a copy of a packet in rc's held list. 0 or -1. */
static int
hold(struct rcase *rc, enum side from, const void *p, size_t len)
{
	struct held *h;

	if ((h = malloc(sizeof(*h) + len)) == NULL)
		return -1;
	h->from = from;
	h->read_us = clock_mono_us();
	h->len = len;
	h->next = NULL;
	memcpy(h->data, p, len);
	if (rc->tail != NULL)
		rc->tail->next = h;
	else
		rc->head = h;
	rc->tail = h;
	rc->nheld[from]++;
	return 0;
}

/* One packet read from side from's device. */
static void
relay_packet(struct relay *r, enum side from, size_t len)
{
	struct rflow *fl;
	struct frame f;
	struct rule *ru;
	enum side dir;
	enum relay_action act = RELAY_PASS;

	if (capture_parse(DLT_RAW, r->buf, len, &f) == -1 ||
	    (fl = (struct rflow *)flowtab_find(&r->flows, f.af, f.src, f.sport,
	    f.dst, f.dport, &dir)) == NULL) {
		r->strangers++;
		relay_send(r, from, r->buf, len);
		return;
	}
	if ((ru = rule_match(fl->rc, dir, f.flags)) != NULL)
		act = ru->act;
	if (act == RELAY_HOLD && hold(fl->rc, dir, r->buf, len) == -1) {
		log_warnx("relay: out of memory holding a packet: dropped");
		act = RELAY_DROP;
	}
	if (act == RELAY_HOLD) {
		if (fl->rc->wake != NULL)
			event_active(fl->rc->wake, EV_TIMEOUT, 0);
		return;
	}
	capture_feed_mark(r->cap, DLT_RAW, r->buf, len, clock_wall_us(),
	    act == RELAY_PASS ? MARK_PASSED : MARK_DROPPED, -1);
	if (act == RELAY_PASS)
		relay_send(r, from, r->buf, len);
}

/* A TUN device is readable: relay what its namespace sent. */
static void
relay_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct relay *r = arg;
	enum side from = fd == link_tun(r->link, SIDE_CLIENT) ? SIDE_CLIENT :
	    SIDE_SERVER;
	ssize_t n;
	int i;

	for (i = 0; i < RELAY_BURST; i++) {
		if ((n = read(fd, r->buf, sizeof(r->buf))) <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("relay: read");
			return;
		}
		relay_packet(r, from, (size_t)n);
	}
}

/* Reads what both devices hold now. */
void
relay_drain(struct relay *r)
{
	int k;

	for (k = 0; r != NULL && k < 2; k++)
		relay_on_read(link_tun(r->link, (enum side)k), EV_READ, r);
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
	r->link = l;
	for (k = 0; k < 2; k++)
		if ((r->ev[k] = event_new(base, link_tun(l, (enum side)k),
		    EV_READ | EV_PERSIST, relay_on_read, r)) == NULL ||
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
		rc->res = res;
		res->relay_ctx = rc;
	}
	rc->wake = wake;
	return 0;
}

/* Registers a connection of a case. */
int
relay_add(struct relay *r, const struct sockaddr *client,
    const struct sockaddr *server, struct case_result *res)
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
	return 0;
}

/* Drops rc's held packets. */
static void
held_drop(struct rcase *rc)
{
	struct held *h;

	while ((h = rc->head) != NULL) {
		rc->head = h->next;
		free(h);
	}
	rc->tail = NULL;
	rc->nheld[0] = rc->nheld[1] = 0;
}

/* Unregisters res: its rules go, its held packets are dropped. */
void
relay_remove(struct relay *r, struct case_result *res)
{
	struct rcase *rc = res->relay_ctx;
	struct flow_link *fl, *next;

	if (r == NULL || rc == NULL)
		return;
	for (fl = rc->flows; fl != NULL; fl = next) {
		next = fl->onext;
		flowtab_del(&r->flows, fl);
		free(fl);
	}
	relay_clear(r, res);
	held_drop(rc);
	free(rc);
	res->relay_ctx = NULL;
}

/* Adds a rule for res's packets. */
int
relay_rule(struct relay *r, struct case_result *res, enum side from,
    int flags, enum relay_action act, int count)
{
	struct rcase *rc = res->relay_ctx;
	struct rule *ru;

	if (rc == NULL || (ru = calloc(1, sizeof(*ru))) == NULL)
		return -1;
	ru->from = from;
	ru->flags = flags;
	ru->act = act;
	ru->left = count > 0 ? count : -1;
	ru->next = rc->rules;
	rc->rules = ru;
	return 0;
}

/* Removes every rule of res. */
void
relay_clear(struct relay *r, struct case_result *res)
{
	struct rcase *rc = res->relay_ctx;
	struct rule *ru;

	while (rc != NULL && (ru = rc->rules) != NULL) {
		rc->rules = ru->next;
		free(ru);
	}
}

/* Packets of res held from a side. */
int
relay_held(struct relay *r, struct case_result *res, enum side from)
{
	struct rcase *rc = res->relay_ctx;

	if (rc == NULL)
		return 0;
	return from == SIDE_BOTH ? rc->nheld[0] + rc->nheld[1] : rc->nheld[from];
}

/* Takes the oldest held packet from side from (SIDE_BOTH: any) off rc's
 * list; NULL if none. */
static struct held *
held_take(struct rcase *rc, enum side from)
{
	struct held **pp, *h;

	for (pp = &rc->head; (h = *pp) != NULL; pp = &h->next)
		if (from == SIDE_BOTH || h->from == from)
			break;
	if (h == NULL)
		return NULL;
	*pp = h->next;
	if (rc->tail == h) {
		for (rc->tail = rc->head; rc->tail != NULL &&
		    rc->tail->next != NULL; rc->tail = rc->tail->next)
			;
	}
	rc->nheld[h->from]--;
	return h;
}

/* Hands a held packet to the capture, marked, as delivered (or given
 * up) at wall-clock us and monotonic mono, and frees it. */
static void
held_record(struct relay *r, struct held *h, enum seg_mark mark, int64_t us,
    int64_t mono)
{
	capture_feed_mark(r->cap, DLT_RAW, h->data, h->len, us, mark,
	    mono - h->read_us);
	free(h);
}

/* Delivers a held packet and records it; its time is taken before the
 * write, which the receiving end handles before it returns. 0 or -1. */
static int
held_deliver(struct relay *r, struct held *h, int64_t *us, int64_t *mono)
{
	*us = clock_wall_us();
	*mono = clock_mono_us();
	return relay_send(r, h->from, h->data, h->len);
}

/* Releases res's held packets: all in order, or one from each side. */
int
relay_release(struct relay *r, struct case_result *res, int together)
{
	struct rcase *rc = res->relay_ctx;
	struct held *h[2];
	int64_t us[2], mono[2];
	int n = 0, k, rc2 = 0;

	if (rc == NULL)
		return 0;
	if (together) {
		if (rc->nheld[SIDE_CLIENT] == 0 || rc->nheld[SIDE_SERVER] == 0)
			return 0;
		h[0] = held_take(rc, SIDE_CLIENT);
		h[1] = held_take(rc, SIDE_SERVER);
		for (k = 0; k < 2; k++)		/* back to back, then recorded */
			rc2 |= held_deliver(r, h[k], &us[k], &mono[k]);
		for (k = 0; k < 2; k++)
			held_record(r, h[k], MARK_HELD, us[k], mono[k]);
		return rc2 == 0 ? 2 : -1;
	}
	while ((h[0] = held_take(rc, SIDE_BOTH)) != NULL) {
		rc2 |= held_deliver(r, h[0], &us[0], &mono[0]);
		held_record(r, h[0], MARK_HELD, us[0], mono[0]);
		n++;
	}
	return rc2 == 0 ? n : -1;
}

/* The case ends: what it still holds is recorded as unreleased. */
void
relay_settle(struct relay *r, struct case_result *res)
{
	struct rcase *rc = res->relay_ctx;
	struct held *h;

	while (rc != NULL && (h = held_take(rc, SIDE_BOTH)) != NULL)
		held_record(r, h, MARK_UNRELEASED, clock_wall_us(),
		    clock_mono_us());
}
