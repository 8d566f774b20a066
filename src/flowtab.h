/* flowtab.h: connections by their 4-tuple, so that what is seen of a
 * connection (a captured frame, a traced state change) finds its case at
 * once: a hash by the two ports, and each case's connections on a list of
 * its own. Flows are the caller's: it embeds struct flow_link first in
 * its own flow, allocates and frees it. */
#ifndef TEARDOWND_FLOWTAB_H
#define TEARDOWND_FLOWTAB_H

#include <stddef.h>
#include <stdint.h>

#include "tuple.h"

/* The table's part of a flow. */
struct flow_link {
	struct tuple t;				/* the connection */
	struct flow_link *hnext;		/* the next in its hash bucket */
	struct flow_link *onext;		/* its case's next connection */
};

struct flowtab {
	struct flow_link **bucket;		/* by the two ports */
	size_t nbucket;				/* a power of two, or 0 */
	size_t n;				/* flows in the table */
};

/* The flow of connection client -> server on the list *owner: the one
 * there (*fresh 0), or a new one of size bytes (at least a flow_link;
 * zeroed but for its tuple) added to the table and the list (*fresh 1).
 * NULL on a bad address or without memory. */
struct flow_link *flowtab_register(struct flowtab *ft,
    const struct sockaddr *client, const struct sockaddr *server,
    struct flow_link **owner, size_t size, int *fresh);
/* Adds fl (its t set) to the table and to the front of the list *owner.
 * 0, or -1 when memory ran out (fl is then in neither). */
int flowtab_add(struct flowtab *ft, struct flow_link *fl,
    struct flow_link **owner);
/* The flow of a segment src:sport -> dst:dport of family af (addresses as
 * in struct tuple, ports in host order), with *from the end it leaves;
 * NULL when none. */
struct flow_link *flowtab_find(const struct flowtab *ft, int af,
    const uint8_t *src, uint16_t sport, const uint8_t *dst, uint16_t dport,
    enum side *from);
/* The flow of connection t on the list owner, or NULL. */
struct flow_link *flowtab_owned(struct flow_link *owner, const struct tuple *t);
/* Takes fl out of the table (not out of its owner's list). */
void flowtab_del(struct flowtab *ft, struct flow_link *fl);
/* Frees the table's buckets (not the flows). */
void flowtab_free(struct flowtab *ft);

#endif
