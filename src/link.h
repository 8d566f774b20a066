/* link.h: the namespaces of the relay and veth links: one for the client
 * ends, one for the server ends. On the relay link each has a TUN device
 * ("td0") whose packets teardownd forwards (src/relay.c); on veth the two
 * are joined by a veth pair ("td0" in each), the wire seen by libpcap on
 * the client's. Addresses come from the documentation ranges, a pair per
 * link: link k has 192.0.2.(2k+1) and 2001:db8::(2k+1) for the clients,
 * 192.0.2.(2k+2) and 2001:db8::(2k+2) for the servers, so no two links
 * share a 4-tuple (the transitions match by it). A loopback link (lo
 * under a sysctl profile) has one namespace for both ends, its lo with
 * 127.0.1.(k+1) and 2001:db8:ff::(k+1), the wire seen by libpcap there.
 *
 * Making a namespace, and entering one, takes CAP_SYS_ADMIN, which
 * teardownd gives up once isolated (run_isolate). So both namespaces are
 * made at start-up, each by a thread of its own that stays in it for good
 * (a thread's namespace is its own) and then gives up CAP_SYS_ADMIN too:
 * a socket of a namespace is made by its thread, on request. They live as
 * long as teardownd (its fds hold them; nothing outlives the process). */
#ifndef TEARDOWND_LINK_H
#define TEARDOWND_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

#define LINK_MAX	63		/* links a process makes, at most: each
					 * kind, mtu and set of sysctls (a
					 * scenario's, a profile's) takes one */

struct link;
struct pcap;
struct probe;
struct sockaddr_storage;
struct sysctl_value;

/* Makes both namespaces of a link of kind (LINK_RELAY, LINK_VETH; the
 * one of LINK_LO), number
 * index (0 .. LINK_MAX - 1), from the calling thread's one, with lo and
 * the TUN device or the veth end (MTU mtu; 0: 1500) up and addressed
 * (IPv6 without duplicate address detection), on veth libpcap open on
 * the client's end unless capture is 0, copy's sysctls written there (those with a file of
 * their own there),
 * net.ipv4.tcp_no_metrics_save = 1, then the nover sysctls of over, each
 * in its side's namespace. NULL with a one-line reason in why when it
 * cannot (no /dev/net/tun, no permission, no namespaces, a sysctl that is
 * not per-namespace or refuses its value). */
struct link *link_open(enum link_kind kind, int index, int mtu, int capture,
    const struct sysctl_value *copy, size_t n,
    const struct sc_sysctl *over, int nover, char *why, size_t len);
/* A non-blocking TCP socket of family af in side's namespace
 * (SIDE_CLIENT or SIDE_SERVER), or -1 with errno. */
int link_socket(struct link *l, enum side side, int af);
/* Side's TUN device (relay), non-blocking: packets its namespace sends to
 * the other side are read here, and packets written here arrive there. */
int link_tun(const struct link *l, enum side side);
/* libpcap on the client's end of a veth link, or on a loopback link's lo
 * (the link's: not to close),
 * or NULL with why it could not be opened in why. */
struct pcap *link_pcap(const struct link *l, const char **why);
/* LINK_RELAY, LINK_VETH or LINK_LO. */
enum link_kind link_kind(const struct link *l);
/* Side's address of family af, port 0, into ss; its length. */
socklen_t link_addr(const struct link *l, enum side side, int af,
    struct sockaddr_storage *ss);
/* A sock_diag probe of side's namespace (made by its thread). */
struct probe *link_probe(const struct link *l, enum side side);
/* The cookie (SO_NETNS_COOKIE) of side's namespace; 0 if unknown. */
uint64_t link_cookie(const struct link *l, enum side side);
/* Stops both threads and closes everything: the namespaces go with
 * their last fd. NULL is a no-op. */
void link_close(struct link *l);

#endif
