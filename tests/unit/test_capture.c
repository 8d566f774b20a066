/* test_capture.c: the wire without a device. Frames built by hand (as lo
 * delivers them, and in the other link types libpcap may give) are parsed,
 * demultiplexed to the case of their 4-tuple and numbered relative to each
 * end's ISN; the pcap writer's file is read back with libpcap and parsed
 * the same way, giving the same segments. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "pcapfile.h"
#include "scenario.h"

/* One end's address: family, text address, port. */
struct end {
	int af;
	const char *ip;
	uint16_t port;
};

static const struct end c4 = { AF_INET, "127.0.0.1", 40000 };
static const struct end s4 = { AF_INET, "127.0.0.1", 5000 };
static const struct end c6 = { AF_INET6, "::1", 40001 };
static const struct end s6 = { AF_INET6, "::1", 5001 };

/* A segment's header fields, absolute numbers. */
struct tcp {
	uint8_t flags;
	uint32_t seq, ack;
	uint32_t len;
	uint16_t win;
};

/* Writes big-endian 16 and 32-bit values. */
static void
w16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
w32(uint8_t *p, uint32_t v)
{
	w16(p, v >> 16);
	w16(p + 2, v & 0xffff);
}

/* Builds an IP + TCP packet (payload not included: only its length in
 * the IP header) at p; returns the bytes written. ext adds an IPv6
 * hop-by-hop header; opts adds 12 bytes of TCP options. */
static size_t
build_ip_tcp(uint8_t *p, const struct end *from, const struct end *to,
    const struct tcp *t, int ext, int opts)
{
	size_t thl = opts ? 32 : 20, off;

	if (from->af == AF_INET) {
		memset(p, 0, 20);
		p[0] = 0x45;
		w16(p + 2, (uint32_t)(20 + thl + t->len));
		p[9] = IPPROTO_TCP;
		inet_pton(AF_INET, from->ip, p + 12);
		inet_pton(AF_INET, to->ip, p + 16);
		off = 20;
	} else {
		memset(p, 0, 48);
		p[0] = 0x60;
		w16(p + 4, (uint32_t)((ext ? 8 : 0) + thl + t->len));
		p[6] = ext ? 0 : IPPROTO_TCP;
		inet_pton(AF_INET6, from->ip, p + 8);
		inet_pton(AF_INET6, to->ip, p + 24);
		off = 40;
		if (ext) {
			p[40] = IPPROTO_TCP;	/* next header; length 0: 8 bytes */
			off = 48;
		}
	}
	memset(p + off, 0, thl);
	w16(p + off, from->port);
	w16(p + off + 2, to->port);
	w32(p + off + 4, t->seq);
	w32(p + off + 8, t->ack);
	p[off + 12] = (uint8_t)((thl / 4) << 4);
	p[off + 13] = t->flags;
	w16(p + off + 14, t->win);
	return off + thl;
}

/* Builds a frame as lo gives it (DLT_EN10MB: zero MACs, an ethertype). */
static size_t
build_eth(uint8_t *p, const struct end *from, const struct end *to,
    const struct tcp *t)
{
	memset(p, 0, 14);
	w16(p + 12, from->af == AF_INET ? 0x0800 : 0x86dd);
	return 14 + build_ip_tcp(p + 14, from, to, t, 0, 0);
}

/* Fills a sockaddr from an end. */
static void
end_addr(const struct end *e, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (e->af == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(e->port);
		inet_pton(AF_INET, e->ip, &in->sin_addr);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(e->port);
		inet_pton(AF_INET6, e->ip, &in6->sin6_addr);
	}
}

/* Registers a case between client c and server s with cap. */
static void
add_case(struct capture *cap, const struct end *c, const struct end *s,
    struct case_result *res)
{
	struct sockaddr_storage a, b;

	end_addr(c, &a);
	end_addr(s, &b);
	assert_int_equal(capture_add(cap, (struct sockaddr *)&a,
	    (struct sockaddr *)&b, res, 1), 0);
}

/* Feeds cap one lo frame from one end to the other at ts_us. */
static void
feed(struct capture *cap, const struct end *from, const struct end *to,
    uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len, int64_t ts_us)
{
	struct tcp t = { .flags = flags, .seq = seq, .ack = ack, .len = len,
	    .win = 512 };
	uint8_t fr[128];

	capture_feed(cap, DLT_EN10MB, fr, build_eth(fr, from, to, &t), ts_us);
}

/* Checks segment g: direction, flags, relative seq/ack, length. */
static void
assert_seg(const struct segment *g, enum side from, uint8_t flags,
    uint32_t seq, uint32_t ack, uint32_t len)
{
	assert_int_equal(g->from, from);
	assert_int_equal(g->flags, flags);
	assert_int_equal(g->seq, seq);
	assert_int_equal(g->ack, ack);
	assert_int_equal(g->len, len);
}

static void
an_ipv4_frame_on_lo_parses_into_its_tcp_header(void **state)
{
	struct tcp t = { .flags = TCPF_PSH | TCPF_ACK, .seq = 0xdeadbeef,
	    .ack = 7, .len = 100, .win = 6379 };
	uint8_t fr[128];
	struct frame f;
	uint8_t lo[4] = { 127, 0, 0, 1 };

	assert_int_equal(capture_parse(DLT_EN10MB, fr,
	    build_eth(fr, &c4, &s4, &t), &f), 0);
	assert_int_equal(f.af, AF_INET);
	assert_memory_equal(f.src, lo, 4);
	assert_memory_equal(f.dst, lo, 4);
	assert_int_equal(f.sport, 40000);
	assert_int_equal(f.dport, 5000);
	assert_int_equal(f.flags, TCPF_PSH | TCPF_ACK);
	assert_int_equal(f.seq, 0xdeadbeef);
	assert_int_equal(f.ack, 7);
	assert_int_equal(f.len, 100);		/* from the IP length, not caplen */
	assert_int_equal(f.win, 6379);
}

static void
an_ipv6_frame_parses_with_or_without_a_hop_by_hop_header(void **state)
{
	struct tcp t = { .flags = TCPF_FIN | TCPF_ACK, .seq = 101, .ack = 1,
	    .len = 0, .win = 8 };
	uint8_t fr[128], lo6[16] = { [15] = 1 };
	struct frame f;
	int ext;

	for (ext = 0; ext <= 1; ext++) {
		memset(fr, 0, 14);
		w16(fr + 12, 0x86dd);
		assert_int_equal(capture_parse(DLT_EN10MB, fr, 14 +
		    build_ip_tcp(fr + 14, &s6, &c6, &t, ext, 1), &f), 0);
		assert_int_equal(f.af, AF_INET6);
		assert_memory_equal(f.src, lo6, 16);
		assert_int_equal(f.sport, 5001);
		assert_int_equal(f.dport, 40001);
		assert_int_equal(f.flags, TCPF_FIN | TCPF_ACK);
		assert_int_equal(f.seq, 101);
		assert_int_equal(f.len, 0);	/* the options are not payload */
	}
}

static void
raw_and_cooked_link_types_parse_too(void **state)
{
	struct tcp t = { .flags = TCPF_SYN, .seq = 9, .len = 0 };
	uint8_t fr[128];
	struct frame f;
	size_t n;

	n = build_ip_tcp(fr, &c4, &s4, &t, 0, 0);
	assert_int_equal(capture_parse(DLT_RAW, fr, n, &f), 0);
	assert_int_equal(f.seq, 9);
	memset(fr, 0, 16);			/* Linux cooked v1: protocol at 14 */
	w16(fr + 14, 0x86dd);
	n = 16 + build_ip_tcp(fr + 16, &c6, &s6, &t, 0, 0);
	assert_int_equal(capture_parse(DLT_LINUX_SLL, fr, n, &f), 0);
	assert_int_equal(f.af, AF_INET6);
	memset(fr, 0, 20);			/* cooked v2: protocol at 0 */
	w16(fr, 0x0800);
	n = 20 + build_ip_tcp(fr + 20, &c4, &s4, &t, 0, 0);
	assert_int_equal(capture_parse(DLT_LINUX_SLL2, fr, n, &f), 0);
	assert_int_equal(f.dport, 5000);
	assert_int_equal(capture_parse(DLT_NULL, fr, n, &f), -1);
}

static void
frames_that_are_not_whole_tcp_headers_are_refused(void **state)
{
	struct tcp t = { .flags = TCPF_ACK, .seq = 1, .ack = 1 };
	uint8_t fr[128];
	struct frame f;
	size_t n = build_eth(fr, &c4, &s4, &t);

	assert_int_equal(capture_parse(DLT_EN10MB, fr, n - 1, &f), -1);
	assert_int_equal(capture_parse(DLT_EN10MB, fr, 10, &f), -1);
	fr[14 + 9] = IPPROTO_UDP;
	assert_int_equal(capture_parse(DLT_EN10MB, fr, n, &f), -1);
	fr[14 + 9] = IPPROTO_TCP;
	w16(fr + 14 + 6, 0x2000);		/* a first fragment */
	assert_int_equal(capture_parse(DLT_EN10MB, fr, n, &f), -1);
	w16(fr + 14 + 6, 0);
	w16(fr + 12, 0x0806);			/* ARP */
	assert_int_equal(capture_parse(DLT_EN10MB, fr, n, &f), -1);
	w16(fr + 12, 0x0800);
	w16(fr + 14 + 2, 30);			/* IP length shorter than TCP */
	assert_int_equal(capture_parse(DLT_EN10MB, fr, n, &f), -1);
}

static void
segments_go_to_the_case_of_their_four_tuple_in_both_directions(void **state)
{
	struct case_result a = { .start_us = 1000 }, b = { .start_us = 1000 };
	struct end c4b = c4;
	struct end other = { AF_INET, "127.0.0.2", 40000 };
	struct capture *cap = capture_new();

	c4b.port = 40002;
	assert_non_null(cap);
	add_case(cap, &c4, &s4, &a);
	add_case(cap, &c4b, &s4, &b);
	feed(cap, &c4, &s4, TCPF_SYN, 100, 0, 0, 1010);
	feed(cap, &c4b, &s4, TCPF_SYN, 500, 0, 0, 1011);
	feed(cap, &s4, &c4, TCPF_SYN | TCPF_ACK, 900, 101, 0, 1012);
	feed(cap, &other, &s4, TCPF_SYN, 7, 0, 0, 1013);	/* no case's */
	feed(cap, &c6, &s6, TCPF_SYN, 7, 0, 0, 1014);		/* nor this */
	feed(cap, &s4, &c4b, TCPF_RST | TCPF_ACK, 0, 501, 0, 1015);
	capture_remove(cap, &a);
	capture_remove(cap, &b);
	assert_int_equal(a.nseg, 2);
	assert_seg(&a.seg[0], SIDE_CLIENT, TCPF_SYN, 0, 0, 0);
	assert_seg(&a.seg[1], SIDE_SERVER, TCPF_SYN | TCPF_ACK, 0, 1, 0);
	assert_int_equal(a.seg[1].t_us, 12);
	assert_int_equal(b.nseg, 2);
	assert_int_equal(b.seg[1].from, SIDE_SERVER);
	assert_int_equal(a.wire, WIRE_OBSERVED);
	assert_int_equal(b.wire, WIRE_OBSERVED);
	capture_close(cap);
	free(a.seg);
	free(a.hdr);
	free(b.seg);
	free(b.hdr);
}

static void
numbers_are_relative_to_each_ends_isn_across_wraparound(void **state)
{
	struct case_result r = { .start_us = 0 };
	struct capture *cap = capture_new();
	uint32_t ic = 0xfffffff0u, is = 77;	/* the client's wraps */

	add_case(cap, &c6, &s6, &r);
	feed(cap, &c6, &s6, TCPF_SYN, ic, 0, 0, 1);
	feed(cap, &s6, &c6, TCPF_SYN | TCPF_ACK, is, ic + 1, 0, 2);
	feed(cap, &c6, &s6, TCPF_ACK, ic + 1, is + 1, 0, 3);
	feed(cap, &c6, &s6, TCPF_PSH | TCPF_ACK, ic + 1, is + 1, 100, 4);
	feed(cap, &s6, &c6, TCPF_ACK, is + 1, ic + 101, 0, 5);
	feed(cap, &c6, &s6, TCPF_FIN | TCPF_ACK, ic + 101, is + 1, 0, 6);
	feed(cap, &s6, &c6, TCPF_FIN | TCPF_ACK, is + 1, ic + 102, 0, 7);
	feed(cap, &c6, &s6, TCPF_ACK, ic + 102, is + 2, 0, 8);
	capture_remove(cap, &r);
	assert_int_equal(r.nseg, 8);
	assert_seg(&r.seg[0], SIDE_CLIENT, TCPF_SYN, 0, 0, 0);
	assert_seg(&r.seg[1], SIDE_SERVER, TCPF_SYN | TCPF_ACK, 0, 1, 0);
	assert_seg(&r.seg[3], SIDE_CLIENT, TCPF_PSH | TCPF_ACK, 1, 1, 100);
	assert_seg(&r.seg[4], SIDE_SERVER, TCPF_ACK, 1, 101, 0);
	assert_seg(&r.seg[5], SIDE_CLIENT, TCPF_FIN | TCPF_ACK, 101, 1, 0);
	assert_seg(&r.seg[6], SIDE_SERVER, TCPF_FIN | TCPF_ACK, 1, 102, 0);
	assert_seg(&r.seg[7], SIDE_CLIENT, TCPF_ACK, 102, 2, 0);
	assert_int_equal(r.seg[7].t_us, 8);
	assert_int_equal(r.seg[7].win, 512);
	capture_close(cap);
	free(r.seg);
	free(r.hdr);
}

static void
a_connection_seen_from_its_middle_counts_from_its_first_numbers(void **state)
{
	struct case_result r = { 0 };
	struct capture *cap = capture_new();

	add_case(cap, &c4, &s4, &r);
	feed(cap, &c4, &s4, TCPF_FIN | TCPF_ACK, 5000, 9000, 0, 1);
	feed(cap, &s4, &c4, TCPF_ACK, 9000, 5001, 0, 2);
	capture_remove(cap, &r);
	assert_int_equal(r.nseg, 2);
	assert_seg(&r.seg[0], SIDE_CLIENT, TCPF_FIN | TCPF_ACK, 0, 0, 0);
	assert_seg(&r.seg[1], SIDE_SERVER, TCPF_ACK, 0, 1, 0);
	capture_close(cap);
	free(r.seg);
	free(r.hdr);
}

static void
a_removed_case_gets_no_more_segments(void **state)
{
	struct case_result r = { 0 }, never = { 0 };
	struct capture *cap = capture_new();

	add_case(cap, &c4, &s4, &r);
	feed(cap, &c4, &s4, TCPF_SYN, 1, 0, 0, 1);
	capture_remove(cap, &r);
	feed(cap, &c4, &s4, TCPF_RST, 2, 0, 0, 2);	/* the clean-up RST */
	capture_remove(cap, &r);			/* a second time: nothing */
	capture_remove(cap, &never);			/* never registered */
	capture_remove(NULL, &never);
	assert_int_equal(r.nseg, 1);
	assert_int_equal(r.wire, WIRE_OBSERVED);
	assert_int_equal(never.wire, WIRE_NOT_OBSERVED);
	capture_close(cap);
	free(r.seg);
	free(r.hdr);
}

static void
many_segments_and_many_cases_are_kept(void **state)
{
	struct case_result r[100];
	struct end c[100];
	struct capture *cap = capture_new();
	int i, k;

	memset(r, 0, sizeof(r));
	for (i = 0; i < 100; i++) {
		c[i] = c4;
		c[i].port = (uint16_t)(30000 + i);
		add_case(cap, &c[i], &s4, &r[i]);
	}
	for (k = 0; k < 300; k++)
		for (i = 0; i < 100; i++)
			feed(cap, &c[i], &s4, TCPF_ACK, (uint32_t)(k * 10), 1, 10,
			    k);
	for (i = 0; i < 100; i++) {
		capture_remove(cap, &r[i]);
		assert_int_equal(r[i].nseg, 300);
		assert_int_equal(r[i].seg[299].seq, 2990);
		free(r[i].seg);
		free(r[i].hdr);
	}
	capture_close(cap);
}

static void
flags_print_as_tcpdump_prints_them(void **state)
{
	static const struct { uint8_t f; const char *s; } want[] = {
		{ TCPF_SYN, "S" }, { TCPF_SYN | TCPF_ACK, "S." },
		{ TCPF_ACK, "." }, { TCPF_PSH | TCPF_ACK, "P." },
		{ TCPF_FIN | TCPF_ACK, "F." }, { TCPF_RST, "R" },
		{ TCPF_RST | TCPF_ACK, "R." },
		{ TCPF_FIN | TCPF_PSH | TCPF_ACK, "FP." },
		{ TCPF_SYN | TCPF_ECE | TCPF_CWR, "SEW" },
		{ TCPF_SYN | TCPF_ACK | TCPF_ECE, "S.E" },
		{ TCPF_URG | TCPF_ACK, ".U" }, { 0, "none" },
		{ 0xff, "FSRP.UEW" },
	};
	char buf[TCP_FLAGS_LEN], tiny[3];
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		tcp_flags_format(want[i].f, buf, sizeof(buf));
		assert_string_equal(buf, want[i].s);
	}
	tcp_flags_format(0xff, tiny, sizeof(tiny));
	assert_string_equal(tiny, "FS");
}

static void
addresses_parse_as_the_store_writes_them(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	assert_int_equal(pcapfile_parse_addr("127.0.0.1:40000", &ss), 0);
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 40000);
	assert_int_equal(ntohl(in->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(pcapfile_parse_addr("[::1]:5", &ss), 0);
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 5);
	assert_true(IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr));
	assert_int_equal(pcapfile_parse_addr("127.0.0.1", &ss), -1);
	assert_int_equal(pcapfile_parse_addr("127.0.0.1:70000", &ss), -1);
	assert_int_equal(pcapfile_parse_addr("[::1:5", &ss), -1);
	assert_int_equal(pcapfile_parse_addr("localhost:5", &ss), -1);
}

/* The four-way close of DESIGN.md, as the store keeps it. */
static const struct segment fourway[] = {
	{ 10, SIDE_CLIENT, TCPF_SYN, 0, 0, 0, 65495, 1, MARK_NONE, -1, 0, 0 },
	{ 20, SIDE_SERVER, TCPF_SYN | TCPF_ACK, 0, 1, 0, 65483, 1, MARK_NONE, -1, 0, 0 },
	{ 30, SIDE_CLIENT, TCPF_ACK, 1, 1, 0, 512, 1, MARK_NONE, -1, 0, 0 },
	{ 40, SIDE_CLIENT, TCPF_PSH | TCPF_ACK, 1, 1, 100, 512, 1, MARK_NONE, -1, 0, 0 },
	{ 50, SIDE_SERVER, TCPF_ACK, 1, 101, 0, 512, 1, MARK_NONE, -1, 0, 0 },
	{ 60, SIDE_CLIENT, TCPF_FIN | TCPF_ACK, 101, 1, 0, 512, 1, MARK_NONE, -1, 0, 0 },
	{ 1070, SIDE_SERVER, TCPF_ACK, 1, 102, 0, 512, 1, MARK_NONE, -1, 0, 0 },
	{ 2080, SIDE_SERVER, TCPF_FIN | TCPF_ACK, 1, 102, 0, 512, 1, MARK_NONE, -1, 0, 0 },
	{ 3000090, SIDE_CLIENT, TCPF_ACK, 102, 2, 0, 512, 1, MARK_NONE, -1, 0, 0 },
};

/* Writes fourway between c and s into a temporary file in format, reads
 * it back with libpcap and feeds it to a capture: the same segments must
 * come out. */
static void
round_trip(const struct end *c, const struct end *s, enum pcapfile_format fmt)
{
	struct sockaddr_storage a, b;
	struct case_result r = { .start_us = 1700000000123456 };
	struct pcap_pkthdr *h;
	const u_char *data;
	char ebuf[PCAP_ERRBUF_SIZE];
	size_t n = sizeof(fourway) / sizeof(fourway[0]), i = 0;
	struct capture *cap = capture_new();
	FILE *fp = tmpfile();
	pcap_t *p;

	end_addr(c, &a);
	end_addr(s, &b);
	assert_non_null(fp);
	assert_int_equal(pcapfile_write(fp, fmt, (struct sockaddr *)&a,
	    (struct sockaddr *)&b, r.start_us, fourway, n, NULL), 0);
	rewind(fp);
	p = pcap_fopen_offline(fp, ebuf);
	if (p == NULL)
		fail_msg("libpcap cannot read the file: %s", ebuf);
	assert_int_equal(pcap_datalink(p), DLT_RAW);
	add_case(cap, c, s, &r);
	while (pcap_next_ex(p, &h, &data) == 1) {
		assert_int_equal(h->caplen, h->len);
		capture_feed(cap, DLT_RAW, data, h->caplen,
		    (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec);
		i++;
	}
	pcap_close(p);
	capture_remove(cap, &r);
	assert_int_equal(i, n);
	assert_int_equal(r.nseg, n);
	for (i = 0; i < n; i++) {
		assert_seg(&r.seg[i], fourway[i].from, fourway[i].flags,
		    fourway[i].seq, fourway[i].ack, fourway[i].len);
		assert_int_equal(r.seg[i].t_us, fourway[i].t_us);
		assert_int_equal(r.seg[i].win, fourway[i].win);
	}
	capture_close(cap);
	free(r.seg);
	free(r.hdr);
}

static void
a_written_pcap_file_reads_back_as_the_same_segments(void **state)
{
	round_trip(&c4, &s4, PCAPFILE_PCAPNG);
	round_trip(&c6, &s6, PCAPFILE_PCAPNG);
	round_trip(&c4, &s4, PCAPFILE_PCAP);
	round_trip(&c6, &s6, PCAPFILE_PCAP);
}

/* The Internet checksum of n bytes, as a receiver verifies it. */
static uint16_t
verify_sum(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void
written_packets_carry_true_lengths_and_checksums(void **state)
{
	struct sockaddr_storage a, b;
	uint8_t buf[512], *ip;
	FILE *fp = tmpfile();
	size_t n;
	uint32_t sum;

	end_addr(&c4, &a);
	end_addr(&s4, &b);
	assert_int_equal(pcapfile_write(fp, PCAPFILE_PCAPNG, (struct sockaddr *)&a,
	    (struct sockaddr *)&b, 0, &fourway[3], 1, NULL), 0);
	rewind(fp);
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	/* pcapng: section header 48 bytes, interface 24, then the packet's
	 * block: 28 bytes before its data, 140 bytes of it, 4 after. */
	assert_int_equal(n, 48 + 24 + 28 + 140 + 4);
	assert_int_equal(buf[0], 0x0a);
	assert_int_equal(buf[48], 1);		/* interface description */
	assert_int_equal(buf[72], 6);		/* enhanced packet */
	ip = buf + 48 + 24 + 28;
	assert_int_equal(ip[2] << 8 | ip[3], 140);	/* IP total length */
	assert_int_equal(verify_sum(0, ip, 20), 0xffff);
	sum = verify_sum(0, ip + 12, 8) + 6 + 120;	/* pseudo-header */
	assert_int_equal(verify_sum(sum, ip + 20, 120), 0xffff);
	assert_int_equal(ip[20 + 13], TCPF_PSH | TCPF_ACK);
	assert_int_equal((uint32_t)(ip[24] << 24 | ip[25] << 16 | ip[26] << 8 |
	    ip[27]), PCAPFILE_ISN_CLIENT + 1);
}

/* What the relay did with a segment is its packet comment (pcapng option
 * opt_comment); a segment it passed has none. */
static void
relay_marks_are_packet_comments(void **state)
{
	static const char held[] = "teardownd relay: held 51.3 ms, then released";
	struct segment g[2] = { fourway[3], fourway[4] };
	struct sockaddr_storage a, b;
	uint8_t buf[1024];
	FILE *fp = tmpfile();
	size_t n;

	g[0].mark = MARK_PASSED;
	g[1].mark = MARK_HELD;
	g[1].held_us = 51300;
	end_addr(&c4, &a);
	end_addr(&s4, &b);
	assert_int_equal(pcapfile_write(fp, PCAPFILE_PCAPNG, (struct sockaddr *)&a,
	    (struct sockaddr *)&b, 0, g, 2, NULL), 0);
	rewind(fp);
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	assert_non_null(memmem(buf, n, held, sizeof(held) - 1));
	assert_null(memmem(buf, n, "passed", 6));
	/* The second block: 28 + 140 (the first) after the headers, then its
	 * 28-byte head and 40 bytes of data; then option 1, its length. */
	assert_int_equal(buf[72 + 172 + 28 + 40], 1);
	assert_int_equal(buf[72 + 172 + 28 + 40 + 2], sizeof(held) - 1);
}

/* A SYN as libpcap saw it on lo (Linux 6.18): MSS, SACK permitted,
 * timestamps, window scale; the TCP checksum only the pseudo-header's
 * (offloaded), 127.0.0.1:51048 > 127.0.0.1:60861. */
static const char syn_lo[] =
    "4500003cff5b400040063d5e7f0000017f000001c768edbd6522720000000000"
    "a002ffd7fe3000000204ffd70402080a75742f4b000000000103030a";

static size_t
unhex(const char *hex, uint8_t *buf)
{
	size_t i, n = strlen(hex) / 2;
	unsigned b;

	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		buf[i] = (uint8_t)b;
	}
	return n;
}

/* The capture keeps each segment's headers with their options; the pcap
 * file carries them as they were, with checksums that verify, and falls
 * back to made headers when the kept ones do not add up. */
/* The longest segment on IPv6 loopback (40 + 32 header bytes and 65464
 * of payload: 65536) is written whole in both formats. */
static void
a_full_size_ipv6_segment_is_written_whole(void **state)
{
	static const enum pcapfile_format fmts[] = { PCAPFILE_PCAPNG,
	    PCAPFILE_PCAP };
	struct sockaddr_storage a, b;
	struct pcap_pkthdr *h;
	const u_char *data;
	char ebuf[PCAP_ERRBUF_SIZE];
	uint8_t hdr[72];
	struct segment g;
	size_t k;
	FILE *fp;
	pcap_t *p;

	memset(hdr, 0, sizeof(hdr));
	hdr[0] = 0x60;				/* IPv6 */
	hdr[4] = (32 + 65464) >> 8;		/* payload length */
	hdr[5] = (32 + 65464) & 0xff;
	hdr[6] = IPPROTO_TCP;
	hdr[7] = 64;
	hdr[23] = 1;				/* ::1 to ::1 */
	hdr[39] = 1;
	hdr[40] = 40001 >> 8, hdr[41] = 40001 & 0xff;
	hdr[42] = 5001 >> 8, hdr[43] = 5001 & 0xff;
	hdr[52] = 8 << 4;			/* 32 bytes of TCP */
	hdr[53] = TCPF_ACK;
	hdr[60] = hdr[61] = 1;			/* NOP NOP TS */
	hdr[62] = 8, hdr[63] = 10;
	memset(&g, 0, sizeof(g));
	g.from = SIDE_CLIENT;
	g.flags = TCPF_ACK;
	g.len = 65464;
	g.hdr_len = sizeof(hdr);
	g.held_us = -1;
	end_addr(&c6, &a);
	end_addr(&s6, &b);
	for (k = 0; k < 2; k++) {
		assert_non_null(fp = tmpfile());
		assert_int_equal(pcapfile_write(fp, fmts[k],
		    (struct sockaddr *)&a, (struct sockaddr *)&b, 0, &g, 1,
		    hdr), 0);
		rewind(fp);
		if ((p = pcap_fopen_offline(fp, ebuf)) == NULL)
			fail_msg("libpcap cannot read the file: %s", ebuf);
		assert_int_equal(pcap_next_ex(p, &h, &data), 1);
		assert_int_equal(h->len, 72 + 65464);
		assert_int_equal(h->caplen, 72 + 65464);
		pcap_close(p);			/* and fp */
	}
}

static void
captured_headers_are_kept_and_written_as_they_were(void **state)
{
	static const struct end c = { AF_INET, "127.0.0.1", 51048 };
	static const struct end sv = { AF_INET, "127.0.0.1", 60861 };
	struct case_result r = { .start_us = 1700000000000000 };
	struct capture *cap = capture_new();
	struct sockaddr_storage a, b;
	uint8_t syn[128], buf[512], *ip;
	size_t n = unhex(syn_lo, syn), got;
	FILE *fp = tmpfile();
	uint32_t sum;

	add_case(cap, &c, &sv, &r);
	capture_feed(cap, DLT_RAW, syn, n, r.start_us + 10);
	capture_remove(cap, &r);
	capture_close(cap);
	assert_int_equal(r.nseg, 1);
	assert_int_equal(r.seg[0].hdr_len, 60);
	assert_memory_equal(r.hdr + r.seg[0].hdr_off, syn, 60);

	end_addr(&c, &a);
	end_addr(&sv, &b);
	assert_int_equal(pcapfile_write(fp, PCAPFILE_PCAPNG, (struct sockaddr *)&a,
	    (struct sockaddr *)&b, r.start_us, r.seg, 1, r.hdr), 0);
	rewind(fp);
	got = fread(buf, 1, sizeof(buf), fp);
	assert_int_equal(got, 48 + 24 + 28 + 60 + 4);
	ip = buf + 48 + 24 + 28;
	assert_memory_equal(ip, syn, 36);		/* all but the TCP checksum */
	assert_memory_equal(ip + 38, syn + 38, 22);	/* the options as sent */
	assert_int_equal(verify_sum(0, ip, 20), 0xffff);
	sum = verify_sum(0, ip + 12, 8) + 6 + 40;
	assert_int_equal(verify_sum(sum, ip + 20, 40), 0xffff);
	fclose(fp);

	/* A segment without headers beside one with them: made from its
	 * fields with the real numbers (the SYN's seq 0x65227200). */
	{
		struct segment g[2] = { r.seg[0], r.seg[0] };
		uint8_t *t2;

		g[1].from = SIDE_SERVER;
		g[1].flags = TCPF_SYN | TCPF_ACK;
		g[1].seq = 0;
		g[1].ack = 1;
		g[1].hdr_len = 0;
		fp = tmpfile();
		assert_int_equal(pcapfile_write(fp, PCAPFILE_PCAPNG,
		    (struct sockaddr *)&a, (struct sockaddr *)&b, r.start_us, g,
		    2, r.hdr), 0);
		rewind(fp);
		got = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		assert_int_equal(got, 48 + 24 + (28 + 60 + 4) + (28 + 40 + 4));
		t2 = buf + 48 + 24 + (28 + 60 + 4) + 28 + 20;
		assert_int_equal((uint32_t)t2[8] << 24 | (uint32_t)t2[9] << 16 |
		    (uint32_t)t2[10] << 8 | t2[11], 0x65227201u);
	}

	/* Headers whose lengths do not add up: made from the fields. */
	r.seg[0].hdr_len = 50;
	fp = tmpfile();
	assert_int_equal(pcapfile_write(fp, PCAPFILE_PCAPNG, (struct sockaddr *)&a,
	    (struct sockaddr *)&b, r.start_us, r.seg, 1, r.hdr), 0);
	rewind(fp);
	got = fread(buf, 1, sizeof(buf), fp);
	assert_int_equal(got, 48 + 24 + 28 + 40 + 4);
	fclose(fp);
	free(r.seg);
	free(r.hdr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_ipv4_frame_on_lo_parses_into_its_tcp_header),
		cmocka_unit_test(an_ipv6_frame_parses_with_or_without_a_hop_by_hop_header),
		cmocka_unit_test(raw_and_cooked_link_types_parse_too),
		cmocka_unit_test(frames_that_are_not_whole_tcp_headers_are_refused),
		cmocka_unit_test(segments_go_to_the_case_of_their_four_tuple_in_both_directions),
		cmocka_unit_test(numbers_are_relative_to_each_ends_isn_across_wraparound),
		cmocka_unit_test(a_connection_seen_from_its_middle_counts_from_its_first_numbers),
		cmocka_unit_test(a_removed_case_gets_no_more_segments),
		cmocka_unit_test(many_segments_and_many_cases_are_kept),
		cmocka_unit_test(flags_print_as_tcpdump_prints_them),
		cmocka_unit_test(addresses_parse_as_the_store_writes_them),
		cmocka_unit_test(a_written_pcap_file_reads_back_as_the_same_segments),
		cmocka_unit_test(written_packets_carry_true_lengths_and_checksums),
		cmocka_unit_test(relay_marks_are_packet_comments),
		cmocka_unit_test(captured_headers_are_kept_and_written_as_they_were),
		cmocka_unit_test(a_full_size_ipv6_segment_is_written_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
