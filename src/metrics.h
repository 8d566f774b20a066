/* metrics.h: the Prometheus textfile (node_exporter's textfile collector)
 * written after each complete run: per scenario and family its verdict
 * counts, whether it passed, whether it was flaky and whether it changed
 * against the baseline; the run's times, duration and counts; teardownd's
 * version and the kernel release. Labels are bounded: scenario, family,
 * verdict, version, kernel_release; never a run id. */
#ifndef TEARDOWND_METRICS_H
#define TEARDOWND_METRICS_H

#include <stdint.h>
#include <stdio.h>

struct run;
struct store;

/* What the store says of a run beyond its counts: per scenario and family
 * whether its repetitions gave several signatures, and whether its
 * majority signature changed against the baseline of its host, profile
 * and link (when there is one). */
struct metrics_signal {
	char scenario[64];
	char family[8];
	int flaky;
	int regressed;
};

struct metrics_signals {
	int have_baseline;			/* a baseline other than the run */
	size_t n;
	struct metrics_signal *e;		/* malloc'd */
};

/* Reads them for run_id from st; 0, or -1 (logged; ms then says none). */
int metrics_signals_load(struct store *st, int64_t run_id,
    struct metrics_signals *ms);
void metrics_signals_free(struct metrics_signals *ms);

/* Writes the text exposition of run r to f; skipped is the number of
 * scheduled runs skipped so far (teardownd_skipped_runs_total); ms may
 * be NULL (no flaky or regression series). */
void metrics_format(FILE *f, const struct run *r, uint64_t skipped,
    const struct metrics_signals *ms);
/* Writes it to path atomically: a temporary file in the same directory,
 * fsync, mode 0644, rename over path, fsync of the directory. A reader
 * sees the old file or the new one, never a part. 0, or -1 (logged). */
int metrics_write(const char *path, const struct run *r, uint64_t skipped,
    const struct metrics_signals *ms);

#endif
