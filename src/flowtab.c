/* flowtab.c: connections by their 4-tuple (flowtab.h): chained hashing on
 * the two ports, either way round, the table doubling as it fills. */
#include <stdlib.h>
#include <string.h>

#include "flowtab.h"

#define FLOWTAB_MIN	256		/* buckets of a new table */

/* The hash of a connection between ports a and b, either way round. */
static uint32_t
ports_hash(uint16_t a, uint16_t b)
{
	uint32_t lo = a < b ? a : b, hi = a < b ? b : a;

	return (lo * 65536u + hi) * 2654435761u;
}

/* The bucket of flow fl in a table of n buckets. */
static size_t
bucket_of(const struct flow_link *fl, size_t n)
{
	return ports_hash(fl->t.port[0], fl->t.port[1]) & (n - 1);
}

/* Doubles the buckets (from FLOWTAB_MIN). -1 when memory ran out. */
static int
flowtab_grow(struct flowtab *ft)
{
	size_t n = ft->nbucket ? ft->nbucket * 2 : FLOWTAB_MIN, i, k;
	struct flow_link **nb, *fl, *next;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return -1;
	for (i = 0; i < ft->nbucket; i++)
		for (fl = ft->bucket[i]; fl != NULL; fl = next) {
			next = fl->hnext;
			k = bucket_of(fl, n);
			fl->hnext = nb[k];
			nb[k] = fl;
		}
	free(ft->bucket);
	ft->bucket = nb;
	ft->nbucket = n;
	return 0;
}

/* Adds fl to the table and to its owner's list. */
int
flowtab_add(struct flowtab *ft, struct flow_link *fl, struct flow_link **owner)
{
	size_t k;

	if (ft->n >= ft->nbucket && flowtab_grow(ft) == -1)
		return -1;
	k = bucket_of(fl, ft->nbucket);
	fl->hnext = ft->bucket[k];
	ft->bucket[k] = fl;
	fl->onext = *owner;
	*owner = fl;
	ft->n++;
	return 0;
}

/* The flow of a connection on an owner's list, made if new. */
struct flow_link *
flowtab_register(struct flowtab *ft, const struct sockaddr *client,
    const struct sockaddr *server, struct flow_link **owner, size_t size,
    int *fresh)
{
	struct flow_link *fl;
	struct tuple t;

	*fresh = 0;
	if (tuple_set(&t, client, server) == -1)
		return NULL;
	if ((fl = flowtab_owned(*owner, &t)) != NULL)
		return fl;
	if ((fl = calloc(1, size)) == NULL)
		return NULL;
	fl->t = t;
	if (flowtab_add(ft, fl, owner) == -1) {
		free(fl);
		return NULL;
	}
	*fresh = 1;
	return fl;
}

/* The flow a segment belongs to, and the end it leaves. */
struct flow_link *
flowtab_find(const struct flowtab *ft, int af, const uint8_t *src,
    uint16_t sport, const uint8_t *dst, uint16_t dport, enum side *from)
{
	struct flow_link *fl;

	if (ft->nbucket == 0)
		return NULL;
	for (fl = ft->bucket[ports_hash(sport, dport) & (ft->nbucket - 1)];
	    fl != NULL; fl = fl->hnext)
		if (tuple_match(&fl->t, af, src, sport, dst, dport, from))
			return fl;
	return NULL;
}

/* The flow of connection t on an owner's list. */
struct flow_link *
flowtab_owned(struct flow_link *owner, const struct tuple *t)
{
	for (; owner != NULL; owner = owner->onext)
		if (memcmp(&owner->t, t, sizeof(*t)) == 0)
			return owner;
	return NULL;
}

/* Takes fl out of the table. */
void
flowtab_del(struct flowtab *ft, struct flow_link *fl)
{
	struct flow_link **pp;

	if (ft->nbucket == 0)
		return;
	for (pp = &ft->bucket[bucket_of(fl, ft->nbucket)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == fl) {
			*pp = fl->hnext;
			ft->n--;
			return;
		}
}

/* Frees the buckets. */
void
flowtab_free(struct flowtab *ft)
{
	free(ft->bucket);
	memset(ft, 0, sizeof(*ft));
}
