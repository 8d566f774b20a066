/* pcapfile.h: a case's stored segments written back as a pcapng file that
 * tcpdump, tshark and Wireshark read: raw IPv4/IPv6 + TCP packets with the
 * case's addresses, rebuilt from the relative numbers the store keeps,
 * each commented with what the relay did with it, if anything. */
#ifndef TEARDOWND_PCAPFILE_H
#define TEARDOWND_PCAPFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "scenario.h"

/* The initial sequence numbers given to the ends in the file: relative
 * numbers (Wireshark's default view) are then exactly the stored ones. */
#define PCAPFILE_ISN_CLIENT	1000000000u
#define PCAPFILE_ISN_SERVER	2000000000u

/* Parses an address as the store keeps it, "127.0.0.1:40000" or
 * "[::1]:40000", into ss. 0, or -1 when it is not one. */
int pcapfile_parse_addr(const char *text, struct sockaddr_storage *ss);

/* Writes a pcapng file (LINKTYPE_RAW, microsecond times) of n segments
 * exchanged between client and server (one family), the case having
 * started at start_us (wall clock); payloads are zero bytes; a segment the
 * relay held, dropped, delayed, copied or made has a packet comment
 * saying so. 0, or -1 with errno when writing failed. */
int pcapfile_write(FILE *fp, const struct sockaddr *client,
    const struct sockaddr *server, int64_t start_us,
    const struct segment *seg, size_t n);

#endif
