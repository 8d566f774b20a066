/* html.h: teardownctl report: runs as one self-contained HTML page (inline
 * CSS and SVG, no script, no network): each run's header (host, kernel,
 * profile, link, virtualization, counts, sysctls); its verdict per
 * scenario and family, flaky ones and changes against the baseline marked;
 * per scenario and family a history strip over its latest runs and one
 * case step by step with its ladder (the first that did not pass, the
 * failing step marked; else the majority's). */
#ifndef TEARDOWND_HTML_H
#define TEARDOWND_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct store;

/* Writes the page of runs[0..nruns-1] to fp; 0, or -1 with err. */
int html_report(struct store *st, const int64_t *runs, size_t nruns, FILE *fp,
    char *err, size_t len);

#endif
