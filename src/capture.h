/* capture.h: the wire, seen with libpcap on the loopback device, or fed
 * by the relay for relay cases (capture_new, capture_feed_mark). The
 * runner opens one capture for a run (and each relay has its own); each
 * case registers its 4-tuple and gets its segments, with relative
 * sequence numbers, in its case_result. */
#ifndef TEARDOWND_CAPTURE_H
#define TEARDOWND_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

struct capture;
struct pcap;
struct event_base;
struct sockaddr;

/* One TCP segment as parsed from a frame, addresses in network order. */
struct frame {
	int af;					/* AF_INET or AF_INET6 */
	uint8_t src[16], dst[16];		/* IPv4 in the first 4 bytes */
	uint16_t sport, dport;			/* host order */
	uint8_t flags;				/* TCPF_* */
	uint32_t seq, ack;			/* absolute */
	uint32_t len;				/* payload bytes, from the IP length */
	uint16_t win;				/* window field, unscaled */
	const uint8_t *hdr;			/* the IP header, in the frame */
	uint16_t hdrlen;			/* it and the TCP header with options,
						 * as far as captured */
};

/* Opens libpcap on lo in the calling thread's network namespace (TCP to
 * and from 127.0.0.0/8 and ::1 only), its fd watched on base. NULL with a
 * one-line reason in err when the wire cannot be observed, e.g. without
 * CAP_NET_RAW; the run then goes on without it. */
struct capture *capture_open(struct event_base *base, char *err, size_t len);
/* Opens libpcap on device dev in the calling thread's network namespace,
 * with the filter expr, activated and non-blocking; NULL with a one-line
 * reason in err. */
struct pcap *capture_pcap(const char *dev, const char *expr, char *err,
    size_t len);
/* Closes a handle from capture_pcap. */
void capture_pcap_close(struct pcap *p);
/* A capture reading p (from capture_pcap), its fd watched on base; what p
 * already holds is read and dropped (no case's). It closes p unless
 * borrowed. NULL with a reason in err. */
struct capture *capture_attach(struct event_base *base, struct pcap *p,
    int borrowed, char *err, size_t len);
/* A capture fed only through capture_feed (tests). NULL without memory. */
struct capture *capture_new(void);
/* Closes the capture; cases still registered are not observed. */
void capture_close(struct capture *cap);

/* Registers a connection of a case, its client/server pair number pair:
 * frames between client and server go to res->seg, times from
 * res->start_us. Register after connect(2) and before control returns to
 * the event loop: the SYN is then still queued in the capture, not yet
 * demultiplexed. The same connection again (a reconnect from the same
 * port) is kept once. 0, or -1 (out of memory). */
int capture_add(struct capture *cap, const struct sockaddr *client,
    const struct sockaddr *server, struct case_result *res, int pair);
/* Reads every frame captured so far, then unregisters every connection
 * of res and sets res->wire: WIRE_OBSERVED only when res->seg holds every
 * segment of them (no frame dropped, no capture failure). Call it before
 * the case's clean-up RST. A NULL cap or an unregistered res is left as
 * it is. */
void capture_remove(struct capture *cap, struct case_result *res);

/* Parses one captured frame of link type dlt (DLT_EN10MB, DLT_RAW,
 * DLT_IPV4, DLT_IPV6, DLT_LINUX_SLL, DLT_LINUX_SLL2) holding IPv4 or IPv6
 * and TCP; 0, or -1 when it is not a TCP segment it can read. */
int capture_parse(int dlt, const uint8_t *p, size_t caplen, struct frame *f);
/* Hands one frame, captured at ts_us (wall clock, us), to its case. */
void capture_feed(struct capture *cap, int dlt, const uint8_t *p,
    size_t caplen, int64_t ts_us);
/* The same for a packet the relay passed on (at ts_us), with what it did
 * with it and, for a held one, for how long (else -1). */
void capture_feed_mark(struct capture *cap, int dlt, const uint8_t *p,
    size_t caplen, int64_t ts_us, enum seg_mark mark, int64_t held_us);

#endif
