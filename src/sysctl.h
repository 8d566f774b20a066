/* sysctl.h: the sysctls recorded with every run, each read where it lives.
 *
 * A per-namespace sysctl (net.ipv4.tcp_fin_timeout) is read in the
 * namespace where the cases run; a global one (net.core.default_qdisc,
 * net.ipv4.tcp_max_orphans) has no file inside a private network
 * namespace, so it is read through a file descriptor opened in the
 * namespace teardownd started in: an open /proc/sys file keeps reading the
 * namespace it was opened in. The order of calls, once per process:
 * sysctl_pin() before isolating, sysctl_settle() after; then
 * sysctl_collect() at every run. */
#ifndef TEARDOWND_SYSCTL_H
#define TEARDOWND_SYSCTL_H

#include <sys/stat.h>

#include <stddef.h>

struct sysctl_value;

/* Where a recorded sysctl was read: run_sysctls.scope. */
enum sysctl_scope {
	SCOPE_UNKNOWN,		/* not settled, or no file anywhere: NULL */
	SCOPE_HOST,		/* not isolated: read where the cases run */
	SCOPE_GLOBAL,		/* shared by all namespaces: read where teardownd started */
	SCOPE_NETNS,		/* the private namespace's own: read there */
	SCOPE__COUNT
};

/* "host", "global", "netns"; "" for SCOPE_UNKNOWN. */
const char *sysctl_scope_name(enum sysctl_scope s);

/* The /proc/sys path of a dotted sysctl name ("net.ipv4.tcp_sack"); -1
 * when name has a '/' or the path does not fit. */
int sysctl_path(const char *name, char *path, size_t len);

/* Reads sysctl name in the calling thread's network namespace as runs
 * record it: its first line, tabs as spaces. 0, or -1 with errno. */
int sysctl_read(const char *name, char *value, size_t len);

/* Whether sysctl name, resolved in the calling thread's namespace now, is
 * the file st describes (fstat of one opened earlier): 1 the same file, 0
 * another (a per-namespace sysctl after a move to a new namespace), -1
 * with errno (ENOENT: no such file here, e.g. a global net sysctl inside
 * a new namespace). */
int sysctl_same_file(const char *name, const struct stat *st);

/* Writes value (a line) to the sysctl file at path, as the calling
 * thread's namespace sees it. 0, or -1 with errno. */
int sysctl_write_path(const char *path, const char *value);

/* Before isolating: opens each recorded sysctl's file in the calling
 * thread's namespace and keeps it open. Once; later calls do nothing. */
void sysctl_pin(void);

/* After isolating (isolated 1) or deciding not to (0): settles each
 * recorded sysctl's scope. With isolated, a sysctl whose file in the new
 * namespace is another file than its pinned one is SCOPE_NETNS; one with
 * the same file or none there, SCOPE_GLOBAL; one with no file anywhere,
 * SCOPE_UNKNOWN (so is a global one when sysctl_pin was not called; a
 * per-namespace one is SCOPE_NETNS then too). Without, every one is
 * SCOPE_HOST. Only the global ones' pinned files stay open. */
void sysctl_settle(int isolated);

/* Reads every recorded sysctl where it lives into v (at most n entries):
 * SCOPE_GLOBAL through its pinned file, the others in the calling
 * thread's namespace; an unreadable one has value "". Before
 * sysctl_settle, all are read in the calling thread's namespace, scope
 * unknown. Returns the count. */
size_t sysctl_collect(struct sysctl_value *v, size_t n);

#endif
