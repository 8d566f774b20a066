/* notify_sink.c: stands in for systemd's notify socket in the daemon's
 * end-to-end tests. Binds a datagram socket at ADDR (a path, or "@name"
 * for an abstract one), then writes every datagram it receives to OUT as
 * one line: the sender's pid (SCM_CREDENTIALS, as systemd checks it), a
 * tab, and the message with its newlines as tabs. The first line is
 * "# listening" once the socket is bound. Exits after SECONDS, or at
 * SIGTERM. Usage: notify_sink ADDR OUT SECONDS */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t done;		/* SIGTERM arrived */

/* SIGTERM: stop at the next turn. */
static void
on_term(int sig)
{
	done = 1;
}

/* Binds a datagram socket at addr; exits on failure. */
static int
sink_bind(const char *addr)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(addr);
	socklen_t len;
	int fd, on = 1;

	if (n < 2 || n >= sizeof(sun.sun_path)) {
		fprintf(stderr, "notify_sink: bad address '%s'\n", addr);
		exit(2);
	}
	memcpy(sun.sun_path, addr, n);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if (addr[0] == '@')
		sun.sun_path[0] = '\0';
	else
		len++;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on,
	    sizeof(on)) == -1 || bind(fd, (struct sockaddr *)&sun, len) == -1) {
		perror("notify_sink: socket");
		exit(2);
	}
	return fd;
}

/* Receives one datagram and writes its line to out. */
static void
sink_one(int fd, FILE *out)
{
	char buf[8192], cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	struct ucred cr = { 0 };
	ssize_t n, i;

	if ((n = recvmsg(fd, &mh, MSG_DONTWAIT)) < 0)
		return;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
			memcpy(&cr, CMSG_DATA(c), sizeof(cr));
	for (i = 0; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = '\t';
	buf[n] = '\0';
	fprintf(out, "%ld\t%s\n", (long)cr.pid, buf);
	fflush(out);
}

int
main(int argc, char **argv)
{
	struct pollfd pfd;
	time_t end;
	FILE *out;

	if (argc != 4) {
		fprintf(stderr, "usage: notify_sink ADDR OUT SECONDS\n");
		return 2;
	}
	signal(SIGTERM, on_term);
	pfd.fd = sink_bind(argv[1]);
	pfd.events = POLLIN;
	if ((out = fopen(argv[2], "w")) == NULL) {
		perror(argv[2]);
		return 2;
	}
	fprintf(out, "# listening\n");
	fflush(out);
	end = time(NULL) + atoi(argv[3]);
	while (!done && time(NULL) < end)
		if (poll(&pfd, 1, 100) == 1)
			sink_one(pfd.fd, out);
	fclose(out);
	if (argv[1][0] == '/')
		unlink(argv[1]);
	return 0;
}
