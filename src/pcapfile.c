/* pcapfile.c: writes a case's segments as a pcapng file, the format
 * written directly (libpcap 1.10 writes no pcapng, and no comments): a
 * section header, one interface (raw IP, microsecond times), then an
 * enhanced packet block per segment, in host byte order with the magic
 * that says so; or as a classic pcap file through libpcap's dump API. Packets are the headers as captured (IP,
 * TCP with its options), or where they were not kept an IPv4 or IPv6
 * header with the true total length and a 20-byte TCP header without
 * options (src/craft.c); then the payload as zero bytes (what teardownd
 * sends); both checksums are set for that, so no tool flags them. What the relay did with a segment is the packet's comment,
 * which Wireshark and tshark (frame.comment) show. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "craft.h"
#include "pcapfile.h"

#define BT_SHB		0x0A0D0D0Au	/* section header block */
#define BT_IDB		1u		/* interface description block */
#define BT_EPB		6u		/* enhanced packet block */
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define LINKTYPE_RAW	101		/* the interface's link type: raw IP */
#define SNAPLEN		262144		/* tcpdump's: above any packet here */
#define OPT_END		0
#define OPT_COMMENT	1
#define OPT_SHB_USERAPPL 4
#define COMMENT_LEN	96
#define HDR_MAX		120		/* IPv4 with options + TCP with options */
#define PKT_MAX		(HDR_MAX + CRAFT_PAYLOAD)	/* the longest packet */

/* The block of n bytes at p, padded to 32 bits, framed by its type and
 * total length. 0, or -1 when writing failed. */
static int
block_write(FILE *fp, uint32_t type, const void *p, size_t n)
{
	static const uint8_t pad[4];
	uint32_t total = (uint32_t)(12 + ((n + 3) & ~(size_t)3));

	if (fwrite(&type, 4, 1, fp) != 1 || fwrite(&total, 4, 1, fp) != 1 ||
	    fwrite(p, 1, n, fp) != n ||
	    fwrite(pad, 1, (4 - n % 4) % 4, fp) != (4 - n % 4) % 4 ||
	    fwrite(&total, 4, 1, fp) != 1)
		return -1;
	return 0;
}

/* Appends option code with len bytes of value, padded, at buf + *off. */
static void
opt_put(uint8_t *buf, size_t *off, uint16_t code, const void *value,
    uint16_t len)
{
	memcpy(buf + *off, &code, 2);
	memcpy(buf + *off + 2, &len, 2);
	if (len > 0)
		memcpy(buf + *off + 4, value, len);
	memset(buf + *off + 4 + len, 0, (4 - len % 4) % 4);
	*off += 4 + ((len + 3u) & ~3u);
}

/* Writes the section header and the one interface. */
static int
header_write(FILE *fp)
{
	static const char appl[] = "teardownd";
	uint8_t shb[64], idb[16];
	uint32_t magic = BYTE_ORDER_MAGIC, snap = SNAPLEN;
	uint16_t major = 1, minor = 0, link = LINKTYPE_RAW, zero = 0;
	int64_t section = -1;
	size_t off = 16, shb_len;

	memcpy(shb, &magic, 4);
	memcpy(shb + 4, &major, 2);
	memcpy(shb + 6, &minor, 2);
	memcpy(shb + 8, &section, 8);
	opt_put(shb, &off, OPT_SHB_USERAPPL, appl, sizeof(appl) - 1);
	opt_put(shb, &off, OPT_END, NULL, 0);
	shb_len = off;
	memcpy(idb, &link, 2);
	memcpy(idb + 2, &zero, 2);
	memcpy(idb + 4, &snap, 4);
	off = 8;
	opt_put(idb, &off, OPT_END, NULL, 0);
	if (block_write(fp, BT_SHB, shb, shb_len) == -1 ||
	    block_write(fp, BT_IDB, idb, off) == -1)
		return -1;
	return 0;
}

/* The comment of a segment the relay did something with; "" for none. */
static void
seg_comment(const struct segment *g, char *buf, size_t len)
{
	double ms = g->held_us >= 0 ? g->held_us / 1000.0 : 0;

	buf[0] = '\0';
	switch (g->mark) {
	case MARK_HELD:
		snprintf(buf, len, "teardownd relay: held %.1f ms, then released", ms);
		break;
	case MARK_UNRELEASED:
		snprintf(buf, len, "teardownd relay: held %.1f ms and never "
		    "delivered (the case ended)", ms);
		break;
	case MARK_DUPLICATE:
		snprintf(buf, len, "teardownd relay: a copy kept %.1f ms, then "
		    "released", ms);
		break;
	case MARK_DELAYED:
		snprintf(buf, len, "teardownd relay: delayed %.1f ms", ms);
		break;
	case MARK_DROPPED:
		snprintf(buf, len, "teardownd relay: dropped, never delivered");
		break;
	case MARK_INJECTED:
		snprintf(buf, len, "teardownd relay: injected");
		break;
	default:
		break;
	}
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

/* Builds the packet of segment g in pkt (PKT_MAX bytes): its
 * headers as captured when hdrs has them, else made from the fields,
 * then the payload's zeros. Its length. */
static uint32_t
packet_build(const struct segment *g, const uint8_t *hdrs,
    const struct tuple *t, const uint32_t *isn, uint16_t id, uint8_t *pkt)
{
	uint32_t len = g->len > CRAFT_PAYLOAD ? CRAFT_PAYLOAD : g->len;
	struct craft c;
	size_t hlen;
	int from = g->from == SIDE_SERVER;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.from = from ? SIDE_SERVER : SIDE_CLIENT;
	c.flags = g->flags;
	c.seq = isn[from] + g->seq;
	c.ack = isn[!from] + g->ack;
	c.win = g->win;
	c.id = id;
	c.len = len;
	if (hdrs != NULL && g->hdr_len > 0 && g->hdr_len <= HDR_MAX) {
		memcpy(pkt, hdrs + g->hdr_off, g->hdr_len);
		hlen = g->hdr_len;
		if (craft_fix_sums(pkt, hlen, &len) == -1)
			hlen = craft_segment(&c, pkt);
	} else
		hlen = craft_segment(&c, pkt);
	memset(pkt + hlen, 0, len);
	return (uint32_t)(hlen + len);
}

/* Writes one enhanced packet block: the packet and the relay's comment. */
static int
epb_write(FILE *fp, const struct segment *g, const uint8_t *pkt,
    uint32_t plen, int64_t start_us)
{
	static const uint8_t pad[4];
	uint8_t opts[8 + COMMENT_LEN + 8];
	uint64_t ts = (uint64_t)(start_us + g->t_us);
	uint32_t w[5] = { 0, (uint32_t)(ts >> 32), (uint32_t)ts, plen, plen };
	uint32_t type = BT_EPB, tot32;
	char comment[COMMENT_LEN];
	size_t off = 0, npad = (4 - plen % 4) % 4;

	seg_comment(g, comment, sizeof(comment));
	if (comment[0] != '\0')
		opt_put(opts, &off, OPT_COMMENT, comment, (uint16_t)strlen(comment));
	if (off > 0)
		opt_put(opts, &off, OPT_END, NULL, 0);
	tot32 = (uint32_t)(12 + sizeof(w) + plen + npad + off);
	if (fwrite(&type, 4, 1, fp) != 1 || fwrite(&tot32, 4, 1, fp) != 1 ||
	    fwrite(w, sizeof(w), 1, fp) != 1 ||
	    fwrite(pkt, 1, plen, fp) != plen ||
	    fwrite(pad, 1, npad, fp) != npad ||
	    fwrite(opts, 1, off, fp) != off || fwrite(&tot32, 4, 1, fp) != 1)
		return -1;
	return 0;
}

/* Learns the ends' real initial sequence numbers from g's captured
 * headers (their numbers minus the stored relative ones), where isn does
 * not know them yet (known[]). */
static void
learn_isn(const struct segment *g, const uint8_t *hdrs, uint32_t *isn,
    int *known)
{
	uint8_t h[HDR_MAX];
	uint32_t payload;
	struct frame f;
	int from = g->from == SIDE_SERVER;

	if (hdrs == NULL || g->hdr_len == 0 || g->hdr_len > sizeof(h))
		return;
	memcpy(h, hdrs + g->hdr_off, g->hdr_len);
	if (craft_fix_sums(h, g->hdr_len, &payload) == -1 ||
	    capture_parse(DLT_RAW, h, g->hdr_len, &f) == -1)
		return;				/* written as made: no help */
	if (!known[from]) {
		isn[from] = f.seq - g->seq;
		known[from] = 1;
	}
	if ((g->flags & TCPF_ACK) && !known[!from]) {
		isn[!from] = f.ack - g->ack;
		known[!from] = 1;
	}
}

/* Writes the packets of n segments between client and server: pcapng
 * with comments, or (classic) pcap through libpcap's dump API. */
int
pcapfile_write(FILE *fp, enum pcapfile_format format,
    const struct sockaddr *client, const struct sockaddr *server,
    int64_t start_us, const struct segment *seg, size_t n, const uint8_t *hdrs)
{
	uint32_t isn[2] = { PCAPFILE_ISN_CLIENT, PCAPFILE_ISN_SERVER }, plen;
	int known[2] = { 0, 0 }, rc = -1, fd = -1;
	FILE *out = NULL;
	pcap_t *dead = NULL;
	pcap_dumper_t *dump = NULL;
	struct pcap_pkthdr ph;
	struct tuple t;
	uint8_t *pkt;
	int64_t ts;
	size_t i;

	/* Segments written from their fields use the real numbers too when
	 * others of the case have captured headers. */
	for (i = 0; i < n && !(known[0] && known[1]); i++)
		learn_isn(&seg[i], hdrs, isn, known);
	if (client->sa_family != server->sa_family ||
	    tuple_set(&t, client, server) == -1) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if ((pkt = malloc(PKT_MAX)) == NULL)
		return -1;
	if (format == PCAPFILE_PCAP) {
		/* pcap_dump_close closes the FILE it was given: a copy of fp's
		 * descriptor, so fp stays the caller's. */
		if (fflush(fp) == EOF || (fd = dup(fileno(fp))) == -1 ||
		    (out = fdopen(fd, "wb")) == NULL)
			goto done;
		fd = -1;
		if ((dead = pcap_open_dead_with_tstamp_precision(DLT_RAW,
		    SNAPLEN, PCAP_TSTAMP_PRECISION_MICRO)) == NULL)
			goto done;
		/* out is the dumper's now; libpcap closes it when it fails to
		 * write the file header. */
		dump = pcap_dump_fopen(dead, out);
		out = NULL;
		if (dump == NULL) {
			errno = EIO;
			goto done;
		}
	} else if (header_write(fp) == -1)
		goto done;
	for (i = 0; i < n; i++) {
		plen = packet_build(&seg[i], hdrs, &t, isn, (uint16_t)i, pkt);
		if (dump == NULL) {
			if (epb_write(fp, &seg[i], pkt, plen, start_us) == -1)
				goto done;
			continue;
		}
		ts = start_us + seg[i].t_us;
		ph.ts.tv_sec = ts / 1000000;
		ph.ts.tv_usec = ts % 1000000;
		ph.caplen = ph.len = plen;
		pcap_dump((u_char *)dump, &ph, pkt);
	}
	if (dump != NULL)
		rc = pcap_dump_flush(dump) == -1 ||
		    ferror(pcap_dump_file(dump)) ? -1 : 0;
	else
		rc = fflush(fp) == EOF ? -1 : 0;
done:
	if (dump != NULL)
		pcap_dump_close(dump);
	if (out != NULL)
		fclose(out);
	if (fd != -1)
		close(fd);
	if (dead != NULL)
		pcap_close(dead);
	free(pkt);
	return rc;
}
