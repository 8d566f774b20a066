/* case.c: one case stepping through its script on the event loop.
 *
 * A case is a listener, its clients (client, client2, ...) and their
 * accepted ends (server, server2, ...), on loopback or, on the relay
 * link, the clients in one namespace and the rest in the other, the
 * relay between them. It is an explicit
 * state machine (enum case_pos): set-up (connects, accepts), running the
 * steps, waiting for a pending step, waiting for a worker, done. Every
 * change of position goes through case_set_pos().
 *
 * Each verb has a handler (verbs.h names it) that acts and says whether
 * the step is done, pending, or handed to a worker. A pending step says
 * what wakes it: the end's fd becoming readable or writable, an instant
 * (sleep), or a short tick that backs off (states of ends whose fd is
 * gone, tcp_info counters: the kernel signals neither). One clock reading
 * decides each evaluation: whether the step is done, and whether its limit
 * has passed. A system call that can block (close under SO_LINGER) runs
 * on the worker pool; the loop goes on and the step's times are the
 * worker's. Nothing blocks the loop. */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "capture.h"
#include "case.h"
#include "fault.h"
#include "link.h"
#include "log.h"
#include "probe.h"
#include "relay.h"
#include "signature.h"
#include "trans.h"
#include "verdict.h"
#include "worker.h"

#define TICK_MIN_US	1000		/* first re-check of a pending step */
#define TICK_MAX_US	16000		/* the re-check period it backs off to */
#define IO_LIMIT_US	5000000		/* send, recv without 'within' */
#define CONN_LIMIT_US	1000000		/* connect, accept without 'within' */
#define LATE_US		5000		/* a wait seen to hold this late still holds */
#define NAMED_BACKLOG	128		/* a listener that is an end, at set-up */
#define SCRATCH		65536
#define RESERVED_LO	20000		/* client_reserve's ports: below the */
#define RESERVED_HI	32768		/* default ephemeral range */
#define RESERVED_TRIES	64
#define DRAIN_EVERY	32		/* case calls between reads of the trans ring */

enum case_pos {
	POS_SETUP,				/* connecting, accepting */
	POS_RUNNING,				/* executing steps */
	POS_WAITING,				/* step cur pending: an event or a tick */
	POS_WORKER,				/* step cur on a worker */
	POS_DONE				/* result complete */
};

static const char *const pos_names[] = {
	[POS_SETUP] = "setup", [POS_RUNNING] = "running",
	[POS_WAITING] = "waiting", [POS_WORKER] = "worker", [POS_DONE] = "done",
};

/* What a handler says of its step. */
enum act {
	ACT_DONE,				/* finished (ok or not) */
	ACT_WAIT,				/* pending: see struct pending */
	ACT_WORKER				/* handed to a worker */
};

union addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* One socket of the case. */
struct end {
	int fd;					/* -1: closed, or not yet open */
	union addr addr;			/* its own address, once known */
	unsigned has_addr : 1;			/* addr is valid */
	unsigned had_fd : 1;			/* it had an fd: once gone, gone */
	unsigned gone : 1;			/* seen gone: end_observe */
	unsigned filtered : 1;			/* a filter step ran on its fd */
	int last;				/* its last action step, -1 */
};

/* What wakes a pending step, besides its limit. */
struct pending {
	int fd;					/* watched fd, -1 none */
	short what;				/* EV_READ / EV_WRITE, maybe EV_ET */
	int tick;				/* re-check on a backing-off tick */
	int64_t wake_at;			/* re-check at this instant; 0 none */
};

/* A close (or a "both" pair of closes) on a worker. */
struct case_job {
	struct job j;				/* first: the pool's part */
	struct tcase *tc;			/* NULL once the case let go */
	struct case_env *env;
	int n;					/* calls: 1, or 2 for a pair */
	int nfd;				/* of fd[], the open ones it holds */
	int fd[2];				/* the fds it closes */
	long rc[2];				/* each call's return */
	int err[2];				/* and errno */
	int64_t t0[2], t1[2];			/* monotonic, around each call */
};

struct tcase {
	const struct scenario *sc;		/* the script */
	struct case_env *env;			/* the run's, shared */
	struct relay_slot *rs;			/* on the relay link: its link and relay */
	struct case_result res;			/* what was seen, handed out */
	enum case_pos pos;			/* where the case stands */
	size_t cur;				/* the step in progress */
	size_t slot;				/* the runner's index */
	int nend;				/* 1 + 2 * npairs */
	struct end *end;			/* [0] listener, [2k-1] client k, [2k] server k */
	int af;					/* AF_INET or AF_INET6 */
	socklen_t alen;				/* its sockaddr length */
	int setup_left;				/* set-up connections still pending */
	int accepted;				/* server ends the listener gave */
	int accepted0;				/* accepted when step cur began */
	int64_t mono0;				/* monotonic start, us */
	int64_t timeout_us;			/* the case deadline, from start */
	int64_t step_t0;			/* monotonic start of step cur; 0 none */
	int64_t step_limit;			/* monotonic limit of step cur */
	int64_t check_at;			/* a wait's last check, monotonic */
	int64_t check_gap;			/* the longest time between its checks */
	int64_t tick_at;			/* monotonic: pend's tick or instant,
						 * the limit, set-up's; 0 none */
	int64_t deadline_at;			/* monotonic: the case deadline; 0 none */
	int64_t timer_at;			/* what ev_timer is armed for */
	int tick_us;				/* next re-check period */
	long progress;				/* bytes moved (or calls made) by step cur */
	int observed;				/* step cur's handler observed the ends */
	struct pending pend;			/* what step cur waits for */
	int io_fd;				/* ev_io's fd while it is added, else -1 */
	short io_what;				/* and its events */
	struct case_job *job;			/* on a worker, or NULL */
	struct event *ev_io;			/* pend.fd */
	struct event *ev_accept;		/* implicit accepts on the listener */
	struct event *ev_timer;			/* the earlier of tick_at, deadline_at */
	struct event *ev_wake;			/* the relay held one of its segments
						 * (on the relay link only) */
	struct end_obs *obs_last[2];		/* each side's last kept observation */
	size_t obs_step[2];			/* the step that made it */
	case_done_fn done;
	void *done_arg;
};

static void case_run(struct tcase *tc);
static void case_finish(struct tcase *tc);

/* Moves the case to pos; the one place positions change. */
static void
case_set_pos(struct tcase *tc, enum case_pos pos)
{
	log_debug("%s/%s/%d: %s -> %s (step %zu)", tc->sc->name,
	    family_name(tc->res.family), tc->res.rep, pos_names[tc->pos],
	    pos_names[pos], tc->cur);
	tc->pos = pos;
}

/* Index of an end in tc->end. */
static int
end_index(enum side side, int pair)
{
	return side == SIDE_LISTENER ? 0 : 2 * pair - 1 + (side == SIDE_SERVER);
}

/* The end a step acts on. */
static struct end *
step_end(struct tcase *tc, const struct step *st)
{
	return &tc->end[end_index(st->side, st->pair)];
}

static int64_t step_span(const struct step *st);

/* The sockets a case of sc holds at most at once. */
int
case_fds(const struct scenario *sc)
{
	return 2 * sc->npairs + 1;
}

/* How long a case of sc may spend waiting, at most; see case.h. */
int64_t
case_wait_bound(const struct scenario *sc)
{
	const struct step *st;
	int64_t us = 0;
	size_t i;

	for (i = 0; i < sc->nsteps; i++) {
		st = &sc->steps[i];
		switch (st->verb) {
		case VERB_SLEEP:
			us += st->a.sleep.us;
			break;
		case VERB_DELAY:
			us += st->a.relay.delay_us;
			break;
		case VERB_WAIT_STATE:
		case VERB_WAIT_INFO:
		case VERB_WAIT_READABLE:
		case VERB_WAIT_WRITABLE:
		case VERB_WAIT_HUP:
			us += step_span(st);
			break;
		default:
			break;
		}
	}
	return us;
}

/* Whether the case runs on the relay link. */
static int
on_relay(const struct tcase *tc)
{
	return tc->res.link == LINK_RELAY;
}

/* Whether the case's ends live in a link's namespaces (veth, relay, or
 * lo with a profile's sysctls). */
static int
on_link(const struct tcase *tc)
{
	return scenario_on_link(tc->sc, tc->env->link);
}

/* Opens a non-blocking TCP socket of the case's family for an end of
 * side (on the relay, in that side's namespace), counted. */
static int
sock_open(struct tcase *tc, enum side side)
{
	int fd = on_link(tc) ? link_socket(tc->rs->link, side, tc->af) :
	    socket(tc->af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd != -1)
		tc->env->fds++;
	return fd;
}

/* Closes *fd (if open) and uncounts it. */
static void
sock_close(struct tcase *tc, int *fd)
{
	if (*fd == -1)
		return;
	close(*fd);
	*fd = -1;
	tc->env->fds--;
}

/* Closes an end for good: an RST, so no orphan outlives the case. */
static void
end_discard(struct tcase *tc, struct end *e)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (e->fd == -1)
		return;
	if (e->filtered)
		fault_apply(e->fd, FILTER_NONE);
	e->filtered = 0;
	setsockopt(e->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	sock_close(tc, &e->fd);
}

/* Arms the case's one timer for the earlier of its tick and its
 * deadline (one event, not two: a case's memory counts at scale). */
static void
timer_arm(struct tcase *tc)
{
	int64_t at = tc->tick_at, us;
	struct timeval tv;

	if (at == 0 || (tc->deadline_at != 0 && tc->deadline_at < at))
		at = tc->deadline_at;
	tc->timer_at = at;
	if (at == 0) {
		event_del(tc->ev_timer);
		return;
	}
	us = at - clock_mono_us();
	if (us < 0)
		us = 0;
	tv.tv_sec = us / 1000000;
	tv.tv_usec = us % 1000000;
	evtimer_add(tc->ev_timer, &tv);
}

/* Arms the tick for monotonic instant at. */
static void
tick_until(struct tcase *tc, int64_t at)
{
	tc->tick_at = at;
	timer_arm(tc);
}

/* Arms the tick to fire in us microseconds. */
static void
tick_in(struct tcase *tc, int64_t us)
{
	tick_until(tc, clock_mono_us() + (us > 0 ? us : 0));
}

/* Disarms the tick; the deadline stays. */
static void
tick_stop(struct tcase *tc)
{
	tc->tick_at = 0;
	timer_arm(tc);
}

/* Formats a socket address as "127.0.0.1:40000" or "[::1]:40000". */
static void
addr_format(const union addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->in.sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(a->in.sin_port));
	} else {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(a->in6.sin6_port));
	}
}

/* Whether two addresses of the case's family are the same. */
static int
addr_eq(const struct tcase *tc, const union addr *a, const union addr *b)
{
	if (tc->af == AF_INET)
		return a->in.sin_port == b->in.sin_port &&
		    a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	return a->in6.sin6_port == b->in6.sin6_port &&
	    memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
}

/* The sock_diag probe that finds end e once its fd is gone: on the relay,
 * its namespace's (the clients', or the listener's and servers'). */
static struct probe *
end_probe(const struct tcase *tc, const struct end *e)
{
	int k = (int)(e - tc->end);

	if (!on_link(tc))
		return tc->env->probe;
	return link_probe(tc->rs->link, k % 2 == 1 ? SIDE_CLIENT : SIDE_SERVER);
}

/* Observes end e (its peer's address is peer's, NULL if unknown). An end
 * found gone (its fd closed, or open in TCP_CLOSE, and no socket of its
 * 4-tuple left: a TIME_WAIT is made as the socket closes, never after)
 * stays gone while its fd stays in TCP_CLOSE or closed: no more sock_diag
 * lookups for it. A new fd, a reconnect or another state forgets it. */
static void
end_observe(struct tcase *tc, struct end *e, const struct end *peer,
    struct end_obs *o, int *due)
{
	int gone_open = e->gone && e->fd != -1;

	*due = 0;
	if ((e == &tc->end[0] || e->gone) && e->fd == -1) {
		memset(o, 0, sizeof(*o));
		o->state = STATE_CLOSED;	/* a listener has no orphan */
		o->source = OBS_GONE;
		return;
	}
	if (probe_end(end_probe(tc, e), e->fd, e->has_addr && !gone_open ?
	    &e->addr.sa : NULL, peer != NULL && peer->has_addr && !gone_open ?
	    &peer->addr.sa : NULL, o, due) == -1) {
		log_warn("%s: probe of an end", tc->sc->name);
		return;
	}
	if (gone_open && o->source == OBS_INFO && o->state == STATE_CLOSE) {
		o->state = STATE_CLOSED;	/* as the lookup would say */
		o->source = OBS_GONE;
	}
	if (e->fd != -1)
		e->had_fd = 1;
	if (e->had_fd)
		e->gone = o->source == OBS_GONE;
}

/* The two ends of st's pair: its client and server, or the listener (as
 * the server) and none. */
static void
step_ends(struct tcase *tc, const struct step *st, struct end **c,
    struct end **s)
{
	if (st->side == SIDE_LISTENER) {
		*c = NULL;
		*s = &tc->end[0];
		return;
	}
	*c = &tc->end[end_index(SIDE_CLIENT, st->pair)];
	*s = &tc->end[end_index(SIDE_SERVER, st->pair)];
}

/* Keeps o as side's observation in step r (the step in progress) among
 * the case's: the side's last one if o is alike (memcmp: observations
 * are zeroed before they are filled), or, made by this step (a wait's
 * re-check), overwritten; else a new one. Out of memory: not observed. */
static void
obs_keep(struct tcase *tc, struct step_result *r, int side,
    const struct end_obs *o)
{
	struct end_obs *last = tc->obs_last[side];
	struct obs_block *b = tc->res.obs;

	if (last != NULL && memcmp(last, o, sizeof(*o)) == 0) {
		r->end[side] = last;
		return;
	}
	if (last != NULL && tc->obs_step[side] == tc->cur &&
	    r->end[side] == last) {
		*last = *o;
		return;
	}
	if (b == NULL || b->n == OBS_BLOCK) {
		if ((b = malloc(sizeof(*b))) == NULL) {
			log_warn("%s: an observation", tc->sc->name);
			r->end[side] = NULL;
			return;
		}
		b->n = 0;
		b->next = tc->res.obs;
		tc->res.obs = b;
	}
	last = &b->o[b->n++];
	*last = *o;
	tc->obs_last[side] = last;
	tc->obs_step[side] = tc->cur;
	r->end[side] = last;
}

/* Observes the ends of st's pair that want says (1 << SIDE_CLIENT,
 * 1 << SIDE_SERVER) into r: each end's state first, then the queue
 * lengths of both together (probe_queues: one system call). */
static void
observe_into(struct tcase *tc, const struct step *st, struct step_result *r,
    unsigned want)
{
	struct end_obs o[2];
	struct tcp_snap *snap[2];
	struct end *e[2];
	int fds[2], side, due;
	size_t n = 0;

	step_ends(tc, st, &e[SIDE_CLIENT], &e[SIDE_SERVER]);
	for (side = SIDE_CLIENT; side <= SIDE_SERVER; side++) {
		memset(&o[side], 0, sizeof(o[side]));	/* obs_keep compares bytes */
		if (!(want & 1u << side) || e[side] == NULL)
			continue;
		end_observe(tc, e[side], e[!side], &o[side], &due);
		if (due) {
			fds[n] = e[side]->fd;
			snap[n++] = &o[side].info;
		}
	}
	if (n > 0)
		probe_queues(tc->env->qring, fds, snap, n);
	for (side = SIDE_CLIENT; side <= SIDE_SERVER; side++) {
		if (!(want & 1u << side))
			continue;
		if (e[side] == NULL)
			r->end[side] = NULL;
		else
			obs_keep(tc, r, side, &o[side]);
	}
}

/* Records the ends of st's pair after it into r: its client and server,
 * or the listener (as the server; the client not observed). */
static void
case_observe(struct tcase *tc, const struct step *st, struct step_result *r)
{
	observe_into(tc, st, r, 1u << SIDE_CLIENT | 1u << SIDE_SERVER);
}

/* Observes st's own end alone into r (a wait's re-check). */
static void
own_observe(struct tcase *tc, const struct step *st, struct step_result *r)
{
	observe_into(tc, st, r, 1u << (st->side == SIDE_CLIENT ? SIDE_CLIENT :
	    SIDE_SERVER));
}

/* Observes the other end of st's pair into r, st's own kept: the step
 * ends on its own end's observation. */
static void
other_observe(struct tcase *tc, const struct step *st, struct step_result *r)
{
	observe_into(tc, st, r, 1u << (st->side != SIDE_CLIENT ? SIDE_CLIENT :
	    SIDE_SERVER));
}

/* The observation of st's own end in r. */
static const struct end_obs *
own_obs(const struct step *st, const struct step_result *r)
{
	return step_obs(r, st->side == SIDE_CLIENT ? SIDE_CLIENT : SIDE_SERVER);
}

/* Sets r's outcome from a system call's return value. */
static void
set_rc(struct step_result *r, long rc)
{
	r->rc = rc;
	r->err = rc < 0 ? errno : 0;
}

/* The end's fd for a step, or -1 with EBADF in r when it has none. */
static int
step_fd(struct tcase *tc, const struct step *st, struct step_result *r)
{
	int fd = step_end(tc, st)->fd;

	if (fd == -1) {
		r->rc = -1;
		r->err = EBADF;
	}
	return fd;
}

/* Where the case's segments are seen: the relay on its link, libpcap on
 * the veth link, else libpcap on lo (NULL: not observed). */
static struct capture *
case_capture(const struct tcase *tc)
{
	if (!on_link(tc))
		return tc->env->cap;
	if (tc->rs == NULL)
		return NULL;
	if (on_relay(tc))
		return tc->rs->relay != NULL ? relay_capture(tc->rs->relay) : NULL;
	return tc->rs->cap;
}

/* Registers pair k's connection with the relay, the capture and the transitions,
 * after its connect(2): its SYN and its first state changes are read only
 * once control is back in the loop. */
static void
case_register(struct tcase *tc, int k)
{
	const struct end *c = &tc->end[end_index(SIDE_CLIENT, k)];
	struct capture *cap = case_capture(tc);

	if (on_relay(tc) && relay_add(tc->rs->relay, &c->addr.sa,
	    &tc->end[0].addr.sa, &tc->res, k) == -1) {
		log_warn("%s: the relay does not know this case: its wire is not "
		    "observed", tc->sc->name);
		cap = NULL;			/* its segments pass as strangers */
	}
	if (cap != NULL && capture_add(cap, &c->addr.sa, &tc->end[0].addr.sa,
	    &tc->res, k) == -1)
		log_warn("%s: the wire of this case is not observed",
		    tc->sc->name);
	if (tc->env->trans != NULL && trans_add(tc->env->trans, &c->addr.sa,
	    &tc->end[0].addr.sa, &tc->res, k) == -1)
		log_warn("%s: the transitions of this case are not observed",
		    tc->sc->name);
	if (k == 1)
		addr_format(&c->addr, tc->res.client_addr,
		    sizeof(tc->res.client_addr));
}

/* Starts client k's connect(2) to the listener: 1 in progress, 0
 * connected at once, -1 with errno when it failed. */
static int
client_connect(struct tcase *tc, int k)
{
	struct end *c = &tc->end[end_index(SIDE_CLIENT, k)];
	socklen_t len = sizeof(c->addr);
	int rc = 0;

	if (connect(c->fd, &tc->end[0].addr.sa, tc->alen) == -1) {
		if (errno != EINPROGRESS)
			return -1;
		rc = 1;
	}
	if (getsockname(c->fd, &c->addr.sa, &len) == 0) {
		c->has_addr = 1;
		case_register(tc, k);
	}
	c->gone = tc->end[end_index(SIDE_SERVER, k)].gone = 0;
	return rc;
}

/* The pair whose client has address a, or 0. */
static int
pair_of(const struct tcase *tc, const union addr *a)
{
	int k;

	for (k = 1; 2 * k < tc->nend; k++)
		if (tc->end[2 * k - 1].has_addr &&
		    addr_eq(tc, &tc->end[2 * k - 1].addr, a))
			return k;
	return 0;
}

/* Accepts one connection into its server end: its pair, 0 when there was
 * none (EAGAIN), -1 with errno on a failure. */
static int
accept_one(struct tcase *tc)
{
	union addr peer;
	socklen_t len = sizeof(peer);
	struct end *s;
	int fd, k;

	fd = accept4(tc->end[0].fd, &peer.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	tc->env->fds++;
	if ((k = pair_of(tc, &peer)) == 0) {
		sock_close(tc, &fd);		/* not one of this case's clients */
		errno = EPROTO;
		return -1;
	}
	s = &tc->end[end_index(SIDE_SERVER, k)];
	end_discard(tc, s);			/* a reconnect's old end */
	s->fd = fd;
	s->gone = 0;
	tc->accepted++;
	return k;
}

/* Fails set-up: the case ends with verdict error and why. */
static void
case_setup_failed(struct tcase *tc, const char *what, int err)
{
	case_msg(&tc->res, "set-up: %s: %s", what,
	    strerror(err));
	tc->res.verdict = VERDICT_ERROR;
	case_finish(tc);
}

/* Set-up is complete: run the script. */
static void
case_setup_done(struct tcase *tc)
{
	case_set_pos(tc, POS_RUNNING);
	case_run(tc);
}

/* The listener is readable (implicit accepts): take every queued
 * connection; close the listener once every client has its server end
 * (unless a client will reconnect to it). A waiting connect goes on. */
static void
case_on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct tcase *tc = arg;
	enum verb v;
	int k;

	/* Until EAGAIN, or until every client has its server end: no call
	 * then only to hear EAGAIN. */
	while ((tc->accepted < tc->sc->npairs || tc->sc->reconnects) &&
	    (k = accept_one(tc)) != 0) {
		if (k > 0 && tc->pos == POS_SETUP &&
		    !(tc->sc->step_connect & (1u << (k - 1))))
			tc->setup_left--;
		if (k > 0 || errno == EPROTO)
			continue;		/* EPROTO: a stranger's, closed */
		if (tc->pos == POS_SETUP) {
			case_setup_failed(tc, "accept", errno);
			return;
		}
		log_warn("%s: accept", tc->sc->name);
		event_del(tc->ev_accept);	/* its connect will time out */
		break;
	}
	if (tc->accepted >= tc->sc->npairs && !tc->sc->reconnects) {
		event_free(tc->ev_accept);	/* its last call: the memory back */
		tc->ev_accept = NULL;
		sock_close(tc, &tc->end[0].fd);
	}
	v = tc->cur < tc->sc->nsteps ? tc->sc->steps[tc->cur].verb : VERB__COUNT;
	if (tc->pos == POS_SETUP && tc->setup_left == 0)
		case_setup_done(tc);
	else if (tc->pos == POS_WAITING &&
	    (v == VERB_CONNECT || v == VERB_RECONNECT)) {
		tick_stop(tc);
		case_set_pos(tc, POS_RUNNING);
		case_run(tc);
	}
}

/* Whether client fd's connect(2) is over: 1 connected, 0 not yet, -1
 * failed (errno set). */
static int
connect_over(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLOUT | POLLERR | POLLHUP)))
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return -1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 1;
}

/* Set-up with the listener as an end: the set-up clients' connects are
 * re-checked on ticks until all are over. */
static void
case_setup_check(struct tcase *tc)
{
	int k, left = 0, rc;

	for (k = 1; k <= tc->sc->npairs; k++) {
		if (tc->sc->step_connect & (1u << (k - 1)))
			continue;
		if ((rc = connect_over(tc->end[end_index(SIDE_CLIENT, k)].fd)) == -1) {
			case_setup_failed(tc, "connect", errno);
			return;
		}
		left += rc == 0;
	}
	if ((tc->setup_left = left) == 0) {
		case_setup_done(tc);
		return;
	}
	tick_in(tc, tc->tick_us);
	if (tc->tick_us < TICK_MAX_US)
		tc->tick_us *= 2;
}

/* Where side's ends live, port 0: loopback, or the relay link's side. */
static void
side_addr(const struct tcase *tc, enum side side, union addr *a)
{
	struct sockaddr_storage ss;

	memset(a, 0, sizeof(*a));
	if (on_link(tc)) {
		link_addr(tc->rs->link, side, tc->af, &ss);
		memcpy(a, &ss, tc->alen);
		return;
	}
	a->sa.sa_family = (sa_family_t)tc->af;
	if (tc->af == AF_INET)
		a->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		a->in6.sin6_addr = in6addr_loopback;
}

/* Opens the listener on port 0 of the server side and listens. 0 or -1. */
static int
listener_open(struct tcase *tc)
{
	struct end *l = &tc->end[0];
	socklen_t len = sizeof(l->addr);

	side_addr(tc, SIDE_SERVER, &l->addr);
	if ((l->fd = sock_open(tc, SIDE_SERVER)) == -1 ||
	    bind(l->fd, &l->addr.sa, tc->alen) == -1 ||
	    listen(l->fd, tc->sc->listener ? NAMED_BACKLOG : tc->sc->npairs) == -1 ||
	    getsockname(l->fd, &l->addr.sa, &len) == -1)
		return -1;
	l->has_addr = 1;
	addr_format(&l->addr, tc->res.server_addr, sizeof(tc->res.server_addr));
	return 0;
}

/* Sets SO_REUSEADDR on fd. 0 or -1. */
static int
reuse_addr(int fd)
{
	int one = 1;

	return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
}

/* Binds client c to a loopback port below the ephemeral range, one no
 * other case holds: it will reconnect from it, and connect(2) elsewhere
 * could take a port of that range as soon as it is free. 0 or -1. */
static int
client_reserve(struct tcase *tc, struct end *c)
{
	static unsigned next;			/* the loop's, one thread */
	union addr a;
	int i;

	side_addr(tc, SIDE_CLIENT, &a);
	if (reuse_addr(c->fd) == -1)
		return -1;
	for (i = 0; i < RESERVED_TRIES; i++) {
		uint16_t port = htons((uint16_t)(RESERVED_LO +
		    next++ % (RESERVED_HI - RESERVED_LO)));

		if (tc->af == AF_INET)
			a.in.sin_port = port;
		else
			a.in6.sin6_port = port;
		if (bind(c->fd, &a.sa, tc->alen) == 0)
			return 0;
		if (errno != EADDRINUSE)
			return -1;
	}
	return -1;
}

/* Opens the listener and every client, and starts the set-up connects.
 * 0, or -1 with *what naming the call that failed. */
static int
case_connect(struct tcase *tc, const char **what)
{
	int k;

	*what = "listener";
	if (listener_open(tc) == -1)
		return -1;
	for (k = 1; k <= tc->sc->npairs; k++) {
		struct end *s = &tc->end[end_index(SIDE_SERVER, k)];
		struct end *c = &tc->end[end_index(SIDE_CLIENT, k)];

		s->addr = tc->end[0].addr;	/* where a server end lives */
		s->has_addr = 1;
		*what = "socket";
		if ((c->fd = sock_open(tc, SIDE_CLIENT)) == -1)
			return -1;
		*what = "bind";
		if ((tc->sc->reconnects & (1u << (k - 1))) &&
		    client_reserve(tc, c) == -1)
			return -1;
		if (tc->sc->step_connect & (1u << (k - 1)))
			continue;
		*what = "connect";
		if (client_connect(tc, k) == -1)
			return -1;
		tc->setup_left++;
	}
	return 0;
}

/* The tick: re-check set-up, or the pending step. */
static void
case_on_tick(struct tcase *tc)
{
	if (tc->pos == POS_SETUP) {
		if (tc->res.verdict == VERDICT_ERROR ||
		    tc->res.verdict == VERDICT_SKIPPED)
			case_finish(tc);
		else if (tc->setup_left == 0)
			case_setup_done(tc);
		else if (tc->sc->listener)
			case_setup_check(tc);	/* else accepts drive set-up */
		return;
	}
	if (tc->pos == POS_WAITING) {
		case_set_pos(tc, POS_RUNNING);
		case_run(tc);
	}
}

/* The pending step's fd is ready, or (ev_wake) the relay held a segment
 * of the case: re-run the step. */
static void
case_on_io(evutil_socket_t fd, short what, void *arg)
{
	struct tcase *tc = arg;

	if (tc->pos != POS_WAITING)
		return;
	tick_stop(tc);
	case_set_pos(tc, POS_RUNNING);
	case_run(tc);
}

/* Sets step result r's message (a failure's why). */
static void __attribute__((format(printf, 3, 4)))
step_msg(struct tcase *tc, const struct step_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	step_note_v(&tc->res, (size_t)(r - tc->res.res), fmt, ap);
	va_end(ap);
}

/* The step in progress ends as status, with why; both ends observed. */
static void
step_interrupt(struct tcase *tc, enum step_status status, const char *why)
{
	struct step_result *r = &tc->res.res[tc->cur];

	r->status = status;
	if (tc->step_t0 != 0)
		r->dur_us = clock_mono_us() - tc->step_t0;
	step_msg(tc, r, "%s", why);
	case_observe(tc, &tc->sc->steps[tc->cur], r);
}

/* Ends the case at its deadline: the step in progress timed out. */
static void
case_on_deadline(struct tcase *tc)
{
	char why[64];

	if (tc->pos == POS_SETUP) {
		case_msg(&tc->res, "set-up: handshake did not complete");
		tc->res.verdict = VERDICT_ERROR;
	} else if (tc->cur < tc->sc->nsteps) {
		snprintf(why, sizeof(why), "case deadline of %.1f s reached",
		    tc->timeout_us / 1e6);
		step_interrupt(tc, STEP_TIMEOUT, why);
	}
	case_finish(tc);
}

/* The case's timer fired for what it was armed for: the deadline, or
 * else the tick (the loop's clock decides when, as for any timer). */
static void
case_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct tcase *tc = arg;

	if (tc->deadline_at != 0 && tc->deadline_at <= tc->timer_at) {
		case_on_deadline(tc);
		return;
	}
	tc->tick_at = 0;
	timer_arm(tc);
	case_on_tick(tc);
}

/* Reads the transitions' ring every DRAIN_EVERY calls into the cases: a
 * burst (thousands of cases starting or closing in one turn of the loop,
 * before it polls the ring) would fill it, and a record lost makes every
 * case registered then not observed. */
static void
env_drain(struct case_env *env)
{
	if (++env->since_drain < DRAIN_EVERY)
		return;
	env->since_drain = 0;
	trans_sync(env->trans);
}

/* Allocates the case and its events; NULL when memory ran out. */
static struct tcase *
case_alloc(struct case_env *env, const struct scenario *sc)
{
	struct tcase *tc;
	int i;

	if ((tc = calloc(1, sizeof(*tc))) == NULL)
		return NULL;
	tc->nend = 1 + 2 * sc->npairs;
	tc->end = calloc((size_t)tc->nend, sizeof(*tc->end));
	tc->res.res = calloc(sc->nsteps ? sc->nsteps : 1, sizeof(*tc->res.res));
	tc->ev_timer = evtimer_new(env->base, case_on_timer, tc);
	tc->ev_io = event_new(env->base, -1, 0, case_on_io, tc);
	tc->sc = sc;
	tc->env = env;
	for (i = 0; tc->end != NULL && i < tc->nend; i++) {
		tc->end[i].fd = -1;
		tc->end[i].last = -1;
	}
	if (tc->end == NULL || tc->res.res == NULL || tc->ev_timer == NULL ||
	    tc->ev_io == NULL) {
		case_free(tc);
		return NULL;
	}
	return tc;
}

/* Whether the environment lacks what sc needs to run at all; says why. */
static int
case_skipped(struct tcase *tc)
{
	const char *why = NULL;
	size_t i;

	if (on_link(tc)) {
		for (i = 0; i < tc->env->nrelays; i++)
			if (tc->env->relays[i].kind == tc->res.link &&
			    strcmp(tc->env->relays[i].key,
			    scenario_netkey(tc->sc)) == 0)
				tc->rs = &tc->env->relays[i];
		if (tc->rs == NULL || tc->rs->link == NULL)
			why = tc->rs != NULL ? tc->rs->why : "no such link";
	}
	if (why == NULL && (tc->sc->needs & tc->env->lacks & NEED_FILTER))
		why = tc->env->lack_why[0];
	if (why == NULL)
		return 0;
	case_msg(&tc->res, "skipped: %s", why);
	tc->res.verdict = VERDICT_SKIPPED;
	return 1;
}

/* Arms the deadline, opens the sockets and starts the set-up connects;
 * a failure is left in the result for the first tick to report. */
static void
case_arm(struct tcase *tc)
{
	const char *what = "";

	tc->deadline_at = tc->mono0 + tc->timeout_us;
	timer_arm(tc);
	what = "relay";
	if (on_relay(tc) && ((tc->ev_wake = event_new(tc->env->base, -1, 0,
	    case_on_io, tc)) == NULL ||
	    relay_case(tc->rs->relay, &tc->res, tc->ev_wake) == -1))
		goto fail;
	if (case_connect(tc, &what) == -1)
		goto fail;
	if (tc->sc->listener)
		return;
	what = "event_new";
	if ((tc->ev_accept = event_new(tc->env->base, tc->end[0].fd,
	    EV_READ | EV_PERSIST, case_on_accept, tc)) == NULL ||
	    event_add(tc->ev_accept, NULL) == -1)
		goto fail;
	return;
fail:
	case_msg(&tc->res, "set-up: %s: %s", what,
	    strerror(errno));
	tc->res.verdict = VERDICT_ERROR;
}

/* Starts a case. */
struct tcase *
case_start(struct case_env *env, const struct scenario *sc, enum family fam,
    int rep, int64_t timeout_us, case_done_fn done, void *arg)
{
	struct tcase *tc;

	if ((tc = case_alloc(env, sc)) == NULL)
		return NULL;
	tc->done = done;
	tc->done_arg = arg;
	tc->af = fam == FAM_IPV6 ? AF_INET6 : AF_INET;
	tc->alen = fam == FAM_IPV6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	tc->tick_us = TICK_MIN_US;
	tc->io_fd = -1;
	tc->res.sc = sc;
	tc->res.link = scenario_link(sc, env->link);
	tc->res.family = fam;
	tc->res.rep = rep;
	tc->res.first_fail = -1;
	tc->res.start_us = clock_wall_us();
	tc->mono0 = tc->res.mono0_us = clock_mono_us();
	tc->timeout_us = sc->timeout_us > 0 ? sc->timeout_us : timeout_us;
	if (!case_skipped(tc))
		case_arm(tc);
	tick_in(tc, 0);				/* set-up goes on from the loop */
	env_drain(env);
	return tc;
}

/* The case's result. */
struct case_result *
case_result(struct tcase *tc)
{
	return &tc->res;
}

/* Where the runner keeps the case. */
size_t *
case_slot(struct tcase *tc)
{
	return &tc->slot;
}

/* Index of the next step of st's end after step i, or -1. */
static int
next_of_end(const struct scenario *sc, size_t i)
{
	const struct step *st = &sc->steps[i];

	for (i++; i < sc->nsteps; i++)
		if (sc->steps[i].side == st->side && sc->steps[i].pair == st->pair)
			return (int)i;
	return -1;
}

/* Asks for a re-check on the backing-off tick. */
static enum act
wait_tick(struct tcase *tc)
{
	tc->pend.tick = 1;
	return ACT_WAIT;
}

/* Asks for a re-check when fd is ready for what (or at the limit). */
static enum act
wait_fd(struct tcase *tc, int fd, short what)
{
	tc->pend.fd = fd;
	tc->pend.what = what;
	return ACT_WAIT;
}

/* A step that moves bytes stops: rc is what it moved, or -1 with errno
 * when it moved nothing; errno is kept either way. */
static enum act
io_stopped(struct tcase *tc, struct step_result *r, int err)
{
	r->rc = tc->progress > 0 ? tc->progress : -1;
	r->err = err;
	return ACT_DONE;
}

/* send N [nonblock] [within D], send fill. */
static enum act
act_send(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	static const char pattern[SCRATCH];
	int fd = step_fd(tc, st, r);
	ssize_t n;

	if (fd == -1)
		return ACT_DONE;
	while (st->a.send.fill || tc->progress < st->a.send.bytes) {
		size_t want = SCRATCH;

		if (!st->a.send.fill && (size_t)(st->a.send.bytes - tc->progress) < want)
			want = (size_t)(st->a.send.bytes - tc->progress);
		n = send(fd, pattern, want, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EAGAIN && st->a.send.fill)
			break;			/* full: the count is the result */
		if (n == -1 && errno == EAGAIN && !st->a.send.nonblock)
			return wait_fd(tc, fd, EV_WRITE);
		if (n == -1)
			return io_stopped(tc, r, errno);
		tc->progress += n;
	}
	r->rc = tc->progress;
	return ACT_DONE;
}

/* Reads once into the scratch buffer, as much as mode allows: bytes, 0
 * at EOF, -1 with errno. */
static ssize_t
recv_once(struct tcase *tc, const struct step *st, int fd)
{
	static char buf[SCRATCH];
	size_t want = sizeof(buf);

	if (st->a.recv.mode == RECV_BYTES &&
	    (size_t)(st->a.recv.bytes - tc->progress) < want)
		want = (size_t)(st->a.recv.bytes - tc->progress);
	return recv(fd, buf, want, MSG_DONTWAIT);
}

/* recv N|all|eof [nonblock] [within D]. */
static enum act
act_recv(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	int fd = step_fd(tc, st, r);
	ssize_t n;

	if (fd == -1)
		return ACT_DONE;
	while (st->a.recv.mode != RECV_BYTES || tc->progress < st->a.recv.bytes) {
		n = recv_once(tc, st, fd);
		if (n == 0) {
			r->eof = 1;
			break;
		}
		if (n == -1 && errno == EAGAIN) {
			if (tc->progress > 0 && st->a.recv.mode != RECV_EOF &&
			    (st->a.recv.mode == RECV_ALL || st->a.recv.nonblock))
				break;
			if (st->a.recv.nonblock)
				return io_stopped(tc, r, EAGAIN);
			return wait_fd(tc, fd, EV_READ);
		}
		if (n == -1)
			return io_stopped(tc, r, errno);
		tc->progress += n;
	}
	r->rc = tc->progress;
	return ACT_DONE;
}

/* shutdown rd|wr|rdwr */
static enum act
act_shutdown(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	int fd = step_fd(tc, st, r);

	if (fd != -1)
		set_rc(r, shutdown(fd, st->a.shutdown.how));
	return ACT_DONE;
}

/* Whether close(2) on fd may block: SO_LINGER on with a time. */
static int
close_may_block(int fd)
{
	struct linger lg;
	socklen_t len = sizeof(lg);

	return getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len) == 0 &&
	    lg.l_onoff && lg.l_linger > 0;
}

static enum act job_start(struct tcase *tc, size_t i, int n);

/* close: at once, or on a worker when it may linger. */
static enum act
act_close(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	struct end *e = step_end(tc, st);

	if (step_fd(tc, st, r) == -1)
		return ACT_DONE;
	if (st->side != SIDE_LISTENER && close_may_block(e->fd))
		return job_start(tc, tc->cur, 1);
	if (e == &tc->end[0] && tc->ev_accept != NULL)
		event_del(tc->ev_accept);
	errno = 0;
	sock_close(tc, &e->fd);
	set_rc(r, errno == 0 ? 0 : -1);
	return ACT_DONE;
}

/* The setsockopt verbs: linger, linger2, nodelay, quickack, user-timeout,
 * rcvbuf, sndbuf (whose rc is the size read back). */
static enum act
act_sockopt(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	struct linger lg = { .l_onoff = st->a.linger.on, .l_linger = st->a.linger.secs };
	int fd = step_fd(tc, st, r), v = 1, lvl = IPPROTO_TCP, opt;
	socklen_t len = sizeof(v);
	const void *p = &v;

	if (fd == -1)
		return ACT_DONE;
	switch (st->verb) {
	case VERB_LINGER: lvl = SOL_SOCKET; opt = SO_LINGER; p = &lg; len = sizeof(lg); break;
	case VERB_LINGER2: opt = TCP_LINGER2; v = st->a.linger2.secs; break;
	case VERB_NODELAY: opt = TCP_NODELAY; v = st->a.nodelay.on; break;
	case VERB_QUICKACK: opt = TCP_QUICKACK; break;
	case VERB_USER_TIMEOUT: opt = TCP_USER_TIMEOUT; v = st->a.user_timeout.ms; break;
	case VERB_RCVBUF: lvl = SOL_SOCKET; opt = SO_RCVBUF; v = st->a.buf.bytes; break;
	case VERB_SNDBUF: lvl = SOL_SOCKET; opt = SO_SNDBUF; v = st->a.buf.bytes; break;
	default: errno = EINVAL; set_rc(r, -1); return ACT_DONE;
	}
	set_rc(r, setsockopt(fd, lvl, opt, p, len));
	if (r->rc == 0 && (st->verb == VERB_RCVBUF || st->verb == VERB_SNDBUF))
		set_rc(r, getsockopt(fd, lvl, opt, &v, &len) == 0 ? v : -1);
	return ACT_DONE;
}

/* backlog N: listen(2) again. */
static enum act
act_backlog(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	int fd = step_fd(tc, st, r);

	if (fd != -1)
		set_rc(r, listen(fd, st->a.backlog.n));
	return ACT_DONE;
}

/* accept [within D]: rc is the pair the connection came from. */
static enum act
act_accept(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	int fd = step_fd(tc, st, r), k;

	if (fd == -1)
		return ACT_DONE;
	if ((k = accept_one(tc)) == 0)
		return wait_fd(tc, fd, EV_READ);
	set_rc(r, k);
	return ACT_DONE;
}

/* The rest of connect and reconnect, once connect(2) was called
 * (started: 1 in progress, 0 connected): at once when nonblock; else wait
 * for the handshake, and (implicit accepts) for the server end. */
static enum act
connect_wait(struct tcase *tc, const struct step *st, struct step_result *r,
    int started)
{
	struct end *c = step_end(tc, st);
	int rc;

	if (st->a.conn.nonblock) {
		r->rc = started ? -1 : 0;
		r->err = started ? EINPROGRESS : 0;
		return ACT_DONE;
	}
	if ((rc = connect_over(c->fd)) == -1) {
		set_rc(r, -1);
		return ACT_DONE;
	}
	if (rc == 0)
		return wait_fd(tc, c->fd, EV_WRITE);
	if (!tc->sc->listener && tc->accepted == tc->accepted0)
		return wait_tick(tc);		/* the accept event re-runs it */
	r->rc = 0;
	return ACT_DONE;
}

/* connect [nonblock] [within D] */
static enum act
act_connect(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	int rc = 0;

	if (step_fd(tc, st, r) == -1)
		return ACT_DONE;
	if (tc->progress++ == 0 && (rc = client_connect(tc, st->pair)) == -1) {
		set_rc(r, -1);
		return ACT_DONE;
	}
	return connect_wait(tc, st, r, rc);
}

/* A new client socket on the old address of c, connecting: as
 * client_connect. */
static int
reconnect_open(struct tcase *tc, struct end *c, int pair)
{
	if ((c->fd = sock_open(tc, SIDE_CLIENT)) == -1)
		return -1;
	if (reuse_addr(c->fd) == -1 || bind(c->fd, &c->addr.sa, tc->alen) == -1)
		return -1;
	return client_connect(tc, pair);
}

/* reconnect [nonblock] [within D]: the client's fd must be closed. */
static enum act
act_reconnect(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	struct end *c = step_end(tc, st);
	int rc = 0;

	if (tc->progress++ == 0) {
		if (c->fd != -1 || !c->has_addr) {
			r->rc = -1;
			r->err = c->fd != -1 ? EISCONN : EDESTADDRREQ;
			return ACT_DONE;
		}
		if ((rc = reconnect_open(tc, c, st->pair)) == -1) {
			set_rc(r, -1);
			return ACT_DONE;
		}
	}
	return connect_wait(tc, st, r, rc);
}

/* sleep D */
static enum act
act_sleep(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	if (now >= tc->step_t0 + st->a.sleep.us)
		return ACT_DONE;
	tc->pend.wake_at = tc->step_t0 + st->a.sleep.us;
	return ACT_WAIT;
}

/* filter ...: a socket filter on what the end receives. */
static enum act
act_filter(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	int fd = step_fd(tc, st, r);

	if (fd != -1) {
		step_end(tc, st)->filtered = 1;
		set_rc(r, fault_apply(fd, st->a.filter.kind));
	}
	return ACT_DONE;
}

/* The end's poll(2) events now, without RDNORM/WRNORM duplicates; -1
 * with errno on failure. */
static int
poll_now(int fd)
{
	struct pollfd p = { .fd = fd,
	    .events = POLLIN | POLLPRI | POLLOUT | POLLRDHUP };

	if (poll(&p, 1, 0) == -1)
		return -1;
	return p.revents & ~(POLLRDNORM | POLLWRNORM | POLLRDBAND | POLLWRBAND);
}

/* poll: rc is the end's events now. */
static enum act
act_poll(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	int fd = step_fd(tc, st, r);

	if (fd != -1)
		set_rc(r, poll_now(fd));
	return ACT_DONE;
}

/* Whether a condition seen at now is too late for the step's limit: the
 * loop came back more than LATE_US after it. Fails the step if so. */
static int
seen_late(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	if (now <= tc->step_limit + LATE_US)
		return 0;
	r->status = STEP_FAILED;
	step_msg(tc, r, "%s held only when checked %.1f ms "
	    "after its limit", verb_name(st->verb),
	    (now - tc->step_limit) / 1000.0);
	return 1;
}

/* wait readable|writable|hup within D: events wake it. */
static enum act
act_wait_poll(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	int fd = step_fd(tc, st, r), ev, want;

	if (fd == -1)
		return ACT_DONE;
	want = st->verb == VERB_WAIT_HUP ? POLLHUP :
	    st->verb == VERB_WAIT_WRITABLE ? POLLOUT | POLLERR | POLLHUP :
	    POLLIN | POLLERR | POLLHUP;
	if ((ev = poll_now(fd)) == -1) {
		set_rc(r, -1);
		return ACT_DONE;
	}
	r->rc = ev;
	if (ev & want) {
		seen_late(tc, st, r, now);
		return ACT_DONE;
	}
	/* Edge-triggered: a readable fd waiting for HUP would wake at once
	 * and again forever; an edge comes with each new event. */
	return wait_fd(tc, fd, st->verb == VERB_WAIT_WRITABLE ? EV_WRITE :
	    EV_READ | EV_ET);
}

/* Wakes a state or info wait: the end's fd when it has one (the kernel
 * wakes it on most changes), and the tick either way. */
static enum act
wait_end(struct tcase *tc, const struct step *st)
{
	int fd = step_end(tc, st)->fd;

	if (fd != -1) {
		tc->pend.fd = fd;
		tc->pend.what = EV_READ | EV_ET;
	}
	return wait_tick(tc);
}

/* Keeps the longest time between a wait's checks (see late_checks). */
static void
check_note(struct tcase *tc, int64_t now)
{
	if (now - tc->check_at > tc->check_gap)
		tc->check_gap = now - tc->check_at;
	tc->check_at = now;
}

/* wait state S within D: re-checks observe the end itself only; the
 * other end is observed once, when the step ends. */
static enum act
act_wait_state(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	check_note(tc, now);
	own_observe(tc, st, r);
	tc->observed = 1;
	if (own_obs(st, r)->state != st->a.wait_state.state)
		return wait_end(tc, st);
	seen_late(tc, st, r, now);
	other_observe(tc, st, r);
	return ACT_DONE;
}

/* wait info FIELD OP N within D: as wait state. */
static enum act
act_wait_info(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	long v;

	check_note(tc, now);
	own_observe(tc, st, r);
	tc->observed = 1;
	v = info_value(own_obs(st, r), st->a.info.field);
	if (v < 0 || !op_holds(v, st->a.info.op, st->a.info.value))
		return wait_end(tc, st);
	seen_late(tc, st, r, now);
	other_observe(tc, st, r);
	return ACT_DONE;
}

/* The end's pending SO_ERROR, or -1 when it has no fd. */
static int
end_so_error(const struct end *e)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (e->fd == -1 ||
	    getsockopt(e->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return -1;
	return err;
}

/* Whether st's end entered its state since the case began: 1, 0, or -1
 * when transitions are not observed. Every change made before now is in
 * the result after trans_sync. */
static int
end_passed(struct tcase *tc, const struct step *st)
{
	size_t i;

	if (tc->env->trans == NULL || tc->res.trans_lost)
		return -1;
	trans_sync(tc->env->trans);
	for (i = 0; i < tc->res.ntrans; i++)
		if (tc->res.tr[i].end == st->side && tc->res.tr[i].pair == st->pair &&
		    tc->res.tr[i].to == st->a.state.state)
			return 1;
	return 0;
}

/* Every expect verb: checked against the end's last action and now. */
static enum act
act_expect(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	struct end *e = step_end(tc, st);
	struct expect_ctx x = { 0 };
	char why[256] = "";
	int rc;

	case_observe(tc, st, r);
	tc->observed = 1;
	x.last_step = e->last >= 0 ? &tc->sc->steps[e->last] : NULL;
	x.last = e->last >= 0 ? &tc->res.res[e->last] : NULL;
	x.now = own_obs(st, r);
	x.so_error = st->verb == VERB_EXPECT_SOERROR ? end_so_error(e) : 0;
	x.passed = st->verb == VERB_EXPECT_PASSED ? end_passed(tc, st) : 0;
	rc = verdict_expect(st, &x, why, sizeof(why));
	if (why[0] != '\0')
		step_msg(tc, r, "%s", why);
	r->status = rc > 0 ? STEP_OK : rc == 0 ? STEP_FAILED : STEP_SKIPPED;
	return ACT_DONE;
}

/* The relay's steps first relay everything the ends have sent (relay_drain),
 * so a step acts on a quiet wire whatever the loop did first (wire_settle
 * does the same after every step). */

/* relay hold|drop|duplicate|delay DIR FLAGS ...: a rule for the case's
 * segments. */
static enum act
act_relay_rule(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	enum relay_action act = st->verb == VERB_HOLD ? RELAY_HOLD :
	    st->verb == VERB_DROP ? RELAY_DROP : st->verb == VERB_DUPLICATE ?
	    RELAY_DUP : RELAY_DELAY;

	relay_drain(tc->rs->relay);
	set_rc(r, relay_rule(tc->rs->relay, &tc->res, st->a.relay.from,
	    st->a.relay.flags, act, st->a.relay.count, st->a.relay.delay_us));
	return ACT_DONE;
}

/* relay inject DIR FLAGS [seq next+N] [ack next+N] [win N] */
static enum act
act_relay_inject(struct tcase *tc, const struct step *st,
    struct step_result *r, int64_t now)
{
	struct relay_inject in = {
		.from = st->a.relay.from, .flags = (uint8_t)st->a.relay.flags,
		.seq_off = st->a.relay.seq_off, .ack_off = st->a.relay.ack_off,
		.win = st->a.relay.win,
	};

	relay_drain(tc->rs->relay);
	set_rc(r, relay_inject(tc->rs->relay, &tc->res, &in));
	return ACT_DONE;
}

/* relay release [together] [within D]: once a segment is held (together:
 * one from each side), delivers them; the relay wakes the step. */
static enum act
act_relay_release(struct tcase *tc, const struct step *st,
    struct step_result *r, int64_t now)
{
	int c, s;

	relay_drain(tc->rs->relay);
	c = relay_held(tc->rs->relay, &tc->res, SIDE_CLIENT);
	s = relay_held(tc->rs->relay, &tc->res, SIDE_SERVER);
	if (st->a.relay.together ? c == 0 || s == 0 : c + s == 0)
		return ACT_WAIT;		/* woken by the relay, or the limit */
	set_rc(r, relay_release(tc->rs->relay, &tc->res, st->a.relay.together));
	return ACT_DONE;
}

/* relay clear */
static enum act
act_relay_clear(struct tcase *tc, const struct step *st, struct step_result *r,
    int64_t now)
{
	relay_drain(tc->rs->relay);
	relay_clear(tc->rs->relay, &tc->res);
	return ACT_DONE;
}

typedef enum act act_fn(struct tcase *, const struct step *,
    struct step_result *, int64_t);

/* Each verb's handler, as verbs.h names it. */
#define VERB_ACT(id, name, f, mn, mx, what, parse, act, doc) [VERB_##id] = act,
static act_fn *const acts[VERB__COUNT] = {
	VERBS(VERB_ACT)
};
#undef VERB_ACT

/* How long step st may stay pending, from its start. */
static int64_t
step_span(const struct step *st)
{
	switch (st->verb) {
	case VERB_SEND:
		return st->a.send.within_us ? st->a.send.within_us : IO_LIMIT_US;
	case VERB_RECV:
		return st->a.recv.within_us ? st->a.recv.within_us : IO_LIMIT_US;
	case VERB_CONNECT: case VERB_RECONNECT: case VERB_ACCEPT:
		return st->a.conn.within_us ? st->a.conn.within_us : CONN_LIMIT_US;
	case VERB_RELEASE:
		return st->a.relay.within_us ? st->a.relay.within_us : CONN_LIMIT_US;
	case VERB_SLEEP:
		return st->a.sleep.us;
	case VERB_WAIT_STATE:
		return st->a.wait_state.within_us;
	case VERB_WAIT_INFO:
		return st->a.info.within_us;
	default:
		return st->a.wait_poll.within_us;	/* readable, writable, hup */
	}
}

/* Why a wait info step did not hold. */
static void
wait_info_failed(const struct step *st, const struct end_obs *o, char *msg,
    size_t len)
{
	enum info_field f = st->a.info.field;
	long v = info_value(o, f);
	size_t n;

	if (v < 0) {
		verdict_info_absent(f, o, msg, len);
		n = strnlen(msg, len);
		snprintf(msg + n, len - n, ", after %.0f ms",
		    st->a.info.within_us / 1000.0);
	} else
		snprintf(msg, len, "%s is %ld, not %s %ld, after %.0f ms", info_name(f),
		    v, op_name(st->a.info.op), st->a.info.value,
		    st->a.info.within_us / 1000.0);
}

/* For a wait that expired: "" when its checks came on time, else how far
 * apart they came (a loop that ran late, not the kernel, may be why). */
static const char *
late_checks(const struct tcase *tc, char *buf, size_t len)
{
	int64_t gap = tc->check_gap;

	if (tc->step_limit - tc->check_at > gap)
		gap = tc->step_limit - tc->check_at;
	if (gap <= 2 * TICK_MAX_US)
		return "";
	snprintf(buf, len, " (checks up to %.0f ms apart)", gap / 1000.0);
	return buf;
}

/* Step i stayed pending past its limit: what it did, and why it failed
 * (an unfinished send/recv is settled by step_settle). */
static void
step_expire(struct tcase *tc, size_t i)
{
	const struct step *st = &tc->sc->steps[i];
	struct step_result *r = &tc->res.res[i];
	const struct end_obs *o = own_obs(st, r);
	double ms = (tc->step_limit - tc->step_t0) / 1000.0;
	char why[256], gap[64];

	switch (st->verb) {
	case VERB_SEND: case VERB_RECV:
		io_stopped(tc, r, EAGAIN);
		return;
	case VERB_CONNECT: case VERB_RECONNECT: case VERB_ACCEPT:
		r->rc = -1;
		r->err = ETIMEDOUT;
		return;
	case VERB_WAIT_INFO:
		r->status = STEP_FAILED;
		wait_info_failed(st, o, why, sizeof(why));
		step_msg(tc, r, "%s%s", why, late_checks(tc, gap, sizeof(gap)));
		other_observe(tc, st, r);
		return;
	case VERB_RELEASE:
		r->status = STEP_FAILED;
		step_msg(tc, r, "%s after %.0f ms",
		    st->a.relay.together ? "not a segment held from each side" :
		    "no segment held", ms);
		return;
	case VERB_WAIT_STATE:
		other_observe(tc, st, r);
		r->status = STEP_FAILED;
		step_msg(tc, r, "state %s, not %s, after %.0f ms%s",
		    state_name(o->state), state_name(st->a.wait_state.state), ms,
		    late_checks(tc, gap, sizeof(gap)));
		return;
	default:
		r->status = STEP_FAILED;
		step_msg(tc, r, "not %s after %.0f ms",
		    st->verb == VERB_WAIT_HUP ? "hung up" :
		    st->verb == VERB_WAIT_WRITABLE ? "writable" : "readable", ms);
	}
}

/* Whether the end's next step expects what step i returned. */
static int
next_expects(const struct tcase *tc, size_t i)
{
	int next = next_of_end(tc->sc, i);
	enum verb v = next >= 0 ? tc->sc->steps[next].verb : VERB__COUNT;

	return v == VERB_EXPECT_ERRNO || v == VERB_EXPECT_RC;
}

/* Whether a send/recv moved fewer bytes than it was asked to. */
static int
step_unfinished(const struct step *st, const struct step_result *r)
{
	long want = st->verb == VERB_SEND && !st->a.send.fill ? st->a.send.bytes :
	    st->verb == VERB_RECV && st->a.recv.mode == RECV_BYTES ?
	    st->a.recv.bytes : 0;

	return want > 0 && r->rc < want && !r->eof;
}

/* Settles an action step that returned: an errno, or an unfinished
 * send/recv, fails it unless the end's next step expects it. */
static void
step_settle(struct tcase *tc, size_t i)
{
	const struct step *st = &tc->sc->steps[i];
	struct step_result *r = &tc->res.res[i];
	int unfinished = step_unfinished(st, r);

	if (r->status == STEP_NOT_RUN)
		r->status = STEP_OK;
	if (r->status == STEP_OK && (r->err != 0 || unfinished) &&
	    !next_expects(tc, i)) {
		r->status = STEP_FAILED;
		if (unfinished)
			step_msg(tc, r, "%s %s: %ld bytes in %.0f ms "
			    "(%s), unfinished and not expected", verb_name(st->verb),
			    st->args, r->rc < 0 ? 0L : (long)r->rc, r->dur_us / 1000.0,
			    errno_name(r->err));
		else
			step_msg(tc, r, "%s failed with %s (not "
			    "expected)", verb_name(st->verb), errno_name(r->err));
	}
	if (!verb_is_expect(st->verb) && st->side != SIDE_RELAY)
		step_end(tc, st)->last = (int)i;
}

/* Begins step i at now. */
static void
step_begin(struct tcase *tc, size_t i, int64_t now)
{
	const struct step *st = &tc->sc->steps[i];

	tc->step_t0 = now;
	tc->step_limit = now + step_span(st);
	tc->check_at = now;
	tc->check_gap = 0;
	tc->accepted0 = tc->accepted;
	tc->progress = 0;
	tc->tick_us = TICK_MIN_US;
	tc->res.res[i].t_us = now - tc->mono0;
}

/* On the relay link, delivers what the step's calls sent and what the ends
 * answer to it before the step is observed, as loopback does inside the
 * call: a relay case sees the same wire and states whatever the loop did
 * meanwhile (rules still hold or drop what they match). */
static void
wire_settle(struct tcase *tc)
{
	if (on_relay(tc) && tc->rs != NULL)
		relay_drain(tc->rs->relay);
}

/* Starts or continues step i; 1 when it is finished, 0 when pending or
 * on a worker. One clock reading decides: done, or past its limit. */
static int
step_run(struct tcase *tc, size_t i)
{
	const struct step *st = &tc->sc->steps[i];
	struct step_result *r = &tc->res.res[i];
	int64_t now = clock_mono_us();
	enum act a;

	if (tc->step_t0 == 0)
		step_begin(tc, i, now);
	memset(&tc->pend, 0, sizeof(tc->pend));
	tc->pend.fd = -1;
	tc->observed = 0;
	if ((a = acts[st->verb](tc, st, r, now)) == ACT_WORKER)
		return 0;
	wire_settle(tc);
	if (a == ACT_WAIT) {
		if (now < tc->step_limit)
			return 0;
		step_expire(tc, i);
	}
	r->dur_us = clock_mono_us() - tc->step_t0;
	if (!tc->observed)
		case_observe(tc, st, r);
	if (!verb_is_expect(st->verb))
		step_settle(tc, i);
	return 1;
}

/* Stops watching the fd of the last pending step. */
static void
io_stop(struct tcase *tc)
{
	if (tc->io_fd == -1)
		return;
	event_del(tc->ev_io);
	tc->io_fd = -1;
}

/* Watches fd for what, persistently: an edge-triggered event added again
 * would fire at once for a readiness it already reported. */
static void
io_watch(struct tcase *tc, int fd, short what)
{
	if (tc->io_fd == fd && tc->io_what == what)
		return;
	io_stop(tc);
	event_assign(tc->ev_io, tc->env->base, fd, what | EV_PERSIST,
	    case_on_io, tc);
	if (event_add(tc->ev_io, NULL) == 0) {
		tc->io_fd = fd;
		tc->io_what = what;
	}
}

/* Arms what wakes the pending step: its fd, its instant or tick, and
 * always its limit. */
static void
case_wait(struct tcase *tc)
{
	int64_t now = clock_mono_us(), at = tc->step_limit;

	case_set_pos(tc, POS_WAITING);
	if (tc->pend.fd != -1)
		io_watch(tc, tc->pend.fd, tc->pend.what);
	else
		io_stop(tc);
	if (tc->pend.wake_at != 0 && tc->pend.wake_at < at)
		at = tc->pend.wake_at;
	if (tc->pend.tick && now + tc->tick_us < at) {
		at = now + tc->tick_us;
		if (tc->tick_us < TICK_MAX_US)
			tc->tick_us *= 2;
	}
	tick_until(tc, at);
}

/* Whether steps i and i+1 are the halves of one "both" instant action. */
static int
step_is_pair(const struct scenario *sc, size_t i)
{
	return sc->steps[i].paired && i + 1 < sc->nsteps &&
	    (verb_flags(sc->steps[i].verb) & VF_INSTANT);
}

/* Runs the two halves of a "both" action back to back, then observes
 * once. Closes that may linger go to a worker together; 1 when done
 * here, 0 on a worker. */
static int
pair_run(struct tcase *tc, size_t i)
{
	struct step_result *a = &tc->res.res[i], *b = &tc->res.res[i + 1];
	enum verb v = tc->sc->steps[i].verb;
	int64_t t0, t1;
	int k;

	for (k = 0; v == VERB_CLOSE && k < 2; k++)
		if (close_may_block(step_end(tc, &tc->sc->steps[i + k])->fd))
			return job_start(tc, i, 2) == ACT_DONE;
	t0 = clock_mono_us();
	a->t_us = b->t_us = t0 - tc->mono0;
	acts[v](tc, &tc->sc->steps[i], a, t0);
	t1 = clock_mono_us();
	a->dur_us = t1 - t0;
	acts[v](tc, &tc->sc->steps[i + 1], b, t1);
	b->dur_us = clock_mono_us() - t1;
	wire_settle(tc);
	case_observe(tc, &tc->sc->steps[i], a);
	memcpy(b->end, a->end, sizeof(b->end));
	step_settle(tc, i);
	step_settle(tc, i + 1);
	return 1;
}

/* Runs steps from cur until one is pending, one fails, or the script
 * ends. */
static void
case_run(struct tcase *tc)
{
	env_drain(tc->env);
	while (tc->cur < tc->sc->nsteps) {
		size_t n = 1;

		if (step_is_pair(tc->sc, tc->cur) && tc->step_t0 == 0) {
			n = 2;
			if (!pair_run(tc, tc->cur)) {
				case_set_pos(tc, POS_WORKER);
				return;
			}
		} else if (!step_run(tc, tc->cur)) {
			if (tc->job != NULL)
				case_set_pos(tc, POS_WORKER);
			else
				case_wait(tc);
			return;
		}
		io_stop(tc);
		tc->step_t0 = 0;
		while (n-- > 0) {
			enum step_status s = tc->res.res[tc->cur].status;

			if (s != STEP_OK && s != STEP_SKIPPED) {
				case_finish(tc);
				return;
			}
			tc->cur++;
		}
	}
	case_finish(tc);
}

/* On a worker: the job's closes, back to back, each timed. */
static void
job_run(struct job *j)
{
	struct case_job *cj = (struct case_job *)j;
	int k;

	for (k = 0; k < cj->n; k++) {
		cj->t0[k] = clock_mono_us();
		cj->rc[k] = close(cj->fd[k]);
		cj->err[k] = cj->rc[k] < 0 ? errno : 0;
		cj->t1[k] = clock_mono_us();
	}
}

/* The n steps from cur came back from a worker: observe, settle, and go
 * on unless one failed. */
static void
job_settle(struct tcase *tc, int n)
{
	struct step_result *r = &tc->res.res[tc->cur];
	int k;

	wire_settle(tc);
	case_observe(tc, &tc->sc->steps[tc->cur], r);
	if (n == 2)
		memcpy(r[1].end, r[0].end, sizeof(r->end));	/* shared */
	for (k = 0; k < n; k++)
		step_settle(tc, tc->cur + (size_t)k);
	tc->step_t0 = 0;
	case_set_pos(tc, POS_RUNNING);
	for (k = 0; k < n; k++, tc->cur++)
		if (tc->res.res[tc->cur].status != STEP_OK) {
			case_finish(tc);
			return;
		}
	case_run(tc);
}

/* Back on the loop: the job's results become its steps', and the case
 * goes on; a case that let go of it (ended meanwhile) is not touched. */
static void
job_done(struct job *j)
{
	struct case_job *cj = (struct case_job *)j;
	struct tcase *tc = cj->tc;
	int k;

	cj->env->fds -= cj->nfd;		/* closed */
	if (!j->cancelled && tc != NULL) {
		tc->job = NULL;
		for (k = 0; k < cj->n; k++) {
			struct step_result *r = &tc->res.res[tc->cur + (size_t)k];

			r->t_us = cj->t0[k] - tc->mono0;
			r->dur_us = cj->t1[k] - cj->t0[k];
			r->rc = cj->rc[k];
			r->err = cj->err[k];
		}
		job_settle(tc, cj->n);
	}
	free(cj);
}

/* Hands the closes of steps i (..i+n-1) to a worker, with their fds.
 * ACT_WORKER, or ACT_DONE with the failure in step i's result. */
static enum act
job_start(struct tcase *tc, size_t i, int n)
{
	struct case_job *cj;
	int k;

	if ((cj = calloc(1, sizeof(*cj))) == NULL)
		goto fail;
	cj->j.run = job_run;
	cj->j.done = job_done;
	cj->tc = tc;
	cj->env = tc->env;
	cj->n = n;
	for (k = 0; k < n; k++) {
		struct end *e = step_end(tc, &tc->sc->steps[i + (size_t)k]);

		cj->fd[k] = e->fd;		/* counted until the job is done */
		e->fd = -1;
		cj->nfd += cj->fd[k] != -1;
	}
	tc->res.res[i].t_us = clock_mono_us() - tc->mono0;
	if (workers_submit(tc->env->workers, &cj->j) == -1)
		goto fail;
	tc->job = cj;
	return ACT_WORKER;
fail:
	log_warn("%s: no worker for a blocking call", tc->sc->name);
	free(cj);
	set_rc(&tc->res.res[i], -1);
	return ACT_DONE;
}

/* Lets go of what the case holds outside itself: its job (it finishes
 * on its own), its registrations (every segment and state change of the
 * case is in; the clean-up RSTs are not its), its sockets (with an RST). */
static void
case_release(struct tcase *tc)
{
	int k;

	if (tc->job != NULL) {
		tc->job->j.cancelled = 1;
		tc->job->tc = NULL;
		tc->job = NULL;
	}
	if (on_relay(tc) && tc->res.relay_ctx != NULL) {
		relay_drain(tc->rs->relay);	/* the case's last segments */
		relay_settle(tc->rs->relay, &tc->res);
		capture_remove(relay_capture(tc->rs->relay), &tc->res);
		relay_remove(tc->rs->relay, &tc->res);
	} else
		capture_remove(case_capture(tc), &tc->res);
	trans_remove(tc->env->trans, &tc->res);
	for (k = tc->nend - 1; tc->end != NULL && k >= 0; k--)
		end_discard(tc, &tc->end[k]);
}

/* Ends the case: sockets closed, verdict set, done called. */
static void
case_finish(struct tcase *tc)
{
	if (tc->pos == POS_DONE)
		return;
	tc->tick_at = tc->deadline_at = 0;
	event_del(tc->ev_timer);
	io_stop(tc);
	if (tc->ev_accept != NULL)
		event_del(tc->ev_accept);
	case_release(tc);
	tc->res.dur_us = clock_mono_us() - tc->mono0;
	verdict_case(&tc->res);
	verdict_wire(&tc->res);
	verdict_sign(&tc->res);
	case_set_pos(tc, POS_DONE);
	tc->done(tc, tc->done_arg);
}

/* Ends a running case now because the run was stopped. */
void
case_abandon(struct tcase *tc, const char *why)
{
	if (tc->pos == POS_DONE)
		return;
	if (tc->pos == POS_SETUP || tc->cur >= tc->sc->nsteps) {
		if (tc->res.verdict != VERDICT_SKIPPED)
			tc->res.verdict = VERDICT_ABANDONED;
		if (tc->res.msg == NULL)
			case_msg(&tc->res, "%s", why);
	} else
		step_interrupt(tc, STEP_ABANDONED, why);
	case_finish(tc);
}

/* Frees the case but keeps its result, handed out (it must have ended). */
struct case_result *
case_detach(struct tcase *tc)
{
	struct case_result *cr = malloc(sizeof(*cr));

	if (cr != NULL) {
		*cr = tc->res;
		tc->res.res = NULL;
		tc->res.obs = NULL;
		tc->res.msg = NULL;
		tc->res.notes = NULL;
		tc->res.seg = NULL;
		tc->res.hdr = NULL;
		tc->res.sig = NULL;
		tc->res.tr = NULL;
	}
	case_free(tc);
	return cr;
}

/* Frees a case's observations. */
static void
obs_free(struct obs_block *b)
{
	struct obs_block *next;

	for (; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
}

/* Frees a result that case_detach handed out; NULL is a no-op. */
void
case_result_free(struct case_result *cr)
{
	if (cr == NULL)
		return;
	free(cr->res);
	free(cr->msg);
	step_notes_free(cr->notes);
	obs_free(cr->obs);
	free(cr->seg);
	signature_release(cr->sig);
	free(cr->hdr);
	free(cr->tr);
	free(cr);
}

/* Frees the case and its result. */
void
case_free(struct tcase *tc)
{
	if (tc == NULL)
		return;
	if (tc->env != NULL)
		case_release(tc);
	if (tc->ev_accept != NULL)
		event_free(tc->ev_accept);
	if (tc->ev_timer != NULL)
		event_free(tc->ev_timer);
	if (tc->ev_io != NULL)
		event_free(tc->ev_io);
	if (tc->ev_wake != NULL)
		event_free(tc->ev_wake);
	free(tc->end);
	free(tc->res.res);
	free(tc->res.msg);
	step_notes_free(tc->res.notes);
	obs_free(tc->res.obs);
	free(tc->res.seg);
	signature_release(tc->res.sig);
	free(tc->res.hdr);
	free(tc->res.tr);
	free(tc);
}
