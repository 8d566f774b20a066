/* test_probe.c: the probe and the fault filters on real loopback pairs,
 * IPv4 (127.0.0.1) and IPv6 (::1). Kernel timers (200 ms minimum RTO,
 * 40 ms delayed ACK) are waited for with bounded polling loops, never with
 * exact timings. Every socket is aborted (SO_LINGER 0) at the end, and
 * every orphan a test makes is shown to be gone before the test returns;
 * only TIME_WAIT mini-sockets, which send nothing, stay behind. */
#include "testutil.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/tcp.h>

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "probe.h"
#include "scenario.h"

#define WAIT_MS		3000		/* bound of every wait */
#define STEP_MS		5		/* polling step */
#define HOLD_MS		500		/* "stays": over two minimum RTOs */
#define USER_TMO_MS	1000		/* backstop that kills stray orphans */

struct pair {
	int family;				/* AF_INET or AF_INET6 */
	int lfd;				/* listener, -1 once closed */
	int cfd;				/* client end, -1 once closed */
	int sfd;				/* server end, -1 once closed */
	struct sockaddr_storage caddr;		/* client's own address */
	struct sockaddr_storage saddr;		/* server's own address */
};

/* Milliseconds on the monotonic clock. */
static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Sleeps about ms milliseconds. */
static void
nap(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Sets an int socket option; asserts it works. */
static void
setopt(int fd, int level, int name, int val)
{
	assert_int_equal(setsockopt(fd, level, name, &val, sizeof(val)), 0);
}

/* Closes fd the ordinary way (FIN, maybe an orphan) and marks it closed. */
static void
close_fd(int *fd)
{
	close(*fd);
	*fd = -1;
}

/* Aborts fd (SO_LINGER 0 + close: RST, no orphan) and marks it closed. */
static void
abort_fd(int *fd)
{
	struct linger l = { 1, 0 };

	if (*fd < 0)
		return;
	setsockopt(*fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(*fd);
	*fd = -1;
}

/* Sets the port of an inet address. */
static void
set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* Pairs a test has open (static, so they outlive a failed test), aborted
 * by test_teardown if an assertion fails. */
static struct pair *live[4];

/* Remembers pr as open, or forgets it (on == 0). */
static void
pair_track(struct pair *pr, int on)
{
	size_t i;

	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		if (on && live[i] == NULL) {
			live[i] = pr;
			return;
		}
		if (!on && live[i] == pr)
			live[i] = NULL;
	}
	assert_false(on);		/* more pairs than slots */
}

/* Connects a client to a fresh listener on loopback and accepts it. */
static void
pair_open(struct pair *pr, int family, int keep_listener)
{
	struct sockaddr_storage ss;
	socklen_t len = tu_loopback(family, &ss);

	memset(pr, 0, sizeof(*pr));
	pr->family = family;
	pr->lfd = pr->cfd = pr->sfd = -1;
	pair_track(pr, 1);
	pr->lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(pr->lfd >= 0);
	assert_int_equal(bind(pr->lfd, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(listen(pr->lfd, 4), 0);
	assert_int_equal(getsockname(pr->lfd, (struct sockaddr *)&ss, &len), 0);
	pr->cfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(pr->cfd >= 0);
	assert_int_equal(connect(pr->cfd, (struct sockaddr *)&ss, len), 0);
	pr->sfd = accept4(pr->lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(pr->sfd >= 0);
	len = sizeof(pr->caddr);
	assert_int_equal(getsockname(pr->cfd, (struct sockaddr *)&pr->caddr,
	    &len), 0);
	len = sizeof(pr->saddr);
	assert_int_equal(getsockname(pr->sfd, (struct sockaddr *)&pr->saddr,
	    &len), 0);
	if (!keep_listener)
		close_fd(&pr->lfd);
}

/* Aborts whatever of the pair is still open. */
static void
pair_close(struct pair *pr)
{
	abort_fd(&pr->cfd);
	abort_fd(&pr->sfd);
	abort_fd(&pr->lfd);
	pair_track(pr, 0);
}

/* Probes the client end (fd may be -1); asserts the probe worked. */
static void
probe_client(struct probe *p, struct pair *pr, int fd, struct end_obs *o)
{
	assert_int_equal(probe_end(p, fd, (struct sockaddr *)&pr->caddr,
	    (struct sockaddr *)&pr->saddr, o, NULL), 0);
}

/* Probes the server end (fd may be -1); asserts the probe worked. */
static void
probe_server(struct probe *p, struct pair *pr, int fd, struct end_obs *o)
{
	assert_int_equal(probe_end(p, fd, (struct sockaddr *)&pr->saddr,
	    (struct sockaddr *)&pr->caddr, o, NULL), 0);
}

/* Probes one end of the pair: the client if client, else the server. */
static void
probe_side(struct probe *p, struct pair *pr, int client, int fd,
    struct end_obs *o)
{
	if (client)
		probe_client(p, pr, fd, o);
	else
		probe_server(p, pr, fd, o);
}

/* Polls one end until it is in state want; returns the ms it took, or
 * fails the test after WAIT_MS. */
static long
wait_state(struct probe *p, struct pair *pr, int client, int fd,
    enum tcp_state want, struct end_obs *o)
{
	long t0 = now_ms();
	int i;

	for (i = 0; i <= WAIT_MS / STEP_MS; i++) {
		probe_side(p, pr, client, fd, o);
		if (o->state == want)
			return now_ms() - t0;
		if (now_ms() - t0 > WAIT_MS)
			break;
		nap(STEP_MS);
	}
	fail_msg("%s end: %s after %d ms, wanted %s",
	    client ? "client" : "server", state_name(o->state), WAIT_MS,
	    state_name(want));
	return -1;
}

/* Asserts that one end stays in state want for HOLD_MS. */
static void
hold_state(struct probe *p, struct pair *pr, int client, int fd,
    enum tcp_state want)
{
	struct end_obs o;
	long t0 = now_ms();
	int i;

	for (i = 0; i <= HOLD_MS / STEP_MS; i++) {
		probe_side(p, pr, client, fd, &o);
		if (o.state != want)
			fail_msg("%s end left %s for %s after %ld ms",
			    client ? "client" : "server", state_name(want),
			    state_name(o.state), now_ms() - t0);
		if (now_ms() - t0 >= HOLD_MS)
			return;
		nap(STEP_MS);
	}
}

/* Polls one end until its total_retrans grows; returns the ms it took. */
static long
wait_retrans(struct probe *p, struct pair *pr, int client, int fd,
    struct end_obs *o)
{
	long t0 = now_ms();
	int i;

	for (i = 0; i <= WAIT_MS / STEP_MS; i++) {
		probe_side(p, pr, client, fd, o);
		assert_int_equal(o->has_info, 1);
		if (o->info.total_retrans > 0)
			return now_ms() - t0;
		if (now_ms() - t0 > WAIT_MS)
			break;
		nap(STEP_MS);
	}
	fail_msg("no retransmission within %d ms", WAIT_MS);
	return -1;
}

/* Is fd readable within ms? */
static int
readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 && (pfd.revents & POLLIN);
}

/* Sends n bytes on fd; asserts they were queued. */
static void
send_bytes(int fd, size_t n)
{
	char buf[1024];

	memset(buf, 'x', sizeof(buf));
	assert_true(n <= sizeof(buf));
	assert_int_equal(send(fd, buf, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Is the running kernel Linux maj.min or later? */
static int
kernel_at_least(int maj, int min)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) == -1 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return major > maj || (major == maj && minor >= min);
}

/* Does the running kernel return tcpi_rcv_wnd (Linux 6.2 and later)? */
static int
kernel_has_rcv_wnd(void)
{
	return kernel_at_least(6, 2);
}

/* Opens the probe shared by every test. */
static int
group_setup(void **state)
{
	struct probe *p = probe_open();

	if (p == NULL)
		return -1;
	*state = p;
	return 0;
}

/* Aborts what a failed test left open, so no orphan outlives it. */
static int
test_teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (live[i] != NULL)
			pair_close(live[i]);
	return 0;
}

/* Closes the shared probe. */
static int
group_teardown(void **state)
{
	probe_close(*state);
	return 0;
}

static const int families[] = { AF_INET, AF_INET6 };
#define NFAMILIES (sizeof(families) / sizeof(families[0]))
#define FAMNAME(f) ((f) == AF_INET ? "ipv4" : "ipv6")

/* Both ends of a fresh pair: ESTABLISHED from TCP_INFO, with a snapshot. */
static void
established_pair_reports_established_through_tcp_info(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct end_obs o;
	size_t f;
	int side;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		for (side = 0; side < 2; side++) {
			probe_side(p, &pr, side, side ? pr.cfd : pr.sfd, &o);
			assert_int_equal(o.state, STATE_ESTABLISHED);
			assert_int_equal(o.source, OBS_INFO);
			assert_int_equal(o.has_info, 1);
			assert_true(o.info.rto > 0);
			assert_true(o.info.segs_in > 0);
			/* The SYN-ACK was the request socket's: an accepted
			 * end starts with segs_out 0 (seen on 6.18). */
			if (side)
				assert_true(o.info.segs_out >= 2);
			assert_true(o.info.snd_wnd > 0);
			/* rcv_wnd is there exactly when the kernel has it. */
			assert_int_equal(SNAP_HAS(&o.info, SNAP_RCV_WND),
			    kernel_has_rcv_wnd());
			if (kernel_has_rcv_wnd())
				assert_true(o.info.rcv_wnd > 0);
			assert_true(SNAP_HAS(&o.info, SNAP_RQUEUE));
			assert_true(SNAP_HAS(&o.info, SNAP_WQUEUE));
			assert_int_equal(o.info.rqueue, 0);
			assert_int_equal(o.info.wqueue, 0);
			assert_int_equal(o.timer, 0);
		}
		print_message("%s: rto %u us, snd_wnd %u, rcv_wnd %u\n",
		    FAMNAME(pr.family), o.info.rto, o.info.snd_wnd,
		    o.info.rcv_wnd);
		pair_close(&pr);
	}
}

/* Without the fd, sock_diag finds the same full socket, with tcp_info. */
static void
established_pair_is_found_through_sock_diag_without_its_fd(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct end_obs viafd, viadiag;
	size_t f;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		probe_client(p, &pr, pr.cfd, &viafd);
		probe_client(p, &pr, -1, &viadiag);
		assert_int_equal(viadiag.state, STATE_ESTABLISHED);
		assert_int_equal(viadiag.source, OBS_DIAG);
		assert_int_equal(viadiag.has_info, 1);
		assert_int_equal(viadiag.info.segs_out, viafd.info.segs_out);
		assert_int_equal(viadiag.info.snd_wnd, viafd.info.snd_wnd);
		assert_int_equal(viadiag.info.rcv_wnd, viafd.info.rcv_wnd);
		assert_int_equal(viadiag.info.rto, viafd.info.rto);
		pair_close(&pr);
	}
}

/* Client closes first (FIN_WAIT2), server closes: the client's closed end
 * is a TIME_WAIT mini-socket with its timer; the server's is gone. */
static void
closed_client_is_found_in_time_wait_through_sock_diag(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct end_obs o;
	size_t f;
	long ms;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		close_fd(&pr.cfd);
		wait_state(p, &pr, 0, pr.sfd, STATE_CLOSE_WAIT, &o);
		wait_state(p, &pr, 1, -1, STATE_FIN_WAIT2, &o);
		close_fd(&pr.sfd);
		ms = wait_state(p, &pr, 1, -1, STATE_TIME_WAIT, &o);
		assert_int_equal(o.source, OBS_DIAG_TW);
		assert_int_equal(o.has_info, 0);
		assert_int_equal(o.timer, 3);
		assert_true(o.timer_ms > 0 && o.timer_ms <= 60000);
		print_message("%s: TIME_WAIT after %ld ms, timer %u ms\n",
		    FAMNAME(pr.family), ms, o.timer_ms);
		wait_state(p, &pr, 0, -1, STATE_CLOSED, &o);
		assert_int_equal(o.source, OBS_GONE);
		assert_int_equal(o.has_info, 0);
		pair_close(&pr);
	}
}

/* An orphan whose FIN was acknowledged becomes a FIN_WAIT2 mini-socket
 * (tcp_fin_timeout <= 60 s): sock_diag reports its substate, no tcp_info. */
static void
orphan_in_fin_wait2_is_a_timewait_mini_socket(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct end_obs o;
	size_t f;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		close_fd(&pr.cfd);
		wait_state(p, &pr, 1, -1, STATE_FIN_WAIT2, &o);
		assert_int_equal(o.source, OBS_DIAG_TW);
		assert_int_equal(o.has_info, 0);
		assert_int_equal(o.timer, 3);
		assert_true(o.timer_ms > 0 && o.timer_ms <= 60000);
		print_message("%s: FIN_WAIT2 mini-socket, timer %u ms\n",
		    FAMNAME(pr.family), o.timer_ms);
		abort_fd(&pr.sfd);		/* its RST kills the mini-socket */
		wait_state(p, &pr, 1, -1, STATE_CLOSED, &o);
		pair_close(&pr);
	}
}

/* TCP_LINGER2 over 60 s keeps the FIN_WAIT2 orphan a full socket. */
static void
long_linger2_keeps_a_full_fin_wait2_orphan(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct end_obs o;
	size_t f;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		setopt(pr.cfd, IPPROTO_TCP, TCP_LINGER2, 90);
		close_fd(&pr.cfd);
		wait_state(p, &pr, 1, -1, STATE_FIN_WAIT2, &o);
		assert_int_equal(o.source, OBS_DIAG);
		assert_int_equal(o.has_info, 1);
		print_message("%s: full FIN_WAIT2 orphan, timer %d, %u ms\n",
		    FAMNAME(pr.family), o.timer, o.timer_ms);
		abort_fd(&pr.sfd);
		wait_state(p, &pr, 1, -1, STATE_CLOSED, &o);
		pair_close(&pr);
	}
}

/* The server drops everything: the closed client is an orphan in
 * FIN_WAIT1, a full socket whose tcp_info comes through sock_diag. */
static void
orphan_in_fin_wait1_reports_tcp_info_through_diag(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct end_obs o;
	size_t f;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		assert_int_equal(fault_apply(pr.sfd, FILTER_DROP_ALL), 0);
		setopt(pr.cfd, IPPROTO_TCP, TCP_USER_TIMEOUT, USER_TMO_MS);
		close_fd(&pr.cfd);
		probe_client(p, &pr, -1, &o);
		assert_int_equal(o.state, STATE_FIN_WAIT1);
		assert_int_equal(o.source, OBS_DIAG);
		assert_int_equal(o.has_info, 1);
		assert_int_equal(o.timer, 1);	/* retransmit timer */
		assert_true(o.info.unacked >= 1);	/* the FIN */
		wait_retrans(p, &pr, 1, -1, &o);
		assert_int_equal(o.state, STATE_FIN_WAIT1);
		print_message("%s: FIN_WAIT1 orphan: rto %u us, backoff %u, "
		    "total_retrans %u, timer %u ms\n", FAMNAME(pr.family),
		    o.info.rto, o.info.backoff, o.info.total_retrans,
		    o.timer_ms);
		abort_fd(&pr.sfd);		/* its RST ends the orphan */
		wait_state(p, &pr, 1, -1, STATE_CLOSED, &o);
		assert_int_equal(o.source, OBS_GONE);
		pair_close(&pr);
	}
}

/* A 4-tuple the kernel has never seen is CLOSED, found nowhere. */
static void
unknown_tuple_reports_closed(void **state)
{
	struct probe *p = *state;
	struct sockaddr_storage l, r;
	struct end_obs o;
	size_t f;

	for (f = 0; f < NFAMILIES; f++) {
		tu_loopback(families[f], &l);
		tu_loopback(families[f], &r);
		set_port(&l, 1);		/* tcpmux and compressnet: */
		set_port(&r, 2);		/* nothing uses them here */
		assert_int_equal(probe_end(p, -1, (struct sockaddr *)&l,
		    (struct sockaddr *)&r, &o, NULL), 0);
		assert_int_equal(o.state, STATE_CLOSED);
		assert_int_equal(o.source, OBS_GONE);
		assert_int_equal(o.has_info, 0);
	}
}

/* An exact lookup may fall back to a listener on the local port; the
 * probe must not report the listener as the closed server end. */
static void
closed_server_end_is_not_mistaken_for_its_listener(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct end_obs o;
	size_t f;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 1);
		abort_fd(&pr.sfd);
		abort_fd(&pr.cfd);
		/* The server's own address is the listener's. */
		probe_server(p, &pr, -1, &o);
		assert_int_equal(o.state, STATE_CLOSED);
		assert_int_equal(o.source, OBS_GONE);
		pair_close(&pr);
	}
}

/* After the peer's RST the open fd is in TCP_CLOSE: CLOSED, found
 * nowhere, with the fd's last tcp_info kept. */
static void
reset_end_with_open_fd_reports_closed_and_keeps_tcp_info(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct end_obs o;
	size_t f;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		abort_fd(&pr.sfd);
		wait_state(p, &pr, 1, pr.cfd, STATE_CLOSED, &o);
		assert_int_equal(o.source, OBS_GONE);
		assert_int_equal(o.has_info, 1);
		assert_true(o.info.segs_in >= 2);	/* SYN-ACK, RST */
		pair_close(&pr);
	}
}

/* Addresses of two families, or of no inet family, are refused. */
static void
mismatched_address_families_are_refused(void **state)
{
	struct probe *p = *state;
	struct sockaddr_storage l, r;
	struct end_obs o;

	tu_loopback(AF_INET, &l);
	tu_loopback(AF_INET6, &r);
	errno = 0;
	assert_int_equal(probe_end(p, -1, (struct sockaddr *)&l,
	    (struct sockaddr *)&r, &o, NULL), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_int_equal(o.state, STATE_UNKNOWN);
	assert_int_equal(o.source, OBS_NONE);
	l.ss_family = r.ss_family = AF_UNIX;
	assert_int_equal(probe_end(p, -1, (struct sockaddr *)&l,
	    (struct sockaddr *)&r, &o, NULL), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
}

/* Without addresses: an unconnected fd is TCP_CLOSE, no fd is unknown. */
static void
end_without_addresses_is_close_or_unknown(void **state)
{
	struct probe *p = *state;
	struct end_obs o;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(probe_end(p, fd, NULL, NULL, &o, NULL), 0);
	assert_int_equal(o.state, STATE_CLOSE);
	assert_int_equal(o.source, OBS_INFO);
	assert_int_equal(o.has_info, 1);
	close(fd);
	assert_int_equal(probe_end(p, -1, NULL, NULL, &o, NULL), 0);
	assert_int_equal(o.state, STATE_UNKNOWN);
	assert_int_equal(o.source, OBS_NONE);
}

/* probe_snap_info copies and marks only the fields a tcp_info of the
 * given length covers: Linux 6.1's stops before tcpi_rcv_wnd, and a
 * length cut inside tcpi_segs_in leaves it and what follows out. */
static void
a_short_tcp_info_marks_only_the_fields_it_covers(void **state)
{
	union {
		struct tcp_info t;		/* aligned for it */
		unsigned char b[TU_TCPI_LEN_6_18];
	} u;
	struct tcp_info *t = &u.t;
	unsigned char *ti = u.b;
	uint32_t rcv_wnd = 65536;
	struct tcp_snap s;

	memset(&u, 0, sizeof(u));
	t->tcpi_rto = 204000;
	t->tcpi_segs_in = 7;
	t->tcpi_snd_wnd = 1000;
	memcpy(ti + offsetof(struct tcp_info, tcpi_snd_wnd) + 4, &rcv_wnd, 4);
	probe_snap_info(&s, ti, TU_TCPI_LEN_6_18);
	assert_int_equal(s.has, (1u << SNAP_RQUEUE) - 1);	/* all of tcp_info's */
	assert_int_equal(s.rcv_wnd, 65536);
	probe_snap_info(&s, ti, TU_TCPI_LEN_6_1);
	assert_int_equal(s.has, (1u << SNAP_RCV_WND) - 1);
	assert_int_equal(s.rcv_wnd, 0);
	assert_int_equal(s.snd_wnd, 1000);
	probe_snap_info(&s, ti, offsetof(struct tcp_info, tcpi_segs_in) + 2);
	assert_false(SNAP_HAS(&s, SNAP_SEGS_IN));
	assert_false(SNAP_HAS(&s, SNAP_SND_WND));
	assert_int_equal(s.segs_in, 0);
	assert_true(SNAP_HAS(&s, SNAP_RTO));
	assert_int_equal(s.rto, 204000);
	probe_snap_info(&s, ti, 0);
	assert_int_equal(s.has, 0);
}

/* Bytes not read yet are the reader's rqueue, bytes not acknowledged yet
 * the sender's wqueue: through the fd (SIOCINQ, SIOCOUTQ) and through
 * sock_diag alike. */
static void
queues_count_unread_and_unacknowledged_bytes(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct end_obs o;
	size_t f;
	int fd;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		send_bytes(pr.cfd, 100);
		assert_true(readable(pr.sfd, WAIT_MS));
		for (fd = pr.sfd; ; fd = -1) {
			probe_server(p, &pr, fd, &o);
			assert_int_equal(o.source, fd == -1 ? OBS_DIAG : OBS_INFO);
			assert_int_equal(info_value(&o, INFO_RQUEUE), 100);
			assert_int_equal(info_value(&o, INFO_WQUEUE), 0);
			if (fd == -1)
				break;
		}
		assert_int_equal(fault_apply(pr.sfd, FILTER_DROP_ALL), 0);
		send_bytes(pr.cfd, 50);
		for (fd = pr.cfd; ; fd = -1) {
			probe_client(p, &pr, fd, &o);
			assert_int_equal(info_value(&o, INFO_WQUEUE), 50);
			assert_int_equal(info_value(&o, INFO_RQUEUE), 0);
			if (fd == -1)
				break;
		}
		pair_close(&pr);
	}
}

/* probe_queues reads both ends' queues together, through io_uring socket
 * commands where the kernel has them, else ioctls: the same numbers as
 * probe_end reads itself, and none for an end whose queues were not
 * left to it. */
static void
queues_read_together_are_those_read_one_by_one(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct qring *q = qring_open();
	struct end_obs one[2], both[2];
	struct tcp_snap *snap[2];
	int fds[2], due[2], k, round;
	size_t f;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		send_bytes(pr.cfd, 100);
		assert_true(readable(pr.sfd, WAIT_MS));
		assert_int_equal(fault_apply(pr.sfd, FILTER_DROP_ALL), 0);
		send_bytes(pr.cfd, 50);		/* unacknowledged: client wqueue */
		fds[0] = pr.cfd;
		fds[1] = pr.sfd;
		for (round = 0; round < 2; round++) {	/* the ring, then ioctls */
			for (k = 0; k < 2; k++) {
				assert_int_equal(probe_end(p, fds[k], NULL, NULL,
				    &one[k], NULL), 0);
				assert_int_equal(probe_end(p, fds[k], NULL, NULL,
				    &both[k], &due[k]), 0);
				assert_int_equal(due[k], 1);
				assert_false(both[k].info.has & (1u << SNAP_RQUEUE |
				    1u << SNAP_WQUEUE));
				snap[k] = &both[k].info;
			}
			probe_queues(round == 0 ? q : NULL, fds, snap, 2);
			if (round == 0 && q != NULL && kernel_at_least(6, 7))
				assert_true(qring_on(q));	/* it was used */
			for (k = 0; k < 2; k++) {
				assert_int_equal(info_value(&both[k], INFO_RQUEUE),
				    info_value(&one[k], INFO_RQUEUE));
				assert_int_equal(info_value(&both[k], INFO_WQUEUE),
				    info_value(&one[k], INFO_WQUEUE));
			}
			assert_int_equal(info_value(&both[0], INFO_WQUEUE), 50);
			assert_int_equal(info_value(&both[1], INFO_RQUEUE), 100);
		}
		pair_close(&pr);
	}
	if (q == NULL)
		print_message("# no io_uring here: both rounds read by ioctl\n");
	qring_close(q);
}

/* A listener's rqueue is its accept queue and its wqueue its backlog, as
 * sock_diag reports a listener's (SIOCINQ is EINVAL there). */
static void
a_listener_reports_its_accept_queue_and_backlog(void **state)
{
	struct probe *p = *state;
	static struct pair pr, extra;	/* static: test_teardown may see them */
	struct end_obs o;
	long t0;
	size_t f;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 1);
		assert_int_equal(probe_end(p, pr.lfd, NULL, NULL, &o, NULL), 0);
		assert_int_equal(o.state, STATE_LISTEN);
		assert_int_equal(info_value(&o, INFO_RQUEUE), 0);
		assert_int_equal(info_value(&o, INFO_WQUEUE), 4);
		memset(&extra, 0, sizeof(extra));
		extra.lfd = extra.sfd = -1;
		pair_track(&extra, 1);
		extra.cfd = socket(families[f], SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(extra.cfd >= 0);
		assert_int_equal(connect(extra.cfd, (struct sockaddr *)&pr.saddr,
		    families[f] == AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6)), 0);
		for (t0 = now_ms(); now_ms() - t0 < WAIT_MS; nap(STEP_MS)) {
			assert_int_equal(probe_end(p, pr.lfd, NULL, NULL, &o, NULL), 0);
			if (o.info.rqueue == 1)
				break;
		}
		assert_int_equal(info_value(&o, INFO_RQUEUE), 1);	/* not accepted */
		assert_int_equal(info_value(&o, INFO_WQUEUE), 4);
		pair_close(&extra);
		pair_close(&pr);
	}
}

/* The self-test finds a connected pair by its 4-tuple in both families. */
static void
selftest_finds_a_connected_pair_by_its_tuple(void **state)
{
	struct probe *p = *state;
	char why[256];
	size_t f;

	for (f = 0; f < NFAMILIES; f++) {
		assert_int_equal(probe_selftest(p, families[f], IPPROTO_TCP, why,
		    sizeof(why)), 0);
		print_message("%s\n", why);
	}
}

/* Without a sock_diag handler for the protocol (SCTP: not built into this
 * kernel, and a TCP tuple is in no SCTP table anyway) the kernel answers
 * ENOENT, as it would for TCP without tcp_diag: the self-test fails and
 * says so, instead of the pair reading as gone. */
static void
selftest_without_a_diag_handler_fails_saying_so(void **state)
{
	struct probe *p = *state;
	char why[256];
	size_t f;

	for (f = 0; f < NFAMILIES; f++) {
		assert_int_equal(probe_selftest(p, families[f], IPPROTO_SCTP, why,
		    sizeof(why)), -1);
		assert_non_null(strstr(why, "sock_diag answers ENOENT for a "
		    "connected pair on loopback (no handler for protocol 132)"));
	}
}

/* A fake modprobe in $PATH that logs its arguments to dir/log and exits
 * with rc. */
static void
fake_modprobe(const char *dir, int rc)
{
	char path[128], text[256];

	snprintf(path, sizeof(path), "%s/modprobe", dir);
	snprintf(text, sizeof(text), "#!/bin/sh\necho \"$*\" >> %s/log\n"
	    "exit %d\n", dir, rc);
	tu_write_file(path, text);
	assert_int_equal(chmod(path, 0755), 0);
}

/* The lines modprobe logged, "" for none. */
static const char *
modprobe_log(const char *dir, char *buf, size_t len)
{
	char path[128];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/log", dir);
	if ((f = fopen(path, "r")) != NULL) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* When the check fails, probe_ready runs modprobe once (not per family),
 * checks again, and fails with one line naming the module; when the
 * check passes, it runs nothing. */
static void
ready_runs_modprobe_once_only_when_the_check_fails(void **state)
{
	unsigned both = 1u << FAM_IPV4 | 1u << FAM_IPV6;
	const char *old = getenv("PATH");
	char dir[64], path[1200], why[1024], log[256];
	int rc;

	assert_int_equal(tu_mkdtemp(dir, sizeof(dir)), 0);
	snprintf(path, sizeof(path), "%s:%s", dir, old != NULL ? old : "/bin");
	fake_modprobe(dir, 1);
	setenv("PATH", path, 1);
	assert_int_equal(probe_ready(both, IPPROTO_TCP, "tcp_diag", why,
	    sizeof(why)), 0);
	assert_string_equal(modprobe_log(dir, log, sizeof(log)), "");
	rc = probe_ready(both, IPPROTO_SCTP, "sctp_diag", why, sizeof(why));
	assert_int_equal(rc, -1);
	assert_string_equal(modprobe_log(dir, log, sizeof(log)), "sctp_diag\n");
	assert_string_equal(why, "cannot observe closed ends: IPv4: sock_diag "
	    "answers ENOENT for a connected pair on loopback (no handler for "
	    "protocol 132); modprobe sctp_diag failed (exit 1); load the "
	    "sctp_diag module and start again");
	print_message("%s\n", why);
	fake_modprobe(dir, 0);		/* "loaded", yet still missing */
	assert_int_equal(probe_ready(both, IPPROTO_SCTP, "sctp_diag", why,
	    sizeof(why)), -1);
	assert_string_equal(modprobe_log(dir, log, sizeof(log)),
	    "sctp_diag\nsctp_diag\n");
	assert_int_equal(probe_ready(both, IPPROTO_SCTP, NULL, why,
	    sizeof(why)), -1);		/* no module: nothing run */
	assert_string_equal(modprobe_log(dir, log, sizeof(log)),
	    "sctp_diag\nsctp_diag\n");
	setenv("PATH", old != NULL ? old : "/bin", 1);
	assert_int_equal(tu_rmrf(dir), 0);
}

/* The server drops everything: the client's data is retransmitted. */
static void
drop_all_filter_makes_peer_retransmit(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct end_obs o;
	size_t f;
	long ms;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		assert_int_equal(fault_apply(pr.sfd, FILTER_DROP_ALL), 0);
		send_bytes(pr.cfd, 100);
		ms = wait_retrans(p, &pr, 1, pr.cfd, &o);
		assert_int_equal(o.state, STATE_ESTABLISHED);
		assert_true(o.info.unacked >= 1);
		assert_false(readable(pr.sfd, 0));
		print_message("%s: first retransmission after %ld ms\n",
		    FAMNAME(pr.family), ms);
		pair_close(&pr);
	}
}

/* The server drops FIN: the client stays in FIN_WAIT1 until it stops. */
static void
drop_fin_filter_holds_peer_in_fin_wait1(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct end_obs o;
	size_t f;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		assert_int_equal(fault_apply(pr.sfd, FILTER_DROP_FIN), 0);
		assert_int_equal(shutdown(pr.cfd, SHUT_WR), 0);
		hold_state(p, &pr, 1, pr.cfd, STATE_FIN_WAIT1);
		hold_state(p, &pr, 0, pr.sfd, STATE_ESTABLISHED);
		assert_int_equal(fault_apply(pr.sfd, FILTER_NONE), 0);
		wait_state(p, &pr, 0, pr.sfd, STATE_CLOSE_WAIT, &o);
		wait_state(p, &pr, 1, pr.cfd, STATE_FIN_WAIT2, &o);
		pair_close(&pr);
	}
}

/* The server drops pure ACKs but not data. */
static void
drop_ack_filter_passes_data(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	size_t f;
	char buf[200];

	(void)p;
	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		assert_int_equal(fault_apply(pr.sfd, FILTER_DROP_ACK), 0);
		send_bytes(pr.cfd, 100);
		assert_true(readable(pr.sfd, WAIT_MS));
		assert_int_equal(recv(pr.sfd, buf, sizeof(buf), 0), 100);
		pair_close(&pr);
	}
}

/* The passive closer drops pure ACKs: the ACK of its FIN never arrives,
 * it stays in LAST_ACK (retransmitting) until the filter goes. */
static void
drop_ack_filter_keeps_last_ack(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct end_obs o;
	size_t f;
	long ms;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		assert_int_equal(shutdown(pr.cfd, SHUT_WR), 0);
		wait_state(p, &pr, 0, pr.sfd, STATE_CLOSE_WAIT, &o);
		assert_int_equal(fault_apply(pr.sfd, FILTER_DROP_ACK), 0);
		assert_int_equal(shutdown(pr.sfd, SHUT_WR), 0);
		hold_state(p, &pr, 0, pr.sfd, STATE_LAST_ACK);
		wait_retrans(p, &pr, 0, pr.sfd, &o);
		assert_int_equal(o.state, STATE_LAST_ACK);
		/* The client's fd is open but its connection is TIME_WAIT. */
		wait_state(p, &pr, 1, pr.cfd, STATE_TIME_WAIT, &o);
		assert_int_equal(o.source, OBS_DIAG_TW);
		assert_int_equal(fault_apply(pr.sfd, FILTER_NONE), 0);
		ms = wait_state(p, &pr, 0, pr.sfd, STATE_CLOSED, &o);
		print_message("%s: LAST_ACK ended %ld ms after the filter "
		    "went\n", FAMNAME(pr.family), ms);
		pair_close(&pr);
	}
}

/* The client drops RST: the server's abortive close goes unnoticed. */
static void
drop_rst_filter_ignores_abortive_close(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	size_t f;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		assert_int_equal(fault_apply(pr.cfd, FILTER_DROP_RST), 0);
		abort_fd(&pr.sfd);
		hold_state(p, &pr, 1, pr.cfd, STATE_ESTABLISHED);
		assert_false(readable(pr.cfd, 0));
		pair_close(&pr);
	}
}

/* The server passes only FIN: data is dropped and retransmitted. */
static void
pass_fin_filter_drops_data(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct end_obs o;
	size_t f;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		assert_int_equal(fault_apply(pr.sfd, FILTER_PASS_FIN), 0);
		send_bytes(pr.cfd, 100);
		wait_retrans(p, &pr, 1, pr.cfd, &o);
		assert_false(readable(pr.sfd, 0));
		pair_close(&pr);
	}
}

/* The server passes only FIN: a FIN gets through and is acknowledged. */
static void
pass_fin_filter_lets_fin_through(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct end_obs o;
	size_t f;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		assert_int_equal(fault_apply(pr.sfd, FILTER_PASS_FIN), 0);
		assert_int_equal(shutdown(pr.cfd, SHUT_WR), 0);
		wait_state(p, &pr, 0, pr.sfd, STATE_CLOSE_WAIT, &o);
		wait_state(p, &pr, 1, pr.cfd, STATE_FIN_WAIT2, &o);
		pair_close(&pr);
	}
}

/* Polls both ends until each has been seen in CLOSING or TIME_WAIT;
 * sets seen[side] to 1 for each end seen in CLOSING. */
static void
wait_closing(struct probe *p, struct pair *pr, int seen[2])
{
	struct end_obs o;
	long t0 = now_ms();
	int i, side, done[2] = { 0, 0 };

	for (i = 0; i <= WAIT_MS / STEP_MS && !(done[0] && done[1]); i++) {
		for (side = 0; side < 2; side++) {
			probe_side(p, pr, side, side ? pr->cfd : pr->sfd, &o);
			if (o.state == STATE_CLOSING)
				seen[side] = done[side] = 1;
			if (o.state == STATE_TIME_WAIT)
				done[side] = 1;
		}
		if (now_ms() - t0 > WAIT_MS)
			break;
		nap(STEP_MS);
	}
	assert_true(done[0] && done[1]);
}

/* Both ends drop all and shut down (FIN_WAIT1), then pass FIN only: the
 * FINs cross and at least one end is seen in CLOSING; without filters
 * both reach TIME_WAIT. */
static void
pass_fin_filters_after_crossed_fins_reach_closing(void **state)
{
	struct probe *p = *state;
	static struct pair pr;		/* static: test_teardown may see it */
	struct end_obs o;
	size_t f;
	int seen[2], side;

	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		assert_int_equal(fault_apply(pr.cfd, FILTER_DROP_ALL), 0);
		assert_int_equal(fault_apply(pr.sfd, FILTER_DROP_ALL), 0);
		assert_int_equal(shutdown(pr.cfd, SHUT_WR), 0);
		assert_int_equal(shutdown(pr.sfd, SHUT_WR), 0);
		for (side = 0; side < 2; side++) {
			probe_side(p, &pr, side, side ? pr.cfd : pr.sfd, &o);
			assert_int_equal(o.state, STATE_FIN_WAIT1);
		}
		assert_int_equal(fault_apply(pr.cfd, FILTER_PASS_FIN), 0);
		assert_int_equal(fault_apply(pr.sfd, FILTER_PASS_FIN), 0);
		seen[0] = seen[1] = 0;
		wait_closing(p, &pr, seen);
		assert_true(seen[0] || seen[1]);
		print_message("%s: CLOSING seen on server %d, client %d\n",
		    FAMNAME(pr.family), seen[0], seen[1]);
		assert_int_equal(fault_apply(pr.cfd, FILTER_NONE), 0);
		assert_int_equal(fault_apply(pr.sfd, FILTER_NONE), 0);
		wait_state(p, &pr, 1, pr.cfd, STATE_TIME_WAIT, &o);
		wait_state(p, &pr, 0, pr.sfd, STATE_TIME_WAIT, &o);
		pair_close(&pr);
	}
}

/* Detaching works with no filter attached, and after one data flows. */
static void
filter_none_detaches_without_error(void **state)
{
	static struct pair pr;		/* static: test_teardown may see it */
	size_t f;
	char buf[200];

	(void)state;
	for (f = 0; f < NFAMILIES; f++) {
		pair_open(&pr, families[f], 0);
		assert_int_equal(fault_apply(pr.sfd, FILTER_NONE), 0);
		assert_int_equal(fault_apply(pr.sfd, FILTER_DROP_ALL), 0);
		assert_int_equal(fault_apply(pr.sfd, FILTER_NONE), 0);
		assert_int_equal(fault_apply(pr.sfd, FILTER_NONE), 0);
		send_bytes(pr.cfd, 100);
		assert_true(readable(pr.sfd, WAIT_MS));
		assert_int_equal(recv(pr.sfd, buf, sizeof(buf), 0), 100);
		pair_close(&pr);
	}
}

/* A kind outside the enum, or a bad fd, is an error with errno. */
static void
bad_filter_kind_or_fd_is_an_error(void **state)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)state;
	assert_true(fd >= 0);
	errno = 0;
	assert_int_equal(fault_apply(fd, FILTER__COUNT), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(fault_apply(fd, (enum filter_kind)-1), -1);
	assert_int_equal(errno, EINVAL);
	close(fd);
	assert_int_equal(fault_apply(fd, FILTER_DROP_ALL), -1);
	assert_int_equal(errno, EBADF);
}

#define T(f) cmocka_unit_test_teardown(f, test_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(established_pair_reports_established_through_tcp_info),
		T(established_pair_is_found_through_sock_diag_without_its_fd),
		T(closed_client_is_found_in_time_wait_through_sock_diag),
		T(orphan_in_fin_wait2_is_a_timewait_mini_socket),
		T(long_linger2_keeps_a_full_fin_wait2_orphan),
		T(orphan_in_fin_wait1_reports_tcp_info_through_diag),
		T(unknown_tuple_reports_closed),
		T(closed_server_end_is_not_mistaken_for_its_listener),
		T(reset_end_with_open_fd_reports_closed_and_keeps_tcp_info),
		T(mismatched_address_families_are_refused),
		T(end_without_addresses_is_close_or_unknown),
		T(a_short_tcp_info_marks_only_the_fields_it_covers),
		T(queues_count_unread_and_unacknowledged_bytes),
		T(queues_read_together_are_those_read_one_by_one),
		T(a_listener_reports_its_accept_queue_and_backlog),
		T(selftest_finds_a_connected_pair_by_its_tuple),
		T(selftest_without_a_diag_handler_fails_saying_so),
		T(ready_runs_modprobe_once_only_when_the_check_fails),
		T(drop_all_filter_makes_peer_retransmit),
		T(drop_fin_filter_holds_peer_in_fin_wait1),
		T(drop_ack_filter_passes_data),
		T(drop_ack_filter_keeps_last_ack),
		T(drop_rst_filter_ignores_abortive_close),
		T(pass_fin_filter_drops_data),
		T(pass_fin_filter_lets_fin_through),
		T(pass_fin_filters_after_crossed_fins_reach_closing),
		T(filter_none_detaches_without_error),
		T(bad_filter_kind_or_fd_is_an_error),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
