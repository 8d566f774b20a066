/* testutil.h: what every cmocka unit test includes, and the helpers
 * (testutil.c, linked into each test) that several tests share: a scratch
 * directory, files and databases in it, the store's rows read back, a
 * loopback address. */
#ifndef TEARDOWND_TESTUTIL_H
#define TEARDOWND_TESTUTIL_H

#include <sys/socket.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "report.h"
#include "scenario.h"
#include "store.h"

/* The scratch directory of tu_scratch_setup. */
extern char tu_dir[64];

/* A cmocka group setup making tu_dir, and the teardown removing it. */
int tu_scratch_setup(void **state);
int tu_scratch_teardown(void **state);

/* Makes a fresh directory "/tmp/<test>.XXXXXX" into dir; 0 or -1. */
int tu_mkdtemp(char *dir, size_t len);
/* Removes dir and all in it; 0 or -1. */
int tu_rmrf(const char *dir);

/* Writes text to path; fails the test when it cannot. */
void tu_write_file(const char *path, const char *text);

/* Opens (creating) the database at path read-write; fails the test when
 * it cannot. */
struct store *tu_store_open(const char *path);
/* Runs SQL on a plain connection to path; fails the test on an error. */
void tu_sql_exec(const char *path, const char *sql);

/* Runs query q into a new report (report_free it); fails the test on an
 * error. */
struct report *tu_query(struct store *st, enum store_query q,
    const struct store_args *a);
/* The text of column name in row i of r, NULL for NULL; fails the test
 * when there is no such row or column. */
const char *tu_col(const struct report *r, size_t i, const char *name);

/* Reads a sysctl by dotted name in the calling thread's namespace, as
 * runs record it (first line, tabs as spaces), independently of
 * src/sysctl.c; "" when unreadable. */
void tu_sysctl(const char *name, char *value, size_t len);

/* struct tcp_info's length as kernels return it: Linux 6.1 ends at
 * tcpi_snd_wnd (Debian 12's headers); 6.2 adds tcpi_rcv_wnd and later
 * fields (Linux 6.18 returns 280 bytes). */
#define TU_TCPI_LEN_6_1		232
#define TU_TCPI_LEN_6_18	280

/* An end seen in state st through source src, with a zeroed tcp_info of
 * tcpi_len bytes (0: none) as the kernel would have returned it. */
void tu_end(struct end_obs *o, enum tcp_state st, enum obs_source src,
    size_t tcpi_len);

/* The loopback address of family (AF_INET or AF_INET6) with port 0 into
 * ss; its length. */
socklen_t tu_loopback(int family, struct sockaddr_storage *ss);

#endif
