/* diff.c: two runs compared by their majority signatures. The store says
 * which scenario+family changed (STORE_Q_DIFF, with the two majority
 * signatures) and which sysctls differ (STORE_Q_DIFF_SYSCTLS, printed
 * first: they are often the why); this file lines the two signatures up
 * step by step, marks the rows that differ and prints them side by side as
 * a table, or the whole comparison as one JSON document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "report.h"
#include "signature.h"
#include "store.h"

#define STEP_COLS	10		/* mark, idx, side, step, 2 x 3 */

/* One line of a signature split into its fields. */
struct sline {
	char *buf;				/* the fields, malloc'd */
	const char *f[SIG_FIELDS];
	int nf;
};

/* A signature taken apart: its verdict, steps and wire lines. */
struct sig {
	struct sline *step;			/* in order, by index */
	size_t nstep;
	struct sline verdict, wire;		/* nf 0 when absent */
};

/* The step table's column names: for people, and as JSON keys. */
static const char *const text_cols[STEP_COLS] = { "", "idx", "side", "step",
    "before", "client", "server", "after", "client", "server" };
static const char *const json_cols[STEP_COLS] = { "changed", "idx", "side",
    "step", "before", "before_client", "before_server", "after",
    "after_client", "after_server" };

/* Runs query q into a new report *r (NULL on failure): 0, -1 on a
 * database error, -2 out of memory. */
static int
query_report(struct store *st, enum store_query q, const struct store_args *a,
    struct report **r)
{
	int rc;

	if ((*r = report_new()) == NULL)
		return -2;
	if ((rc = store_query(st, q, a, report_collect, *r)) == 0)
		return 0;
	report_free(*r);
	*r = NULL;
	return rc == -1 ? -1 : -2;
}

/* The text of column name in row i; "-" when NULL or missing. */
static const char *
text_at(const struct report *r, size_t i, const char *name)
{
	const char *t = report_text(r, i, report_column(r, name));

	return t != NULL ? t : "-";
}

/* Column "<side>_<name>" of row i, as text_at. */
static const char *
side_text(const struct report *r, size_t i, const char *side,
    const char *name)
{
	char col[64];

	snprintf(col, sizeof(col), "%s_%s", side, name);
	return text_at(r, i, col);
}

/* Frees a parsed signature. */
static void
sig_free(struct sig *s)
{
	size_t i;

	for (i = 0; i < s->nstep; i++)
		free(s->step[i].buf);
	free(s->step);
	free(s->verdict.buf);
	free(s->wire.buf);
	memset(s, 0, sizeof(*s));
}

/* Splits one line of n bytes into l; -1 when memory ran out. */
static int
sline_parse(struct sline *l, const char *line, size_t n)
{
	if ((l->buf = malloc(n + 1)) == NULL)
		return -1;
	l->nf = signature_fields(line, n, l->buf, n + 1, l->f);
	return 0;
}

/* Takes signature text (NULL: none) apart into s; -1 out of memory. */
static int
sig_parse(struct sig *s, const char *text)
{
	struct sline l, *grown;
	size_t n;

	memset(s, 0, sizeof(*s));
	for (; text != NULL && *text != '\0'; text += n + (text[n] == '\n')) {
		n = strcspn(text, "\n");
		if (sline_parse(&l, text, n) == -1)
			return -1;
		if (strcmp(l.f[0], "verdict") == 0 && s->verdict.buf == NULL)
			s->verdict = l;
		else if (strcmp(l.f[0], "wire") == 0 && s->wire.buf == NULL)
			s->wire = l;
		else if (l.f[0][0] >= '0' && l.f[0][0] <= '9' &&
		    (grown = reallocarray(s->step, s->nstep + 1,
		    sizeof(*grown))) != NULL) {
			s->step = grown;
			s->step[s->nstep++] = l;
		} else
			free(l.buf);
	}
	return 0;
}

/* Field k of step i of s, or NULL when s has no such step or field. */
static const char *
step_field(const struct sig *s, size_t i, int k)
{
	if (i >= s->nstep || k >= s->step[i].nf)
		return NULL;
	return s->step[i].f[k];
}

/* Whether step i differs between a and b: any field, or only one has it. */
static int
step_differs(const struct sig *a, const struct sig *b, size_t i)
{
	const char *x, *y;
	int k;

	for (k = 1; k < SIG_FIELDS; k++) {
		x = step_field(a, i, k);
		y = step_field(b, i, k);
		if ((x == NULL) != (y == NULL) || (x != NULL && strcmp(x, y) != 0))
			return 1;
	}
	return 0;
}

/* Adds one row of STEP_COLS text values (NULL for none) to report r;
 * column 1 (the index) and, in JSON, column 0 are numbers. */
static int
report_add(struct report *r, const char *const *names, const char **cells,
    int json)
{
	struct store_value v[STEP_COLS];
	int c;

	for (c = 0; c < STEP_COLS; c++) {
		v[c].text = cells[c];
		v[c].type = cells[c] == NULL ? STORE_NULL : STORE_TEXT;
	}
	if (cells[1] != NULL && cells[1][0] >= '0' && cells[1][0] <= '9')
		v[1].type = STORE_INT;
	if (json)
		v[0].type = STORE_INT;
	return report_collect(r, STEP_COLS, names, v);
}

/* Step i of a and b as a row of the side-by-side table. */
static int
step_row(struct report *r, const struct sig *a, const struct sig *b,
    size_t i, int json)
{
	const struct sig *one = i < b->nstep ? b : a;
	const char *cells[STEP_COLS];
	int differs = step_differs(a, b, i), k;

	cells[0] = json ? (differs ? "1" : "0") : (differs ? "*" : "");
	cells[1] = step_field(one, i, 0);
	cells[2] = step_field(one, i, 1);
	cells[3] = step_field(one, i, 2);
	for (k = 0; k < 3; k++) {
		cells[4 + k] = step_field(a, i, 3 + k);
		cells[7 + k] = step_field(b, i, 3 + k);
	}
	return report_add(r, json ? json_cols : text_cols, cells, json);
}

/* The side-by-side table of a and b's steps; NULL out of memory. */
static struct report *
step_table(const struct sig *a, const struct sig *b, int json)
{
	const char *const *names = json ? json_cols : text_cols;
	size_t i, n = a->nstep > b->nstep ? a->nstep : b->nstep;
	struct report *r;

	if ((r = report_new()) == NULL)
		return NULL;
	if (report_collect(r, STEP_COLS, names, NULL) != 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (step_row(r, a, b, i, json) != 0)
			goto fail;
	return r;
fail:
	report_free(r);
	return NULL;
}

/* The wire line of s, or NULL. */
static const char *
wire_of(const struct sig *s)
{
	return s->wire.nf > 1 ? s->wire.f[1] : NULL;
}

/* Whether the wire lines of a and b differ. */
static int
wire_differs(const struct sig *a, const struct sig *b)
{
	const char *x = wire_of(a), *y = wire_of(b);

	return (x == NULL) != (y == NULL) || (x != NULL && strcmp(x, y) != 0);
}

/* Prints one side's majority for people: "before  c3  pass  stable ...". */
static void
side_print(FILE *fp, const struct report *d, size_t i, const char *side,
    int64_t run)
{
	if (strcmp(side_text(d, i, side, "sig_hash"), "-") == 0) {
		fprintf(fp, "  %-6s  not in run %lld\n", side, (long long)run);
		return;
	}
	fprintf(fp, "  %-6s  c%s  %s  %s (%s of %s cases)  %s\n", side,
	    side_text(d, i, side, "case_id"), side_text(d, i, side, "verdict"),
	    side_text(d, i, side, "stability"),
	    side_text(d, i, side, "n_majority"), side_text(d, i, side, "n_cases"),
	    side_text(d, i, side, "sig_hash"));
}

/* Prints one changed scenario+family for people. */
static int
change_text(FILE *fp, const struct diff_runs *dr, const struct report *d,
    size_t i, const struct sig *a, const struct sig *b)
{
	struct report *t;
	int w = wire_differs(a, b);

	fprintf(fp, "\n%s %s: %s\n", text_at(d, i, "scenario"),
	    text_at(d, i, "family"), text_at(d, i, "change"));
	side_print(fp, d, i, "before", dr->before);
	side_print(fp, d, i, "after", dr->after);
	if ((t = step_table(a, b, 0)) == NULL)
		return -1;
	report_table(t, fp);
	report_free(t);
	if (wire_of(a) != NULL || wire_of(b) != NULL) {
		fprintf(fp, "%s  wire before: %s\n", w ? "*" : " ",
		    wire_of(a) != NULL ? wire_of(a) : "-");
		fprintf(fp, "%s  wire after:  %s\n", w ? "*" : " ",
		    wire_of(b) != NULL ? wire_of(b) : "-");
	}
	return 0;
}

/* A report of one row: n columns called names, values v; NULL out of
 * memory. */
static struct report *
record_new(int n, const char *const *names, const struct store_value *v)
{
	struct report *r;

	if ((r = report_new()) != NULL && (report_collect(r, n, names, NULL) ||
	    report_collect(r, n, names, v))) {
		report_free(r);
		r = NULL;
	}
	return r;
}

/* Row i of d without its signature columns, as a one-row report. */
static struct report *
change_record(const struct report *d, size_t i)
{
	const char *names[64];
	struct store_value v[64];
	int c, n = 0;

	for (c = 0; c < report_ncols(d) && n < 64; c++) {
		if (strstr(report_name(d, c), "_signature") != NULL)
			continue;
		names[n] = report_name(d, c);
		v[n].type = report_type(d, i, c);
		v[n++].text = report_text(d, i, c);
	}
	return record_new(n, names, v);
}

/* The wire lines of a and b as a one-row report. */
static struct report *
wire_record(const struct sig *a, const struct sig *b)
{
	static const char *const names[3] = { "changed", "before", "after" };
	struct store_value v[3] = {
		{ STORE_INT, wire_differs(a, b) ? "1" : "0" },
		{ STORE_TEXT, wire_of(a) }, { STORE_TEXT, wire_of(b) },
	};
	int k;

	for (k = 1; k < 3; k++)
		if (v[k].text == NULL)
			v[k].type = STORE_NULL;
	return record_new(3, names, v);
}

/* Prints one changed scenario+family as a JSON object. */
static int
change_json(FILE *fp, const struct report *d, size_t i, const struct sig *a,
    const struct sig *b, int first)
{
	struct report *rec = change_record(d, i), *t = step_table(a, b, 1);
	struct report *w = wire_record(a, b);
	int rc = -1;

	if (rec == NULL || t == NULL || w == NULL)
		goto done;
	fputs(first ? "\n{\"change\": " : ",\n{\"change\": ", fp);
	report_json_object(rec, fp);
	fputs(", \"steps\": ", fp);
	report_json_array(t, fp);
	fputs(", \"wire\": ", fp);
	report_json_object(w, fp);
	fputs("}", fp);
	rc = 0;
done:
	report_free(rec);
	report_free(t);
	report_free(w);
	return rc;
}

/* Prints, for people, the scenario+family that appeared or disappeared
 * (word) on one line. */
static void
list_print(FILE *fp, const struct report *d, const char *word, int64_t run)
{
	size_t i;
	int n = 0;

	for (i = 0; i < report_nrows(d); i++) {
		if (strcmp(text_at(d, i, "change"), word) != 0)
			continue;
		if (n++ == 0)
			fprintf(fp, "\n%s %s run %lld:", word,
			    strcmp(word, "appeared") == 0 ? "in" : "from",
			    (long long)run);
		fprintf(fp, "%s %s %s", n > 1 ? "," : "",
		    text_at(d, i, "scenario"), text_at(d, i, "family"));
	}
	if (n > 0)
		fputc('\n', fp);
}

/* Prints every row of d that changed (JSON: also those that appeared or
 * disappeared) with its steps; -1 out of memory. */
static int
changes_print(FILE *fp, const struct diff_runs *dr, const struct report *d,
    int json)
{
	struct sig a = { 0 }, b = { 0 };
	const char *change;
	size_t i;
	int rc = 0, first = 1;
	int ca = report_column(d, "before_signature");
	int cb = report_column(d, "after_signature");

	for (i = 0; rc == 0 && i < report_nrows(d); i++) {
		change = text_at(d, i, "change");
		if (strcmp(change, "same") == 0 ||
		    (!json && strcmp(change, "changed") != 0))
			continue;
		if (sig_parse(&a, report_text(d, i, ca)) == -1 ||
		    sig_parse(&b, report_text(d, i, cb)) == -1)
			rc = -1;
		else if (json)
			rc = change_json(fp, d, i, &a, &b, first);
		else
			rc = change_text(fp, dr, d, i, &a, &b);
		first = 0;
		sig_free(&a);
		sig_free(&b);
	}
	return rc;
}

/* How many rows of d have change word. */
static int
count_change(const struct report *d, const char *word)
{
	size_t i;
	int n = 0;

	for (i = 0; i < report_nrows(d); i++)
		n += strcmp(text_at(d, i, "change"), word) == 0;
	return n;
}

/* Prints a run's line of the text header. */
static void
run_line(FILE *fp, const char *label, const struct report *run,
    const char *why)
{
	fprintf(fp, "%-6s  run %s  %s  %s  %s  %s  %s cases  (%s)\n", label,
	    text_at(run, 0, "run_id"), text_at(run, 0, "started_at"),
	    text_at(run, 0, "host"), text_at(run, 0, "kernel_release"),
	    text_at(run, 0, "status"), text_at(run, 0, "n_cases"), why);
}

/* The comparison's summary as a one-row report. */
static struct report *
summary_record(const struct diff_runs *dr, const struct report *d)
{
	static const char *const names[8] = { "before_run_id", "before_why",
	    "after_run_id", "after_why", "n_changed", "n_same", "n_appeared",
	    "n_disappeared" };
	char num[6][24];
	struct store_value v[8];
	static const char *const words[4] = { "changed", "same", "appeared",
	    "disappeared" };
	int k;

	snprintf(num[0], sizeof(num[0]), "%lld", (long long)dr->before);
	snprintf(num[1], sizeof(num[1]), "%lld", (long long)dr->after);
	for (k = 0; k < 4; k++)
		snprintf(num[2 + k], sizeof(num[2 + k]), "%d",
		    count_change(d, words[k]));
	v[0] = (struct store_value){ STORE_INT, num[0] };
	v[1] = (struct store_value){ STORE_TEXT, dr->before_why };
	v[2] = (struct store_value){ STORE_INT, num[1] };
	v[3] = (struct store_value){ STORE_TEXT, dr->after_why };
	for (k = 0; k < 4; k++)
		v[4 + k] = (struct store_value){ STORE_INT, num[2 + k] };
	return record_new(8, names, v);
}

/* Prints the header: both runs and the counts. */
static int
header_print(FILE *fp, const struct diff_runs *dr, const struct report *d,
    const struct report *ra, const struct report *rb, int json)
{
	struct report *s;

	if (!json) {
		run_line(fp, "before", ra, dr->before_why);
		run_line(fp, "after", rb, dr->after_why);
		fprintf(fp, "%d scenario+family in both runs: %d changed, %d "
		    "the same; %d appeared, %d disappeared\n",
		    count_change(d, "changed") + count_change(d, "same"),
		    count_change(d, "changed"), count_change(d, "same"),
		    count_change(d, "appeared"), count_change(d, "disappeared"));
		if (strcmp(text_at(ra, 0, "wire"), text_at(rb, 0, "wire")) != 0)
			fprintf(fp, "the wire: %s before, %s after; where only "
			    "one side has it, scenarios compare by their steps "
			    "alone\n", text_at(ra, 0, "wire"),
			    text_at(rb, 0, "wire"));
		return 0;
	}
	if ((s = summary_record(dr, d)) == NULL)
		return -1;
	report_json_begin(fp, "diff");
	report_json_member(fp, "comparison", s, 1);
	report_free(s);
	return 0;
}

/* Prints the sysctls whose values differ between the runs (y), above the
 * behaviour changes: for people a table, when there are any; in JSON the
 * array "sysctls", always. */
static void
sysctls_print(FILE *fp, const struct report *y, int json)
{
	if (json) {
		report_json_member(fp, "sysctls", y, 0);
		return;
	}
	if (report_nrows(y) == 0)
		return;
	fprintf(fp, "\n%zu sysctl%s differ%s:\n", report_nrows(y),
	    report_nrows(y) == 1 ? "" : "s", report_nrows(y) == 1 ? "s" : "");
	report_table(y, fp);
}

/* Prints the changes; in JSON, after both runs' records (ra, rb). 0 or
 * -2 out of memory. */
static int
body_print(FILE *fp, const struct diff_runs *dr, const struct report *d,
    const struct report *ra, const struct report *rb, int json)
{
	int rc;

	if (!json) {
		rc = changes_print(fp, dr, d, 0) == -1 ? -2 : 0;
		list_print(fp, d, "appeared", dr->after);
		list_print(fp, d, "disappeared", dr->after);
		return rc;
	}
	report_json_member(fp, "before", ra, 1);
	report_json_member(fp, "after", rb, 1);
	fputs(",\n\"changes\": [", fp);
	rc = changes_print(fp, dr, d, 1) == -1 ? -2 : 0;
	fputs("]}\n", fp);
	return rc;
}

/* Prints the comparison of two runs; the regressions, -1 or -2. */
int
diff_print(struct store *st, const struct diff_runs *dr, int json, FILE *fp)
{
	struct store_args a = { .run_id = dr->before, .run_id2 = dr->after };
	struct store_args qa = { .run_id = dr->before }, qb = { .run_id = dr->after };
	struct report *d = NULL, *ra = NULL, *rb = NULL, *y = NULL;
	int rc;

	if ((rc = query_report(st, STORE_Q_DIFF, &a, &d)) != 0 ||
	    (rc = query_report(st, STORE_Q_DIFF_SYSCTLS, &a, &y)) != 0 ||
	    (rc = query_report(st, STORE_Q_RUN, &qa, &ra)) != 0 ||
	    (rc = query_report(st, STORE_Q_RUN, &qb, &rb)) != 0)
		goto done;
	if (report_nrows(ra) != 1 || report_nrows(rb) != 1 ||
	    header_print(fp, dr, d, ra, rb, json) == -1) {
		rc = -2;
		goto done;
	}
	sysctls_print(fp, y, json);
	if ((rc = body_print(fp, dr, d, ra, rb, json)) != 0)
		goto done;
	rc = count_change(d, "changed");
done:
	report_free(d);
	report_free(y);
	report_free(ra);
	report_free(rb);
	return rc;
}
