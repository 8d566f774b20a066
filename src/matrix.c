/* matrix.c: the fleet matrix, scenario x kernel release. The store
 * computes each cell (the cases of the latest run of that kernel that ran
 * the scenario); this file only lays the cells out as a table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matrix.h"
#include "report.h"
#include "store.h"

#define MATRIX_CELL	48			/* "flaky 123456/123456" */

/* The pivot being built. */
struct pivot {
	const struct report *q;			/* the cells, by row key */
	int by_host;				/* rows keyed by host too */
	const char **kernels;			/* distinct, in version order */
	size_t nk;
	int cols[4];				/* q's host, scenario, kernel, verdict */
	int pass_col, cases_col;
};

/* qsort's comparison of two kernel releases, by version. */
static int
kernel_cmp(const void *a, const void *b)
{
	return strverscmp(*(const char *const *)a, *(const char *const *)b);
}

/* Collects the distinct kernel releases of q, in version order. */
static int
pivot_kernels(struct pivot *p)
{
	size_t i, j, rows = report_nrows(p->q);
	const char *k;

	if ((p->kernels = calloc(rows > 0 ? rows : 1, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < rows; i++) {
		if ((k = report_text(p->q, i, p->cols[2])) == NULL)
			continue;
		for (j = 0; j < p->nk && strcmp(p->kernels[j], k) != 0; j++)
			;
		if (j == p->nk)
			p->kernels[p->nk++] = k;
	}
	qsort(p->kernels, p->nk, sizeof(char *), kernel_cmp);
	return 0;
}

/* The text at row i, column c of q; "?" for NULL. */
static const char *
text_or(const struct report *q, size_t i, int c)
{
	const char *t = report_text(q, i, c);

	return t != NULL ? t : "?";
}

/* Whether rows i and j of q have the same row key. */
static int
same_row(const struct pivot *p, size_t i, size_t j)
{
	const char *a, *b;
	int c;

	for (c = p->by_host ? 0 : 1; c < 2; c++) {
		a = report_text(p->q, i, p->cols[c]);
		b = report_text(p->q, j, p->cols[c]);
		if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b)))
			return 0;
	}
	return 1;
}

/* Names the pivot's columns in out: [host,] scenario, the kernels. */
static int
pivot_names(const struct pivot *p, struct report *out)
{
	const char **names;
	size_t n = 0, k;
	int rc;

	if ((names = calloc(p->nk + 2, sizeof(char *))) == NULL)
		return -1;
	if (p->by_host)
		names[n++] = "host";
	names[n++] = "scenario";
	for (k = 0; k < p->nk; k++)
		names[n++] = p->kernels[k];
	rc = report_collect(out, (int)n, names, NULL);
	free(names);
	return rc != 0 ? -1 : 0;
}

/* Adds to out the row of q's rows first .. end - 1 (one row key). */
static int
pivot_row(const struct pivot *p, size_t first, size_t end, struct report *out)
{
	struct store_value *v;
	char (*cell)[MATRIX_CELL];
	size_t i, k, n = 0;
	const char *kern;
	int rc = -1;

	v = calloc(p->nk + 2, sizeof(*v));
	cell = calloc(p->nk > 0 ? p->nk : 1, sizeof(*cell));
	if (v == NULL || cell == NULL)
		goto done;
	for (i = p->by_host ? 0 : 1; i < 2; i++, n++) {
		v[n].text = report_text(p->q, first, p->cols[i]);
		v[n].type = v[n].text != NULL ? STORE_TEXT : STORE_NULL;
	}
	for (i = first; i < end; i++) {
		kern = report_text(p->q, i, p->cols[2]);
		for (k = 0; kern != NULL && k < p->nk; k++)
			if (strcmp(p->kernels[k], kern) == 0) {
				snprintf(cell[k], sizeof(cell[k]), "%s %s/%s",
				    text_or(p->q, i, p->cols[3]),
				    text_or(p->q, i, p->pass_col),
				    text_or(p->q, i, p->cases_col));
				v[n + k].type = STORE_TEXT;
				v[n + k].text = cell[k];
			}
	}
	rc = report_collect(out, (int)(n + p->nk), NULL, v) != 0 ? -1 : 0;
done:
	free(v);
	free(cell);
	return rc;
}

/* Lays q's cells out as a table: see matrix.h. */
struct report *
matrix_pivot(const struct report *q, int by_host)
{
	static const char *const cols[] = { "host", "scenario", "environment",
	    "verdict" };
	struct pivot p = { .q = q, .by_host = by_host };
	struct report *out = report_new();
	size_t first, end, rows = report_nrows(q);
	int c;

	for (c = 0; c < 4; c++)
		p.cols[c] = report_column(q, cols[c]);
	p.pass_col = report_column(q, "n_pass");
	p.cases_col = report_column(q, "n_cases");
	for (c = 0; c < 4; c++)
		if (p.cols[c] < 0)
			goto fail;
	if (out == NULL || p.pass_col < 0 || p.cases_col < 0 ||
	    pivot_kernels(&p) == -1 || pivot_names(&p, out) == -1)
		goto fail;
	for (first = 0; first < rows; first = end) {
		for (end = first + 1; end < rows && same_row(&p, first, end); end++)
			;
		if (pivot_row(&p, first, end, out) == -1)
			goto fail;
	}
	free(p.kernels);
	return out;
fail:
	free(p.kernels);
	report_free(out);
	return NULL;
}
