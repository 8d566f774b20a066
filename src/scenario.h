/* scenario.h: the scenario and step model, and what a case observed.
 * Shared by the catalogue (which builds it), the runner (which executes it),
 * the verdict and the store (which keep what it produced). Plain data only. */
#ifndef TEARDOWND_SCENARIO_H
#define TEARDOWND_SCENARIO_H

#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>

#include "verbs.h"

#define MAX_PAIRS	8			/* clients (client .. client8) in a case */
#define NETKEY_LEN	(16 + MAX_NET_SYSCTLS * 140)
#define ADDR_TEXT_LEN	56			/* "[" INET6_ADDRSTRLEN "]:65535" */
#define END_NAME_LEN	12			/* "listener", "client8" and the NUL */

enum side {
	SIDE_CLIENT = 0,			/* a connecting end */
	SIDE_SERVER = 1,			/* an accepted end */
	SIDE_LISTENER = 2,			/* the listening socket */
	SIDE_RELAY = 3,				/* the relay: its steps act on the wire */
	SIDE_BOTH = 4				/* parse-time only: expanded to both;
						 * for relay rules, either side */
};

/* Where a scenario's ends talk (its link key). */
enum link_kind {
	LINK_LO,				/* loopback, in one namespace */
	LINK_RELAY,				/* two namespaces, teardownd the wire */
	LINK_VETH,				/* two namespaces joined by a veth pair */
	LINK__COUNT
};

#define VERB_ENUM(id, name, f, mn, mx, what, parse, act, doc) VERB_##id,
enum verb {
	VERBS(VERB_ENUM)
	VERB__COUNT
};
#undef VERB_ENUM

enum recv_mode {
	RECV_BYTES,				/* exactly n bytes, or less at EOF/error */
	RECV_ALL,				/* whatever is queued once readable */
	RECV_EOF				/* drain until read returns 0 */
};

enum filter_kind {
	FILTER_NONE,				/* detach any filter */
	FILTER_DROP_ALL,			/* drop every segment */
	FILTER_DROP_FIN,			/* drop segments carrying FIN */
	FILTER_DROP_ACK,			/* drop pure ACKs (no data, no SYN/FIN/RST) */
	FILTER_DROP_RST,			/* drop segments carrying RST */
	FILTER_PASS_FIN,			/* pass only segments carrying FIN */
	FILTER__COUNT
};

/* The fields a step can test (expect/wait info), by name as in struct
 * tcp_snap; INFO_TIMER_MS is sock_diag's timer of an orphan. */
enum info_field {
	INFO_RETRANSMITS, INFO_PROBES, INFO_BACKOFF, INFO_RTO, INFO_UNACKED,
	INFO_LOST, INFO_RETRANS, INFO_TOTAL_RETRANS, INFO_SEGS_IN, INFO_SEGS_OUT,
	INFO_NOTSENT_BYTES, INFO_SND_WND, INFO_RCV_WND, INFO_RQUEUE, INFO_WQUEUE,
	INFO_TIMER_MS,
	INFO__COUNT
};

enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };	/* = != < <= > >= */

/* TCP states as the kernel numbers them (include/net/tcp_states.h), plus
 * STATE_CLOSED_GONE for "the kernel has nothing for this 4-tuple". */
enum tcp_state {
	STATE_UNKNOWN = 0,
	STATE_ESTABLISHED = 1,
	STATE_SYN_SENT,
	STATE_SYN_RECV,
	STATE_FIN_WAIT1,
	STATE_FIN_WAIT2,
	STATE_TIME_WAIT,
	STATE_CLOSE,				/* TCP_CLOSE on an open fd */
	STATE_CLOSE_WAIT,
	STATE_LAST_ACK,
	STATE_LISTEN,
	STATE_CLOSING,
	STATE_NEW_SYN_RECV,
	STATE_BOUND_INACTIVE,
	STATE_CLOSED = 16,			/* nothing found: the end is gone */
	STATE__COUNT
};

/* The arguments of a step, one member per kind of verb (see verbs.h). */
union step_args {
	struct {
		long bytes;			/* send N; 0 with fill */
		int fill;			/* send fill: until EAGAIN */
		int nonblock;			/* one call, MSG_DONTWAIT */
		int64_t within_us;		/* how long it may wait; 0 = default */
	} send;
	struct {
		long bytes;			/* recv N (RECV_BYTES) */
		enum recv_mode mode;
		int nonblock;			/* one call, MSG_DONTWAIT */
		int64_t within_us;		/* 0 = default */
	} recv;
	struct { int how; } shutdown;		/* SHUT_RD, SHUT_WR, SHUT_RDWR */
	struct { int on, secs; } linger;	/* SO_LINGER */
	struct { int secs; } linger2;		/* TCP_LINGER2, -1 aborts */
	struct { int on; } nodelay;		/* TCP_NODELAY */
	struct { int ms; } user_timeout;	/* TCP_USER_TIMEOUT */
	struct { int bytes; } buf;		/* rcvbuf, sndbuf */
	struct { int n; } backlog;		/* listen(2) backlog */
	struct {
		int nonblock;			/* connect, reconnect: return at once */
		int64_t within_us;		/* how long it may wait; 0 = default */
	} conn;					/* connect, reconnect, accept */
	struct { int64_t us; } sleep;
	struct {
		enum side from;			/* SIDE_CLIENT (C>S), SIDE_SERVER, SIDE_BOTH (*) */
		int flags;			/* exact TCPF_* bits; -1 any */
		int count;			/* how many it applies to; 0 all */
		int together;			/* release: one from each side */
		int64_t within_us;		/* release: waits for held segments */
		int64_t delay_us;		/* delay */
		long seq_off, ack_off;		/* inject: from the next expected */
		int win;			/* inject: window field; -1 the sender's */
	} relay;				/* the relay's verbs */
	struct { enum filter_kind kind; } filter;
	struct { enum tcp_state state; int64_t within_us; } wait_state;
	struct { int64_t within_us; } wait_poll;	/* readable, writable, hup */
	struct {
		enum info_field field;
		enum cmp_op op;
		long value;
		int64_t within_us;		/* wait info only */
	} info;					/* wait info, expect info */
	struct { enum tcp_state state; } state;	/* expect state, expect passed */
	struct { int err; } err;		/* expect errno, expect so-error */
	struct { enum cmp_op op; long value; } rc;	/* expect rc */
	struct { int mask; } events;		/* expect events */
	struct { int over; int64_t us; } duration;	/* expect duration */
};

struct step {
	int line;				/* line in the scenario file */
	enum side side;				/* client, server or listener (never both) */
	int pair;				/* client/server pair, 1..MAX_PAIRS; 0 listener */
	enum verb verb;
	char args[64];				/* the arguments as written, normalised */
	int paired;				/* client half of a "both" line: the server half follows */
	union step_args a;			/* the arguments, by verb */
};

#define MAX_SC_SYSCTLS	8			/* sysctl lines of a scenario */
#define MAX_PROFILE_SYSCTLS 12			/* sysctls of a profile */
#define MAX_NET_SYSCTLS	(2 * MAX_SC_SYSCTLS + 2 * MAX_PROFILE_SYSCTLS)
						/* a case's, both ends: its
						 * scenario's and its profile's */

/* A sysctl a scenario sets for one end's namespace (its sysctl key). */
struct sc_sysctl {
	enum side side;				/* SIDE_CLIENT or SIDE_SERVER */
	char name[64];				/* "net.ipv4.tcp_rfc1337" */
	char value[64];				/* "1", "4096 131072 6291456" */
};

/* What a scenario needs of the environment (struct scenario's needs). */
#define NEED_FILTER	0x01			/* socket filters: CAP_NET_ADMIN */
#define NEED_TRANS	0x02			/* state transitions: CAP_BPF */
#define NEED_RELAY	0x04			/* the relay link: TUN, namespaces */

struct scenario {
	char name[64];				/* section name, unique in the catalogue */
	char summary[256];			/* one line for people */
	char ref[128];				/* RFC or document reference, may be empty */
	char wire[512];				/* wire pattern (issue 3), may be empty */
	char file[256];				/* where it was defined */
	int line;				/* line of its [section] header */
	int64_t timeout_us;			/* case deadline; 0 = the configured default */
	enum link_kind link;			/* link = lo | relay */
	int link_set;				/* the link key was given (else the run's default) */
	int mtu;				/* mtu = N on the relay link; 0: 1500 */
	int nsysctl;				/* sysctl = END NAME VALUE lines, and
						 * its profile's (plan.h) */
	struct sc_sysctl *sysctl;		/* malloc'd, sorted by side, then name */
	char *netkey;				/* mtu and sysctls as one line, malloc'd
						 * (at most NETKEY_LEN); NULL none: read
						 * it with scenario_netkey */
	int npairs;				/* client/server pairs: the highest named */
	int listener;				/* the listener is an end: named in a step */
	unsigned step_connect;			/* bit k-1: client k connects in a step */
	unsigned reconnects;			/* bit k-1: client k reconnects */
	unsigned needs;				/* NEED_*: what its cases need here */
	size_t nsteps;
	struct step *steps;			/* malloc'd, owned */
};

/* The fields of struct tcp_snap, as bits of its has mask. */
enum snap_field {
	SNAP_CA_STATE, SNAP_RETRANSMITS, SNAP_PROBES, SNAP_BACKOFF, SNAP_RTO,
	SNAP_UNACKED, SNAP_LOST, SNAP_RETRANS, SNAP_TOTAL_RETRANS, SNAP_SEGS_IN,
	SNAP_SEGS_OUT, SNAP_LAST_DATA_SENT, SNAP_LAST_DATA_RECV,
	SNAP_NOTSENT_BYTES, SNAP_SND_WND, SNAP_RCV_WND, SNAP_RQUEUE, SNAP_WQUEUE,
	SNAP__COUNT
};

/* Whether snapshot s holds field f (enum snap_field). */
#define SNAP_HAS(s, f)	(((s)->has >> (f)) & 1u)

/* What teardownd keeps of an end's counters: a subset of struct tcp_info
 * and the queue lengths. A field whose bit is not in has was not reported
 * (a kernel older than the field, or no tcp_info) and reads 0. */
struct tcp_snap {
	uint32_t has;				/* 1u << SNAP_*: the fields reported */
	uint8_t ca_state, retransmits, probes, backoff;
	uint32_t rto;				/* us */
	uint32_t unacked, lost, retrans, total_retrans;
	uint32_t segs_in, segs_out;
	uint32_t last_data_sent, last_data_recv;	/* ms ago */
	uint32_t notsent_bytes;
	uint32_t snd_wnd, rcv_wnd;		/* since Linux 5.4 and 6.2 */
	uint32_t rqueue;			/* bytes to read; listener: accept queue */
	uint32_t wqueue;			/* bytes unacked or unsent; listener: backlog */
};

enum obs_source {
	OBS_NONE,				/* not observed (never connected) */
	OBS_INFO,				/* TCP_INFO on the open fd */
	OBS_DIAG,				/* NETLINK_SOCK_DIAG found a full socket */
	OBS_DIAG_TW,				/* sock_diag found a TIME_WAIT mini-socket */
	OBS_GONE				/* nothing found: CLOSED */
};

/* The state of one end at one moment. */
struct end_obs {
	enum tcp_state state : 8;
	enum obs_source source : 8;
	unsigned has_info : 1;			/* tcp_info was read (see info.has) */
	unsigned timer : 8;			/* idiag_timer (diag only), else 0 */
	struct tcp_snap info;			/* counters; rqueue/wqueue also without tcp_info */
	uint32_t timer_ms;			/* idiag_expires ms (diag only) */
};

enum step_status {
	STEP_NOT_RUN,				/* the case ended before this step */
	STEP_OK,
	STEP_FAILED,				/* an expectation did not hold */
	STEP_TIMEOUT,				/* a wait or the case deadline ran out */
	STEP_ABANDONED,				/* in progress when the run was abandoned */
	STEP_SKIPPED				/* could not be checked here (not observed) */
};

struct step_result {
	enum step_status status : 8;
	unsigned eof : 1;			/* recv ended at EOF */
	int err : 16;				/* errno of the step, 0 if none */
	int32_t rc;				/* return value; -1 with err on failure
						 * (bytes are at most MAX_BYTES) */
	int32_t t_us;				/* start, from case start (monotonic);
						 * a case lasts at most 600 s */
	int32_t dur_us;				/* how long the step took */
	const struct end_obs *end[2];		/* [SIDE_CLIENT], [SIDE_SERVER] after it,
						 * in the case's obs (read them with
						 * step_obs); NULL: not observed */
};

/* Why a step failed, kept apart from the step results: few steps have
 * one. A case's, in its case_result's notes. */
struct step_note {
	struct step_note *next;
	size_t idx;				/* the step */
	char text[];
};

/* An end not observed (OBS_NONE). */
extern const struct end_obs end_obs_none;

/* End side (SIDE_CLIENT, SIDE_SERVER) after step r; never NULL. */
static inline const struct end_obs *
step_obs(const struct step_result *r, int side)
{
	return r->end[side] != NULL ? r->end[side] : &end_obs_none;
}

/* The observations a case's steps point to, a few to a block (blocks of
 * one size: the allocator reuses them best): steps in a row that saw an
 * end alike share one (a four-way-close keeps 11 of its 28). Owned by the
 * case_result. */
#define OBS_BLOCK	4
struct obs_block {
	struct obs_block *next;
	int n;					/* of o[], used */
	struct end_obs o[OBS_BLOCK];
};

enum verdict {
	VERDICT_PASS,
	VERDICT_FAIL,				/* an expectation did not hold */
	VERDICT_TIMEOUT,			/* the case deadline ran out */
	VERDICT_ERROR,				/* set-up failed: no socket pair */
	VERDICT_ABANDONED,			/* the run was stopped (SIGTERM) first */
	VERDICT_SKIPPED,			/* this environment cannot run it: msg says why */
	VERDICT__COUNT
};

enum family { FAM_IPV4, FAM_IPV6, FAM__COUNT };

/* TCP header flag bits, as in the flags byte (offset 13). */
#define TCPF_FIN	0x01
#define TCPF_SYN	0x02
#define TCPF_RST	0x04
#define TCPF_PSH	0x08
#define TCPF_ACK	0x10
#define TCPF_URG	0x20
#define TCPF_ECE	0x40
#define TCPF_CWR	0x80

/* What the relay did with a segment (MARK_NONE: captured on lo). */
enum seg_mark {
	MARK_NONE,				/* seen by libpcap, not relayed */
	MARK_PASSED,				/* forwarded at once */
	MARK_HELD,				/* held, then delivered by a release */
	MARK_DROPPED,				/* dropped by a rule */
	MARK_UNRELEASED,			/* kept (held, delayed) when the case ended */
	MARK_DUPLICATE,				/* a copy the relay kept, then delivered */
	MARK_DELAYED,				/* delivered after a delay */
	MARK_INJECTED,				/* made by the relay */
	MARK__COUNT
};

/* One TCP segment of a case, as captured on the loopback device, or as
 * the relay delivered it (t_us: when it was delivered, or dropped, or the
 * case ended while it was held). */
struct segment {
	int64_t t_us;				/* from the case's start_us (wall clock) */
	enum side from;				/* SIDE_CLIENT: C>S, SIDE_SERVER: S>C */
	uint8_t flags;				/* TCPF_* */
	uint32_t seq;				/* relative to the sender's ISN */
	uint32_t ack;				/* relative to the receiver's ISN; 0 without ACK */
	uint32_t len;				/* payload bytes */
	uint16_t win;				/* window field as sent (unscaled) */
	int pair;				/* the client/server pair, from 1 */
	enum seg_mark mark;			/* what the relay did with it */
	int64_t held_us;			/* kept by the relay: for how long; else -1 */
	uint32_t hdr_off;			/* its IP and TCP headers: in the result's hdr */
	uint16_t hdr_len;			/* their bytes as seen; 0: not kept */
};

enum wire_status {
	WIRE_NOT_OBSERVED,			/* no capture (no CAP_NET_RAW, or it failed) */
	WIRE_OBSERVED				/* segs holds every segment of the case */
};

enum trans_status {
	TRANS_NOT_OBSERVED,			/* no BPF (CAP_BPF, CAP_PERFMON), or a record lost */
	TRANS_OBSERVED				/* tr holds every state change of both ends */
};

/* A state change of one end, as the tracepoint sock:inet_sock_set_state
 * reported it (src/trans.c). */
struct transition {
	int64_t t_ns;				/* from the case's mono0_us (monotonic), ns */
	enum side end : 8;			/* the end whose state changed */
	unsigned pair : 8;			/* its client/server pair, from 1 */
	enum tcp_state from : 8, to : 8;	/* as the kernel numbers them */
};

struct case_result {
	const struct scenario *sc;		/* borrowed from the catalogue */
	enum family family;
	int rep;				/* repetition, from 0 */
	enum verdict verdict;
	int first_fail;				/* index of the first failing step, -1 */
	char *msg;				/* failure or error text, malloc'd
						 * (case_msg); NULL: none */
	char client_addr[ADDR_TEXT_LEN];	/* "127.0.0.1:40000", "[::1]:40000" */
	char server_addr[ADDR_TEXT_LEN];
	int64_t start_us;			/* CLOCK_REALTIME at start, us */
	int64_t mono0_us;			/* CLOCK_MONOTONIC at start, us: zero of t_us, t_ns */
	int64_t dur_us;
	struct step_result *res;		/* sc->nsteps entries, malloc'd */
	struct obs_block *obs;			/* what res[].end point to, newest first */
	struct step_note *notes;		/* the steps' failure texts, malloc'd */
	enum wire_status wire;			/* whether segs below is the wire */
	size_t nseg;
	struct segment *seg;			/* malloc'd, in capture order */
	const char *sig;			/* its signature (signature.h), shared
						 * (signature_intern); NULL until
						 * verdict_sign */
	char sig_hash[17], steps_hash[17];	/* its hashes, hex; "" with no sig */
	uint8_t *hdr;				/* the segments' headers, malloc'd */
	size_t nhdr, hdrcap;
	void *wire_ctx;				/* the capture's, while registered */
	enum trans_status trans;		/* whether tr below is every state change */
	size_t ntrans;
	struct transition *tr;			/* malloc'd, in time order */
	int trans_lost;				/* a transition could not be kept */
	void *trans_ctx;			/* the trans's, while registered */
	void *relay_ctx;			/* the relay's, while registered */
	enum link_kind link;			/* where it ran: its link, or the run's default */
};

/* Sets cr's message (replacing it); out of memory: none. */
void case_msg(struct case_result *cr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets step idx's note (why it failed), replacing one it had; out of
 * memory: none. */
void step_note(struct case_result *cr, size_t idx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void step_note_v(struct case_result *cr, size_t idx, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));
/* Step idx's note, NULL if it has none. */
const char *step_note_text(const struct case_result *cr, size_t idx);
/* Frees a case's notes. */
void step_notes_free(struct step_note *n);

/* sc's mtu and sysctls as one line, "" when it has none. */
static inline const char *
scenario_netkey(const struct scenario *sc)
{
	return sc->netkey != NULL ? sc->netkey : "";
}

/* cr's message, "" when it has none. */
static inline const char *
case_msg_text(const struct case_result *cr)
{
	return cr->msg != NULL ? cr->msg : "";
}

/* Name tables; each returns "?" for a value out of range. */
const char *side_name(enum side s);
/* The name of an end: "client", "server", "listener", "client2", ... */
const char *end_name(enum side s, int pair, char buf[END_NAME_LEN]);
const char *verb_name(enum verb v);
const char *filter_name(enum filter_kind f);
const char *state_name(enum tcp_state s);
const char *source_name(enum obs_source s);
const char *status_name(enum step_status s);
const char *verdict_name(enum verdict v);
const char *family_name(enum family f);
const char *mark_name(enum seg_mark m);		/* "passed"; NULL for MARK_NONE */
const char *link_name(enum link_kind l);	/* "lo", "relay", "veth" */
/* The link sc's cases run on: its link key, else the run's default. */
enum link_kind scenario_link(const struct scenario *sc, enum link_kind dflt);
/* Whether sc's cases need namespaces of a link of their own: on veth or
 * the relay, or on lo with sysctls (a profile's) or an mtu. */
static inline int
scenario_on_link(const struct scenario *sc, enum link_kind dflt)
{
	return scenario_link(sc, dflt) != LINK_LO || sc->netkey != NULL;
}

const char *info_name(enum info_field f);	/* "total_retrans" */
const char *op_name(enum cmp_op op);		/* ">=" */
/* The value of field f in an observation; -1 when it has none (not
 * reported, or no timer for INFO_TIMER_MS). */
long info_value(const struct end_obs *o, enum info_field f);
/* Whether o has tcp_info but the running kernel's is too short for f. */
int info_unreported(const struct end_obs *o, enum info_field f);
/* Whether a op b holds. */
int op_holds(long a, enum cmp_op op, long b);

/* The verb's VF_* flags (verbs.h). */
int verb_flags(enum verb v);
/* Whether a verb is an expectation (checked, never acts). */
int verb_is_expect(enum verb v);
/* Whether a verb's rc is a poll revents mask. */
int verb_reports_events(enum verb v);
/* The verb's documentation line (verbs.h). */
const char *verb_doc(enum verb v);

/* Lookups by name; return -1 when the name is unknown. */
int state_from_name(const char *name);
int errno_from_name(const char *name);		/* aliases too: EWOULDBLOCK */
const char *errno_name(int err);		/* "ECONNRESET", "0" for none */

/* Poll events as "IN|OUT|RDHUP"; parse returns -1 on an unknown word. */
void events_format(int revents, char *buf, size_t len);
int events_parse(const char *text);

/* TCP flags as tcpdump prints them, in its order F S R P . U E W ('.' is
 * ACK): "S", "S.", "P.", "F.", "R", "SEW"; "none" when no flag is set.
 * TCP_FLAGS_LEN is enough for any byte. */
#define TCP_FLAGS_LEN	10
void tcp_flags_format(uint8_t flags, char *buf, size_t len);

/* Frees a scenario's steps (not the scenario itself). */
void scenario_free(struct scenario *sc);
/* Sets sysctl name of side's namespace (SIDE_CLIENT, SIDE_SERVER) to
 * value, in order, replacing one set already; 0, or -1: no memory. */
int scenario_sysctl_set(struct scenario *sc, enum side side, const char *name,
    const char *value);
/* Makes sc->netkey from its mtu and sysctls; 0, or -1: no memory. */
int scenario_netkey_make(struct scenario *sc);

/* What identifies a run: the machine, the kernel, the configuration,
 * and the sysctls that decide TCP's teardown as they were read. */
struct sysctl_value {
	char name[64];				/* "net.ipv4.tcp_fin_timeout" */
	char value[64];				/* as read, "" if unreadable */
	char scope[8];				/* "host", "global", "netns"; "" unknown */
};

struct run_info {
	char host[256];
	char kernel_release[128];		/* uname -r */
	char kernel_version[256];		/* uname -v */
	char config_hash[32];			/* hex */
	char version[32];			/* teardownd's */
	char families[32];			/* "ipv4 ipv6" */
	char isolation[16];			/* "netns" or "host" ("" = host) */
	char profile[32];			/* its sysctl profile ("default") */
	char link[8];				/* of scenarios without a link key */
	char virt[8];				/* "none", or the guest's: "kvm", "tcg" */
	int repeat;
	int64_t start_us;			/* CLOCK_REALTIME, us */
	size_t nsysctl;
	struct sysctl_value sysctl[32];
};

#endif
