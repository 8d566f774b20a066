/* craft.c: TCP segments the relay makes itself (craft.h). */
#include <netinet/in.h>
#include <sys/socket.h>

#include <string.h>

#include "craft.h"

#define IP4_HLEN	20
#define IP6_HLEN	40
#define TCP_HLEN	20
#define TTL		64

/* Stores v big-endian at p. */
static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Adds len bytes at p, as big-endian 16-bit words, to a running sum. */
static uint32_t
sum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* Folds a running sum into its one's complement. */
static uint16_t
sum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The TCP checksum over the pseudo-header (for a segment of total bytes)
 * and the n bytes at tcp. */
static uint16_t
craft_sum_len(int af, const uint8_t *src, const uint8_t *dst,
    const uint8_t *tcp, size_t n, size_t total)
{
	size_t alen = af == AF_INET ? 4 : 16;
	uint32_t sum = 0;

	sum = sum_add(sum, src, alen);
	sum = sum_add(sum, dst, alen);
	sum += IPPROTO_TCP;
	sum += (uint32_t)total;			/* < 65536: one word */
	return sum_fold(sum_add(sum, tcp, n));
}

/* The TCP checksum over the pseudo-header and the segment. */
uint16_t
craft_tcp_sum(int af, const uint8_t *src, const uint8_t *dst,
    const uint8_t *tcp, size_t len)
{
	return craft_sum_len(af, src, dst, tcp, len, len);
}

/* Writes the segment into buf; its length. */
size_t
craft_segment(const struct craft *c, uint8_t *buf)
{
	const uint8_t *src = c->t->addr[c->from], *dst = c->t->addr[!c->from];
	size_t ip = c->t->af == AF_INET ? IP4_HLEN : IP6_HLEN;
	uint32_t len = c->len > CRAFT_PAYLOAD ? CRAFT_PAYLOAD : c->len;
	uint8_t *t = buf + ip;

	memset(buf, 0, ip + TCP_HLEN);
	if (c->t->af == AF_INET) {
		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)(IP4_HLEN + TCP_HLEN + len));
		put16(buf + 4, c->id);
		buf[6] = 0x40;			/* don't fragment */
		buf[8] = TTL;
		buf[9] = IPPROTO_TCP;
		memcpy(buf + 12, src, 4);
		memcpy(buf + 16, dst, 4);
		put16(buf + 10, sum_fold(sum_add(0, buf, IP4_HLEN)));
	} else {
		buf[0] = 0x60;
		put16(buf + 4, (uint16_t)(TCP_HLEN + len));
		buf[6] = IPPROTO_TCP;
		buf[7] = TTL;
		memcpy(buf + 8, src, 16);
		memcpy(buf + 24, dst, 16);
	}
	put16(t, c->t->port[c->from]);
	put16(t + 2, c->t->port[!c->from]);
	put32(t + 4, c->seq);
	put32(t + 8, c->flags & TCPF_ACK ? c->ack : 0);
	t[12] = (TCP_HLEN / 4) << 4;
	t[13] = c->flags;
	put16(t + 14, c->win);
	/* The payload's zeros add nothing to the sum, only their length. */
	put16(t + 16, craft_sum_len(c->t->af, src, dst, t, TCP_HLEN,
	    TCP_HLEN + len));
	return ip + TCP_HLEN;
}

/* Checks headers as captured and sets their checksums for zero bytes of
 * payload. */
int
craft_fix_sums(uint8_t *ip, size_t n, uint32_t *payload)
{
	size_t tcp, hl;
	uint32_t total;
	int af;

	if (n < IP4_HLEN + TCP_HLEN)
		return -1;
	if ((ip[0] >> 4) == 4) {
		af = AF_INET;
		tcp = (size_t)(ip[0] & 0x0f) * 4;
		total = (uint32_t)(ip[2] << 8 | ip[3]);
		if (tcp < IP4_HLEN || ip[9] != IPPROTO_TCP)
			return -1;
	} else if ((ip[0] >> 4) == 6 && n >= IP6_HLEN + TCP_HLEN &&
	    ip[6] == IPPROTO_TCP) {
		af = AF_INET6;
		tcp = IP6_HLEN;
		total = IP6_HLEN + (uint32_t)(ip[4] << 8 | ip[5]);
	} else
		return -1;
	if (n < tcp + TCP_HLEN)
		return -1;
	hl = (size_t)(ip[tcp + 12] >> 4) * 4;
	if (hl < TCP_HLEN || tcp + hl != n || total < n)
		return -1;
	if (af == AF_INET) {
		put16(ip + 10, 0);
		put16(ip + 10, sum_fold(sum_add(0, ip, tcp)));
	}
	put16(ip + tcp + 16, 0);
	put16(ip + tcp + 16, craft_sum_len(af, ip + (af == AF_INET ? 12 : 8),
	    ip + (af == AF_INET ? 16 : 24), ip + tcp, hl, total - tcp));
	*payload = total - (uint32_t)n;
	return 0;
}
