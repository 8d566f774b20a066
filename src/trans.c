/* trans.c: state transitions from the tracepoint sock:inet_sock_set_state.
 * The BPF program (src/trans.bpf.c, embedded at build time) is loaded with
 * libbpf once per run and attached to the tracepoint (tp_btf); it keeps
 * only TCP sockets of the run's network namespace, whose cookie
 * (SO_NETNS_COOKIE) is written into it before loading, and writes one
 * record per change into a ring buffer. The ring is read from the
 * runner's event loop and on trans_sync; records go by 4-tuple to the
 * cases registered with trans_add, as the capture's frames do. A socket's
 * first change comes before it has both ports (connect's CLOSE -> SYN_SENT
 * before its local port, an accepted socket's LISTEN -> SYN_RECV before
 * its peer's address): such records are held, and join their case with
 * the socket's next record, matched by socket cookie. Its last change may
 * come after it lost its port (TCP_CLOSE releases it first): a socket
 * once matched is known by its cookie. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <event2/event.h>

#include "log.h"
#include "trans.h"
#include "tuple.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE	71		/* Linux 5.14 */
#endif

#define TRANS_BTF	"/sys/kernel/btf/vmlinux"
#define TRANS_PROG	"on_set_state"	/* in trans.bpf.c */
#define TRANS_HELD	1024		/* records without a 4-tuple kept, at most */
#define TRANS_MAX	4096		/* per case; beyond, its transitions are lost */

/* build/trans_bpf_embed.c: src/trans.bpf.c compiled for the BPF target. */
extern const unsigned char trans_bpf_obj[];
extern const size_t trans_bpf_len;

/* One registered case: its connection and where its transitions go. */
struct flow {
	struct tuple ends;			/* the connection */
	struct case_result *res;		/* transitions are added to res->tr */
	size_t alloc;				/* entries allocated in res->tr */
	int lost;				/* a transition could not be kept */
	uint64_t drops0;			/* the ring's drops when registered */
	uint64_t cookie[2];			/* each end's socket, once seen; 0 before */
};

struct trans {
	struct bpf_object *obj;			/* NULL for trans_new (tests) */
	struct bpf_link *link;			/* the program on the tracepoint */
	struct ring_buffer *rb;			/* its records */
	int drops_fd;				/* the map counting records lost */
	struct event *ev;			/* rb's epoll fd readable */
	int broken;				/* reading failed: nothing is observed */
	uint64_t drops;				/* records lost so far */
	struct flow *flows;			/* registered cases, unordered */
	size_t nflows, alloc;
	struct trans_event *held;		/* [TRANS_HELD]: no 4-tuple yet, oldest first */
	size_t nheld;
};

/* A trans without BPF: records come through trans_feed. */
struct trans *
trans_new(void)
{
	struct trans *tr;

	if ((tr = calloc(1, sizeof(*tr))) == NULL)
		return NULL;
	if ((tr->held = calloc(TRANS_HELD, sizeof(*tr->held))) == NULL) {
		free(tr);
		return NULL;
	}
	tr->drops_fd = -1;
	return tr;
}

/* Registers a case's connection. */
int
trans_add(struct trans *tr, const struct sockaddr *client,
    const struct sockaddr *server, struct case_result *res)
{
	struct flow fl, *grown;
	size_t n;

	memset(&fl, 0, sizeof(fl));
	if (tuple_set(&fl.ends, client, server) == -1)
		return -1;
	fl.res = res;
	fl.drops0 = tr->drops;
	if (tr->nflows == tr->alloc) {
		n = tr->alloc ? tr->alloc * 2 : 64;
		if ((grown = reallocarray(tr->flows, n, sizeof(*grown))) == NULL)
			return -1;
		tr->flows = grown;
		tr->alloc = n;
	}
	tr->flows[tr->nflows++] = fl;
	return 0;
}

/* The flow a record's socket belongs to and which end it is; NULL if none. */
static struct flow *
flow_find(struct trans *tr, const struct trans_event *ev, enum side *end)
{
	size_t i;

	for (i = 0; i < tr->nflows; i++)
		if (tuple_match(&tr->flows[i].ends, ev->family, ev->saddr,
		    ev->sport, ev->daddr, ev->dport, end))
			return &tr->flows[i];
	return NULL;
}

/* A kernel state number as a tcp_state; STATE_UNKNOWN for one it does
 * not know. */
static enum tcp_state
state_of(unsigned n)
{
	return n >= STATE_ESTABLISHED && n <= STATE_BOUND_INACTIVE ?
	    (enum tcp_state)n : STATE_UNKNOWN;
}

/* Makes room for one more transition of fl; -1 (fl lost) when there is
 * none. */
static int
flow_grow(struct flow *fl)
{
	struct case_result *res = fl->res;
	struct transition *grown;
	size_t n;

	if (res->ntrans < fl->alloc)
		return 0;
	n = fl->alloc ? fl->alloc * 2 : 16;
	if (n > TRANS_MAX ||
	    (grown = reallocarray(res->tr, n, sizeof(*grown))) == NULL) {
		log_warnx("%s/%s/%d: more than %zu state transitions: they are "
		    "not observed", res->sc != NULL ? res->sc->name : "?",
		    family_name(res->family), res->rep, fl->alloc);
		fl->lost = 1;
		return -1;
	}
	res->tr = grown;
	fl->alloc = n;
	return 0;
}

/* Adds a record to its flow's transitions, kept in time order. */
static void
flow_append(struct flow *fl, enum side end, const struct trans_event *ev)
{
	struct case_result *res = fl->res;
	struct transition t;
	size_t i;

	if (fl->lost || flow_grow(fl) == -1)
		return;
	t.t_ns = (int64_t)ev->ts_ns - res->mono0_us * 1000;
	t.end = end;
	t.from = state_of(ev->oldstate);
	t.to = state_of(ev->newstate);
	for (i = res->ntrans; i > 0 && res->tr[i - 1].t_ns > t.t_ns; i--)
		res->tr[i] = res->tr[i - 1];
	res->tr[i] = t;
	res->ntrans++;
}

/* Keeps a record whose socket has no 4-tuple yet; the oldest goes when
 * TRANS_HELD are kept (a listener's, which never gets one). */
static void
held_put(struct trans *tr, const struct trans_event *ev)
{
	if (tr->nheld == TRANS_HELD) {
		memmove(tr->held, tr->held + 1, (TRANS_HELD - 1) * sizeof(*ev));
		tr->nheld--;
	}
	tr->held[tr->nheld++] = *ev;
}

/* Hands the held records of a socket (by cookie) to its flow. */
static void
held_take(struct trans *tr, uint64_t cookie, struct flow *fl, enum side end)
{
	size_t i, kept = 0;

	for (i = 0; i < tr->nheld; i++) {
		if (tr->held[i].cookie == cookie)
			flow_append(fl, end, &tr->held[i]);
		else
			tr->held[kept++] = tr->held[i];
	}
	tr->nheld = kept;
}

/* The flow whose end has a socket of this cookie; NULL if none. */
static struct flow *
flow_by_cookie(struct trans *tr, uint64_t cookie, enum side *end)
{
	size_t i;
	int s;

	for (i = 0; i < tr->nflows; i++)
		for (s = SIDE_CLIENT; s <= SIDE_SERVER; s++)
			if (tr->flows[i].cookie[s] == cookie) {
				*end = (enum side)s;
				return &tr->flows[i];
			}
	return NULL;
}

/* Hands one record to the case it belongs to, if any. */
void
trans_feed(struct trans *tr, const struct trans_event *ev)
{
	struct flow *fl;
	enum side end;

	if ((fl = flow_find(tr, ev, &end)) != NULL) {
		fl->cookie[end] = ev->cookie;
		held_take(tr, ev->cookie, fl, end);
		flow_append(fl, end, ev);
	} else if (ev->cookie != 0 &&
	    (fl = flow_by_cookie(tr, ev->cookie, &end)) != NULL) {
		flow_append(fl, end, ev);
	} else if (ev->sport == 0 || ev->dport == 0) {
		held_put(tr, ev);
	}
}

/* ring_buffer__consume's callback: one record. */
static int
trans_on_record(void *ctx, void *data, size_t size)
{
	struct trans_event ev;

	if (size < sizeof(ev))
		return 0;
	memcpy(&ev, data, sizeof(ev));
	trans_feed(ctx, &ev);
	return 0;
}

/* Stops observing after a read error: one warning, then nothing. */
static void
trans_fail(struct trans *tr, const char *why)
{
	if (tr->broken)
		return;
	log_warnx("state transitions: reading the ring buffer failed: %s; "
	    "those of the cases still running are not observed", why);
	tr->broken = 1;
	if (tr->ev != NULL)
		event_del(tr->ev);
}

/* Reads every pending record, then the count of records lost. */
void
trans_sync(struct trans *tr)
{
	uint32_t zero = 0;
	uint64_t n;
	int rc;

	if (tr == NULL || tr->rb == NULL || tr->broken)
		return;
	if ((rc = ring_buffer__consume(tr->rb)) < 0) {
		trans_fail(tr, strerror(-rc));
		return;
	}
	if (bpf_map_lookup_elem(tr->drops_fd, &zero, &n) == 0)
		tr->drops = n;
}

/* The ring buffer's epoll fd is readable. */
static void
trans_on_read(evutil_socket_t fd, short what, void *arg)
{
	trans_sync(arg);
}

/* Reads what is pending, then unregisters res and sets res->trans. */
void
trans_remove(struct trans *tr, struct case_result *res)
{
	struct flow *fl;
	size_t i;

	if (tr == NULL)
		return;
	for (i = 0; i < tr->nflows && tr->flows[i].res != res; i++)
		;
	if (i == tr->nflows)
		return;
	trans_sync(tr);
	fl = &tr->flows[i];
	if (tr->drops > fl->drops0 && !fl->lost) {
		log_warnx("%s/%s/%d: %llu state transitions were lost (the ring "
		    "buffer was full): they are not observed",
		    res->sc != NULL ? res->sc->name : "?", family_name(res->family),
		    res->rep, (unsigned long long)(tr->drops - fl->drops0));
		fl->lost = 1;
	}
	res->trans = fl->lost || tr->broken ? TRANS_NOT_OBSERVED : TRANS_OBSERVED;
	tr->flows[i] = tr->flows[--tr->nflows];
}

/* libbpf's messages, as debug lines (its debug level dropped). */
static int __attribute__((format(printf, 2, 0)))
trans_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("libbpf: %s", line);
	return 0;
}

/* The cookie of the calling thread's network namespace. 0 or -1. */
static int
netns_cookie(uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);
	int fd, rc, saved;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	rc = getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Writes the namespace's cookie into the program's target_netns, its one
 * read-only variable. 0 or -1. */
static int
trans_set_netns(struct bpf_object *obj, uint64_t netns)
{
	struct bpf_map *m;
	const char *name;
	size_t n;

	bpf_object__for_each_map(m, obj) {
		name = bpf_map__name(m);
		n = strlen(name);
		if (n >= 7 && strcmp(name + n - 7, ".rodata") == 0)
			return bpf_map__set_initial_value(m, &netns,
			    sizeof(netns)) == 0 ? 0 : -1;
	}
	return -1;
}

/* Opens the embedded object for this namespace and loads it. 0 or -1. */
static int
trans_load(struct trans *tr, uint64_t netns, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "teardownd");
	int err;

	if ((tr->obj = bpf_object__open_mem(trans_bpf_obj, trans_bpf_len,
	    &opts)) == NULL) {
		snprintf(why, len, "cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	if (trans_set_netns(tr->obj, netns) == -1) {
		snprintf(why, len, "the BPF object has no target_netns");
		return -1;
	}
	if ((err = bpf_object__load(tr->obj)) == 0)
		return 0;
	if (err == -EPERM || err == -EACCES)
		snprintf(why, len, "no permission to load BPF programs (it needs "
		    "CAP_BPF and CAP_PERFMON): %s", strerror(-err));
	else
		snprintf(why, len, "cannot load the BPF program: %s", strerror(-err));
	return -1;
}

/* Attaches the program and watches its ring buffer on base. 0 or -1. */
static int
trans_attach(struct trans *tr, struct event_base *base, char *why, size_t len)
{
	struct bpf_program *prog;
	int fd;

	if ((prog = bpf_object__find_program_by_name(tr->obj, TRANS_PROG)) == NULL ||
	    (tr->link = bpf_program__attach(prog)) == NULL) {
		snprintf(why, len, "cannot attach to sock:inet_sock_set_state: %s",
		    strerror(errno));
		return -1;
	}
	tr->drops_fd = bpf_object__find_map_fd_by_name(tr->obj, "drops");
	fd = bpf_object__find_map_fd_by_name(tr->obj, "events");
	if (tr->drops_fd < 0 || fd < 0 ||
	    (tr->rb = ring_buffer__new(fd, trans_on_record, tr, NULL)) == NULL) {
		snprintf(why, len, "cannot open the ring buffer: %s", strerror(errno));
		return -1;
	}
	if ((tr->ev = event_new(base, ring_buffer__epoll_fd(tr->rb),
	    EV_READ | EV_PERSIST, trans_on_read, tr)) == NULL ||
	    event_add(tr->ev, NULL) == -1) {
		snprintf(why, len, "cannot watch the ring buffer");
		return -1;
	}
	return 0;
}

/* Loads and attaches the program for the calling thread's namespace. */
struct trans *
trans_open(struct event_base *base, char *why, size_t len)
{
	struct trans *tr;
	uint64_t netns;

	if (access(TRANS_BTF, R_OK) == -1) {
		snprintf(why, len, "the kernel has no BTF (%s: %s)", TRANS_BTF,
		    strerror(errno));
		return NULL;
	}
	if (netns_cookie(&netns) == -1) {
		snprintf(why, len, "no network namespace cookie (SO_NETNS_COOKIE: "
		    "%s)", strerror(errno));
		return NULL;
	}
	if ((tr = trans_new()) == NULL) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	libbpf_set_print(trans_libbpf_print);
	if (trans_load(tr, netns, why, len) == -1 ||
	    trans_attach(tr, base, why, len) == -1)
		goto fail;
	return tr;
fail:
	trans_close(tr);
	return NULL;
}

/* Detaches the program and frees everything. */
void
trans_close(struct trans *tr)
{
	if (tr == NULL)
		return;
	if (tr->ev != NULL)
		event_free(tr->ev);
	ring_buffer__free(tr->rb);
	bpf_link__destroy(tr->link);
	bpf_object__close(tr->obj);
	free(tr->flows);
	free(tr->held);
	free(tr);
}
