/* daemon.c: the scheduled daemon (see daemon.h).
 *
 * One libevent loop holds everything: the schedule's timer, the runner's
 * sockets and timers, the signals and the watchdog. A run is due every
 * interval, counted from the start of the last one; runs never overlap:
 * a run that falls due while the previous one is still going is skipped,
 * recorded in the database (run_skips) and logged, and the next is due an
 * interval later. At start-up the next run is due at once when the
 * database holds no complete run of this host, or when the last one ran
 * on another kernel release; otherwise an interval after that run's start
 * (at once if that is past).
 *
 * The private network namespace is entered once, at start-up, before any
 * socket but after the notify socket: every run shares it, and the
 * sysctls copied into it are the host's at start-up; each run records
 * the sysctls where they live (sysctl.h): global ones through files
 * opened before the move, the others in the namespace. Then sock_diag is
 * checked there, once (probe_ready_tcp): without it no closed end could
 * be observed, and the daemon exits 70. The configuration
 * that SIGHUP loads applies from the next run on; the run in progress
 * keeps the catalogue, the plan and the database it started with until it
 * ends, when they are freed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "parse.h"
#include "probe.h"
#include "run.h"
#include "store.h"
#include "sysctl.h"

#define EXIT_SOFTWARE	70		/* EX_SOFTWARE: could not run at all */
#define NSIGNALS	3		/* SIGTERM, SIGINT, SIGHUP */

/* A database open for runs, shared by counting as setups are: the one in
 * force holds a reference, the run in progress another. */
struct db {
	struct store *st;
	char path[4096];
	int refs;
};

struct daemon {
	struct event_base *base;
	struct setup *cur;			/* the configuration in force (a reference) */
	struct setup *run_setup;		/* the run's (a reference); NULL none */
	size_t env;				/* the run's environment in run_setup's plan */
	setup_load_fn load;			/* reads the configuration again */
	void *load_ctx;
	int64_t interval_override;		/* --interval, us; 0: the configuration's */
	struct db *db;				/* cur's database (a reference) */
	struct db *run_db;			/* the run's (a reference); NULL none */
	char host[256];				/* this host, as runs record it */
	char kernel[128];			/* uname -r now */
	char isolation[16];			/* where cases run: "netns" or "host" */
	int isolation_mode;			/* cf.isolation at start-up */
	struct run run;				/* the run in progress, if running */
	int running;
	struct store_last_run last;		/* the last complete run, if have_last */
	int have_last;
	int64_t last_start_us;			/* the schedule's origin; 0: run at once */
	int64_t next_us;			/* when the next run is due, wall clock */
	uint64_t skipped;			/* runs skipped since start-up */
	struct metrics_set prom;		/* the textfile: each
						 * environment's last run */
	int stopping;				/* SIGTERM or SIGINT arrived */
	int store_lost;				/* the stopping run could not be ended */
	struct event *ev_sched;			/* the next run */
	struct event *ev_finish;		/* a run's end, deferred out of the runner */
	struct event *ev_watchdog;		/* WATCHDOG=1, persistent; NULL: none */
	struct event *ev_sig[NSIGNALS];
};

/* Opens path for runs (run_store_open): one reference. NULL, logged,
 * with *rc the exit code. */
static struct db *
db_open(const char *path, int *rc)
{
	struct db *db = calloc(1, sizeof(*db));

	if (db == NULL) {
		log_warn("calloc");
		*rc = EXIT_SOFTWARE;
		return NULL;
	}
	if ((db->st = run_store_open(path, rc)) == NULL) {
		free(db);
		return NULL;
	}
	snprintf(db->path, sizeof(db->path), "%s", path);
	db->refs = 1;
	return db;
}

/* One more reference. */
static struct db *
db_ref(struct db *db)
{
	db->refs++;
	return db;
}

/* One reference fewer; the last closes the database. */
static void
db_unref(struct db *db)
{
	if (db == NULL || --db->refs > 0)
		return;
	store_close(db->st);
	free(db);
}

/* An instant as ISO-8601 UTC to the second: "2026-01-31T12:00:00Z". */
static const char *
iso(int64_t us, char *buf, size_t len)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len,
	    "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

/* The interval in force, us. */
static int64_t
interval_us(const struct daemon *d)
{
	return d->interval_override > 0 ? d->interval_override :
	    d->cur->cf.interval_us;
}

/* Tells systemd, in one STATUS= line, the last run's counts and the next
 * run; readying adds READY=1. */
static void
status_update(struct daemon *d, int readying)
{
	char now[512], last[256], next[32], at[32];

	now[0] = '\0';
	if (d->running)
		snprintf(now, sizeof(now), "run %lld running since %s; ",
		    (long long)d->run.id, iso(d->run.ri.start_us, at, sizeof(at)));
	if (d->have_last)
		snprintf(last, sizeof(last), "last run %lld: %d pass, %d fail, "
		    "%d timeout, %d error", (long long)d->last.id,
		    d->last.n[VERDICT_PASS], d->last.n[VERDICT_FAIL],
		    d->last.n[VERDICT_TIMEOUT], d->last.n[VERDICT_ERROR]);
	else
		snprintf(last, sizeof(last), "no complete run yet");
	notify_send("%sSTATUS=%s%s; next run %s", readying ? "READY=1\n" : "",
	    now, last, iso(d->next_us, next, sizeof(next)));
}

/* Arms the schedule's timer for next_us. */
static void
schedule_arm(struct daemon *d)
{
	int64_t wait = d->next_us - clock_wall_us();
	struct timeval tv;

	if (wait < 0)
		wait = 0;
	tv.tv_sec = (time_t)(wait / 1000000);
	tv.tv_usec = (suseconds_t)(wait % 1000000);
	evtimer_add(d->ev_sched, &tv);
}

/* Reads the last complete run of this host from the database. */
static void
last_run_load(struct daemon *d)
{
	int r = store_last_complete_run(d->db->st, d->host, &d->last);

	if (r == -1)
		log_warnx("%s: %s", d->cur->cf.database, store_errmsg(d->db->st));
	d->have_last = r == 1;
}

/* Sets the first run: at once after a kernel change or with no complete
 * run, else an interval after the last one started. */
static void
schedule_first(struct daemon *d)
{
	char at[32];
	int64_t now = clock_wall_us();

	last_run_load(d);
	d->next_us = now;
	d->last_start_us = 0;
	if (!d->have_last)
		log_info("no complete run in %s yet: running the plan now",
		    d->cur->cf.database);
	else if (strcmp(d->last.kernel_release, d->kernel) != 0)
		log_info("kernel release changed since run %lld (%s, now %s): "
		    "running the plan now", (long long)d->last.id,
		    d->last.kernel_release, d->kernel);
	else {
		d->last_start_us = d->last.started_us;
		if (d->last.started_us + interval_us(d) > now)
			d->next_us = d->last.started_us + interval_us(d);
		log_info("next run at %s", iso(d->next_us, at, sizeof(at)));
	}
	schedule_arm(d);
}

/* Logs a finished run: one line, and one more per scenario and family
 * that did not pass. */
static void
run_log(const struct run *r)
{
	size_t i;

	log_info("run %lld %s in %.2f s: %d cases: %d pass, %d fail, "
	    "%d timeout, %d error, %d skipped, %d abandoned", (long long)r->id,
	    run_status(r), (double)(r->end_us - r->ri.start_us) / 1e6,
	    r->counts.total, r->counts.n[VERDICT_PASS], r->counts.n[VERDICT_FAIL],
	    r->counts.n[VERDICT_TIMEOUT], r->counts.n[VERDICT_ERROR],
	    r->counts.n[VERDICT_SKIPPED], r->counts.n[VERDICT_ABANDONED]);
	for (i = 0; i < r->nsum; i++) {
		const struct run_summary *s = &r->sum[i];
		int bad = s->n[VERDICT_FAIL] + s->n[VERDICT_TIMEOUT] +
		    s->n[VERDICT_ERROR];

		if (bad > 0)
			log_warnx("run %lld: %s/%s: %d of %d not passed: %s",
			    (long long)r->id, s->sc->name, family_name(s->family),
			    bad, bad + s->n[VERDICT_PASS], s->msg);
	}
}

static void prom_prune(struct daemon *d);

/* Keeps a complete run's counts for STATUS= and writes the textfile. */
static void
run_record(struct daemon *d)
{
	const struct run *r = &d->run;
	const char *prom = d->cur->cf.prometheus_textfile;
	int v;

	if (strcmp(run_status(r), "complete") != 0)
		return;
	d->have_last = 1;
	d->last.id = r->id;
	d->last.started_us = r->ri.start_us;
	d->last.ended_us = r->end_us;
	snprintf(d->last.kernel_release, sizeof(d->last.kernel_release), "%s",
	    r->ri.kernel_release);
	for (v = 0; v < VERDICT__COUNT; v++)
		d->last.n[v] = r->counts.n[v];
	if (prom[0] == '\0')
		return;
	d->prom.skipped = d->skipped;
	if (metrics_set_record(&d->prom, d->run_db->st, r, prom) == -1)
		return;
	prom_prune(d);		/* a run of a plan reloaded since */
	if (metrics_write(prom, &d->prom) == 0)
		log_debug("%s written", prom);
}

static int env_start(struct daemon *d);

/* A run has ended: store its end, report it; start the plan's next
 * environment, or let go of what the runs held. */
static void
on_finish(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	if (run_finish(&d->run) == -1 && d->stopping)
		d->store_lost = 1;
	run_log(&d->run);
	run_record(d);
	run_free(&d->run);
	d->running = 0;
	while (!d->stopping && ++d->env < d->run_setup->plan.nenv)
		if (env_start(d) == 0) {
			status_update(d, 0);
			return;
		}
	setup_unref(d->run_setup);
	d->run_setup = NULL;
	db_unref(d->run_db);
	d->run_db = NULL;
	if (d->stopping)
		event_base_loopexit(d->base, NULL);
	else
		status_update(d, 0);
}

/* The runner's done callback; the run ends outside the runner's own
 * callback, on the next turn of the loop. */
static void
on_run_done(struct run *r, void *ctx)
{
	struct daemon *d = ctx;

	event_active(d->ev_finish, EV_TIMEOUT, 0);
}

/* Starts a run of environment d->env of the run's plan. 0, or -1 logged. */
static int
env_start(struct daemon *d)
{
	const struct setup *s = d->run_setup;
	struct runner_plan plan;
	struct run_info ri;
	char env[64];

	plan_runner(s, d->env, &plan);
	run_describe(&ri, s, d->env);
	snprintf(ri.isolation, sizeof(ri.isolation), "%s", d->isolation);
	if (run_start(&d->run, d->base, d->run_db->st, d->run_db->path, &ri,
	    &plan, on_run_done, d) != 0) {
		run_free(&d->run);
		return -1;
	}
	d->running = 1;
	plan_env_name(s, d->env, env, sizeof(env));
	log_info("run %lld%s%s: %zu scenarios, %d cases at once, %s network "
	    "namespace", (long long)d->run.id, env[0] != '\0' ? " " : "", env,
	    plan.nsc, runner_concurrency(d->run.rn),
	    strcmp(d->isolation, "netns") == 0 ? "a private" : "the host's");
	return 0;
}

/* Starts the plan in force: a run per environment, one after another. */
static void
run_begin(struct daemon *d)
{
	d->last_start_us = clock_wall_us();
	d->run_setup = setup_ref(d->cur);
	d->run_db = db_ref(d->db);
	for (d->env = 0; d->env < d->run_setup->plan.nenv; d->env++)
		if (env_start(d) == 0)
			return;
	setup_unref(d->run_setup);	/* logged; the schedule goes on */
	d->run_setup = NULL;
	db_unref(d->run_db);
	d->run_db = NULL;
}

/* Records a run that fell due while the last one was still going. */
static void
run_skip(struct daemon *d)
{
	char due[32], since[32];

	d->skipped++;
	log_warnx("run due at %s skipped: run %lld, started at %s, is still "
	    "going", iso(d->next_us, due, sizeof(due)), (long long)d->run.id,
	    iso(d->run.ri.start_us, since, sizeof(since)));
	/* In the run's database, which a reload may have replaced since. */
	if (store_skip(d->run_db->st, d->next_us, d->run.id) == -1)
		log_warnx("%s: %s", d->run.db, store_errmsg(d->run_db->st));
}

/* The schedule's timer: a run is due. */
static void
on_schedule(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	int64_t now = clock_wall_us();

	if (d->stopping)
		return;
	if (d->run_setup != NULL)
		run_skip(d);
	else
		run_begin(d);
	do
		d->next_us += interval_us(d);
	while (d->next_us <= now);
	schedule_arm(d);
	status_update(d, 0);
}

/* SIGTERM, SIGINT: abandon the run in progress, then stop. */
static void
on_stop(struct daemon *d, int sig)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	notify_send("STOPPING=1");
	log_info("%s: stopping%s", sig == SIGINT ? "SIGINT" : "SIGTERM",
	    d->running ? ", abandoning the run in progress" : "");
	evtimer_del(d->ev_sched);
	if (d->running)			/* on_finish starts no other */
		run_abandon(&d->run, sig == SIGINT ? "interrupted (SIGINT)" :
		    "interrupted (SIGTERM)");
	else
		event_base_loopexit(d->base, NULL);
}

/* Forgets the textfile's environments the plan in force no longer has:
 * their last runs are no longer news. */
static void
prom_prune(struct daemon *d)
{
	const struct plan *p = &d->cur->plan;
	const struct metrics_env *e;
	size_t i = 0, k;

	while (i < d->prom.n) {
		e = &d->prom.e[i];
		for (k = 0; k < p->nenv; k++)
			if (strcmp(plan_profile(d->cur, k)->name, e->ri.profile) == 0 &&
			    strcmp(link_name(p->env[k].link), e->ri.link) == 0)
				break;
		if (k < p->nenv)
			i++;
		else
			metrics_set_drop(&d->prom, i);
	}
}

/* Logs every line a failed reload wrote to its error stream. */
static void
log_lines(char *text)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		log_warnx("%s", strncmp(line, "teardownd: ", 11) == 0 ?
		    line + 11 : line);
}

/* Switches to ns's database when it names another one: opened (and
 * migrated) first, so a database that fails keeps the old configuration.
 * 0, or -1 logged. */
static int
reload_store(struct daemon *d, const struct setup *ns)
{
	struct db *db;
	int rc;

	if (strcmp(ns->cf.database, d->db->path) == 0)
		return 0;
	if (d->run_db != NULL && strcmp(ns->cf.database, d->run_db->path) == 0)
		/* Back to the database of the run in progress: its store
		 * holds the lock, and its run is not stale. */
		db = db_ref(d->run_db);
	else if ((db = db_open(ns->cf.database, &rc)) == NULL)
		return -1;		/* logged, e.g. in use by another teardownd */
	db_unref(d->db);
	d->db = db;
	log_info("database now %s", ns->cf.database);
	return 0;
}

/* Reads the configuration again; the old one stays on any error. */
static void
reload(struct daemon *d)
{
	struct setup *ns = calloc(1, sizeof(*ns));
	char *errs = NULL;
	size_t len = 0, n;
	FILE *f;
	int rc = -1;

	if (ns == NULL || (f = open_memstream(&errs, &len)) == NULL) {
		log_warn("reload");
		free(ns);
		return;
	}
	rc = d->load(d->load_ctx, ns, f);
	fclose(f);
	if (rc != 0 || reload_store(d, ns) == -1) {
		if (errs != NULL)
			log_lines(errs);
		log_warnx("reload refused; the configuration in force stays");
		if (rc == 0)
			setup_free(ns);
		free(ns);
		free(errs);
		return;
	}
	ns->refs = 1;
	free(errs);
	if (ns->cf.isolation != d->isolation_mode)
		log_warnx("isolation = %s takes effect at restart; cases still "
		    "run in %s", isolation_name(ns->cf.isolation),
		    strcmp(d->isolation, "netns") == 0 ?
		    "a private network namespace" : "the host's namespace");
	setup_unref(d->cur);
	d->cur = ns;
	n = d->prom.n;
	prom_prune(d);
	if (d->prom.n < n && d->prom.n > 0 &&
	    ns->cf.prometheus_textfile[0] != '\0')
		metrics_write(ns->cf.prometheus_textfile, &d->prom);
	log_info("configuration reloaded: %zu scenarios", ns->nsc);
}

/* SIGHUP: reload, telling systemd before and after. */
static void
on_hup(struct daemon *d)
{
	int64_t was = interval_us(d);

	if (d->stopping)
		return;
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)clock_mono_us());
	log_info("SIGHUP: reloading %s", d->cur->cf.file[0] != '\0' ?
	    d->cur->cf.file : "the embedded default");
	reload(d);
	last_run_load(d);
	if (d->last_start_us > 0 && interval_us(d) != was) {
		d->next_us = d->last_start_us + interval_us(d);
		if (d->next_us < clock_wall_us())
			d->next_us = clock_wall_us();
		schedule_arm(d);
	}
	status_update(d, 1);
}

/* Signal events. */
static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	if (sig == SIGHUP)
		on_hup(arg);
	else
		on_stop(arg, (int)sig);
}

/* The watchdog's keep-alive. */
static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	notify_send("WATCHDOG=1");
}

/* Creates the loop and its events; -1 when libevent fails. */
static int
daemon_events(struct daemon *d)
{
	static const int sigs[NSIGNALS] = { SIGTERM, SIGINT, SIGHUP };
	uint64_t wd = notify_watchdog_interval();
	struct timeval tv;
	int i;

	if ((d->base = run_base_new()) == NULL)
		return -1;
	d->ev_sched = evtimer_new(d->base, on_schedule, d);
	d->ev_finish = event_new(d->base, -1, 0, on_finish, d);
	if (d->ev_sched == NULL || d->ev_finish == NULL)
		return -1;
	for (i = 0; i < NSIGNALS; i++)
		if ((d->ev_sig[i] = evsignal_new(d->base, sigs[i], on_signal,
		    d)) == NULL || evsignal_add(d->ev_sig[i], NULL) == -1)
			return -1;
	if (wd == 0)
		return 0;
	tv.tv_sec = (time_t)(wd / 1000000);
	tv.tv_usec = (suseconds_t)(wd % 1000000);
	d->ev_watchdog = event_new(d->base, -1, EV_PERSIST, on_watchdog, d);
	if (d->ev_watchdog == NULL || event_add(d->ev_watchdog, &tv) == -1)
		return -1;
	log_debug("watchdog: WATCHDOG=1 every %llu us", (unsigned long long)wd);
	return 0;
}

/* Start-up up to the loop: database, stale runs, isolation. Returns 0 or
 * the exit code. */
static int
daemon_open(struct daemon *d)
{
	const struct config *cf = &d->cur->cf;
	struct run_info ri;
	int rc;

	/* The lock first, then the stale runs: see run_store_open. */
	if ((d->db = db_open(cf->database, &rc)) == NULL)
		return rc;			/* logged; 75: held by another */
	sysctl_pin();			/* before isolating: see sysctl.h */
	run_info_collect(&ri);
	snprintf(d->host, sizeof(d->host), "%s", ri.host);
	snprintf(d->kernel, sizeof(d->kernel), "%s", ri.kernel_release);
	d->isolation_mode = cf->isolation;
	if (run_isolate(d->cur, &ri, d->isolation) == -1 ||
	    probe_ready_tcp(cf->families) == -1)
		return EXIT_SOFTWARE;
	sysctl_settle(strcmp(d->isolation, "netns") == 0);
	if (daemon_events(d) == -1) {
		log_warnx("libevent: cannot set the loop up");
		return EXIT_SOFTWARE;
	}
	return 0;
}

/* Frees everything the daemon holds. */
static void
daemon_free(struct daemon *d)
{
	int i;

	if (d->running)
		run_free(&d->run);
	metrics_set_free(&d->prom);
	setup_unref(d->run_setup);
	db_unref(d->run_db);
	for (i = 0; i < NSIGNALS; i++)
		if (d->ev_sig[i] != NULL)
			event_free(d->ev_sig[i]);
	if (d->ev_watchdog != NULL)
		event_free(d->ev_watchdog);
	if (d->ev_sched != NULL)
		event_free(d->ev_sched);
	if (d->ev_finish != NULL)
		event_free(d->ev_finish);
	if (d->base != NULL)
		event_base_free(d->base);
	db_unref(d->db);
	setup_unref(d->cur);
	notify_close();
	run_link_close();
}

/* Runs the daemon until SIGTERM or SIGINT. */
int
daemon_main(struct setup *first, setup_load_fn load, void *ctx,
    int64_t interval)
{
	struct daemon d;
	char every[32];
	int rc;

	memset(&d, 0, sizeof(d));
	d.load = load;
	d.load_ctx = ctx;
	d.interval_override = interval;
	if ((d.cur = malloc(sizeof(*d.cur))) == NULL)
		fatal(EXIT_SOFTWARE, "malloc");
	*d.cur = *first;
	d.cur->refs = 1;
	memset(first, 0, sizeof(*first));
	signal(SIGHUP, SIG_IGN);	/* until the loop handles it: nothing to reload */
	notify_open();			/* before the namespace: see notify.h */
	if ((rc = daemon_open(&d)) != 0) {
		daemon_free(&d);
		return rc;
	}
	parse_format_duration(interval_us(&d), every, sizeof(every));
	log_info("teardownd %s: the plan every %s, %s", TEARDOWND_VERSION,
	    every, d.cur->cf.file[0] != '\0' ? d.cur->cf.file : "embedded default");
	schedule_first(&d);
	status_update(&d, 1);
	event_base_dispatch(d.base);
	rc = d.store_lost ? STORE_EXIT_OPEN : 0;
	log_info("stopped");
	daemon_free(&d);
	return rc;
}
