/* runner.c: one libevent loop running many cases at once. The plan is
 * walked in order (repetition, scenario, family); up to `concurrency`
 * cases are in flight, as many as the open-file limit allows; finished
 * cases go to the batch callback in groups. The runner owns what its
 * cases share: the sock_diag probe, the capture, the worker pool. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "capture.h"
#include "case.h"
#include "fault.h"
#include "link.h"
#include "log.h"
#include "probe.h"
#include "relay.h"
#include "runner.h"
#include "trans.h"
#include "worker.h"
#include "sysctl.h"

#define BATCH		8		/* finished cases handed out together */
#define FILL_CHUNK	32		/* cases started in one turn of the loop */
#define FD_RESERVE	64		/* open files kept for all but sockets */
#define DEFAULT_CONC	256		/* cases at once when not asked */
#define WORKERS_MAX	4096		/* threads for blocking calls, at most: one a
					   case in flight (each has at most one job) */

struct runner {
	struct runner_plan plan;
	struct case_env env;			/* what the cases share */
	int fd_budget;				/* sockets the cases may hold at once */
	size_t next;				/* next plan index to start */
	size_t total;				/* plan size */
	int abandoned;				/* no more starts */
	size_t *order;				/* [nsc]: scenarios by wait bound,
						 * when all cases run at once */
	struct tcase **running;			/* [concurrency]: in flight */
	int inflight;
	struct tcase **pending;			/* finished, not yet handed out */
	size_t npending, apending;
	struct run_counts counts;
	struct event *ev_kick;			/* deferred start/finish */
	runner_batch_fn batch;
	runner_done_fn done;
	void *ctx;
};

static void runner_fill(struct runner *rn);

/* Open files of this process now. */
static int
fds_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return 16;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n > 3 ? n - 3 : n;		/* ., .. and the DIR's own */
}

/* The plan's largest case, in sockets. */
static int
plan_fds_max(const struct runner_plan *p)
{
	int m = 3, f;
	size_t i;

	for (i = 0; i < p->nsc; i++)
		if ((f = case_fds(p->sc[i])) > m)
			m = f;
	return m;
}

/* Raises the soft open-file limit towards the hard one when want files
 * are more than it allows; returns the soft limit then in force. */
static long
nofile_raise(long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 1024;
	if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)want > rl.rlim_cur &&
	    rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && (rlim_t)want >
		    rl.rlim_max ? rl.rlim_max : (rlim_t)want;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("cannot raise the open-file limit to %ld",
			    (long)rl.rlim_cur);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}

/* Sets the run's concurrency and socket budget: what the plan asks (0:
 * DEFAULT_CONC), as far as the open-file limit allows (raised to the hard
 * limit when needed); one warning when it allows less than asked. */
static void
runner_size(struct runner *rn)
{
	int asked = rn->plan.concurrency, fmax = plan_fds_max(&rn->plan);
	long want = (long)(asked > 0 ? asked : DEFAULT_CONC) * fmax +
	    FD_RESERVE + fds_open(), limit = nofile_raise(want), fit;

	rn->fd_budget = (int)(limit - FD_RESERVE - fds_open());
	if (rn->fd_budget < fmax)
		rn->fd_budget = fmax;
	fit = rn->fd_budget / 2;		/* a pair at least */
	if (asked <= 0)
		rn->plan.concurrency = (int)(fit < DEFAULT_CONC ? fit : DEFAULT_CONC);
	else if (asked > fit) {
		log_warnx("concurrency %d: the open-file limit (%ld) allows %ld "
		    "cases at once (2 sockets each); using %ld", asked, limit,
		    fit, fit);
		rn->plan.concurrency = (int)fit;
	}
	if ((size_t)rn->plan.concurrency > rn->total && rn->total > 0)
		rn->plan.concurrency = (int)rn->total;
}

/* The cases the run keeps in flight at most. */
int
runner_concurrency(const struct runner *rn)
{
	return rn->plan.concurrency;
}

/* Families in the plan, in order. */
static int
plan_families(const struct runner_plan *p, enum family *fam)
{
	int n = 0;

	if (p->families & (1u << FAM_IPV4))
		fam[n++] = FAM_IPV4;
	if (p->families & (1u << FAM_IPV6))
		fam[n++] = FAM_IPV6;
	return n;
}

/* Hands the pending finished cases' results to the batch callback, which
 * owns them from then on; the cases themselves are freed. */
static void
runner_flush(struct runner *rn)
{
	struct case_result **res;
	struct tcase **tcs = rn->pending;
	size_t i, k = 0, n = rn->npending;

	if (n == 0)
		return;
	/* Taken off the queue first: abandoning re-fills it. */
	rn->pending = NULL;
	rn->npending = rn->apending = 0;
	if ((res = calloc(n, sizeof(*res))) == NULL)
		log_warnx("out of memory handing out %zu cases", n);
	for (i = 0; i < n; i++) {
		if (res == NULL)
			case_free(tcs[i]);
		else if ((res[k] = case_detach(tcs[i])) != NULL)
			k++;
	}
	free(tcs);
	if (k < n && !rn->abandoned)
		runner_abandon(rn, "out of memory");
	if (k > 0 && rn->batch(rn->ctx, res, k) == -1 && !rn->abandoned)
		runner_abandon(rn, "the results could not be stored");
	free(res);
}

/* Queues a finished case for the next batch; 0 or -1 (no memory). */
static int
pending_add(struct runner *rn, struct tcase *tc)
{
	struct tcase **grown;
	size_t n;

	if (rn->npending == rn->apending) {
		n = rn->apending ? rn->apending * 2 : BATCH * 2;
		if ((grown = reallocarray(rn->pending, n, sizeof(*grown))) == NULL)
			return -1;
		rn->pending = grown;
		rn->apending = n;
	}
	rn->pending[rn->npending++] = tc;
	return 0;
}

/* A case ended: count it, queue it, start the next. */
static void
runner_case_done(struct tcase *tc, void *arg)
{
	struct runner *rn = arg;
	struct case_result *cr = case_result(tc);
	size_t slot = *case_slot(tc);

	rn->running[slot] = rn->running[--rn->inflight];
	*case_slot(rn->running[slot]) = slot;
	rn->counts.n[cr->verdict]++;
	rn->counts.total++;
	log_debug("%s/%s/%d: %s %s", cr->sc->name, family_name(cr->family),
	    cr->rep, verdict_name(cr->verdict), case_msg_text(cr));
	if (pending_add(rn, tc) == -1) {
		log_warnx("out of memory keeping a finished case");
		case_free(tc);
	}
	/* Starting or finishing from inside a case callback would re-enter
	 * it; defer to the kick event. */
	event_active(rn->ev_kick, EV_TIMEOUT, 0);
}

/* Deferred work: flush full batches, start cases, finish the run. */
static void
runner_on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct runner *rn = arg;

	if (rn->npending >= BATCH || (rn->npending > 0 && rn->inflight == 0 &&
	    (rn->next == rn->total || rn->abandoned)))
		runner_flush(rn);
	runner_fill(rn);
	if (rn->inflight == 0 && (rn->next == rn->total || rn->abandoned)) {
		runner_flush(rn);
		rn->done(rn->ctx, &rn->counts, rn->abandoned);
	}
}

/* The scenario and family of plan entry i. */
static const struct scenario *
plan_entry(const struct runner *rn, size_t i, enum family *fam, int *rep)
{
	enum family fams[FAM__COUNT];
	size_t nfam = (size_t)plan_families(&rn->plan, fams);
	size_t per_rep = rn->plan.nsc * nfam, k = i % per_rep;
	size_t per_sc = rn->total / rn->plan.nsc;

	if (rn->order != NULL) {		/* scenario by scenario */
		k = i % per_sc;
		*rep = (int)(k / nfam);
		*fam = fams[k % nfam];
		return rn->plan.sc[rn->order[i / per_sc]];
	}
	*rep = (int)(i / per_rep);
	*fam = fams[k % nfam];
	return rn->plan.sc[k / nfam];
}

struct bound {
	int64_t us;
	size_t i;
};

/* Longest bound first, then plan order. */
static int
bound_cmp(const void *a, const void *b)
{
	const struct bound *x = a, *y = b;

	if (x->us != y->us)
		return x->us > y->us ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* When every case runs at once, the order they start in decides when the
 * run ends: those that may wait longest start first (the last would end
 * the run as late as the ramp of starting all the others). Otherwise the
 * plan's order, repetition by repetition. 0, or -1 out of memory. */
static int
runner_order(struct runner *rn)
{
	struct bound *b;
	size_t i;

	if (rn->total > (size_t)rn->plan.concurrency || rn->plan.nsc < 2)
		return 0;
	if ((b = calloc(rn->plan.nsc, sizeof(*b))) == NULL ||
	    (rn->order = calloc(rn->plan.nsc, sizeof(*rn->order))) == NULL) {
		free(b);
		return -1;
	}
	for (i = 0; i < rn->plan.nsc; i++) {
		b[i].us = case_wait_bound(rn->plan.sc[i]);
		b[i].i = i;
	}
	qsort(b, rn->plan.nsc, sizeof(*b), bound_cmp);
	for (i = 0; i < rn->plan.nsc; i++)
		rn->order[i] = b[i].i;
	free(b);
	return 0;
}

/* Starts cases until the concurrency or the socket budget is reached, or
 * the plan is done; FILL_CHUNK at a time, the loop's events (the relay's
 * packets, the cases already started) running between two chunks. */
static void
runner_fill(struct runner *rn)
{
	static const struct timeval now = { 0, 0 };
	const struct scenario *sc;
	struct tcase *tc;
	enum family fam;
	int rep, started = 0;

	while (!rn->abandoned && rn->next < rn->total &&
	    rn->inflight < rn->plan.concurrency) {
		if (started++ == FILL_CHUNK) {
			/* A timer, not event_active: it runs after the poll. */
			event_add(rn->ev_kick, &now);
			return;
		}
		sc = plan_entry(rn, rn->next, &fam, &rep);
		if (rn->inflight > 0 && rn->env.fds + case_fds(sc) > rn->fd_budget)
			return;			/* a finished case makes room */
		tc = case_start(&rn->env, sc, fam, rep, rn->plan.case_timeout_us,
		    runner_case_done, rn);
		if (tc == NULL) {
			log_warnx("out of memory starting a case");
			runner_abandon(rn, "out of memory");
			return;
		}
		*case_slot(tc) = (size_t)rn->inflight;
		rn->running[rn->inflight++] = tc;
		rn->next++;
	}
}

/* Opens the capture unless the plan says not to; without it, the run
 * goes on and says once why its wire is not observed. */
static void
runner_capture(struct runner *rn)
{
	char why[512];

	if (rn->plan.no_capture) {
		log_info("capture off: the wire of this run is not observed");
		return;
	}
	if ((rn->env.cap = capture_open(rn->env.base, why, sizeof(why))) == NULL)
		log_warnx("the wire of this run is not observed: %s", why);
}

/* Opens the state transitions' tracepoint; without it (no CAP_BPF and
 * CAP_PERFMON), the run goes on and says once why: transitions are not
 * observed, and `expect passed` steps are skipped. */
static void
runner_trans(struct runner *rn)
{
	uint64_t *extra = calloc(2 * rn->env.nrelays + 1, sizeof(*extra));
	char why[512];
	size_t i, n = 0;

	for (i = 0; extra != NULL && i < rn->env.nrelays; i++)
		if (rn->env.relays[i].link != NULL) {
			if ((extra[n] = link_cookie(rn->env.relays[i].link,
			    SIDE_CLIENT)) != 0)
				n++;
			if ((extra[n] = link_cookie(rn->env.relays[i].link,
			    SIDE_SERVER)) != 0 && (n == 0 || extra[n] != extra[n - 1]))
				n++;		/* a loopback link's: one namespace */
		}
	rn->env.trans = trans_open(rn->env.base, extra, n, why, sizeof(why));
	free(extra);
	if (rn->env.trans != NULL)
		return;
	log_warnx("transitions not observed: %s", why);
	rn->env.lacks |= NEED_TRANS;
	snprintf(rn->env.lack_why[1], sizeof(rn->env.lack_why[1]),
	    "transitions not observed");
}

/* Whether the plan has a scenario that needs what need names. */
static size_t
plan_needs(const struct runner_plan *p, unsigned need)
{
	size_t i, n = 0;

	for (i = 0; i < p->nsc; i++)
		n += (p->sc[i]->needs & need) != 0;
	return n;
}

/* Says once why the cases of slot rs cannot run. */
static void
slot_unusable(const struct relay_slot *rs, const char *why)
{
	const char *name = link_name(rs->kind);

	if (rs->key[0] != '\0')
		log_warnx("scenarios on the %s link with %s are skipped: %s", name,
		    rs->key, why);
	else
		log_warnx("scenarios on the %s link are skipped: it cannot run "
		    "here (%s). It needs %snetwork namespaces: run as root, or let "
		    "teardownd isolate the run in a user namespace of its own "
		    "(isolation = auto)%s", name, why,
		    rs->kind == LINK_RELAY ? "/dev/net/tun and " : "",
		    rs->kind == LINK_RELAY ? "; in a container, add --device "
		    "/dev/net/tun" : "");
}

/* The slot of the plan's scenarios on a link of kind whose sysctls are
 * key: found, or added with the link made for them and its relay (relay)
 * or its capture (veth); env.relays has room for one per scenario off lo.
 * Why a slot's cases cannot run is said once. */
static struct relay_slot *
relay_slot(struct runner *rn, enum link_kind kind, const char *key)
{
	const struct plan_link *pl = NULL;
	struct relay_slot *rs;
	char why[256];
	size_t i;

	for (i = 0; i < rn->env.nrelays; i++)
		if (rn->env.relays[i].kind == kind &&
		    strcmp(rn->env.relays[i].key, key) == 0)
			return &rn->env.relays[i];
	for (i = 0; i < rn->plan.nlinks; i++)
		if (rn->plan.links[i].kind == kind &&
		    strcmp(rn->plan.links[i].key, key) == 0)
			pl = &rn->plan.links[i];
	rs = &rn->env.relays[rn->env.nrelays++];
	memset(rs, 0, sizeof(*rs));
	rs->kind = kind;
	rs->key = key;
	if (pl == NULL)
		snprintf(why, sizeof(why), "its namespaces were not made when "
		    "teardownd started: it makes them for the scenarios it has then, "
		    "%d links at most", LINK_MAX);
	else if (pl->link == NULL)
		snprintf(why, sizeof(why), "%s", pl->why);
	else if (kind == LINK_VETH || kind == LINK_LO) {
		const char *pwhy;
		struct pcap *p = link_pcap(pl->link, &pwhy);

		rs->link = pl->link;
		if (rn->plan.no_capture)
			return rs;
		if (p == NULL)
			snprintf(why, sizeof(why), "%s", pwhy);
		else
			rs->cap = capture_attach(rn->env.base, p, 1, why, sizeof(why));
		if (rs->cap == NULL)
			log_warnx("the wire of the %s link%s%s is not observed: %s",
			    link_name(kind), key[0] != '\0' ? " with " : "", key, why);
		return rs;
	} else if ((rs->relay = relay_open(rn->env.base, pl->link, why,
	    sizeof(why))) != NULL) {
		rs->link = pl->link;
		return rs;
	}
	snprintf(rs->why, sizeof(rs->why), "the %s link cannot run here "
	    "(%.110s)", link_name(kind), why);
	slot_unusable(rs, why);
	return rs;
}

/* Opens what each link the plan's scenarios use needs (a relay, a
 * capture); where one cannot run, their cases are skipped, and start-up
 * says so once. */
static int
runner_links(struct runner *rn)
{
	size_t i, n = 0;
	enum link_kind k;

	rn->env.link = rn->plan.link;
	for (i = 0; i < rn->plan.nsc; i++)
		n += scenario_on_link(rn->plan.sc[i], rn->plan.link);
	if (n == 0)
		return 0;
	if ((rn->env.relays = calloc(n, sizeof(*rn->env.relays))) == NULL)
		return -1;
	for (i = 0; i < rn->plan.nsc; i++)
		if (scenario_on_link(rn->plan.sc[i], rn->plan.link)) {
			k = scenario_link(rn->plan.sc[i], rn->plan.link);
			relay_slot(rn, k, scenario_netkey(rn->plan.sc[i]));
		}
	return 0;
}

/* Finds out whether socket filters can be attached here (Linux 6.18 asks
 * for CAP_NET_ADMIN over the socket's network namespace); when not, the
 * scenarios that use them are skipped, and start-up says so once. */
static void
runner_check_filters(struct runner *rn)
{
	size_t n = plan_needs(&rn->plan, NEED_FILTER);
	int fd, rc, err;

	if (n == 0 || (fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	rc = fault_apply(fd, FILTER_DROP_ALL);
	err = errno;
	close(fd);
	if (rc == 0)
		return;
	rn->env.lacks |= NEED_FILTER;
	snprintf(rn->env.lack_why[0], sizeof(rn->env.lack_why[0]),
	    "socket filters are refused here (%s)", errno_name(err));
	log_warnx("%zu scenario%s use%s socket filters, which this environment "
	    "refuses (%s): their cases are skipped. Grant CAP_NET_ADMIN (in a "
	    "container: --cap-add NET_ADMIN), or let teardownd isolate the run "
	    "in a user namespace of its own (isolation = auto, with user "
	    "namespaces allowed)", n, n == 1 ? "" : "s", n == 1 ? "s" : "",
	    errno_name(err));
}

/* Starts a run on base. */
struct runner *
runner_start(struct event_base *base, const struct runner_plan *plan,
    runner_batch_fn batch, runner_done_fn done, void *ctx)
{
	struct runner *rn;
	enum family fam[FAM__COUNT];

	if ((rn = calloc(1, sizeof(*rn))) == NULL)
		return NULL;
	rn->plan = *plan;
	rn->env.base = base;
	rn->batch = batch;
	rn->done = done;
	rn->ctx = ctx;
	rn->total = plan->nsc * (size_t)plan_families(plan, fam) *
	    (size_t)(plan->repeat > 0 ? plan->repeat : 1);
	runner_size(rn);
	rn->running = calloc((size_t)rn->plan.concurrency + 1, sizeof(*rn->running));
	rn->ev_kick = event_new(base, -1, 0, runner_on_kick, rn);
	rn->env.workers = workers_new(base, rn->plan.concurrency < WORKERS_MAX ?
	    rn->plan.concurrency : WORKERS_MAX);
	rn->env.qring = qring_open();		/* NULL: ioctls */
	if ((rn->env.probe = probe_open()) == NULL || rn->running == NULL ||
	    rn->ev_kick == NULL || rn->env.workers == NULL ||
	    runner_order(rn) == -1) {
		runner_free(rn);
		return NULL;
	}
	runner_capture(rn);
	if (runner_links(rn) == -1) {
		runner_free(rn);
		return NULL;
	}
	runner_trans(rn);
	runner_check_filters(rn);
	event_active(rn->ev_kick, EV_TIMEOUT, 0);
	return rn;
}

/* Ends every case in flight now and starts no more. */
void
runner_abandon(struct runner *rn, const char *why)
{
	rn->abandoned = 1;
	while (rn->inflight > 0)
		case_abandon(rn->running[rn->inflight - 1], why);
}

/* Frees the runner and any case it still holds. */
void
runner_free(struct runner *rn)
{
	size_t i;
	int k;

	if (rn == NULL)
		return;
	for (k = 0; rn->running != NULL && k < rn->inflight; k++)
		case_free(rn->running[k]);
	for (i = 0; i < rn->npending; i++)
		case_free(rn->pending[i]);
	workers_free(rn->env.workers);		/* before env goes: jobs use it */
	free(rn->order);
	if (rn->ev_kick != NULL)
		event_free(rn->ev_kick);
	capture_close(rn->env.cap);
	for (i = 0; i < rn->env.nrelays; i++) {
		relay_close(rn->env.relays[i].relay);
		capture_close(rn->env.relays[i].cap);
	}
	free(rn->env.relays);
	trans_close(rn->env.trans);
	if (rn->env.probe != NULL)
		probe_close(rn->env.probe);
	qring_close(rn->env.qring);
	free(rn->running);
	free(rn->pending);
	free(rn);
}

static char virt_name[8] = "none";	/* run_info_virt */

/* Sets what run_info_collect records as virt. */
void
run_info_virt(const char *virt)
{
	snprintf(virt_name, sizeof(virt_name), "%s", virt);
}

/* The cases that have ended so far. */
int
runner_ended(const struct runner *rn)
{
	return rn->counts.total;
}

/* The run's cases. */
size_t
runner_total(const struct runner *rn)
{
	return rn->total;
}

/* Fills ri with what identifies this machine and kernel now. */
void
run_info_collect(struct run_info *ri)
{
	struct utsname un;

	memset(ri, 0, sizeof(*ri));
	snprintf(ri->virt, sizeof(ri->virt), "%s", virt_name);
	if (gethostname(ri->host, sizeof(ri->host) - 1) == -1)
		snprintf(ri->host, sizeof(ri->host), "unknown");
	if (uname(&un) == 0) {
		snprintf(ri->kernel_release, sizeof(ri->kernel_release), "%s", un.release);
		snprintf(ri->kernel_version, sizeof(ri->kernel_version), "%s", un.version);
	}
	snprintf(ri->version, sizeof(ri->version), "%s", TEARDOWND_VERSION);
	ri->start_us = clock_wall_us();
	ri->nsysctl = sysctl_collect(ri->sysctl,
	    sizeof(ri->sysctl) / sizeof(ri->sysctl[0]));
}
