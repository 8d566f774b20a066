/* test_trans.c: state transitions without BPF. Records built by hand, as
 * the tracepoint program writes them, go to the case of their 4-tuple and
 * end, timed from the case's start and kept in time order; a socket's
 * records without a 4-tuple (before connect picks its port, before an
 * accepted socket has its peer, after TCP_CLOSE released its port) join it
 * by socket cookie; other sockets' records are ignored; trans_remove says
 * whether the case was observed. As root, the real tracepoint: trans_sync
 * makes every change made before it visible. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "trans.h"

#define MONO0_US	5000000		/* the case's start */
#define T(us)		((uint64_t)(MONO0_US + (us)) * 1000)

/* One end's address: family, text address, port. */
struct end {
	int af;
	const char *ip;
	uint16_t port;
};

static const struct end c4 = { AF_INET, "127.0.0.1", 40000 };
static const struct end s4 = { AF_INET, "127.0.0.1", 5000 };
static const struct end c6 = { AF_INET6, "::1", 40001 };
static const struct end s6 = { AF_INET6, "::1", 5001 };
static const struct end none4 = { AF_INET, "0.0.0.0", 0 };
static const struct end none6 = { AF_INET6, "::", 0 };

/* The socket address of an end. */
static struct sockaddr_storage
sa(const struct end *e)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)e->af;
	if (e->af == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_port = htons(e->port);
		assert_int_equal(inet_pton(AF_INET, e->ip,
		    &((struct sockaddr_in *)&ss)->sin_addr), 1);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(e->port);
		assert_int_equal(inet_pton(AF_INET6, e->ip,
		    &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
	}
	return ss;
}

/* A record of the socket cookie whose local end is self and remote end
 * peer, changing from -> to at ts_ns. */
static struct trans_event
rec(uint64_t ts_ns, uint64_t cookie, const struct end *self,
    const struct end *peer, int from, int to)
{
	struct trans_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = ts_ns;
	ev.cookie = cookie;
	ev.family = (uint8_t)self->af;
	ev.oldstate = (uint8_t)from;
	ev.newstate = (uint8_t)to;
	ev.sport = self->port;
	ev.dport = peer->port;
	assert_int_equal(inet_pton(self->af, self->ip, ev.saddr), 1);
	assert_int_equal(inet_pton(peer->af, peer->ip, ev.daddr), 1);
	return ev;
}

/* Feeds a record. */
static void
feed(struct trans *tr, struct trans_event ev)
{
	trans_feed(tr, &ev);
}

/* Registers a case of client c and server s starting at MONO0_US. */
static void
add(struct trans *tr, struct case_result *res, const struct end *c,
    const struct end *s)
{
	struct sockaddr_storage a = sa(c), b = sa(s);

	memset(res, 0, sizeof(*res));
	res->mono0_us = MONO0_US;
	assert_int_equal(trans_add(tr, (struct sockaddr *)&a,
	    (struct sockaddr *)&b, res, 1), 0);
}

/* Checks transition i of res. */
static void
check_tr(const struct case_result *res, size_t i, int64_t t_ns, enum side end,
    enum tcp_state from, enum tcp_state to)
{
	assert_true(i < res->ntrans);
	assert_int_equal(res->tr[i].t_ns, t_ns);
	assert_int_equal(res->tr[i].end, end);
	assert_string_equal(state_name(res->tr[i].from), state_name(from));
	assert_string_equal(state_name(res->tr[i].to), state_name(to));
}

/* A four-way close as Linux 6.18 traces it, handshake included. */
static void
four_way(struct trans *tr, const struct end *c, const struct end *s)
{
	struct end c0 = *c, s_listen = *s;	/* s_listen: the child, no peer yet */

	c0.port = 0;				/* connect: no local port yet */
	feed(tr, rec(T(48), 11, &c0, s, STATE_CLOSE, STATE_SYN_SENT));
	feed(tr, rec(T(114), 11, c, s, STATE_SYN_SENT, STATE_ESTABLISHED));
	feed(tr, rec(T(123), 12, &s_listen, c->af == AF_INET ? &none4 : &none6,
	    STATE_LISTEN, STATE_SYN_RECV));
	feed(tr, rec(T(129), 12, s, c, STATE_SYN_RECV, STATE_ESTABLISHED));
	feed(tr, rec(T(313), 11, c, s, STATE_ESTABLISHED, STATE_FIN_WAIT1));
	feed(tr, rec(T(316), 12, s, c, STATE_ESTABLISHED, STATE_CLOSE_WAIT));
	feed(tr, rec(T(43222), 11, c, s, STATE_FIN_WAIT1, STATE_FIN_WAIT2));
	feed(tr, rec(T(143488), 12, s, c, STATE_CLOSE_WAIT, STATE_LAST_ACK));
	c0 = *c;
	c0.port = 0;				/* TCP_CLOSE released the port */
	feed(tr, rec(T(143551), 11, &c0, s, STATE_FIN_WAIT2, STATE_CLOSE));
	s_listen = *s;
	s_listen.port = 0;
	feed(tr, rec(T(143569), 12, &s_listen, c, STATE_LAST_ACK, STATE_CLOSE));
}

static void
records_go_to_their_case_and_end_in_time_order(void **state)
{
	struct trans *tr = trans_new();
	struct case_result res;

	assert_non_null(tr);
	add(tr, &res, &c4, &s4);
	four_way(tr, &c4, &s4);
	trans_remove(tr, &res);
	assert_int_equal(res.trans, TRANS_OBSERVED);
	assert_int_equal(res.ntrans, 10);
	check_tr(&res, 0, 48000, SIDE_CLIENT, STATE_CLOSE, STATE_SYN_SENT);
	check_tr(&res, 1, 114000, SIDE_CLIENT, STATE_SYN_SENT, STATE_ESTABLISHED);
	check_tr(&res, 2, 123000, SIDE_SERVER, STATE_LISTEN, STATE_SYN_RECV);
	check_tr(&res, 3, 129000, SIDE_SERVER, STATE_SYN_RECV, STATE_ESTABLISHED);
	check_tr(&res, 7, 143488000, SIDE_SERVER, STATE_CLOSE_WAIT, STATE_LAST_ACK);
	check_tr(&res, 8, 143551000, SIDE_CLIENT, STATE_FIN_WAIT2, STATE_CLOSE);
	check_tr(&res, 9, 143569000, SIDE_SERVER, STATE_LAST_ACK, STATE_CLOSE);
	free(res.tr);
	trans_close(tr);
}

static void
two_cases_at_once_each_get_theirs(void **state)
{
	struct trans *tr = trans_new();
	struct case_result a, b;
	struct end c6b = c6, s6b = s6;

	assert_non_null(tr);
	add(tr, &a, &c4, &s4);
	c6b.port = 40002;
	s6b.port = 5002;
	add(tr, &b, &c6b, &s6b);
	four_way(tr, &c6b, &s6b);
	/* Another connection to the same server port, and a listener. */
	feed(tr, rec(T(50), 13, &c6, &s6b, STATE_SYN_SENT, STATE_ESTABLISHED));
	feed(tr, rec(T(5), 14, &s4, &none4, STATE_CLOSE, STATE_LISTEN));
	feed(tr, rec(T(60), 21, &c4, &s4, STATE_SYN_SENT, STATE_ESTABLISHED));
	trans_remove(tr, &a);
	trans_remove(tr, &b);
	assert_int_equal(a.ntrans, 1);
	check_tr(&a, 0, 60000, SIDE_CLIENT, STATE_SYN_SENT, STATE_ESTABLISHED);
	assert_int_equal(b.ntrans, 10);
	check_tr(&b, 2, 123000, SIDE_SERVER, STATE_LISTEN, STATE_SYN_RECV);
	check_tr(&b, 9, 143569000, SIDE_SERVER, STATE_LAST_ACK, STATE_CLOSE);
	free(a.tr);
	free(b.tr);
	trans_close(tr);
}

static void
late_records_are_put_in_time_order(void **state)
{
	struct trans *tr = trans_new();
	struct case_result res;

	assert_non_null(tr);
	add(tr, &res, &c4, &s4);
	/* Rings of two CPUs: the server's change is read after a later one. */
	feed(tr, rec(T(300), 11, &c4, &s4, STATE_ESTABLISHED, STATE_FIN_WAIT1));
	feed(tr, rec(T(200), 12, &s4, &c4, STATE_SYN_RECV, STATE_ESTABLISHED));
	feed(tr, rec(T(250), 12, &s4, &c4, 77, STATE_CLOSE_WAIT));
	trans_remove(tr, &res);
	assert_int_equal(res.ntrans, 3);
	check_tr(&res, 0, 200000, SIDE_SERVER, STATE_SYN_RECV, STATE_ESTABLISHED);
	check_tr(&res, 1, 250000, SIDE_SERVER, STATE_UNKNOWN, STATE_CLOSE_WAIT);
	check_tr(&res, 2, 300000, SIDE_CLIENT, STATE_ESTABLISHED, STATE_FIN_WAIT1);
	free(res.tr);
	trans_close(tr);
}

static void
remove_marks_observed_and_stops_matching(void **state)
{
	struct trans *tr = trans_new();
	struct case_result res, other;

	assert_non_null(tr);
	memset(&other, 0, sizeof(other));
	trans_remove(tr, &other);		/* never registered: unchanged */
	assert_int_equal(other.trans, TRANS_NOT_OBSERVED);
	trans_remove(NULL, &other);
	add(tr, &res, &c4, &s4);
	trans_remove(tr, &res);
	assert_int_equal(res.trans, TRANS_OBSERVED);
	assert_int_equal(res.ntrans, 0);
	/* The clean-up RST's changes come after: not the case's. */
	feed(tr, rec(T(900), 11, &c4, &s4, STATE_ESTABLISHED, STATE_CLOSE));
	assert_int_equal(res.ntrans, 0);
	trans_sync(tr);				/* no ring: nothing to read */
	trans_sync(NULL);
	trans_close(tr);
	trans_close(NULL);
}

static void
addresses_of_different_families_are_refused(void **state)
{
	struct trans *tr = trans_new();
	struct case_result res;
	struct sockaddr_storage a = sa(&c4), b = sa(&s6);

	assert_non_null(tr);
	memset(&res, 0, sizeof(res));
	assert_int_equal(trans_add(tr, (struct sockaddr *)&a,
	    (struct sockaddr *)&b, &res, 1), -1);
	trans_close(tr);
}

/* A loopback connection in this network namespace: fd[0] the client,
 * fd[1] the accepted server; its addresses into ss[]. */
static void
connect_pair(int fd[2], struct sockaddr_storage ss[2])
{
	socklen_t len = tu_loopback(AF_INET, &ss[1]);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&ss[1], len), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&ss[1], &len), 0);
	fd[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(fd[0], (struct sockaddr *)&ss[1], len), 0);
	len = sizeof(ss[0]);
	assert_int_equal(getsockname(fd[0], (struct sockaddr *)&ss[0], &len), 0);
	assert_true((fd[1] = accept(l, NULL, NULL)) >= 0);
	close(l);
}

/* The index of end's first change to state in res, or -1. */
static long
find_to(const struct case_result *res, enum side end, enum tcp_state to)
{
	size_t i;

	for (i = 0; i < res->ntrans; i++)
		if (res->tr[i].end == end && res->tr[i].to == to)
			return (long)i;
	return -1;
}

static void
as_root_sync_shows_every_change_made_before_it(void **state)
{
	struct event_base *base = event_base_new();
	struct sockaddr_storage ss[2];
	struct case_result res;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	struct trans *tr;
	char why[512] = "";
	int fd[2];

	assert_non_null(base);
	if ((tr = trans_open(base, NULL, 0, why, sizeof(why))) == NULL) {
		event_base_free(base);
		if (geteuid() == 0 && access("/sys/kernel/btf/vmlinux", R_OK) == 0)
			fail_msg("as root, trans_open failed: %s", why);
		print_message("# not root, or no kernel BTF: %s\n", why);
		skip();
	}
	memset(&res, 0, sizeof(res));
	res.mono0_us = clock_mono_us();
	connect_pair(fd, ss);
	assert_int_equal(trans_add(tr, (struct sockaddr *)&ss[0],
	    (struct sockaddr *)&ss[1], &res, 1), 0);
	assert_int_equal(shutdown(fd[0], SHUT_WR), 0);
	assert_int_equal(getsockopt(fd[1], IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(ti.tcpi_state, STATE_CLOSE_WAIT);
	trans_sync(tr);
	assert_true(find_to(&res, SIDE_CLIENT, STATE_SYN_SENT) == 0);
	assert_true(find_to(&res, SIDE_SERVER, STATE_ESTABLISHED) >= 0);
	assert_true(find_to(&res, SIDE_CLIENT, STATE_FIN_WAIT1) >= 0);
	assert_true(find_to(&res, SIDE_SERVER, STATE_CLOSE_WAIT) >= 0);
	assert_true(res.tr[0].t_ns > 0 && res.tr[res.ntrans - 1].t_ns <
	    (clock_mono_us() - res.mono0_us) * 1000);
	trans_remove(tr, &res);
	assert_int_equal(res.trans, TRANS_OBSERVED);
	close(fd[0]);
	close(fd[1]);
	free(res.tr);
	trans_close(tr);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records_go_to_their_case_and_end_in_time_order),
		cmocka_unit_test(two_cases_at_once_each_get_theirs),
		cmocka_unit_test(late_records_are_put_in_time_order),
		cmocka_unit_test(remove_marks_observed_and_stops_matching),
		cmocka_unit_test(addresses_of_different_families_are_refused),
		cmocka_unit_test(as_root_sync_shows_every_change_made_before_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
