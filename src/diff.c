/* diff.c: two runs compared by their majority signatures. The store says
 * which scenario+family changed (STORE_Q_DIFF, with the two majority
 * signatures); this file lines the two signatures up step by step, marks
 * the rows that differ and prints them side by side as a table, or the
 * whole comparison as one JSON document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "report.h"
#include "signature.h"
#include "store.h"

#define STEP_COLS	10		/* mark, idx, side, step, 2 x 3 */

/* One value of a kept row. */
struct val {
	enum store_type type;
	char *text;				/* malloc'd; NULL for STORE_NULL */
};

/* The rows of one query, kept. */
struct rows {
	int ncols;
	char **names;				/* ncols malloc'd names */
	struct val *v;				/* n * ncols, row by row */
	size_t n, cap;
};

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

/* Frees the rows' contents. */
static void
rows_free(struct rows *r)
{
	size_t i;
	int c;

	for (i = 0; i < r->n * (size_t)r->ncols; i++)
		free(r->v[i].text);
	for (c = 0; c < r->ncols; c++)
		free(r->names[c]);
	free(r->v);
	free(r->names);
	memset(r, 0, sizeof(*r));
}

/* Keeps the column names; 1 when memory ran out. */
static int
rows_names(struct rows *r, int ncols, const char *const *names)
{
	int c;

	rows_free(r);
	if ((r->names = calloc(ncols > 0 ? ncols : 1, sizeof(char *))) == NULL)
		return 1;
	r->ncols = ncols;
	for (c = 0; c < ncols; c++)
		if ((r->names[c] = strdup(names[c])) == NULL)
			return 1;
	return 0;
}

/* A store_row_fn keeping the rows in a struct rows; 1 out of memory. */
static int
rows_collect(void *ctx, int ncols, const char *const *names,
    const struct store_value *vals)
{
	struct rows *r = ctx;
	struct val *row, *grown;
	size_t cap;
	int c;

	if (vals == NULL)
		return rows_names(r, ncols, names);
	if (r->n == r->cap) {
		cap = r->cap ? r->cap * 2 : 16;
		grown = reallocarray(r->v, cap * (size_t)r->ncols, sizeof(*grown));
		if (grown == NULL)
			return 1;
		r->v = grown;
		r->cap = cap;
	}
	row = &r->v[r->n * (size_t)r->ncols];
	memset(row, 0, (size_t)r->ncols * sizeof(*row));
	r->n++;
	for (c = 0; c < r->ncols; c++) {
		row[c].type = vals[c].type;
		if (vals[c].text != NULL &&
		    (row[c].text = strdup(vals[c].text)) == NULL)
			return 1;
	}
	return 0;
}

/* Runs query q into r; 0, -1 on a database error, -2 out of memory. */
static int
rows_query(struct store *st, enum store_query q, const struct store_args *a,
    struct rows *r)
{
	int rc = store_query(st, q, a, rows_collect, r);

	return rc == 0 ? 0 : rc == -1 ? -1 : -2;
}

/* Prints run_id's record as a JSON object: 0, -1 or -2 as rows_query. */
static int
run_json(FILE *fp, struct store *st, int64_t run_id)
{
	struct store_args a = { .run_id = run_id };
	struct report *r;
	int rc;

	if ((r = report_new()) == NULL)
		return -2;
	rc = store_query(st, STORE_Q_RUN, &a, report_collect, r);
	if (rc == 0)
		report_json_object(r, fp);
	report_free(r);
	return rc == 0 ? 0 : rc == -1 ? -1 : -2;
}

/* The value of column name in row i; NULL when there is no such column. */
static const struct val *
rows_val(const struct rows *r, size_t i, const char *name)
{
	int c;

	for (c = 0; c < r->ncols; c++)
		if (strcmp(r->names[c], name) == 0)
			return &r->v[i * (size_t)r->ncols + c];
	return NULL;
}

/* The text of column name in row i; "-" when NULL or missing. */
static const char *
rows_text(const struct rows *r, size_t i, const char *name)
{
	const struct val *v = rows_val(r, i, name);

	return v != NULL && v->text != NULL ? v->text : "-";
}

/* Column "<side>_<name>" of row i, as rows_text. */
static const char *
side_text(const struct rows *r, size_t i, const char *side, const char *name)
{
	char col[64];

	snprintf(col, sizeof(col), "%s_%s", side, name);
	return rows_text(r, i, col);
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
side_print(FILE *fp, const struct rows *d, size_t i, const char *side,
    int64_t run)
{
	if (strcmp(side_text(d, i, side, "hash"), "-") == 0) {
		fprintf(fp, "  %-6s  not in run %lld\n", side, (long long)run);
		return;
	}
	fprintf(fp, "  %-6s  c%s  %s  %s (%s of %s cases)  %s\n", side,
	    side_text(d, i, side, "case"), side_text(d, i, side, "verdict"),
	    side_text(d, i, side, "stability"),
	    side_text(d, i, side, "n_majority"), side_text(d, i, side, "n_cases"),
	    side_text(d, i, side, "hash"));
}

/* Prints one changed scenario+family for people. */
static int
change_text(FILE *fp, const struct diff_runs *dr, const struct rows *d,
    size_t i, const struct sig *a, const struct sig *b)
{
	struct report *t;
	int w = wire_differs(a, b);

	fprintf(fp, "\n%s %s: %s\n", rows_text(d, i, "scenario"),
	    rows_text(d, i, "family"), rows_text(d, i, "change"));
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

/* Row i of d without its signature columns, as a one-row report. */
static struct report *
change_record(const struct rows *d, size_t i)
{
	const char *names[64];
	struct store_value v[64];
	struct report *r;
	int c, n = 0;

	for (c = 0; c < d->ncols && n < 64; c++) {
		if (strstr(d->names[c], "_signature") != NULL)
			continue;
		names[n] = d->names[c];
		v[n].type = d->v[i * (size_t)d->ncols + c].type;
		v[n++].text = d->v[i * (size_t)d->ncols + c].text;
	}
	if ((r = report_new()) == NULL)
		return NULL;
	if (report_collect(r, n, names, NULL) != 0 ||
	    report_collect(r, n, names, v) != 0) {
		report_free(r);
		return NULL;
	}
	return r;
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
	struct report *r;
	int k;

	for (k = 1; k < 3; k++)
		if (v[k].text == NULL)
			v[k].type = STORE_NULL;
	if ((r = report_new()) == NULL)
		return NULL;
	if (report_collect(r, 3, names, NULL) != 0 ||
	    report_collect(r, 3, names, v) != 0) {
		report_free(r);
		return NULL;
	}
	return r;
}

/* Prints one changed scenario+family as a JSON object. */
static int
change_json(FILE *fp, const struct rows *d, size_t i, const struct sig *a,
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
list_print(FILE *fp, const struct rows *d, const char *word, int64_t run)
{
	size_t i;
	int n = 0;

	for (i = 0; i < d->n; i++) {
		if (strcmp(rows_text(d, i, "change"), word) != 0)
			continue;
		if (n++ == 0)
			fprintf(fp, "\n%s %s run %lld:", word,
			    strcmp(word, "appeared") == 0 ? "in" : "from",
			    (long long)run);
		fprintf(fp, "%s %s %s", n > 1 ? "," : "",
		    rows_text(d, i, "scenario"), rows_text(d, i, "family"));
	}
	if (n > 0)
		fputc('\n', fp);
}

/* Prints every row of d that changed (JSON: also those that appeared or
 * disappeared) with its steps; -1 out of memory. */
static int
changes_print(FILE *fp, const struct diff_runs *dr, const struct rows *d,
    int json)
{
	struct sig a, b;
	const char *change;
	size_t i;
	int rc = 0, first = 1;

	for (i = 0; rc == 0 && i < d->n; i++) {
		change = rows_text(d, i, "change");
		if (strcmp(change, "same") == 0 ||
		    (!json && strcmp(change, "changed") != 0))
			continue;
		if (sig_parse(&a, rows_val(d, i, "before_signature")->text) == -1 ||
		    sig_parse(&b, rows_val(d, i, "after_signature")->text) == -1)
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
count_change(const struct rows *d, const char *word)
{
	size_t i;
	int n = 0;

	for (i = 0; i < d->n; i++)
		n += strcmp(rows_text(d, i, "change"), word) == 0;
	return n;
}

/* Prints a run's line of the text header. */
static void
run_line(FILE *fp, const char *label, const struct rows *run,
    const char *why)
{
	fprintf(fp, "%-6s  run %s  %s  %s  %s  %s  %s cases  (%s)\n", label,
	    rows_text(run, 0, "run_id"), rows_text(run, 0, "started_at"),
	    rows_text(run, 0, "host"), rows_text(run, 0, "kernel_release"),
	    rows_text(run, 0, "status"), rows_text(run, 0, "n_cases"), why);
}

/* The comparison's summary as a one-row report. */
static struct report *
summary_record(const struct diff_runs *dr, const struct rows *d)
{
	static const char *const names[8] = { "before_run", "before_why",
	    "after_run", "after_why", "changed", "same", "appeared",
	    "disappeared" };
	char num[6][24];
	struct store_value v[8];
	struct report *r;
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
	if ((r = report_new()) != NULL && (report_collect(r, 8, names, NULL) ||
	    report_collect(r, 8, names, v))) {
		report_free(r);
		r = NULL;
	}
	return r;
}

/* Prints the header: both runs and the counts. */
static int
header_print(FILE *fp, const struct diff_runs *dr, const struct rows *d,
    const struct rows *ra, const struct rows *rb, int json)
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
		if (strcmp(rows_text(ra, 0, "wire"), rows_text(rb, 0, "wire")) != 0)
			fprintf(fp, "the wire: %s before, %s after; where only "
			    "one side has it, scenarios compare by their steps "
			    "alone\n", rows_text(ra, 0, "wire"),
			    rows_text(rb, 0, "wire"));
		return 0;
	}
	if ((s = summary_record(dr, d)) == NULL)
		return -1;
	fputs("{\"comparison\": ", fp);
	report_json_object(s, fp);
	report_free(s);
	return 0;
}

/* Prints the changes; in JSON, after both runs' records. 0, -1, -2. */
static int
body_print(FILE *fp, struct store *st, const struct diff_runs *dr,
    const struct rows *d, int json)
{
	int rc;

	if (!json) {
		rc = changes_print(fp, dr, d, 0) == -1 ? -2 : 0;
		list_print(fp, d, "appeared", dr->after);
		list_print(fp, d, "disappeared", dr->after);
		return rc;
	}
	fputs(",\n\"before\": ", fp);
	if ((rc = run_json(fp, st, dr->before)) != 0)
		return rc;
	fputs(",\n\"after\": ", fp);
	if ((rc = run_json(fp, st, dr->after)) != 0)
		return rc;
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
	struct rows d = { 0 }, ra = { 0 }, rb = { 0 };
	int rc;

	if ((rc = rows_query(st, STORE_Q_DIFF, &a, &d)) != 0 ||
	    (rc = rows_query(st, STORE_Q_RUN, &qa, &ra)) != 0 ||
	    (rc = rows_query(st, STORE_Q_RUN, &qb, &rb)) != 0)
		goto done;
	if (ra.n != 1 || rb.n != 1 ||
	    header_print(fp, dr, &d, &ra, &rb, json) == -1) {
		rc = -2;
		goto done;
	}
	if ((rc = body_print(fp, st, dr, &d, json)) != 0)
		goto done;
	rc = count_change(&d, "changed");
done:
	rows_free(&d);
	rows_free(&ra);
	rows_free(&rb);
	return rc;
}
