/* raw.c: the socket work of two built-in scenarios with nothing else: no
 * observation (no TCP_INFO, no sock_diag), no capture, no storage, no
 * event loop. `make bench` sets teardownd's CPU per case against it.
 *
 * Each pair is what a teardownd case makes: a listener on an ephemeral
 * loopback port, a non-blocking client that connects to it, the accepted
 * server end; then the scenario's calls. Pairs run in lockstep batches
 * (every pair does a step before any does the next), half on IPv4 and
 * half on IPv6, so that four-way-close's 100 ms pause is paid once per
 * batch, not once per pair.
 *
 * With --observe, each step is followed by what teardownd reads of both
 * ends after it: TCP_INFO, SIOCINQ and SIOCOUTQ on each open fd (a closed
 * end is not looked up: teardownd asks sock_diag once). The work of the
 * scenario and of observing it, and still nothing else: the floor of
 * what teardownd can cost.
 *
 * Usage: raw [--observe] abort-linger0|four-way-close PAIRS [BATCH]
 * Prints one line: pairs, wall seconds, CPU seconds (user + system),
 * CPU microseconds per pair, pairs per second. */
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <linux/sockios.h>
#include <linux/tcp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX	4096

struct pair {
	int l, c, s;				/* listener, client, server */
};

static void
die(const char *what)
{
	fprintf(stderr, "raw: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int observing;			/* --observe */

/* What teardownd reads of an open end after a step. */
static void
observe_fd(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int n;

	if (fd < 0)
		return;
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1 ||
	    ioctl(fd, SIOCINQ, &n) == -1 || ioctl(fd, SIOCOUTQ, &n) == -1)
		die("observe");
}

/* Both ends of pair p after a step (--observe). */
static void
observe(struct pair *p)
{
	if (!observing)
		return;
	observe_fd(p->c);
	observe_fd(p->s);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Opens pair p's listener and client (family af) and starts the connect. */
static void
pair_open(struct pair *p, int af)
{
	struct sockaddr_storage ss;
	socklen_t len = af == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)af;
	if (af == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	if ((p->l = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(p->l, (struct sockaddr *)&ss, len) == -1 ||
	    listen(p->l, 8) == -1 ||
	    getsockname(p->l, (struct sockaddr *)&ss, &len) == -1)
		die("listener");
	if ((p->c = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		die("socket");
	if (connect(p->c, (struct sockaddr *)&ss, len) == -1 && errno != EINPROGRESS)
		die("connect");
}

/* Waits until fd is readable (at most 2 s: loopback answers at once). */
static void
wait_in(int fd)
{
	struct pollfd pfd = { fd, POLLIN, 0 };

	if (poll(&pfd, 1, 2000) != 1)
		die("poll");
}

static void
pair_accept(struct pair *p)
{
	wait_in(p->l);
	if ((p->s = accept4(p->l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
		die("accept");
}

/* abort-linger0: SO_LINGER 0, close; the server polls, reads ECONNRESET,
 * then EOF, and closes. */
static void
abort_linger0(struct pair *p, int n)
{
	struct linger lg = { 1, 0 };
	struct pollfd pfd;
	char b;
	int i;

	for (i = 0; i < n; i++) {
		if (setsockopt(p[i].c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == -1)
			die("SO_LINGER");
		observe(&p[i]);			/* client linger 0 */
		close(p[i].c);
		p[i].c = -1;
		observe(&p[i]);			/* client close */
		observe(&p[i]);			/* client expect state CLOSED */
	}
	for (i = 0; i < n; i++) {
		wait_in(p[i].s);
		observe(&p[i]);			/* server wait hup */
		pfd = (struct pollfd){ p[i].s, POLLIN | POLLOUT | POLLRDHUP, 0 };
		if (poll(&pfd, 1, 0) != 1)
			die("poll");
		observe(&p[i]);			/* server poll */
		observe(&p[i]);			/* server expect events */
		if (recv(p[i].s, &b, 1, MSG_DONTWAIT) != -1 || errno != ECONNRESET)
			die("recv: expected ECONNRESET");
		observe(&p[i]);			/* server recv 1 */
		observe(&p[i]);			/* server expect errno */
		if (recv(p[i].s, &b, 1, MSG_DONTWAIT) != 0)
			die("recv: expected EOF");
		observe(&p[i]);			/* server recv 1 */
		observe(&p[i]);			/* server expect rc 0 */
		close(p[i].s);
		close(p[i].l);
	}
}

/* four-way-close: 100 bytes, the client's shutdown, the server's EOF; 100
 * ms later the server closes; the client reads EOF and closes. */
static void
four_way_close(struct pair *p, int n)
{
	static const char data[100];
	struct timespec pause = { 0, 100 * 1000000 };
	char buf[128];
	int i;

	for (i = 0; i < n; i++) {
		if (send(p[i].c, data, sizeof(data), MSG_DONTWAIT) != sizeof(data))
			die("send");
		observe(&p[i]);			/* client send 100 */
		wait_in(p[i].s);
		if (recv(p[i].s, buf, sizeof(buf), MSG_DONTWAIT) != sizeof(data))
			die("recv 100");
		observe(&p[i]);			/* server recv 100 */
		if (shutdown(p[i].c, SHUT_WR) == -1)
			die("shutdown");
		observe(&p[i]);			/* client shutdown wr */
		observe(&p[i]);			/* client expect state */
		wait_in(p[i].s);
		if (recv(p[i].s, buf, sizeof(buf), MSG_DONTWAIT) != 0)
			die("recv eof");
		observe(&p[i]);			/* server recv eof */
		observe(&p[i]);			/* server expect state */
		observe(&p[i]);			/* client wait state FIN_WAIT2 */
	}
	nanosleep(&pause, NULL);
	for (i = 0; i < n; i++) {
		observe(&p[i]);			/* server sleep 100ms */
		close(p[i].s);
		close(p[i].l);
		p[i].s = -1;
		observe(&p[i]);			/* server close */
		observe(&p[i]);			/* server wait state CLOSED */
		wait_in(p[i].c);
		if (recv(p[i].c, buf, sizeof(buf), MSG_DONTWAIT) != 0)
			die("client recv eof");
		observe(&p[i]);			/* client recv eof */
		observe(&p[i]);			/* client wait state TIME_WAIT */
		close(p[i].c);
		p[i].c = -1;
		observe(&p[i]);			/* client close */
		observe(&p[i]);			/* client expect state */
	}
}

int
main(int argc, char **argv)
{
	static struct pair p[BATCH_MAX];
	void (*run)(struct pair *, int);
	long pairs, batch = 1000, done = 0;
	double t0, c0, wall, cpu;
	int i, n;

	if (argc > 1 && strcmp(argv[1], "--observe") == 0) {
		observing = 1;
		argv++;
		argc--;
	}
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: raw [--observe] abort-linger0|four-way-close PAIRS [BATCH]\n");
		return 64;
	}
	if (strcmp(argv[1], "abort-linger0") == 0)
		run = abort_linger0;
	else if (strcmp(argv[1], "four-way-close") == 0)
		run = four_way_close;
	else {
		fprintf(stderr, "raw: unknown scenario '%s'\n", argv[1]);
		return 64;
	}
	pairs = strtol(argv[2], NULL, 10);
	if (argc == 4)
		batch = strtol(argv[3], NULL, 10);
	if (pairs < 1 || pairs > 10000000 || batch < 1 || batch > BATCH_MAX) {
		fprintf(stderr, "raw: PAIRS 1..10000000, BATCH 1..%d\n", BATCH_MAX);
		return 64;
	}
	t0 = now_s();
	c0 = cpu_s();
	while (done < pairs) {
		n = (int)(pairs - done < batch ? pairs - done : batch);
		for (i = 0; i < n; i++)
			pair_open(&p[i], (done + i) % 2 ? AF_INET6 : AF_INET);
		for (i = 0; i < n; i++)
			pair_accept(&p[i]);
		run(p, n);
		done += n;
	}
	wall = now_s() - t0;
	cpu = cpu_s() - c0;
	printf("raw%s %s: %ld pairs, %.3f s wall, %.3f s CPU, %.1f us CPU/pair, "
	    "%.0f pairs/s\n", observing ? " --observe" : "", argv[1], pairs, wall, cpu, cpu * 1e6 / (double)pairs,
	    (double)pairs / wall);
	return 0;
}
