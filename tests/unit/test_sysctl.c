/* test_sysctl.c: the recorded sysctls, each read where it lives. What
 * sysctl.c knows is process-wide (pinned before a namespace move, settled
 * after it), so each test runs in a child of its own, which exits 0 when
 * every check held, 1 with the failed one on stderr, CHILD_SKIP when the
 * kernel refuses a new network namespace (no CAP_SYS_ADMIN). */
#include "testutil.h"

#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "sysctl.h"

#define CHILD_SKIP	77		/* unshare(CLONE_NEWNET) refused */
#define NVALUES		32		/* struct run_info's room */

/* Fails the child with a reason unless cond holds. */
#define CHILD_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "child: line %d: ", __LINE__);		\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		exit(1);						\
	}								\
} while (0)

/* Runs fn in a child; fails the test on its failure, skips on a skip. */
static void
in_child(void (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fn();
		exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == CHILD_SKIP)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The number of open file descriptors of this process. */
static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n - 3;			/* ".", ".." and d's own */
}

/* The entry called name in v[0..n-1]; exits the child if there is none. */
static const struct sysctl_value *
entry(const struct sysctl_value *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	CHILD_CHECK(0, "%s not recorded", name);
	return NULL;
}

static void
a_dotted_name_maps_to_its_proc_sys_path(void **state)
{
	char path[64];

	assert_int_equal(sysctl_path("net.ipv4.tcp_sack", path, sizeof(path)), 0);
	assert_string_equal(path, "/proc/sys/net/ipv4/tcp_sack");
	assert_int_equal(sysctl_path("net/ipv4/tcp_sack", path, sizeof(path)), -1);
	assert_int_equal(sysctl_path("net.ipv4.tcp_challenge_ack_limit", path,
	    20), -1);				/* does not fit */
}

static void
a_sysctl_reads_as_its_first_line_with_tabs_as_spaces(void **state)
{
	char got[64], want[64];

	tu_sysctl("net.ipv4.tcp_rmem", want, sizeof(want));
	assert_non_null(strchr(want, ' '));	/* three numbers */
	assert_int_equal(sysctl_read("net.ipv4.tcp_rmem", got, sizeof(got)), 0);
	assert_string_equal(got, want);
	assert_null(strchr(got, '\t'));
	assert_int_equal(sysctl_read("net.ipv4.no_such_sysctl", got,
	    sizeof(got)), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(got, "");
}

/* Child: before sysctl_settle every entry is read here, scope unknown. */
static void
child_unsettled(void)
{
	struct sysctl_value v[NVALUES];
	char want[64];
	size_t i, n = sysctl_collect(v, NVALUES);

	CHILD_CHECK(n >= 22, "only %zu recorded", n);
	for (i = 0; i < n; i++) {
		tu_sysctl(v[i].name, want, sizeof(want));
		CHILD_CHECK(strcmp(v[i].value, want) == 0, "%s: '%s', not '%s'",
		    v[i].name, v[i].value, want);
		CHILD_CHECK(v[i].scope[0] == '\0', "%s: scope '%s'", v[i].name,
		    v[i].scope);
	}
}

static void
before_settling_every_sysctl_is_read_here_scope_unknown(void **state)
{
	in_child(child_unsettled);
}

/* Child: not isolated, every entry is 'host', with this namespace's value. */
static void
child_host(void)
{
	struct sysctl_value v[NVALUES];
	char want[64];
	size_t i, n;

	sysctl_pin();
	sysctl_settle(0);
	n = sysctl_collect(v, NVALUES);
	for (i = 0; i < n; i++)
		CHILD_CHECK(strcmp(v[i].scope, "host") == 0, "%s: scope '%s'",
		    v[i].name, v[i].scope);
	tu_sysctl("net.core.default_qdisc", want, sizeof(want));
	CHILD_CHECK(strcmp(entry(v, n, "net.core.default_qdisc")->value,
	    want) == 0, "default_qdisc");
}

static void
not_isolated_every_sysctl_is_host(void **state)
{
	in_child(child_host);
}

/* Moves the child into a new network namespace; exits CHILD_SKIP when it
 * may not. */
static void
child_unshare(void)
{
	if (unshare(CLONE_NEWNET) == -1) {
		fprintf(stderr, "child: skipped: unshare(CLONE_NEWNET): %s\n",
		    strerror(errno));
		exit(CHILD_SKIP);
	}
}

/* Child: pinned, then moved into a new namespace: global entries keep the
 * starting namespace's value (read through the pinned file, where reading
 * by name now fails), per-namespace ones are read in the new namespace,
 * at every collect. */
static void
child_isolated(void)
{
	struct sysctl_value v[NVALUES];
	char qdisc[64], orphans[64], fin[64], buf[64];
	const struct sysctl_value *e;
	size_t i, n;
	int fd, fds, nglobal;

	tu_sysctl("net.core.default_qdisc", qdisc, sizeof(qdisc));
	tu_sysctl("net.ipv4.tcp_max_orphans", orphans, sizeof(orphans));
	tu_sysctl("net.ipv4.tcp_fin_timeout", fin, sizeof(fin));
	CHILD_CHECK(qdisc[0] != '\0' && orphans[0] != '\0',
	    "run this test in the initial network namespace");
	fds = open_fds();
	sysctl_pin();
	child_unshare();
	sysctl_settle(1);
	CHILD_CHECK(sysctl_read("net.core.default_qdisc", buf, sizeof(buf)) ==
	    -1 && errno == ENOENT, "default_qdisc readable inside");
	/* A value of the new namespace's own, unlike the starting one's. */
	snprintf(buf, sizeof(buf), "%d\n", atoi(fin) == 7 ? 8 : 7);
	fd = open("/proc/sys/net/ipv4/tcp_fin_timeout", O_WRONLY);
	CHILD_CHECK(fd != -1 && write(fd, buf, strlen(buf)) > 0, "set fin");
	close(fd);
	n = sysctl_collect(v, NVALUES);
	e = entry(v, n, "net.core.default_qdisc");
	CHILD_CHECK(strcmp(e->value, qdisc) == 0 && strcmp(e->scope,
	    "global") == 0, "default_qdisc '%s' %s", e->value, e->scope);
	e = entry(v, n, "net.ipv4.tcp_max_orphans");
	CHILD_CHECK(strcmp(e->value, orphans) == 0 && strcmp(e->scope,
	    "global") == 0, "tcp_max_orphans '%s' %s", e->value, e->scope);
	e = entry(v, n, "net.ipv4.tcp_fin_timeout");
	buf[strcspn(buf, "\n")] = '\0';
	CHILD_CHECK(strcmp(e->value, buf) == 0 && strcmp(e->scope,
	    "netns") == 0, "tcp_fin_timeout '%s' %s", e->value, e->scope);
	/* Read again at the next collect, through the same pinned file. */
	n = sysctl_collect(v, NVALUES);
	CHILD_CHECK(strcmp(entry(v, n, "net.core.default_qdisc")->value,
	    qdisc) == 0, "second collect");
	/* Only the global ones' files stay open. */
	for (i = 0, nglobal = 0; i < n; i++)
		nglobal += strcmp(v[i].scope, "global") == 0;
	CHILD_CHECK(nglobal >= 2 && open_fds() == fds + nglobal,
	    "%d fds open, %d before, %d global", open_fds(), fds, nglobal);
}

static void
isolated_global_sysctls_are_read_where_teardownd_started(void **state)
{
	in_child(child_isolated);
}

/* Child: moved without pinning first: a global entry can be read nowhere,
 * so it is '' with scope unknown, never another value; a per-namespace
 * one is the new namespace's. */
static void
child_unpinned(void)
{
	struct sysctl_value v[NVALUES];
	const struct sysctl_value *e;
	size_t n;

	child_unshare();
	sysctl_settle(1);
	n = sysctl_collect(v, NVALUES);
	e = entry(v, n, "net.core.default_qdisc");
	CHILD_CHECK(e->value[0] == '\0' && e->scope[0] == '\0',
	    "default_qdisc '%s' '%s'", e->value, e->scope);
	e = entry(v, n, "net.ipv4.tcp_no_metrics_save");
	CHILD_CHECK(strcmp(e->scope, "netns") == 0 && e->value[0] != '\0',
	    "tcp_no_metrics_save '%s' '%s'", e->value, e->scope);
}

static void
unpinned_a_global_sysctl_is_unknown_and_empty(void **state)
{
	in_child(child_unpinned);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_dotted_name_maps_to_its_proc_sys_path),
		cmocka_unit_test(a_sysctl_reads_as_its_first_line_with_tabs_as_spaces),
		cmocka_unit_test(before_settling_every_sysctl_is_read_here_scope_unknown),
		cmocka_unit_test(not_isolated_every_sysctl_is_host),
		cmocka_unit_test(isolated_global_sysctls_are_read_where_teardownd_started),
		cmocka_unit_test(unpinned_a_global_sysctl_is_unknown_and_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
