/* isolate.c: a private network namespace for the plan (see isolate.h).
 *
 * Which sysctls are per namespace is found out, not listed. Before
 * unshare() each sysctl's file is opened and kept open, which pins its
 * /proc/sys inode (sysctl.c does the same for the sysctls it records, to
 * read global ones there later). /proc/sys/net resolves names against the calling
 * thread's current namespace, so after unshare() the same path names a new
 * file (new inode) for a per-namespace sysctl, the very same file for one
 * registered for every namespace (global: writing it would change the
 * host), and nothing (ENOENT) for a global net sysctl on 3.5+ kernels,
 * which register those in the initial namespace only. Only the first kind
 * is written. */
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <net/if.h>
#include <netinet/in.h>

#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isolate.h"
#include "log.h"
#include "scenario.h"
#include "sysctl.h"

#define NOMETRICS	"net.ipv4.tcp_no_metrics_save"

/* One sysctl to set in the new namespace. */
struct pin {
	const char *name;			/* dotted: "net.ipv4.tcp_fin_timeout" */
	const char *value;			/* what to write there */
	int required;				/* failing to set it is fatal */
	int check_write;			/* check it is writable before unshare */
	int fd;					/* its file in the original namespace */
	struct stat st;				/* that file's identity */
};

/* Appends one note to msg, "; "-separated; truncates silently. */
static void __attribute__((format(printf, 3, 4)))
note(char *msg, size_t len, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (len == 0)
		return;
	used = strnlen(msg, len);
	if (used > 0 && used + 2 < len) {
		memcpy(msg + used, "; ", 3);
		used += 2;
	}
	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(msg + used, len - used, fmt, ap);
	va_end(ap);
}


/* Opens p's file in the original namespace and keeps it open; -1 with a
 * note (and p->fd -1) if it cannot. */
static int
pin_open(struct pin *p, char *msg, size_t len)
{
	const char *what = p->required ? "cannot set" : "not copied:";
	char path[128];

	p->fd = -1;
	if (strncmp(p->name, "net.", 4) != 0 ||
	    sysctl_path(p->name, path, sizeof(path)) == -1) {
		note(msg, len, "%s %s: not a net.* sysctl", what, p->name);
		return -1;
	}
	if ((p->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	if (fstat(p->fd, &p->st) == -1)
		goto fail;
	/* With the effective ids and capabilities (AT_EACCESS): access()
	 * drops the capabilities of a non-root user, and the teardownd user
	 * of the systemd unit writes with CAP_NET_ADMIN. */
	if (p->required && p->check_write &&
	    faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) == -1)
		goto fail;			/* e.g. /proc/sys read-only */
	return 0;
fail:
	note(msg, len, "%s %s: %s", what, p->name, strerror(errno));
	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
	return -1;
}

/* Closes the first n pins and frees them. */
static void
pins_close(struct pin *pins, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pins[i].fd != -1)
			close(pins[i].fd);
	free(pins);
}

/* Opens, before unshare, the files of copy's sysctls that have a value,
 * then tcp_no_metrics_save's (last, so it wins). Sets *np; NULL with a note
 * when memory or tcp_no_metrics_save's file fails. */
static struct pin *
pins_open(const struct sysctl_value *copy, size_t n, int userns, size_t *np,
    char *msg, size_t len)
{
	struct pin *pins;
	size_t i, k = 0;

	if ((pins = calloc(n + 1, sizeof(*pins))) == NULL) {
		note(msg, len, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (copy[i].value[0] == '\0' || strcmp(copy[i].name, NOMETRICS) == 0)
			continue;
		pins[k].name = copy[i].name;
		pins[k].value = copy[i].value;
		if (pin_open(&pins[k], msg, len) == 0)
			k++;
	}
	pins[k].name = NOMETRICS;
	pins[k].value = "1";
	pins[k].required = 1;
	/* In a user namespace of our own its new file will be ours to write. */
	pins[k].check_write = !userns;
	if (pin_open(&pins[k], msg, len) == -1) {
		pins_close(pins, k);
		return NULL;
	}
	*np = k + 1;
	return pins;
}

/* A sysctl with no file of its own in the new namespace: the original
 * value applies there too. Fine unless it had to be set: -1 then. */
static int
pin_shared(const struct pin *p, const char *how, char *msg, size_t len)
{
	if (p->required) {
		note(msg, len, "cannot set %s: not per-namespace (%s)",
		    p->name, how);
		return -1;
	}
	log_debug("isolate: %s not per-namespace (%s), left alone", p->name, how);
	return 0;
}

/* Gives p its value in the new namespace when the sysctl is the new
 * namespace's own and differs. 0, or -1 with a note. */
static int
pin_apply(const struct pin *p, char *msg, size_t len)
{
	const char *what = p->required ? "cannot set" : "not copied:";
	char path[128], cur[64];

	switch (sysctl_same_file(p->name, &p->st)) {
	case -1:
		if (errno == ENOENT)
			return pin_shared(p, "absent in the new namespace",
			    msg, len);
		note(msg, len, "%s %s: %s", what, p->name, strerror(errno));
		return -1;
	case 1:
		return pin_shared(p, "same file", msg, len);
	}
	if (sysctl_read(p->name, cur, sizeof(cur)) == 0 &&
	    strcmp(cur, p->value) == 0)
		return 0;
	if (sysctl_path(p->name, path, sizeof(path)) == -1 ||
	    sysctl_write_path(path, p->value) == -1) {
		note(msg, len, "%s %s: %s", what, p->name, strerror(errno));
		return -1;
	}
	log_debug("isolate: %s = %s", p->name, p->value);
	return 0;
}

/* Brings lo up in the current namespace; 0, or -1 with a note. */
static int
lo_up(char *msg, size_t len)
{
	struct ifreq ifr;
	int s;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1)
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) == -1)
		goto fail;
	close(s);
	return 0;
fail:
	note(msg, len, "cannot bring lo up: %s", strerror(errno));
	if (s != -1)
		close(s);
	return -1;
}

/* Whether family's loopback address (127.0.0.1, ::1) can be bound. */
static int
loopback_usable(int family)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	const struct sockaddr *sa;
	socklen_t salen;
	int s, ok;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin6.sin6_addr = in6addr_loopback;
	sa = family == AF_INET ? (const struct sockaddr *)&sin :
	    (const struct sockaddr *)&sin6;
	salen = family == AF_INET ? sizeof(sin) : sizeof(sin6);
	if ((s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	ok = bind(s, sa, salen) == 0;
	close(s);
	return ok;
}

/* Notes why ::1 is missing on lo. */
static void
note_no_ipv6(char *msg, size_t len)
{
	char v[64];

	if (sysctl_read("net.ipv6.conf.lo.disable_ipv6", v, sizeof(v)) == -1)
		note(msg, len, "::1 missing: no IPv6 in this kernel");
	else if (strcmp(v, "1") == 0)
		note(msg, len, "::1 missing: IPv6 disabled in the new namespace "
		    "(net.ipv6.conf.lo.disable_ipv6 = 1)");
	else
		note(msg, len, "::1 missing on lo");
}

/* Maps the caller's ids to root in the user namespace it just entered. */
static int
map_ids(uid_t uid, gid_t gid, char *msg, size_t len)
{
	char line[64];

	if (sysctl_write_path("/proc/self/setgroups", "deny") == -1 &&
	    errno != ENOENT)
		goto fail;
	snprintf(line, sizeof(line), "0 %lu 1", (unsigned long)uid);
	if (sysctl_write_path("/proc/self/uid_map", line) == -1)
		goto fail;
	snprintf(line, sizeof(line), "0 %lu 1", (unsigned long)gid);
	if (sysctl_write_path("/proc/self/gid_map", line) == -1)
		goto fail;
	return 0;
fail:
	note(msg, len, "user namespace id map: %s", strerror(errno));
	return -1;
}

/* Why unshare refused, for the message. */
static const char *
refusal(int err, int userns)
{
	switch (err) {
	case EPERM:
		return userns ? " (unprivileged user namespaces disabled?)" :
		    " (needs CAP_SYS_ADMIN)";
	case EINVAL:
		return " (kernel without these namespaces)";
	case ENOSPC:
		return userns ? " (user.max_user_namespaces reached)" :
		    " (user.max_net_namespaces reached)";
	default:
		return NULL;
	}
}

/* Moves the calling thread into a new network namespace (owned by a new
 * user namespace if userns): 1, 0 when the kernel refuses and nothing
 * changed, -1; msg says why when not 1. */
static int
enter_netns(int userns, char *msg, size_t len)
{
	const char *call = userns ? "unshare(CLONE_NEWUSER|CLONE_NEWNET)" :
	    "unshare(CLONE_NEWNET)";
	const char *why;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int err;

	if (unshare(userns ? CLONE_NEWUSER | CLONE_NEWNET : CLONE_NEWNET) == 0)
		return userns && map_ids(uid, gid, msg, len) == -1 ? -1 : 1;
	err = errno;
	if (len > 0)
		msg[0] = '\0';
	if ((why = refusal(err, userns)) == NULL) {
		note(msg, len, "%s: %s", call, strerror(err));
		return -1;
	}
	note(msg, len, "not isolated: %s: %s%s", call, strerror(err), why);
	return 0;
}

/* Sets up a private network namespace for the plan, in a new user
 * namespace if userns; see isolate.h. */
static int
isolate(const struct sysctl_value *copy, size_t n, int userns, char *msg,
    size_t len)
{
	struct pin *pins;
	size_t i, np;
	int rc = -1;

	if (len > 0)
		msg[0] = '\0';
	if ((pins = pins_open(copy, n, userns, &np, msg, len)) == NULL)
		return -1;
	if ((rc = enter_netns(userns, msg, len)) != 1)
		goto out;
	rc = -1;
	for (i = 0; i < np; i++)
		if (pin_apply(&pins[i], msg, len) == -1 && pins[i].required)
			goto out;
	if (lo_up(msg, len) == -1)
		goto out;
	if (!loopback_usable(AF_INET)) {
		note(msg, len, "127.0.0.1 missing on lo after bringing it up");
		goto out;
	}
	if (!loopback_usable(AF_INET6))
		note_no_ipv6(msg, len);
	rc = 1;
out:
	pins_close(pins, np);
	return rc;
}

/* A private network namespace, made with CAP_SYS_ADMIN; see isolate.h. */
int
isolate_netns(const struct sysctl_value *copy, size_t n, char *msg, size_t len)
{
	return isolate(copy, n, 0, msg, len);
}

/* The same, without privileges, inside a user namespace; see isolate.h. */
int
isolate_userns(const struct sysctl_value *copy, size_t n, char *msg, size_t len)
{
	return isolate(copy, n, 1, msg, len);
}

/* Gives up CAP_SYS_ADMIN in the calling thread: see isolate.h. */
void
isolate_drop_admin(void)
{
	static const int drop[] = { CAP_SYS_ADMIN };
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];
	size_t i;

	if (syscall(SYS_capget, &h, c) == -1) {
		log_warn("capget");
		return;
	}
	for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++) {
		uint32_t bit = (uint32_t)1 << (drop[i] % 32);

		c[drop[i] / 32].effective &= ~bit;
		c[drop[i] / 32].permitted &= ~bit;
		c[drop[i] / 32].inheritable &= ~bit;
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, drop[i], 0, 0);
		prctl(PR_CAPBSET_DROP, drop[i], 0, 0, 0);	/* EPERM: fine */
	}
	if (syscall(SYS_capset, &h, c) == -1)
		log_warn("capset: cannot drop CAP_SYS_ADMIN");
}
