/* runner.c: one libevent loop running many cases at once. The plan is
 * walked in order (repetition, scenario, family); up to `concurrency` cases
 * are in flight; finished cases go to the batch callback in groups, so the
 * store writes one transaction per batch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "capture.h"
#include "case.h"
#include "log.h"
#include "probe.h"
#include "runner.h"
#include "store.h"
#include "sysctl.h"

/* Finished cases per store transaction. The write blocks the loop: a
 * 32-case batch under ASan held it past simultaneous-close's ~200 ms
 * CLOSING window; 8 did not. */
#define BATCH		8
#define MAX_CONC	64		/* more adds timing noise, not speed */

struct runner {
	struct runner_plan plan;
	struct event_base *base;
	struct probe *probe;			/* shared netlink socket */
	struct capture *cap;			/* the wire on lo, or NULL */
	size_t next;				/* next plan index to start */
	size_t total;				/* plan size */
	int inflight;				/* cases running */
	int abandoned;				/* no more starts */
	struct tcase **cases;			/* [total]: running or finished-unflushed */
	struct tcase *pending[BATCH + MAX_CONC]; /* finished, not yet handed out */
	size_t npending;
	struct run_counts counts;
	struct event *ev_kick;			/* deferred start/finish */
	runner_batch_fn batch;
	runner_done_fn done;
	void *ctx;
};

static void runner_fill(struct runner *rn);

/* The concurrency used when the plan says 0: sized to RLIMIT_NOFILE. */
int
runner_default_concurrency(void)
{
	struct rlimit rl;
	long n = 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = ((long)rl.rlim_cur - 32) / 3;	/* 3 fds a case */
	if (n > MAX_CONC)
		n = MAX_CONC;
	return n < 1 ? 1 : (int)n;
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

/* Hands the pending finished cases to the batch callback, frees them. */
static void
runner_flush(struct runner *rn)
{
	struct tcase *tcs[BATCH + MAX_CONC];
	struct case_result *res[BATCH + MAX_CONC];
	size_t i, n = rn->npending;

	if (n == 0)
		return;
	/* Taken off the queue first: abandoning re-fills it. */
	memcpy(tcs, rn->pending, n * sizeof(tcs[0]));
	rn->npending = 0;
	for (i = 0; i < n; i++)
		res[i] = case_result(tcs[i]);
	if (rn->batch(rn->ctx, res, n) == -1 && !rn->abandoned)
		runner_abandon(rn, "the results could not be stored");
	for (i = 0; i < n; i++)
		case_free(tcs[i]);
}

/* A case ended: count it, queue it, start the next. */
static void
runner_case_done(struct tcase *tc, void *arg)
{
	struct runner *rn = arg;
	struct case_result *cr = case_result(tc);
	size_t i;

	for (i = 0; i < rn->total; i++)
		if (rn->cases[i] == tc)
			rn->cases[i] = NULL;
	rn->counts.n[cr->verdict]++;
	rn->counts.total++;
	rn->inflight--;
	log_debug("%s/%s/%d: %s %s", cr->sc->name, family_name(cr->family),
	    cr->rep, verdict_name(cr->verdict), cr->msg);
	rn->pending[rn->npending++] = tc;
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

/* Starts plan entry i. */
static int
runner_start_one(struct runner *rn, size_t i)
{
	enum family fam[FAM__COUNT];
	int nfam = plan_families(&rn->plan, fam);
	size_t per_rep = rn->plan.nsc * (size_t)nfam;
	size_t rep = i / per_rep, k = i % per_rep;
	struct tcase *tc;

	tc = case_start(rn->base, rn->probe, rn->cap, rn->plan.sc[k / (size_t)nfam],
	    fam[k % (size_t)nfam], (int)rep, rn->plan.case_timeout_us,
	    runner_case_done, rn);
	if (tc == NULL)
		return -1;
	rn->cases[i] = tc;
	rn->inflight++;
	return 0;
}

/* Starts cases until the concurrency is reached or the plan is done. */
static void
runner_fill(struct runner *rn)
{
	while (!rn->abandoned && rn->next < rn->total &&
	    rn->inflight < rn->plan.concurrency) {
		if (runner_start_one(rn, rn->next) == -1) {
			log_warnx("out of memory starting a case");
			runner_abandon(rn, "out of memory");
			return;
		}
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
	if ((rn->cap = capture_open(rn->base, why, sizeof(why))) == NULL)
		log_warnx("the wire of this run is not observed: %s", why);
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
	if (rn->plan.concurrency <= 0)
		rn->plan.concurrency = runner_default_concurrency();
	if (rn->plan.concurrency > MAX_CONC)
		rn->plan.concurrency = MAX_CONC;
	rn->base = base;
	rn->batch = batch;
	rn->done = done;
	rn->ctx = ctx;
	rn->total = plan->nsc * (size_t)plan_families(plan, fam) *
	    (size_t)(plan->repeat > 0 ? plan->repeat : 1);
	rn->cases = calloc(rn->total ? rn->total : 1, sizeof(*rn->cases));
	rn->ev_kick = event_new(base, -1, 0, runner_on_kick, rn);
	if ((rn->probe = probe_open()) == NULL || rn->cases == NULL ||
	    rn->ev_kick == NULL) {
		runner_free(rn);
		return NULL;
	}
	runner_capture(rn);
	event_active(rn->ev_kick, EV_TIMEOUT, 0);
	return rn;
}

/* Ends every case in flight now and starts no more. */
void
runner_abandon(struct runner *rn, const char *why)
{
	size_t i;

	rn->abandoned = 1;
	for (i = 0; i < rn->total; i++)
		if (rn->cases[i] != NULL)
			case_abandon(rn->cases[i], why);
}

/* Frees the runner and any case it still holds. */
void
runner_free(struct runner *rn)
{
	size_t i;

	if (rn == NULL)
		return;
	for (i = 0; rn->cases != NULL && i < rn->total; i++)
		case_free(rn->cases[i]);
	for (i = 0; i < rn->npending; i++)
		case_free(rn->pending[i]);
	if (rn->ev_kick != NULL)
		event_free(rn->ev_kick);
	capture_close(rn->cap);
	if (rn->probe != NULL)
		probe_close(rn->probe);
	free(rn->cases);
	free(rn);
}

/* Fills ri with what identifies this machine and kernel now. */
void
run_info_collect(struct run_info *ri)
{
	struct utsname un;

	memset(ri, 0, sizeof(*ri));
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
