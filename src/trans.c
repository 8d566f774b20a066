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
#include <sys/mman.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <event2/event.h>

#include "flowtab.h"
#include "log.h"
#include "trans.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE	71		/* Linux 5.14 */
#endif

#define TRANS_BTF	"/sys/kernel/btf/vmlinux"
#define TRANS_PROG	"on_set_state"	/* in trans.bpf.c */
#define TRANS_HELD	65536		/* records without a 4-tuple kept, at most */
#define TRANS_MAX	4096		/* per case; beyond, its transitions are lost */
#define TRANS_FIRST	12		/* a case's first room: a pair's ends change
					 * state five times each in most cases */
#define TRANS_KNOWN_BITS 14		/* sockets by cookie: 2^14 chains */
#define TRANS_KNOWN	(1 << TRANS_KNOWN_BITS)
#define TRANS_RETIRED	65536		/* retired sockets remembered */

/* build/trans_bpf_embed.c: src/trans.bpf.c compiled for the BPF target. */
extern const unsigned char trans_bpf_obj[];
extern const size_t trans_bpf_len;

/* One registered connection of a case, and where its changes go. */
struct flow {
	struct flow_link link;			/* first: the table's part */
	int pair;				/* the case's client/server pair */
	struct case_result *res;		/* transitions are added to res->tr */
	uint64_t drops0;			/* the ring's drops when registered */
	uint64_t evicted0;			/* held records evicted then */
	uint64_t cookie[2];			/* each end's socket, once seen; 0 before */
};

/* A socket known by its cookie: its flow and end, or none any more (a
 * flow gone: its late records are not held). */
struct known {
	uint64_t cookie;
	struct flow *fl;			/* NULL: retired */
	enum side end;
	struct known *next;			/* hash chain */
};

/* A record of a socket not yet matched (no 4-tuple yet). */
struct held {
	struct trans_event ev;
	struct held *next;			/* the FIFO, oldest first */
};

struct trans {
	struct bpf_object *obj;			/* NULL for trans_new (tests) */
	struct bpf_link *link;			/* the program on the tracepoint */
	struct ring_buffer *rb;			/* its records */
	int drops_fd;				/* the map counting records lost */
	volatile uint64_t *drops_map;		/* its value, mapped; or NULL */
	struct event *ev;			/* rb's epoll fd readable */
	int broken;				/* reading failed: nothing is observed */
	uint64_t drops;				/* records lost so far */
	struct flowtab flows;			/* registered connections */
	struct known *known[TRANS_KNOWN];	/* sockets by cookie */
	struct known *retired[TRANS_RETIRED];	/* a ring: the oldest goes first */
	size_t nretired;			/* next slot of retired */
	struct held *head, *tail;		/* held records, oldest first */
	size_t nheld;
	uint64_t evicted;			/* held records dropped unmatched */
};

/* A trans without BPF: records come through trans_feed. */
struct trans *
trans_new(void)
{
	struct trans *tr = calloc(1, sizeof(*tr));

	if (tr != NULL)
		tr->drops_fd = -1;
	return tr;
}

/* The chain of cookie c. */
static struct known **
known_chain(struct trans *tr, uint64_t c)
{
	return &tr->known[(c * 0x9e3779b97f4a7c15ULL) >> (64 - TRANS_KNOWN_BITS)];
}

/* The entry of cookie c, or NULL. */
static struct known *
known_find(struct trans *tr, uint64_t c)
{
	struct known *k;

	for (k = *known_chain(tr, c); k != NULL; k = k->next)
		if (k->cookie == c)
			return k;
	return NULL;
}

/* Takes entry k out of its chain and frees it. */
static void
known_drop(struct trans *tr, struct known *k)
{
	struct known **pp = known_chain(tr, k->cookie);

	while (*pp != NULL && *pp != k)
		pp = &(*pp)->next;
	if (*pp == k)
		*pp = k->next;
	free(k);
}

/* Remembers cookie c as fl's end; 0 or -1 (no memory). */
static int
known_put(struct trans *tr, uint64_t c, struct flow *fl, enum side end)
{
	struct known *k = known_find(tr, c), **chain;

	if (k == NULL) {
		if ((k = calloc(1, sizeof(*k))) == NULL)
			return -1;
		chain = known_chain(tr, c);
		k->cookie = c;
		k->next = *chain;
		*chain = k;
	}
	k->fl = fl;
	k->end = end;
	return 0;
}

/* A flow's sockets are gone from it: their late records (the clean-up
 * RST's CLOSE) are dropped, for as long as the last TRANS_RETIRED. */
static void
known_retire(struct trans *tr, uint64_t c)
{
	struct known *k = known_find(tr, c), **slot;

	if (k == NULL)
		return;
	k->fl = NULL;
	slot = &tr->retired[tr->nretired++ % TRANS_RETIRED];
	if (*slot != NULL && *slot != k)
		known_drop(tr, *slot);
	*slot = k;
}

/* Registers one connection of a case (pair k); again is a no-op. */
int
trans_add(struct trans *tr, const struct sockaddr *client,
    const struct sockaddr *server, struct case_result *res, int pair)
{
	struct flow *f;
	int fresh;

	if ((f = (struct flow *)flowtab_register(&tr->flows, client, server,
	    (struct flow_link **)&res->trans_ctx, sizeof(*f), &fresh)) == NULL)
		return -1;
	if (fresh) {
		f->pair = pair;
		f->res = res;
		f->drops0 = tr->drops;
		f->evicted0 = tr->evicted;
	}
	return 0;
}

/* A kernel state number as a tcp_state; STATE_UNKNOWN for one it does
 * not know. */
static enum tcp_state
state_of(unsigned n)
{
	return n >= STATE_ESTABLISHED && n <= STATE_BOUND_INACTIVE ?
	    (enum tcp_state)n : STATE_UNKNOWN;
}

/* Makes room for one more transition of res, growing its array by
 * doubling from TRANS_FIRST. -1 when it cannot (too many, or no memory). */
static int
trans_grow(struct case_result *res)
{
	struct transition *grown;
	size_t n = res->ntrans;

	if (n != 0 && (n % TRANS_FIRST != 0 ||
	    ((n / TRANS_FIRST) & (n / TRANS_FIRST - 1)) != 0))
		return 0;
	n = n ? n * 2 : TRANS_FIRST;
	if (n > TRANS_MAX || (grown = reallocarray(res->tr, n, sizeof(*grown))) == NULL)
		return -1;
	res->tr = grown;
	return 0;
}

/* Adds a record to its flow's case, kept in time order. */
static void
flow_append(struct flow *fl, enum side end, const struct trans_event *ev)
{
	struct case_result *res = fl->res;
	struct transition t;
	size_t i;

	if (res->trans_lost)
		return;
	if (trans_grow(res) == -1) {
		log_warnx("%s/%s/%d: more than %zu state transitions: they are "
		    "not observed", res->sc != NULL ? res->sc->name : "?",
		    family_name(res->family), res->rep, res->ntrans);
		res->trans_lost = 1;
		return;
	}
	t.t_ns = (int64_t)ev->ts_ns - res->mono0_us * 1000;
	t.end = end;
	t.pair = fl->pair;
	t.from = state_of(ev->oldstate);
	t.to = state_of(ev->newstate);
	for (i = res->ntrans; i > 0 && res->tr[i - 1].t_ns > t.t_ns; i--)
		res->tr[i] = res->tr[i - 1];
	res->tr[i] = t;
	res->ntrans++;
}

/* Keeps a record whose socket has no 4-tuple yet; beyond TRANS_HELD the
 * oldest goes, counted (a case that may have lost one is not observed). */
static void
held_put(struct trans *tr, const struct trans_event *ev)
{
	struct held *h;

	if (tr->nheld >= TRANS_HELD && (h = tr->head) != NULL) {
		tr->head = h->next;
		if (tr->head == NULL)
			tr->tail = NULL;
		tr->nheld--;
		tr->evicted++;
		free(h);
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		tr->evicted++;
		return;
	}
	h->ev = *ev;
	if (tr->tail != NULL)
		tr->tail->next = h;
	else
		tr->head = h;
	tr->tail = h;
	tr->nheld++;
}

/* Hands the held records of a socket (by cookie) to its flow. */
static void
held_take(struct trans *tr, uint64_t cookie, struct flow *fl, enum side end)
{
	struct held **pp = &tr->head, *h;

	tr->tail = NULL;
	while ((h = *pp) != NULL) {
		if (h->ev.cookie != cookie) {
			tr->tail = h;
			pp = &h->next;
			continue;
		}
		flow_append(fl, end, &h->ev);
		*pp = h->next;
		tr->nheld--;
		free(h);
	}
}

/* Hands one record to the case it belongs to, if any. */
void
trans_feed(struct trans *tr, const struct trans_event *ev)
{
	struct known *k = ev->cookie != 0 ? known_find(tr, ev->cookie) : NULL;
	struct flow *fl;
	enum side end;

	if (k != NULL) {
		if (k->fl != NULL)
			flow_append(k->fl, k->end, ev);
		return;			/* or a retired socket's: dropped */
	}
	fl = (struct flow *)flowtab_find(&tr->flows, ev->family, ev->saddr,
	    ev->sport, ev->daddr, ev->dport, &end);
	if (fl != NULL) {
		/* A new socket on the flow's 4-tuple (a reconnect): the old one's
		 * later records must not find the flow once it is freed. */
		if (ev->cookie != 0 && fl->cookie[end] != 0 &&
		    fl->cookie[end] != ev->cookie)
			known_retire(tr, fl->cookie[end]);
		if (ev->cookie != 0 && known_put(tr, ev->cookie, fl, end) == 0)
			fl->cookie[end] = ev->cookie;
		held_take(tr, ev->cookie, fl, end);
		flow_append(fl, end, ev);
	} else if (ev->sport == 0 || ev->dport == 0)
		held_put(tr, ev);
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
	if (tr->drops_map != NULL)
		tr->drops = *tr->drops_map;
	else if (bpf_map_lookup_elem(tr->drops_fd, &zero, &n) == 0)
		tr->drops = n;
}

/* The ring buffer's epoll fd is readable. */
static void
trans_on_read(evutil_socket_t fd, short what, void *arg)
{
	trans_sync(arg);
}

/* Whether a flow may have missed a record; says why once. */
static int
flow_lost(struct trans *tr, const struct flow *fl)
{
	const struct case_result *res = fl->res;
	const char *why;

	if (tr->drops > fl->drops0)
		why = "the ring buffer was full";
	else if (tr->evicted > fl->evicted0)
		why = "too many records waited for their 4-tuple";
	else
		return 0;
	log_warnx("%s/%s/%d: state transitions were lost (%s): they are not "
	    "observed", res->sc != NULL ? res->sc->name : "?",
	    family_name(res->family), res->rep, why);
	return 1;
}

/* Reads what is pending, then unregisters every connection of res and
 * sets res->trans. */
void
trans_remove(struct trans *tr, struct case_result *res)
{
	struct flow *fl, *next;
	int lost = 0, s;

	if (tr == NULL || res->trans_ctx == NULL)
		return;
	trans_sync(tr);
	for (fl = res->trans_ctx; fl != NULL; fl = next) {
		next = (struct flow *)fl->link.onext;
		lost |= !lost && flow_lost(tr, fl);
		for (s = SIDE_CLIENT; s <= SIDE_SERVER; s++)
			if (fl->cookie[s] != 0)
				known_retire(tr, fl->cookie[s]);
		flowtab_del(&tr->flows, &fl->link);
		free(fl);
	}
	res->trans_ctx = NULL;
	res->trans = lost || res->trans_lost || tr->broken ?
	    TRANS_NOT_OBSERVED : TRANS_OBSERVED;
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

/* Puts the namespaces' cookies in the program's map netns. 0, or -1 with
 * why. */
static int
trans_set_netns(struct trans *tr, const uint64_t *netns, size_t n, char *why,
    size_t len)
{
	int fd = bpf_object__find_map_fd_by_name(tr->obj, "netns");
	uint8_t one = 1;
	size_t i;

	for (i = 0; fd >= 0 && i < n; i++)
		if (bpf_map_update_elem(fd, &netns[i], &one, BPF_ANY) != 0) {
			snprintf(why, len, "cannot observe a namespace: %s",
			    strerror(errno));
			return -1;
		}
	if (fd >= 0)
		return 0;
	snprintf(why, len, "the BPF object has no map netns");
	return -1;
}

/* Opens the embedded object for this namespace and loads it. 0 or -1. */
static int
trans_load(struct trans *tr, const uint64_t *netns, size_t n, char *why,
    size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "teardownd");
	int err;

	if ((tr->obj = bpf_object__open_mem(trans_bpf_obj, trans_bpf_len,
	    &opts)) == NULL) {
		snprintf(why, len, "cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	if ((err = bpf_object__load(tr->obj)) == 0)
		return trans_set_netns(tr, netns, n, why, len);
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
	void *map;
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
	/* The count of lost records, read at every sync: mapped, it costs
	 * no system call (else bpf_map_lookup_elem, one each time). */
	if ((map = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ,
	    MAP_SHARED, tr->drops_fd, 0)) != MAP_FAILED)
		tr->drops_map = map;
	if ((tr->ev = event_new(base, ring_buffer__epoll_fd(tr->rb),
	    EV_READ | EV_PERSIST, trans_on_read, tr)) == NULL ||
	    event_add(tr->ev, NULL) == -1) {
		snprintf(why, len, "cannot watch the ring buffer");
		return -1;
	}
	return 0;
}

/* Loads and attaches the program for the calling thread's namespace and
 * the extra ones. */
struct trans *
trans_open(struct event_base *base, const uint64_t *extra, size_t nextra,
    char *why, size_t len)
{
	uint64_t netns[TRANS_NETNS] = { 0 };
	struct trans *tr;
	size_t i, n = 1;

	if (access(TRANS_BTF, R_OK) == -1) {
		snprintf(why, len, "the kernel has no BTF (%s: %s)", TRANS_BTF,
		    strerror(errno));
		return NULL;
	}
	for (i = 0; i < nextra && n < TRANS_NETNS; i++)
		netns[n++] = extra[i];
	if (netns_cookie(&netns[0]) == -1) {
		snprintf(why, len, "no network namespace cookie (SO_NETNS_COOKIE: "
		    "%s)", strerror(errno));
		return NULL;
	}
	if ((tr = trans_new()) == NULL) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	libbpf_set_print(trans_libbpf_print);
	if (trans_load(tr, netns, n, why, len) == -1 ||
	    trans_attach(tr, base, why, len) == -1)
		goto fail;
	return tr;
fail:
	trans_close(tr);
	return NULL;
}

/* Frees every flow, known socket and held record. */
static void
trans_free_all(struct trans *tr)
{
	struct flow_link *fl, *next;
	struct known *k, *kn;
	struct held *h;
	size_t i;

	for (i = 0; i < tr->flows.nbucket; i++)
		for (fl = tr->flows.bucket[i]; fl != NULL; fl = next) {
			next = fl->hnext;
			((struct flow *)fl)->res->trans_ctx = NULL;
			free(fl);
		}
	flowtab_free(&tr->flows);
	for (i = 0; i < TRANS_KNOWN; i++)
		for (k = tr->known[i]; k != NULL; k = kn) {
			kn = k->next;
			free(k);
		}
	while ((h = tr->head) != NULL) {
		tr->head = h->next;
		free(h);
	}
}

/* Detaches the program and frees everything. */
void
trans_close(struct trans *tr)
{
	if (tr == NULL)
		return;
	if (tr->ev != NULL)
		event_free(tr->ev);
	if (tr->drops_map != NULL)
		munmap((void *)tr->drops_map, (size_t)sysconf(_SC_PAGESIZE));
	ring_buffer__free(tr->rb);
	bpf_link__destroy(tr->link);
	bpf_object__close(tr->obj);
	trans_free_all(tr);
	free(tr);
}
