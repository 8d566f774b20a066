/* teardownd.c: the daemon's entry point: options, configuration and
 * catalogue; then a run of the plan once (--once), the configuration
 * checked (-n), or the scheduled daemon (daemon.c). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "catalog.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "guest.h"
#include "log.h"
#include "metrics.h"
#include "parse.h"
#include "probe.h"
#include "run.h"
#include "runner.h"
#include "scenario.h"
#include "store.h"
#include "sysctl.h"

#define EXIT_FAILED	1		/* some case did not pass */
#define EXIT_REGRESSED	2		/* --once: changed against the baseline */
#define EXIT_INTERRUPTED (-1)		/* run_env: SIGINT, SIGTERM (exit 1) */
#define EXIT_USAGE	64		/* EX_USAGE */
#define EXIT_SOFTWARE	70		/* EX_SOFTWARE: could not run at all */
#define EXIT_CONFIG	78		/* EX_CONFIG */
#define MAX_KERNELS	8		/* --kernel options */
#define GUEST_CONCURRENCY "8"		/* a guest's cases at once by default */

struct opts {
	const char *config;			/* -c FILE */
	const char *db;				/* --db PATH */
	const char *scenarios;			/* --scenarios PATH */
	const char *only;			/* --only a,b,c */
	const char *family;			/* --family ipv4|ipv6|all */
	const char *isolation;			/* --isolation auto|netns|host */
	const char *link;			/* --link lo|veth|relay,... */
	const char *profile;			/* --profile NAME,... */
	int repeat;				/* --repeat N, 0 = config */
	int concurrency;			/* --concurrency N, -1 = config */
	int64_t interval_us;			/* --interval D, 0 = config */
	int check;				/* -n */
	int once;				/* --once */
	int verbose;				/* -v */
	int no_capture;				/* --no-capture */
	const char *kernel[MAX_KERNELS];	/* --kernel SPEC, in order */
	int nkernel;
	const char *kernel_cache;		/* --kernel-cache DIR */
	int64_t kernel_timeout_us;		/* --kernel-timeout D; 0 = 10m */
	int kernel_memory;			/* --kernel-memory MB; 0 = 1024 */
	int guest;				/* --guest: the guest's init */
	const char *guest_host;			/* --guest-host NAME */
	const char *virt;			/* --virt kvm|tcg */
	char repeat_text[16];			/* --repeat, for guests */
	char concurrency_text[16];		/* --concurrency, for guests */
};

/* --once: the run, and the signals that interrupt it; the progress line. */
struct once {
	struct event_base *base;
	struct run run;
	int64_t start_us;			/* monotonic */
};

#define PROGRESS_AFTER_US	3000000	/* runs shorter than this show none */

/* Prints usage to f. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: teardownd [-nvV] [-c FILE] [--once] [--db PATH] [--scenarios PATH]\n"
	    "                 [--only NAME,...] [--family ipv4|ipv6|all] [--repeat N]\n"
	    "                 [--concurrency N] [--isolation auto|netns|host]\n"
	    "                 [--link lo|veth|relay,...] [--profile NAME,...]\n"
	    "                 [--interval DURATION] [--no-capture]\n"
	    "                 [--kernel host|PACKAGE|VMLINUZ[,MODULES]]...\n"
	    "                 [--kernel-cache DIR] [--kernel-timeout DURATION]\n"
	    "                 [--kernel-memory MB]\n"
	    "       teardownd --verbs | --help | --version\n");
}

/* --help: the synopsis, then what each option does. */
static void
help(FILE *f)
{
	usage(f);
	fputs("\n"
	    "Runs TCP teardown scenarios on real sockets, observes both ends and the\n"
	    "wire, and stores every case in a database: as a daemon on a schedule\n"
	    "(the default), once (--once), or checks the configuration (-n).\n"
	    "\n"
	    "  -c FILE            the configuration (default: the embedded one)\n"
	    "  -n                 check the configuration and every scenario, exit\n"
	    "  --once             run the plan once, store it, print the results\n"
	    "  --db PATH          the database (default ./teardownd.db)\n"
	    "  --scenarios PATH   user scenarios: a file or a directory of .ini\n"
	    "  --only NAME,...    only these scenarios\n"
	    "  --family F         ipv4, ipv6 or all\n"
	    "  --repeat N         each scenario N times per family\n"
	    "  --concurrency N    cases at once (default: as the open-file limit allows)\n"
	    "  --isolation M      auto, netns or host: where the cases run\n"
	    "  --link L,...       lo, veth, relay: a run on each\n"
	    "  --profile P,...    sysctl profiles: a run under each\n"
	    "  --kernel SPEC      with --once, repeatable: host, a Debian linux-image\n"
	    "                     package or VMLINUZ[,MODULES]: the plan in a qemu guest\n"
	    "  --kernel-cache DIR, --kernel-timeout D, --kernel-memory MB\n"
	    "                     where kernels are kept; a guest's time and memory\n"
	    "  --interval D       the daemon's schedule (from 1s, for tests)\n"
	    "  --no-capture       do not observe the wire\n"
	    "  -v                 debug logging\n"
	    "  --verbs            the verbs of the scenario language\n"
	    "  --help, --version  this text; the version\n"
	    "\n"
	    "exit status: 0 all passed (--once) or a clean stop, 1 a case failed,\n"
	    "2 a change against the baseline, 64 usage, 69 --kernel: no qemu or\n"
	    "kernel, 70 could not run, 74 database error, 75 database in use,\n"
	    "78 configuration error; see teardownd(8)\n", f);
}

/* Prints every verb of the scenario language: its name, the ends it acts
 * on and its documentation line, from the table the parser is built of. */
static void
verbs_print(FILE *f)
{
	int v, fl;

	for (v = 0; v < VERB__COUNT; v++) {
		fl = verb_flags((enum verb)v);
		fprintf(f, "%-16s %-24s %s\n", verb_name((enum verb)v),
		    (fl & VF_ANY) == VF_ANY ? "client, server, listener" :
		    (fl & VF_ANY) == VF_PAIR ? "client, server" :
		    fl & VF_LISTENER ? "listener" : "client", verb_doc((enum verb)v));
	}
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

/* Parses a duration option in lo..hi us; exits 64 on a bad one. */
static int64_t
opt_duration(const char *name, const char *arg, int64_t lo, int64_t hi)
{
	char a[32], b[32];
	int64_t us;

	if (parse_duration(arg, lo, hi, &us) == 0)
		return us;
	parse_format_duration(lo, a, sizeof(a));
	parse_format_duration(hi, b, sizeof(b));
	fprintf(stderr, "teardownd: --%s: '%s' is not a duration in %s..%s\n",
	    name, arg, a, b);
	exit(EXIT_USAGE);
}

/* Parses --interval: a duration from 1s (for tests) to 30d; exits 64. */
static int64_t
opt_interval(const char *arg)
{
	int64_t us;

	if (parse_duration(arg, 1000000, (int64_t)30 * 86400 * 1000000, &us) == 0)
		return us;
	fprintf(stderr, "teardownd: --interval: '%s' is not a duration in "
	    "1s..30d (250ms, 1.5s, 2m, 6h, 1d)\n", arg);
	exit(EXIT_USAGE);
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
		{ "link", required_argument, NULL, 'L' },
		{ "profile", required_argument, NULL, 'R' },
		{ "interval", required_argument, NULL, 'I' },
		{ "no-capture", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ "verbs", no_argument, NULL, 'B' },
		{ "kernel", required_argument, NULL, 'K' },
		{ "kernel-cache", required_argument, NULL, 'C' },
		{ "kernel-timeout", required_argument, NULL, 'T' },
		{ "kernel-memory", required_argument, NULL, 'M' },
		{ "guest", no_argument, NULL, 'G' },
		{ "guest-host", required_argument, NULL, 'H' },
		{ "virt", required_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->concurrency = -1;
	opterr = 0;			/* our own messages, without argv[0]'s path */
	while ((ch = getopt_long(argc, argv, ":c:nvVh", lo, NULL)) != -1) {
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
		case 'L': o->link = optarg; break;
		case 'R': o->profile = optarg; break;
		case 'I': o->interval_us = opt_interval(optarg); break;
		case 'P': o->no_capture = 1; break;
		case 'r': o->repeat = opt_int("repeat", optarg, 1, 10000);
			snprintf(o->repeat_text, sizeof(o->repeat_text), "%d", o->repeat);
			break;
		case 'j': o->concurrency = opt_int("concurrency", optarg, 1, 1000000);
			snprintf(o->concurrency_text, sizeof(o->concurrency_text), "%d",
			    o->concurrency);
			break;
		case 'K':
			if (o->nkernel == MAX_KERNELS) {
				fprintf(stderr, "teardownd: --kernel: at most %d\n",
				    MAX_KERNELS);
				exit(EXIT_USAGE);
			}
			o->kernel[o->nkernel++] = optarg;
			break;
		case 'C': o->kernel_cache = optarg; break;
		case 'T': o->kernel_timeout_us = opt_duration("kernel-timeout",
			    optarg, 10000000, (int64_t)3600 * 1000000); break;
		case 'M': o->kernel_memory = opt_int("kernel-memory", optarg, 32,
			    65536); break;
		case 'G': o->guest = 1; break;
		case 'H': o->guest_host = optarg; break;
		case 'W':
			if (strcmp(optarg, "kvm") != 0 && strcmp(optarg, "tcg") != 0) {
				fprintf(stderr, "teardownd: --virt: '%s' is not kvm or "
				    "tcg\n", optarg);
				exit(EXIT_USAGE);
			}
			o->virt = optarg;
			break;
		case 'V': printf("teardownd %s\n", TEARDOWND_VERSION); exit(0);
		case 'h': help(stdout); exit(0);
		case 'B': verbs_print(stdout); exit(0);
		case ':':
			fprintf(stderr, "teardownd: %s needs a value (try 'teardownd "
			    "--help')\n", argv[optind - 1]);
			exit(EXIT_USAGE);
		default:
			if (optopt != 0 && strncmp(argv[optind - 1], "--", 2) == 0)
				fprintf(stderr, "teardownd: %.*s takes no value\n",
				    (int)strcspn(argv[optind - 1], "="),
				    argv[optind - 1]);
			else if (optopt != 0)
				fprintf(stderr, "teardownd: unknown option '-%c' (try "
				    "'teardownd --help')\n", optopt);
			else
				fprintf(stderr, "teardownd: unknown option '%s' (try "
				    "'teardownd --help')\n", argv[optind - 1]);
			exit(EXIT_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "teardownd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		exit(EXIT_USAGE);
	}
	if (o->nkernel > 0 && !o->once) {
		fprintf(stderr, "teardownd: --kernel needs --once\n");
		exit(EXIT_USAGE);
	}
	if (o->kernel_timeout_us == 0)
		o->kernel_timeout_us = (int64_t)600 * 1000000;
}

/* Applies the command line's overrides to cf; 0, or 64 with a message. */
static int
opts_apply(const struct opts *o, struct config *cf, FILE *errs)
{
	if (o->db != NULL && strlen(o->db) >= sizeof(cf->database)) {
		fprintf(errs, "teardownd: --db: %.60s...: path too long (%zu "
		    "bytes; at most %zu)\n", o->db, strlen(o->db),
		    sizeof(cf->database) - 1);
		return STORE_EXIT_OPEN;
	}
	if (o->db != NULL)
		snprintf(cf->database, sizeof(cf->database), "%s", o->db);
	if (o->scenarios != NULL)
		snprintf(cf->scenarios, sizeof(cf->scenarios), "%s", o->scenarios);
	if (o->repeat > 0)
		cf->repeat = o->repeat;
	if (o->concurrency > 0)
		cf->concurrency = o->concurrency;
	cf->no_capture |= o->no_capture;
	if (o->link != NULL && config_set_links(cf, o->link, errs) == -1)
		return EXIT_USAGE;
	if (o->isolation == NULL)
		return 0;
	for (cf->isolation = 0; cf->isolation < ISOLATE__COUNT; cf->isolation++)
		if (strcmp(o->isolation, isolation_name(cf->isolation)) == 0)
			return 0;
	fprintf(errs, "teardownd: --isolation: '%s' is not auto, netns or host\n",
	    o->isolation);
	return EXIT_USAGE;
}

/* Applies --family to cf; 0, or 64 with a message. */
static int
opts_family(const struct opts *o, struct config *cf, FILE *errs)
{
	if (o->family == NULL || strcmp(o->family, "all") == 0)
		return 0;
	if (strcmp(o->family, "ipv4") == 0)
		cf->families = 1u << FAM_IPV4;
	else if (strcmp(o->family, "ipv6") == 0)
		cf->families = 1u << FAM_IPV6;
	else {
		fprintf(errs, "teardownd: --family: '%s' is not ipv4, ipv6 or all\n",
		    o->family);
		return EXIT_USAGE;
	}
	return 0;
}

/* The catalogue's scenario nearest to name, when near enough; NULL. */
static const char *
nearest_scenario(const struct catalog *cat, const char *name)
{
	const char **names = calloc(cat->n + 1, sizeof(*names)), *best;
	size_t i;

	if (names == NULL)
		return NULL;
	for (i = 0; i < cat->n; i++)
		names[i] = cat->sc[i].name;
	best = parse_nearest(name, names, cat->n);
	free(names);
	return best;
}

/* The plan's scenarios into s: all, or those --only names; 0, or 64 for
 * an unknown one. */
static int
select_scenarios(struct setup *s, const char *only, FILE *errs)
{
	const struct catalog *cat = &s->cat;
	char *list, *name, *save = NULL;
	size_t i;

	if ((s->sc = calloc(cat->n + 1, sizeof(*s->sc))) == NULL)
		fatal(EXIT_SOFTWARE, "calloc");
	s->nsc = 0;
	if (only == NULL) {
		for (i = 0; i < cat->n; i++)
			s->sc[s->nsc++] = &cat->sc[i];
		return 0;
	}
	if ((list = strdup(only)) == NULL)
		fatal(EXIT_SOFTWARE, "strdup");
	for (name = strtok_r(list, ", ", &save); name != NULL;
	    name = strtok_r(NULL, ", ", &save)) {
		if ((s->sc[s->nsc] = catalog_find(cat, name)) == NULL) {
			const char *best = nearest_scenario(cat, name);

			fprintf(errs, "teardownd: --only: no scenario '%s'%s%s%s\n",
			    name, best != NULL ? " (did you mean '" : "",
			    best != NULL ? best : "", best != NULL ? "'?)" : "");
			free(list);
			return EXIT_USAGE;
		}
		if (s->nsc < cat->n)
			s->nsc++;
	}
	free(list);
	return 0;
}

/* Loads configuration, catalogue and plan as the options say (a
 * setup_load_fn: at start-up and on every SIGHUP). */
static int
setup_load(void *ctx, struct setup *s, FILE *errs)
{
	const struct opts *o = ctx;
	int errs_n = 0, rc;

	memset(s, 0, sizeof(*s));
	config_defaults(&s->cf);
	if (o->config != NULL)
		errs_n += config_load(&s->cf, o->config, errs);
	if ((rc = opts_apply(o, &s->cf, errs)) != 0)
		return rc;
	errs_n += catalog_load_embedded(&s->cat, errs);
	if (s->cf.scenarios[0] != '\0')
		errs_n += catalog_load_path(&s->cat, s->cf.scenarios, errs);
	errs_n += catalog_check_linger(&s->cat, s->cf.case_timeout_us, errs);
	if (errs_n > 0)
		rc = EXIT_CONFIG;
	else if (o->profile != NULL &&
	    config_set_profiles(&s->cf, o->profile, errs) == -1)
		rc = EXIT_USAGE;
	else if ((rc = opts_family(o, &s->cf, errs)) == 0 &&
	    (rc = select_scenarios(s, o->only, errs)) == 0 && plan_build(s) == -1) {
		fprintf(errs, "teardownd: out of memory\n");
		rc = EXIT_SOFTWARE;
	}
	if (rc != 0)
		setup_free(s);
	return rc;
}

/* The word for a scenario and family's cases in the summary. */
static const char *
summary_word(const struct run_summary *s)
{
	if (s->n[VERDICT_FAIL] + s->n[VERDICT_TIMEOUT] + s->n[VERDICT_ERROR] > 0)
		return "FAIL";
	if (s->n[VERDICT_PASS] > 0)
		return "pass";
	return s->n[VERDICT_SKIPPED] > 0 ? "skipped" : "abandoned";
}

/* Prints the run's results, a line per scenario and family. */
static void
summary_print(const struct run *r)
{
	const int *n = r->counts.n;
	size_t i;

	printf("%-28s %-6s %-9s %5s %5s %5s %5s  %s\n", "SCENARIO", "FAMILY",
	    "VERDICT", "PASS", "FAIL", "TIME", "ERR", "FIRST FAILURE");
	for (i = 0; i < r->nsum; i++) {
		const struct run_summary *s = &r->sum[i];

		printf("%-28s %-6s %-9s %5d %5d %5d %5d  %s\n", s->sc->name,
		    family_name(s->family), summary_word(s), s->n[VERDICT_PASS],
		    s->n[VERDICT_FAIL], s->n[VERDICT_TIMEOUT], s->n[VERDICT_ERROR],
		    s->msg);
	}
	printf("run %lld: %d cases: %d pass, %d fail, %d timeout, %d error",
	    (long long)r->id, r->counts.total, n[VERDICT_PASS], n[VERDICT_FAIL],
	    n[VERDICT_TIMEOUT], n[VERDICT_ERROR]);
	if (n[VERDICT_SKIPPED] > 0)
		printf(", %d skipped", n[VERDICT_SKIPPED]);
	if (n[VERDICT_ABANDONED] > 0)
		printf(", %d abandoned", n[VERDICT_ABANDONED]);
	printf("%s\n", r->interrupted ? " (interrupted)" : "");
}

/* Whether a case of the run failed, timed out or could not be set up
 * (skipped and abandoned cases did not). */
static int
run_failed(const struct run *r)
{
	return r->counts.n[VERDICT_FAIL] + r->counts.n[VERDICT_TIMEOUT] +
	    r->counts.n[VERDICT_ERROR] > 0;
}

/* --once: every case has ended; leave the loop. */
static void
once_done(struct run *r, void *ctx)
{
	struct once *on = ctx;

	event_base_loopexit(on->base, NULL);
}

/* --once: SIGINT/SIGTERM abandon the run; the run is marked. */
static void
once_signal(evutil_socket_t sig, short what, void *arg)
{
	struct once *on = arg;

	log_info("signal %d: abandoning the run", (int)sig);
	run_abandon(&on->run, sig == SIGINT ? "interrupted (SIGINT)" :
	    "interrupted (SIGTERM)");
}

/* Whether complete run id's majority signatures differ from the baseline
 * of its host, profile and link (said on stdout); no baseline, or one that
 * cannot be read (a warning), is no regression. */
static int
regressed(struct store *st, int64_t id)
{
	int64_t base;
	int n = 0;

	if (store_baseline(st, id, &base) != 1 || base == id)
		return 0;
	if (store_regressions(st, id, base, &n) == -1)
		log_warnx("run %lld: cannot compare with the baseline: %s",
		    (long long)id, store_errmsg(st));
	if (n > 0)
		printf("run %lld: %d scenario+family changed against baseline run "
		    "%lld (teardownctl diff %lld %lld)\n", (long long)id, n,
		    (long long)base, (long long)base, (long long)id);
	return n > 0;
}

/* The same for a finished run of this process: only when complete. */
static int
once_regressed(struct store *st, const struct run *r)
{
	return strcmp(run_status(r), "complete") == 0 && regressed(st, r->id);
}

/* Whether to show progress: stderr is a terminal, and not under systemd. */
static int
progress_wanted(void)
{
	return isatty(STDERR_FILENO) && getenv("INVOCATION_ID") == NULL &&
	    getenv("NOTIFY_SOCKET") == NULL;
}

/* Every second: "done/total cases, rate, time left" on the terminal,
 * rewritten in place, once the run has taken PROGRESS_AFTER_US. */
static void
once_progress(evutil_socket_t fd, short what, void *arg)
{
	struct once *on = arg;
	int64_t el = clock_mono_us() - on->start_us;
	size_t done = on->run.rn != NULL ? (size_t)runner_ended(on->run.rn) : 0;
	size_t total = on->run.rn != NULL ? runner_total(on->run.rn) : 0;
	double rate;
	char line[128];

	if (el < PROGRESS_AFTER_US || total == 0)
		return;
	rate = (double)done * 1e6 / (double)el;
	if (rate > 0)
		snprintf(line, sizeof(line), "%zu/%zu cases, %.0f/s, about %.0f s left",
		    done, total, rate, (double)(total - done) / rate);
	else
		snprintf(line, sizeof(line), "%zu/%zu cases", done, total);
	log_progress(line);
}

/* Runs environment env of the plan once: its run stored, its summary
 * printed, and once complete, kept in prom for the textfile, which is
 * then written; returns the exit code as run_once does. */
static int
run_env(const struct setup *s, size_t env, struct store *st, const char *where,
    struct metrics_set *prom)
{
	const struct config *cf = &s->cf;
	struct runner_plan plan;
	struct once on = { 0 };
	struct run_info ri;
	struct event *sigs[2], *tick = NULL;
	char name[64];
	int i, rc;

	plan_runner(s, env, &plan);
	run_describe(&ri, s, env);
	snprintf(ri.isolation, sizeof(ri.isolation), "%s", where);
	if ((on.base = run_base_new()) == NULL)
		fatalx(EXIT_SOFTWARE, "event_base_new failed");
	sigs[0] = evsignal_new(on.base, SIGINT, once_signal, &on);
	sigs[1] = evsignal_new(on.base, SIGTERM, once_signal, &on);
	for (i = 0; i < 2; i++)
		evsignal_add(sigs[i], NULL);

	on.start_us = clock_mono_us();
	if (progress_wanted() && (tick = event_new(on.base, -1, EV_PERSIST,
	    once_progress, &on)) != NULL)
		event_add(tick, &(struct timeval){ 1, 0 });
	rc = run_start(&on.run, on.base, st, cf->database, &ri, &plan, once_done, &on);
	if (rc == 0) {
		plan_env_name(s, env, name, sizeof(name));
		log_info("run %lld%s%s: %zu scenarios, %d cases at once, %s "
		    "network namespace", (long long)on.run.id, name[0] != '\0' ?
		    " " : "", name, plan.nsc, runner_concurrency(on.run.rn),
		    strcmp(where, "netns") == 0 ? "a private" : "the host's");
		event_base_dispatch(on.base);
		log_progress_clear();		/* before the summary */
		run_finish(&on.run);
		if (name[0] != '\0')
			printf("%s== profile %s, link %s ==\n", env > 0 ? "\n" : "",
			    ri.profile, ri.link);
		summary_print(&on.run);
		if (cf->prometheus_textfile[0] != '\0' &&
		    strcmp(run_status(&on.run), "complete") == 0 &&
		    metrics_set_record(prom, st, &on.run,
		    cf->prometheus_textfile) == 0)
			metrics_write(cf->prometheus_textfile, prom);
		if (on.run.store_failed || on.run.end_failed)
			rc = STORE_EXIT_OPEN;
		else if (once_regressed(st, &on.run))
			rc = EXIT_REGRESSED;
		else if (on.run.interrupted)
			rc = EXIT_INTERRUPTED;
		else
			rc = run_failed(&on.run) ? EXIT_FAILED : 0;
	}
	run_free(&on.run);
	for (i = 0; i < 2; i++)
		event_free(sigs[i]);
	if (tick != NULL)
		event_free(tick);
	event_base_free(on.base);
	return rc;
}

/* The exit code of several runs: the first that could not run or be
 * stored, else a regression, else a failure (or an interruption). */
static int
rc_worse(int a, int b)
{
	static const int order[] = { 0, EXIT_FAILED, EXIT_REGRESSED };
	int i, ra = -1, rb = -1;

	for (i = 0; i < 3; i++) {
		ra = a == order[i] ? i : ra;
		rb = b == order[i] ? i : rb;
	}
	if (ra == -1)
		return a;
	if (rb == -1)
		return b;
	return ra >= rb ? a : b;
}

/* Runs the plan in a guest of kernel spec, its runs merged into st;
 * returns the exit code as run_once does (the guest's own, or 69, 70, 74
 * when it could not run or be stored). */
static int
run_guest(const struct opts *o, const struct setup *s, const char *spec,
    struct store *st)
{
	const char *args[16];
	char host[200], err[1024];
	struct guest_conf gc = { 0 };
	int64_t ids[64];
	size_t n = 0, k;
	int rc, grc;

	if (o->only != NULL) { args[n++] = "--only"; args[n++] = o->only; }
	if (o->family != NULL) { args[n++] = "--family"; args[n++] = o->family; }
	if (o->repeat > 0) { args[n++] = "--repeat"; args[n++] = o->repeat_text; }
	if (o->concurrency > 0) {
		args[n++] = "--concurrency";
		args[n++] = o->concurrency_text;
	} else if (s->cf.concurrency == 0) {
		/* An emulated CPU is ten times slower or more: 256 cases at
		 * once kept the relay's steps from their timers (last-ack-held
		 * retransmitted twice before its release under TCG). */
		args[n++] = "--concurrency";
		args[n++] = GUEST_CONCURRENCY;
	}
	if (o->profile != NULL) { args[n++] = "--profile"; args[n++] = o->profile; }
	if (o->link != NULL) { args[n++] = "--link"; args[n++] = o->link; }
	if (s->cf.no_capture)
		args[n++] = "--no-capture";
	if (o->verbose)
		args[n++] = "-v";
	if (gethostname(host, sizeof(host) - 1) == -1)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	gc.cache = o->kernel_cache;
	gc.timeout_us = o->kernel_timeout_us;
	gc.memory_mb = o->kernel_memory > 0 ? o->kernel_memory : 1024;
	gc.config = o->config;
	gc.scenarios = s->cf.scenarios[0] != '\0' ? s->cf.scenarios : NULL;
	gc.args = args;
	gc.nargs = n;
	gc.host = host;
	if ((grc = guest_run(spec, &gc, st, &rc, err, sizeof(err))) < 0) {
		log_warnx("%s", err);
		return rc;
	}
	/* Each run the guest stored, against the baseline of its host
	 * (HOST/guest), profile and link here: the guest had none. */
	for (k = 0, n = guest_merged(ids, 64); k < n; k++)
		if (regressed(st, ids[k]))
			grc = rc_worse(grc, EXIT_REGRESSED);
	return grc;
}

/* Runs the plan once, an environment after another, storing each run;
 * returns the exit code: 75 when another teardownd holds the database,
 * 70 when isolation or sock_diag fails, 74 when a run could not be
 * stored, then 2 for a regression against the baseline (the more
 * specific news), then 1 when a case did not pass or a run was
 * interrupted, else 0. */
static int
run_once(const struct setup *s, const struct opts *o)
{
	const struct config *cf = &s->cf;
	struct store *st;
	struct metrics_set prom = { 0 };
	struct run_info ri;
	char where[16];
	size_t e;
	int rc, r, host = o->nkernel == 0, k;

	if ((st = run_store_open(cf->database, &rc)) == NULL)
		return rc;		/* logged: 75 when another teardownd has it */
	rc = 0;
	for (k = 0; k < o->nkernel; k++) {
		if (strcmp(o->kernel[k], "host") == 0) {
			host = 1;
			continue;
		}
		r = run_guest(o, s, o->kernel[k], st);
		rc = rc_worse(rc, r);
		if ((r != 0 && r != EXIT_FAILED && r != EXIT_REGRESSED) ||
		    guest_interrupted()) {
			store_close(st);
			return rc;
		}
	}
	if (!host) {
		store_close(st);
		return rc;
	}
	sysctl_pin();			/* before isolating: see sysctl.h */
	run_info_collect(&ri);
	if (run_isolate(s, &ri, where) == -1 ||
	    probe_ready_tcp(cf->families) == -1) {
		store_close(st);
		return EXIT_SOFTWARE;
	}
	/* Read again where each lives, now that the cases' namespace is. */
	sysctl_settle(strcmp(where, "netns") == 0);
	for (e = 0; e < s->plan.nenv; e++) {
		r = run_env(s, e, st, where, &prom);
		/* An interrupted run counts as a failed one (1), and ends
		 * the plan. */
		rc = rc_worse(rc, r == EXIT_INTERRUPTED ? EXIT_FAILED : r);
		if (r == EXIT_INTERRUPTED || (r != 0 && r != EXIT_FAILED &&
		    r != EXIT_REGRESSED))
			break;
	}
	metrics_set_free(&prom);
	store_close(st);
	run_link_close();
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct setup s;
	int rc;

	opts_parse(&o, argc, argv);
	log_init("teardownd", o.verbose);
	signal(SIGPIPE, SIG_IGN);
	if (o.guest) {			/* the guest's init: before anything */
		guest_prepare(o.guest_host);
		run_info_virt(o.virt != NULL ? o.virt : "tcg");
		o.once = 1;
	}
	if ((rc = setup_load(&o, &s, stderr)) != 0) {
		if (o.guest)
			guest_finish(rc, "/nonexistent");
		return rc;
	}
	if (o.check) {
		printf("configuration OK\n");
		rc = 0;
	} else if (o.once)
		rc = run_once(&s, &o);
	else
		rc = daemon_main(&s, setup_load, &o, o.interval_us);
	setup_free(&s);
	if (o.guest)
		guest_finish(rc, s.cf.database);
	return rc;
}
