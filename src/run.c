/* run.c: one run of the plan (see run.h): the runs row, the runner, each
 * batch of finished cases stored in one transaction, the run's end. */
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "case.h"
#include "clock.h"
#include "catalog.h"
#include "config.h"
#include "isolate.h"
#include "link.h"
#include "log.h"
#include "run.h"
#include "writer.h"

#include <event2/event.h>

#define EXIT_SOFTWARE	70		/* EX_SOFTWARE: could not run at all */

/* The loop the runs go on: two priorities, the relay's devices first
 * (RUN_PRIO_WIRE), and at most RUN_DISPATCH callbacks before the loop looks
 * for new events again, so that thousands of due cases never keep the
 * relay from forwarding for long. NULL when libevent fails. */
struct event_base *
run_base_new(void)
{
	struct event_config *cfg;
	struct event_base *base = NULL;

	if ((cfg = event_config_new()) == NULL)
		return NULL;
	if (event_config_set_max_dispatch_interval(cfg, NULL, RUN_DISPATCH,
	    0) == 0)
		base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (base != NULL && event_base_priority_init(base, RUN_PRIOS) == -1) {
		event_base_free(base);
		base = NULL;
	}
	return base;
}

/* Puts a profile's sysctls in place of the values read (they are what
 * its namespaces were given), scope netns. */
static void
describe_profile(struct run_info *ri, const struct profile *pr)
{
	size_t i, max = sizeof(ri->sysctl) / sizeof(ri->sysctl[0]);
	struct sysctl_value *v;
	int k;

	for (k = 0; k < pr->nsysctl; k++) {
		for (i = 0; i < ri->nsysctl; i++)
			if (strcmp(ri->sysctl[i].name, pr->sysctl[k].name) == 0)
				break;
		if (i == max)
			continue;
		v = &ri->sysctl[i];
		if (i == ri->nsysctl)
			ri->nsysctl++;
		snprintf(v->name, sizeof(v->name), "%s", pr->sysctl[k].name);
		snprintf(v->value, sizeof(v->value), "%s", pr->sysctl[k].value);
		snprintf(v->scope, sizeof(v->scope), "netns");
	}
}

/* Fills ri with the identity of a run of environment env of s. */
void
run_describe(struct run_info *ri, const struct setup *s, size_t env)
{
	const struct config *cf = &s->cf;
	const struct catalog *cat = &s->cat;
	const struct plan_env *e = &s->plan.env[env];

	run_info_collect(ri);
	describe_profile(ri, plan_profile(s, env));
	snprintf(ri->profile, sizeof(ri->profile), "%s", plan_profile(s, env)->name);
	snprintf(ri->link, sizeof(ri->link), "%s", link_name(e->link));
	snprintf(ri->config_hash, sizeof(ri->config_hash), "%016llx",
	    (unsigned long long)(cf->hash * 1099511628211ULL ^ cat->hash));
	snprintf(ri->families, sizeof(ri->families), "%s%s%s",
	    cf->families & (1u << FAM_IPV4) ? "ipv4" : "",
	    cf->families == ((1u << FAM_IPV4) | (1u << FAM_IPV6)) ? " " : "",
	    cf->families & (1u << FAM_IPV6) ? "ipv6" : "");
	ri->repeat = cf->repeat;
}

/* Whether cap is in the effective set. */
static int
have_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, c) == -1)
		return 1;			/* let unshare() tell */
	return (c[cap / 32].effective & ((uint32_t)1 << (cap % 32))) != 0;
}

/* The links, made once by run_isolate: the default relay link, the
 * default veth link when a scenario uses it, and one per kind and set of
 * sysctls a scenario asks for (its netkey); a process runs its cases
 * from one place. */
static struct plan_link links[LINK_MAX];
static char *link_key[LINK_MAX];		/* malloc'd */
static char link_why[LINK_MAX][256];
static size_t nlinks;

/* Makes the namespaces of a link of kind for sc's sysctls (NULL: none),
 * unless made already; capture: libpcap on a veth link. */
static void
run_link_add(const struct run_info *ri, enum link_kind kind,
    const struct scenario *sc, int capture)
{
	const char *key = sc != NULL ? scenario_netkey(sc) : "";
	size_t i;

	for (i = 0; i < nlinks; i++)
		if (links[i].kind == kind && strcmp(link_key[i], key) == 0)
			return;
	if (nlinks == LINK_MAX) {
		log_warnx("%s: teardownd makes %d links at most (each mtu and set "
		    "of sysctls takes one); its cases will be skipped",
		    sc != NULL ? sc->name : "teardownd", LINK_MAX);
		return;
	}
	if ((link_key[nlinks] = strdup(key)) == NULL) {
		log_warn("%s: its link", sc != NULL ? sc->name : "teardownd");
		return;
	}
	links[nlinks].kind = kind;
	links[nlinks].key = link_key[nlinks];
	links[nlinks].why = link_why[nlinks];
	links[nlinks].link = link_open(kind, (int)nlinks,
	    sc != NULL ? sc->mtu : 0, capture, ri->sysctl, ri->nsysctl,
	    sc != NULL ? sc->sysctl : NULL, sc != NULL ? sc->nsysctl : 0,
	    link_why[nlinks], sizeof(link_why[0]));
	nlinks++;
}

/* What run_link_open gathers: the run_info, whether to capture, whether
 * the default veth link is needed. */
struct link_walk {
	const struct run_info *ri;
	int capture, veth;
};

/* plan_each: notes a scenario on veth without sysctls. */
static void
link_need_veth(void *ctx, const struct scenario *sc, enum link_kind link)
{
	struct link_walk *w = ctx;

	w->veth |= scenario_link(sc, link) == LINK_VETH && sc->netkey == NULL;
}

/* plan_each: makes the link of a scenario with sysctls or an mtu. */
static void
link_need_key(void *ctx, const struct scenario *sc, enum link_kind link)
{
	struct link_walk *w = ctx;

	if (sc->netkey != NULL)
		run_link_add(w->ri, scenario_link(sc, link), sc, w->capture);
}

/* Makes the links from the namespace the cases run in, while the
 * capabilities it takes are still held: the default relay link, the
 * default veth link if a scenario without sysctls runs on veth, and one
 * for each link and set of sysctls (a scenario's, a profile's) of the
 * plan. */
static void
run_link_open(const struct setup *s, const struct run_info *ri)
{
	struct link_walk w = { ri, !s->cf.no_capture, 0 };

	plan_each(s, link_need_veth, &w);
	run_link_add(ri, LINK_RELAY, NULL, w.capture);
	if (w.veth)
		run_link_add(ri, LINK_VETH, NULL, w.capture);
	plan_each(s, link_need_key, &w);
}

/* Closes the links (their namespaces go with them). */
void
run_link_close(void)
{
	while (nlinks > 0) {
		link_close(links[--nlinks].link);
		free(link_key[nlinks]);
		link_key[nlinks] = NULL;
	}
}

/* Moves into a private network namespace as cf asks; where gets where
 * the cases run. 0, or -1 when a required isolation failed. Either way
 * the capabilities that only isolating needs are given up. */
int
run_isolate(const struct setup *s, const struct run_info *ri, char *where)
{
	const struct config *cf = &s->cf;
	char msg[1024];
	int r;

	snprintf(where, 16, "host");
	if (cf->isolation == ISOLATE_HOST) {
		run_link_open(s, ri);
		isolate_drop_admin();
		return 0;
	}
	if (have_cap(CAP_SYS_ADMIN))
		r = isolate_netns(ri->sysctl, ri->nsysctl, msg, sizeof(msg));
	else
		r = isolate_userns(ri->sysctl, ri->nsysctl, msg, sizeof(msg));
	run_link_open(s, ri);
	isolate_drop_admin();
	if (r == 1) {
		snprintf(where, 16, "netns");
		if (msg[0] != '\0')
			log_warnx("private network namespace: %s", msg);
		return 0;
	}
	if (r == 0 && cf->isolation == ISOLATE_AUTO) {
		log_warnx("%s; running in the host's network namespace, where the "
		    "tcp_metrics cache carries RTT estimates from earlier "
		    "connections into these cases", msg);
		return 0;
	}
	log_warnx("cannot isolate the run: %s", msg);
	return -1;
}

/* Adds a finished case to the summary of its scenario and family. */
static void
summary_add(struct run *r, const struct case_result *cr)
{
	size_t i;

	for (i = 0; i < r->nsum; i++)
		if (r->sum[i].sc == cr->sc && r->sum[i].family == cr->family)
			break;
	if (i == r->nsum) {
		struct run_summary *s = realloc(r->sum, (r->nsum + 1) * sizeof(*s));

		if (s == NULL)
			return;
		r->sum = s;
		memset(&s[i], 0, sizeof(s[i]));
		s[i].sc = cr->sc;
		s[i].family = cr->family;
		r->nsum++;
	}
	r->sum[i].n[cr->verdict]++;
	if (cr->verdict != VERDICT_PASS && r->sum[i].msg[0] == '\0')
		snprintf(r->sum[i].msg, sizeof(r->sum[i].msg), "%s", case_msg_text(cr));
}

/* Frees n results. */
static void
results_free(struct case_result **res, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		case_result_free(res[i]);
}

/* Batch callback: count the cases, then hand them to the writer thread
 * (or, without one, store them here in one transaction). */
static int
on_batch(void *ctx, struct case_result **res, size_t n)
{
	struct run *r = ctx;
	size_t i;

	for (i = 0; i < n; i++)
		summary_add(r, res[i]);
	if (r->store_failed) {
		results_free(res, n);
		return -1;
	}
	if (r->w != NULL) {
		if (writer_put(r->w, res, n) == -1) {
			log_warnx("%s: out of memory queueing results", r->db);
			r->store_failed = 1;
			return -1;
		}
		r->batches_out++;
		return 0;
	}
	if (store_cases(r->st, r->id, res, n) == -1) {
		log_warnx("%s: cannot store results: %s", r->db, store_errmsg(r->st));
		r->store_failed = 1;
	}
	results_free(res, n);
	return r->store_failed ? -1 : 0;
}

/* Calls the run's done once every case has ended and every batch has
 * been stored. */
static void
run_maybe_done(struct run *r)
{
	if (!r->cases_done || r->batches_out > 0 || r->done == NULL)
		return;
	writer_stop(r->w);
	r->w = NULL;
	r->done(r, r->ctx);
}

/* The writer stored (or failed to store) a batch. */
static void
on_stored(void *ctx, int failed, size_t backlog)
{
	struct run *r = ctx;

	r->batches_out--;
	if (failed && !r->store_failed) {
		r->store_failed = 1;
		runner_abandon(r->rn, "the results could not be stored");
	}
	run_maybe_done(r);
}

/* Done callback: every case has ended. */
static void
on_done(void *ctx, const struct run_counts *counts, int abandoned)
{
	struct run *r = ctx;

	r->counts = *counts;
	r->cases_done = 1;
	run_maybe_done(r);
}

/* Opens db under the writer's lock and marks its stale runs aborted. */
struct store *
run_store_open(const char *db, int *rc)
{
	struct store *st;
	char err[512];
	int busy, n;

	if ((st = store_open_writer(db, &busy, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		*rc = busy ? STORE_EXIT_BUSY : STORE_EXIT_OPEN;
		return NULL;
	}
	if (store_mark_stale(st, &n) == -1) {
		log_warnx("%s: %s", db, store_errmsg(st));
		store_close(st);
		*rc = STORE_EXIT_OPEN;
		return NULL;
	}
	if (n > 0)
		log_warnx("%s: %d run%s left running by an earlier teardownd "
		    "marked aborted", db, n, n == 1 ? "" : "s");
	*rc = 0;
	return st;
}

/* Begins a run: its row, then the runner. */
int
run_start(struct run *r, struct event_base *base, struct store *st,
    const char *db, const struct run_info *ri, const struct runner_plan *plan,
    run_done_fn done, void *ctx)
{
	struct runner_plan p = *plan;
	char err[512];
	int n;

	p.links = links;
	p.nlinks = nlinks;
	memset(r, 0, sizeof(*r));
	r->st = st;
	r->db = db;
	r->ri = *ri;
	r->done = done;
	r->ctx = ctx;
	/* A run a full disk left 'running' (its end could not be stored)
	 * is marked aborted first: the writer's lock is ours, none runs.
	 * What the last run left in the WAL goes into the database first:
	 * while the disk has no room for it, writing more would only fill
	 * the WAL with what cannot be committed, so the run waits. */
	if (store_checkpoint(st) == 1 || store_mark_stale(st, &n) == -1 ||
	    store_run_begin(st, ri, &r->id) == -1) {
		log_warnx("%s: the run cannot be stored, not started (again at "
		    "the next run): %s", db, store_errmsg(st));
		return STORE_EXIT_OPEN;
	}
	if ((r->w = writer_start(base, db, r->id, on_stored, r, err,
	    sizeof(err))) == NULL)
		log_info("results are stored on the event loop: %s", err);
	if ((r->rn = runner_start(base, &p, on_batch, on_done, r)) == NULL) {
		log_warn("run %lld: cannot start the run (netlink sock_diag)",
		    (long long)r->id);
		r->end_us = clock_wall_us();
		if (store_run_end(st, r->id, "aborted", r->end_us) == -1)
			log_warnx("%s: cannot end run: %s", db, store_errmsg(st));
		return EXIT_SOFTWARE;
	}
	return 0;
}

/* Abandons the cases in flight; the run will be stored as interrupted. */
void
run_abandon(struct run *r, const char *why)
{
	r->interrupted = 1;
	if (r->rn != NULL)
		runner_abandon(r->rn, why);
}

/* The status the run ends with. */
const char *
run_status(const struct run *r)
{
	if (r->interrupted)
		return "interrupted";
	return r->store_failed || r->end_failed ? "aborted" : "complete";
}

/* Sorts summary rows by scenario name, then family. */
static int
summary_cmp(const void *a, const void *b)
{
	const struct run_summary *x = a, *y = b;
	int c = strcmp(x->sc->name, y->sc->name);

	return c != 0 ? c : (int)x->family - (int)y->family;
}

/* Ends the run in the store and sorts the summary. */
int
run_finish(struct run *r)
{
	r->end_us = clock_wall_us();
	if (r->nsum > 0)
		qsort(r->sum, r->nsum, sizeof(*r->sum), summary_cmp);
	if (store_run_end(r->st, r->id, run_status(r), r->end_us) == 0) {
		if (store_checkpoint(r->st) == -1)
			log_debug("%s: %s", r->db, store_errmsg(r->st));
		return 0;
	}
	log_warnx("%s: cannot end run: %s", r->db, store_errmsg(r->st));
	r->end_failed = 1;
	store_checkpoint(r->st);
	return -1;
}

/* Frees the runner and the summary. */
void
run_free(struct run *r)
{
	runner_free(r->rn);
	writer_stop(r->w);			/* stores what it still holds */
	r->w = NULL;
	r->rn = NULL;
	free(r->sum);
	r->sum = NULL;
	r->nsum = 0;
}
