/* teardownctl.c: the command line over teardownd's database. It opens the
 * database read-only, never writes and never opens a socket: every query
 * goes through the store's read API and is printed by report.c.
 *
 * Exit status: 0 ok, 64 usage (EX_USAGE), 66 no such database, run, case
 * or scenario (EX_NOINPUT), 74 database error (EX_IOERR). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "log.h"
#include "report.h"
#include "store.h"

#define CTL_DEFAULT_DB		"./teardownd.db"
#define CTL_DEFAULT_RUNS	20		/* runs listed without -n */

/* What the command line asked for. */
struct ctl {
	const char *db;				/* --db, $TEARDOWND_DB, or the default */
	int json;				/* --json */
	int verbose;				/* -v: tcp_info columns */
	int64_t limit;				/* -n N; 0 when not given */
	const char *family;			/* --family F */
	const char *cmd;			/* runs, show, history, help */
	const char *arg;			/* RUN, CASE or SCENARIO */
	struct store *st;			/* open read-only */
};

static const char usage_text[] =
    "usage: teardownctl [--db PATH] [--json] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  runs [-n N]       recent runs, newest first (20 unless -n)\n"
    "  show RUN          a run and its cases; RUN is a number or 'last'\n"
    "  show CASE [-v]    a case step by step, both ends side by side;\n"
    "                    CASE is c<ID> or RUN/SCENARIO/FAMILY[/REP]\n"
    "  history SCENARIO [--family F]\n"
    "                    the scenario's verdict in each run, with the kernel\n"
    "  help              this text\n"
    "\n"
    "options:\n"
    "  --db PATH   the database (default: $TEARDOWND_DB, else ./teardownd.db)\n"
    "  --json      JSON instead of tables; show CASE then has the -v columns\n"
    "  -v          show CASE: retransmissions, rto, backoff, timer of both ends\n"
    "\n"
    "exit status: 0 ok, 64 usage, 66 no such database, run, case or scenario,\n"
    "74 database error\n";

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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":n:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': c->db = optarg; break;
		case 'j': c->json = 1; break;
		case 'f': c->family = optarg; break;
		case 'v': c->verbose = 1; break;
		case 'h': c->cmd = "help"; return 0;
		case 'n':
			if (parse_id(optarg, &c->limit) == -1)
				return ctl_error(-1, "-n: '%s' is not a positive "
				    "number", optarg);
			break;
		case ':':
			return ctl_error(-1, "%s needs a value", argv[optind - 1]);
		default:
			if (optopt != 0)
				return ctl_error(-1, "unknown option '-%c'", optopt);
			return ctl_error(-1, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		c->cmd = argv[optind++];
	if (optind < argc)
		c->arg = argv[optind++];
	if (optind < argc)
		return ctl_error(-1, "unexpected '%s'", argv[optind]);
	return 0;
}

/* Checks the command, its operand and that each option applies to it. */
static int
check_args(const struct ctl *c)
{
	const char *cmd = c->cmd;

	if (cmd == NULL)
		return ctl_error(-1, "no command (try 'teardownctl help')");
	if (strcmp(cmd, "runs") != 0 && strcmp(cmd, "show") != 0 &&
	    strcmp(cmd, "history") != 0 && strcmp(cmd, "help") != 0)
		return ctl_error(-1, "unknown command '%s' (try 'teardownctl "
		    "help')", cmd);
	if ((strcmp(cmd, "show") == 0 || strcmp(cmd, "history") == 0) &&
	    c->arg == NULL)
		return ctl_error(-1, "%s: missing %s", cmd,
		    strcmp(cmd, "show") == 0 ? "RUN or CASE" : "SCENARIO");
	if ((strcmp(cmd, "runs") == 0 || strcmp(cmd, "help") == 0) &&
	    c->arg != NULL)
		return ctl_error(-1, "%s: unexpected '%s'", cmd, c->arg);
	if (c->limit != 0 && strcmp(cmd, "runs") != 0)
		return ctl_error(-1, "-n applies to 'runs' only");
	if (c->family != NULL && strcmp(cmd, "history") != 0)
		return ctl_error(-1, "--family applies to 'history' only");
	if (c->verbose && strcmp(cmd, "show") != 0)
		return ctl_error(-1, "-v applies to 'show' only");
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

/* runs [-n N]: the recent runs, newest first. */
static int
cmd_runs(struct ctl *c)
{
	struct store_args a = { .limit = c->limit ? c->limit : CTL_DEFAULT_RUNS };
	struct report *r;

	if ((r = ctl_query(c, STORE_Q_RUNS, &a)) == NULL)
		return EX_IOERR;
	if (c->json)
		report_json_array(r, stdout);
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

/* Prints a header record and the tables under it, or one JSON object
 * {"k0": record, "k1": [...], ...}; keys[i] names reports[i]. */
static void
print_document(const struct ctl *c, const char *const *keys,
    struct report *const *reports, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (c->json) {
			printf(i == 0 ? "{\"%s\": " : ",\n\"%s\": ", keys[i]);
			if (i == 0)
				report_json_object(reports[i], stdout);
			else
				report_json_array(reports[i], stdout);
		} else if (i == 0) {
			report_record(reports[i], stdout);
		} else if (report_nrows(reports[i]) > 0) {
			putchar('\n');
			report_table(reports[i], stdout);
		}
	}
	if (c->json)
		fputs("}\n", stdout);
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

	for (i = 0; i < 3; i++)
		if ((r[i] = ctl_query(c, qs[i], &a)) == NULL)
			goto done;
	print_document(c, keys, r, 3);
	rc = 0;
done:
	for (i = 0; i < 3; i++)
		report_free(r[i]);
	return rc;
}

/* show CASE: the case's header, then its steps as a ladder. */
static int
show_case(struct ctl *c, int64_t case_id)
{
	static const char *const keys[] = { "case", "steps" };
	struct store_args a = { .case_id = case_id };
	struct report *r[2] = { NULL, NULL };
	int rc = EX_IOERR;

	if ((r[0] = ctl_query(c, STORE_Q_CASE, &a)) == NULL)
		goto done;
	if ((r[1] = ctl_query(c, c->verbose || c->json ?
	    STORE_Q_CASE_STEPS_VERBOSE : STORE_Q_CASE_STEPS, &a)) == NULL)
		goto done;
	print_document(c, keys, r, 2);
	rc = 0;
done:
	report_free(r[0]);
	report_free(r[1]);
	return rc;
}

/* show RUN | c<ID> | RUN/SCENARIO/FAMILY[/REP] */
static int
cmd_show(struct ctl *c)
{
	struct store_args a = { 0 };
	const char *w = c->arg;
	char what[64];
	int64_t id;
	int rc;

	if (strchr(w, '/') != NULL) {
		if ((rc = resolve_case_path(c, w, &id)) != 0)
			return rc;
		return show_case(c, id);
	}
	if (w[0] == 'c' && parse_id(w + 1, &a.case_id) == 0) {
		snprintf(what, sizeof(what), "no case %s", w);
		if ((rc = ctl_lookup(c, STORE_L_CASE, &a, &id, what)) != 0)
			return rc;
		return show_case(c, id);
	}
	if (strcmp(w, "last") != 0 && parse_id(w, &id) == -1)
		return ctl_error(EX_USAGE, "show: '%s' is not a run (a number, "
		    "'last') or a case (c<ID>, RUN/SCENARIO/FAMILY[/REP])", w);
	if ((rc = resolve_run(c, w, &id)) != 0)
		return rc;
	return show_run(c, id);
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
		rc = ctl_error(EX_NOINPUT, "%s: no cases of scenario '%s'%s%s",
		    c->db, c->arg, c->family ? " in family " : "",
		    c->family ? c->family : "");
	else if (c->json)
		report_json_array(r, stdout);
	else
		report_table(r, stdout);
	report_free(r);
	return rc;
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

/* teardownctl [--db PATH] [--json] COMMAND [ARGS]: see usage_text. */
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
	if (strcmp(c.cmd, "help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if ((rc = ctl_open(&c)) != 0)
		return rc;
	if (strcmp(c.cmd, "runs") == 0)
		rc = cmd_runs(&c);
	else if (strcmp(c.cmd, "show") == 0)
		rc = cmd_show(&c);
	else
		rc = cmd_history(&c);
	store_close(c.st);
	if (fflush(stdout) == EOF || ferror(stdout))
		rc = ctl_error(EX_IOERR, "writing output: %s", strerror(errno));
	return rc;
}
