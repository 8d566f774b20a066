/* diff.h: two runs compared by the majority signature (src/signature.h)
 * of each scenario and family: which changed, appeared or disappeared,
 * and for each, its steps before and after side by side with the rows that
 * differ marked, so the reader sees which state or errno changed. For
 * teardownctl diff; it reads the store and prints through report.c. */
#ifndef TEARDOWND_DIFF_H
#define TEARDOWND_DIFF_H

#include <stdint.h>
#include <stdio.h>

struct store;

/* The two runs and why each was chosen ("the baseline of host h"). */
struct diff_runs {
	int64_t before, after;			/* runs.id */
	const char *before_why, *after_why;	/* one line each, for people */
};

/* Prints the comparison to fp: text, or one JSON document when json; the
 * sysctls whose values differ between the runs come first.
 * Returns how many scenario+family present in both runs changed their
 * majority signature (the regressions), -1 on a database error
 * (store_errmsg), -2 when memory ran out. */
int diff_print(struct store *st, const struct diff_runs *d, int json,
    FILE *fp);

#endif
