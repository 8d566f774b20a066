/* matrix.h: the fleet matrix (teardownctl matrix): the rows of the store's
 * STORE_Q_MATRIX query, one per scenario and kernel release (and host),
 * turned into a table with a row per scenario (per host and scenario) and
 * a column per kernel release. */
#ifndef TEARDOWND_MATRIX_H
#define TEARDOWND_MATRIX_H

#include "report.h"

/* The cells of q (host, scenario, kernel, verdict, cases, pass, ...) as a
 * new report: columns [host,] scenario, then each kernel release in
 * version order (strverscmp); a cell reads "VERDICT P/N" (P of N cases
 * passed), NULL where the scenario never ran on that kernel. by_host keys
 * the rows by host and scenario. NULL when memory ran out. */
struct report *matrix_pivot(const struct report *q, int by_host);

#endif
