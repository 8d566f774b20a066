/* pcapfile.c: writes a case's segments as a classic pcap file, the format
 * written directly (a 24-byte file header, then a 16-byte header per
 * packet, in host byte order with the magic that says so). Packets are raw
 * IP (LINKTYPE_RAW): an IPv4 or IPv6 header with the true total length, a
 * 20-byte TCP header without options, and the payload as zero bytes; both
 * checksums are correct, so no tool flags them. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapfile.h"

#define PCAP_MAGIC_US	0xa1b2c3d4u	/* microsecond timestamps */
#define LINKTYPE_RAW	101		/* the file's link type for raw IP */
#define PCAP_SNAPLEN	65535
#define IP4_HLEN	20
#define IP6_HLEN	40
#define TCP_HLEN	20
#define MAX_PAYLOAD	(65535 - IP6_HLEN - TCP_HLEN)

/* The file's header, in host byte order. */
struct file_head {
	uint32_t magic;				/* PCAP_MAGIC_US */
	uint16_t major, minor;			/* 2.4 */
	int32_t thiszone;			/* 0: times are UTC */
	uint32_t sigfigs;			/* 0 */
	uint32_t snaplen;			/* longest packet kept */
	uint32_t linktype;			/* LINKTYPE_RAW */
};

/* A packet's header, in host byte order. */
struct rec_head {
	uint32_t sec, usec;			/* capture time */
	uint32_t caplen, len;			/* bytes in the file, on the wire */
};

/* Writes a big-endian 16-bit value. */
static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Writes a big-endian 32-bit value. */
static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* Adds bytes to a ones' complement sum (of big-endian 16-bit words). */
static uint32_t
sum_bytes(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

/* Folds a sum into the 16-bit Internet checksum. */
static uint16_t
sum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Parses "127.0.0.1:40000" or "[::1]:40000" into ss. */
int
pcapfile_parse_addr(const char *text, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2], *end;
	const char *colon = strrchr(text, ':');
	size_t n;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (colon == NULL || (n = (size_t)(colon - text)) >= sizeof(host))
		return -1;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || port < 0 ||
	    port > 65535)
		return -1;
	memcpy(host, text, n);
	host[n] = '\0';
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		host[n - 1] = '\0';
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &in6->sin6_addr) == 1 ? 0 : -1;
	}
	((struct sockaddr_in *)ss)->sin_family = AF_INET;
	((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host,
	    &((struct sockaddr_in *)ss)->sin_addr) == 1 ? 0 : -1;
}

/* An address's bytes and length, and its port. */
static const uint8_t *
addr_bytes(const struct sockaddr *sa, size_t *len, uint16_t *port)
{
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		*len = 16;
		*port = ntohs(in6->sin6_port);
		return (const uint8_t *)&in6->sin6_addr;
	}
	*len = 4;
	*port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
}

/* Writes the IP header of a packet from src to dst carrying plen bytes
 * (TCP header and payload); returns its length. */
static size_t
build_ip(uint8_t *p, const uint8_t *src, const uint8_t *dst, size_t alen,
    size_t plen, uint16_t id)
{
	if (alen == 16) {
		memset(p, 0, IP6_HLEN);
		p[0] = 0x60;
		put16(p + 4, (uint32_t)plen);
		p[6] = 6;			/* next header: TCP */
		p[7] = 64;			/* hop limit */
		memcpy(p + 8, src, 16);
		memcpy(p + 24, dst, 16);
		return IP6_HLEN;
	}
	memset(p, 0, IP4_HLEN);
	p[0] = 0x45;
	put16(p + 2, (uint32_t)(IP4_HLEN + plen));
	put16(p + 4, id);
	put16(p + 6, 0x4000);			/* don't fragment */
	p[8] = 64;				/* TTL */
	p[9] = 6;				/* TCP */
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	put16(p + 10, sum_fold(sum_bytes(0, p, IP4_HLEN)));
	return IP4_HLEN;
}

/* Writes the TCP header of g with absolute numbers; its checksum covers
 * the pseudo-header and len zero bytes of payload. */
static void
build_tcp(uint8_t *t, const struct segment *g, const uint8_t *src,
    const uint8_t *dst, size_t alen, const uint16_t *port, uint32_t len)
{
	static const uint32_t isn[2] = { PCAPFILE_ISN_CLIENT, PCAPFILE_ISN_SERVER };
	int from = g->from == SIDE_SERVER;
	uint8_t pseudo[4];
	uint32_t sum;

	memset(t, 0, TCP_HLEN);
	put16(t, port[from]);
	put16(t + 2, port[!from]);
	put32(t + 4, isn[from] + g->seq);
	put32(t + 8, g->flags & TCPF_ACK ? isn[!from] + g->ack : 0);
	t[12] = (TCP_HLEN / 4) << 4;
	t[13] = g->flags;
	put16(t + 14, g->win);
	sum = sum_bytes(0, src, alen);
	sum = sum_bytes(sum, dst, alen);
	put32(pseudo, TCP_HLEN + len);
	sum = sum_bytes(sum, pseudo, 4);
	sum += 6;				/* protocol */
	sum = sum_bytes(sum, t, TCP_HLEN);
	put16(t + 16, sum_fold(sum));
}

/* Writes n zero bytes. */
static int
write_zeros(FILE *fp, size_t n)
{
	static const uint8_t zero[4096];
	size_t k;

	for (; n > 0; n -= k) {
		k = n < sizeof(zero) ? n : sizeof(zero);
		if (fwrite(zero, 1, k, fp) != k)
			return -1;
	}
	return 0;
}

/* Writes one packet record: its header, the IP and TCP headers, the
 * payload's zeros. */
static int
write_packet(FILE *fp, const struct segment *g, const struct sockaddr *const *end,
    int64_t start_us, uint16_t id)
{
	uint8_t hdr[IP6_HLEN + TCP_HLEN];
	struct rec_head rec;
	const uint8_t *a[2];
	uint16_t port[2];
	size_t alen, hlen;
	uint32_t len = g->len > MAX_PAYLOAD ? MAX_PAYLOAD : g->len;
	int64_t t = start_us + g->t_us;
	int from = g->from == SIDE_SERVER;

	a[0] = addr_bytes(end[0], &alen, &port[0]);
	a[1] = addr_bytes(end[1], &alen, &port[1]);
	hlen = build_ip(hdr, a[from], a[!from], alen, TCP_HLEN + len, id);
	build_tcp(hdr + hlen, g, a[from], a[!from], alen, port, len);
	hlen += TCP_HLEN;
	rec.sec = (uint32_t)(t / 1000000);
	rec.usec = (uint32_t)(t % 1000000);
	rec.caplen = rec.len = (uint32_t)(hlen + len);
	if (fwrite(&rec, 1, sizeof(rec), fp) != sizeof(rec) ||
	    fwrite(hdr, 1, hlen, fp) != hlen || write_zeros(fp, len) == -1)
		return -1;
	return 0;
}

/* Writes the pcap file of n segments between client and server. */
int
pcapfile_write(FILE *fp, const struct sockaddr *client,
    const struct sockaddr *server, int64_t start_us,
    const struct segment *seg, size_t n)
{
	const struct sockaddr *end[2] = { client, server };
	struct file_head head = { .magic = PCAP_MAGIC_US, .major = 2,
	    .minor = 4, .snaplen = PCAP_SNAPLEN, .linktype = LINKTYPE_RAW };
	size_t i;

	if (client->sa_family != server->sa_family ||
	    (client->sa_family != AF_INET && client->sa_family != AF_INET6)) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (fwrite(&head, 1, sizeof(head), fp) != sizeof(head))
		return -1;
	for (i = 0; i < n; i++)
		if (write_packet(fp, &seg[i], end, start_us, (uint16_t)i) == -1)
			return -1;
	return fflush(fp) == EOF ? -1 : 0;
}
