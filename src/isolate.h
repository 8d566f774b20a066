/* isolate.h: runs the plan in a private network namespace, so that only
 * teardownd's own traffic is on lo and no case inherits kernel state from
 * another case or from the host: above all the TCP metrics cache, which
 * saves RTT per address pair at close and seeds the next connection's RTO. */
#ifndef TEARDOWND_ISOLATE_H
#define TEARDOWND_ISOLATE_H

#include <stddef.h>

struct sysctl_value;

/*
 * Moves the calling thread into a new network namespace with lo up
 * (127.0.0.1 and ::1), copies the given sysctls into it, and sets
 * net.ipv4.tcp_no_metrics_save = 1 there so no case seeds another's RTO.
 *
 * Call it once, early, while the process has one thread and before it
 * opens any socket: only the calling thread moves, and sockets already open
 * (netlink, pcap, listeners) stay in the namespace they were made in.
 *
 * copy holds values read in the original namespace (run_info_collect's
 * list). Entries with an empty value (unreadable there) are ignored, so is
 * net.ipv4.tcp_no_metrics_save (it is set to 1). Only net.* entries whose
 * file in the new namespace is a different file from the original one are
 * written, and only when their value differs: a sysctl shared with the
 * original namespace (global, e.g. net.ipv4.tcp_max_orphans, or anything
 * outside net.*) is never written from inside, so the host's value never
 * changes. Global net.* sysctls still apply inside; on 3.5+ kernels they
 * simply have no file there.
 *
 * Returns:
 *   1  isolated. msg is "" or notes for a warning, "; "-separated: each
 *      sysctl that could not be copied with the reason, and "::1 missing"
 *      when IPv6 is disabled in the new namespace (IPv6 cases would then
 *      fail; the caller decides whether to run them).
 *   0  not isolated and nothing changed: unshare(CLONE_NEWNET) was refused
 *      (EPERM: no CAP_SYS_ADMIN; EINVAL: kernel without network namespaces;
 *      ENOSPC: user.max_net_namespaces reached). msg says which. The caller
 *      runs in the namespace it has (and should warn that RTOs may depend
 *      on history).
 *  -1  any other failure, msg says what. The thread may be left in a new,
 *      half-set-up namespace (lo down, metrics still saved): the caller
 *      should treat this as fatal rather than run the plan.
 */
int isolate_netns(const struct sysctl_value *copy, size_t n, char *msg,
    size_t len);

/*
 * The same for a process without CAP_SYS_ADMIN: the new network namespace
 * is owned by a new user namespace in which the caller's uid and gid map
 * to root (unprivileged user namespaces, on by default in Debian 12). There
 * the process may attach socket filters, capture on lo and write the new
 * namespace's sysctls; files outside are still accessed as the caller.
 * Returns as isolate_netns; 0 when user namespaces are refused.
 */
int isolate_userns(const struct sysctl_value *copy, size_t n, char *msg,
    size_t len);

/* Gives up CAP_SYS_ADMIN, which only making namespaces needs (the systemd
 * unit grants it for that), in the calling thread (capabilities are per
 * thread): from the effective, permitted, inheritable and ambient sets,
 * and from the bounding set where CAP_SETPCAP allows. Other capabilities
 * stay: the capture needs CAP_NET_RAW, and Linux 6.18 lets only
 * CAP_NET_ADMIN attach a socket filter to a TCP socket (`filter` steps). */
void isolate_drop_admin(void);

#endif
