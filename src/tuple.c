/* tuple.c: a TCP connection's two ends, for matching what is seen of it. */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tuple.h"

/* Copies a socket address into an address slot and a port. */
static int
addr_key(const struct sockaddr *sa, int *af, uint8_t *addr, uint16_t *port)
{
	memset(addr, 0, 16);
	*af = sa->sa_family;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		memcpy(addr, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		memcpy(addr, &in6->sin6_addr, 16);
		*port = ntohs(in6->sin6_port);
		return 0;
	}
	return -1;
}

/* Fills t from the client's and the server's addresses. */
int
tuple_set(struct tuple *t, const struct sockaddr *client,
    const struct sockaddr *server)
{
	int af2;

	memset(t, 0, sizeof(*t));
	if (addr_key(client, &t->af, t->addr[SIDE_CLIENT], &t->port[SIDE_CLIENT]) == -1 ||
	    addr_key(server, &af2, t->addr[SIDE_SERVER], &t->port[SIDE_SERVER]) == -1 ||
	    af2 != t->af) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	return 0;
}

/* Whether src:sport -> dst:dport goes from one end of t to the other. */
int
tuple_match(const struct tuple *t, int af, const uint8_t *src,
    uint16_t sport, const uint8_t *dst, uint16_t dport, enum side *from)
{
	size_t alen = af == AF_INET ? 4 : 16;
	int s;

	if (t->af != af)
		return 0;
	for (s = SIDE_CLIENT; s <= SIDE_SERVER; s++)
		if (sport == t->port[s] && dport == t->port[!s] &&
		    memcmp(src, t->addr[s], alen) == 0 &&
		    memcmp(dst, t->addr[!s], alen) == 0) {
			*from = (enum side)s;
			return 1;
		}
	return 0;
}
