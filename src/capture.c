/* capture.c: libpcap on the loopback device, segments handed to their
 * case. One handle per run (immediate mode, non-blocking, a short snaplen,
 * a BPF filter for loopback TCP) is read from the runner's event loop.
 * Frames are demultiplexed by 4-tuple to the cases registered with
 * capture_add, and kept with each end's sequence numbers relative to its
 * initial sequence number. A case is drained (capture_remove) before its
 * clean-up RST, so its segments are exactly those of its script. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <pcap/pcap.h>

#include "capture.h"
#include "flowtab.h"
#include "log.h"

#define CAP_DEVICE	"lo"
#define CAP_SNAPLEN	128		/* link + IPv6 + TCP with options */
#define CAP_BUFFER	(8 << 20)	/* kernel ring, bytes */
#define CAP_FILTER	"tcp and (net 127.0.0.0/8 or ip6 host ::1)"
#define CAP_MAX_SEGS	65536		/* per case; beyond, its wire is lost */

#define ETH_IPV4	0x0800
#define ETH_IPV6	0x86dd
#define ETH_VLAN	0x8100

/* One registered connection of a case, and where its segments go. */
struct flow {
	struct flow_link link;			/* first: the table's part */
	int pair;				/* the case's client/server pair */
	struct case_result *res;		/* segments are appended to res->seg */
	uint32_t isn[2];			/* each end's initial sequence number */
	int known[2];				/* isn[] seen */
	int lost;				/* a segment could not be kept */
	uint64_t drops0;			/* the capture's drops when registered */
};

struct capture {
	pcap_t *p;				/* NULL for capture_new (tests) */
	int borrowed;				/* p is not ours to close (a link's) */
	int dlt;				/* link type of p */
	struct event *ev;			/* p's fd readable */
	int broken;				/* reading failed: nothing is observed */
	uint64_t drops;				/* frames the kernel dropped so far */
	struct flowtab flows;			/* registered connections */
};

/* A capture without a device: frames come through capture_feed. */
struct capture *
capture_new(void)
{
	return calloc(1, sizeof(struct capture));
}

/* Reads a big-endian 16-bit value. */
static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Reads a big-endian 32-bit value. */
static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Whether capture_parse reads frames of link type dlt. */
static int
dlt_supported(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_RAW || dlt == DLT_IPV4 ||
	    dlt == DLT_IPV6 || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2;
}

/* Offset of the IP header in a frame of link type dlt; -1 when the frame
 * carries something else. */
static long
link_offset(int dlt, const uint8_t *p, size_t caplen)
{
	uint16_t type;
	size_t off;

	switch (dlt) {
	case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
		return 0;
	case DLT_EN10MB:
		off = 14;
		if (caplen < off)
			return -1;
		type = be16(p + 12);
		if (type == ETH_VLAN && caplen >= off + 4) {
			type = be16(p + 16);
			off += 4;
		}
		break;
	case DLT_LINUX_SLL:
		off = 16;
		type = caplen >= off ? be16(p + 14) : 0;
		break;
	case DLT_LINUX_SLL2:
		off = 20;
		type = caplen >= off ? be16(p) : 0;
		break;
	default:
		return -1;
	}
	return type == ETH_IPV4 || type == ETH_IPV6 ? (long)off : -1;
}

/* Parses an IPv4 header: addresses into f, the TCP header's offset and
 * the IP payload's length. 0, or -1 if not an unfragmented TCP packet. */
static int
parse_ipv4(const uint8_t *p, size_t n, struct frame *f, size_t *tcp,
    size_t *plen)
{
	size_t hl, total;

	if (n < 20 || (p[0] >> 4) != 4 || p[9] != IPPROTO_TCP)
		return -1;
	hl = (size_t)(p[0] & 0x0f) * 4;
	total = be16(p + 2);
	if (hl < 20 || total < hl || (be16(p + 6) & 0x3fff) != 0)
		return -1;
	f->af = AF_INET;
	memset(f->src, 0, sizeof(f->src));
	memset(f->dst, 0, sizeof(f->dst));
	memcpy(f->src, p + 12, 4);
	memcpy(f->dst, p + 16, 4);
	*tcp = hl;
	*plen = total - hl;
	return 0;
}

/* Parses an IPv6 header and the extension headers before TCP (hop-by-hop,
 * routing, destination options), as parse_ipv4 does. */
static int
parse_ipv6(const uint8_t *p, size_t n, struct frame *f, size_t *tcp,
    size_t *plen)
{
	size_t off = 40, ext = 0, payload;
	uint8_t nh;

	if (n < 40 || (p[0] >> 4) != 6)
		return -1;
	payload = be16(p + 4);
	nh = p[6];
	while (nh == 0 || nh == 43 || nh == 60) {
		size_t hl;

		if (n < off + 2)
			return -1;
		hl = ((size_t)p[off + 1] + 1) * 8;
		nh = p[off];
		off += hl;
		ext += hl;
	}
	if (nh != IPPROTO_TCP || payload < ext)
		return -1;
	f->af = AF_INET6;
	memcpy(f->src, p + 8, 16);
	memcpy(f->dst, p + 24, 16);
	*tcp = off;
	*plen = payload - ext;
	return 0;
}

/* Parses one captured frame of link type dlt into f. */
int
capture_parse(int dlt, const uint8_t *p, size_t caplen, struct frame *f)
{
	long link = link_offset(dlt, p, caplen);
	size_t tcp, plen, hl, n;
	const uint8_t *ip, *t;
	int r;

	if (link < 0)
		return -1;
	ip = p + link;
	n = caplen - (size_t)link;
	if (n < 1)
		return -1;
	r = (ip[0] >> 4) == 4 ? parse_ipv4(ip, n, f, &tcp, &plen) :
	    parse_ipv6(ip, n, f, &tcp, &plen);
	if (r == -1 || n < tcp + 20)
		return -1;
	t = ip + tcp;
	hl = (size_t)(t[12] >> 4) * 4;
	if (hl < 20 || hl > plen)
		return -1;
	f->sport = be16(t);
	f->dport = be16(t + 2);
	f->seq = be32(t + 4);
	f->ack = be32(t + 8);
	f->flags = t[13];
	f->win = be16(t + 14);
	f->len = (uint32_t)(plen - hl);
	f->hdr = ip;
	f->hdrlen = (uint16_t)(tcp + hl < n ? tcp + hl : n);
	return 0;
}

/* Registers one connection of a case (pair k); again for the same
 * connection (a reconnect from the same port) is a no-op. */
int
capture_add(struct capture *cap, const struct sockaddr *client,
    const struct sockaddr *server, struct case_result *res, int pair)
{
	struct flow *f;
	int fresh;

	if ((f = (struct flow *)flowtab_register(&cap->flows, client, server,
	    (struct flow_link **)&res->wire_ctx, sizeof(*f), &fresh)) == NULL)
		return -1;
	if (fresh) {
		f->pair = pair;
		f->res = res;
		f->drops0 = cap->drops;
	}
	return 0;
}

/* Learns each end's initial sequence number: from its SYN, else (a
 * connection seen from its middle) the first number seen, as Wireshark
 * does. */
static void
flow_learn(struct flow *fl, enum side from, const struct frame *f)
{
	if ((f->flags & TCPF_SYN) || !fl->known[from]) {
		fl->isn[from] = f->seq;
		fl->known[from] = 1;
	}
	if ((f->flags & TCPF_ACK) && !fl->known[!from]) {
		fl->isn[!from] = f->ack;
		fl->known[!from] = 1;
	}
}

/* Makes room for one more segment of fl's case, growing its array by
 * doubling from 16; -1 (fl lost) when there is none. */
static int
flow_grow(struct flow *fl)
{
	struct case_result *res = fl->res;
	struct segment *grown;
	size_t n = res->nseg;

	if (n != 0 && (n < 16 || (n & (n - 1)) != 0))
		return 0;			/* room left */
	n = n ? n * 2 : 16;
	if (n > CAP_MAX_SEGS ||
	    (grown = reallocarray(res->seg, n, sizeof(*grown))) == NULL) {
		log_warnx("%s/%s/%d: more than %zu segments: its wire is not "
		    "observed", res->sc != NULL ? res->sc->name : "?",
		    family_name(res->family), res->rep, res->nseg);
		fl->lost = 1;
		return -1;
	}
	res->seg = grown;
	return 0;
}

/* Appends a segment's n header bytes to res->hdr (grown by doubling
 * from 512); their offset in *off. -1 when memory ran out (they are then
 * not kept). */
static int
hdr_keep(struct case_result *res, const uint8_t *p, size_t n, uint32_t *off)
{
	size_t cap = res->hdrcap;
	uint8_t *grown;

	if (p == NULL || n == 0)
		return -1;
	while (cap < res->nhdr + n)
		cap = cap ? cap * 2 : 512;
	if (cap != res->hdrcap) {
		if ((grown = realloc(res->hdr, cap)) == NULL)
			return -1;
		res->hdr = grown;
		res->hdrcap = cap;
	}
	memcpy(res->hdr + res->nhdr, p, n);
	*off = (uint32_t)res->nhdr;
	res->nhdr += n;
	return 0;
}

/* Appends a frame to its flow as a segment with relative numbers. */
static void
flow_append(struct flow *fl, enum side from, const struct frame *f,
    int64_t ts_us, enum seg_mark mark, int64_t held_us)
{
	struct segment *g;

	if (fl->lost || flow_grow(fl) == -1)
		return;
	flow_learn(fl, from, f);
	g = &fl->res->seg[fl->res->nseg++];
	g->t_us = ts_us - fl->res->start_us;
	g->from = from;
	g->pair = fl->pair;
	g->flags = f->flags;
	g->seq = f->seq - fl->isn[from];
	g->ack = f->flags & TCPF_ACK ? f->ack - fl->isn[!from] : 0;
	g->len = f->len;
	g->win = f->win;
	g->mark = mark;
	g->held_us = held_us;
	g->hdr_len = 0;
	if (hdr_keep(fl->res, f->hdr, f->hdrlen, &g->hdr_off) == 0)
		g->hdr_len = f->hdrlen;
}

/* Hands one frame to the case it belongs to, if any. */
void
capture_feed(struct capture *cap, int dlt, const uint8_t *p, size_t caplen,
    int64_t ts_us)
{
	capture_feed_mark(cap, dlt, p, caplen, ts_us, MARK_NONE, -1);
}

/* Hands one relayed packet to its case, with its mark. */
void
capture_feed_mark(struct capture *cap, int dlt, const uint8_t *p,
    size_t caplen, int64_t ts_us, enum seg_mark mark, int64_t held_us)
{
	struct frame f;
	struct flow *fl;
	enum side from;

	if (capture_parse(dlt, p, caplen, &f) == -1)
		return;
	if ((fl = (struct flow *)flowtab_find(&cap->flows, f.af, f.src, f.sport,
	    f.dst, f.dport, &from)) != NULL)
		flow_append(fl, from, &f, ts_us, mark, held_us);
}

/* pcap_dispatch's handler: one frame. */
static void
capture_on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *cap = (struct capture *)user;

	capture_feed(cap, cap->dlt, bytes, h->caplen,
	    (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec);
}

/* Stops observing after a read error: one warning, then nothing. */
static void
capture_fail(struct capture *cap, const char *why)
{
	if (cap->broken)
		return;
	log_warnx("capture on %s failed: %s; the wire of the cases still "
	    "running is not observed", cap->borrowed ? "a veth link's td0" :
	    CAP_DEVICE, why);
	cap->broken = 1;
	if (cap->ev != NULL)
		event_del(cap->ev);
}

/* Reads every frame captured so far. */
static void
capture_drain(struct capture *cap)
{
	struct pcap_stat ps;
	int n;

	if (cap->p == NULL || cap->broken)
		return;
	while ((n = pcap_dispatch(cap->p, -1, capture_on_frame,
	    (u_char *)cap)) > 0)
		;
	if (n < 0) {
		capture_fail(cap, pcap_geterr(cap->p));
		return;
	}
	if (pcap_stats(cap->p, &ps) == 0)
		cap->drops = ps.ps_drop;
}

/* The capture's fd is readable. */
static void
capture_on_read(evutil_socket_t fd, short what, void *arg)
{
	capture_drain(arg);
}

/* Reads what was captured, then unregisters res's connections and sets
 * res->wire: observed only when none of them lost a segment. */
void
capture_remove(struct capture *cap, struct case_result *res)
{
	struct flow *fl, *next;
	int lost = 0;

	if (cap == NULL || res->wire_ctx == NULL)
		return;
	capture_drain(cap);
	for (fl = res->wire_ctx; fl != NULL; fl = next) {
		next = (struct flow *)fl->link.onext;
		if (cap->drops > fl->drops0 && !fl->lost) {
			log_warnx("%s/%s/%d: the capture dropped %llu frames: its "
			    "wire is not observed", res->sc != NULL ? res->sc->name :
			    "?", family_name(res->family), res->rep,
			    (unsigned long long)(cap->drops - fl->drops0));
			fl->lost = 1;
		}
		lost |= fl->lost;
		flowtab_del(&cap->flows, &fl->link);
		free(fl);
	}
	res->wire_ctx = NULL;
	res->wire = lost || cap->broken ? WIRE_NOT_OBSERVED : WIRE_OBSERVED;
}

/* A one-line reason for pcap_activate's error rc on dev. */
static void
activate_error(pcap_t *p, const char *dev, int rc, char *err, size_t len)
{
	if (rc == PCAP_ERROR_PERM_DENIED)
		snprintf(err, len, "no permission to capture on %s (it needs "
		    "CAP_NET_RAW): %s", dev, pcap_geterr(p));
	else if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
		snprintf(err, len, "no device %s in this network namespace", dev);
	else if (rc == PCAP_ERROR)
		snprintf(err, len, "%s: %s", dev, pcap_geterr(p));
	else
		snprintf(err, len, "%s: %s", dev, pcap_statustostr(rc));
}

/* Sets the handle's options and activates it. 0 or -1 (reason in err). */
static int
capture_activate(pcap_t *p, const char *dev, char *err, size_t len)
{
	int rc;

	if (pcap_set_snaplen(p, CAP_SNAPLEN) != 0 ||
	    pcap_set_immediate_mode(p, 1) != 0 ||
	    pcap_set_buffer_size(p, CAP_BUFFER) != 0) {
		snprintf(err, len, "%s: cannot set capture options", dev);
		return -1;
	}
	if ((rc = pcap_activate(p)) < 0) {
		activate_error(p, dev, rc, err, len);
		return -1;
	}
	if (rc > 0)
		log_debug("pcap_activate %s: %s", dev, pcap_statustostr(rc));
	return 0;
}

/* Installs the BPF filter expr and makes the handle non-blocking. */
static int
capture_filter(pcap_t *p, const char *expr, char *err, size_t len)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct bpf_program prog;
	int rc;

	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) == -1) {
		snprintf(err, len, "filter '%s': %s", expr, pcap_geterr(p));
		return -1;
	}
	rc = pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
	if (rc == -1) {
		snprintf(err, len, "filter: %s", pcap_geterr(p));
		return -1;
	}
	if (pcap_setnonblock(p, 1, ebuf) == -1) {
		snprintf(err, len, "non-blocking: %s", ebuf);
		return -1;
	}
	return 0;
}

/* Opens libpcap on dev in the calling thread's namespace. */
struct pcap *
capture_pcap(const char *dev, const char *expr, char *err, size_t len)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	if ((p = pcap_create(dev, ebuf)) == NULL) {
		snprintf(err, len, "%s: %s", dev, ebuf);
		return NULL;
	}
	if (capture_activate(p, dev, err, len) == -1 ||
	    capture_filter(p, expr, err, len) == -1) {
		pcap_close(p);
		return NULL;
	}
	if (!dlt_supported(pcap_datalink(p))) {
		snprintf(err, len, "%s: link type %s is not supported", dev,
		    pcap_datalink_val_to_name(pcap_datalink(p)));
		pcap_close(p);
		return NULL;
	}
	return p;
}

/* Closes a handle from capture_pcap. */
void
capture_pcap_close(struct pcap *p)
{
	pcap_close(p);
}

/* Watches p's fd on base. */
struct capture *
capture_attach(struct event_base *base, struct pcap *p, int borrowed,
    char *err, size_t len)
{
	struct capture *cap;
	int fd;

	if ((cap = capture_new()) == NULL) {
		snprintf(err, len, "out of memory");
		if (!borrowed)
			pcap_close(p);
		return NULL;
	}
	cap->p = p;
	cap->borrowed = borrowed;
	cap->dlt = pcap_datalink(p);
	if ((fd = pcap_get_selectable_fd(p)) == -1 ||
	    (cap->ev = event_new(base, fd, EV_READ | EV_PERSIST,
	    capture_on_read, cap)) == NULL || event_add(cap->ev, NULL) == -1) {
		snprintf(err, len, "cannot watch the capture");
		capture_close(cap);
		return NULL;
	}
	capture_drain(cap);			/* what came before is no case's */
	return cap;
}

/* Opens libpcap on lo, its fd watched on base. */
struct capture *
capture_open(struct event_base *base, char *err, size_t len)
{
	pcap_t *p;

	if ((p = capture_pcap(CAP_DEVICE, CAP_FILTER, err, len)) == NULL)
		return NULL;
	return capture_attach(base, p, 0, err, len);
}

/* Closes the capture; its registered cases are left not observed. */
void
capture_close(struct capture *cap)
{
	struct flow_link *fl, *next;
	size_t i;

	if (cap == NULL)
		return;
	if (cap->ev != NULL)
		event_free(cap->ev);
	if (cap->p != NULL && !cap->borrowed)
		pcap_close(cap->p);
	for (i = 0; i < cap->flows.nbucket; i++)
		for (fl = cap->flows.bucket[i]; fl != NULL; fl = next) {
			next = fl->hnext;
			((struct flow *)fl)->res->wire_ctx = NULL;
			free(fl);
		}
	flowtab_free(&cap->flows);
	free(cap);
}
