/* metrics.h: the Prometheus textfile (node_exporter's textfile collector)
 * written after each complete run: per scenario and family its verdict
 * counts and whether it passed, the run's times, duration and counts.
 * Labels are bounded: scenario, family, verdict; never a run id. */
#ifndef TEARDOWND_METRICS_H
#define TEARDOWND_METRICS_H

#include <stdint.h>
#include <stdio.h>

struct run;

/* Writes the text exposition of run r to f; skipped is the number of
 * scheduled runs skipped so far (teardownd_skipped_runs_total). */
void metrics_format(FILE *f, const struct run *r, uint64_t skipped);
/* Writes it to path atomically: a temporary file in the same directory,
 * fsync, mode 0644, rename over path, fsync of the directory. A reader
 * sees the old file or the new one, never a part. 0, or -1 (logged). */
int metrics_write(const char *path, const struct run *r, uint64_t skipped);

#endif
