/* trans.bpf.c: the BPF side of src/trans.c, compiled with clang -target
 * bpf and embedded into teardownd. On every call of the tracepoint
 * sock:inet_sock_set_state (tp_btf: the kernel's own struct sock), a TCP
 * socket of a network namespace whose cookie userspace put in the map
 * netns gets one struct trans_event in the ring buffer "events"
 * (a listener's own changes excepted: they belong to no connection);
 * a record that does not fit is counted in "drops". The few kernel structs
 * read are declared here with preserve_access_index: libbpf relocates
 * their fields against the running kernel's BTF (CO-RE), so the build
 * needs no vmlinux.h. */
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "trans.bpf.h"

#define AF_INET		2
#define AF_INET6	10
#define IPPROTO_TCP	6
#define TCP_CLOSE	7
#define TCP_LISTEN	10

struct in6_addr {
	__u8 s6_addr[16];			/* the kernel's in6_u, by bytes */
};

struct net {
	__u64 net_cookie;			/* SO_NETNS_COOKIE's value */
} __attribute__((preserve_access_index));

typedef struct {
	struct net *net;
} possible_net_t;

struct sock_common {
	__be32 skc_daddr;			/* remote IPv4 address */
	__be32 skc_rcv_saddr;			/* local IPv4 address */
	__be16 skc_dport;			/* remote port, network order */
	__u16 skc_num;				/* local port, host order */
	unsigned short skc_family;
	possible_net_t skc_net;
	struct in6_addr skc_v6_daddr;		/* remote IPv6 address */
	struct in6_addr skc_v6_rcv_saddr;	/* local IPv6 address */
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
	__u16 sk_protocol;
} __attribute__((preserve_access_index));

/* The network namespaces observed, by cookie (the value is unused), put
 * in by userspace before attaching: the run's, and the relay links'. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TRANS_NETNS);
	__type(key, __u64);
	__type(value, __u8);
} netns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TRANS_RING_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);	/* read with no system call */
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Counts a record the ring buffer had no room for. */
static __always_inline void
count_drop(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&drops, &zero);

	if (n != NULL)
		__sync_fetch_and_add(n, 1);
}

/* Copies the socket's addresses and ports into e. */
static __always_inline void
fill_tuple(struct trans_event *e, const struct sock *sk)
{
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr);
		return;
	}
	BPF_CORE_READ_INTO((__be32 *)e->saddr, sk, __sk_common.skc_rcv_saddr);
	BPF_CORE_READ_INTO((__be32 *)e->daddr, sk, __sk_common.skc_daddr);
}

/* One state change: kept when it is a TCP socket of a namespace of netns. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_set_state, const struct sock *sk, const int oldstate,
    const int newstate)
{
	struct trans_event *e;
	__u64 net;
	__u16 family;

	/* A listener's own changes belong to no connection. */
	if (newstate == TCP_LISTEN ||
	    (oldstate == TCP_LISTEN && newstate == TCP_CLOSE))
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	net = BPF_CORE_READ(sk, __sk_common.skc_net.net, net_cookie);
	if (bpf_map_lookup_elem(&netns, &net) == NULL)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if ((e = bpf_ringbuf_reserve(&events, sizeof(*e), 0)) == NULL) {
		count_drop();
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->cookie = bpf_get_socket_cookie((void *)sk);
	e->family = (__u8)family;
	e->oldstate = (__u8)oldstate;
	e->newstate = (__u8)newstate;
	fill_tuple(e, sk);
	/* No wakeup per record: the loop reads the ring when a case needs
	 * it (trans_sync). A wakeup costs an IPI; one is sent only when the
	 * ring is a quarter full, so that a burst cannot fill it. */
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >=
	    TRANS_RING_BYTES / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
