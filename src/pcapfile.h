/* pcapfile.h: a case's stored segments written back as a pcapng file that
 * tcpdump, tshark and Wireshark read: raw IPv4/IPv6 + TCP packets, their
 * headers as captured (segments.headers) or, where those were not kept,
 * rebuilt with the case's addresses from the relative numbers the store
 * keeps; each commented with what the relay did with it, if anything. */
#ifndef TEARDOWND_PCAPFILE_H
#define TEARDOWND_PCAPFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "scenario.h"

/* The initial sequence numbers given to the ends in rebuilt packets:
 * relative numbers (Wireshark's default view) are then exactly the stored
 * ones, as they are with the captured headers' real numbers. */
#define PCAPFILE_ISN_CLIENT	1000000000u
#define PCAPFILE_ISN_SERVER	2000000000u

/* Parses an address as the store keeps it, "127.0.0.1:40000" or
 * "[::1]:40000", into ss. 0, or -1 when it is not one. */
int pcapfile_parse_addr(const char *text, struct sockaddr_storage *ss);

enum pcapfile_format {
	PCAPFILE_PCAPNG,		/* with the relay's packet comments */
	PCAPFILE_PCAP,			/* classic, by libpcap's pcap_dump */
};

/* Writes a pcapng or pcap file (LINKTYPE_RAW, microsecond times) of n
 * segments exchanged between client and server (one family), the case
 * having started at start_us (wall clock); a segment's headers are hdrs'
 * (hdr_off, hdr_len) when it has them (hdrs NULL: none has); payloads are
 * zero bytes; in pcapng a segment the relay held, dropped, delayed, copied
 * or made has a packet comment saying so. 0, or -1 with errno when
 * writing failed. For PCAPFILE_PCAP fp must have a file descriptor. */
int pcapfile_write(FILE *fp, enum pcapfile_format format,
    const struct sockaddr *client, const struct sockaddr *server,
    int64_t start_us, const struct segment *seg, size_t n,
    const uint8_t *hdrs);

#endif
