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
    const struct sockaddr *peer, struct end_obs *o);

/* Copies what teardownd keeps of a kernel struct tcp_info of len bytes at
 * info (getsockopt's, or an INET_DIAG_INFO attribute's payload) into *s:
 * each field len covers is copied and marked in s->has; the others, which
 * the running kernel does not fill, stay unmarked and 0. */
void probe_snap_info(struct tcp_snap *s, const void *info, size_t len);

#endif
