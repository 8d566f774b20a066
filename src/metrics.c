/* metrics.c: the Prometheus textfile (see metrics.h), in the text
 * exposition format 0.0.4: "# HELP" and "# TYPE" once per metric, then
 * its samples together, label values escaped, one sample per series. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "run.h"
#include "store.h"

/* Writes "# HELP" and "# TYPE" lines of a metric. */
static void
metric_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Writes a label value with \, " and newline escaped. */
static void
label_value(FILE *f, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* Writes name{profile="",link="" of environment e: every sample's start. */
static void
env_labels(FILE *f, const char *name, const struct metrics_env *e)
{
	fprintf(f, "%s{profile=\"", name);
	label_value(f, e->ri.profile);
	fputs("\",link=\"", f);
	label_value(f, e->ri.link);
	fputc('"', f);
}

/* Writes the start of a per-scenario sample: env_labels, scenario, family. */
static void
scenario_labels(FILE *f, const char *name, const struct metrics_env *e,
    const char *scenario, const char *family)
{
	env_labels(f, name, e);
	fputs(",scenario=\"", f);
	label_value(f, scenario);
	fprintf(f, "\",family=\"%s\"", family);
}

/* Writes microseconds since the epoch as seconds, ending a sample. */
static void
seconds(FILE *f, int64_t us)
{
	fprintf(f, "} %" PRId64 ".%06" PRId64 "\n", us / 1000000, us % 1000000);
}

/* The runs' own metrics: times, duration, counts. */
static void
format_runs(FILE *f, const struct metrics_set *set)
{
	const struct metrics_env *e;
	size_t i;
	int v;

	metric_head(f, "teardownd_run_start_time_seconds", "gauge",
	    "When the last complete run of the environment started, in seconds "
	    "since the epoch.");
	for (i = 0, e = set->e; i < set->n; i++, e++) {
		env_labels(f, "teardownd_run_start_time_seconds", e);
		seconds(f, e->ri.start_us);
	}
	metric_head(f, "teardownd_run_end_time_seconds", "gauge",
	    "When the last complete run of the environment ended, in seconds "
	    "since the epoch.");
	for (i = 0, e = set->e; i < set->n; i++, e++) {
		env_labels(f, "teardownd_run_end_time_seconds", e);
		seconds(f, e->end_us);
	}
	metric_head(f, "teardownd_run_duration_seconds", "gauge",
	    "How long the last complete run of the environment took.");
	for (i = 0, e = set->e; i < set->n; i++, e++) {
		env_labels(f, "teardownd_run_duration_seconds", e);
		seconds(f, e->end_us - e->ri.start_us);
	}
	metric_head(f, "teardownd_run_cases", "gauge",
	    "Cases of the last complete run of the environment, by verdict.");
	for (i = 0, e = set->e; i < set->n; i++, e++)
		for (v = 0; v < VERDICT__COUNT; v++) {
			env_labels(f, "teardownd_run_cases", e);
			fprintf(f, ",verdict=\"%s\"} %d\n", verdict_name(v),
			    e->counts.n[v]);
		}
	metric_head(f, "teardownd_skipped_runs_total", "counter",
	    "Scheduled runs skipped since teardownd started, because the "
	    "run before was still going.");
	fprintf(f, "teardownd_skipped_runs_total %" PRIu64 "\n", set->skipped);
}

/* Per environment, scenario and family: its verdict counts, and whether
 * it passed. */
static void
format_scenarios(FILE *f, const struct metrics_set *set)
{
	const struct metrics_env *e;
	const struct metrics_row *s;
	size_t i, k;
	int v, total;

	metric_head(f, "teardownd_scenario_cases", "gauge",
	    "Cases of each scenario and family in the last complete run of "
	    "the environment, by verdict.");
	for (i = 0, e = set->e; i < set->n; i++, e++)
		for (k = 0, s = e->sum; k < e->nsum; k++, s++)
			for (v = 0; v < VERDICT__COUNT; v++) {
				scenario_labels(f, "teardownd_scenario_cases", e,
				    s->scenario, family_name(s->family));
				fprintf(f, ",verdict=\"%s\"} %d\n",
				    verdict_name(v), s->n[v]);
			}
	metric_head(f, "teardownd_scenario_pass", "gauge",
	    "1 when every case of the scenario and family passed in the last "
	    "complete run of the environment, else 0.");
	for (i = 0, e = set->e; i < set->n; i++, e++)
		for (k = 0, s = e->sum; k < e->nsum; k++, s++) {
			for (v = 0, total = 0; v < VERDICT__COUNT; v++)
				total += s->n[v];
			scenario_labels(f, "teardownd_scenario_pass", e,
			    s->scenario, family_name(s->family));
			fprintf(f, "} %d\n", total > 0 &&
			    s->n[VERDICT_PASS] == total);
		}
}

/* A store_row_fn adding (scenario, family, flag) rows to ms: flag is
 * stability = 'flaky' (STORE_Q_RUN_STABILITY) or change = 'changed'
 * (STORE_Q_DIFF, the baseline against the run). */
struct sig_load {
	struct metrics_signals *ms;
	int diff;				/* the rows are STORE_Q_DIFF's */
	int c_sc, c_fam, c_flag;
};

static int
sig_row(void *ctx, int ncols, const char *const *names,
    const struct store_value *v)
{
	struct sig_load *l = ctx;
	struct metrics_signals *ms = l->ms;
	struct metrics_signal *e;
	const char *sc, *fam, *flag;
	size_t i;
	int c;

	if (v == NULL) {
		l->c_sc = l->c_fam = l->c_flag = -1;
		for (c = 0; c < ncols; c++) {
			if (strcmp(names[c], "scenario") == 0)
				l->c_sc = c;
			else if (strcmp(names[c], "family") == 0)
				l->c_fam = c;
			else if (strcmp(names[c], l->diff ? "change" : "stability") == 0)
				l->c_flag = c;
		}
		return l->c_sc < 0 || l->c_fam < 0 || l->c_flag < 0 ? -1 : 0;
	}
	if ((sc = v[l->c_sc].text) == NULL || (fam = v[l->c_fam].text) == NULL)
		return 0;
	flag = v[l->c_flag].text != NULL ? v[l->c_flag].text : "";
	for (i = 0; i < ms->n; i++)
		if (strcmp(ms->e[i].scenario, sc) == 0 &&
		    strcmp(ms->e[i].family, fam) == 0)
			break;
	if (i == ms->n) {
		if (l->diff)		/* only the run's own scenarios */
			return 0;
		if ((e = realloc(ms->e, (ms->n + 1) * sizeof(*e))) == NULL)
			return -1;
		ms->e = e;
		memset(&e[i], 0, sizeof(e[i]));
		snprintf(e[i].scenario, sizeof(e[i].scenario), "%s", sc);
		snprintf(e[i].family, sizeof(e[i].family), "%s", fam);
		ms->n++;
	}
	if (l->diff)
		ms->e[i].regressed = strcmp(flag, "changed") == 0;
	else
		ms->e[i].flaky = strcmp(flag, "flaky") == 0;
	return 0;
}

/* Reads the run's flaky and regressed scenario+family from st. */
int
metrics_signals_load(struct store *st, int64_t run_id,
    struct metrics_signals *ms)
{
	struct store_args a = { .run_id = run_id };
	struct sig_load l = { .ms = ms };
	int64_t base;
	int r;

	memset(ms, 0, sizeof(*ms));
	if (store_query(st, STORE_Q_RUN_STABILITY, &a, sig_row, &l) != 0)
		goto fail;
	if ((r = store_baseline(st, run_id, &base)) == -1)
		goto fail;
	if (r == 0 || base == run_id)
		return 0;
	a.run_id = base;
	a.run_id2 = run_id;
	l.diff = 1;
	if (store_query(st, STORE_Q_DIFF, &a, sig_row, &l) != 0)
		goto fail;
	ms->have_baseline = 1;
	return 0;
fail:
	log_warnx("metrics: cannot read run %lld's flaky and regressed "
	    "scenarios: %s", (long long)run_id, store_errmsg(st));
	metrics_signals_free(ms);
	return -1;
}

void
metrics_signals_free(struct metrics_signals *ms)
{
	free(ms->e);
	memset(ms, 0, sizeof(*ms));
}

/* Whether e has the flaky series (regressed 0), or the regressed ones
 * (1: its signals were read and it has a baseline). */
static int
env_signals(const struct metrics_env *e, int regressed)
{
	return e->have_signals && (!regressed || e->ms.have_baseline);
}

/* Per environment with those series: a 0/1 series per scenario and family
 * (the flaky or the regressed flag), then the count of 1s as a metric of
 * its own. */
static void
signal_series(FILE *f, const struct metrics_set *set, int regressed,
    const char *name, const char *help, const char *count,
    const char *count_help)
{
	const struct metrics_env *e;
	size_t i, k;
	int v;

	metric_head(f, name, "gauge", help);
	for (i = 0, e = set->e; i < set->n; i++, e++)
		for (k = 0; env_signals(e, regressed) && k < e->ms.n; k++) {
			v = regressed ? e->ms.e[k].regressed : e->ms.e[k].flaky;
			scenario_labels(f, name, e, e->ms.e[k].scenario,
			    e->ms.e[k].family);
			fprintf(f, "} %d\n", v);
		}
	metric_head(f, count, "gauge", count_help);
	for (i = 0, e = set->e; i < set->n; i++, e++) {
		if (!env_signals(e, regressed))
			continue;
		for (k = 0, v = 0; k < e->ms.n; k++)
			v += regressed ? e->ms.e[k].regressed : e->ms.e[k].flaky;
		env_labels(f, count, e);
		fprintf(f, "} %d\n", v);
	}
}

/* teardownd_build_info (once per version and kernel release), and the
 * flaky and regression series. */
static void
format_signals(FILE *f, const struct metrics_set *set)
{
	const struct metrics_env *e;
	size_t i, k;
	int any = 0, base = 0;

	metric_head(f, "teardownd_build_info", "gauge",
	    "Always 1: teardownd's version and the kernel release of the last "
	    "complete runs.");
	for (i = 0, e = set->e; i < set->n; i++, e++) {
		for (k = 0; k < i; k++)
			if (strcmp(set->e[k].ri.version, e->ri.version) == 0 &&
			    strcmp(set->e[k].ri.kernel_release,
			    e->ri.kernel_release) == 0)
				break;
		if (k < i)
			continue;
		fputs("teardownd_build_info{version=\"", f);
		label_value(f, e->ri.version);
		fputs("\",kernel_release=\"", f);
		label_value(f, e->ri.kernel_release);
		fputs("\"} 1\n", f);
	}
	for (i = 0, e = set->e; i < set->n; i++, e++) {
		any |= env_signals(e, 0);
		base |= env_signals(e, 1);
	}
	if (!any)
		return;
	signal_series(f, set, 0, "teardownd_scenario_flaky",
	    "1 when the repetitions of the scenario and family gave several "
	    "signatures in the last complete run of the environment, else 0.",
	    "teardownd_flaky_scenarios",
	    "Scenario+family flaky in the last complete run of the environment.");
	metric_head(f, "teardownd_baseline_present", "gauge",
	    "1 when the last complete run of the environment had a baseline to "
	    "be compared with (teardownctl baseline set), else 0.");
	for (i = 0, e = set->e; i < set->n; i++, e++)
		if (env_signals(e, 0)) {
			env_labels(f, "teardownd_baseline_present", e);
			fprintf(f, "} %d\n", e->ms.have_baseline);
		}
	if (base)
		signal_series(f, set, 1, "teardownd_scenario_regressed",
		    "1 when the majority signature of the scenario and family in "
		    "the last complete run of the environment differs from its "
		    "baseline's, else 0.",
		    "teardownd_regressions",
		    "Scenario+family of the last complete run of the environment "
		    "changed against the baseline.");
}

/* Frees what e holds. */
static void
env_free(struct metrics_env *e)
{
	free(e->sum);
	metrics_signals_free(&e->ms);
}

int
metrics_set_put(struct metrics_set *set, const struct run *r,
    struct metrics_signals *ms)
{
	struct metrics_env n, *grown;
	size_t i;

	memset(&n, 0, sizeof(n));
	if (r->nsum > 0 && (n.sum = calloc(r->nsum, sizeof(*n.sum))) == NULL) {
		if (ms != NULL)
			metrics_signals_free(ms);
		return -1;
	}
	n.ri = r->ri;
	n.end_us = r->end_us;
	n.counts = r->counts;
	for (i = 0; i < r->nsum; i++) {
		snprintf(n.sum[i].scenario, sizeof(n.sum[i].scenario), "%s",
		    r->sum[i].sc->name);
		n.sum[i].family = r->sum[i].family;
		memcpy(n.sum[i].n, r->sum[i].n, sizeof(n.sum[i].n));
	}
	n.nsum = r->nsum;
	if (ms != NULL) {
		n.have_signals = 1;
		n.ms = *ms;
		memset(ms, 0, sizeof(*ms));
	}
	for (i = 0; i < set->n; i++)
		if (strcmp(set->e[i].ri.profile, n.ri.profile) == 0 &&
		    strcmp(set->e[i].ri.link, n.ri.link) == 0) {
			env_free(&set->e[i]);
			set->e[i] = n;
			return 0;
		}
	if ((grown = reallocarray(set->e, set->n + 1, sizeof(*grown))) == NULL) {
		env_free(&n);
		return -1;
	}
	set->e = grown;
	set->e[set->n++] = n;
	return 0;
}

int
metrics_set_record(struct metrics_set *set, struct store *st,
    const struct run *r, const char *path)
{
	struct metrics_signals ms;
	int ok = metrics_signals_load(st, r->id, &ms) == 0;

	/* A database error is no "no baseline": those series are left out. */
	if (metrics_set_put(set, r, ok ? &ms : NULL) == 0)
		return 0;
	log_warnx("%s: out of memory: not written", path);
	return -1;
}

void
metrics_set_drop(struct metrics_set *set, size_t i)
{
	if (i >= set->n)
		return;
	env_free(&set->e[i]);
	memmove(&set->e[i], &set->e[i + 1], (set->n - i - 1) * sizeof(*set->e));
	set->n--;
}

void
metrics_set_free(struct metrics_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		env_free(&set->e[i]);
	free(set->e);
	memset(set, 0, sizeof(*set));
}

/* Writes the text exposition of set to f. */
void
metrics_format(FILE *f, const struct metrics_set *set)
{
	format_runs(f, set);
	format_scenarios(f, set);
	format_signals(f, set);
}

/* Fsyncs the directory of path, so the rename survives a crash. */
static void
sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	fsync(fd);
	close(fd);
}

/* Writes path atomically through a temporary file beside it. */
int
metrics_write(const char *path, const struct metrics_set *set)
{
	const char *slash = strrchr(path, '/');
	char tmp[4200];
	FILE *f = NULL;
	int fd, n;

	/* ".NAME.XXXXXX": node_exporter reads only *.prom files. */
	n = snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX",
	    slash != NULL ? (int)(slash - path + 1) : 0, path,
	    slash != NULL ? slash + 1 : path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		log_warnx("%s: path too long for the textfile", path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		log_warn("%s: cannot create a temporary file beside it", path);
		return -1;
	}
	if (fchmod(fd, 0644) == -1 || (f = fdopen(fd, "w")) == NULL)
		goto fail;
	metrics_format(f, set);
	if (fflush(f) == EOF || ferror(f) || fsync(fd) == -1)
		goto fail;
	n = fclose(f);
	f = NULL;
	fd = -1;			/* closed by fclose, even on failure */
	if (n == EOF)
		goto fail;
	if (rename(tmp, path) == -1)
		goto fail;
	sync_dir(path);
	return 0;
fail:
	log_warn("%s: cannot write the textfile", path);
	if (f != NULL)
		fclose(f);
	else if (fd != -1)
		close(fd);
	unlink(tmp);
	return -1;
}
