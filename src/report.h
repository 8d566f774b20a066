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

/*
 * People's views. report_table prints the rows as an aligned table under
 * a header line (numbers to the right), report_record the first row as
 * one "header  value" line per column. Both show the canonical columns the
 * JSON has in a form for people:
 *   NULL                 as '-';
 *   case_id              as c<ID>, headed "case"; idx is headed '#';
 *   X_us (microseconds)  as milliseconds to the tenth, headed "X(ms)";
 *                        left out where an X_at column shows the time;
 *   X_at (ISO 8601)      to the second;
 *   n_X (a count)        headed "X";
 * and an "_ms" or "_s" suffix as "(ms)" or "(s)", other '_' as '-'.
 */
void report_table(const struct report *r, FILE *fp);
void report_record(const struct report *r, FILE *fp);
/* One value as those views show it ("-" past the end), in buf or r; the
 * header over a column called name. */
const char *report_shown(const struct report *r, size_t i, int c, char *buf,
    size_t len);
void report_header(const char *name, char *buf, size_t len);

/*
 * JSON (etc/teardownd.schema.json): every document is one object that
 * begins {"schema_version": REPORT_SCHEMA_VERSION, "kind": KIND, ...}.
 * Members are a report's first row as an object (null when it has none)
 * or all its rows as an array of objects, one per line, keyed by column
 * name: numbers as numbers, NULL as null, text escaped (invalid UTF-8 as
 * U+FFFD).
 */
#define REPORT_SCHEMA_VERSION	1
void report_json_begin(FILE *fp, const char *kind);
/* Adds member key: r's first row (one) or its rows. */
void report_json_member(FILE *fp, const char *key, const struct report *r,
    int one);
/* The rows as a JSON array; the first row as an object, or null. For
 * members of nested objects; no newline after either. */
void report_json_array(const struct report *r, FILE *fp);
void report_json_object(const struct report *r, FILE *fp);
/* "}" and a newline. */
void report_json_end(FILE *fp);
/* The rows as JSON lines: one document of kind per row, its columns
 * after schema_version and kind. */
void report_json_lines(const struct report *r, const char *kind, FILE *fp);
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
