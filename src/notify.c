/* notify.c: the systemd notify protocol over $NOTIFY_SOCKET (see notify.h).
 *
 * Each message is one datagram to the address in $NOTIFY_SOCKET, sent with
 * sendto() every time rather than over a connected socket, so that a
 * systemd that re-executes itself (and makes its socket anew) still hears
 * us. Sends never block the loop (MSG_DONTWAIT): systemd reads its socket
 * promptly, and a message it cannot take is logged, not waited for. */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

#define NOTIFY_MAX	4096			/* longest message, bytes */

static int notify_fd = -1;			/* our datagram socket, -1 = none */
static struct sockaddr_un notify_addr;		/* where systemd listens */
static socklen_t notify_addrlen;		/* its length (abstract names count) */
static int notify_failed;			/* a send failed and was logged */

/* Fills notify_addr from $NOTIFY_SOCKET's value; 0, or -1 if unusable. */
static int
notify_parse(const char *v)
{
	size_t n = strlen(v);

	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	if (n < 2 || n >= sizeof(notify_addr.sun_path) ||
	    (v[0] != '/' && v[0] != '@'))
		return -1;
	memcpy(notify_addr.sun_path, v, n);
	if (v[0] == '@') {
		notify_addr.sun_path[0] = '\0';	/* abstract: no NUL at the end */
		notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else
		notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

/* Opens the socket $NOTIFY_SOCKET names. */
int
notify_open(void)
{
	const char *v = getenv("NOTIFY_SOCKET");

	if (v == NULL || *v == '\0')
		return 0;
	if (notify_parse(v) == -1) {
		log_warnx("NOTIFY_SOCKET '%s' is neither a path nor an @name; "
		    "not notifying systemd", v);
		return -1;
	}
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd == -1) {
		log_warn("NOTIFY_SOCKET: socket");
		return -1;
	}
	log_debug("notify: %s", v);
	return 1;
}

/* Closes the socket. */
void
notify_close(void)
{
	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
}

/* Sends one formatted datagram. */
int
notify_send(const char *fmt, ...)
{
	char buf[NOTIFY_MAX];
	va_list ap;
	int n;

	if (notify_fd == -1)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;		/* a STATUS= line cut short */
	if (sendto(notify_fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&notify_addr, notify_addrlen) == n) {
		notify_failed = 0;
		return 0;
	}
	if (!notify_failed)
		log_warn("NOTIFY_SOCKET: cannot send '%.*s'",
		    (int)strcspn(buf, "\n"), buf);
	notify_failed = 1;
	return -1;
}

/* The interval between WATCHDOG=1 messages, or 0. */
uint64_t
notify_watchdog_interval(void)
{
	const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (us == NULL || notify_fd == -1)
		return 0;
	if (pid != NULL && *pid != '\0') {
		errno = 0;
		v = strtoull(pid, &end, 10);
		if (errno != 0 || *end != '\0' || v != (unsigned long long)getpid())
			return 0;		/* meant for another process */
	}
	errno = 0;
	v = strtoull(us, &end, 10);
	if (errno != 0 || end == us || *end != '\0' || v == 0) {
		log_warnx("WATCHDOG_USEC '%s' is not a number of us; no watchdog", us);
		return 0;
	}
	return v / 2 > 0 ? v / 2 : 1;
}
