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

/* Writes the start of a per-scenario sample: name{scenario="",family="". */
static void
scenario_labels(FILE *f, const char *name, const struct run_summary *s)
{
	fprintf(f, "%s{scenario=\"", name);
	label_value(f, s->sc->name);
	fprintf(f, "\",family=\"%s\"", family_name(s->family));
}

/* Writes microseconds since the epoch as seconds. */
static void
seconds(FILE *f, const char *name, int64_t us)
{
	fprintf(f, "%s %" PRId64 ".%06" PRId64 "\n", name, us / 1000000,
	    us % 1000000);
}

/* The run's own metrics: times, duration, counts. */
static void
format_run(FILE *f, const struct run *r, uint64_t skipped)
{
	int v;

	metric_head(f, "teardownd_run_start_time_seconds", "gauge",
	    "When the last complete run started, in seconds since the epoch.");
	seconds(f, "teardownd_run_start_time_seconds", r->ri.start_us);
	metric_head(f, "teardownd_run_end_time_seconds", "gauge",
	    "When the last complete run ended, in seconds since the epoch.");
	seconds(f, "teardownd_run_end_time_seconds", r->end_us);
	metric_head(f, "teardownd_run_duration_seconds", "gauge",
	    "How long the last complete run took.");
	seconds(f, "teardownd_run_duration_seconds", r->end_us - r->ri.start_us);
	metric_head(f, "teardownd_run_cases", "gauge",
	    "Cases of the last complete run, by verdict.");
	for (v = 0; v < VERDICT__COUNT; v++)
		fprintf(f, "teardownd_run_cases{verdict=\"%s\"} %d\n",
		    verdict_name(v), r->counts.n[v]);
	metric_head(f, "teardownd_skipped_runs_total", "counter",
	    "Scheduled runs skipped since teardownd started, because the "
	    "run before was still going.");
	fprintf(f, "teardownd_skipped_runs_total %" PRIu64 "\n", skipped);
}

/* Per scenario and family: its verdict counts, and whether it passed. */
static void
format_scenarios(FILE *f, const struct run *r)
{
	size_t i;
	int v;

	metric_head(f, "teardownd_scenario_cases", "gauge",
	    "Cases of each scenario and family in the last complete run, by "
	    "verdict.");
	for (i = 0; i < r->nsum; i++)
		for (v = 0; v < VERDICT__COUNT; v++) {
			scenario_labels(f, "teardownd_scenario_cases", &r->sum[i]);
			fprintf(f, ",verdict=\"%s\"} %d\n", verdict_name(v),
			    r->sum[i].n[v]);
		}
	metric_head(f, "teardownd_scenario_pass", "gauge",
	    "1 when every case of the scenario and family passed in the last "
	    "complete run, else 0.");
	for (i = 0; i < r->nsum; i++) {
		const struct run_summary *s = &r->sum[i];
		int total = 0;

		for (v = 0; v < VERDICT__COUNT; v++)
			total += s->n[v];
		scenario_labels(f, "teardownd_scenario_pass", s);
		fprintf(f, "} %d\n", total > 0 && s->n[VERDICT_PASS] == total);
	}
}

/* Writes the text exposition of run r to f. */
void
metrics_format(FILE *f, const struct run *r, uint64_t skipped)
{
	format_run(f, r, skipped);
	format_scenarios(f, r);
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
metrics_write(const char *path, const struct run *r, uint64_t skipped)
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
	metrics_format(f, r, skipped);
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
