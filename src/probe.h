/* probe.h: the state of an end. TCP_INFO while its fd is open and the
 * kernel still has a connection behind it; then an exact NETLINK_SOCK_DIAG
 * lookup of its 4-tuple (orphans, TIME_WAIT mini-sockets); then CLOSED. */
#ifndef TEARDOWND_PROBE_H
#define TEARDOWND_PROBE_H

#include <sys/socket.h>

#include "scenario.h"

struct probe;				/* owns one NETLINK_SOCK_DIAG socket */

/* Opens a probe; NULL with errno on failure. */
struct probe *probe_open(void);

/* Closes the probe's socket and frees it; NULL is a no-op. */
void probe_close(struct probe *p);

/* Fills *o with the state of one end: fd is the end's fd or -1 once closed;
 * local/peer are that end's own address and its peer's (sockaddr_in or
 * sockaddr_in6, both of one family; NULL if the end never connected).
 * An open fd the kernel does not report as TCP_CLOSE: OBS_INFO. Otherwise
 * the 4-tuple through sock_diag: OBS_DIAG (a full socket, with its
 * tcp_info) or OBS_DIAG_TW (a timewait mini-socket, with its timer); not
 * found: STATE_CLOSED/OBS_GONE, keeping the fd's last tcp_info if it had one.
 * Without addresses: STATE_CLOSE/OBS_INFO from an open fd, else
 * STATE_UNKNOWN/OBS_NONE. The queue lengths (info.rqueue, info.wqueue)
 * come from SIOCINQ/SIOCOUTQ on an open fd (a listener's: its accept
 * queue and backlog), from idiag_rqueue/idiag_wqueue through sock_diag,
 * which counts a received FIN not yet read as one byte where SIOCINQ
 * does not; both count an unacknowledged FIN of this end's own. 0 on success, -1 on a netlink error (errno set;
 * *o then says STATE_UNKNOWN/OBS_NONE). */
int probe_end(struct probe *p, int fd, const struct sockaddr *local,
    const struct sockaddr *peer, struct end_obs *o, int *due);

/* With due non-NULL, probe_end leaves the queue lengths of an open fd
 * that is not a listener to probe_queues (*due 1), so that those of both
 * ends of a step are read together. */
#define PROBE_QUEUES_MAX	4
struct qring;				/* an io_uring for the queue lengths */

/* Opens one, NULL when io_uring is not there (probe_queues then uses
 * ioctls); closes one (NULL is a no-op). */
struct qring *qring_open(void);
void qring_close(struct qring *q);
/* Whether q reads through io_uring (until a kernel refuses it). */
int qring_on(const struct qring *q);

/* SIOCINQ and SIOCOUTQ of the n open fds (PROBE_QUEUES_MAX at a time) into
 * their s[i]->rqueue, wqueue, as probe_end would have read them: through
 * q's io_uring socket commands in one system call where the kernel has
 * them (Linux 6.7 and later), else (q NULL, or refused once) by ioctl. */
void probe_queues(struct qring *q, const int *fds, struct tcp_snap *const *s,
    size_t n);

/* Checks that sock_diag finds a connection in the calling thread's
 * network namespace: connects a TCP pair on family's loopback address
 * (AF_INET, AF_INET6) and looks the client end up by its exact 4-tuple,
 * asking for protocol (IPPROTO_TCP; a test may ask for one whose sock_diag
 * handler is surely missing, IPPROTO_SCTP, to see this fail as it would
 * without tcp_diag: the kernel then answers ENOENT, as for a closed end).
 * Leaves nothing behind (the client is reset). Returns 0 found; 1 when no
 * pair can be connected on the family's loopback (IPv6 disabled, lo down:
 * not checked; the cases will fail at set-up on their own); -1 not found
 * or a netlink error. why gets one line either way. */
int probe_selftest(struct probe *p, int family, int protocol, char *why,
    size_t len);

/* Checks sock_diag as probe_selftest does for each family in families
 * (1u << FAM_*; one where no pair can be connected is skipped, logged). When
 * a check fails, runs "modprobe module" once (module NULL: never), if a
 * modprobe is found in $PATH, /usr/sbin or /sbin, and checks again. 0
 * when every family checked passes; -1 with one line for people in why
 * (what failed, what loading gave, what to load). At start-up, after
 * isolation: without sock_diag every closed end would read as CLOSED. */
int probe_ready(unsigned families, int protocol, const char *module,
    char *why, size_t len);

/* probe_ready for TCP, with the tcp_diag module to load: 0, or -1 with
 * the reason logged (the caller exits 70). */
int probe_ready_tcp(unsigned families);

/* Copies what teardownd keeps of a kernel struct tcp_info of len bytes at
 * info (getsockopt's, or an INET_DIAG_INFO attribute's payload) into *s:
 * each field len covers is copied and marked in s->has; the others, which
 * the running kernel does not fill, stay unmarked and 0. */
void probe_snap_info(struct tcp_snap *s, const void *info, size_t len);

#endif
