/* export.c: a run's cases as JUnit XML and as TAP version 13, for CI
 * systems (Jenkins, GitLab) and TAP harnesses (prove). Like report.c it
 * knows nothing of SQL: it reads the rows of the store's export queries by
 * column name. One test is a scenario and family; its repetitions are the
 * consecutive rows of that scenario and family. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "report.h"

/* What one test (a scenario and family) came to. */
enum outcome {
	OUTCOME_PASS,				/* every repetition passed */
	OUTCOME_FAILURE,			/* one failed or timed out */
	OUTCOME_ERROR				/* none failed, one could not run */
};

/* One test: rows first .. first + n - 1 of the cases. */
struct group {
	size_t first;				/* its first row */
	size_t n;				/* its rows (repetitions) */
	size_t npass;				/* of those, passed */
	size_t bad;				/* its first row that did not pass */
	int64_t dur_us;				/* its cases' durations, summed */
	enum outcome outcome;
};

/* The tests of a run. */
struct groups {
	struct group *g;			/* n of them, malloc'd */
	size_t n;
	size_t nfailure, nerror;		/* tests per outcome */
	int64_t dur_us;				/* every case's duration, summed */
};

/* The text of column name at row i of r; NULL for NULL or no column. */
static const char *
col(const struct report *r, size_t i, const char *name)
{
	return report_text(r, i, report_column(r, name));
}

/* col() as a number; 0 for NULL. */
static int64_t
col_int(const struct report *r, size_t i, const char *name)
{
	const char *t = col(r, i, name);

	return t != NULL ? strtoll(t, NULL, 10) : 0;
}

/* Whether two texts are equal, NULL equal to NULL only. */
static int
same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* The outcome of a case's verdict. */
static enum outcome
verdict_outcome(const char *v)
{
	if (v != NULL && strcmp(v, "pass") == 0)
		return OUTCOME_PASS;
	if (v != NULL && strcmp(v, "error") == 0)
		return OUTCOME_ERROR;
	return OUTCOME_FAILURE;
}

/* Adds row i to test g, which it belongs to. */
static void
group_add(struct group *g, const struct report *cases, size_t i)
{
	enum outcome o = verdict_outcome(col(cases, i, "verdict"));

	if (g->n++ == 0)
		g->first = i;
	g->dur_us += col_int(cases, i, "duration_us");
	if (o == OUTCOME_PASS) {
		g->npass++;
		return;
	}
	if (g->outcome == OUTCOME_PASS)
		g->bad = i;
	if (o == OUTCOME_FAILURE && g->outcome != OUTCOME_FAILURE) {
		g->outcome = OUTCOME_FAILURE;
		g->bad = i;			/* a failure before an error */
	} else if (g->outcome == OUTCOME_PASS)
		g->outcome = o;
}

/* Splits the cases into tests by scenario and family. */
static int
groups_make(const struct report *cases, struct groups *gs)
{
	size_t i, rows = report_nrows(cases);
	struct group *g = NULL;

	memset(gs, 0, sizeof(*gs));
	if ((gs->g = calloc(rows > 0 ? rows : 1, sizeof(*gs->g))) == NULL)
		return -1;
	for (i = 0; i < rows; i++) {
		if (g == NULL ||
		    !same(col(cases, i, "scenario"), col(cases, g->first,
		    "scenario")) ||
		    !same(col(cases, i, "family"), col(cases, g->first, "family")))
			g = &gs->g[gs->n++];
		group_add(g, cases, i);
		gs->dur_us += col_int(cases, i, "duration_us");
	}
	for (i = 0; i < gs->n; i++) {
		gs->nfailure += gs->g[i].outcome == OUTCOME_FAILURE;
		gs->nerror += gs->g[i].outcome == OUTCOME_ERROR;
	}
	return 0;
}

/* Prints the character that replaces what XML or YAML cannot carry. */
static void
put_replacement(FILE *fp)
{
	fputs("\xef\xbf\xbd", fp);		/* U+FFFD */
}

/* Prints s as XML character data or a double-quoted attribute value. */
void
export_xml(FILE *fp, const char *s, int attr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (; *p != '\0'; p += n > 0 ? n : 1) {
		n = report_utf8_len((const char *)p);
		if (n == 0 || (n == 3 && p[0] == 0xef && p[1] == 0xbf &&
		    p[2] >= 0xbe))
			put_replacement(fp);	/* invalid; U+FFFE, U+FFFF */
		else if (n > 1)
			fwrite(p, 1, n, fp);
		else if (*p == '&')
			fputs("&amp;", fp);
		else if (*p == '<')
			fputs("&lt;", fp);
		else if (*p == '>')
			fputs("&gt;", fp);
		else if (attr && *p == '"')
			fputs("&quot;", fp);
		else if (attr && *p == '\'')
			fputs("&apos;", fp);
		else if (attr && (*p == '\t' || *p == '\n' || *p == '\r'))
			fprintf(fp, "&#%d;", *p);
		else if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			put_replacement(fp);
		else
			putc(*p, fp);
	}
}

/* Prints s as a YAML double-quoted scalar. */
void
export_yaml(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	putc('"', fp);
	for (; *p != '\0'; p += n > 0 ? n : 1) {
		n = report_utf8_len((const char *)p);
		if (n == 0)
			put_replacement(fp);
		else if (n > 1)
			fwrite(p, 1, n, fp);
		else if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
			fprintf(fp, "\\x%02x", *p);
		else
			putc(*p, fp);
	}
	putc('"', fp);
}

/* Prints an XML attribute: a space, name="value". */
static void
xml_attr(FILE *fp, const char *name, const char *value)
{
	fprintf(fp, " %s=\"", name);
	export_xml(fp, value != NULL ? value : "", 1);
	putc('"', fp);
}

/* Prints <property name= value=/> for each non-NULL column of the run,
 * then each sysctl by its name. */
static void
junit_properties(const struct export_run *er, FILE *fp)
{
	const char *v;
	size_t i;
	int c;

	fputs("    <properties>\n", fp);
	for (c = 0; c < report_ncols(er->run); c++) {
		if ((v = report_text(er->run, 0, c)) == NULL)
			continue;
		fputs("      <property", fp);
		xml_attr(fp, "name", report_name(er->run, c));
		xml_attr(fp, "value", v);
		fputs("/>\n", fp);
	}
	for (i = 0; er->sysctls != NULL && i < report_nrows(er->sysctls); i++) {
		fputs("      <property", fp);
		xml_attr(fp, "name", col(er->sysctls, i, "name"));
		xml_attr(fp, "value", col(er->sysctls, i, "value"));
		fputs("/>\n", fp);
	}
	fputs("    </properties>\n", fp);
}

/* The text, or "-" for NULL. */
static const char *
dash(const char *s)
{
	return s != NULL ? s : "-";
}

/* Prints the failure text of one repetition that did not pass: its
 * verdict, first failure and the failing step's detail, as XML text. */
static void
junit_rep_detail(const struct report *cases, size_t i, FILE *fp)
{
	char head[160];

	snprintf(head, sizeof(head), "rep %s, case c%s: %s\n",
	    dash(col(cases, i, "rep")), dash(col(cases, i, "case_id")),
	    dash(col(cases, i, "verdict")));
	export_xml(fp, head, 0);
	fputs("  ", fp);
	export_xml(fp, dash(col(cases, i, "failure")), 0);
	putc('\n', fp);
	if (col(cases, i, "fail_idx") == NULL)
		return;
	fputs("  step #", fp);
	export_xml(fp, col(cases, i, "fail_idx"), 0);
	fputs(": status ", fp);
	export_xml(fp, dash(col(cases, i, "fail_status")), 0);
	fputs(", rc ", fp);
	export_xml(fp, dash(col(cases, i, "fail_rc")), 0);
	fputs(", errno ", fp);
	export_xml(fp, dash(col(cases, i, "fail_errno")), 0);
	fputs("; client ", fp);
	export_xml(fp, dash(col(cases, i, "fail_client_state")), 0);
	fputs(", server ", fp);
	export_xml(fp, dash(col(cases, i, "fail_server_state")), 0);
	putc('\n', fp);
}

/* Prints a test that did not pass as <failure> or <error>: message, the
 * first failure; text, every repetition that did not pass. */
static void
junit_problem(const struct report *cases, const struct group *g, FILE *fp)
{
	const char *el = g->outcome == OUTCOME_ERROR ? "error" : "failure";
	const char *msg = col(cases, g->bad, "failure");
	size_t i;

	fprintf(fp, "      <%s", el);
	xml_attr(fp, "message", msg != NULL ? msg :
	    dash(col(cases, g->bad, "message")));
	xml_attr(fp, "type", col(cases, g->bad, "verdict"));
	fputs(">", fp);
	for (i = g->first; i < g->first + g->n; i++)
		if (verdict_outcome(col(cases, i, "verdict")) != OUTCOME_PASS)
			junit_rep_detail(cases, i, fp);
	fprintf(fp, "</%s>\n", el);
}

/* The suite's name, the same from run to run so that a CI system tracks
 * each test across them: "teardownd", then " PROFILE/LINK" for a run
 * outside the default environment. */
static void
suite_name(const struct export_run *er, char *buf, size_t len)
{
	const char *profile = col(er->run, 0, "profile");
	const char *link = col(er->run, 0, "link");

	if ((profile == NULL || strcmp(profile, "default") == 0) &&
	    (link == NULL || strcmp(link, "lo") == 0))
		snprintf(buf, len, "teardownd");
	else
		snprintf(buf, len, "teardownd %s/%s", dash(profile),
		    link != NULL ? link : "lo");
}

/* Prints one <testcase>: classname the suite's, name SCENARIO/FAMILY. */
static void
junit_testcase(const struct report *cases, const struct group *g,
    const char *suite, FILE *fp)
{
	char name[320];

	snprintf(name, sizeof(name), "%s/%s",
	    dash(col(cases, g->first, "scenario")),
	    dash(col(cases, g->first, "family")));
	fputs("    <testcase", fp);
	xml_attr(fp, "classname", suite);
	xml_attr(fp, "name", name);
	fprintf(fp, " time=\"%.3f\" assertions=\"%zu\"", g->dur_us / 1e6, g->n);
	if (g->outcome == OUTCOME_PASS) {
		fputs("/>\n", fp);
		return;
	}
	fputs(">\n", fp);
	junit_problem(cases, g, fp);
	fputs("    </testcase>\n", fp);
}

/* The run's duration in seconds: its own when it ended, else its cases'. */
static double
run_seconds(const struct export_run *er, const struct groups *gs)
{
	const char *d = col(er->run, 0, "duration_us");

	return d != NULL ? strtoll(d, NULL, 10) / 1e6 : gs->dur_us / 1e6;
}

/* Prints the <testsuite> start tag: name, counts, time, timestamp,
 * hostname. */
static void
junit_suite_tag(const struct export_run *er, const struct groups *gs,
    const char *name, FILE *fp)
{
	const char *start = col(er->run, 0, "started_at");
	char stamp[20] = "";

	if (start != NULL)			/* Ant's form: no fraction, no zone */
		snprintf(stamp, sizeof(stamp), "%.19s", start);
	fputs("  <testsuite", fp);
	xml_attr(fp, "name", name);
	fprintf(fp, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\""
	    " skipped=\"0\" time=\"%.3f\"", gs->n, gs->nfailure, gs->nerror,
	    run_seconds(er, gs));
	if (stamp[0] != '\0')
		xml_attr(fp, "timestamp", stamp);
	xml_attr(fp, "hostname", dash(col(er->run, 0, "host")));
	fputs(" id=\"0\" package=\"teardownd\">\n", fp);
}

/* Writes the run as a JUnit XML document. */
int
export_junit(const struct export_run *er, FILE *fp)
{
	char suite[128];
	struct groups gs;
	size_t i;

	if (groups_make(er->cases, &gs) == -1)
		return -1;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", fp);
	suite_name(er, suite, sizeof(suite));
	fprintf(fp, "<testsuites name=\"teardownd\" tests=\"%zu\""
	    " failures=\"%zu\" errors=\"%zu\" time=\"%.3f\">\n", gs.n,
	    gs.nfailure, gs.nerror, run_seconds(er, &gs));
	junit_suite_tag(er, &gs, suite, fp);
	junit_properties(er, fp);
	for (i = 0; i < gs.n; i++)
		junit_testcase(er->cases, &gs.g[i], suite, fp);
	fputs("  </testsuite>\n</testsuites>\n", fp);
	free(gs.g);
	return 0;
}

/* Prints s for a TAP line: control characters as '?', and in a test's
 * description (desc) '#' and '\' escaped, as TAP wants. */
static void
tap_text(FILE *fp, const char *s, int desc)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			putc('?', fp);
		else if (desc && (*p == '#' || *p == '\\'))
			fprintf(fp, "\\%c", *p);
		else
			putc(*p, fp);
	}
}

/* Prints "      key: value" in a YAML block, value quoted; NULL: nothing. */
static void
yaml_pair(FILE *fp, const char *indent, const char *key, const char *value)
{
	if (value == NULL)
		return;
	fprintf(fp, "%s%s: ", indent, key);
	export_yaml(fp, value);
	putc('\n', fp);
}

/* Prints one repetition that did not pass as an item of "failures". */
static void
tap_rep(const struct report *cases, size_t i, FILE *fp)
{
	static const char *const keys[] = { "failure", "fail_line",
	    "fail_side", "fail_step", "fail_status", "fail_rc", "fail_errno",
	    "fail_client_state", "fail_server_state" };
	size_t k;

	fprintf(fp, "    - rep: %lld\n", (long long)col_int(cases, i, "rep"));
	fprintf(fp, "      case: c%lld\n",
	    (long long)col_int(cases, i, "case_id"));
	yaml_pair(fp, "      ", "verdict", col(cases, i, "verdict"));
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)	/* no "fail_" */
		yaml_pair(fp, "      ", keys[k] + (k > 0 ? 5 : 0),
		    col(cases, i, keys[k]));
	yaml_pair(fp, "      ", "message", col(cases, i, "message"));
}

/* Prints the YAML block under a test that did not pass. */
static void
tap_diagnostics(const struct report *cases, const struct group *g, FILE *fp)
{
	const char *msg = col(cases, g->bad, "failure");
	size_t i;

	fputs("  ---\n", fp);
	yaml_pair(fp, "  ", "message", msg != NULL ? msg :
	    dash(col(cases, g->bad, "message")));
	yaml_pair(fp, "  ", "severity", col(cases, g->bad, "verdict"));
	fprintf(fp, "  repetitions: %zu\n  passed: %zu\n", g->n, g->npass);
	fprintf(fp, "  duration_ms: %.1f\n", g->dur_us / 1e3);
	fputs("  failures:\n", fp);
	for (i = g->first; i < g->first + g->n; i++)
		if (verdict_outcome(col(cases, i, "verdict")) != OUTCOME_PASS)
			tap_rep(cases, i, fp);
	fputs("  ...\n", fp);
}

/* Prints the comment line that says which run this is. */
static void
tap_header(const struct export_run *er, FILE *fp)
{
	static const char *const cols[][2] = {
		{ "run_id", "teardownd run " }, { "host", ", host " },
		{ "kernel_release", ", kernel " },
		{ "kernel_version", " " }, { "started_at", ", started " },
		{ "status", ", " },
	};
	const char *v;
	size_t k;

	fputs("# ", fp);
	for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
		if ((v = col(er->run, 0, cols[k][0])) != NULL) {
			fputs(cols[k][1], fp);
			tap_text(fp, v, 0);
		}
	putc('\n', fp);
}

/* Writes the run as TAP version 13. */
int
export_tap(const struct export_run *er, FILE *fp)
{
	struct groups gs;
	const struct group *g;
	size_t i;

	if (groups_make(er->cases, &gs) == -1)
		return -1;
	fputs("TAP version 13\n", fp);
	if (gs.n == 0)
		fputs("1..0 # SKIP the run has no cases\n", fp);
	else
		fprintf(fp, "1..%zu\n", gs.n);
	tap_header(er, fp);
	for (i = 0; i < gs.n; i++) {
		g = &gs.g[i];
		fprintf(fp, "%s %zu - ", g->outcome == OUTCOME_PASS ? "ok" :
		    "not ok", i + 1);
		tap_text(fp, dash(col(er->cases, g->first, "scenario")), 1);
		putc(' ', fp);
		tap_text(fp, dash(col(er->cases, g->first, "family")), 1);
		putc('\n', fp);
		if (g->outcome != OUTCOME_PASS)
			tap_diagnostics(er->cases, g, fp);
	}
	free(gs.g);
	return 0;
}
