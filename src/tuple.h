/* tuple.h: a TCP connection's two ends, as the capture (frames) and the
 * transitions (tracepoint records) match what they see to a case. */
#ifndef TEARDOWND_TUPLE_H
#define TEARDOWND_TUPLE_H

#include <stdint.h>

#include "scenario.h"

struct sockaddr;

struct tuple {
	int af;					/* AF_INET or AF_INET6 */
	uint8_t addr[2][16];			/* [SIDE_CLIENT], [SIDE_SERVER]; IPv4 in the first 4 */
	uint16_t port[2];			/* host order */
};

/* Fills t from the client's and the server's addresses. 0, or -1 with
 * EAFNOSUPPORT when they are not both IPv4 or both IPv6. */
int tuple_set(struct tuple *t, const struct sockaddr *client,
    const struct sockaddr *server);
/* Whether src:sport -> dst:dport (family af, addresses as in struct
 * tuple, ports in host order) goes from one end of t to the other: 1 with
 * *from set to the end it leaves, else 0. */
int tuple_match(const struct tuple *t, int af, const uint8_t *src,
    uint16_t sport, const uint8_t *dst, uint16_t dport, enum side *from);

#endif
