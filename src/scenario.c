/* scenario.c: name tables for the shared model, so what a case saw is
 * stored and printed as words ("FIN_WAIT1", "ECONNRESET"), never numbers. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scenario.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const side_names[] = {
	[SIDE_CLIENT] = "client", [SIDE_SERVER] = "server",
	[SIDE_LISTENER] = "listener", [SIDE_RELAY] = "relay",
	[SIDE_BOTH] = "both",
};

/* Each verb's name ("send", "wait state"), flags and documentation line. */
#define VERB_ROW(id, name, f, mn, mx, what, parse, act, doc) \
	[VERB_##id] = { name, f, doc },
static const struct {
	const char *name;
	int flags;
	const char *doc;
} verb_table[] = {
	VERBS(VERB_ROW)
};
#undef VERB_ROW

static const char *const info_names[] = {
	[INFO_RETRANSMITS] = "retransmits", [INFO_PROBES] = "probes",
	[INFO_BACKOFF] = "backoff", [INFO_RTO] = "rto", [INFO_UNACKED] = "unacked",
	[INFO_LOST] = "lost", [INFO_RETRANS] = "retrans",
	[INFO_TOTAL_RETRANS] = "total_retrans", [INFO_SEGS_IN] = "segs_in",
	[INFO_SEGS_OUT] = "segs_out", [INFO_NOTSENT_BYTES] = "notsent_bytes",
	[INFO_SND_WND] = "snd_wnd", [INFO_RCV_WND] = "rcv_wnd",
	[INFO_RQUEUE] = "rqueue", [INFO_WQUEUE] = "wqueue",
	[INFO_TIMER_MS] = "timer_ms",
};

static const char *const op_names[] = {
	[OP_EQ] = "=", [OP_NE] = "!=", [OP_LT] = "<", [OP_LE] = "<=",
	[OP_GT] = ">", [OP_GE] = ">=",
};

static const char *const filter_names[] = {
	[FILTER_NONE] = "none", [FILTER_DROP_ALL] = "drop all",
	[FILTER_DROP_FIN] = "drop fin", [FILTER_DROP_ACK] = "drop ack",
	[FILTER_DROP_RST] = "drop rst", [FILTER_PASS_FIN] = "pass fin",
};

static const char *const state_names[] = {
	[STATE_UNKNOWN] = "UNKNOWN", [STATE_ESTABLISHED] = "ESTABLISHED",
	[STATE_SYN_SENT] = "SYN_SENT", [STATE_SYN_RECV] = "SYN_RECV",
	[STATE_FIN_WAIT1] = "FIN_WAIT1", [STATE_FIN_WAIT2] = "FIN_WAIT2",
	[STATE_TIME_WAIT] = "TIME_WAIT", [STATE_CLOSE] = "CLOSE",
	[STATE_CLOSE_WAIT] = "CLOSE_WAIT", [STATE_LAST_ACK] = "LAST_ACK",
	[STATE_LISTEN] = "LISTEN", [STATE_CLOSING] = "CLOSING",
	[STATE_NEW_SYN_RECV] = "NEW_SYN_RECV",
	[STATE_BOUND_INACTIVE] = "BOUND_INACTIVE", [STATE_CLOSED] = "CLOSED",
};

static const char *const source_names[] = {
	[OBS_NONE] = "none", [OBS_INFO] = "tcp_info", [OBS_DIAG] = "sock_diag",
	[OBS_DIAG_TW] = "sock_diag_tw", [OBS_GONE] = "gone",
};

static const char *const status_names[] = {
	[STEP_NOT_RUN] = "not_run", [STEP_OK] = "ok", [STEP_FAILED] = "failed",
	[STEP_TIMEOUT] = "timeout", [STEP_ABANDONED] = "abandoned",
	[STEP_SKIPPED] = "skipped",
};

static const char *const verdict_names[] = {
	[VERDICT_PASS] = "pass", [VERDICT_FAIL] = "fail",
	[VERDICT_TIMEOUT] = "timeout", [VERDICT_ERROR] = "error",
	[VERDICT_ABANDONED] = "abandoned", [VERDICT_SKIPPED] = "skipped",
};

static const char *const family_names[] = {
	[FAM_IPV4] = "ipv4", [FAM_IPV6] = "ipv6",
};

/* The errno values a teardown can produce, by name. */
static const struct { int err; const char *name; } errno_table[] = {
	{ EPIPE, "EPIPE" }, { ECONNRESET, "ECONNRESET" },
	{ ECONNREFUSED, "ECONNREFUSED" }, { ECONNABORTED, "ECONNABORTED" },
	{ ETIMEDOUT, "ETIMEDOUT" }, { ENOTCONN, "ENOTCONN" },
	{ EAGAIN, "EAGAIN" }, { EINTR, "EINTR" }, { EBADF, "EBADF" },
	{ EINVAL, "EINVAL" }, { EINPROGRESS, "EINPROGRESS" },
	{ EALREADY, "EALREADY" }, { EISCONN, "EISCONN" },
	{ EHOSTUNREACH, "EHOSTUNREACH" }, { ENETUNREACH, "ENETUNREACH" },
	{ EADDRINUSE, "EADDRINUSE" }, { EADDRNOTAVAIL, "EADDRNOTAVAIL" },
	{ ENOBUFS, "ENOBUFS" }, { ENOMEM, "ENOMEM" }, { EMSGSIZE, "EMSGSIZE" },
	{ ENOPROTOOPT, "ENOPROTOOPT" }, { EOPNOTSUPP, "EOPNOTSUPP" },
	{ EPERM, "EPERM" }, { EACCES, "EACCES" }, { EMFILE, "EMFILE" },
	{ ENFILE, "ENFILE" }, { ENOENT, "ENOENT" }, { EIO, "EIO" },
	{ EDEADLK, "EDEADLK" }, { EPROTO, "EPROTO" },
};

/* Poll event bits by name. */
static const struct { int bit; const char *name; } event_table[] = {
	{ POLLIN, "IN" }, { POLLPRI, "PRI" }, { POLLOUT, "OUT" },
	{ POLLERR, "ERR" }, { POLLHUP, "HUP" }, { POLLNVAL, "NVAL" },
	{ POLLRDNORM, "RDNORM" }, { POLLRDBAND, "RDBAND" },
	{ POLLWRNORM, "WRNORM" }, { POLLWRBAND, "WRBAND" },
	{ POLLMSG, "MSG" }, { POLLRDHUP, "RDHUP" },
};

/* Returns names[i] or "?" when i is out of range or unnamed. */
static const char *
table_name(const char *const *names, size_t n, int i)
{
	if (i < 0 || (size_t)i >= n || names[i] == NULL)
		return "?";
	return names[i];
}

const char *side_name(enum side s) { return table_name(side_names, NITEMS(side_names), s); }
const char *filter_name(enum filter_kind f) { return table_name(filter_names, NITEMS(filter_names), f); }
const struct end_obs end_obs_none = { .state = STATE_UNKNOWN, .source = OBS_NONE };

void
step_note_v(struct case_result *cr, size_t idx, const char *fmt, va_list ap)
{
	struct step_note *n, **p;
	va_list aq;
	int len;

	for (p = &cr->notes; *p != NULL; p = &(*p)->next)
		if ((*p)->idx == idx) {
			n = *p;
			*p = n->next;
			free(n);
			break;
		}
	va_copy(aq, ap);
	len = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (len < 0 || (n = malloc(sizeof(*n) + (size_t)len + 1)) == NULL)
		return;
	vsnprintf(n->text, (size_t)len + 1, fmt, ap);
	n->idx = idx;
	n->next = cr->notes;
	cr->notes = n;
}

void
step_note(struct case_result *cr, size_t idx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	step_note_v(cr, idx, fmt, ap);
	va_end(ap);
}

const char *
step_note_text(const struct case_result *cr, size_t idx)
{
	const struct step_note *n;

	for (n = cr->notes; n != NULL; n = n->next)
		if (n->idx == idx)
			return n->text;
	return NULL;
}

void
step_notes_free(struct step_note *n)
{
	struct step_note *next;

	for (; n != NULL; n = next) {
		next = n->next;
		free(n);
	}
}

void
case_msg(struct case_result *cr, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) == -1)
		m = NULL;
	va_end(ap);
	free(cr->msg);
	cr->msg = m;
}

const char *state_name(enum tcp_state s) { return table_name(state_names, NITEMS(state_names), s); }
const char *source_name(enum obs_source s) { return table_name(source_names, NITEMS(source_names), s); }
const char *status_name(enum step_status s) { return table_name(status_names, NITEMS(status_names), s); }
const char *verdict_name(enum verdict v) { return table_name(verdict_names, NITEMS(verdict_names), v); }
const char *info_name(enum info_field f) { return table_name(info_names, NITEMS(info_names), f); }
const char *op_name(enum cmp_op op) { return table_name(op_names, NITEMS(op_names), op); }
const char *family_name(enum family f) { return table_name(family_names, NITEMS(family_names), f); }

/* The snapshot field behind each info field; -1 for INFO_TIMER_MS. */
static const int info_snap[INFO__COUNT] = {
	[INFO_RETRANSMITS] = SNAP_RETRANSMITS, [INFO_PROBES] = SNAP_PROBES,
	[INFO_BACKOFF] = SNAP_BACKOFF, [INFO_RTO] = SNAP_RTO,
	[INFO_UNACKED] = SNAP_UNACKED, [INFO_LOST] = SNAP_LOST,
	[INFO_RETRANS] = SNAP_RETRANS, [INFO_TOTAL_RETRANS] = SNAP_TOTAL_RETRANS,
	[INFO_SEGS_IN] = SNAP_SEGS_IN, [INFO_SEGS_OUT] = SNAP_SEGS_OUT,
	[INFO_NOTSENT_BYTES] = SNAP_NOTSENT_BYTES, [INFO_SND_WND] = SNAP_SND_WND,
	[INFO_RCV_WND] = SNAP_RCV_WND, [INFO_RQUEUE] = SNAP_RQUEUE,
	[INFO_WQUEUE] = SNAP_WQUEUE, [INFO_TIMER_MS] = -1,
};

/* What the relay did with a segment, as stored; NULL for none. */
const char *
mark_name(enum seg_mark m)
{
	static const char *const names[] = {
		[MARK_PASSED] = "passed", [MARK_HELD] = "held",
		[MARK_DROPPED] = "dropped", [MARK_UNRELEASED] = "unreleased",
		[MARK_DUPLICATE] = "duplicate", [MARK_DELAYED] = "delayed",
		[MARK_INJECTED] = "injected",
	};

	return (unsigned)m < NITEMS(names) ? names[m] : NULL;
}

/* A link's name, as the link key writes it. */
const char *
link_name(enum link_kind l)
{
	static const char *const names[] = {
		[LINK_LO] = "lo", [LINK_RELAY] = "relay", [LINK_VETH] = "veth",
	};

	return table_name(names, NITEMS(names), l);
}

/* The link sc's cases run on. */
enum link_kind
scenario_link(const struct scenario *sc, enum link_kind dflt)
{
	return sc->link_set ? sc->link : dflt;
}

/* The value of field f in o; -1 when o has none. */
long
info_value(const struct end_obs *o, enum info_field f)
{
	const struct tcp_snap *t = &o->info;

	if (f == INFO_TIMER_MS)
		return o->source == OBS_DIAG || o->source == OBS_DIAG_TW ?
		    (long)o->timer_ms : -1;
	if ((unsigned)f >= INFO__COUNT || !SNAP_HAS(t, info_snap[f]))
		return -1;
	switch (f) {
	case INFO_RETRANSMITS: return t->retransmits;
	case INFO_PROBES: return t->probes;
	case INFO_BACKOFF: return t->backoff;
	case INFO_RTO: return (long)t->rto;
	case INFO_UNACKED: return (long)t->unacked;
	case INFO_LOST: return (long)t->lost;
	case INFO_RETRANS: return (long)t->retrans;
	case INFO_TOTAL_RETRANS: return (long)t->total_retrans;
	case INFO_SEGS_IN: return (long)t->segs_in;
	case INFO_SEGS_OUT: return (long)t->segs_out;
	case INFO_NOTSENT_BYTES: return (long)t->notsent_bytes;
	case INFO_SND_WND: return (long)t->snd_wnd;
	case INFO_RCV_WND: return (long)t->rcv_wnd;
	case INFO_RQUEUE: return (long)t->rqueue;
	case INFO_WQUEUE: return (long)t->wqueue;
	default: return -1;
	}
}

/* Whether o has tcp_info but the running kernel's is too short for f
 * (rqueue and wqueue do not come from tcp_info). */
int
info_unreported(const struct end_obs *o, enum info_field f)
{
	if (!o->has_info || (unsigned)f >= INFO__COUNT || f == INFO_TIMER_MS ||
	    f == INFO_RQUEUE || f == INFO_WQUEUE)
		return 0;
	return !SNAP_HAS(&o->info, info_snap[f]);
}

/* Whether a op b holds. */
int
op_holds(long a, enum cmp_op op, long b)
{
	switch (op) {
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_GT: return a > b;
	default: return a >= b;
	}
}

/* The verb's name: "send", "wait state"; "?" out of range. */
const char *
verb_name(enum verb v)
{
	return (unsigned)v < VERB__COUNT ? verb_table[v].name : "?";
}

/* The verb's VF_* flags; 0 out of range. */
int
verb_flags(enum verb v)
{
	return (unsigned)v < VERB__COUNT ? verb_table[v].flags : 0;
}

/* The verb's documentation line; "" out of range. */
const char *
verb_doc(enum verb v)
{
	return (unsigned)v < VERB__COUNT ? verb_table[v].doc : "";
}

/* Whether a verb is an expectation: checked, never acts. */
int
verb_is_expect(enum verb v)
{
	return (verb_flags(v) & VF_EXPECT) != 0;
}

/* Whether a verb's rc is a poll revents mask. */
int
verb_reports_events(enum verb v)
{
	return (verb_flags(v) & VF_EVENTS) != 0;
}

/* The name of an end: the side's name, with the pair's number past 1
 * (then written in buf). */
const char *
end_name(enum side s, int pair, char buf[END_NAME_LEN])
{
	if (s == SIDE_LISTENER || pair <= 1)
		return side_name(s);
	snprintf(buf, END_NAME_LEN, "%s%d", side_name(s), pair);
	return buf;
}

/* The state named name (as state_name prints it), or -1. */
int
state_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < NITEMS(state_names); i++)
		if (state_names[i] != NULL && strcmp(state_names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Other names of errno values, as <errno.h> defines them on Linux. */
static const struct { int err; const char *name; } errno_aliases[] = {
	{ EWOULDBLOCK, "EWOULDBLOCK" }, { EOPNOTSUPP, "ENOTSUP" },
	{ EDEADLK, "EDEADLOCK" },
};

/* The errno named name ("ECONNRESET"; "none" or "0" is 0; an alias such
 * as EWOULDBLOCK is its canonical value), or -1. */
int
errno_from_name(const char *name)
{
	size_t i;

	if (strcmp(name, "none") == 0 || strcmp(name, "0") == 0)
		return 0;
	for (i = 0; i < NITEMS(errno_aliases); i++)
		if (strcmp(errno_aliases[i].name, name) == 0)
			return errno_aliases[i].err;
	for (i = 0; i < NITEMS(errno_table); i++)
		if (strcmp(errno_table[i].name, name) == 0)
			return errno_table[i].err;
	return -1;
}

/* The name of err; "0" for none, "E<number>" for one not in the table. */
const char *
errno_name(int err)
{
	static __thread char buf[16];
	size_t i;

	if (err == 0)
		return "0";
	for (i = 0; i < NITEMS(errno_table); i++)
		if (errno_table[i].err == err)
			return errno_table[i].name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

/* Writes revents as "IN|OUT|RDHUP" ("0" when empty). */
void
events_format(int revents, char *buf, size_t len)
{
	size_t i, off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < NITEMS(event_table); i++) {
		if (!(revents & event_table[i].bit))
			continue;
		/* RDNORM/WRNORM duplicate IN/OUT on Linux; keep them out. */
		if (event_table[i].bit == POLLRDNORM || event_table[i].bit == POLLWRNORM)
			continue;
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
		    off ? "|" : "", event_table[i].name);
	}
	if (off == 0)
		snprintf(buf, len, "0");
}

/* Parses "IN|OUT|RDHUP" into a mask; -1 when a word is unknown. */
int
events_parse(const char *text)
{
	char word[16];
	const char *p = text;
	int mask = 0;
	size_t i, n;

	while (*p != '\0') {
		n = strcspn(p, "|");
		if (n == 0 || n >= sizeof(word))
			return -1;
		memcpy(word, p, n);
		word[n] = '\0';
		for (i = 0; i < NITEMS(event_table); i++)
			if (strcasecmp(word, event_table[i].name) == 0)
				break;
		if (i == NITEMS(event_table))
			return -1;
		mask |= event_table[i].bit;
		p += n;
		if (*p == '|')
			p++;
	}
	return mask;
}

/* Writes flags as tcpdump's letters, in tcpdump's order; "none" if none. */
void
tcp_flags_format(uint8_t flags, char *buf, size_t len)
{
	static const struct { uint8_t bit; char letter; } letters[] = {
		{ TCPF_FIN, 'F' }, { TCPF_SYN, 'S' }, { TCPF_RST, 'R' },
		{ TCPF_PSH, 'P' }, { TCPF_ACK, '.' }, { TCPF_URG, 'U' },
		{ TCPF_ECE, 'E' }, { TCPF_CWR, 'W' },
	};
	size_t i, n = 0;

	if (len == 0)
		return;
	for (i = 0; i < NITEMS(letters) && n + 1 < len; i++)
		if (flags & letters[i].bit)
			buf[n++] = letters[i].letter;
	buf[n] = '\0';
	if (flags == 0)
		snprintf(buf, len, "none");
}

/* Sets sysctl name of side's namespace to value, keeping the order (side,
 * then name); replaces the value of one set already. 0, or -1: no memory. */
int
scenario_sysctl_set(struct scenario *sc, enum side side, const char *name,
    const char *value)
{
	struct sc_sysctl *y;
	int i;

	for (i = 0; i < sc->nsysctl; i++)
		if (sc->sysctl[i].side == side &&
		    strcmp(sc->sysctl[i].name, name) == 0) {
			snprintf(sc->sysctl[i].value, sizeof(y->value), "%s", value);
			return 0;
		}
	if ((y = realloc(sc->sysctl, (size_t)(sc->nsysctl + 1) * sizeof(*y))) == NULL)
		return -1;
	sc->sysctl = y;
	for (i = sc->nsysctl; i > 0 && (y[i - 1].side > side ||
	    (y[i - 1].side == side && strcmp(y[i - 1].name, name) > 0)); i--)
		y[i] = y[i - 1];
	y[i].side = side;
	snprintf(y[i].name, sizeof(y[i].name), "%s", name);
	snprintf(y[i].value, sizeof(y[i].value), "%s", value);
	sc->nsysctl++;
	return 0;
}

/* The scenario's MTU and sysctls as one line, its namespaces' key; -1:
 * no memory. */
int
scenario_netkey_make(struct scenario *sc)
{
	char key[NETKEY_LEN] = "";
	size_t off = 0;
	int i;

	if (sc->mtu > 0)
		off = (size_t)snprintf(key, sizeof(key), "mtu %d", sc->mtu);
	for (i = 0; i < sc->nsysctl && off < sizeof(key); i++)
		off += (size_t)snprintf(key + off, sizeof(key) - off,
		    "%s%s %s=%s", off > 0 ? "; " : "", side_name(sc->sysctl[i].side),
		    sc->sysctl[i].name, sc->sysctl[i].value);
	free(sc->netkey);
	sc->netkey = key[0] != '\0' ? strdup(key) : NULL;
	return key[0] == '\0' || sc->netkey != NULL ? 0 : -1;
}

/* Frees a scenario's steps (not the scenario itself). */
void
scenario_free(struct scenario *sc)
{
	free(sc->steps);
	sc->steps = NULL;
	free(sc->sysctl);
	sc->sysctl = NULL;
	sc->nsysctl = 0;
	free(sc->netkey);
	sc->netkey = NULL;
	sc->nsteps = 0;
}
