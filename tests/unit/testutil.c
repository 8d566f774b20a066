/* testutil.c: the helpers several unit tests share (see testutil.h). */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "probe.h"
#include "testutil.h"

char tu_dir[64];

/* Makes tu_dir for the group. */
int
tu_scratch_setup(void **state)
{
	return tu_mkdtemp(tu_dir, sizeof(tu_dir));
}

/* Removes tu_dir. */
int
tu_scratch_teardown(void **state)
{
	return tu_rmrf(tu_dir);
}

/* Makes a fresh directory named after the test program. */
int
tu_mkdtemp(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/%s.XXXXXX", program_invocation_short_name);
	return mkdtemp(dir) == NULL ? -1 : 0;
}

/* Removes dir with rm -rf. */
int
tu_rmrf(const char *dir)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to path. */
void
tu_write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* Opens path read-write. */
struct store *
tu_store_open(const char *path)
{
	char err[512];
	struct store *st;

	if ((st = store_open(path, 0, err, sizeof(err))) == NULL)
		fail_msg("store_open: %s", err);
	return st;
}

/* Runs SQL on a plain connection. */
void
tu_sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

/* Runs query q into a new report. */
struct report *
tu_query(struct store *st, enum store_query q, const struct store_args *a)
{
	struct report *r = report_new();

	assert_non_null(r);
	if (store_query(st, q, a, report_collect, r) != 0)
		fail_msg("query %d: %s", (int)q, store_errmsg(st));
	return r;
}

/* The text of column name in row i of r. */
const char *
tu_col(const struct report *r, size_t i, const char *name)
{
	int c = report_column(r, name);

	assert_true(i < report_nrows(r));
	if (c < 0)
		fail_msg("no column %s", name);
	return report_text(r, i, c);
}

/* The loopback address of family with port 0. */
socklen_t
tu_loopback(int family, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = in6addr_loopback;
	return sizeof(*sin6);
}

/* An end in state st seen through src, with a zeroed tcp_info of
 * tcpi_len bytes (0: none). */
void
tu_end(struct end_obs *o, enum tcp_state st, enum obs_source src,
    size_t tcpi_len)
{
	unsigned char ti[512] = { 0 };

	memset(o, 0, sizeof(*o));
	o->state = st;
	o->source = src;
	if (tcpi_len == 0)
		return;
	assert_true(tcpi_len <= sizeof(ti));
	probe_snap_info(&o->info, ti, tcpi_len);
	o->has_info = 1;
}

/* Reads a sysctl by dotted name ("" when unreadable). */
void
tu_sysctl(const char *name, char *value, size_t len)
{
	char path[128], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	for (p = path + strlen("/proc/sys/"); *p != '\0'; p++)
		if (*p == '.')
			*p = '/';
	value[0] = '\0';
	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fgets(value, (int)len, f) == NULL)
		value[0] = '\0';
	fclose(f);
	value[strcspn(value, "\n")] = '\0';
	for (p = value; *p != '\0'; p++)
		if (*p == '\t')
			*p = ' ';
}
