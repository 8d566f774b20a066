/* link.c: the relay link's namespaces (link.h). Each side has a thread
 * that makes its namespace (unshare), sets it up (lo, sysctls, the TUN
 * device and its addresses through rtnetlink, a sock_diag probe), gives up
 * CAP_SYS_ADMIN, and then makes sockets there when asked: one request at
 * a time, under the side's mutex. */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "isolate.h"
#include "link.h"
#include "log.h"
#include "probe.h"
#include "sysctl.h"
#include "worker.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE	71		/* Linux 5.14 */
#endif

#define TUN_DEV		"/dev/net/tun"
#define TUN_NAME	"td0"
#define TUN_QLEN	32768		/* packets the device keeps for the relay:
					 * a burst of thousands of cases' SYNs fits
					 * (at 500 they were dropped) */
#define NL_BUF		4096

/* One side's namespace and the thread that lives in it. */
struct nside {
	enum link_kind kind;			/* LINK_RELAY or LINK_VETH */
	enum side side;				/* SIDE_CLIENT or SIDE_SERVER */
	struct nside *peer;			/* the other side */
	int index;				/* the link's number: its addresses */
	int mtu;				/* its TUN device's; 0: as made (1500) */
	pthread_t thread;
	int started;				/* thread is running */
	pthread_mutex_t mu;			/* guards the fields below */
	pthread_cond_t cv;			/* a request, an answer, ready or stop */
	int ready;				/* 0 setting up, 1 ready, -1 failed;
						 * 2: veth server, its namespace made */
	int go;					/* veth server: the pair is made */
	char why[256];				/* why set-up failed */
	int req_af;				/* a socket wanted, of this family; 0 none */
	int req_fd, req_err;			/* the answer */
	int stop;				/* the thread should end */
	int tun;				/* TUN_NAME, non-blocking (relay) */
	int nsfd;				/* veth, server: its namespace, for the peer */
	int rtnl;				/* veth, server: rtnetlink there (set-up) */
	struct pcap *pcap;			/* veth, client: libpcap on td0 */
	char pcap_why[160];			/* why not, when NULL */
	int capture;				/* veth: open pcap (not --no-capture) */
	struct probe *probe;			/* sock_diag in this namespace */
	uint64_t cookie;			/* SO_NETNS_COOKIE */
	const struct sysctl_value *copy;	/* to write there (set-up only) */
	size_t ncopy;
	const struct sc_sysctl *over;		/* then these, this side's (set-up only) */
	int nover;
};

struct link {
	struct nside s[2];			/* [SIDE_CLIENT], [SIDE_SERVER] */
};

/* Sends one rtnetlink request on fd and reads its acknowledgement. */
static int
rtnl_talk(int fd, struct nlmsghdr *nh)
{
	union { struct nlmsghdr h; char b[NL_BUF]; } rx;
	struct nlmsgerr *e;
	ssize_t n;

	nh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (send(fd, nh, nh->nlmsg_len, 0) == -1 ||
	    (n = recv(fd, &rx, sizeof(rx), 0)) == -1)
		return -1;
	if (!NLMSG_OK(&rx.h, (size_t)n) || rx.h.nlmsg_type != NLMSG_ERROR) {
		errno = EPROTO;
		return -1;
	}
	e = NLMSG_DATA(&rx.h);
	if (e->error == 0)
		return 0;
	errno = -e->error;
	return -1;
}

/* Appends attribute type of len bytes to the message in msg, a buffer of
 * cap bytes; it must fit. */
static void
rta_put(char *msg, size_t cap, int type, const void *data, size_t len)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)msg;
	size_t off = NLMSG_ALIGN(nh->nlmsg_len);
	struct rtattr a = { .rta_len = (unsigned short)RTA_LENGTH(len),
	    .rta_type = (unsigned short)type };

	if (off + RTA_SPACE(len) > cap)
		return;				/* cannot happen: sized below */
	memcpy(msg + off, &a, sizeof(a));
	if (len > 0)
		memcpy(msg + off + RTA_LENGTH(0), data, len);
	nh->nlmsg_len = (uint32_t)(off + RTA_ALIGN(a.rta_len));
}

/* Sets interface ifindex up, with a transmit queue of txqlen packets and
 * an MTU of mtu bytes (0: as they are). */
static int
rtnl_up(int fd, int ifindex, uint32_t txqlen, uint32_t mtu)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[32];
	} q;

	memset(&q, 0, sizeof(q));
	q.nh.nlmsg_len = NLMSG_LENGTH(sizeof(q.ifi));
	q.nh.nlmsg_type = RTM_NEWLINK;
	q.ifi.ifi_family = AF_UNSPEC;
	q.ifi.ifi_index = ifindex;
	q.ifi.ifi_flags = IFF_UP;
	q.ifi.ifi_change = IFF_UP;
	if (txqlen > 0)
		rta_put((char *)&q, sizeof(q), IFLA_TXQLEN, &txqlen, sizeof(txqlen));
	if (mtu > 0)
		rta_put((char *)&q, sizeof(q), IFLA_MTU, &mtu, sizeof(mtu));
	return rtnl_talk(fd, &q.nh);
}

/* Gives interface ifindex the noqueue qdisc: a packet an end sends goes
 * to the TUN device in the sending call, never queued for a later
 * softirq (pfifo_fast does that when another CPU runs the queue). */
static int
rtnl_noqueue(int fd, int ifindex)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
		char attrs[32];
	} q;

	memset(&q, 0, sizeof(q));
	q.nh.nlmsg_len = NLMSG_LENGTH(sizeof(q.tc));
	q.nh.nlmsg_type = RTM_NEWQDISC;
	q.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	q.tc.tcm_family = AF_UNSPEC;
	q.tc.tcm_ifindex = ifindex;
	q.tc.tcm_parent = TC_H_ROOT;
	rta_put((char *)&q, sizeof(q), TCA_KIND, "noqueue", sizeof("noqueue"));
	return rtnl_talk(fd, &q.nh);
}

/* Gives interface ifindex address addr/prefix of family af, without
 * duplicate address detection (IPv6). */
static int
rtnl_addr(int fd, int ifindex, int af, const void *addr, int prefix)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		char attrs[128];
	} q;
	size_t alen = af == AF_INET ? 4 : 16;
	uint32_t flags = IFA_F_NODAD;

	memset(&q, 0, sizeof(q));
	q.nh.nlmsg_len = NLMSG_LENGTH(sizeof(q.ifa));
	q.nh.nlmsg_type = RTM_NEWADDR;
	q.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	q.ifa.ifa_family = (unsigned char)af;
	q.ifa.ifa_prefixlen = (unsigned char)prefix;
	q.ifa.ifa_index = (unsigned)ifindex;
	rta_put((char *)&q, sizeof(q), IFA_LOCAL, addr, alen);
	rta_put((char *)&q, sizeof(q), IFA_ADDRESS, addr, alen);
	rta_put((char *)&q, sizeof(q), IFA_FLAGS, &flags, sizeof(flags));
	return rtnl_talk(fd, &q.nh);
}

/* Side's address of family af on link number index into a (4 or 16
 * bytes): 192.0.2.(2 index + 1) for the clients, the next for the
 * servers; 2001:db8::(2 index + 1) and the next. */
static void
side_ip(int index, enum side side, int af, void *a)
{
	unsigned host = 2u * (unsigned)index + 1 + (side == SIDE_SERVER);
	uint8_t *b = a;

	memset(a, 0, af == AF_INET ? 4 : 16);
	if (side == SIDE_BOTH) {		/* a loopback link's: both ends */
		inet_pton(af, af == AF_INET ? "127.0.1.0" : "2001:db8:ff::", a);
		b[af == AF_INET ? 3 : 15] = (uint8_t)(index + 1);
		return;
	}
	if (af == AF_INET) {
		inet_pton(AF_INET, "192.0.2.0", a);
		b[3] = (uint8_t)host;
	} else {
		inet_pton(AF_INET6, "2001:db8::", a);
		b[15] = (uint8_t)host;
	}
}

/* Brings the link's device ifindex of side ns up, without a queue, and
 * addresses it, through rtnetlink socket fd (of the device's namespace);
 * *step names what failed. */
static int
dev_conf(int fd, const struct nside *ns, int ifindex, const char **step)
{
	unsigned char a4[4], a6[16];
	uint32_t q;

	side_ip(ns->index, ns->side, AF_INET, a4);
	side_ip(ns->index, ns->side, AF_INET6, a6);
	/* Some kernels refuse a long queue on a TUN device (Debian's
	 * 6.12.117: ERANGE): a shorter one, or the device's own, then. */
	for (q = TUN_QLEN; q >= 1024; q /= 4) {
		if (rtnl_up(fd, ifindex, q, 0) == 0)
			break;
		log_debug("%s: a queue of %u packets refused: %s", TUN_NAME, q,
		    strerror(errno));
		if (errno != ERANGE && errno != ENOMEM)
			break;
	}
	if (q >= 1024 && q < TUN_QLEN)
		log_debug("%s: a queue of %u packets", TUN_NAME, q);
	*step = "up";
	if (rtnl_up(fd, ifindex, 0, (uint32_t)ns->mtu) == -1)
		return -1;
	*step = "qdisc noqueue";
	if (rtnl_noqueue(fd, ifindex) == -1)
		return -1;
	*step = "IPv4 address";
	if (rtnl_addr(fd, ifindex, AF_INET, a4, 24) == -1)
		return -1;
	*step = "IPv6 address";
	return rtnl_addr(fd, ifindex, AF_INET6, a6, 64);
}

/* Brings lo up (on a loopback link, with the link's addresses), and the
 * TUN device (ifindex > 0): up and addressed. */
static int
ns_net(struct nside *ns, int ifindex, char *why, size_t len)
{
	int fd, rc, lo = (int)if_nametoindex("lo");
	unsigned char a4[4], a6[16];
	const char *step = "up";

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) == -1) {
		snprintf(why, len, "rtnetlink: %s", strerror(errno));
		return -1;
	}
	rc = rtnl_up(fd, lo, 0, 0);
	if (rc == 0 && ns->kind == LINK_LO) {
		side_ip(ns->index, SIDE_BOTH, AF_INET, a4);
		side_ip(ns->index, SIDE_BOTH, AF_INET6, a6);
		rc = rtnl_addr(fd, lo, AF_INET, a4, 32);
		rc = rc == -1 ? -1 : rtnl_addr(fd, lo, AF_INET6, a6, 128);
	}
	rc = rc == -1 || ifindex <= 0 ? rc : dev_conf(fd, ns, ifindex, &step);
	if (rc == -1)
		snprintf(why, len, "cannot set %s up (%s): %s", ifindex > 0 ?
		    TUN_NAME : "lo", step, strerror(errno));
	close(fd);
	return rc;
}

/* The start of a nested attribute of type at the end of msg: its offset. */
static size_t
rta_nest(char *msg, size_t cap, int type)
{
	size_t off = NLMSG_ALIGN(((struct nlmsghdr *)msg)->nlmsg_len);

	rta_put(msg, cap, type, NULL, 0);
	return off;
}

/* Ends the nested attribute begun at off: its length covers what follows. */
static void
rta_nest_end(char *msg, size_t off)
{
	struct rtattr *a = (struct rtattr *)(msg + off);

	a->rta_len = (unsigned short)(((struct nlmsghdr *)msg)->nlmsg_len - off);
}

/* Makes the veth pair: TUN_NAME here, its peer TUN_NAME in the namespace
 * of nsfd. */
static int
rtnl_veth(int fd, int nsfd)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[256];
	} q;
	struct ifinfomsg peer;
	size_t info, data, pe;
	char *m = (char *)&q;

	memset(&q, 0, sizeof(q));
	memset(&peer, 0, sizeof(peer));
	q.nh.nlmsg_len = NLMSG_LENGTH(sizeof(q.ifi));
	q.nh.nlmsg_type = RTM_NEWLINK;
	q.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	q.ifi.ifi_family = AF_UNSPEC;
	rta_put(m, sizeof(q), IFLA_IFNAME, TUN_NAME, sizeof(TUN_NAME));
	info = rta_nest(m, sizeof(q), IFLA_LINKINFO);
	rta_put(m, sizeof(q), IFLA_INFO_KIND, "veth", sizeof("veth"));
	data = rta_nest(m, sizeof(q), IFLA_INFO_DATA);
	pe = rta_nest(m, sizeof(q), VETH_INFO_PEER);
	memcpy(m + q.nh.nlmsg_len, &peer, sizeof(peer));
	q.nh.nlmsg_len += NLMSG_ALIGN(sizeof(peer));
	rta_put(m, sizeof(q), IFLA_IFNAME, TUN_NAME, sizeof(TUN_NAME));
	rta_put(m, sizeof(q), IFLA_NET_NS_FD, &nsfd, sizeof(nsfd));
	rta_nest_end(m, pe);
	rta_nest_end(m, data);
	rta_nest_end(m, info);
	return rtnl_talk(fd, &q.nh);
}

/* The index of device name in the namespace of rtnetlink socket fd, or
 * -1 with errno. */
static int
rtnl_ifindex(int fd, const char *name)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[32];
	} q;
	union { struct nlmsghdr h; char b[NL_BUF]; } rx;
	ssize_t n;

	memset(&q, 0, sizeof(q));
	q.nh.nlmsg_len = NLMSG_LENGTH(sizeof(q.ifi));
	q.nh.nlmsg_type = RTM_GETLINK;
	q.nh.nlmsg_flags = NLM_F_REQUEST;
	q.ifi.ifi_family = AF_UNSPEC;
	rta_put((char *)&q, sizeof(q), IFLA_IFNAME, name, strlen(name) + 1);
	if (send(fd, &q, q.nh.nlmsg_len, 0) == -1 ||
	    (n = recv(fd, &rx, sizeof(rx), 0)) == -1)
		return -1;
	if (!NLMSG_OK(&rx.h, (size_t)n)) {
		errno = EPROTO;
		return -1;
	}
	if (rx.h.nlmsg_type == NLMSG_ERROR) {
		errno = -((struct nlmsgerr *)NLMSG_DATA(&rx.h))->error;
		return -1;
	}
	return ((struct ifinfomsg *)NLMSG_DATA(&rx.h))->ifi_index;
}

/* veth, the client's side (the server's is set up): makes the pair, the
 * peer in the server's namespace; brings both up and addresses them; opens
 * libpcap on the client's. */
static int
ns_veth(struct nside *ns, char *why, size_t len)
{
	struct nside *sv = ns->peer;
	const char *step = "veth pair";
	int fd, rc, ifc, ifs;

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) == -1) {
		snprintf(why, len, "rtnetlink: %s", strerror(errno));
		return -1;
	}
	rc = rtnl_veth(fd, sv->nsfd);
	rc = rc == -1 || (ifc = (int)if_nametoindex(TUN_NAME)) == 0 ? -1 :
	    dev_conf(fd, ns, ifc, &step);
	rc = rc == -1 || (ifs = rtnl_ifindex(sv->rtnl, TUN_NAME)) == -1 ? -1 :
	    dev_conf(sv->rtnl, sv, ifs, &step);
	close(fd);
	if (rc == -1) {
		snprintf(why, len, "cannot make the veth pair (%s): %s", step,
		    strerror(errno));
		return -1;
	}
	if (ns->capture)			/* without it, not observed */
		ns->pcap = capture_pcap(TUN_NAME, "tcp", ns->pcap_why,
		    sizeof(ns->pcap_why));
	else
		snprintf(ns->pcap_why, sizeof(ns->pcap_why), "capture off");
	return 0;
}

/* veth, the server's side: its namespace and an rtnetlink socket there,
 * for the client's side to make and set up the peer. */
static int
ns_veth_server(struct nside *ns, char *why, size_t len)
{
	if ((ns->nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) == -1 ||
	    (ns->rtnl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) == -1) {
		snprintf(why, len, "the server's namespace: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Opens the TUN device in the thread's namespace; its ifindex, or -1. */
static int
ns_tun(struct nside *ns, char *why, size_t len)
{
	struct ifreq ifr;

	if ((ns->tun = open(TUN_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(why, len, "%s: %s%s", TUN_DEV, strerror(errno),
		    errno == EACCES ? " (the relay needs it readable and "
		    "writable: run as root, or give it mode 0666)" : "");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TUN_NAME);
	if (ioctl(ns->tun, TUNSETIFF, &ifr) == -1) {
		snprintf(why, len, "%s: TUNSETIFF: %s", TUN_DEV, strerror(errno));
		return -1;
	}
	if ((ifr.ifr_ifindex = (int)if_nametoindex(TUN_NAME)) == 0) {
		snprintf(why, len, "%s: no device %s: %s", TUN_DEV, TUN_NAME,
		    strerror(errno));
		return -1;
	}
	return ifr.ifr_ifindex;
}

/* Writes the sysctls of ns->copy that this namespace has a file of its
 * own for (a per-namespace one), and tcp_no_metrics_save = 1; then the
 * scenario's own for this side, which must be per-namespace. 0, or -1
 * with why. */
static int
ns_sysctls(struct nside *ns, char *why, size_t len)
{
	char path[256];
	size_t i;
	int k;

	for (i = 0; i < ns->ncopy; i++)
		if (ns->copy[i].value[0] != '\0' &&
		    strncmp(ns->copy[i].name, "net.", 4) == 0 &&
		    sysctl_path(ns->copy[i].name, path, sizeof(path)) == 0 &&
		    access(path, W_OK) == 0 &&
		    sysctl_write_path(path, ns->copy[i].value) == -1)
			log_debug("link namespace: %s: %s", ns->copy[i].name,
			    strerror(errno));
	if (sysctl_write_path("/proc/sys/net/ipv4/tcp_no_metrics_save", "1") == -1)
		log_warn("link namespace: tcp_no_metrics_save");
	for (k = 0; k < ns->nover; k++) {
		const struct sc_sysctl *y = &ns->over[k];

		if (y->side != ns->side && ns->kind != LINK_LO)
			continue;
		if (sysctl_path(y->name, path, sizeof(path)) == -1 ||
		    access(path, W_OK) == -1) {
			snprintf(why, len, "%s is not a sysctl of a network "
			    "namespace here (%s)", y->name, strerror(errno));
			return -1;
		}
		if (sysctl_write_path(path, y->value) == -1) {
			snprintf(why, len, "cannot set %s to '%s' in the %s's "
			    "namespace: %s", y->name, y->value, side_name(ns->side),
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The namespace's cookie, from a socket made in it. */
static uint64_t
ns_cookie(void)
{
	socklen_t len = sizeof(uint64_t);
	uint64_t c = 0;
	int fd;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &c, &len) == -1)
		c = 0;
	close(fd);
	return c;
}

/* Makes the thread's namespace and its devices. 0, or -1 with why. */
static int
ns_setup_net(struct nside *ns, char *why, size_t len)
{
	int ifindex;

	if (unshare(CLONE_NEWNET) == -1) {
		snprintf(why, len, "cannot make a network namespace: %s",
		    strerror(errno));
		return -1;
	}
	if (ns->kind == LINK_RELAY) {
		if ((ifindex = ns_tun(ns, why, len)) == -1 ||
		    ns_net(ns, ifindex, why, len) == -1)
			return -1;
	} else if (ns->kind == LINK_LO) {
		if (ns_net(ns, 0, why, len) == -1)
			return -1;
		if (ns->capture)
			ns->pcap = capture_pcap("lo", "tcp", ns->pcap_why,
			    sizeof(ns->pcap_why));
		else
			snprintf(ns->pcap_why, sizeof(ns->pcap_why), "capture off");
	} else if (ns_net(ns, 0, why, len) == -1 ||
	    (ns->side == SIDE_SERVER ? ns_veth_server(ns, why, len) :
	    ns_veth(ns, why, len)) == -1)
		return -1;
	return 0;
}

/* Sets the rest of the thread's namespace up, once its devices exist
 * (both ends of a veth pair: a sysctl may name td0, and default.* ones
 * must not reach one end only). 0, or -1 with why. */
static int
ns_setup_rest(struct nside *ns, char *why, size_t len)
{
	if (ns->nsfd != -1) {			/* veth server: the pair is made */
		close(ns->nsfd);
		close(ns->rtnl);
		ns->nsfd = ns->rtnl = -1;
	}
	if (ns_sysctls(ns, why, len) == -1)
		return -1;
	if ((ns->probe = probe_open()) == NULL) {
		snprintf(why, len, "sock_diag: %s", strerror(errno));
		return -1;
	}
	ns->cookie = ns_cookie();
	isolate_drop_admin();
	return 0;
}

/* The side's thread: set up, then make sockets on request until stop. */
static void *
ns_main(void *arg)
{
	struct nside *ns = arg;
	char why[256] = "";
	int ok, fd;

	pthread_setname_np(pthread_self(), ns->side == SIDE_CLIENT ?
	    "td-ns-client" : "td-ns-server");
	ok = ns_setup_net(ns, why, sizeof(why)) == 0;

	if (ok && ns->kind == LINK_VETH && ns->side == SIDE_SERVER) {
		pthread_mutex_lock(&ns->mu);
		ns->ready = 2;			/* the client's thread makes the pair */
		pthread_cond_broadcast(&ns->cv);
		while (!ns->go && !ns->stop)
			pthread_cond_wait(&ns->cv, &ns->mu);
		ok = !ns->stop;
		pthread_mutex_unlock(&ns->mu);
	}
	ok = ok && ns_setup_rest(ns, why, sizeof(why)) == 0;
	pthread_mutex_lock(&ns->mu);
	ns->ready = ok ? 1 : -1;
	snprintf(ns->why, sizeof(ns->why), "%s", why);
	pthread_cond_broadcast(&ns->cv);
	while (ok && !ns->stop) {
		if (ns->req_af == 0) {
			pthread_cond_wait(&ns->cv, &ns->mu);
			continue;
		}
		fd = socket(ns->req_af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		ns->req_fd = fd;
		ns->req_err = fd == -1 ? errno : 0;
		ns->req_af = 0;
		pthread_cond_broadcast(&ns->cv);
	}
	pthread_mutex_unlock(&ns->mu);
	return NULL;
}

/* Waits for side's thread to be set up (or, a veth server, to have made
 * its namespace). 0, or -1 with why. */
static int
ns_wait(struct nside *ns, char *why, size_t len)
{
	pthread_mutex_lock(&ns->mu);
	while (ns->ready == 0)
		pthread_cond_wait(&ns->cv, &ns->mu);
	pthread_mutex_unlock(&ns->mu);
	if (ns->ready > 0)
		return 0;
	snprintf(why, len, "%s", ns->why);
	return -1;
}

/* Starts side's thread and waits as ns_wait does. */
static int
ns_start(struct nside *ns, char *why, size_t len)
{
	if (thread_start(&ns->thread, ns_main, ns) == -1) {
		snprintf(why, len, "thread: %s", strerror(errno));
		return -1;
	}
	ns->started = 1;
	return ns_wait(ns, why, len);
}

/* Makes both namespaces. */
struct link *
link_open(enum link_kind kind, int index, int mtu, int capture,
    const struct sysctl_value *copy, size_t n, const struct sc_sysctl *over,
    int nover, char *why, size_t len)
{
	struct link *l;
	int k, order[2] = { SIDE_SERVER, SIDE_CLIENT };	/* veth: the peer first */

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	for (k = 0; k < 2; k++) {
		l->s[k].kind = kind;
		l->s[k].side = (enum side)k;
		l->s[k].peer = &l->s[!k];
		l->s[k].nsfd = l->s[k].rtnl = -1;
		l->s[k].index = index;
		l->s[k].mtu = mtu;
		l->s[k].capture = capture;
		l->s[k].tun = -1;
		l->s[k].copy = copy;
		l->s[k].ncopy = n;
		l->s[k].over = over;
		l->s[k].nover = nover;
		pthread_mutex_init(&l->s[k].mu, NULL);
		pthread_cond_init(&l->s[k].cv, NULL);
	}
	for (k = kind == LINK_LO; k < 2; k++)	/* lo: the client's, for both */
		if (ns_start(&l->s[order[k]], why, len) == -1)
			goto fail;
	if (kind == LINK_VETH) {		/* the server's sysctls, after the pair */
		pthread_mutex_lock(&l->s[SIDE_SERVER].mu);
		l->s[SIDE_SERVER].go = 1;
		l->s[SIDE_SERVER].ready = 0;
		pthread_cond_broadcast(&l->s[SIDE_SERVER].cv);
		pthread_mutex_unlock(&l->s[SIDE_SERVER].mu);
		if (ns_wait(&l->s[SIDE_SERVER], why, len) == -1)
			goto fail;
	}
	return l;
fail:
	link_close(l);
	return NULL;
}

/* Side's namespace: a loopback link has one, the client's, for both. */
static struct nside *
nside_of(struct link *l, enum side side)
{
	return &l->s[l->s[0].kind == LINK_LO ? SIDE_CLIENT : side];
}

/* A socket made by side's thread, in its namespace. */
int
link_socket(struct link *l, enum side side, int af)
{
	struct nside *ns = nside_of(l, side);
	int fd;

	pthread_mutex_lock(&ns->mu);
	ns->req_af = af;
	pthread_cond_broadcast(&ns->cv);
	while (ns->req_af != 0)
		pthread_cond_wait(&ns->cv, &ns->mu);
	fd = ns->req_fd;
	errno = ns->req_err;
	pthread_mutex_unlock(&ns->mu);
	return fd;
}

/* Side's TUN device. */
int
link_tun(const struct link *l, enum side side)
{
	return l->s[side].tun;
}

/* libpcap on the client's end of a veth link. */
struct pcap *
link_pcap(const struct link *l, const char **why)
{
	*why = l->s[SIDE_CLIENT].pcap_why;
	return l->s[SIDE_CLIENT].pcap;
}

/* The link's kind. */
enum link_kind
link_kind(const struct link *l)
{
	return l->s[SIDE_CLIENT].kind;
}

/* Side's address of family af, port 0. */
socklen_t
link_addr(const struct link *l, enum side side, int af,
    struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)af;
	if (l->s[0].kind == LINK_LO)
		side = SIDE_BOTH;
	if (af == AF_INET) {
		side_ip(l->s[0].index, side, af, &((struct sockaddr_in *)ss)->sin_addr);
		return sizeof(struct sockaddr_in);
	}
	side_ip(l->s[0].index, side, af, &((struct sockaddr_in6 *)ss)->sin6_addr);
	return sizeof(struct sockaddr_in6);
}

/* A sock_diag probe of side's namespace. */
struct probe *
link_probe(const struct link *l, enum side side)
{
	return nside_of((struct link *)l, side)->probe;
}

/* The cookie of side's namespace. */
uint64_t
link_cookie(const struct link *l, enum side side)
{
	return nside_of((struct link *)l, side)->cookie;
}

/* Stops both threads and closes everything. */
void
link_close(struct link *l)
{
	int k;

	if (l == NULL)
		return;
	for (k = 0; k < 2; k++) {
		struct nside *ns = &l->s[k];

		if (ns->started) {
			pthread_mutex_lock(&ns->mu);
			ns->stop = 1;
			pthread_cond_broadcast(&ns->cv);
			pthread_mutex_unlock(&ns->mu);
			pthread_join(ns->thread, NULL);
		}
		if (ns->tun != -1)
			close(ns->tun);
		if (ns->nsfd != -1)
			close(ns->nsfd);
		if (ns->rtnl != -1)
			close(ns->rtnl);
		if (ns->pcap != NULL)
			capture_pcap_close(ns->pcap);
		probe_close(ns->probe);
		pthread_mutex_destroy(&ns->mu);
		pthread_cond_destroy(&ns->cv);
	}
	free(l);
}
