/* html.c: teardownctl report (html.h): one self-contained HTML page of
 * one or more runs, for QA teams: inline CSS and SVG, no script, no
 * network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "html.h"
#include "ladder.h"
#include "report.h"
#include "store.h"

#define HISTORY_RUNS	20		/* a scenario's strip: its latest runs */

/* The cases of a scenario and family: how many, how many passed, the
 * first that did not (its row in the run's cases, or -1) and its verdict
 * ("pass" when none). */
struct htally {
	size_t n, pass;
	long bad;
	const char *verdict;
};

/* What the page is made of, per run. */
struct hrun {
	int64_t id;
	struct report *head;			/* STORE_Q_RUN */
	struct report *sysctls;			/* STORE_Q_RUN_SYSCTLS */
	struct report *stab;			/* STORE_Q_RUN_STABILITY */
	struct report *cases;			/* STORE_Q_EXPORT_CASES */
	struct report *diff;			/* STORE_Q_DIFF against the baseline */
	int64_t baseline;			/* 0: none */
	struct htally *t;			/* per row of stab, malloc'd */
};

/* Runs query q into a new report; NULL with err on failure. */
static struct report *
query(struct store *st, enum store_query q, const struct store_args *a,
    char *err, size_t len)
{
	struct report *r = report_new();
	int rc;

	if (r == NULL) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	if ((rc = store_query(st, q, a, report_collect, r)) != 0) {
		snprintf(err, len, "%s", rc == -1 ? store_errmsg(st) : "out of memory");
		report_free(r);
		return NULL;
	}
	return r;
}

/* Column name of row i, or "" (absent or NULL). */
static const char *
col(const struct report *r, size_t i, const char *name)
{
	int c = r != NULL ? report_column(r, name) : -1;
	const char *t = c >= 0 && i < report_nrows(r) ? report_text(r, i, c) : NULL;

	return t != NULL ? t : "";
}

/* Text escaped for HTML (and its attributes), as export.c escapes XML:
 * invalid UTF-8 as U+FFFD. */
static void
esc(FILE *fp, const char *s)
{
	export_xml(fp, s, 1);
}

/* Text as a fragment id: letters, digits, - and _ as they are, any other
 * byte as _XX (so that a link and its target always agree). */
static void
slug(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-')
			fputc(*s, fp);
		else
			fprintf(fp, "_%02X", (unsigned char)*s);
}

static const char css[] =
    "body{font-family:'DejaVu Sans',Verdana,sans-serif;font-size:14px;"
    "margin:1.5em;color:#222;max-width:1200px}"
    "h1{font-size:22px}h2{font-size:18px;margin-top:1.6em;border-bottom:"
    "1px solid #ccc}h3{font-size:15px}"
    "table{border-collapse:collapse;margin:.5em 0;display:block;"
    "overflow-x:auto;max-width:100%}"
    ".ladder svg{max-width:100%;height:auto}"
    "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;"
    "vertical-align:top}th{background:#f2f2f2}"
    "td.pass{background:#e3f4e3}td.fail,td.timeout,td.error{background:"
    "#f8d7d7}td.flaky{background:#fbeec8}td.skipped,td.abandoned{background:"
    "#eee;color:#777}td.regressed{outline:3px solid #c0392b;outline-offset:-3px}"
    "tr.failed td{background:#f8d7d7;font-weight:bold}"
    ".mono{font-family:'DejaVu Sans Mono',monospace;font-size:12px}"
    ".muted{color:#666;font-style:italic}"
    ".strip span{display:inline-block;width:12px;height:12px;margin-right:2px;"
    "border:1px solid #999}"
    ".strip .pass{background:#4caf50}.strip .fail,.strip .timeout,.strip .error"
    "{background:#d9534f}.strip .mixed{background:#f0ad4e}.strip .skipped,"
    ".strip .abandoned{background:#ccc}"
    "details{margin:.4em 0}summary{cursor:pointer}"
    ".legend span{margin-right:1em}";

/* The run's header: what identifies it, its counts, its sysctls. */
static void
run_header(FILE *fp, const struct hrun *h)
{
	static const char *const keys[] = { "host", "kernel_release",
	    "kernel_version", "version", "profile", "link", "virt", "isolation",
	    "families", "repeat", "started_at", "duration_us", "status", "n_cases",
	    "n_pass", "n_fail", "n_timeout", "n_error", "n_skipped", "wire" };
	char head[64], buf[64];
	size_t i;

	fprintf(fp, "<h2 id=\"run%lld\">Run %lld</h2>\n<table class=\"runhead\">\n",
	    (long long)h->id, (long long)h->id);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		fputs("<tr><th>", fp);
		report_header(keys[i], head, sizeof(head));
		esc(fp, head);
		fputs("</th><td>", fp);
		esc(fp, report_shown(h->head, 0, report_column(h->head, keys[i]),
		    buf, sizeof(buf)));
		fputs("</td></tr>\n", fp);
	}
	fprintf(fp, "<tr><th>baseline</th><td>%s", h->baseline != 0 ? "" :
	    "none (teardownctl baseline set RUN)");
	if (h->baseline != 0)
		fprintf(fp, "run %lld", (long long)h->baseline);
	fputs("</td></tr>\n</table>\n<details><summary>sysctls (", fp);
	fprintf(fp, "%zu)</summary>\n<table class=\"mono\">\n<tr><th>name</th>"
	    "<th>value</th><th>where</th></tr>\n", report_nrows(h->sysctls));
	for (i = 0; i < report_nrows(h->sysctls); i++) {
		fputs("<tr><td>", fp);
		esc(fp, col(h->sysctls, i, "name"));
		fputs("</td><td>", fp);
		esc(fp, col(h->sysctls, i, "value"));
		fputs("</td><td>", fp);
		esc(fp, col(h->sysctls, i, "scope"));
		fputs("</td></tr>\n", fp);
	}
	fputs("</table>\n</details>\n", fp);
}

/* Whether scenario sc, family fam changed against the baseline. */
static int
regressed(const struct hrun *h, const char *sc, const char *fam)
{
	size_t i;

	for (i = 0; h->diff != NULL && i < report_nrows(h->diff); i++)
		if (strcmp(col(h->diff, i, "scenario"), sc) == 0 &&
		    strcmp(col(h->diff, i, "family"), fam) == 0)
			return strcmp(col(h->diff, i, "change"), "changed") == 0;
	return 0;
}

/* (scenario, family) of row i of r against row j of q, as the queries
 * order them (BINARY). */
static int
key_cmp(const struct report *r, size_t i, const struct report *q, size_t j)
{
	int c = strcmp(col(r, i, "scenario"), col(q, j, "scenario"));

	return c != 0 ? c : strcmp(col(r, i, "family"), col(q, j, "family"));
}

/* Tallies every scenario and family of h in one walk: its cases and its
 * stability rows are both in (scenario, family) order. 0 or -1. */
static int
tally_all(struct hrun *h)
{
	size_t i, j = 0, ns = report_nrows(h->stab);
	int c;

	if ((h->t = calloc(ns > 0 ? ns : 1, sizeof(*h->t))) == NULL)
		return -1;
	for (j = 0; j < ns; j++) {
		h->t[j].bad = -1;
		h->t[j].verdict = "pass";
	}
	for (i = 0, j = 0; i < report_nrows(h->cases) && j < ns; ) {
		if ((c = key_cmp(h->cases, i, h->stab, j)) > 0) {
			j++;
			continue;
		}
		if (c == 0) {
			struct htally *t = &h->t[j];
			const char *v = col(h->cases, i, "verdict");

			t->n++;
			if (strcmp(v, "pass") == 0)
				t->pass++;
			else if (t->bad < 0) {
				t->bad = (long)i;
				t->verdict = v;
			}
		}
		i++;			/* c < 0: a case with no stability row */
	}
	return 0;
}

/* The verdict table: a row per scenario, a column per family. */
static void
verdict_table(FILE *fp, const struct hrun *h)
{
	size_t i;
	const char *cls;

	fputs("<h3>Verdicts</h3>\n<p class=\"legend\"><span>green: every case "
	    "passed</span><span>red: some case did not</span><span>amber: flaky "
	    "(several signatures)</span><span>red frame: changed against the "
	    "baseline</span></p>\n<table class=\"verdicts\">\n<tr><th>scenario"
	    "</th><th>family</th><th>verdict</th><th>cases</th><th>signatures"
	    "</th><th>first failure</th></tr>\n", fp);
	for (i = 0; i < report_nrows(h->stab); i++) {
		const char *sc = col(h->stab, i, "scenario");
		const char *fam = col(h->stab, i, "family");
		int flaky = strcmp(col(h->stab, i, "stability"), "flaky") == 0;
		int reg = regressed(h, sc, fam);
		const struct htally *t = &h->t[i];

		cls = flaky ? "flaky" : t->pass == t->n ? "pass" : t->verdict;
		fprintf(fp, "<tr><td><a href=\"#r%lld-", (long long)h->id);
		slug(fp, sc);
		fputc('-', fp);
		slug(fp, fam);
		fputs("\">", fp);
		esc(fp, sc);
		fputs("</a></td><td>", fp);
		esc(fp, fam);
		fputs("</td><td class=\"", fp);
		slug(fp, cls);
		fprintf(fp, "%s\">", reg ? " regressed" : "");
		esc(fp, cls);
		fprintf(fp, "%s</td><td>%zu/%zu</td><td>", reg ? " (changed)" : "",
		    t->pass, t->n);
		esc(fp, col(h->stab, i, "n_signatures"));
		fputs("</td><td>", fp);
		if (t->bad >= 0)
			esc(fp, col(h->cases, (size_t)t->bad, "failure"));
		fputs("</td></tr>\n", fp);
	}
	fputs("</table>\n", fp);
}

/* A scenario's verdicts over its latest runs, oldest first: a strip. */
static int
history_strip(FILE *fp, struct store *st, const char *sc, const char *fam,
    char *err, size_t len)
{
	struct store_args a = { .scenario = sc, .family = fam };
	struct report *r = query(st, STORE_Q_HISTORY, &a, err, len);
	size_t i, n;

	if (r == NULL)
		return -1;
	n = report_nrows(r);
	fputs("<div class=\"strip\" title=\"the latest runs, oldest first\">"
	    "history: ", fp);
	for (i = n > HISTORY_RUNS ? n - HISTORY_RUNS : 0; i < n; i++) {
		fputs("<span class=\"", fp);
		slug(fp, col(r, i, "verdict"));
		fputs("\" title=\"run ", fp);
		esc(fp, col(r, i, "run_id"));
		fputs(" ", fp);
		esc(fp, col(r, i, "kernel_release"));
		fputs(": ", fp);
		esc(fp, col(r, i, "verdict"));
		fputs("\"></span>", fp);
	}
	fprintf(fp, " <span class=\"muted\" style=\"border:0\">(%zu runs)</span>"
	    "</div>\n", n);
	report_free(r);
	return 0;
}

/* A case's steps, the failing one marked. */
static int
steps_table(FILE *fp, struct store *st, int64_t case_id, char *err,
    size_t len)
{
	static const char *const keys[] = { "idx", "t_us", "side", "step", "rc",
	    "errno", "client_state", "server_state", "status", "message" };
	struct store_args a = { .case_id = case_id };
	struct report *r = query(st, STORE_Q_CASE_STEPS, &a, err, len);
	char buf[64];
	size_t i, k;

	if (r == NULL)
		return -1;
	fputs("<table class=\"steps mono\">\n<tr>", fp);
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		report_header(keys[k], buf, sizeof(buf));
		fprintf(fp, "<th>%s</th>", buf);
	}
	fputs("</tr>\n", fp);
	for (i = 0; i < report_nrows(r); i++) {
		const char *status = col(r, i, "status");

		fprintf(fp, "<tr%s>", strcmp(status, "failed") == 0 ||
		    strcmp(status, "timeout") == 0 ? " class=\"failed\"" : "");
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			fputs("<td>", fp);
			esc(fp, report_shown(r, i, report_column(r, keys[k]), buf,
			    sizeof(buf)));
			fputs("</td>", fp);
		}
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
	report_free(r);
	return 0;
}

/* A case's ladder as inline SVG (the document without its XML line). */
static int
ladder_inline(FILE *fp, struct store *st, int64_t case_id, char *err,
    size_t elen)
{
	static const enum store_query qs[] = { STORE_Q_CASE,
	    STORE_Q_CASE_TRANSITIONS, STORE_Q_CASE_STATES, STORE_Q_CASE_SEGMENTS };
	static const store_row_fn fns[] = { ladder_row_case,
	    ladder_row_transitions, ladder_row_states, ladder_row_segments };
	struct store_args a = { .case_id = case_id };
	struct ladder l;
	char *svg = NULL, *p, idp[32];
	size_t i, len;
	FILE *m;
	int rc = 0;

	memset(&l, 0, sizeof(l));
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]) && rc == 0; i++)
		rc = store_query(st, qs[i], &a, fns[i], &l);
	snprintf(idp, sizeof(idp), "c%lld-", (long long)case_id);
	if (rc != 0)
		snprintf(err, elen, "%s", rc == -1 ? store_errmsg(st) :
		    "out of memory");
	if (rc == 0 && (m = open_memstream(&svg, &len)) != NULL) {
		ladder_svg_ids(&l, m, idp);
		fclose(m);
		p = strncmp(svg, "<?xml", 5) == 0 && strchr(svg, '\n') != NULL ?
		    strchr(svg, '\n') + 1 : svg;
		fputs("<div class=\"ladder\">\n", fp);
		fputs(p, fp);
		fputs("</div>\n", fp);
	}
	free(svg);
	ladder_free(&l);
	return rc == 0 ? 0 : -1;
}

/* Per scenario and family: its history, and one case step by step with
 * its ladder (the first that did not pass, else the majority's). */
static int
case_sections(FILE *fp, struct store *st, const struct hrun *h, char *err,
    size_t len)
{
	size_t i;
	int64_t cid;

	fputs("<h3>Cases</h3>\n", fp);
	for (i = 0; i < report_nrows(h->stab); i++) {
		const char *sc = col(h->stab, i, "scenario");
		const char *fam = col(h->stab, i, "family");

		const struct htally *t = &h->t[i];

		cid = t->bad >= 0 ? strtoll(col(h->cases, (size_t)t->bad,
		    "case_id"), NULL, 10) : strtoll(col(h->stab, i, "case_id"),
		    NULL, 10);
		fprintf(fp, "<details id=\"r%lld-", (long long)h->id);
		slug(fp, sc);
		fputc('-', fp);
		slug(fp, fam);
		fprintf(fp, "\"%s><summary>", t->bad >= 0 ? " open" : "");
		esc(fp, sc);
		fputc(' ', fp);
		esc(fp, fam);
		fprintf(fp, ": %zu/%zu passed; case c%lld</summary>\n", t->pass, t->n,
		    (long long)cid);
		if (history_strip(fp, st, sc, fam, err, len) == -1 ||
		    steps_table(fp, st, cid, err, len) == -1 ||
		    ladder_inline(fp, st, cid, err, len) == -1)
			return -1;
		fputs("</details>\n", fp);
	}
	return 0;
}

/* Loads what the page shows of run id. */
static int
hrun_load(struct store *st, int64_t id, struct hrun *h, char *err, size_t len)
{
	struct store_args a = { .run_id = id };

	memset(h, 0, sizeof(*h));
	h->id = id;
	if ((h->head = query(st, STORE_Q_RUN, &a, err, len)) == NULL ||
	    (h->sysctls = query(st, STORE_Q_RUN_SYSCTLS, &a, err, len)) == NULL ||
	    (h->stab = query(st, STORE_Q_RUN_STABILITY, &a, err, len)) == NULL ||
	    (h->cases = query(st, STORE_Q_EXPORT_CASES, &a, err, len)) == NULL)
		return -1;
	if (tally_all(h) == -1) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	switch (store_baseline(st, id, &h->baseline)) {
	case -1:
		snprintf(err, len, "%s", store_errmsg(st));
		return -1;
	case 0:
		h->baseline = 0;
		break;
	}
	if (h->baseline == id)
		h->baseline = 0;
	if (h->baseline != 0) {
		a.run_id = h->baseline;
		a.run_id2 = id;
		if ((h->diff = query(st, STORE_Q_DIFF, &a, err, len)) == NULL)
			return -1;
	}
	return 0;
}

static void
hrun_free(struct hrun *h)
{
	report_free(h->head);
	report_free(h->sysctls);
	report_free(h->stab);
	report_free(h->cases);
	report_free(h->diff);
	free(h->t);
}

/* The overview of several runs: a row per scenario and family (in the
 * order the runs have them), a column per run with its environment. */
static void
overview(FILE *fp, const struct hrun *hs, size_t nruns)
{
	size_t r, i, k;
	const char *verdict;

	fputs("<h2>Runs side by side</h2>\n<table class=\"overview\">\n"
	    "<tr><th>scenario</th><th>family</th>", fp);
	for (r = 0; r < nruns; r++) {
		fprintf(fp, "<th><a href=\"#run%lld\">run %lld</a><br>",
		    (long long)hs[r].id, (long long)hs[r].id);
		esc(fp, col(hs[r].head, 0, "kernel_release"));
		fputs("<br>", fp);
		esc(fp, col(hs[r].head, 0, "profile"));
		fputc('/', fp);
		esc(fp, col(hs[r].head, 0, "link"));
		fputs("</th>", fp);
	}
	fputs("</tr>\n", fp);
	for (r = 0; r < nruns; r++)
		for (i = 0; i < report_nrows(hs[r].stab); i++) {
			const char *sc = col(hs[r].stab, i, "scenario");
			const char *fam = col(hs[r].stab, i, "family");
			size_t q, j;
			int seen = 0;

			for (q = 0; q < r && !seen; q++)	/* shown already */
				for (j = 0; j < report_nrows(hs[q].stab) && !seen; j++)
					seen = key_cmp(hs[q].stab, j, hs[r].stab, i) == 0;
			if (seen)
				continue;
			fputs("<tr><td>", fp);
			esc(fp, sc);
			fputs("</td><td>", fp);
			esc(fp, fam);
			fputs("</td>", fp);
			for (k = 0; k < nruns; k++) {
				const struct htally *t;

				for (j = 0; j < report_nrows(hs[k].stab) &&
				    key_cmp(hs[k].stab, j, hs[r].stab, i) != 0; j++)
					;
				if (j == report_nrows(hs[k].stab)) {
					fputs("<td>-</td>", fp);
					continue;
				}
				t = &hs[k].t[j];
				if (strcmp(col(hs[k].stab, j, "stability"), "flaky") == 0)
					verdict = "flaky";
				else
					verdict = t->pass == t->n ? "pass" : t->verdict;
				fputs("<td class=\"", fp);
				slug(fp, verdict);
				fprintf(fp, "%s\"><a href=\"#r%lld-", regressed(&hs[k],
				    sc, fam) ? " regressed" : "", (long long)hs[k].id);
				slug(fp, sc);
				fputc('-', fp);
				slug(fp, fam);
				fputs("\">", fp);
				esc(fp, verdict);
				fprintf(fp, " %zu/%zu</a></td>", t->pass, t->n);
			}
			fputs("</tr>\n", fp);
		}
	fputs("</table>\n", fp);
}

/* The page. */
int
html_report(struct store *st, const int64_t *runs, size_t nruns, FILE *fp,
    char *err, size_t len)
{
	struct hrun *hs = calloc(nruns > 0 ? nruns : 1, sizeof(*hs));
	size_t r;
	int rc = -1;

	if (hs == NULL) {
		snprintf(err, len, "out of memory");
		return -1;
	}

	fprintf(fp, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
	    "charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width,"
	    "initial-scale=1\">\n<title>teardownd report</title>\n<style>%s"
	    "</style>\n</head>\n<body>\n<h1>teardownd report</h1>\n<p>", css);
	for (r = 0; r < nruns; r++)
		fprintf(fp, "%s<a href=\"#run%lld\">run %lld</a>", r > 0 ? ", " : "",
		    (long long)runs[r], (long long)runs[r]);
	fputs("</p>\n", fp);
	for (r = 0; r < nruns; r++)
		if (hrun_load(st, runs[r], &hs[r], err, len) == -1)
			goto done;
	if (nruns > 1)
		overview(fp, hs, nruns);
	for (r = 0; r < nruns; r++) {
		run_header(fp, &hs[r]);
		verdict_table(fp, &hs[r]);
		if (case_sections(fp, st, &hs[r], err, len) == -1)
			goto done;
	}
	fputs("</body>\n</html>\n", fp);
	rc = ferror(fp) ? -1 : 0;
done:
	for (r = 0; r < nruns; r++)
		hrun_free(&hs[r]);
	free(hs);
	return rc;
}
