/* trans.bpf.h: the record src/trans.bpf.c writes into its ring buffer for
 * each state change of a TCP socket, and src/trans.c reads. Plain fixed
 * types, so the BPF target and the host compile the same layout. */
#ifndef TEARDOWND_TRANS_BPF_H
#define TEARDOWND_TRANS_BPF_H

#include <linux/types.h>

#define TRANS_RING_BYTES	(1 << 19)	/* the ring buffer: ~10,000 records */
#define TRANS_NETNS		128		/* namespaces observed: the run's, 2 per
						 * link (LINK_MAX 63; a loopback link's 1) */

/* One call of the sock:inet_sock_set_state tracepoint. */
struct trans_event {
	__u64 ts_ns;				/* bpf_ktime_get_ns: CLOCK_MONOTONIC */
	__u64 cookie;				/* the socket's cookie (SO_COOKIE) */
	__u8 family;				/* AF_INET or AF_INET6 */
	__u8 oldstate, newstate;		/* TCP_* as the kernel numbers them */
	__u8 pad;				/* zero */
	__u16 sport, dport;			/* local and remote port, host order */
	__u8 saddr[16], daddr[16];		/* local and remote; IPv4 in the first 4 */
};

#endif
