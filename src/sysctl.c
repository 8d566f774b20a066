/* sysctl.c: the sysctls recorded with every run, each read where it lives
 * (see sysctl.h).
 *
 * The list is this file's; what is known of each entry is process-wide,
 * like the namespace move it follows: sysctl_pin() opens every entry's
 * file before the move, sysctl_settle() compares each with the file the
 * same path names after it (the test isolate.c makes before copying a
 * sysctl in), and sysctl_collect() reads global entries through their
 * pinned files, from offset 0, and the others by path. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "scenario.h"
#include "sysctl.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The sysctls that shape teardown, recorded with every run in this order
 * (struct run_info has room for 32). */
static const char *const recorded[] = {
	"net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_orphan_retries",
	"net.ipv4.tcp_max_orphans", "net.ipv4.tcp_max_tw_buckets",
	"net.ipv4.tcp_tw_reuse", "net.ipv4.tcp_rfc1337",
	"net.ipv4.tcp_abort_on_overflow", "net.ipv4.tcp_retries2",
	"net.ipv4.tcp_synack_retries", "net.ipv4.tcp_syn_retries",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_rto_min_us", "net.ipv4.tcp_ecn",
	"net.ipv4.tcp_timestamps", "net.ipv4.tcp_sack",
	"net.ipv4.tcp_congestion_control", "net.core.default_qdisc",
	"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
	"net.ipv4.tcp_window_scaling", "net.ipv4.tcp_challenge_ack_limit",
	"net.ipv4.tcp_no_metrics_save",
};

/* What is known of recorded[i]. */
static struct pinned {
	int fd;					/* its file where teardownd began; -1 */
	struct stat st;				/* that file's identity */
	enum sysctl_scope scope;		/* set by sysctl_settle */
} pins[NITEMS(recorded)];

static int npinned = -1;			/* -1 until sysctl_pin */
static int settled;				/* sysctl_settle has run */

static const char *const scope_names[SCOPE__COUNT] = {
	[SCOPE_UNKNOWN] = "", [SCOPE_HOST] = "host",
	[SCOPE_GLOBAL] = "global", [SCOPE_NETNS] = "netns",
};

/* "host", "global", "netns"; "" for SCOPE_UNKNOWN. */
const char *
sysctl_scope_name(enum sysctl_scope s)
{
	return (unsigned)s < SCOPE__COUNT ? scope_names[s] : "";
}

/* The /proc/sys path of a dotted name. */
int
sysctl_path(const char *name, char *path, size_t len)
{
	const char *prefix = "/proc/sys/";
	char *p;
	int n;

	if (strchr(name, '/') != NULL)
		return -1;
	n = snprintf(path, len, "%s%s", prefix, name);
	if (n < 0 || (size_t)n >= len)
		return -1;
	for (p = path + strlen(prefix); *p != '\0'; p++)
		if (*p == '.')
			*p = '/';
	return 0;
}

/* Reads an open sysctl file from offset 0 as runs record it (first line,
 * tabs as spaces). 0, or -1 with errno. */
static int
fd_read(int fd, char *value, size_t len)
{
	ssize_t n;
	char *p;

	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	value[0] = '\0';
	if ((n = pread(fd, value, len - 1, 0)) == -1)
		return -1;
	if (n == 0) {
		errno = EIO;
		return -1;
	}
	value[n] = '\0';
	value[strcspn(value, "\n")] = '\0';
	for (p = value; *p != '\0'; p++)
		if (*p == '\t')
			*p = ' ';
	return 0;
}

/* Reads sysctl name in the calling thread's namespace. */
int
sysctl_read(const char *name, char *value, size_t len)
{
	char path[128];
	int fd, rc, saved;

	if (len > 0)
		value[0] = '\0';
	if (sysctl_path(name, path, sizeof(path)) == -1) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	rc = fd_read(fd, value, len);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Whether name, resolved now, is the file st describes: 1, 0 or -1. */
int
sysctl_same_file(const char *name, const struct stat *st)
{
	char path[128];
	struct stat cur;

	if (sysctl_path(name, path, sizeof(path)) == -1) {
		errno = EINVAL;
		return -1;
	}
	if (stat(path, &cur) == -1)
		return -1;
	return cur.st_dev == st->st_dev && cur.st_ino == st->st_ino;
}

/* Opens each recorded sysctl's file where teardownd is now; once. */
void
sysctl_pin(void)
{
	char path[128];
	size_t i;

	if (npinned >= 0)
		return;
	npinned = 0;
	for (i = 0; i < NITEMS(recorded); i++) {
		pins[i].fd = -1;
		pins[i].scope = SCOPE_UNKNOWN;
		if (sysctl_path(recorded[i], path, sizeof(path)) == -1 ||
		    (pins[i].fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		if (fstat(pins[i].fd, &pins[i].st) == -1) {
			close(pins[i].fd);
			pins[i].fd = -1;
			continue;
		}
		npinned++;
	}
	log_debug("sysctl: %d of %zu recorded sysctls pinned", npinned,
	    NITEMS(recorded));
}

/* The scope of pinned sysctl i in a new namespace (see sysctl.h). */
static enum sysctl_scope
scope_isolated(size_t i)
{
	char path[128];

	/* No pinned file: per-namespace if the new namespace has one. */
	if (npinned < 0 || pins[i].fd == -1)
		return sysctl_path(recorded[i], path, sizeof(path)) == 0 &&
		    access(path, F_OK) == 0 ? SCOPE_NETNS : SCOPE_UNKNOWN;
	switch (sysctl_same_file(recorded[i], &pins[i].st)) {
	case 0:
		return SCOPE_NETNS;
	case 1:
		return SCOPE_GLOBAL;
	default:
		return errno == ENOENT ? SCOPE_GLOBAL : SCOPE_UNKNOWN;
	}
}

/* Settles each recorded sysctl's scope after isolating, or not. */
void
sysctl_settle(int isolated)
{
	size_t i;

	for (i = 0; i < NITEMS(recorded); i++) {
		pins[i].scope = isolated ? scope_isolated(i) : SCOPE_HOST;
		log_debug("sysctl: %s: %s", recorded[i],
		    pins[i].scope == SCOPE_UNKNOWN ? "nowhere" :
		    sysctl_scope_name(pins[i].scope));
		/* Only a global one is read through its pinned file. */
		if (npinned >= 0 && pins[i].fd != -1 &&
		    pins[i].scope != SCOPE_GLOBAL) {
			close(pins[i].fd);
			pins[i].fd = -1;
		}
	}
	settled = 1;
}

/* Reads every recorded sysctl where it lives into v; the count. */
size_t
sysctl_collect(struct sysctl_value *v, size_t n)
{
	enum sysctl_scope scope;
	size_t i;
	int rc;

	for (i = 0; i < NITEMS(recorded) && i < n; i++) {
		scope = settled ? pins[i].scope : SCOPE_UNKNOWN;
		snprintf(v[i].name, sizeof(v[i].name), "%s", recorded[i]);
		snprintf(v[i].scope, sizeof(v[i].scope), "%s",
		    sysctl_scope_name(scope));
		if (scope == SCOPE_GLOBAL)
			rc = fd_read(pins[i].fd, v[i].value, sizeof(v[i].value));
		else
			rc = sysctl_read(recorded[i], v[i].value,
			    sizeof(v[i].value));
		if (rc == -1)
			v[i].value[0] = '\0';
	}
	return i;
}

/* Writes value and a newline to the sysctl (or other /proc file) at path
 * in one write. 0 or -1 with errno. */
int
sysctl_write_path(const char *path, const char *value)
{
	char buf[80];
	ssize_t w;
	int fd, n, saved;

	n = snprintf(buf, sizeof(buf), "%s\n", value);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	w = write(fd, buf, (size_t)n);
	saved = errno;
	close(fd);
	if (w == n)
		return 0;
	errno = w == -1 ? saved : EIO;
	return -1;
}
