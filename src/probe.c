/* probe.c: the state of an end, as one value that survives close().
 *
 * 1. While the end's fd is open and the kernel does not report TCP_CLOSE:
 *    getsockopt(TCP_INFO) on it.
 * 2. Otherwise: one exact SOCK_DIAG_BY_FAMILY request for the 4-tuple
 *    (no NLM_F_DUMP). It finds orphaned full sockets (FIN_WAIT1, FIN_WAIT2,
 *    LAST_ACK, CLOSING, ...) with their tcp_info, and timewait
 *    mini-sockets with their remaining timer.
 * 3. Nothing found: CLOSED.
 *
 * With each: the queue lengths (rqueue, wqueue), from SIOCINQ/SIOCOUTQ on
 * an open fd, else from the inet_diag_msg.
 *
 * struct tcp_info is read defensively: into a zeroed buffer, each field
 * copied only if the length the kernel returned covers it (getsockopt's
 * length, or the INET_DIAG_INFO attribute's), and marked present; a field
 * the running kernel does not fill stays absent, never a 0. */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <netinet/in.h>

#include <linux/sockios.h>

#include <linux/inet_diag.h>
#include <linux/io_uring.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"

#define PROBE_TIMEOUT_MS	1000	/* how long one reply may take */
#define PROBE_MAX_RECV		16	/* datagrams read per request */

/* tcpi_rcv_wnd follows tcpi_snd_wnd since Linux 6.2; Debian 12's uapi
 * headers (6.1) do not declare it, so it is read by its offset. */
#define TCPI_RCV_WND_OFF \
	(offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof(uint32_t))

/* Does a kernel tcp_info of len bytes cover field f? */
#define TI_HAS(len, f) (offsetof(struct tcp_info, f) + \
	sizeof(((struct tcp_info *)0)->f) <= (len))
/* Copies tcpi_<f> of buffer b into s->f, marking it, if len covers it. */
#define TI_PUT(s, b, len, f, bit) do {					\
	if (TI_HAS(len, tcpi_##f)) {					\
		(s)->f = (b)->ti.tcpi_##f;				\
		(s)->has |= 1u << (bit);				\
	}								\
} while (0)

union tcpi_buf {
	struct tcp_info ti;			/* the fields this build knows */
	unsigned char raw[512];			/* room for a newer kernel's */
};

struct probe {
	int fd;					/* NETLINK_SOCK_DIAG socket */
	uint32_t seq;				/* sequence of the last request */
	union {
		struct nlmsghdr align;		/* keeps the buffer aligned */
		char b[8192];
	} rx;					/* reply buffer */
};

struct diag_req {
	struct nlmsghdr nlh;			/* SOCK_DIAG_BY_FAMILY, REQUEST */
	struct inet_diag_req_v2 r;		/* the exact 4-tuple */
};

/* A kernel TCP state as enum tcp_state; STATE_UNKNOWN if it has none. */
static enum tcp_state
state_known(int state)
{
	if (state < STATE_ESTABLISHED || state > STATE_BOUND_INACTIVE)
		return STATE_UNKNOWN;
	return (enum tcp_state)state;
}

/* Copies what teardownd keeps of a kernel tcp_info of len bytes at src
 * into *s, marking each field len covers; see probe.h. */
void
probe_snap_info(struct tcp_snap *s, const void *src, size_t len)
{
	union tcpi_buf b;

	memset(&b, 0, sizeof(b));
	if (len > sizeof(b))
		len = sizeof(b);
	memcpy(&b, src, len);
	memset(s, 0, sizeof(*s));
	TI_PUT(s, &b, len, ca_state, SNAP_CA_STATE);
	TI_PUT(s, &b, len, retransmits, SNAP_RETRANSMITS);
	TI_PUT(s, &b, len, probes, SNAP_PROBES);
	TI_PUT(s, &b, len, backoff, SNAP_BACKOFF);
	TI_PUT(s, &b, len, rto, SNAP_RTO);
	TI_PUT(s, &b, len, unacked, SNAP_UNACKED);
	TI_PUT(s, &b, len, lost, SNAP_LOST);
	TI_PUT(s, &b, len, retrans, SNAP_RETRANS);
	TI_PUT(s, &b, len, total_retrans, SNAP_TOTAL_RETRANS);
	TI_PUT(s, &b, len, segs_in, SNAP_SEGS_IN);
	TI_PUT(s, &b, len, segs_out, SNAP_SEGS_OUT);
	TI_PUT(s, &b, len, last_data_sent, SNAP_LAST_DATA_SENT);
	TI_PUT(s, &b, len, last_data_recv, SNAP_LAST_DATA_RECV);
	TI_PUT(s, &b, len, notsent_bytes, SNAP_NOTSENT_BYTES);
	TI_PUT(s, &b, len, snd_wnd, SNAP_SND_WND);
	if (len >= TCPI_RCV_WND_OFF + sizeof(uint32_t)) {
		memcpy(&s->rcv_wnd, b.raw + TCPI_RCV_WND_OFF, sizeof(uint32_t));
		s->has |= 1u << SNAP_RCV_WND;
	}
}

/* Puts one queue length into s (out: wqueue, else rqueue); a negative
 * one is no value. */
static void
queue_set(struct tcp_snap *s, int out, int n)
{
	if (n < 0)
		return;
	if (out) {
		s->wqueue = (uint32_t)n;
		s->has |= 1u << SNAP_WQUEUE;
	} else {
		s->rqueue = (uint32_t)n;
		s->has |= 1u << SNAP_RQUEUE;
	}
}

/* One queue length of fd by ioctl (out: SIOCOUTQ, else SIOCINQ) into s;
 * none when the call fails. */
static void
queue_by_ioctl(int fd, int out, struct tcp_snap *s)
{
	int n;

	if (ioctl(fd, out ? SIOCOUTQ : SIOCINQ, &n) == 0)
		queue_set(s, out, n);
}

/* The queue lengths of an open fd whose tcp_info (b, len) says state:
 * SIOCINQ and SIOCOUTQ; for a listener, where SIOCINQ is EINVAL, its
 * accept queue and backlog, which tcp_info gives as tcpi_unacked and
 * tcpi_sacked, the meaning sock_diag gives a listener's queues. */
static void
queues_by_fd(int fd, int state, const union tcpi_buf *b, socklen_t len,
    struct tcp_snap *s)
{
	if (state == STATE_LISTEN) {
		if (!TI_HAS(len, tcpi_sacked))
			return;
		s->rqueue = b->ti.tcpi_unacked;
		s->wqueue = b->ti.tcpi_sacked;
		s->has |= 1u << SNAP_RQUEUE | 1u << SNAP_WQUEUE;
		return;
	}
	queue_by_ioctl(fd, 0, s);
	queue_by_ioctl(fd, 1, s);
}

/* TCP_INFO and the queues on fd into *s and *state; -1 if the fd gives
 * no tcp_info. With due non-NULL the queues of a socket that is not a
 * listener are left to probe_queues: *due says whether they are. */
static int
info_by_fd(int fd, struct tcp_snap *s, int *state, int *due)
{
	union tcpi_buf b;
	socklen_t len = sizeof(b);

	memset(&b, 0, sizeof(b));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &b, &len) == -1)
		return -1;
	if (!TI_HAS(len, tcpi_state))
		return -1;
	*state = b.ti.tcpi_state;
	probe_snap_info(s, &b, len);
	if (due != NULL && *state != STATE_LISTEN)
		*due = 1;
	else
		queues_by_fd(fd, *state, &b, len, s);
	return 0;
}

/* Opens a probe; NULL with errno on failure. */
struct probe *
probe_open(void)
{
	struct probe *p;
	struct timeval tv = { PROBE_TIMEOUT_MS / 1000,
	    (PROBE_TIMEOUT_MS % 1000) * 1000 };
	int saved;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG);
	if (p->fd == -1)
		goto fail;
	if (setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		goto fail;
	return p;
fail:
	saved = errno;
	if (p->fd != -1)
		close(p->fd);
	free(p);
	errno = saved;
	return NULL;
}

/* Closes the probe's socket and frees it; NULL is a no-op. */
void
probe_close(struct probe *p)
{
	if (p == NULL)
		return;
	close(p->fd);
	free(p);
}

/* Puts one address and port into a diag id's src or dst; -1 if not inet. */
static int
diag_addr(const struct sockaddr *sa, __be16 *port, __be32 addr[4])
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	switch (sa->sa_family) {
	case AF_INET:
		*port = sin->sin_port;		/* already network order */
		memcpy(addr, &sin->sin_addr, sizeof(sin->sin_addr));
		return 0;
	case AF_INET6:
		*port = sin6->sin6_port;
		memcpy(addr, &sin6->sin6_addr, sizeof(sin6->sin6_addr));
		return 0;
	}
	errno = EAFNOSUPPORT;
	return -1;
}

/* Builds the exact request for local -> peer of protocol; -1 on a bad
 * address. */
static int
diag_build(struct diag_req *q, uint32_t seq, const struct sockaddr *local,
    const struct sockaddr *peer, int protocol)
{
	memset(q, 0, sizeof(*q));
	if (local->sa_family != peer->sa_family) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	q->nlh.nlmsg_len = sizeof(*q);
	q->nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q->nlh.nlmsg_flags = NLM_F_REQUEST;	/* no NLM_F_DUMP: one socket */
	q->nlh.nlmsg_seq = seq;
	q->r.sdiag_family = (uint8_t)local->sa_family;
	q->r.sdiag_protocol = (uint8_t)protocol;
	q->r.idiag_ext = 1 << (INET_DIAG_INFO - 1);
	q->r.idiag_states = ~0U;
	q->r.id.idiag_if = 0;
	q->r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	q->r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (diag_addr(local, &q->r.id.idiag_sport, q->r.id.idiag_src) == -1 ||
	    diag_addr(peer, &q->r.id.idiag_dport, q->r.id.idiag_dst) == -1)
		return -1;
	return 0;
}

/* Walks the attributes after an inet_diag_msg for INET_DIAG_INFO. */
static void
diag_attrs(const char *pos, size_t len, struct end_obs *o)
{
	const struct nlattr *a;
	size_t step;

	while (len >= NLA_HDRLEN) {
		a = (const struct nlattr *)pos;
		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return;
		if ((a->nla_type & NLA_TYPE_MASK) == INET_DIAG_INFO) {
			probe_snap_info(&o->info, pos + NLA_HDRLEN,
			    a->nla_len - NLA_HDRLEN);
			o->has_info = 1;
		}
		step = NLA_ALIGN(a->nla_len);
		if (step >= len)
			return;
		pos += step;
		len -= step;
	}
}

/* Reads one inet_diag_msg into *o: 1 if it is the connection asked for,
 * 0 if not, -1 if it is malformed. The kernel's exact lookup goes through
 * inet_lookup(), which can fall back to a listener on the local port; the
 * reply's tuple is checked so that a listener is never taken for a closed
 * end (Linux 6.18 answers ENOENT there anyway). */
static int
diag_msg(const struct nlmsghdr *nh, const struct diag_req *q,
    struct end_obs *o)
{
	const struct inet_diag_msg *m = NLMSG_DATA(nh);
	const struct inet_diag_sockid *want = &q->r.id;

	if (nh->nlmsg_len < NLMSG_SPACE(sizeof(*m))) {
		errno = EPROTO;
		return -1;
	}
	if (m->idiag_family != q->r.sdiag_family ||
	    m->id.idiag_sport != want->idiag_sport ||
	    m->id.idiag_dport != want->idiag_dport ||
	    memcmp(m->id.idiag_src, want->idiag_src, sizeof(want->idiag_src)) ||
	    memcmp(m->id.idiag_dst, want->idiag_dst, sizeof(want->idiag_dst)))
		return 0;
	memset(o, 0, sizeof(*o));
	o->state = state_known(m->idiag_state);
	o->timer = m->idiag_timer;
	o->timer_ms = m->idiag_expires;
	diag_attrs((const char *)m + NLMSG_ALIGN(sizeof(*m)),
	    nh->nlmsg_len - NLMSG_SPACE(sizeof(*m)), o);
	/* After the tcp_info, which resets the snapshot. A received FIN
	 * not yet read counts as one byte here; SIOCINQ leaves it out. */
	o->info.rqueue = m->idiag_rqueue;
	o->info.wqueue = m->idiag_wqueue;
	o->info.has |= 1u << SNAP_RQUEUE | 1u << SNAP_WQUEUE;
	/*
	 * A timewait mini-socket carries no tcp_info: the kernel fills
	 * INET_DIAG_INFO only for full sockets. Its idiag_state is its
	 * substate: TIME_WAIT, or FIN_WAIT2 for an orphan that TCP_LINGER2 /
	 * tcp_fin_timeout moved into a timewait socket. So no INFO is what
	 * tells a mini-socket from a full FIN_WAIT2 orphan.
	 */
	if (o->has_info)
		o->source = OBS_DIAG;
	else if (o->state == STATE_TIME_WAIT || o->state == STATE_FIN_WAIT2)
		o->source = OBS_DIAG_TW;
	else
		o->source = OBS_DIAG;		/* e.g. a request socket */
	return 1;
}

/* Looks through one datagram for the reply to q: 1 found, 0 not found,
 * -1 error, 2 nothing for this request in it. */
static int
diag_parse(const char *buf, size_t n, const struct diag_req *q,
    struct end_obs *o)
{
	const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
	const struct nlmsgerr *e;
	int len = (int)n;

	for (; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
		if (nh->nlmsg_seq != q->nlh.nlmsg_seq)
			continue;		/* a late reply to an old request */
		switch (nh->nlmsg_type) {
		case NLMSG_ERROR:
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
				errno = EPROTO;
				return -1;
			}
			e = NLMSG_DATA(nh);
			if (e->error == 0)
				continue;	/* an ack */
			if (e->error == -ENOENT)
				return 0;
			errno = -e->error;
			return -1;
		case NLMSG_DONE:
			return 0;
		case SOCK_DIAG_BY_FAMILY:
			return diag_msg(nh, q, o);
		}
	}
	return 2;
}

/* Receives until the reply to q: 1 found, 0 not found, -1 error. */
static int
diag_recv(struct probe *p, const struct diag_req *q, struct end_obs *o)
{
	ssize_t n;
	int i, rc;

	for (i = 0; i < PROBE_MAX_RECV; i++) {
		n = recv(p->fd, p->rx.b, sizeof(p->rx.b), MSG_TRUNC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			errno = ETIMEDOUT;
		if (n == -1)
			return -1;
		if ((size_t)n > sizeof(p->rx.b)) {
			errno = EMSGSIZE;
			return -1;
		}
		if ((rc = diag_parse(p->rx.b, (size_t)n, q, o)) != 2)
			return rc;
	}
	errno = ETIMEDOUT;
	return -1;
}

/* Asks sock_diag for local -> peer of protocol: 1 found (*o filled), 0
 * not, -1 error. */
static int
diag_lookup(struct probe *p, const struct sockaddr *local,
    const struct sockaddr *peer, int protocol, struct end_obs *o)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct diag_req q;
	ssize_t n;

	if (diag_build(&q, ++p->seq, local, peer, protocol) == -1)
		return -1;
	do {
		n = sendto(p->fd, &q, sizeof(q), 0,
		    (struct sockaddr *)&kernel, sizeof(kernel));
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	return diag_recv(p, &q, o);
}

/* Fills *o with the state of one end; see probe.h. */
int
probe_end(struct probe *p, int fd, const struct sockaddr *local,
    const struct sockaddr *peer, struct end_obs *o, int *due)
{
	struct end_obs d;
	int state = -1, rc;

	memset(o, 0, sizeof(*o));
	if (due != NULL)
		*due = 0;
	if (fd >= 0 && info_by_fd(fd, &o->info, &state, due) == 0) {
		o->has_info = 1;
		o->source = OBS_INFO;
		o->state = state_known(state);
		if (state != STATE_CLOSE)
			return 0;
	}
	/* The fd is gone or in TCP_CLOSE (its tcp_info is kept unless diag
	 * finds the tuple). Without addresses there is nothing to look up. */
	if (local == NULL || peer == NULL)
		return 0;
	memset(&d, 0, sizeof(d));
	if ((rc = diag_lookup(p, local, peer, IPPROTO_TCP, &d)) == -1) {
		memset(o, 0, sizeof(*o));
		o->state = STATE_UNKNOWN;
		o->source = OBS_NONE;
		if (due != NULL)
			*due = 0;		/* nothing observed: no queues */
		return -1;
	}
	if (rc == 1) {
		*o = d;				/* with the kernel's queues */
		if (due != NULL)
			*due = 0;
		return 0;
	}
	o->state = STATE_CLOSED;
	o->source = OBS_GONE;
	return 0;
}

/*
 * The queue lengths of several sockets at once: SIOCINQ and SIOCOUTQ as
 * io_uring socket commands (IORING_OP_URING_CMD, SOCKET_URING_OP_SIOCINQ
 * and _SIOCOUTQ: tcp_ioctl, as the ioctls), submitted together, so that
 * one system call reads what 2n ioctls would. Kernels without them
 * (before 6.7), and a process that may not use io_uring, get the ioctls.
 * Set up by hand (the two system calls and three mappings) rather than
 * with liburing, whose Debian 12 version predates socket commands.
 */
#define QRING_ENTRIES	(2 * PROBE_QUEUES_MAX)
#define URING_SIOCINQ	0		/* SOCKET_URING_OP_SIOCINQ */
#define URING_SIOCOUTQ	1		/* SOCKET_URING_OP_SIOCOUTQ */

struct qring {
	int fd;
	int off;			/* the kernel refused a command: ioctls */
	void *sq, *cq;			/* the rings' mappings (cq may be sq) */
	size_t sq_len, cq_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	unsigned *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
};

/* Opens the ring; NULL (queues by ioctl) when io_uring is not there. */
struct qring *
qring_open(void)
{
	struct io_uring_params pr;
	struct qring *q;
	char *sq, *cq;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	memset(&pr, 0, sizeof(pr));
	q->fd = (int)syscall(__NR_io_uring_setup, QRING_ENTRIES, &pr);
	if (q->fd == -1) {
		free(q);
		return NULL;
	}
	q->sq_len = pr.sq_off.array + pr.sq_entries * sizeof(unsigned);
	q->cq_len = pr.cq_off.cqes + pr.cq_entries * sizeof(struct io_uring_cqe);
	if (pr.features & IORING_FEAT_SINGLE_MMAP) {
		if (q->cq_len > q->sq_len)
			q->sq_len = q->cq_len;
		q->cq_len = 0;
	}
	q->sqes_len = pr.sq_entries * sizeof(struct io_uring_sqe);
	q->sq = mmap(NULL, q->sq_len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_POPULATE, q->fd, IORING_OFF_SQ_RING);
	q->cq = q->cq_len == 0 ? q->sq : mmap(NULL, q->cq_len,
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, q->fd,
	    IORING_OFF_CQ_RING);
	q->sqes = mmap(NULL, q->sqes_len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_POPULATE, q->fd, IORING_OFF_SQES);
	if (q->sq == MAP_FAILED || q->cq == MAP_FAILED || q->sqes == MAP_FAILED) {
		qring_close(q);
		return NULL;
	}
	sq = q->sq;
	cq = q->cq;
	q->sq_tail = (unsigned *)(sq + pr.sq_off.tail);
	q->sq_mask = (unsigned *)(sq + pr.sq_off.ring_mask);
	q->sq_array = (unsigned *)(sq + pr.sq_off.array);
	q->cq_head = (unsigned *)(cq + pr.cq_off.head);
	q->cq_tail = (unsigned *)(cq + pr.cq_off.tail);
	q->cq_mask = (unsigned *)(cq + pr.cq_off.ring_mask);
	q->cqes = (struct io_uring_cqe *)(cq + pr.cq_off.cqes);
	return q;
}

/* Whether the ring reads the queues (not refused, not broken). */
int
qring_on(const struct qring *q)
{
	return q != NULL && !q->off;
}

/* Closes the ring; NULL is a no-op. */
void
qring_close(struct qring *q)
{
	if (q == NULL)
		return;
	if (q->sqes != NULL && q->sqes != MAP_FAILED)
		munmap(q->sqes, q->sqes_len);
	if (q->cq != NULL && q->cq != MAP_FAILED && q->cq != q->sq)
		munmap(q->cq, q->cq_len);
	if (q->sq != NULL && q->sq != MAP_FAILED)
		munmap(q->sq, q->sq_len);
	close(q->fd);
	free(q);
}

/* Reads the 2n queue lengths through the ring into res[] (-errno for a
 * command that failed); 0, or -1 when the ring could not be used. */
static int
qring_read(struct qring *q, const int *fds, size_t n, int *res)
{
	unsigned tail = *q->sq_tail, head, idx;
	size_t i, got = 0;
	struct io_uring_cqe *c;
	struct io_uring_sqe *e;
	int rc;

	for (i = 0; i < 2 * n; i++) {
		idx = (tail + (unsigned)i) & *q->sq_mask;
		e = &q->sqes[idx];
		memset(e, 0, sizeof(*e));
		e->opcode = IORING_OP_URING_CMD;
		e->fd = fds[i / 2];
		e->cmd_op = i % 2 ? URING_SIOCOUTQ : URING_SIOCINQ;
		e->user_data = i;
		q->sq_array[idx] = idx;
		res[i] = -ECANCELED;
	}
	__atomic_store_n(q->sq_tail, tail + (unsigned)(2 * n), __ATOMIC_RELEASE);
	do
		rc = (int)syscall(__NR_io_uring_enter, q->fd, (unsigned)(2 * n),
		    (unsigned)(2 * n), IORING_ENTER_GETEVENTS, NULL, 0);
	while (rc == -1 && errno == EINTR);
	if (rc != (int)(2 * n))
		return -1;			/* not all taken: a broken ring */
	head = *q->cq_head;
	while (got < 2 * n) {
		if (head == __atomic_load_n(q->cq_tail, __ATOMIC_ACQUIRE)) {
			/* Every command completes inline; should one not,
			 * wait for it, the ones read given back first. */
			__atomic_store_n(q->cq_head, head, __ATOMIC_RELEASE);
			if (syscall(__NR_io_uring_enter, q->fd, 0, 1,
			    IORING_ENTER_GETEVENTS, NULL, 0) == -1 &&
			    errno != EINTR)
				return -1;
			continue;
		}
		c = &q->cqes[head & *q->cq_mask];
		if (c->user_data < 2 * n)
			res[c->user_data] = c->res;
		head++;
		got++;
	}
	__atomic_store_n(q->cq_head, head, __ATOMIC_RELEASE);
	return 0;
}

/* Reads the queues of n open, non-listening sockets into s[]; see
 * probe.h. */
void
probe_queues(struct qring *q, const int *fds, struct tcp_snap *const *s,
    size_t n)
{
	int res[2 * PROBE_QUEUES_MAX];
	size_t i;

	for (; n > PROBE_QUEUES_MAX; n -= PROBE_QUEUES_MAX) {
		probe_queues(q, fds, s, PROBE_QUEUES_MAX);
		fds += PROBE_QUEUES_MAX;
		s += PROBE_QUEUES_MAX;
	}
	for (i = 0; i < 2 * n; i++)
		res[i] = -ENOSYS;		/* not read: by ioctl */
	if (q != NULL && !q->off && n > 0) {
		if (qring_read(q, fds, n, res) == -1)
			q->off = 1;	/* entries may be left in it: never again */
		for (i = 0; i < 2 * n && !q->off; i++)
			if (res[i] == -EOPNOTSUPP || res[i] == -EINVAL ||
			    res[i] == -ECANCELED)
				q->off = 1;	/* no socket commands here */
		for (i = 0; q->off && i < 2 * n; i++)
			res[i] = -ENOSYS;	/* all again, by ioctl */
	}
	/* A command refused for this socket alone (a security module may
	 * judge it apart from the ioctl) is read by the ioctl too. */
	for (i = 0; i < 2 * n; i++)
		if (res[i] >= 0)
			queue_set(s[i / 2], (int)(i % 2), res[i]);
		else
			queue_by_ioctl(fds[i / 2], (int)(i % 2), s[i / 2]);
}

/* Binds a socket of family on its loopback address, port 0; the fd, or -1
 * with errno (EADDRNOTAVAIL or EAFNOSUPPORT: no such loopback). */
static int
loopback_socket(int family, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	int fd, saved;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)family;
	if (family == AF_INET)
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		sin6->sin6_addr = in6addr_loopback;
	*len = family == AF_INET ? sizeof(*sin) : sizeof(*sin6);
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)ss, *len) == 0 &&
	    getsockname(fd, (struct sockaddr *)ss, len) == 0)
		return fd;
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* Connects *cfd to a new listener *lfd on family's loopback; local and
 * peer get the client's 4-tuple. 0, or -1 with errno. */
static int
selftest_pair(int family, int *lfd, int *cfd, struct sockaddr_storage *local,
    struct sockaddr_storage *peer)
{
	struct pollfd pfd = { .events = POLLOUT };
	socklen_t len, llen = sizeof(*local);
	int err = 0;

	*cfd = -1;
	if ((*lfd = loopback_socket(family, peer, &len)) == -1 ||
	    listen(*lfd, 1) == -1)
		return -1;
	if ((*cfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	if (connect(*cfd, (struct sockaddr *)peer, len) == -1 &&
	    errno != EINPROGRESS)
		return -1;
	pfd.fd = *cfd;
	if (poll(&pfd, 1, PROBE_TIMEOUT_MS) != 1) {
		errno = ETIMEDOUT;
		return -1;
	}
	len = sizeof(err);
	if (getsockopt(*cfd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return -1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return getsockname(*cfd, (struct sockaddr *)local, &llen);
}

/* Closes the self-test's sockets, the client with an RST, so that
 * nothing of it is left behind (no TIME_WAIT, no orphan). */
static void
selftest_close(int lfd, int cfd)
{
	struct linger l = { 1, 0 };

	if (cfd != -1) {
		setsockopt(cfd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		close(cfd);
	}
	if (lfd != -1)
		close(lfd);
}

/* Checks that sock_diag finds a connection by its 4-tuple; see probe.h. */
int
probe_selftest(struct probe *p, int family, int protocol, char *why,
    size_t len)
{
	const char *fam = family == AF_INET ? "IPv4" : "IPv6";
	struct sockaddr_storage local, peer;
	struct end_obs o;
	int lfd, cfd, rc;

	if (selftest_pair(family, &lfd, &cfd, &local, &peer) == -1) {
		snprintf(why, len, "%s: cannot connect a pair on loopback: %s",
		    fam, strerror(errno));
		selftest_close(lfd, cfd);
		return 1;		/* nothing to look up: not checked */
	}
	rc = diag_lookup(p, (struct sockaddr *)&local, (struct sockaddr *)&peer,
	    protocol, &o);
	selftest_close(lfd, cfd);
	if (rc == 1 && o.state == STATE_ESTABLISHED) {
		snprintf(why, len, "%s: found", fam);
		return 0;
	}
	if (rc == 1)
		snprintf(why, len, "%s: sock_diag finds a connected pair in "
		    "state %s", fam, state_name(o.state));
	else if (rc == 0)
		snprintf(why, len, "%s: sock_diag answers ENOENT for a connected "
		    "pair on loopback (no handler for protocol %d)", fam,
		    protocol);
	else
		snprintf(why, len, "%s: sock_diag lookup: %s", fam,
		    strerror(errno));
	return -1;
}

/* The path of an executable modprobe, in $PATH or /usr/sbin, /sbin; 0
 * found, -1 none. */
static int
modprobe_path(char *path, size_t len)
{
	const char *env = getenv("PATH");
	char dirs[1024], *dir, *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin", env != NULL ? env : "");
	for (dir = strtok_r(dirs, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, len, "%s/modprobe", dir);
		if (dir[0] == '/' && access(path, X_OK) == 0)
			return 0;
	}
	return -1;
}

/* Runs "modprobe module" (its output to stderr) and waits for it; 0 when
 * it exits 0, else -1 with what happened in why. */
static int
modprobe(const char *module, char *why, size_t len)
{
	char path[1100];
	pid_t pid, w;
	int st;

	if (modprobe_path(path, sizeof(path)) == -1) {
		snprintf(why, len, "no modprobe to load %s", module);
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execl(path, "modprobe", module, (char *)NULL);
		_exit(127);
	}
	log_debug("running %s %s", path, module);
	while ((w = waitpid(pid, &st, 0)) == -1 && errno == EINTR)
		;
	if (w == -1)
		snprintf(why, len, "modprobe %s: waitpid: %s", module,
		    strerror(errno));
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	else
		snprintf(why, len, "modprobe %s failed (%s %d)", module,
		    WIFEXITED(st) ? "exit" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return -1;
}

/* Checks family af as probe_selftest does; when that fails, loads module
 * (once: *tried) and checks again. Returns as probe_selftest. */
static int
ready_family(struct probe *p, int af, int protocol, const char *module,
    int *tried, char *why, size_t len)
{
	char note[256];
	size_t n;
	int rc = probe_selftest(p, af, protocol, why, len);

	if (rc != -1 || module == NULL || *tried)
		return rc;
	*tried = 1;
	if (modprobe(module, note, sizeof(note)) == 0) {
		log_info("sock_diag check failed, %s loaded: %s", module, why);
		if ((rc = probe_selftest(p, af, protocol, why, len)) != -1)
			return rc;
		snprintf(note, sizeof(note), "modprobe %s ran, to no avail",
		    module);
	}
	n = strnlen(why, len);
	snprintf(why + n, len - n, "; %s", note);
	return -1;
}

/* Checks sock_diag in each family of families; see probe.h. */
int
probe_ready(unsigned families, int protocol, const char *module, char *why,
    size_t len)
{
	static const int af[FAM__COUNT] = { [FAM_IPV4] = AF_INET,
	    [FAM_IPV6] = AF_INET6 };
	struct probe *p;
	char res[512];
	int f, rc = 0, tried = 0;

	if ((p = probe_open()) == NULL) {
		snprintf(why, len, "cannot open a NETLINK_SOCK_DIAG socket: %s",
		    strerror(errno));
		return -1;
	}
	for (f = 0; f < FAM__COUNT && rc != -1; f++) {
		if (!(families & (1u << f)))
			continue;
		rc = ready_family(p, af[f], protocol, module, &tried, res,
		    sizeof(res));
		if (rc == 1)
			log_info("sock_diag not checked: %s", res);
	}
	probe_close(p);
	if (rc != -1)
		return 0;
	snprintf(why, len, "cannot observe closed ends: %s; load the %s module "
	    "and start again", res, module != NULL ? module : "sock_diag");
	return -1;
}

/* probe_ready for TCP, loading tcp_diag if need be; 0, or -1 logged. */
int
probe_ready_tcp(unsigned families)
{
	char why[1024];

	if (probe_ready(families, IPPROTO_TCP, "tcp_diag", why, sizeof(why)) == 0)
		return 0;
	log_warnx("%s", why);
	return -1;
}
