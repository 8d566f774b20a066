/* test_isolate.c: isolate_netns, always in a forked child, so that this
 * process stays in the host's namespace and can check afterwards that the
 * host's sysctls did not change. A child runs its checks and exits 0
 * (passed), CHILD_SKIP (isolation is not permitted here: the test is
 * skipped) or 1 (failed, the reason on stderr). Traffic only on loopback,
 * inside the child's own namespace; every wait is bounded. */
#include "testutil.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>

#include <sys/prctl.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "isolate.h"
#include "store.h"

#define CHILD_SKIP	77		/* isolate_netns returned 0 */
#define WAIT_MS		10000		/* bound of a child's life */
#define STEP_MS		10		/* polling step while waiting */
#define IO_TIMEOUT_S	1		/* bound of each socket call */

#define FIN_TIMEOUT	"net.ipv4.tcp_fin_timeout"
#define MAX_ORPHANS	"net.ipv4.tcp_max_orphans"
#define DEFAULT_QDISC	"net.core.default_qdisc"
#define SYN_RETRIES	"net.ipv4.tcp_syn_retries"
#define NOMETRICS	"net.ipv4.tcp_no_metrics_save"
#define PRINTK_RATELIMIT "kernel.printk_ratelimit"

/* What a child is told: the copy list and what to expect. */
struct child_arg {
	struct sysctl_value copy[8];		/* passed to isolate_netns */
	size_t ncopy;
	const char *expect_name;		/* a sysctl to read in the child */
	char expect_value[64];			/* and its value there */
	const char *msg_has[4];			/* strings msg must contain */
	const char *msg_lacks[4];		/* strings it must not contain */
	ino_t host_netns;			/* the parent's namespace */
	int host_has_ipv6;			/* ::1 usable in the host */
};

/* Ends a child with a failure reason. */
static void __attribute__((format(printf, 1, 2), noreturn))
child_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "child: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

/* Writes a sysctl by dotted name; 0 or -1. For restoring the host only. */
static int
sysctl_write_test(const char *name, const char *value)
{
	char path[128], *p;
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	for (p = path + strlen("/proc/sys/"); *p != '\0'; p++)
		if (*p == '.')
			*p = '/';
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	rc = fprintf(f, "%s\n", value) < 0 ? -1 : 0;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* Adds one entry to a copy list. */
static void
copy_add(struct child_arg *a, const char *name, const char *value)
{
	struct sysctl_value *v = &a->copy[a->ncopy++];

	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->value, sizeof(v->value), "%s", value);
}

/* The inode of the calling thread's network namespace. */
static ino_t
netns_id(void)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st) == -1)
		return 0;
	return st.st_ino;
}

/* Whether lo has IFF_UP in the current namespace. */
static int
lo_is_up(void)
{
	struct ifreq ifr;
	int s, up = 0;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0)
		up = (ifr.ifr_flags & IFF_UP) != 0;
	close(s);
	return up;
}

/* A TCP socket of family whose calls give up after IO_TIMEOUT_S. */
static int
tcp_socket(int family)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	int fd;

	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Closes fd with a reset, so nothing lingers. */
static void
abort_close(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	if (fd == -1)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/* Connects to a loopback listener of family and echoes one byte; 0 or -1. */
static int
tcp_roundtrip(int family)
{
	struct sockaddr_storage ss;
	socklen_t sl = tu_loopback(family, &ss);
	int lfd, cfd = -1, sfd = -1, rc = -1;
	char c = 'x', r = 0;

	if ((lfd = tcp_socket(family)) == -1)
		return -1;
	if (bind(lfd, (struct sockaddr *)&ss, sl) == -1 || listen(lfd, 1) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&ss, &sl) == -1)
		goto fail;
	if ((cfd = tcp_socket(family)) == -1 ||
	    connect(cfd, (struct sockaddr *)&ss, sl) == -1)
		goto fail;
	if ((sfd = accept(lfd, NULL, NULL)) == -1)
		goto fail;
	if (send(cfd, &c, 1, 0) != 1 || recv(sfd, &r, 1, 0) != 1 || r != c)
		goto fail;
	rc = 0;
fail:
	abort_close(sfd);
	abort_close(cfd);
	abort_close(lfd);
	return rc;
}

/* Drops CAP_SYS_ADMIN from the calling thread's capability sets. */
static int
drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	uint32_t bit = CAP_TO_MASK(CAP_SYS_ADMIN);
	int i = CAP_TO_INDEX(CAP_SYS_ADMIN);

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) == -1)
		return -1;
	data[i].effective &= ~bit;
	data[i].permitted &= ~bit;
	data[i].inheritable &= ~bit;
	return (int)syscall(SYS_capset, &hdr, data);
}

/* Runs fn(a) in a child and returns its exit code (-1 if it did not exit
 * within WAIT_MS, then it is killed). */
static int
run_child(void (*fn)(const struct child_arg *), const struct child_arg *a)
{
	struct timespec step = { 0, STEP_MS * 1000000L };
	int status, i;
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		fn(a);
		exit(0);
	}
	for (i = 0; i < WAIT_MS / STEP_MS; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		nanosleep(&step, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* Isolates the child; exits CHILD_SKIP when not permitted. */
static void
child_isolate(const struct child_arg *a, char *msg, size_t len)
{
	int rc = isolate_netns(a->copy, a->ncopy, msg, len);

	if (rc == 0) {
		fprintf(stderr, "child: skipped: %s\n", msg);
		exit(CHILD_SKIP);
	}
	if (rc != 1)
		child_fail("isolate_netns returned %d: %s", rc, msg);
}

/* Checks, in the child, every expectation of a shared by several tests. */
static void
child_check_common(const struct child_arg *a, const char *msg)
{
	char v[64];
	size_t i;

	if (netns_id() == a->host_netns)
		child_fail("still in the host's namespace");
	tu_sysctl(NOMETRICS, v, sizeof(v));
	if (strcmp(v, "1") != 0)
		child_fail("%s reads '%s', want 1", NOMETRICS, v);
	if (a->expect_name != NULL) {
		tu_sysctl(a->expect_name, v, sizeof(v));
		if (strcmp(v, a->expect_value) != 0)
			child_fail("%s reads '%s', want '%s'", a->expect_name,
			    v, a->expect_value);
	}
	for (i = 0; i < 4 && a->msg_has[i] != NULL; i++)
		if (strstr(msg, a->msg_has[i]) == NULL)
			child_fail("msg '%s' lacks '%s'", msg, a->msg_has[i]);
	for (i = 0; i < 4 && a->msg_lacks[i] != NULL; i++)
		if (strstr(msg, a->msg_lacks[i]) != NULL)
			child_fail("msg '%s' names '%s'", msg, a->msg_lacks[i]);
}

/* Child: isolates, then checks lo, both loopback addresses over TCP and
 * the common expectations. */
static void
child_loopback(const struct child_arg *a)
{
	char msg[512];

	child_isolate(a, msg, sizeof(msg));
	child_check_common(a, msg);
	if (!lo_is_up())
		child_fail("lo is not up");
	if (tcp_roundtrip(AF_INET) == -1)
		child_fail("TCP over 127.0.0.1: %s", strerror(errno));
	if (a->host_has_ipv6 && tcp_roundtrip(AF_INET6) == -1)
		child_fail("TCP over ::1: %s (msg '%s')", strerror(errno), msg);
	if (a->host_has_ipv6 && strstr(msg, "::1") != NULL)
		child_fail("msg reports ::1 missing: %s", msg);
}

/* Child: isolates and checks the common expectations only. */
static void
child_sysctls(const struct child_arg *a)
{
	char msg[512];

	child_isolate(a, msg, sizeof(msg));
	child_check_common(a, msg);
}

/* Child: isolates, checks the common expectations and TCP over IPv4. */
static void
child_sysctls_v4(const struct child_arg *a)
{
	char msg[512];

	child_isolate(a, msg, sizeof(msg));
	child_check_common(a, msg);
	if (tcp_roundtrip(AF_INET) == -1)
		child_fail("TCP over 127.0.0.1: %s", strerror(errno));
	if (tcp_roundtrip(AF_INET6) == 0)
		child_fail("TCP over ::1 works though IPv6 is disabled");
}

/* Child: without CAP_SYS_ADMIN, isolation is refused and changes nothing. */
static void
child_no_cap(const struct child_arg *a)
{
	char msg[512], before[64], after[64];
	int rc;

	if (drop_cap_sys_admin() == -1)
		child_fail("capset: %s", strerror(errno));
	tu_sysctl(NOMETRICS, before, sizeof(before));
	rc = isolate_netns(a->copy, a->ncopy, msg, sizeof(msg));
	if (rc != 0)
		child_fail("isolate_netns returned %d, want 0: %s", rc, msg);
	if (strstr(msg, "CAP_SYS_ADMIN") == NULL)
		child_fail("msg does not name CAP_SYS_ADMIN: '%s'", msg);
	if (netns_id() != a->host_netns)
		child_fail("left the host's namespace");
	tu_sysctl(NOMETRICS, after, sizeof(after));
	if (strcmp(before, after) != 0)
		child_fail("%s changed from %s to %s", NOMETRICS, before, after);
	if (tcp_roundtrip(AF_INET) == -1)
		child_fail("TCP over 127.0.0.1: %s", strerror(errno));
}

/* Child: as user nobody, isolation goes through a user namespace: lo is up,
 * TCP works, metrics are not saved, the copied sysctl has its value. */
static void
child_userns(const struct child_arg *a)
{
	char msg[512], v[64];
	int rc;

	if (setgroups(0, NULL) == -1 || setgid(65534) == -1 || setuid(65534) == -1)
		child_fail("becoming nobody: %s", strerror(errno));
	/* As after an exec as nobody: setuid() without exec leaves the
	 * process undumpable, and /proc/self/uid_map root's. */
	prctl(PR_SET_DUMPABLE, 1);
	rc = isolate_userns(a->copy, a->ncopy, msg, sizeof(msg));
	if (rc == 0)
		exit(CHILD_SKIP);		/* user namespaces refused here */
	if (rc != 1)
		child_fail("isolate_userns returned %d: %s", rc, msg);
	if (netns_id() == a->host_netns)
		child_fail("still in the host's namespace");
	if (!lo_is_up() || tcp_roundtrip(AF_INET) == -1)
		child_fail("lo or TCP over 127.0.0.1 does not work");
	tu_sysctl(NOMETRICS, v, sizeof(v));
	if (strcmp(v, "1") != 0)
		child_fail("%s is '%s' in the child, want 1", NOMETRICS, v);
	tu_sysctl(a->copy[0].name, v, sizeof(v));
	if (strcmp(v, a->copy[0].value) != 0)
		child_fail("%s is '%s', want the copied '%s'", a->copy[0].name, v,
		    a->copy[0].value);
}

/* A child_arg for this process's namespace, with an empty copy list. */
static void
arg_init(struct child_arg *a)
{
	memset(a, 0, sizeof(*a));
	a->host_netns = netns_id();
	a->host_has_ipv6 = tcp_roundtrip(AF_INET6) == 0;
}

/* Adds name to the copy list with the host's value plus delta. */
static void
copy_add_offset(struct child_arg *a, const char *name, long delta)
{
	char v[64];

	tu_sysctl(name, v, sizeof(v));
	assert_true(v[0] != '\0');
	snprintf(v, sizeof(v), "%ld", atol(v) + delta);
	copy_add(a, name, v);
}

/* 1 if the host's sysctl name moved from before (then it is put back). */
static int
host_moved(const char *name, const char *before)
{
	char now[64];

	tu_sysctl(name, now, sizeof(now));
	if (strcmp(now, before) == 0)
		return 0;
	fprintf(stderr, "host's %s changed from '%s' to '%s': restoring\n",
	    name, before, now);
	(void)sysctl_write_test(name, before);
	return 1;
}

/* Runs fn(a) in a child; fails if any host sysctl named in the copy list
 * (or tcp_no_metrics_save) moved, all of them put back first; then fails
 * unless the child passed, or skips if isolation was not permitted. */
static void
check_child(void (*fn)(const struct child_arg *), const struct child_arg *a)
{
	char before[8][64], nometrics[64];
	size_t i;
	int rc, moved;

	tu_sysctl(NOMETRICS, nometrics, sizeof(nometrics));
	for (i = 0; i < a->ncopy; i++)
		tu_sysctl(a->copy[i].name, before[i], sizeof(before[i]));
	rc = run_child(fn, a);
	moved = host_moved(NOMETRICS, nometrics);
	for (i = 0; i < a->ncopy; i++)
		moved += host_moved(a->copy[i].name, before[i]);
	assert_int_equal(moved, 0);
	if (rc == CHILD_SKIP)
		skip();
	assert_int_equal(rc, 0);
}

static void
isolated_child_has_lo_up_and_talks_tcp_over_both_loopbacks(void **state)
{
	struct child_arg a;

	(void)state;
	arg_init(&a);
	check_child(child_loopback, &a);
}

static void
isolated_child_saves_no_tcp_metrics_while_host_keeps_its_setting(void **state)
{
	struct child_arg a;

	(void)state;
	arg_init(&a);
	a.expect_name = NOMETRICS;
	snprintf(a.expect_value, sizeof(a.expect_value), "1");
	check_child(child_sysctls, &a);
}

static void
copied_sysctl_has_its_value_in_the_child_and_host_keeps_its_own(void **state)
{
	struct child_arg a;

	(void)state;
	arg_init(&a);
	copy_add_offset(&a, FIN_TIMEOUT, 7);
	a.expect_name = FIN_TIMEOUT;
	snprintf(a.expect_value, sizeof(a.expect_value), "%s", a.copy[0].value);
	check_child(child_sysctls, &a);
}

static void
global_sysctls_are_never_written_from_the_child(void **state)
{
	struct child_arg a;
	char qdisc[64];

	(void)state;
	arg_init(&a);
	copy_add_offset(&a, MAX_ORPHANS, 1);
	tu_sysctl(DEFAULT_QDISC, qdisc, sizeof(qdisc));
	copy_add(&a, DEFAULT_QDISC, strcmp(qdisc, "fq") == 0 ? "pfifo_fast" : "fq");
	copy_add_offset(&a, PRINTK_RATELIMIT, 1);	/* not net.*: refused */
	a.msg_has[0] = PRINTK_RATELIMIT;
	a.msg_lacks[0] = MAX_ORPHANS;
	a.msg_lacks[1] = DEFAULT_QDISC;
	check_child(child_sysctls, &a);
}

static void
uncopyable_sysctls_are_named_in_the_message_and_the_rest_is_copied(void **state)
{
	struct child_arg a;

	(void)state;
	arg_init(&a);
	copy_add(&a, SYN_RETRIES, "999");		/* out of range */
	copy_add(&a, "net.ipv4.no_such_sysctl", "1");	/* absent */
	copy_add(&a, "net.ipv4.tcp_delack_min", "");	/* unreadable: ignored */
	copy_add_offset(&a, FIN_TIMEOUT, 3);
	a.expect_name = FIN_TIMEOUT;
	snprintf(a.expect_value, sizeof(a.expect_value), "%s", a.copy[3].value);
	a.msg_has[0] = SYN_RETRIES;
	a.msg_has[1] = "net.ipv4.no_such_sysctl";
	a.msg_lacks[0] = "tcp_delack_min";
	check_child(child_sysctls, &a);
}

static void
ipv6_disabled_by_the_copy_list_is_reported_and_ipv4_still_works(void **state)
{
	struct child_arg a;

	(void)state;
	arg_init(&a);
	copy_add(&a, "net.ipv6.conf.all.disable_ipv6", "1");
	a.msg_has[0] = "::1 missing";
	check_child(child_sysctls_v4, &a);
}

static void
without_cap_sys_admin_isolation_returns_zero_and_changes_nothing(void **state)
{
	struct child_arg a;

	(void)state;
	arg_init(&a);
	copy_add_offset(&a, FIN_TIMEOUT, 5);
	check_child(child_no_cap, &a);
}

static void
without_cap_sys_admin_a_user_namespace_isolates(void **state)
{
	struct child_arg a;

	(void)state;
	arg_init(&a);
	copy_add_offset(&a, FIN_TIMEOUT, 3);
	check_child(child_userns, &a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(isolated_child_has_lo_up_and_talks_tcp_over_both_loopbacks),
		cmocka_unit_test(isolated_child_saves_no_tcp_metrics_while_host_keeps_its_setting),
		cmocka_unit_test(copied_sysctl_has_its_value_in_the_child_and_host_keeps_its_own),
		cmocka_unit_test(global_sysctls_are_never_written_from_the_child),
		cmocka_unit_test(uncopyable_sysctls_are_named_in_the_message_and_the_rest_is_copied),
		cmocka_unit_test(ipv6_disabled_by_the_copy_list_is_reported_and_ipv4_still_works),
		cmocka_unit_test(without_cap_sys_admin_isolation_returns_zero_and_changes_nothing),
		cmocka_unit_test(without_cap_sys_admin_a_user_namespace_isolates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
