/* report.c: renders the rows of a store query as an aligned text table or
 * as JSON. It knows nothing of SQL: it gets column names and typed text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "store.h"

struct cell {
	enum store_type type;			/* STORE_NULL: text is NULL */
	char *text;				/* malloc'd copy */
};

struct report {
	int ncols;				/* columns of the query */
	char **names;				/* ncols malloc'd names */
	struct cell *cells;			/* nrows * ncols, row by row */
	size_t nrows;				/* rows held */
	size_t cap;				/* rows allocated */
};

/* An empty report. */
struct report *
report_new(void)
{
	return calloc(1, sizeof(struct report));
}

/* Frees the names and the rows, keeping r. */
static void
report_clear(struct report *r)
{
	size_t i;
	int c;

	for (i = 0; i < r->nrows * (size_t)r->ncols; i++)
		free(r->cells[i].text);
	for (c = 0; c < r->ncols; c++)
		free(r->names[c]);
	free(r->cells);
	free(r->names);
	memset(r, 0, sizeof(*r));
}

/* Frees r (NULL is fine). */
void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	report_clear(r);
	free(r);
}

/* Keeps the column names of a new query; 1 when memory ran out. */
static int
report_names(struct report *r, int ncols, const char *const *names)
{
	int c;

	report_clear(r);
	if ((r->names = calloc(ncols > 0 ? ncols : 1, sizeof(char *))) == NULL)
		return 1;
	r->ncols = ncols;
	for (c = 0; c < ncols; c++)
		if ((r->names[c] = strdup(names[c])) == NULL)
			return 1;
	return 0;
}

/* Keeps one row's values, as copies; 1 when memory ran out. */
int
report_collect(void *ctx, int ncols, const char *const *names,
    const struct store_value *vals)
{
	struct report *r = ctx;
	struct cell *row, *grown;
	size_t cap;
	int c;

	if (vals == NULL)
		return report_names(r, ncols, names);
	if (ncols != r->ncols)
		return 1;
	if (r->nrows == r->cap) {
		cap = r->cap ? r->cap * 2 : 16;
		grown = reallocarray(r->cells, cap * (ncols > 0 ? ncols : 1),
		    sizeof(*grown));
		if (grown == NULL)
			return 1;
		r->cells = grown;
		r->cap = cap;
	}
	row = &r->cells[r->nrows * ncols];
	for (c = 0; c < ncols; c++) {
		row[c].type = vals[c].type;
		row[c].text = NULL;
		if (vals[c].type != STORE_NULL &&
		    (row[c].text = strdup(vals[c].text)) == NULL) {
			while (c-- > 0)
				free(row[c].text);
			return 1;
		}
	}
	r->nrows++;
	return 0;
}

/* Rows collected. */
size_t
report_nrows(const struct report *r)
{
	return r->nrows;
}

/* The cell at row i, column c. */
static const struct cell *
cell_at(const struct report *r, size_t i, int c)
{
	return &r->cells[i * (size_t)r->ncols + c];
}

/* Whether name ends in suffix (and has something before it). */
static int
ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && strcmp(name + n - k, suffix) == 0;
}

/* Whether people's views leave column c out: an "X_us" time that an
 * "X_at" column shows (see report.h). */
static int
column_hidden(const struct report *r, int c)
{
	const char *name = r->names[c];
	size_t n = strlen(name);
	char at[128];

	if (!ends_with(name, "_us") || n + 1 > sizeof(at))
		return 0;
	snprintf(at, sizeof(at), "%.*s_at", (int)(n - 3), name);
	return report_column(r, at) >= 0;
}

/* Writes the header text of a column name into buf (see report.h). */
static void
header_text(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name), i;
	const char *unit = NULL;

	if (strcmp(name, "idx") == 0 || strcmp(name, "case_id") == 0) {
		snprintf(buf, len, "%s", name[0] == 'i' ? "#" : "case");
		return;
	}
	if (strncmp(name, "n_", 2) == 0 && n > 2)
		name += 2, n -= 2;
	if (ends_with(name, "_ms") || ends_with(name, "_us"))
		unit = "ms", n -= 3;
	else if (ends_with(name, "_s"))
		unit = "s", n -= 2;
	snprintf(buf, len, "%.*s", (int)n, name);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '_')
			buf[i] = '-';
	if (unit != NULL)
		snprintf(buf + strlen(buf), len - strlen(buf), "(%s)", unit);
}

/* The text people see for cell cl of column c (see report.h): "-" for
 * NULL, c<ID> for a case id, microseconds in milliseconds to the tenth
 * (rounded half away from zero), ISO 8601 times to the second. */
static const char *
cell_text(const struct report *r, int c, const struct cell *cl, char *buf,
    size_t len)
{
	const char *name = r->names[c], *dot;
	long long us, tenths;

	if (cl->text == NULL)
		return "-";
	if (strcmp(name, "case_id") == 0 && cl->type == STORE_INT) {
		snprintf(buf, len, "c%s", cl->text);
		return buf;
	}
	if (ends_with(name, "_us") && cl->type == STORE_INT) {
		us = strtoll(cl->text, NULL, 10);
		tenths = (us < 0 ? us - 50 : us + 50) / 100;
		snprintf(buf, len, "%s%lld.%lld", tenths < 0 ? "-" : "",
		    llabs(tenths) / 10, llabs(tenths) % 10);
		return buf;
	}
	if (ends_with(name, "_at") && (dot = strchr(cl->text, '.')) != NULL &&
	    dot[strspn(dot + 1, "0123456789") + 1] == 'Z') {
		snprintf(buf, len, "%.*sZ", (int)(dot - cl->text), cl->text);
		return buf;
	}
	return cl->text;
}

/* The text people see at row i, column c (see report.h). */
const char *
report_shown(const struct report *r, size_t i, int c, char *buf, size_t len)
{
	if (c < 0 || c >= r->ncols || i >= r->nrows)
		return "-";
	return cell_text(r, c, cell_at(r, i, c), buf, len);
}

/* The header people see over a column called name (see report.h). */
void
report_header(const char *name, char *buf, size_t len)
{
	header_text(name, buf, len);
}

/* Length of the valid UTF-8 sequence of two or more bytes at p, or 1 for
 * ASCII, or 0 for a byte that starts no valid sequence. */
static size_t
utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;			/* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f;			/* surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90;			/* overlong */
	else if (p[0] == 0xf4)
		hi = 0x8f;			/* above U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* Columns a text takes on a terminal: one per UTF-8 character, and one
 * per byte that is not valid UTF-8 (printed as '?'). */
static size_t
text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0, n;

	for (; *p != '\0'; p += n > 0 ? n : 1, w++)
		n = utf8_len(p);
	return w;
}

/* Prints s, control characters and invalid UTF-8 as '?', padded with
 * spaces to width w on the left (right-aligned) or the right; pad 0 for
 * no padding. */
static void
put_padded(FILE *fp, const char *s, size_t w, int right, int pad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = text_width(s), fill = pad && w > len ? w - len : 0, n;

	if (right)
		fprintf(fp, "%*s", (int)fill, "");
	for (; *p != '\0'; p += n) {
		n = utf8_len(p);
		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			putc('?', fp);
			n = 1;
		} else
			fwrite(p, 1, n, fp);
	}
	if (!right)
		fprintf(fp, "%*s", (int)fill, "");
}

/* Whether every value of column c is a number (and there is one). */
static int
column_numeric(const struct report *r, int c)
{
	size_t i;
	int any = 0;

	if (strcmp(r->names[c], "case_id") == 0)
		return 0;			/* shown as c<ID> */
	for (i = 0; i < r->nrows; i++) {
		switch (cell_at(r, i, c)->type) {
		case STORE_NULL:
			break;
		case STORE_INT:
		case STORE_REAL:
			any = 1;
			break;
		default:
			return 0;
		}
	}
	return any;
}

/* Widths and alignments of r's columns, headers included; right[c] is
 * -1 for a column people do not see. The last column they see, or -1. */
static int
table_layout(const struct report *r, size_t *width, int *right)
{
	char head[64], buf[64];
	size_t i, w;
	int c, last = -1;

	for (c = 0; c < r->ncols; c++) {
		if (column_hidden(r, c)) {
			right[c] = -1;
			continue;
		}
		last = c;
		header_text(r->names[c], head, sizeof(head));
		width[c] = text_width(head);
		right[c] = column_numeric(r, c);
		for (i = 0; i < r->nrows; i++) {
			w = text_width(cell_text(r, c, cell_at(r, i, c), buf,
			    sizeof(buf)));
			if (w > width[c])
				width[c] = w;
		}
	}
	return last;
}

/* Prints the rows as an aligned table under a header line. */
void
report_table(const struct report *r, FILE *fp)
{
	size_t *width, i;
	int *right, c, last, end;
	char head[64], buf[64];

	width = calloc(r->ncols > 0 ? r->ncols : 1, sizeof(*width));
	right = calloc(r->ncols > 0 ? r->ncols : 1, sizeof(*right));
	if (width == NULL || right == NULL)
		goto done;
	end = table_layout(r, width, right);
	for (c = 0; c <= end; c++) {
		if (right[c] < 0)
			continue;
		last = c == end;
		header_text(r->names[c], head, sizeof(head));
		put_padded(fp, head, width[c], right[c], !last || right[c]);
		fputs(last ? "\n" : "  ", fp);
	}
	for (i = 0; i < r->nrows; i++)
		for (c = 0; c <= end; c++) {
			if (right[c] < 0)
				continue;
			last = c == end;
			put_padded(fp, cell_text(r, c, cell_at(r, i, c), buf,
			    sizeof(buf)), width[c], right[c], !last || right[c]);
			fputs(last ? "\n" : "  ", fp);
		}
done:
	free(width);
	free(right);
}

/* Prints the first row as "header  value" lines. */
void
report_record(const struct report *r, FILE *fp)
{
	char head[64], buf[64];
	size_t w = 0;
	int c;

	if (r->nrows == 0)
		return;
	for (c = 0; c < r->ncols; c++) {
		header_text(r->names[c], head, sizeof(head));
		if (!column_hidden(r, c) && text_width(head) > w)
			w = text_width(head);
	}
	for (c = 0; c < r->ncols; c++) {
		if (column_hidden(r, c))
			continue;
		header_text(r->names[c], head, sizeof(head));
		put_padded(fp, head, w, 0, 1);
		fputs("  ", fp);
		put_padded(fp, cell_text(r, c, cell_at(r, 0, c), buf,
		    sizeof(buf)), 0, 0, 0);
		fputc('\n', fp);
	}
}

/* Prints s as a JSON string. */
static void
json_string(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	putc('"', fp);
	while (*p != '\0') {
		n = utf8_len(p);
		if (n == 0)
			fputs("\\ufffd", fp);
		else if (n > 1)
			fwrite(p, 1, n, fp);
		else if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", fp);
		else if (*p == '\t')
			fputs("\\t", fp);
		else if (*p < 0x20)
			fprintf(fp, "\\u%04x", *p);
		else
			putc(*p, fp);
		p += n > 0 ? n : 1;
	}
	putc('"', fp);
}

/* Whether text is a JSON number (SQLite may print "Inf" or "1e+20"). */
static int
json_number_ok(const char *t)
{
	if (*t == '-')
		t++;
	if (*t < '0' || *t > '9')
		return 0;
	return t[strspn(t, "0123456789.eE+-")] == '\0';
}

/* Prints one value as JSON. */
static void
json_value(FILE *fp, const struct cell *cl)
{
	if (cl->type == STORE_NULL)
		fputs("null", fp);
	else if ((cl->type == STORE_INT || cl->type == STORE_REAL) &&
	    json_number_ok(cl->text))
		fputs(cl->text, fp);
	else
		json_string(fp, cl->text);
}

/* Prints row i's columns as JSON members, each after ", " unless first. */
static void
json_members(const struct report *r, size_t i, int first, FILE *fp)
{
	int c;

	for (c = 0; c < r->ncols; c++) {
		if (c > 0 || !first)
			fputs(", ", fp);
		json_string(fp, r->names[c]);
		fputs(": ", fp);
		json_value(fp, cell_at(r, i, c));
	}
}

/* Prints the rows as a JSON array, one object per line. */
void
report_json_array(const struct report *r, FILE *fp)
{
	size_t i;

	if (r->nrows == 0) {
		fputs("[]", fp);
		return;
	}
	fputs("[\n", fp);
	for (i = 0; i < r->nrows; i++) {
		fputs("  {", fp);
		json_members(r, i, 1, fp);
		fputs(i + 1 < r->nrows ? "},\n" : "}\n", fp);
	}
	fputs("]", fp);
}

/* Starts a JSON document (see report.h). */
void
report_json_begin(FILE *fp, const char *kind)
{
	fprintf(fp, "{\"schema_version\": %d, \"kind\": ", REPORT_SCHEMA_VERSION);
	json_string(fp, kind);
}

/* Adds one member to a JSON document (see report.h). */
void
report_json_member(FILE *fp, const char *key, const struct report *r,
    int one)
{
	fputs(",\n", fp);
	json_string(fp, key);
	fputs(": ", fp);
	if (one)
		report_json_object(r, fp);
	else
		report_json_array(r, fp);
}

/* Prints the first row as a JSON object, or null. */
void
report_json_object(const struct report *r, FILE *fp)
{
	if (r->nrows == 0) {
		fputs("null", fp);
		return;
	}
	putc('{', fp);
	json_members(r, 0, 1, fp);
	putc('}', fp);
}

/* Ends a JSON document. */
void
report_json_end(FILE *fp)
{
	fputs("}\n", fp);
}

/* Prints the rows as JSON lines (see report.h). */
void
report_json_lines(const struct report *r, const char *kind, FILE *fp)
{
	size_t i;

	for (i = 0; i < r->nrows; i++) {
		report_json_begin(fp, kind);
		json_members(r, i, 0, fp);
		fputs("}\n", fp);
	}
}

/* Prints one CSV field: quoted if it holds a comma, a quote, CR or LF. */
void
report_csv_field(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	size_t n;

	if (quote)
		putc('"', fp);
	for (; *p != '\0'; p += n > 0 ? n : 1) {
		n = utf8_len(p);
		if (n == 0)
			fputs("\xef\xbf\xbd", fp);	/* U+FFFD */
		else if (*p == '"')
			fputs("\"\"", fp);
		else
			fwrite(p, 1, n, fp);
	}
	if (quote)
		putc('"', fp);
}

/* Prints the rows as CSV under a header line of the column names. */
void
report_csv(const struct report *r, FILE *fp)
{
	const char *text;
	size_t i;
	int c;

	for (c = 0; c < r->ncols; c++) {
		if (c > 0)
			putc(',', fp);
		report_csv_field(fp, r->names[c]);
	}
	fputs("\r\n", fp);
	for (i = 0; i < r->nrows; i++) {
		for (c = 0; c < r->ncols; c++) {
			if (c > 0)
				putc(',', fp);
			if ((text = cell_at(r, i, c)->text) != NULL)
				report_csv_field(fp, text);
		}
		fputs("\r\n", fp);
	}
}

/* Columns of the rows. */
int
report_ncols(const struct report *r)
{
	return r->ncols;
}

/* The name of column c. */
const char *
report_name(const struct report *r, int c)
{
	return c >= 0 && c < r->ncols ? r->names[c] : NULL;
}

/* The index of the column called name, or -1. */
int
report_column(const struct report *r, const char *name)
{
	int c;

	for (c = 0; c < r->ncols; c++)
		if (strcmp(r->names[c], name) == 0)
			return c;
	return -1;
}

/* The text at row i, column c; NULL for NULL or out of range. */
const char *
report_text(const struct report *r, size_t i, int c)
{
	if (c < 0 || c >= r->ncols || i >= r->nrows)
		return NULL;
	return cell_at(r, i, c)->text;
}

/* The type at row i, column c; STORE_NULL out of range. */
enum store_type
report_type(const struct report *r, size_t i, int c)
{
	if (c < 0 || c >= r->ncols || i >= r->nrows)
		return STORE_NULL;
	return cell_at(r, i, c)->type;
}

/* The length of the UTF-8 character at p, 0 if it is not valid. */
size_t
report_utf8_len(const char *p)
{
	return utf8_len((const unsigned char *)p);
}
