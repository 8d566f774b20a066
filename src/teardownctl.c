/* teardownctl.c: the command line over teardownd's database. It opens the
 * database read-only, never writes and never opens a socket: every query
 * goes through the store's read API and is printed by report.c.
 *
 * The one exception: `baseline set RUN` and `baseline clear` write the
 * baselines table, so they alone reopen the database read-write (after it
 * was checked read-only; they never create or migrate it). And `merge`
 * never opens --db at all: it writes the -o file only (store_merge), its
 * inputs opened read-only.
 *
 * Exit status: 0 ok, 64 usage (EX_USAGE), 66 no such database, run, case
 * or scenario (EX_NOINPUT), 74 database error (EX_IOERR); diff: 2 when a
 * scenario+family changed its majority signature. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ladder.h"
#include "diff.h"
#include "log.h"
#include "export.h"
#include "html.h"
#include "matrix.h"
#include "parse.h"
#include "pcapfile.h"
#include "report.h"
#include "store.h"

#define CTL_DEFAULT_DB		"./teardownd.db"
#define CTL_DEFAULT_RUNS	20		/* runs listed without -n */
#define CTL_EXIT_CHANGED	2		/* diff: a majority signature changed */

/* What the command line asked for. */
struct ctl {
	const char *db;				/* --db, $TEARDOWND_DB, or the default */
	int json;				/* --json */
	int verbose;				/* -v: tcp_info columns */
	int svg;				/* --svg: ladder as SVG */
	int64_t limit;				/* -n N; 0 when not given */
	const char *family;			/* --family F */
	const char *cmd;			/* runs, show, history, pcap, help */
	const char *arg;			/* RUN, CASE or SCENARIO */
	const char *arg2;			/* baseline set RUN; diff RUN_B */
	const char *format;			/* export, pcap --format F */
	const char *output;			/* merge -o FILE */
	int by_host;				/* matrix --by-host */
	char **inputs;				/* merge: the databases */
	size_t ninputs;
	int help;				/* --help */
	unsigned given;				/* O_*: the options given */
	const struct cmd_entry *entry;		/* the command's */
	struct store *st;			/* open read-only */
};

/* The options, as bits: which a command takes, which were given. */
#define O_JSON		0x01
#define O_N		0x02
#define O_V		0x04
#define O_SVG		0x08
#define O_FAMILY	0x10
#define O_FORMAT	0x20
#define O_OUTPUT	0x40
#define O_BYHOST	0x80
#define O_DB		0x100			/* --db: the commands that read it */

/* A command: its name, operands and options as usage shows them, what it
 * does (help), how many operands it takes, the options that apply, whether
 * it reads --db, a check of its operands beyond their number (or NULL),
 * and what runs it. The table (cmds, at the end) drives dispatch, the
 * checks, help and completion. */
struct cmd_entry {
	const char *name;
	const char *usage;
	const char *help;
	const char *operand;			/* named when missing */
	int min, max;				/* operands; max -1: any (merge) */
	unsigned opts;
	int db;
	int (*check)(const struct ctl *);
	int (*exec)(struct ctl *);
};

/* Prints "teardownctl: message" on stderr and returns code. */
static int __attribute__((format(printf, 2, 3)))
ctl_error(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("teardownctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* Parses a positive decimal id (digits only); 0 or -1. */
static int
parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return -1;
	*id = v;
	return 0;
}

/* Parses the options (anywhere on the line) and the command's words. */
static int
parse_args(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "family", required_argument, NULL, 'f' },
		{ "svg", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },
		{ "by-host", no_argument, NULL, 'H' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *w;
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":n:o:vhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': c->db = optarg; c->given |= O_DB; break;
		case 'j': c->json = 1; c->given |= O_JSON; break;
		case 'f':
			if (strcmp(optarg, "all") == 0)
				c->family = NULL;
			else if (strcmp(optarg, "ipv4") == 0 ||
			    strcmp(optarg, "ipv6") == 0)
				c->family = optarg;
			else
				return ctl_error(-1, "--family: '%s' is not ipv4, "
				    "ipv6 or all", optarg);
			c->given |= O_FAMILY;
			break;
		case 's': c->svg = 1; c->given |= O_SVG; break;
		case 'v': c->verbose = 1; c->given |= O_V; break;
		case 'h': c->help = 1; break;
		case 'V': printf("teardownctl %s\n", TEARDOWND_VERSION); exit(0);
		case 'F': c->format = optarg; c->given |= O_FORMAT; break;
		case 'o': c->output = optarg; c->given |= O_OUTPUT; break;
		case 'H': c->by_host = 1; c->given |= O_BYHOST; break;
		case 'n':
			if (parse_id(optarg, &c->limit) == -1)
				return ctl_error(-1, "-n: '%s' is not a positive "
				    "number", optarg);
			c->given |= O_N;
			break;
		case ':':
			return ctl_error(-1, "%s needs a value", argv[optind - 1]);
		default:
			w = argv[optind - 1];
			if (optopt != 0 && strncmp(w, "--", 2) == 0)
				return ctl_error(-1, "%.*s takes no value",
				    (int)strcspn(w, "="), w);
			if (optopt != 0)
				return ctl_error(-1, "unknown option '-%c'", optopt);
			return ctl_error(-1, "unknown option '%s'", w);
		}
	}
	if (optind < argc)
		c->cmd = argv[optind++];
	if (c->cmd != NULL && (strcmp(c->cmd, "merge") == 0 ||
	    strcmp(c->cmd, "report") == 0)) {
		c->inputs = argv + optind;
		c->ninputs = optind < argc ? (size_t)(argc - optind) : 0;
		return 0;
	}
	if (optind < argc)
		c->arg = argv[optind++];
	if (optind < argc)
		c->arg2 = argv[optind++];
	if (optind < argc)
		return ctl_error(-1, "unexpected '%s'", argv[optind]);
	return 0;
}

/* baseline set RUN | show | clear. */
static int
check_baseline(const struct ctl *c)
{
	const char *sub = c->arg;

	if (strcmp(sub, "set") != 0 && strcmp(sub, "show") != 0 &&
	    strcmp(sub, "clear") != 0)
		return ctl_error(-1, "baseline: say set RUN, show or clear");
	if (strcmp(sub, "set") == 0 && c->arg2 == NULL)
		return ctl_error(-1, "baseline set: missing RUN");
	if (strcmp(sub, "set") != 0 && c->arg2 != NULL)
		return ctl_error(-1, "baseline %s: unexpected '%s'", sub, c->arg2);
	if (c->json && strcmp(sub, "show") != 0)
		return ctl_error(-1, "--json applies to 'baseline show' only");
	return 0;
}

/* diff [RUN_A RUN_B]: two runs or none. */
static int
check_diff(const struct ctl *c)
{
	if (c->arg != NULL && c->arg2 == NULL)
		return ctl_error(-1, "diff: give two runs, or none");
	return 0;
}

/* A store_row_fn counting, in *(int *)ctx, rows whose "stability" is
 * flaky. */
static int
count_flaky(void *ctx, int ncols, const char *const *names,
    const struct store_value *vals)
{
	int i;

	for (i = 0; vals != NULL && i < ncols; i++)
		if (strcmp(names[i], "stability") == 0 && vals[i].text != NULL &&
		    strcmp(vals[i].text, "flaky") == 0)
			(*(int *)ctx)++;
	return 0;
}

/* export [RUN] --format junit|tap|json|csv. */
static int
check_export(const struct ctl *c)
{
	static const char *const formats[] = { "junit", "tap", "json", "csv" };
	size_t i;

	if (c->format == NULL && !c->json)
		return ctl_error(-1, "export: say --format junit|tap|json|csv");
	for (i = 0; c->format != NULL && i < 4; i++)
		if (strcmp(c->format, formats[i]) == 0)
			break;
	if (i == 4)
		return ctl_error(-1, "export: --format '%s' is not junit, tap, "
		    "json or csv", c->format);
	if (c->json && c->format != NULL && strcmp(c->format, "json") != 0)
		return ctl_error(-1, "export: --json and --format %s disagree",
		    c->format);
	return 0;
}

/* pcap CASE [--format pcapng|pcap]. */
static int
check_pcap(const struct ctl *c)
{
	if (c->format != NULL && strcmp(c->format, "pcapng") != 0 &&
	    strcmp(c->format, "pcap") != 0)
		return ctl_error(-1, "pcap: --format '%s' is not pcapng or pcap",
		    c->format);
	return 0;
}

/* merge DB... -o OUT. */
static int
check_merge(const struct ctl *c)
{
	if (c->output == NULL || c->ninputs == 0)
		return ctl_error(-1, "merge: say DB... -o OUT");
	return 0;
}

/* Runs query q into a new report; NULL (error printed) on failure. */
static struct report *
ctl_query(struct ctl *c, enum store_query q, const struct store_args *a)
{
	struct report *r;
	int rc;

	if ((r = report_new()) == NULL) {
		ctl_error(EX_IOERR, "out of memory");
		return NULL;
	}
	rc = store_query(c->st, q, a, report_collect, r);
	if (rc == -1)
		ctl_error(EX_IOERR, "%s: %s", c->db, store_errmsg(c->st));
	else if (rc != 0)
		ctl_error(EX_IOERR, "out of memory");
	if (rc != 0) {
		report_free(r);
		return NULL;
	}
	return r;
}

/* Looks an id up; 0 found, EX_NOINPUT (with what) if not, EX_IOERR. */
static int
ctl_lookup(struct ctl *c, enum store_lookup l, const struct store_args *a,
    int64_t *id, const char *what)
{
	switch (store_lookup(c->st, l, a, id)) {
	case 1:
		return 0;
	case 0:
		return ctl_error(EX_NOINPUT, "%s: %s", c->db, what);
	default:
		return ctl_error(EX_IOERR, "%s: %s", c->db, store_errmsg(c->st));
	}
}

/* Prints the rows as a JSON document of kind: {..., "kind": [rows]}. */
static void
print_json(const struct report *r, const char *kind)
{
	report_json_begin(stdout, kind);
	report_json_member(stdout, kind, r, 0);
	report_json_end(stdout);
}

/* runs [-n N]: the recent runs, newest first. */
static int
cmd_runs(struct ctl *c)
{
	struct store_args a = { .limit = c->limit ? c->limit : CTL_DEFAULT_RUNS };
	struct report *r;

	if ((r = ctl_query(c, STORE_Q_RUNS, &a)) == NULL)
		return EX_IOERR;
	if (c->json)
		print_json(r, "runs");
	else
		report_table(r, stdout);
	report_free(r);
	return 0;
}

/* Resolves RUN ("last" or a number) to an existing run's id. */
static int
resolve_run(struct ctl *c, const char *word, int64_t *run_id)
{
	struct store_args a = { 0 };
	char what[64];

	if (strcmp(word, "last") == 0)
		return ctl_lookup(c, STORE_L_LAST_RUN, &a, run_id, "no runs yet");
	if (parse_id(word, &a.run_id) == -1)
		return ctl_error(EX_USAGE, "'%s' is not a run (a number or "
		    "'last')", word);
	snprintf(what, sizeof(what), "no run %s", word);
	return ctl_lookup(c, STORE_L_RUN, &a, run_id, what);
}

/* Resolves RUN/SCENARIO/FAMILY[/REP] to a case id. */
static int
resolve_case_path(struct ctl *c, const char *path, int64_t *case_id)
{
	char buf[512], what[600], *scen, *fam, *rep;
	struct store_args a = { .rep = -1 };
	int64_t n;
	int rc;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf) ||
	    (scen = strchr(buf, '/')) == NULL)
		return ctl_error(EX_USAGE, "'%.64s...' is too long", path);
	*scen++ = '\0';
	if ((fam = strchr(scen, '/')) == NULL || *scen == '\0')
		return ctl_error(EX_USAGE, "'%s' is not RUN/SCENARIO/FAMILY"
		    "[/REP]", path);
	*fam++ = '\0';
	if ((rep = strchr(fam, '/')) != NULL) {
		*rep++ = '\0';
		if (strcmp(rep, "0") == 0)
			n = 0;
		else if (parse_id(rep, &n) == -1 || n > INT32_MAX)
			return ctl_error(EX_USAGE, "'%s': REP '%s' is not a "
			    "number", path, rep);
		a.rep = (int)n;
	}
	if ((rc = resolve_run(c, buf, &a.run_id)) != 0)
		return rc;
	a.scenario = scen;
	a.family = fam;
	snprintf(what, sizeof(what), "no case %s in run %lld", path,
	    (long long)a.run_id);
	return ctl_lookup(c, STORE_L_CASE_BY_NAME, &a, case_id, what);
}

/* Prints a header record and the tables under it, or one JSON document
 * of kind {"k0": record, "k1": [...], ...}; keys[i] names reports[i]. */
static void
print_document(const struct ctl *c, const char *kind, const char *const *keys,
    struct report *const *reports, size_t n)
{
	size_t i;

	if (c->json)
		report_json_begin(stdout, kind);
	for (i = 0; i < n; i++) {
		if (c->json) {
			report_json_member(stdout, keys[i], reports[i], i == 0);
		} else if (i == 0) {
			report_record(reports[i], stdout);
		} else if (report_nrows(reports[i]) > 0) {
			putchar('\n');
			report_table(reports[i], stdout);
		}
	}
	if (c->json)
		report_json_end(stdout);
}

/* show RUN: the run's header, its sysctls, then every case. */
static int
show_run(struct ctl *c, int64_t run_id)
{
	static const char *const keys[] = { "run", "sysctls", "cases" };
	static const enum store_query qs[] = { STORE_Q_RUN, STORE_Q_RUN_SYSCTLS,
	    STORE_Q_RUN_CASES };
	struct store_args a = { .run_id = run_id };
	struct report *r[3] = { NULL, NULL, NULL };
	int i, rc = EX_IOERR;

	if (c->verbose)
		return ctl_error(EX_USAGE, "-v applies to 'show CASE', not a run");

	for (i = 0; i < 3; i++)
		if ((r[i] = ctl_query(c, qs[i], &a)) == NULL)
			goto done;
	print_document(c, "run", keys, r, 3);
	rc = 0;
done:
	for (i = 0; i < 3; i++)
		report_free(r[i]);
	return rc;
}

/* Whether the case's transitions were observed, from its header. */
static int
transitions_observed(const struct report *header)
{
	const char *v = report_text(header, 0, report_column(header,
	    "transitions"));

	return v != NULL && strcmp(v, "observed") == 0;
}

/* show CASE: the case's header (with whether its wire and transitions
 * were observed), its steps as a ladder with its state transitions
 * between them, then its segments; in JSON the transitions are an array
 * of their own. */
static int
show_case(struct ctl *c, int64_t case_id)
{
	static const char *const keys[] = { "case", "steps", "segments",
	    "transitions" };
	struct store_args a = { .case_id = case_id };
	struct report *r[4] = { NULL, NULL, NULL, NULL };
	enum store_query steps = c->json ? STORE_Q_CASE_STEPS_VERBOSE :
	    c->verbose ? STORE_Q_CASE_TIMELINE_VERBOSE : STORE_Q_CASE_TIMELINE;
	int i, rc = EX_IOERR;

	if ((r[0] = ctl_query(c, STORE_Q_CASE, &a)) == NULL ||
	    (r[1] = ctl_query(c, steps, &a)) == NULL ||
	    (r[2] = ctl_query(c, c->json ? STORE_Q_CASE_SEGMENTS :
	    STORE_Q_CASE_WIRE, &a)) == NULL ||
	    (r[3] = ctl_query(c, STORE_Q_CASE_TRANSITIONS, &a)) == NULL)
		goto done;
	print_document(c, "case", keys, r, c->json ? 4 : 3);
	if (!c->json && !transitions_observed(r[0]))
		puts("\ntransitions not observed: each state is as seen after "
		    "its step");
	rc = 0;
done:
	for (i = 0; i < 4; i++)
		report_free(r[i]);
	return rc;
}

/* Resolves CASE (c<ID> or RUN/SCENARIO/FAMILY[/REP]) to a case id: 0, an
 * exit code after one line of error, or -1 (nothing printed) when word
 * is not written as a case. */
static int
resolve_case(struct ctl *c, const char *word, int64_t *case_id)
{
	struct store_args a = { 0 };
	char what[64];

	if (strchr(word, '/') != NULL)
		return resolve_case_path(c, word, case_id);
	if (word[0] != 'c' || parse_id(word + 1, &a.case_id) == -1)
		return -1;
	snprintf(what, sizeof(what), "no case %s", word);
	return ctl_lookup(c, STORE_L_CASE, &a, case_id, what);
}

/* show RUN | c<ID> | RUN/SCENARIO/FAMILY[/REP] */
static int
cmd_show(struct ctl *c)
{
	const char *w = c->arg;
	int64_t id;
	int rc;

	if ((rc = resolve_case(c, w, &id)) >= 0)
		return rc != 0 ? rc : show_case(c, id);
	if (strcmp(w, "last") != 0 && parse_id(w, &id) == -1)
		return ctl_error(EX_USAGE, "show: '%s' is not a run (a number, "
		    "'last') or a case (c<ID>, RUN/SCENARIO/FAMILY[/REP])", w);
	if ((rc = resolve_run(c, w, &id)) != 0)
		return rc;
	return show_run(c, id);
}

/* No cases of scenario name (in family): 66, with the nearest scenario
 * the database has as a suggestion. */
static int
no_scenario(struct ctl *c, const char *name, const char *family)
{
	struct report *r = ctl_query(c, STORE_Q_SCENARIOS, &(struct store_args){ 0 });
	const char **names = NULL, *best = NULL;
	size_t i, n = r != NULL ? report_nrows(r) : 0;
	int rc;

	if (r == NULL)
		return EX_IOERR;		/* said */

	if (n > 0 && (names = calloc(n, sizeof(*names))) != NULL) {
		for (i = 0; i < n; i++)
			names[i] = report_text(r, i, 0);
		best = parse_nearest(name, names, n);
	}
	rc = ctl_error(EX_NOINPUT, "%s: no cases of scenario '%s'%s%s%s%s%s",
	    c->db, name, family ? " in family " : "", family ? family : "",
	    best != NULL ? " (did you mean '" : "", best != NULL ? best : "",
	    best != NULL ? "'?)" : "");
	free(names);
	report_free(r);
	return rc;
}

/* history SCENARIO [--family F]: its verdict in each run, oldest first. */
static int
cmd_history(struct ctl *c)
{
	struct store_args a = { .scenario = c->arg, .family = c->family };
	struct report *r;
	int rc = 0;

	if ((r = ctl_query(c, STORE_Q_HISTORY, &a)) == NULL)
		return EX_IOERR;
	if (report_nrows(r) == 0)
		rc = no_scenario(c, c->arg, c->family);
	else if (c->json)
		print_json(r, "history");
	else
		report_table(r, stdout);
	report_free(r);
	return rc;
}

/* Decodes a segment's headers (hex) into hdr at *off, as g's. */
static void
pcap_headers(struct segment *g, const char *hex, uint8_t *hdr, size_t *off)
{
	size_t n = hex != NULL ? strlen(hex) / 2 : 0, i;
	unsigned byte;

	if (n == 0 || n > UINT16_MAX)
		return;
	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return;
		hdr[*off + i] = (uint8_t)byte;
	}
	g->hdr_off = (uint32_t)*off;
	g->hdr_len = (uint16_t)n;
	*off += n;
}

/* Reads the case's segments (STORE_Q_CASE_SEGMENTS) into *seg, their
 * headers into *hdr. */
static int
pcap_segments(struct ctl *c, int64_t case_id, struct segment **seg, size_t *n,
    uint8_t **hdr)
{
	static const char *const cols[] = { "t_us", "dir", "flag_bits", "seq",
	    "ack", "len", "win", "mark", "held_us", "headers" };
	struct store_args a = { .case_id = case_id };
	struct report *r;
	const char *v[10];
	size_t i, room = 1, off = 0;
	int k;

	if ((r = ctl_query(c, STORE_Q_CASE_SEGMENTS, &a)) == NULL)
		return EX_IOERR;
	*n = report_nrows(r);
	for (i = 0; i < *n; i++)
		if ((v[9] = report_text(r, i, report_column(r, "headers"))) != NULL)
			room += strlen(v[9]) / 2;
	if ((*seg = calloc(*n ? *n : 1, sizeof(**seg))) == NULL ||
	    (*hdr = malloc(room)) == NULL) {
		report_free(r);
		return ctl_error(EX_IOERR, "out of memory");
	}
	for (i = 0; i < *n; i++) {
		struct segment *g = &(*seg)[i];

		for (k = 0; k < 10; k++)
			v[k] = report_text(r, i, report_column(r, cols[k]));
		for (k = MARK_PASSED; v[7] != NULL && k < MARK__COUNT; k++)
			if (strcmp(v[7], mark_name((enum seg_mark)k)) == 0)
				g->mark = (enum seg_mark)k;
		g->held_us = v[8] ? strtoll(v[8], NULL, 10) : -1;
		g->t_us = v[0] ? strtoll(v[0], NULL, 10) : 0;
		g->from = v[1] && strcmp(v[1], "S>C") == 0 ? SIDE_SERVER : SIDE_CLIENT;
		g->flags = v[2] ? (uint8_t)strtoul(v[2], NULL, 10) : 0;
		g->seq = v[3] ? (uint32_t)strtoul(v[3], NULL, 10) : 0;
		g->ack = v[4] ? (uint32_t)strtoul(v[4], NULL, 10) : 0;
		g->len = v[5] ? (uint32_t)strtoul(v[5], NULL, 10) : 0;
		g->win = v[6] ? (uint16_t)strtoul(v[6], NULL, 10) : 0;
		pcap_headers(g, v[9], *hdr, &off);
	}
	report_free(r);
	return 0;
}

/* Reads the case's addresses and start; EX_NOINPUT when its wire was not
 * observed. */
static int
pcap_ends(struct ctl *c, int64_t case_id, struct sockaddr_storage *end,
    int64_t *start_us)
{
	struct store_args a = { .case_id = case_id };
	struct report *r;
	const char *wire, *ca, *sa, *t;
	int rc = 0;

	if ((r = ctl_query(c, STORE_Q_CASE_ENDS, &a)) == NULL)
		return EX_IOERR;
	wire = report_text(r, 0, report_column(r, "wire"));
	ca = report_text(r, 0, report_column(r, "client_addr"));
	sa = report_text(r, 0, report_column(r, "server_addr"));
	t = report_text(r, 0, report_column(r, "started_us"));
	if (wire == NULL || strcmp(wire, "observed") != 0)
		rc = ctl_error(EX_NOINPUT, "c%lld: its wire was not observed "
		    "(no capture in its run), so there is no pcap",
		    (long long)case_id);
	else if (ca == NULL || sa == NULL || t == NULL ||
	    pcapfile_parse_addr(ca, &end[0]) == -1 ||
	    pcapfile_parse_addr(sa, &end[1]) == -1)
		rc = ctl_error(EX_NOINPUT, "c%lld: no client and server address",
		    (long long)case_id);
	else
		*start_us = strtoll(t, NULL, 10);
	report_free(r);
	return rc;
}

/* pcap CASE: the case's segments as a pcapng or pcap file on stdout (not
 * a tty). */
static int
cmd_pcap(struct ctl *c)
{
	struct sockaddr_storage end[2];
	struct segment *seg = NULL;
	uint8_t *hdr = NULL;
	int64_t id, start_us = 0;
	size_t n = 0;
	int rc;

	if (isatty(STDOUT_FILENO))
		return ctl_error(EX_USAGE, "pcap: not writing a binary file to a "
		    "terminal; redirect it: teardownctl pcap %s > case.pcap",
		    c->arg);
	if ((rc = resolve_case(c, c->arg, &id)) < 0)
		return ctl_error(EX_USAGE, "pcap: '%s' is not a case (c<ID>, "
		    "RUN/SCENARIO/FAMILY[/REP])", c->arg);
	if (rc != 0 || (rc = pcap_ends(c, id, end, &start_us)) != 0 ||
	    (rc = pcap_segments(c, id, &seg, &n, &hdr)) != 0)
		goto done;
	if (pcapfile_write(stdout, c->format != NULL &&
	    strcmp(c->format, "pcap") == 0 ? PCAPFILE_PCAP : PCAPFILE_PCAPNG,
	    (struct sockaddr *)&end[0],
	    (struct sockaddr *)&end[1], start_us, seg, n, hdr) == -1)
		rc = ctl_error(EX_IOERR, "writing the pcap: %s", strerror(errno));
done:
	free(seg);
	free(hdr);
	return rc;
}

/* ladder CASE [--svg]: the case as a ladder diagram (ladder.c). */
static int
cmd_ladder(struct ctl *c)
{
	static const enum store_query qs[] = { STORE_Q_CASE,
	    STORE_Q_CASE_TRANSITIONS, STORE_Q_CASE_STATES, STORE_Q_CASE_SEGMENTS };
	static const store_row_fn fns[] = { ladder_row_case,
	    ladder_row_transitions, ladder_row_states, ladder_row_segments };
	struct store_args a = { 0 };
	struct ladder l;
	size_t i;
	int rc;

	if ((rc = resolve_case(c, c->arg, &a.case_id)) < 0)
		return ctl_error(EX_USAGE, "ladder: '%s' is not a case (c<ID>, "
		    "RUN/SCENARIO/FAMILY[/REP])", c->arg);
	if (rc != 0)
		return rc;
	memset(&l, 0, sizeof(l));
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]) && rc == 0; i++)
		if ((rc = store_query(c->st, qs[i], &a, fns[i], &l)) == -1)
			rc = ctl_error(EX_IOERR, "%s: %s", c->db,
			    store_errmsg(c->st));
		else if (rc != 0)
			rc = ctl_error(EX_IOERR, "out of memory");
	if (rc == 0 && c->svg)
		ladder_svg(&l, stdout);
	else if (rc == 0)
		ladder_text(&l, stdout);
	ladder_free(&l);
	return rc;
}

/* Resolves RUN to a run that has signatures: 0, or an exit code. */
static int
resolve_signed_run(struct ctl *c, const char *word, int64_t *run_id)
{
	struct store_args a = { 0 };
	char what[160];
	int rc;

	if ((rc = resolve_run(c, word, &a.run_id)) != 0)
		return rc;
	snprintf(what, sizeof(what), "run %lld has no signatures to compare "
	    "(it is not complete, or was stored before teardownd kept them)",
	    (long long)a.run_id);
	return ctl_lookup(c, STORE_L_SIGNED, &a, run_id, what);
}

/* flaky [RUN]: per scenario and family, one signature (stable) or
 * several (flaky), then every signature of the flaky ones. */
static int
cmd_flaky(struct ctl *c)
{
	static const char *const keys[] = { "stability", "flaky" };
	struct report *r[2] = { NULL, NULL };
	struct store_args a = { 0 };
	int rc, nflaky = 0;

	if ((rc = resolve_signed_run(c, c->arg ? c->arg : "last", &a.run_id)) != 0)
		return rc;
	rc = EX_IOERR;
	if ((r[0] = ctl_query(c, STORE_Q_RUN_STABILITY, &a)) == NULL ||
	    (r[1] = ctl_query(c, STORE_Q_RUN_FLAKY, &a)) == NULL)
		goto done;
	if (store_query(c->st, STORE_Q_RUN_STABILITY, &a, count_flaky,
	    &nflaky) != 0) {
		ctl_error(EX_IOERR, "%s: %s", c->db, store_errmsg(c->st));
		goto done;
	}
	if (c->json) {
		report_json_begin(stdout, "flaky");
		printf(",\n\"run_id\": %lld, \"n_flaky\": %d",
		    (long long)a.run_id, nflaky);
		report_json_member(stdout, keys[0], r[0], 0);
		report_json_member(stdout, keys[1], r[1], 0);
		report_json_end(stdout);
	} else {
		report_table(r[0], stdout);
		if (report_nrows(r[1]) > 0) {
			fputs("\nsignatures of the flaky ones:\n", stdout);
			report_table(r[1], stdout);
		}
		printf("run %lld: %d of %zu scenario+family flaky\n",
		    (long long)a.run_id, nflaky, report_nrows(r[0]));
	}
	rc = 0;
done:
	report_free(r[0]);
	report_free(r[1]);
	return rc;
}

/* Reopens the database read-write: only baseline set and clear write. */
static int
ctl_reopen_rw(struct ctl *c)
{
	char err[600];

	store_close(c->st);
	if ((c->st = store_open(c->db, 0, err, sizeof(err))) == NULL)
		return ctl_error(EX_IOERR, "%s", err);
	return 0;
}

/* baseline set RUN: the run later runs of its host are compared with. */
static int
baseline_set(struct ctl *c)
{
	int64_t id;
	int rc;

	if ((rc = resolve_run(c, c->arg2, &id)) != 0 ||
	    (rc = ctl_reopen_rw(c)) != 0)
		return rc;
	switch (store_baseline_set(c->st, id, clock_wall_us())) {
	case 0:
		printf("baseline: run %lld\n", (long long)id);
		return 0;
	case 1:
		return ctl_error(EX_NOINPUT, "%s: run %lld cannot be a baseline: "
		    "it is not complete, or has no signatures", c->db,
		    (long long)id);
	default:
		return ctl_error(EX_IOERR, "%s: %s", c->db, store_errmsg(c->st));
	}
}

/* baseline set RUN | show | clear */
static int
cmd_baseline(struct ctl *c)
{
	struct store_args a = { 0 };
	struct report *r;
	int rc, n;

	if (strcmp(c->arg, "set") == 0)
		return baseline_set(c);
	if (strcmp(c->arg, "clear") == 0) {
		if ((rc = ctl_reopen_rw(c)) != 0)
			return rc;
		if (store_baseline_clear(c->st, &n) == -1)
			return ctl_error(EX_IOERR, "%s: %s", c->db,
			    store_errmsg(c->st));
		printf("baselines cleared: %d\n", n);
		return 0;
	}
	if ((r = ctl_query(c, STORE_Q_BASELINES, &a)) == NULL)
		return EX_IOERR;
	if (c->json)
		print_json(r, "baselines");
	else if (report_nrows(r) == 0)
		puts("no baseline set");
	else
		report_table(r, stdout);
	report_free(r);
	return 0;
}

/* Looks a run up for diff's defaults: 1 found, 0 not, -1 error printed. */
static int
diff_lookup(struct ctl *c, enum store_lookup l, int64_t run_id, int64_t *id)
{
	struct store_args a = { .run_id = run_id };
	int rc = store_lookup(c->st, l, &a, id);

	if (rc == -1)
		ctl_error(EX_IOERR, "%s: %s", c->db, store_errmsg(c->st));
	return rc;
}

/* Chooses what diff compares without arguments: the latest complete run
 * against its host's baseline, else the last complete run on another
 * kernel release, else the previous complete run. 0 or an exit code. */
static int
diff_defaults(struct ctl *c, struct diff_runs *d)
{
	int rc;

	d->after_why = "the latest complete run";
	if ((rc = diff_lookup(c, STORE_L_LAST_SIGNED, 0, &d->after)) != 1)
		return rc == 0 ? ctl_error(EX_NOINPUT, "%s: nothing to compare: "
		    "no complete run with signatures", c->db) : EX_IOERR;
	d->before_why = "the baseline of its host";
	if ((rc = diff_lookup(c, STORE_L_BASELINE, d->after, &d->before)) == 1 &&
	    d->before != d->after)
		return 0;
	d->before_why = "the last complete run on another kernel release";
	if (rc != -1 && (rc = diff_lookup(c, STORE_L_OTHER_KERNEL, d->after,
	    &d->before)) == 1)
		return 0;
	d->before_why = "the previous complete run";
	if (rc != -1 && (rc = diff_lookup(c, STORE_L_PREVIOUS_SIGNED, d->after,
	    &d->before)) == 1)
		return 0;
	if (rc == -1)
		return EX_IOERR;
	return ctl_error(EX_NOINPUT, "%s: nothing to compare: run %lld is the "
	    "only complete run with signatures", c->db, (long long)d->after);
}

/* diff [RUN_A RUN_B]: what changed from A to B; 2 when something did. */
static int
cmd_diff(struct ctl *c)
{
	struct diff_runs d = { .before_why = "given", .after_why = "given" };
	int rc;

	if (c->arg != NULL) {
		if ((rc = resolve_signed_run(c, c->arg, &d.before)) != 0 ||
		    (rc = resolve_signed_run(c, c->arg2, &d.after)) != 0)
			return rc;
	} else if ((rc = diff_defaults(c, &d)) != 0)
		return rc;
	rc = diff_print(c->st, &d, c->json, stdout);
	if (rc == -1)
		return ctl_error(EX_IOERR, "%s: %s", c->db, store_errmsg(c->st));
	if (rc == -2)
		return ctl_error(EX_IOERR, "out of memory");
	return rc > 0 ? CTL_EXIT_CHANGED : 0;
}

/* export [RUN] --format F: the run's cases as JUnit XML, TAP 13, JSON
 * lines or CSV, one test (JUnit, TAP) per scenario and family. */
static int
cmd_export(struct ctl *c)
{
	static const enum store_query qs[] = { STORE_Q_RUN,
	    STORE_Q_RUN_SYSCTLS, STORE_Q_EXPORT_CASES };
	const char *f = c->format != NULL ? c->format : "json";
	struct store_args a = { 0 };
	struct report *r[3] = { NULL, NULL, NULL };
	struct export_run er;
	int i, rc;

	if ((rc = resolve_run(c, c->arg != NULL ? c->arg : "last",
	    &a.run_id)) != 0)
		return rc;
	rc = EX_IOERR;
	for (i = 0; i < 3; i++)
		if ((r[i] = ctl_query(c, qs[i], &a)) == NULL)
			goto done;
	er = (struct export_run){ .run = r[0], .sysctls = r[1], .cases = r[2] };
	rc = 0;
	if (strcmp(f, "junit") == 0)
		rc = export_junit(&er, stdout);
	else if (strcmp(f, "tap") == 0)
		rc = export_tap(&er, stdout);
	else if (strcmp(f, "csv") == 0)
		report_csv(r[2], stdout);
	else
		report_json_lines(r[2], "case_record", stdout);
	if (rc != 0)
		rc = ctl_error(EX_IOERR, "out of memory");
done:
	for (i = 0; i < 3; i++)
		report_free(r[i]);
	return rc;
}

/* matrix [--family F] [--by-host]: per scenario and kernel release, the
 * verdict of the latest run of that kernel; JSON: one object per cell. */
static int
cmd_matrix(struct ctl *c)
{
	struct store_args a = { .family = c->family };
	struct report *r, *m;
	int rc = 0;

	if ((r = ctl_query(c, c->by_host ? STORE_Q_MATRIX_BY_HOST :
	    STORE_Q_MATRIX, &a)) == NULL)
		return EX_IOERR;
	if (report_nrows(r) == 0)
		rc = ctl_error(EX_NOINPUT, "%s: no cases%s%s", c->db,
		    c->family ? " in family " : "", c->family ? c->family : "");
	else if (c->json)
		print_json(r, "matrix");
	else if ((m = matrix_pivot(r, c->by_host)) == NULL)
		rc = ctl_error(EX_IOERR, "out of memory");
	else {
		report_table(m, stdout);
		report_free(m);
	}
	report_free(r);
	return rc;
}

/* Checks merge's files before anything is opened: every input exists and
 * none of them is the output. */
static int
merge_check_files(const struct ctl *c)
{
	struct stat so, si;
	int have_out = stat(c->output, &so) == 0;
	size_t i;

	for (i = 0; i < c->ninputs; i++) {
		if (stat(c->inputs[i], &si) == -1)
			return ctl_error(EX_NOINPUT, "%s: %s", c->inputs[i],
			    strerror(errno));
		if (have_out && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
			return ctl_error(EX_USAGE, "merge: %s is the output too",
			    c->inputs[i]);
	}
	return 0;
}

/* merge DB... -o OUT: copies each input's runs that OUT lacks into OUT.
 * The one command that writes a database other than through baseline,
 * and it writes OUT only: inputs are opened read-only. */
static int
cmd_merge(struct ctl *c)
{
	struct store_merge_input *in;
	char err[1024];
	size_t i;
	int rc;

	if ((rc = merge_check_files(c)) != 0)
		return rc;
	if ((in = calloc(c->ninputs, sizeof(*in))) == NULL)
		return ctl_error(EX_IOERR, "out of memory");
	for (i = 0; i < c->ninputs; i++)
		in[i].path = c->inputs[i];
	if (store_merge(c->output, in, c->ninputs, err,
	    sizeof(err)) == -1) {
		free(in);
		return ctl_error(EX_IOERR, "merge: %s", err);
	}
	for (i = 0; i < c->ninputs; i++) {
		printf("%s: %lld run%s: %lld added, %lld already in %s",
		    in[i].path, (long long)in[i].runs, in[i].runs == 1 ? "" :
		    "s", (long long)in[i].added,
		    (long long)(in[i].runs - in[i].added), c->output);
		if (in[i].replaced > 0)
			printf(" (%lld added again: %s had them 'running')",
			    (long long)in[i].replaced, c->output);
		if (in[i].migrated)
			printf(" (schema %lld, read through a migrated copy)",
			    (long long)in[i].version);
		putchar('\n');
	}
	free(in);
	return 0;
}

/* Opens the database read-only: EX_NOINPUT when there is none. */
static int
ctl_open(struct ctl *c)
{
	struct stat sb;
	char err[600];

	if (stat(c->db, &sb) == -1 && errno == ENOENT)
		return ctl_error(EX_NOINPUT, "%s: no such database (run "
		    "teardownd first, or give --db PATH)", c->db);
	if ((c->st = store_open(c->db, 1, err, sizeof(err))) == NULL)
		return ctl_error(EX_IOERR, "%s", err);
	return 0;
}

/* report -o FILE: the file to write. */
static int
check_report(const struct ctl *c)
{
	if (c->output == NULL)
		return ctl_error(-1, "report: say [RUN...] -o FILE.html");
	return 0;
}

/* report [RUN...] -o FILE: the runs (default: last) as one HTML page,
 * written beside FILE and renamed over it. */
static int
cmd_report(struct ctl *c)
{
	int64_t *runs = calloc(c->ninputs + 1, sizeof(*runs));
	char tmp[4200], err[600];
	size_t i, n = 0;
	FILE *f;
	int rc = 0;

	if (runs == NULL)
		return ctl_error(EX_IOERR, "out of memory");
	if (c->ninputs == 0)
		rc = resolve_run(c, "last", &runs[n++]);
	for (i = 0; rc == 0 && i < c->ninputs; i++) {
		size_t j;

		rc = resolve_run(c, c->inputs[i], &runs[n]);
		for (j = 0; j < n && runs[j] != runs[n]; j++)
			;
		n += j == n;		/* a run named twice is shown once */
	}
	if (rc != 0) {
		free(runs);
		return rc;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", c->output) >= (int)sizeof(tmp)) {
		free(runs);
		return ctl_error(EX_USAGE, "%s: path too long", c->output);
	}
	if ((f = fopen(tmp, "we")) == NULL) {
		free(runs);
		return ctl_error(EX_IOERR, "%s: %s", c->output, strerror(errno));
	}
	if (html_report(c->st, runs, n, f, err, sizeof(err)) == -1)
		rc = ctl_error(EX_IOERR, "report: %s", err[0] ? err : "cannot write");
	if (fclose(f) != 0 && rc == 0)
		rc = ctl_error(EX_IOERR, "%s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, c->output) == -1)
		rc = ctl_error(EX_IOERR, "%s: %s", c->output, strerror(errno));
	if (rc != 0)
		unlink(tmp);
	free(runs);
	return rc;
}

static int cmd_help(struct ctl *c);
static int cmd_complete(struct ctl *c);

/* The commands, in the order help lists them. */
static const struct cmd_entry cmds[] = {
	{ "runs", "[-n N]", "recent runs, newest first (20 unless -n)",
	    NULL, 0, 0, O_JSON | O_N, 1, NULL, cmd_runs },
	{ "show", "RUN | CASE [-v]", "a run and its cases (RUN: a number or "
	    "'last'); a case step by step, both ends side by side (CASE: "
	    "c<ID> or RUN/SCENARIO/FAMILY[/REP]; -v: retransmissions, rto, "
	    "backoff, timer)", "RUN or CASE", 1, 1, O_JSON | O_V, 1, NULL,
	    cmd_show },
	{ "history", "SCENARIO [--family F]", "the scenario's verdict in each "
	    "run, with the kernel", "SCENARIO", 1, 1, O_JSON | O_FAMILY, 1, NULL,
	    cmd_history },
	{ "pcap", "CASE [--format pcapng|pcap] > FILE", "the case's segments "
	    "as captured, for tshark and Wireshark: pcapng with the relay's "
	    "comments (default), or classic pcap (libpcap's)", "CASE", 1, 1,
	    O_FORMAT, 1, check_pcap, cmd_pcap },
	{ "ladder", "CASE [--svg]", "the case as a ladder diagram: its "
	    "segments and both ends' states in time order; SVG with --svg",
	    "CASE", 1, 1, O_SVG, 1, NULL, cmd_ladder },
	{ "flaky", "[RUN]", "per scenario and family: one signature (stable) "
	    "or several (flaky) among the repetitions; RUN: last", NULL, 0, 1,
	    O_JSON, 1, NULL, cmd_flaky },
	{ "baseline", "set RUN | show | clear", "the run later runs of its "
	    "host, profile and link are compared with (set and clear write the "
	    "database)", "set RUN, show or clear", 1, 2, O_JSON, 1,
	    check_baseline, cmd_baseline },
	{ "diff", "[RUN_A RUN_B]", "what changed from A to B, step by step; "
	    "without runs: the latest complete run against its baseline, else "
	    "the last run on another kernel, else the one before; exit 2 when a "
	    "signature changed", NULL, 0, 2, O_JSON, 1, check_diff, cmd_diff },
	{ "export", "[RUN] --format junit|tap|json|csv", "the run's cases for "
	    "CI: JUnit XML, TAP 13, JSON lines (also --json), CSV; RUN: last",
	    NULL, 0, 1, O_JSON | O_FORMAT, 1, check_export, cmd_export },
	{ "matrix", "[--family F] [--by-host]", "per scenario and environment "
	    "(kernel release, profile, link), the verdict of the latest run "
	    "there (per host with --by-host)", NULL, 0, 0,
	    O_JSON | O_FAMILY | O_BYHOST, 1, NULL, cmd_matrix },
	{ "report", "[RUN...] -o FILE.html", "the runs (RUN: last) as one "
	    "self-contained HTML page: each run's header and sysctls, its "
	    "verdict per scenario and family (flaky ones and changes against "
	    "the baseline marked), per scenario a history strip and one case "
	    "step by step with its ladder", NULL, 0, -1, O_OUTPUT, 1,
	    check_report, cmd_report },
	{ "merge", "DB... -o OUT", "copies the runs of several hosts' "
	    "databases into OUT (created if need be), each once; writes only "
	    "OUT", "DB", 1, -1, O_OUTPUT, 0, check_merge, cmd_merge },
	{ "complete", "commands | scenarios | cases", "words for shell "
	    "completion: the commands, the database's scenarios, the latest "
	    "run's cases", "commands, scenarios or cases", 1, 1, O_DB, 0, NULL,
	    cmd_complete },
	{ "help", "[COMMAND]", "this text, or one command's", NULL, 0, 1, 0, 0,
	    NULL, cmd_help },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* The options' names and help, by bit, in the order help lists them. */
static const struct {
	unsigned bit;
	const char *name, *help;
} opt_names[] = {
	{ O_JSON, "--json", "JSON instead of tables" },
	{ O_N, "-n", "how many" },
	{ O_V, "-v", "more columns" },
	{ O_SVG, "--svg", "SVG instead of text" },
	{ O_FAMILY, "--family", "ipv4, ipv6 or all" },
	{ O_FORMAT, "--format", "the format of export or pcap" },
	{ O_OUTPUT, "-o", "the output file" },
	{ O_BYHOST, "--by-host", "a row per host too" },
	{ O_DB, "--db", "the database" },
};

#define EXIT_TEXT "exit status: 0 ok, 2 diff: a signature changed, 64 usage,\n" \
	"66 no such database, run, case or scenario, 74 database error\n"

/* Prints text folded at width 72 after an indent of ind columns. */
static void
print_folded(FILE *f, const char *text, int ind, int col)
{
	const char *w = text, *e;
	int n;

	while (*w != '\0') {
		e = w + strcspn(w, " ");
		n = (int)(e - w);
		if (col > ind && col + 1 + n > 72) {
			fprintf(f, "\n%*s", ind, "");
			col = ind;
		} else if (col > ind) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", n, w);
		col += n;
		w = *e == ' ' ? e + 1 : e;
	}
	fputc('\n', f);
}

/* The whole usage, from the table. */
static void
usage_print(FILE *f)
{
	size_t i;

	fputs("usage: teardownctl [--db PATH] [--json] COMMAND [ARGS]\n"
	    "       teardownctl help COMMAND | COMMAND --help | --version\n\n"
	    "commands:\n", f);
	for (i = 0; i < NCMDS; i++) {
		int col = fprintf(f, "  %s %s", cmds[i].name, cmds[i].usage);

		if (col >= 21) {
			fputc('\n', f);
			col = 0;
		}
		fprintf(f, "%*s", 22 - col, "");
		print_folded(f, cmds[i].help, 22, 22);
	}
	fputs("\noptions:\n"
	    "  --db PATH   the database (default: $TEARDOWND_DB, else ./teardownd.db)\n"
	    "  --json      JSON instead of tables; show CASE then has the -v columns\n"
	    "  -v          show CASE: retransmissions, rto, backoff, timer of both ends\n"
	    "  --svg       ladder: an SVG document (for a browser) instead of text\n"
	    "  --family F  ipv4, ipv6 or all (history, matrix)\n"
	    "  -n N        runs: how many\n"
	    "  --format F  export: junit, tap, json or csv; pcap: pcapng or pcap\n"
	    "  -o FILE     merge, report: the file written\n"
	    "  --by-host   matrix: a row per host and scenario\n"
	    "  --help      this text; after a command, that command's\n"
	    "  --version   teardownctl's version\n\n" EXIT_TEXT, f);
}

/* One command's usage and help. */
static void
cmd_usage(FILE *f, const struct cmd_entry *e)
{
	size_t i;
	int any = 0;

	fprintf(f, "usage: teardownctl [--db PATH] %s %s\n\n", e->name, e->usage);
	print_folded(f, e->help, 0, 0);
	for (i = 0; i < sizeof(opt_names) / sizeof(opt_names[0]); i++)
		if (e->opts & opt_names[i].bit)
			fprintf(f, "%s  %-10s %s\n", any++ ? "" : "\noptions:\n",
			    opt_names[i].name, opt_names[i].help);
	fputs("\n" EXIT_TEXT, f);
}

/* The command named name, or NULL. */
static const struct cmd_entry *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

/* An unknown command: 64, with the nearest one as a suggestion. */
static int
cmd_unknown(const char *name)
{
	const char *names[NCMDS], *best;
	size_t i;

	for (i = 0; i < NCMDS; i++)
		names[i] = cmds[i].name;
	if ((best = parse_nearest(name, names, NCMDS)) != NULL)
		return ctl_error(-1, "unknown command '%s' (did you mean '%s'? "
		    "try 'teardownctl help')", name, best);
	return ctl_error(-1, "unknown command '%s' (try 'teardownctl help')",
	    name);
}

/* Checks the command, its operands and that each option given applies. */
static int
check_args(struct ctl *c)
{
	const struct cmd_entry *e;
	int n = c->arg2 != NULL ? 2 : c->arg != NULL ? 1 : 0;
	size_t i;

	if (c->cmd == NULL)
		return c->help ? 0 : ctl_error(-1, "no command (try 'teardownctl "
		    "help')");
	if ((e = c->entry = cmd_find(c->cmd)) == NULL)
		return cmd_unknown(c->cmd);
	if (c->help)
		return 0;
	if (e->max == -1)
		n = (int)c->ninputs;
	for (i = 0; i < sizeof(opt_names) / sizeof(opt_names[0]); i++)
		if ((c->given & opt_names[i].bit) && !((e->opts |
		    (e->db ? O_DB : 0)) & opt_names[i].bit))
			return ctl_error(-1, "%s does not apply to '%s' (see "
			    "'teardownctl help %s')", opt_names[i].name, e->name,
			    e->name);
	if (n < e->min)
		return ctl_error(-1, "%s: missing %s", e->name, e->operand);
	if (e->max >= 0 && n > e->max)
		return ctl_error(-1, "%s: unexpected '%s'", e->name,
		    n == 2 ? c->arg2 : c->arg);
	return e->check != NULL ? e->check(c) : 0;
}

/* help [COMMAND]. */
static int
cmd_help(struct ctl *c)
{
	const struct cmd_entry *e;

	if (c->arg == NULL) {
		usage_print(stdout);
		return 0;
	}
	if ((e = cmd_find(c->arg)) == NULL)
		return cmd_unknown(c->arg) == -1 ? EX_USAGE : EX_USAGE;
	cmd_usage(stdout, e);
	return 0;
}

/* complete commands | scenarios | cases: a word a line. */
static int
cmd_complete(struct ctl *c)
{
	struct report *r;
	enum store_query q;
	size_t i;
	int rc;

	if (strcmp(c->arg, "commands") == 0) {
		for (i = 0; i < NCMDS; i++)
			printf("%s\n", cmds[i].name);
		return 0;
	}
	if (strcmp(c->arg, "scenarios") == 0)
		q = STORE_Q_SCENARIOS;
	else if (strcmp(c->arg, "cases") == 0)
		q = STORE_Q_LATEST_CASES;
	else
		return ctl_error(EX_USAGE, "complete: '%s' is not commands, "
		    "scenarios or cases", c->arg);
	if ((rc = ctl_open(c)) != 0)
		return rc;
	if ((r = ctl_query(c, q, &(struct store_args){ 0 })) == NULL)
		return EX_IOERR;
	for (i = 0; i < report_nrows(r); i++)
		printf("%s\n", report_text(r, i, 0));
	report_free(r);
	return 0;
}

/* teardownctl [--db PATH] [--json] COMMAND [ARGS]: see usage_print. */
int
main(int argc, char **argv)
{
	struct ctl c = { .db = getenv("TEARDOWND_DB") };
	int rc;

	log_init("teardownctl", 0);
	if (c.db == NULL || c.db[0] == '\0')
		c.db = CTL_DEFAULT_DB;
	if (parse_args(&c, argc, argv) == -1 || check_args(&c) == -1)
		return EX_USAGE;
	if (c.cmd == NULL) {			/* --help alone */
		usage_print(stdout);
		return 0;
	}
	if (c.help) {
		cmd_usage(stdout, c.entry);
		return 0;
	}
	if (c.entry->db && (rc = ctl_open(&c)) != 0)
		return rc;
	rc = c.entry->exec(&c);
	store_close(c.st);
	if (fflush(stdout) == EOF || ferror(stdout))
		rc = ctl_error(EX_IOERR, "writing output: %s", strerror(errno));
	return rc;
}
