/* metrics.h: the Prometheus textfile (node_exporter's textfile collector)
 * written after each complete run. It describes the last complete run of
 * each environment (sysctl profile and link) of the plan: per scenario and
 * family its verdict counts, whether it passed, whether it was flaky and
 * whether it changed against the baseline; the run's times, duration and
 * counts; teardownd's version and the kernel release. Labels are bounded:
 * profile, link, scenario, family, verdict, version, kernel_release; never
 * a run id. */
#ifndef TEARDOWND_METRICS_H
#define TEARDOWND_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "run.h"

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

/* A scenario and family's counts, kept with their own name: the set
 * outlives the catalogue the run had (a reload frees it). */
struct metrics_row {
	char scenario[64];
	enum family family;
	int n[VERDICT__COUNT];
};

/* What the textfile keeps of one environment's last complete run. */
struct metrics_env {
	struct run_info ri;			/* its profile and link name it */
	int64_t end_us;
	struct run_counts counts;
	struct metrics_row *sum;		/* malloc'd */
	size_t nsum;
	int have_signals;			/* ms was read */
	struct metrics_signals ms;
};

/* The environments the textfile describes, in the order first seen. */
struct metrics_set {
	struct metrics_env *e;
	size_t n;
	uint64_t skipped;			/* teardownd_skipped_runs_total */
};

/* Keeps complete run r as the last of its environment, replacing the one
 * before; takes ms over when not NULL (else no flaky or regression
 * series for it). 0, or -1 when memory ran out (the set is unchanged,
 * ms freed). */
int metrics_set_put(struct metrics_set *set, const struct run *r,
    struct metrics_signals *ms);
/* metrics_set_put of complete run r, its flaky and regressed scenarios
 * read from st (none when that fails: logged). 0, or -1 when memory ran
 * out (logged: path is not written). */
int metrics_set_record(struct metrics_set *set, struct store *st,
    const struct run *r, const char *path);
/* Forgets environment i of set (one the plan no longer has). */
void metrics_set_drop(struct metrics_set *set, size_t i);
void metrics_set_free(struct metrics_set *set);

/* Writes the text exposition of set to f. */
void metrics_format(FILE *f, const struct metrics_set *set);
/* Writes it to path atomically: a temporary file in the same directory,
 * fsync, mode 0644, rename over path, fsync of the directory. A reader
 * sees the old file or the new one, never a part. 0, or -1 (logged). */
int metrics_write(const char *path, const struct metrics_set *set);

#endif
