/* report.h: rows from the store's read API, rendered for people (an
 * aligned text table) or for scripts (JSON). A report collects the rows of
 * one query through report_collect, then prints them. */
#ifndef TEARDOWND_REPORT_H
#define TEARDOWND_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "store.h"

struct report;

/* An empty report; NULL when memory ran out. */
struct report *report_new(void);
void report_free(struct report *r);

/* A store_row_fn with ctx a struct report: keeps the column names, then
 * each row. Returns 1 (which stops the query) when memory ran out. */
int report_collect(void *ctx, int ncols, const char *const *names,
    const struct store_value *vals);
/* Rows collected. */
size_t report_nrows(const struct report *r);

/* The rows as an aligned table under a header line: numbers to the right,
 * NULL as '-'. Headers are the column names with "idx" as '#', a "_ms" or
 * "_s" suffix as "(ms)" or "(s)", and other '_' as '-'. */
void report_table(const struct report *r, FILE *fp);
/* The first row as one "header  value" line per column. */
void report_record(const struct report *r, FILE *fp);

/* The rows as a JSON array of objects, one per line, keyed by column name;
 * numbers as numbers, NULL as null, text escaped (invalid UTF-8 as
 * U+FFFD). */
void report_json_array(const struct report *r, FILE *fp);
/* The first row as a JSON object; null when there is none. No newline. */
void report_json_object(const struct report *r, FILE *fp);
/* The rows as JSON lines: one object per row, each on a line of its own,
 * as report_json_array writes them. */
void report_json_lines(const struct report *r, FILE *fp);

/* The rows as CSV (RFC 4180): a header line of the column names, then one
 * record per row, CRLF line ends; a field with a comma, a double quote, CR
 * or LF is quoted, its quotes doubled; NULL is an empty field, invalid
 * UTF-8 becomes U+FFFD. */
void report_csv(const struct report *r, FILE *fp);
/* One CSV field, quoted when it needs to be (as report_csv does). */
void report_csv_field(FILE *fp, const char *s);

/* Columns of the rows; the name of column c. */
int report_ncols(const struct report *r);
const char *report_name(const struct report *r, int c);
/* The index of the column called name, or -1. */
int report_column(const struct report *r, const char *name);
/* The text at row i, column c: NULL for SQL NULL, for a column c < 0 or a
 * row past the end. */
const char *report_text(const struct report *r, size_t i, int c);
/* The type of the value at row i, column c: STORE_NULL where report_text
 * is NULL. */
enum store_type report_type(const struct report *r, size_t i, int c);

/* The length of the UTF-8 character at p: 1 for ASCII (NUL included),
 * 2 to 4 for a valid multi-byte sequence, 0 for a byte that starts none. */
size_t report_utf8_len(const char *p);

#endif
