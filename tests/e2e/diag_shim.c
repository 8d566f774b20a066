/* diag_shim.c: an LD_PRELOAD library for tests/e2e/diag.sh. It rewrites
 * the protocol of every NETLINK_SOCK_DIAG request for TCP that the process
 * sends to $DIAG_SHIM_PROTOCOL (132, SCTP: a protocol whose sock_diag
 * handler is not there), so the kernel answers as it does for TCP without
 * the tcp_diag module: ENOENT for everything. Nothing is unloaded, and the
 * binary under test is the real one. */
#include <sys/socket.h>
#include <netinet/in.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

typedef ssize_t (*sendto_fn)(int, const void *, size_t, int,
    const struct sockaddr *, socklen_t);

/* One SOCK_DIAG_BY_FAMILY request, as probe.c sends it. */
struct req {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 r;
};

/* sendto(2), with a TCP sock_diag request's protocol rewritten. */
ssize_t
sendto(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *to, socklen_t tolen)
{
	static sendto_fn real;
	const char *proto = getenv("DIAG_SHIM_PROTOCOL");
	struct req q;

	if (real == NULL)
		real = (sendto_fn)dlsym(RTLD_NEXT, "sendto");
	if (proto == NULL || len != sizeof(q))
		return real(fd, buf, len, flags, to, tolen);
	memcpy(&q, buf, sizeof(q));
	if (q.nlh.nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    q.r.sdiag_protocol != IPPROTO_TCP)
		return real(fd, buf, len, flags, to, tolen);
	q.r.sdiag_protocol = (unsigned char)atoi(proto);
	return real(fd, &q, sizeof(q), flags, to, tolen);
}
