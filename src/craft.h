/* craft.h: TCP segments made from their fields, as the relay injects them
 * and `teardownctl pcap` writes them: an IPv4 or IPv6 header and a TCP
 * header without options, checksums computed for a payload of zero bytes
 * (none for the relay), ready to be written to a TUN device or a file. */
#ifndef TEARDOWND_CRAFT_H
#define TEARDOWND_CRAFT_H

#include <stddef.h>
#include <stdint.h>

#include "tuple.h"

#define CRAFT_MAX	60		/* the longest headers made: IPv6 + TCP */
#define CRAFT_PAYLOAD	(65535 - 60)	/* the longest payload counted */

/* A segment of connection t from the end from to the other. */
struct craft {
	const struct tuple *t;
	enum side from;
	uint8_t flags;				/* TCPF_* */
	uint32_t seq, ack;			/* absolute; ack sent as 0 without TCPF_ACK */
	uint16_t win;				/* the window field, as sent */
	uint16_t id;				/* IPv4 identification */
	uint32_t len;				/* zero bytes of payload after the headers */
};

/* Writes the segment's headers into buf (at least CRAFT_MAX bytes), its
 * lengths and checksums counting len zero bytes after them (at most
 * CRAFT_PAYLOAD); the headers' length. */
size_t craft_segment(const struct craft *c, uint8_t *buf);
/* The Internet checksum of the TCP segment at tcp (len bytes, its
 * checksum field included) with the pseudo-header of family af between
 * src and dst: 0 when the segment's checksum is right. */
uint16_t craft_tcp_sum(int af, const uint8_t *src, const uint8_t *dst,
    const uint8_t *tcp, size_t len);
/* Checks that the n bytes at ip are an IPv4 or IPv6 header (no extension
 * headers) and a TCP header with its options, nothing more, and sets their
 * checksums (IPv4's and TCP's) for the payload their lengths count, as
 * zero bytes, whose length goes to *payload. 0, or -1 when they are not. */
int craft_fix_sums(uint8_t *ip, size_t n, uint32_t *payload);

#endif
