/* case.c: one client/server pair on loopback stepping through its script.
 * A case is an explicit state machine (enum case_pos) driven by libevent:
 * steps that can complete at once do; waits, sleeps and short reads re-check
 * on a 2 ms tick until they hold or their limit passes. Nothing blocks the
 * loop except close(2) under SO_LINGER, which is measured and recorded. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "capture.h"
#include "case.h"
#include "fault.h"
#include "log.h"
#include "probe.h"
#include "verdict.h"

#define TICK_US		2000		/* re-check period of a pending step */
#define IO_LIMIT_US	5000000		/* how long send/recv may wait */
#define SCRATCH		65536

enum case_pos {
	POS_CONNECTING,				/* waiting for the handshake */
	POS_RUNNING,				/* executing steps */
	POS_WAITING,				/* step cur pending: re-checked on ticks */
	POS_DONE				/* result complete */
};

static const char *const pos_names[] = {
	[POS_CONNECTING] = "connecting", [POS_RUNNING] = "running",
	[POS_WAITING] = "waiting", [POS_DONE] = "done",
};

struct tcase {
	const struct scenario *sc;		/* the script */
	struct case_result res;			/* what was seen, handed out */
	enum case_pos pos;			/* where the case stands */
	size_t cur;				/* the step in progress */
	int lfd;				/* listener, until accept */
	int fd[2];				/* [SIDE_CLIENT], [SIDE_SERVER]; -1 closed */
	struct sockaddr_storage addr[2];	/* each end's own address */
	int last[2];				/* each side's last non-expect step, -1 */
	int64_t mono0;				/* monotonic start, us */
	int64_t timeout_us;			/* the case deadline, from start */
	int64_t step_t0;			/* monotonic start of step cur */
	int64_t step_limit;			/* monotonic limit of step cur */
	long progress;				/* bytes sent/read by step cur so far */
	struct event_base *base;
	struct probe *probe;
	struct capture *cap;			/* the run's, or NULL */
	struct event *ev_accept;		/* listener readable */
	struct event *ev_tick;			/* next check of a pending step */
	struct event *ev_deadline;		/* the case deadline */
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

/* Arms the tick to fire in us microseconds. */
static void
case_tick_in(struct tcase *tc, int64_t us)
{
	struct timeval tv = { .tv_sec = us / 1000000, .tv_usec = us % 1000000 };

	evtimer_add(tc->ev_tick, &tv);
}

/* Formats a socket address as "127.0.0.1:40000" or "[::1]:40000". */
static void
addr_format(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	}
}

/* Records the state of both ends into r. */
static void
case_observe(struct tcase *tc, struct step_result *r)
{
	int s;

	for (s = SIDE_CLIENT; s <= SIDE_SERVER; s++) {
		if (probe_end(tc->probe, tc->fd[s], (struct sockaddr *)&tc->addr[s],
		    (struct sockaddr *)&tc->addr[!s], &r->end[s]) == -1)
			log_warn("%s: probe of the %s end", tc->sc->name,
			    side_name((enum side)s));
	}
}

/* Fails set-up: the case ends with verdict error and why. */
static void
case_setup_failed(struct tcase *tc, const char *what)
{
	snprintf(tc->res.msg, sizeof(tc->res.msg), "set-up: %s: %s", what,
	    strerror(errno));
	tc->res.verdict = VERDICT_ERROR;
	case_finish(tc);
}

/* Registers the connection with the capture. Its SYN has been sent but
 * the capture reads it only once control is back in the event loop, so
 * every segment of the case is caught. */
static void
case_capture(struct tcase *tc, const struct sockaddr *server)
{
	struct sockaddr_storage client;
	socklen_t len = sizeof(client);

	if (tc->cap == NULL)
		return;
	if (getsockname(tc->fd[SIDE_CLIENT], (struct sockaddr *)&client,
	    &len) == -1 || capture_add(tc->cap, (struct sockaddr *)&client,
	    server, &tc->res) == -1)
		log_warn("%s: the wire of this case is not observed",
		    tc->sc->name);
}

/* Opens the listener and starts the client's connect. 0 or -1. */
static int
case_connect(struct tcase *tc, const char **what)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int af = tc->res.family == FAM_IPV6 ? AF_INET6 : AF_INET;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = af;
	if (af == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
		len = sizeof(struct sockaddr_in6);
	}
	*what = "listener";
	tc->lfd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (tc->lfd == -1 || bind(tc->lfd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(tc->lfd, 1) == -1 ||
	    getsockname(tc->lfd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	*what = "connect";
	tc->fd[SIDE_CLIENT] = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (tc->fd[SIDE_CLIENT] == -1)
		return -1;
	if (connect(tc->fd[SIDE_CLIENT], (struct sockaddr *)&ss, len) == -1 &&
	    errno != EINPROGRESS)
		return -1;
	case_capture(tc, (struct sockaddr *)&ss);
	return 0;
}

/* The handshake completed: accept the server end and run the script. */
static void
case_on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct tcase *tc = arg;
	socklen_t len = sizeof(tc->addr[SIDE_SERVER]);
	int fd;

	fd = accept4(lfd, (struct sockaddr *)&tc->addr[SIDE_SERVER], &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		case_setup_failed(tc, "accept");
		return;
	}
	tc->fd[SIDE_SERVER] = fd;
	len = sizeof(tc->addr[SIDE_CLIENT]);
	if (getsockname(tc->fd[SIDE_CLIENT], (struct sockaddr *)&tc->addr[SIDE_CLIENT],
	    &len) == -1 || getsockname(fd, (struct sockaddr *)&tc->addr[SIDE_SERVER],
	    &(socklen_t){ sizeof(tc->addr[SIDE_SERVER]) }) == -1) {
		case_setup_failed(tc, "getsockname");
		return;
	}
	event_del(tc->ev_accept);
	close(tc->lfd);
	tc->lfd = -1;
	addr_format(&tc->addr[SIDE_CLIENT], tc->res.client_addr, sizeof(tc->res.client_addr));
	addr_format(&tc->addr[SIDE_SERVER], tc->res.server_addr, sizeof(tc->res.server_addr));
	/* Steps are timed from the case's start, as its segments are. */
	case_set_pos(tc, POS_RUNNING);
	case_run(tc);
}

/* The tick: re-check the pending step, or act on set-up failure. */
static void
case_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct tcase *tc = arg;

	if (tc->pos == POS_CONNECTING && tc->res.verdict == VERDICT_ERROR) {
		case_finish(tc);
		return;
	}
	if (tc->pos == POS_WAITING) {
		case_set_pos(tc, POS_RUNNING);
		case_run(tc);
	}
}

/* The case deadline passed. */
static void
case_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct tcase *tc = arg;
	char why[96];

	snprintf(why, sizeof(why), "case deadline of %.1f s reached",
	    tc->timeout_us / 1e6);
	case_abandon(tc, tc->pos == POS_CONNECTING ? "handshake did not complete" : why);
}

/* Starts a case on base. */
struct tcase *
case_start(struct event_base *base, struct probe *probe,
    struct capture *cap, const struct scenario *sc, enum family fam, int rep,
    int64_t timeout_us, case_done_fn done, void *arg)
{
	struct tcase *tc;
	const char *what = "";
	struct timeval tv;

	if ((tc = calloc(1, sizeof(*tc))) == NULL ||
	    (tc->res.res = calloc(sc->nsteps ? sc->nsteps : 1, sizeof(*tc->res.res))) == NULL) {
		free(tc);
		return NULL;
	}
	tc->sc = sc;
	tc->base = base;
	tc->probe = probe;
	tc->cap = cap;
	tc->done = done;
	tc->done_arg = arg;
	tc->lfd = tc->fd[0] = tc->fd[1] = -1;
	tc->last[0] = tc->last[1] = -1;
	tc->res.sc = sc;
	tc->res.family = fam;
	tc->res.rep = rep;
	tc->res.first_fail = -1;
	tc->res.start_us = clock_wall_us();
	tc->mono0 = clock_mono_us();
	tc->ev_tick = evtimer_new(base, case_on_tick, tc);
	tc->ev_deadline = evtimer_new(base, case_on_deadline, tc);
	if (tc->ev_tick == NULL || tc->ev_deadline == NULL) {
		case_free(tc);
		return NULL;
	}
	if (sc->timeout_us > 0)
		timeout_us = sc->timeout_us;
	tc->timeout_us = timeout_us;
	tv.tv_sec = timeout_us / 1000000;
	tv.tv_usec = timeout_us % 1000000;
	evtimer_add(tc->ev_deadline, &tv);
	if (case_connect(tc, &what) == -1 ||
	    (tc->ev_accept = event_new(base, tc->lfd, EV_READ | EV_PERSIST,
	    case_on_accept, tc)) == NULL || event_add(tc->ev_accept, NULL) == -1) {
		snprintf(tc->res.msg, sizeof(tc->res.msg), "set-up: %s: %s", what,
		    strerror(errno));
		tc->res.verdict = VERDICT_ERROR;
		case_tick_in(tc, 0);
	}
	return tc;
}

/* Index of the next step of side after step i, or -1. */
static int
next_of_side(const struct scenario *sc, size_t i, enum side side)
{
	for (i++; i < sc->nsteps; i++)
		if (sc->steps[i].side == side)
			return (int)i;
	return -1;
}

/* Sets r's outcome from a system call's return value. */
static void
set_rc(struct step_result *r, long rc)
{
	r->rc = rc;
	r->err = rc < 0 ? errno : 0;
}

/* The end's fd for a step, or -1 with EBADF in r when it is closed. */
static int
step_fd(struct tcase *tc, const struct step *st, struct step_result *r)
{
	if (tc->fd[st->side] == -1) {
		r->rc = -1;
		r->err = EBADF;
	}
	return tc->fd[st->side];
}

/* send N: write until N bytes are out; 1 done, 0 pending. */
static int
do_send(struct tcase *tc, const struct step *st, struct step_result *r)
{
	static char pattern[SCRATCH];
	int fd = step_fd(tc, st, r);
	ssize_t n;

	if (fd == -1)
		return 1;
	while (tc->progress < st->n) {
		size_t want = (size_t)(st->n - tc->progress);

		n = send(fd, pattern, want < sizeof(pattern) ? want : sizeof(pattern),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n == -1) {
			set_rc(r, -1);
			return 1;
		}
		tc->progress += n;
	}
	set_rc(r, tc->progress);
	return 1;
}

/* recv N|all|eof: read as the mode says; 1 done, 0 pending. */
static int
do_recv(struct tcase *tc, const struct step *st, struct step_result *r)
{
	static char buf[SCRATCH];
	int fd = step_fd(tc, st, r);
	ssize_t n;

	if (fd == -1)
		return 1;
	for (;;) {
		size_t want = sizeof(buf);

		if (st->mode == RECV_BYTES) {
			if (tc->progress >= st->n)
				break;
			if ((size_t)(st->n - tc->progress) < want)
				want = (size_t)(st->n - tc->progress);
		}
		n = recv(fd, buf, want, MSG_DONTWAIT);
		if (n == -1 && errno == EAGAIN) {
			if (st->mode == RECV_ALL && tc->progress > 0)
				break;
			return 0;
		}
		if (n == -1) {
			set_rc(r, -1);
			return 1;
		}
		if (n == 0) {
			r->eof = 1;
			break;
		}
		tc->progress += n;
	}
	set_rc(r, tc->progress);
	return 1;
}

/* The setsockopt steps: linger, linger2, nodelay, quickack, user-timeout. */
static void
do_sockopt(struct tcase *tc, const struct step *st, struct step_result *r)
{
	struct linger lg = { .l_onoff = st->mode, .l_linger = (int)st->n };
	int fd = step_fd(tc, st, r), v = (int)st->n;

	if (fd == -1)
		return;
	switch (st->verb) {
	case VERB_LINGER:
		set_rc(r, setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
		break;
	case VERB_LINGER2:
		set_rc(r, setsockopt(fd, IPPROTO_TCP, TCP_LINGER2, &v, sizeof(v)));
		break;
	case VERB_NODELAY:
		v = st->mode;
		set_rc(r, setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)));
		break;
	case VERB_QUICKACK:
		v = 1;
		set_rc(r, setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &v, sizeof(v)));
		break;

	default:
		set_rc(r, setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof(v)));
		break;
	}
}

/* poll: the end's events right now, without RDNORM/WRNORM duplicates. */
static void
do_poll(struct tcase *tc, const struct step *st, struct step_result *r)
{
	struct pollfd p = { .fd = step_fd(tc, st, r),
	    .events = POLLIN | POLLPRI | POLLOUT | POLLRDHUP };

	if (p.fd == -1)
		return;
	if (poll(&p, 1, 0) == -1) {
		set_rc(r, -1);
		return;
	}
	r->rc = p.revents & ~(POLLRDNORM | POLLWRNORM | POLLRDBAND | POLLWRBAND);
}

/* wait readable|hup: 1 when the condition holds (or cannot), 0 pending. */
static int
do_wait_poll(struct tcase *tc, const struct step *st, struct step_result *r)
{
	struct pollfd p = { .fd = step_fd(tc, st, r), .events = POLLIN | POLLRDHUP };
	int want = st->verb == VERB_WAIT_HUP ? POLLHUP : POLLIN | POLLERR | POLLHUP;

	if (p.fd == -1)
		return 1;
	if (poll(&p, 1, 0) == -1) {
		set_rc(r, -1);
		return 1;
	}
	r->rc = p.revents & ~(POLLRDNORM | POLLWRNORM | POLLRDBAND | POLLWRBAND);
	return (p.revents & want) != 0;
}

/* wait state S: 1 when the end is in S, 0 pending. */
static int
do_wait_state(struct tcase *tc, const struct step *st, struct step_result *r)
{
	case_observe(tc, r);
	return r->end[st->side].state == (enum tcp_state)st->n;
}

/* wait info F OP N: 1 when the end's field holds, 0 pending. */
static int
do_wait_info(struct tcase *tc, const struct step *st, struct step_result *r)
{
	long v;

	case_observe(tc, r);
	v = info_value(&r->end[st->side], (enum info_field)st->mode);
	return v >= 0 && op_holds(v, (enum cmp_op)st->op, st->n);
}

/* Runs the action of step i (not an expectation); 1 done, 0 pending. */
static int
step_act(struct tcase *tc, const struct step *st, struct step_result *r)
{
	int fd;

	switch (st->verb) {
	case VERB_SEND:
		return do_send(tc, st, r);
	case VERB_RECV:
		return do_recv(tc, st, r);
	case VERB_SHUTDOWN:
		if ((fd = step_fd(tc, st, r)) != -1)
			set_rc(r, shutdown(fd, st->mode));
		return 1;
	case VERB_CLOSE:
		if ((fd = step_fd(tc, st, r)) != -1) {
			tc->fd[st->side] = -1;
			set_rc(r, close(fd));
		}
		return 1;
	case VERB_FILTER:
		if ((fd = step_fd(tc, st, r)) != -1)
			set_rc(r, fault_apply(fd, (enum filter_kind)st->mode));
		return 1;
	case VERB_POLL:
		do_poll(tc, st, r);
		return 1;
	case VERB_SLEEP:
		return clock_mono_us() >= tc->step_t0 + st->dur_us;
	case VERB_WAIT_STATE:
		return do_wait_state(tc, st, r);
	case VERB_WAIT_INFO:
		return do_wait_info(tc, st, r);
	case VERB_WAIT_READABLE:
	case VERB_WAIT_HUP:
		return do_wait_poll(tc, st, r);
	default:
		do_sockopt(tc, st, r);
		return 1;
	}
}

/* The end's pending SO_ERROR, or -1 when the fd is closed. */
static int
end_so_error(struct tcase *tc, enum side side)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (tc->fd[side] == -1 ||
	    getsockopt(tc->fd[side], SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return -1;
	return err;
}

/* Checks expectation step i; sets the result's status. */
static void
step_expect(struct tcase *tc, size_t i)
{
	const struct step *st = &tc->sc->steps[i];
	struct step_result *r = &tc->res.res[i];
	int l = tc->last[st->side];
	int so_error = st->verb == VERB_EXPECT_SOERROR ? end_so_error(tc, st->side) : 0;

	case_observe(tc, r);
	if (verdict_expect(st, l >= 0 ? &tc->sc->steps[l] : NULL,
	    l >= 0 ? &tc->res.res[l] : NULL, &r->end[st->side], so_error,
	    r->msg, sizeof(r->msg)))
		r->status = STEP_OK;
	else
		r->status = STEP_FAILED;
}

/* Why a wait info step did not hold. */
static void
wait_info_failed(const struct step *st, const struct end_obs *o, char *msg,
    size_t len)
{
	enum info_field f = (enum info_field)st->mode;
	long v = info_value(o, f);
	size_t n;

	if (v < 0) {
		verdict_info_absent(f, o, msg, len);
		n = strnlen(msg, len);
		snprintf(msg + n, len - n, ", after %.0f ms", st->dur_us / 1000.0);
	} else
		snprintf(msg, len, "%s is %ld, not %s %ld, after %.0f ms", info_name(f),
		    v, op_name((enum cmp_op)st->op), st->n, st->dur_us / 1000.0);
}

/* Whether step i's wait ran past its limit: fills status and msg if so. */
static int
step_expired(struct tcase *tc, size_t i)
{
	const struct step *st = &tc->sc->steps[i];
	struct step_result *r = &tc->res.res[i];

	if (clock_mono_us() < tc->step_limit)
		return 0;
	if (st->verb == VERB_SEND || st->verb == VERB_RECV) {
		r->status = STEP_TIMEOUT;
		r->rc = tc->progress;
		snprintf(r->msg, sizeof(r->msg), "%s %s: still blocked after %d s",
		    verb_name(st->verb), st->args, IO_LIMIT_US / 1000000);
		return 1;
	}
	r->status = STEP_FAILED;
	if (st->verb == VERB_WAIT_INFO)
		wait_info_failed(st, &r->end[st->side], r->msg, sizeof(r->msg));
	else if (st->verb == VERB_WAIT_STATE)
		snprintf(r->msg, sizeof(r->msg), "state %s, not %s, after %.0f ms",
		    state_name(r->end[st->side].state), state_name((enum tcp_state)st->n),
		    st->dur_us / 1000.0);
	else
		snprintf(r->msg, sizeof(r->msg), "not %s after %.0f ms",
		    st->verb == VERB_WAIT_HUP ? "hung up" : "readable", st->dur_us / 1000.0);
	return 1;
}

/* Settles an action step that returned: an unexpected errno fails it. */
static void
step_settle(struct tcase *tc, size_t i)
{
	const struct step *st = &tc->sc->steps[i];
	struct step_result *r = &tc->res.res[i];
	int next = next_of_side(tc->sc, i, st->side);

	if (r->status == STEP_NOT_RUN)
		r->status = STEP_OK;
	if (r->status == STEP_OK && r->err != 0 && (next < 0 ||
	    tc->sc->steps[next].verb != VERB_EXPECT_ERRNO)) {
		r->status = STEP_FAILED;
		snprintf(r->msg, sizeof(r->msg), "%s failed with %s (not expected)",
		    verb_name(st->verb), errno_name(r->err));
	}
	tc->last[st->side] = (int)i;
}

/* Starts or continues step i; 1 when it is finished, 0 when pending. */
static int
step_run(struct tcase *tc, size_t i)
{
	const struct step *st = &tc->sc->steps[i];
	struct step_result *r = &tc->res.res[i];
	int finished;

	if (tc->step_t0 == 0) {
		tc->step_t0 = clock_mono_us();
		tc->progress = 0;
		tc->step_limit = tc->step_t0 + (st->verb == VERB_SEND ||
		    st->verb == VERB_RECV ? IO_LIMIT_US : st->dur_us);
		r->t_us = tc->step_t0 - tc->mono0;
	}
	if (verb_is_expect(st->verb)) {
		step_expect(tc, i);
		r->dur_us = clock_mono_us() - tc->step_t0;
		return 1;
	}
	finished = step_act(tc, st, r);
	r->dur_us = clock_mono_us() - tc->step_t0;
	if (!finished && !step_expired(tc, i))
		return 0;
	if ((st->verb != VERB_WAIT_STATE && st->verb != VERB_WAIT_INFO) || finished)
		case_observe(tc, r);
	step_settle(tc, i);
	return 1;
}

/* Whether a verb acts at once, without waiting. */
static int
verb_instant(enum verb v)
{
	switch (v) {
	case VERB_SHUTDOWN: case VERB_CLOSE: case VERB_LINGER: case VERB_LINGER2:
	case VERB_NODELAY: case VERB_QUICKACK: case VERB_USER_TIMEOUT:
	case VERB_FILTER: case VERB_POLL:
		return 1;
	default:
		return 0;
	}
}

/* Waits (at most ~10 ms) for the next kernel tick: the coarse monotonic
 * clock moves once per jiffy, as jiffies do. Two FINs sent right after it
 * arm their retransmission timers in the same jiffy, so the timers fire in
 * the same timer run and the retransmitted FINs cross; sent across a tick
 * they would fire a jiffy apart, and the first would be processed before
 * the second is sent. */
static void
tick_align(void)
{
	struct timespec a, b;
	int64_t limit = clock_mono_us() + 10000;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &a);
	do
		clock_gettime(CLOCK_MONOTONIC_COARSE, &b);
	while (b.tv_nsec == a.tv_nsec && b.tv_sec == a.tv_sec &&
	    clock_mono_us() < limit);
}

/* Runs the two halves of a "both" action back to back, then observes once:
 * the ends act microseconds apart, so their FINs (and the kernel's
 * retransmission timers) start together, as simultaneous close needs. */
static void
step_pair_run(struct tcase *tc, size_t i)
{
	struct step_result *a = &tc->res.res[i], *b = &tc->res.res[i + 1];
	int64_t t0, t1;

	if (tc->sc->steps[i].verb == VERB_SHUTDOWN || tc->sc->steps[i].verb == VERB_CLOSE)
		tick_align();
	t0 = clock_mono_us();
	a->t_us = b->t_us = t0 - tc->mono0;
	step_act(tc, &tc->sc->steps[i], a);
	t1 = clock_mono_us();
	a->dur_us = t1 - t0;
	step_act(tc, &tc->sc->steps[i + 1], b);
	b->dur_us = clock_mono_us() - t1;
	case_observe(tc, a);
	memcpy(b->end, a->end, sizeof(b->end));
	step_settle(tc, i);
	step_settle(tc, i + 1);
}

/* Whether steps i and i+1 are the halves of one "both" instant action. */
static int
step_is_pair(const struct scenario *sc, size_t i)
{
	return sc->steps[i].paired && i + 1 < sc->nsteps &&
	    verb_instant(sc->steps[i].verb);
}

/* Runs steps from cur until one is pending, one fails, or the script ends. */
static void
case_run(struct tcase *tc)
{
	while (tc->cur < tc->sc->nsteps) {
		const struct step *st = &tc->sc->steps[tc->cur];

		if (step_is_pair(tc->sc, tc->cur)) {
			step_pair_run(tc, tc->cur);
			if (tc->res.res[tc->cur].status != STEP_OK)
				break;
			tc->cur++;
			if (tc->res.res[tc->cur].status != STEP_OK)
				break;
			tc->cur++;
			continue;
		}
		if (!step_run(tc, tc->cur)) {
			case_set_pos(tc, POS_WAITING);
			int64_t left = tc->step_t0 + st->dur_us - clock_mono_us();

			case_tick_in(tc, st->verb != VERB_SLEEP ? TICK_US :
			    left > 0 ? left : 0);
			return;
		}
		tc->step_t0 = 0;
		if (tc->res.res[tc->cur].status != STEP_OK)
			break;
		tc->cur++;
	}
	case_finish(tc);
}

/* Closes an end for good: an RST, so no orphan outlives the case. */
static void
end_discard(int *fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (*fd == -1)
		return;
	fault_apply(*fd, FILTER_NONE);
	setsockopt(*fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(*fd);
	*fd = -1;
}

/* Ends the case: sockets closed, verdict set, done called. */
static void
case_finish(struct tcase *tc)
{
	if (tc->pos == POS_DONE)
		return;
	event_del(tc->ev_tick);
	event_del(tc->ev_deadline);
	if (tc->ev_accept != NULL)
		event_del(tc->ev_accept);
	if (tc->lfd != -1)
		close(tc->lfd);
	tc->lfd = -1;
	/* Every segment of the case is in; the clean-up RSTs are not its. */
	capture_remove(tc->cap, &tc->res);
	end_discard(&tc->fd[SIDE_CLIENT]);
	end_discard(&tc->fd[SIDE_SERVER]);
	tc->res.dur_us = clock_mono_us() - tc->mono0;
	verdict_case(&tc->res);
	verdict_wire(&tc->res);
	case_set_pos(tc, POS_DONE);
	tc->done(tc, tc->done_arg);
}

/* Ends a running case now, recording why at the step in progress. */
void
case_abandon(struct tcase *tc, const char *why)
{
	struct step_result *r;

	if (tc->pos == POS_DONE)
		return;
	if (tc->pos == POS_CONNECTING) {
		snprintf(tc->res.msg, sizeof(tc->res.msg), "set-up: %s", why);
		tc->res.verdict = VERDICT_ERROR;
	} else if (tc->cur < tc->sc->nsteps) {
		r = &tc->res.res[tc->cur];
		r->status = STEP_TIMEOUT;
		r->dur_us = clock_mono_us() - tc->step_t0;
		snprintf(r->msg, sizeof(r->msg), "%s", why);
		case_observe(tc, r);
	}
	case_finish(tc);
}

/* The case's result. */
struct case_result *
case_result(struct tcase *tc)
{
	return &tc->res;
}

/* Frees the case and its result. */
void
case_free(struct tcase *tc)
{
	if (tc == NULL)
		return;
	if (tc->ev_accept != NULL)
		event_free(tc->ev_accept);
	if (tc->ev_tick != NULL)
		event_free(tc->ev_tick);
	if (tc->ev_deadline != NULL)
		event_free(tc->ev_deadline);
	if (tc->lfd != -1)
		close(tc->lfd);
	capture_remove(tc->cap, &tc->res);
	end_discard(&tc->fd[SIDE_CLIENT]);
	end_discard(&tc->fd[SIDE_SERVER]);
	free(tc->res.res);
	free(tc->res.seg);
	free(tc);
}
