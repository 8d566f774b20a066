/* teardownd.c: the daemon's entry point: options, configuration and
 * catalogue, then a run of the plan on one libevent loop, stored in SQLite. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "catalog.h"
#include "config.h"
#include "isolate.h"
#include "log.h"
#include "runner.h"
#include "store.h"

#define EXIT_FAILED	1		/* some case did not pass */
#define EXIT_USAGE	64		/* EX_USAGE */
#define EXIT_SOFTWARE	70		/* EX_SOFTWARE: could not run at all */
#define EXIT_CONFIG	78		/* EX_CONFIG */

struct opts {
	const char *config;			/* -c FILE */
	const char *db;				/* --db PATH */
	const char *scenarios;			/* --scenarios PATH */
	const char *only;			/* --only a,b,c */
	const char *family;			/* --family ipv4|ipv6|all */
	const char *isolation;			/* --isolation auto|netns|host */
	int repeat;				/* --repeat N, 0 = config */
	int concurrency;			/* --concurrency N, -1 = config */
	int check;				/* -n */
	int once;				/* --once */
	int verbose;				/* -v */
};

/* One run of the plan in progress. */
struct run {
	struct event_base *base;
	struct store *st;
	const char *db;				/* for messages */
	int64_t id;				/* runs.id */
	int store_failed;			/* a batch could not be written */
	int signalled;				/* SIGINT/SIGTERM arrived */
	struct runner *rn;
	struct run_counts counts;
	struct summary *sum;			/* per scenario x family, for stdout */
	size_t nsum;
};

struct summary {
	const struct scenario *sc;
	enum family family;
	int n[VERDICT__COUNT];
	char msg[256];				/* the first failure's message */
};

/* Prints usage to f. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: teardownd [-nvV] [-c FILE] [--once] [--db PATH] [--scenarios PATH]\n"
	    "                 [--only NAME,...] [--family ipv4|ipv6|all] [--repeat N]\n"
	    "                 [--concurrency N] [--isolation auto|netns|host]\n");
}

/* Parses a positive int option; exits 64 on a bad value. */
static int
opt_int(const char *name, const char *arg, int lo, int hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "teardownd: --%s: '%s' is not a number in %d..%d\n",
		    name, arg, lo, hi);
		exit(EXIT_USAGE);
	}
	return (int)v;
}

/* Parses the command line into o. */
static void
opts_parse(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "once", no_argument, NULL, 'o' }, { "db", required_argument, NULL, 'd' },
		{ "scenarios", required_argument, NULL, 's' },
		{ "only", required_argument, NULL, 'O' },
		{ "family", required_argument, NULL, 'f' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "concurrency", required_argument, NULL, 'j' },
		{ "isolation", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->concurrency = -1;
	while ((ch = getopt_long(argc, argv, "c:nvVh", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'n': o->check = 1; break;
		case 'v': o->verbose = 1; break;
		case 'o': o->once = 1; break;
		case 'd': o->db = optarg; break;
		case 's': o->scenarios = optarg; break;
		case 'O': o->only = optarg; break;
		case 'f': o->family = optarg; break;
		case 'i': o->isolation = optarg; break;
		case 'r': o->repeat = opt_int("repeat", optarg, 1, 10000); break;
		case 'j': o->concurrency = opt_int("concurrency", optarg, 1, 4096); break;
		case 'V': printf("teardownd %s\n", TEARDOWND_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(EXIT_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "teardownd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		exit(EXIT_USAGE);
	}
}

/* Loads configuration and catalogue; every error to stderr, then exit 78. */
static void
load(const struct opts *o, struct config *cf, struct catalog *cat)
{
	int errs = 0;

	config_defaults(cf);
	if (o->config != NULL)
		errs += config_load(cf, o->config, stderr);
	if (o->db != NULL)
		snprintf(cf->database, sizeof(cf->database), "%s", o->db);
	if (o->scenarios != NULL)
		snprintf(cf->scenarios, sizeof(cf->scenarios), "%s", o->scenarios);
	if (o->repeat > 0)
		cf->repeat = o->repeat;
	if (o->concurrency > 0)
		cf->concurrency = o->concurrency;
	if (o->isolation != NULL) {
		for (cf->isolation = 0; cf->isolation < ISOLATE__COUNT; cf->isolation++)
			if (strcmp(o->isolation, isolation_name(cf->isolation)) == 0)
				break;
		if (cf->isolation == ISOLATE__COUNT) {
			fprintf(stderr, "teardownd: --isolation: '%s' is not auto, "
			    "netns or host\n", o->isolation);
			exit(EXIT_USAGE);
		}
	}
	errs += catalog_load_embedded(cat, stderr);
	if (cf->scenarios[0] != '\0')
		errs += catalog_load_path(cat, cf->scenarios, stderr);
	if (errs > 0)
		exit(EXIT_CONFIG);
	if (o->family == NULL || strcmp(o->family, "all") == 0)
		return;
	if (strcmp(o->family, "ipv4") == 0)
		cf->families = 1u << FAM_IPV4;
	else if (strcmp(o->family, "ipv6") == 0)
		cf->families = 1u << FAM_IPV6;
	else {
		fprintf(stderr, "teardownd: --family: '%s' is not ipv4, ipv6 or all\n",
		    o->family);
		exit(EXIT_USAGE);
	}
}

/* The plan's scenarios: all, or those --only names; exits 64 on an unknown one. */
static const struct scenario **
select_scenarios(const struct catalog *cat, const char *only, size_t *n)
{
	const struct scenario **v = calloc(cat->n + 1, sizeof(*v));
	char *list, *name, *save = NULL;
	size_t i;

	if (v == NULL)
		fatal(EXIT_SOFTWARE, "calloc");
	*n = 0;
	if (only == NULL) {
		for (i = 0; i < cat->n; i++)
			v[(*n)++] = &cat->sc[i];
		return v;
	}
	if ((list = strdup(only)) == NULL)
		fatal(EXIT_SOFTWARE, "strdup");
	for (name = strtok_r(list, ", ", &save); name != NULL;
	    name = strtok_r(NULL, ", ", &save)) {
		if ((v[*n] = catalog_find(cat, name)) == NULL) {
			fprintf(stderr, "teardownd: --only: no scenario '%s'\n", name);
			exit(EXIT_USAGE);
		}
		if (*n < cat->n)
			(*n)++;
	}
	free(list);
	return v;
}

/* Adds a finished case to the stdout summary. */
static void
summary_add(struct run *r, const struct case_result *cr)
{
	size_t i;

	for (i = 0; i < r->nsum; i++)
		if (r->sum[i].sc == cr->sc && r->sum[i].family == cr->family)
			break;
	if (i == r->nsum) {
		struct summary *s = realloc(r->sum, (r->nsum + 1) * sizeof(*s));

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
		snprintf(r->sum[i].msg, sizeof(r->sum[i].msg), "%s", cr->msg);
}

/* Batch callback: store the cases in one transaction. */
static int
on_batch(void *ctx, struct case_result *const *res, size_t n)
{
	struct run *r = ctx;
	size_t i;

	for (i = 0; i < n; i++)
		summary_add(r, res[i]);
	if (r->store_failed)
		return -1;
	if (store_cases(r->st, r->id, res, n) == -1) {
		log_warnx("%s: cannot store results: %s", r->db, store_errmsg(r->st));
		r->store_failed = 1;
		return -1;
	}
	return 0;
}

/* Done callback: every case has ended. */
static void
on_done(void *ctx, const struct run_counts *counts, int abandoned)
{
	struct run *r = ctx;

	r->counts = *counts;
	event_base_loopexit(r->base, NULL);
}

/* SIGINT/SIGTERM: abandon the cases in flight; the run is marked. */
static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct run *r = arg;

	log_info("signal %d: abandoning the run", (int)sig);
	r->signalled = 1;
	runner_abandon(r->rn, sig == SIGINT ? "interrupted (SIGINT)" :
	    "interrupted (SIGTERM)");
}

/* Sorts summary rows by scenario name, then family. */
static int
summary_cmp(const void *a, const void *b)
{
	const struct summary *x = a, *y = b;
	int c = strcmp(x->sc->name, y->sc->name);

	return c != 0 ? c : (int)x->family - (int)y->family;
}

/* Prints the run's results, a line per scenario and family. */
static void
summary_print(struct run *r)
{
	size_t i;

	qsort(r->sum, r->nsum, sizeof(*r->sum), summary_cmp);
	printf("%-28s %-6s %-8s %5s %5s %5s %5s  %s\n", "SCENARIO", "FAMILY",
	    "VERDICT", "PASS", "FAIL", "TIME", "ERR", "FIRST FAILURE");
	for (i = 0; i < r->nsum; i++) {
		const struct summary *s = &r->sum[i];
		int bad = s->n[VERDICT_FAIL] + s->n[VERDICT_TIMEOUT] + s->n[VERDICT_ERROR];

		printf("%-28s %-6s %-8s %5d %5d %5d %5d  %s\n", s->sc->name,
		    family_name(s->family), bad ? "FAIL" : "pass", s->n[VERDICT_PASS],
		    s->n[VERDICT_FAIL], s->n[VERDICT_TIMEOUT], s->n[VERDICT_ERROR], s->msg);
	}
	printf("run %lld: %d cases: %d pass, %d fail, %d timeout, %d error%s\n",
	    (long long)r->id, r->counts.total, r->counts.n[VERDICT_PASS],
	    r->counts.n[VERDICT_FAIL], r->counts.n[VERDICT_TIMEOUT],
	    r->counts.n[VERDICT_ERROR], r->signalled ? " (interrupted)" : "");
}

/* Wall clock in microseconds. */
static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Fills run_info with this run's identity. */
static void
run_describe(struct run_info *ri, const struct config *cf, const struct catalog *cat)
{
	run_info_collect(ri);
	snprintf(ri->config_hash, sizeof(ri->config_hash), "%016llx",
	    (unsigned long long)(cf->hash * 1099511628211ULL ^ cat->hash));
	snprintf(ri->families, sizeof(ri->families), "%s%s%s",
	    cf->families & (1u << FAM_IPV4) ? "ipv4" : "",
	    cf->families == ((1u << FAM_IPV4) | (1u << FAM_IPV6)) ? " " : "",
	    cf->families & (1u << FAM_IPV6) ? "ipv6" : "");
	ri->repeat = cf->repeat;
}

/* Moves into a private network namespace as cf asks; records where the
 * cases run in ri. 0, or -1 when a required isolation failed. */
static int
run_isolate(const struct config *cf, struct run_info *ri)
{
	char msg[1024];
	int r;

	snprintf(ri->isolation, sizeof(ri->isolation), "host");
	if (cf->isolation == ISOLATE_HOST)
		return 0;
	r = isolate_netns(ri->sysctl, ri->nsysctl, msg, sizeof(msg));
	if (r == 1) {
		snprintf(ri->isolation, sizeof(ri->isolation), "netns");
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
	fprintf(stderr, "teardownd: cannot isolate the run: %s\n", msg);
	return -1;
}

/* Runs the plan once, storing it; returns the exit code. */
static int
run_once(const struct config *cf, const struct catalog *cat,
    const struct scenario **sc, size_t nsc)
{
	struct runner_plan plan = { .sc = sc, .nsc = nsc, .families = cf->families,
	    .repeat = cf->repeat, .concurrency = cf->concurrency,
	    .case_timeout_us = cf->case_timeout_us };
	struct run r = { .db = cf->database };
	struct run_info ri;
	struct event *sigs[2];
	char err[512];
	int i, rc;

	if ((r.st = store_open(cf->database, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "teardownd: %s\n", err);
		return STORE_EXIT_OPEN;
	}
	run_describe(&ri, cf, cat);
	if (run_isolate(cf, &ri) == -1) {
		store_close(r.st);
		return EXIT_SOFTWARE;
	}
	if (store_run_begin(r.st, &ri, &r.id) == -1) {
		fprintf(stderr, "teardownd: %s: %s\n", cf->database, store_errmsg(r.st));
		store_close(r.st);
		return STORE_EXIT_OPEN;
	}
	if ((r.base = event_base_new()) == NULL)
		fatalx(EXIT_SOFTWARE, "event_base_new failed");
	sigs[0] = evsignal_new(r.base, SIGINT, on_signal, &r);
	sigs[1] = evsignal_new(r.base, SIGTERM, on_signal, &r);
	for (i = 0; i < 2; i++)
		evsignal_add(sigs[i], NULL);
	if ((r.rn = runner_start(r.base, &plan, on_batch, on_done, &r)) == NULL)
		fatal(EXIT_SOFTWARE, "cannot start the run (netlink sock_diag)");
	log_info("run %lld: %zu scenarios, %d cases at once, %s network namespace",
	    (long long)r.id, nsc, plan.concurrency > 0 ? plan.concurrency :
	    runner_default_concurrency(), strcmp(ri.isolation, "netns") == 0 ?
	    "a private" : "the host's");
	event_base_dispatch(r.base);
	rc = store_run_end(r.st, r.id, r.signalled ? "interrupted" :
	    r.store_failed ? "aborted" : "complete", now_us()) == -1;
	if (rc)
		log_warnx("%s: cannot end run: %s", cf->database, store_errmsg(r.st));
	summary_print(&r);
	runner_free(r.rn);
	for (i = 0; i < 2; i++)
		event_free(sigs[i]);
	event_base_free(r.base);
	store_close(r.st);
	free(r.sum);
	if (r.store_failed || rc)
		return STORE_EXIT_OPEN;
	return r.counts.n[VERDICT_PASS] == r.counts.total && !r.signalled ? 0 : EXIT_FAILED;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct config cf;
	struct catalog cat = { 0 };
	const struct scenario **sc;
	size_t nsc;
	int rc;

	opts_parse(&o, argc, argv);
	log_init("teardownd", o.verbose);
	signal(SIGPIPE, SIG_IGN);
	load(&o, &cf, &cat);
	sc = select_scenarios(&cat, o.only, &nsc);
	if (o.check) {
		printf("configuration OK\n");
		rc = 0;
	} else if (!o.once) {
		fprintf(stderr, "teardownd: the scheduled daemon is not built yet; "
		    "run the plan with --once\n");
		rc = EXIT_USAGE;
	} else
		rc = run_once(&cf, &cat, sc, nsc);
	free(sc);
	catalog_free(&cat);
	return rc;
}
