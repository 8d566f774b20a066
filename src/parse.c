/* parse.c: strict value parsing and the INI driver shared by catalog.c and
 * config.c. Values are checked whole (no trailing junk, no implicit unit)
 * and in range. The INI driver feeds inih through its own reader, which
 * counts lines, classifies each line the way inih will, and reports the
 * lines inih would reject with a reason (inih itself reports only the first
 * bad line, without one) before hiding them from it. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"

#define PARSE_MAX_FILE	(16u << 20)		/* largest file read, bytes */

/* How the reader classified the current line (as inih will treat it). */
enum line_kind {
	LINE_BLANK,				/* empty or a comment */
	LINE_SECTION,				/* a good [header] */
	LINE_KEY,				/* name = value */
	LINE_CONT,				/* indented: continues the last key */
	LINE_BAD				/* reported; inih sees an empty line */
};

/* Duration units, largest last. */
static const struct {
	const char *unit;			/* suffix as written */
	int64_t us;				/* microseconds per unit */
} units[] = {
	{ "us", 1 }, { "ms", 1000 }, { "s", 1000000 }, { "m", 60000000 },
	{ "h", 3600000000LL }, { "d", 86400000000LL },
};
#define NUNITS (sizeof(units) / sizeof(units[0]))

/* Parses a decimal integer that is the whole word, within min..max. */
int
parse_long(const char *word, long min, long max, long *out)
{
	const char *p = word;
	char *end;
	long v;

	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtol(word, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

/* Reads the digits "I[.F]" of a duration; *scale is 10^(digits of F). */
static const char *
duration_number(const char *p, int64_t *ip, int64_t *frac, int64_t *scale,
    int *big)
{
	*ip = *frac = 0;
	*scale = 1;
	*big = 0;
	if (!isdigit((unsigned char)*p))
		return NULL;
	for (; isdigit((unsigned char)*p); p++) {
		if (*ip < 1000000000000000LL)
			*ip = *ip * 10 + (*p - '0');
		else
			*big = 1;
	}
	if (*p != '.')
		return p;
	if (!isdigit((unsigned char)*++p))
		return NULL;
	for (; isdigit((unsigned char)*p); p++) {
		if (*scale == 1000000)
			return NULL;		/* finer than any unit needs */
		*frac = *frac * 10 + (*p - '0');
		*scale *= 10;
	}
	return p;
}

/* Parses a duration with its unit (us ms s m h d) into microseconds. */
int
parse_duration(const char *word, int64_t min_us, int64_t max_us,
    int64_t *out)
{
	int64_t ip, frac, scale, mult = 0, part, v;
	const char *p;
	size_t i;
	int big;

	p = duration_number(word, &ip, &frac, &scale, &big);
	for (i = 0; p != NULL && i < NUNITS; i++)
		if (strcmp(p, units[i].unit) == 0)
			mult = units[i].us;
	if (mult == 0 || frac * mult % scale != 0) {
		errno = EINVAL;			/* no unit, or below 1 us */
		return -1;
	}
	part = frac * mult / scale;
	if (big || ip > (INT64_MAX - part) / mult) {
		errno = ERANGE;
		return -1;
	}
	v = ip * mult + part;
	if (v < min_us || v > max_us) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

/* Parses "on" or "off". */
int
parse_onoff(const char *word, int *out)
{
	if (strcmp(word, "on") == 0)
		*out = 1;
	else if (strcmp(word, "off") == 0)
		*out = 0;
	else {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Splits s in place into whitespace-separated words. */
size_t
parse_words(char *s, char **words, size_t max)
{
	size_t n = 0;

	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		if (n < max)
			words[n] = s;
		n++;
		while (*s != '\0' && !isspace((unsigned char)*s))
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
	return n;
}

/* Writes us in the largest unit that holds it exactly. */
void
parse_format_duration(int64_t us, char *buf, size_t len)
{
	size_t i;

	if (us == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	for (i = NUNITS; i-- > 0;)
		if (us % units[i].us == 0)
			break;
	snprintf(buf, len, "%lld%s", (long long)(us / units[i].us),
	    units[i].unit);
}

/* Folds n bytes into h, FNV-1a 64. */
uint64_t
parse_fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Reads path whole; reports "path: reason" and returns NULL on failure. */
char *
parse_slurp(const char *path, size_t *lenp, FILE *errs)
{
	char *buf = NULL, *nbuf;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, err;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	for (;;) {
		if (len + 1 >= cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > PARSE_MAX_FILE) {
				errno = EFBIG;
				goto fail;
			}
			if ((nbuf = realloc(buf, cap)) == NULL)
				goto fail;
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		fprintf(errs, "%s: contains a NUL byte\n", path);
		free(buf);
		return NULL;
	}
	*lenp = len;
	return buf;
fail:
	err = errno;
	if (fd != -1)
		close(fd);
	free(buf);
	fprintf(errs, "%s: %s\n", path, strerror(err));
	return NULL;
}

/* Reports "file:line: message" and counts it. */
void
parse_error(struct parse_ini *p, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(p->errs, "%s:%d: ", p->file, line);
	va_start(ap, fmt);
	vfprintf(p->errs, fmt, ap);
	va_end(ap);
	fputc('\n', p->errs);
	p->nerr++;
}

/* Skips leading whitespace. */
static char *
lskip(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* Strips trailing whitespace in place. */
static void
rstrip(char *s)
{
	char *end = s + strlen(s);

	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
}

/* As inih: the first of chars in s, or of an inline " #" comment, or end. */
static char *
find_chars_or_comment(char *s, const char *chars)
{
	int was_space = 0;

	while (*s != '\0' && (chars == NULL || strchr(chars, *s) == NULL) &&
	    !(was_space && *s == '#')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

/* Cuts an inline comment and trailing blanks off s. */
static char *
uncomment(char *s)
{
	*find_chars_or_comment(s, NULL) = '\0';
	rstrip(s);
	return s;
}

/* Classifies a "[" line: a good header opens a section (and calls back). */
static int
ini_header(struct parse_ini *p, char *start)
{
	char *end, *rest;

	end = find_chars_or_comment(start + 1, "]");
	if (*end != ']') {
		parse_error(p, p->line, "section header '%s' lacks ']'",
		    uncomment(start));
		p->skip = 1;			/* its keys belong to nothing */
		return LINE_BAD;
	}
	*end = '\0';
	rest = lskip(end + 1);
	if (*rest != '\0' && *rest != '#')
		parse_error(p, p->line, "unexpected '%s' after '[%s]'",
		    uncomment(rest), start + 1);
	p->have_name = 0;
	p->in_section = 1;
	p->skip = 0;
	p->section(p, start + 1);
	return LINE_SECTION;
}

/* Classifies one line the way inih will treat it; reports bad lines. */
static int
ini_classify(struct parse_ini *p, const char *raw, size_t len, size_t num)
{
	char tmp[PARSE_MAX_LINE + 1], *s, *start, *end;

	if (len > PARSE_MAX_LINE || len + 2 > num) {
		parse_error(p, p->line, "line too long (%zu bytes, at most %d)",
		    len, PARSE_MAX_LINE);
		return LINE_BAD;
	}
	memcpy(tmp, raw, len);
	tmp[len] = '\0';
	s = tmp;
	if (p->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;				/* a UTF-8 BOM, as inih */
	start = lskip(s);
	rstrip(start);
	if (*start == '\0' || *start == ';' || *start == '#')
		return LINE_BLANK;
	if (p->have_name && start > tmp)
		return LINE_CONT;
	if (*start == '[')
		return ini_header(p, start);
	end = find_chars_or_comment(start, "=:");
	if (*end != '=' && *end != ':') {
		parse_error(p, p->line, "expected 'key = value', got '%s'",
		    uncomment(start));
		return LINE_BAD;
	}
	p->have_name = 1;
	return LINE_KEY;
}

/* inih's reader: hands over one line at a time, counting lines. */
static char *
line_reader(char *buf, int num, void *stream)
{
	struct parse_ini *p = stream;
	const char *eol;
	size_t len;

	if (*p->pos == '\0')
		return NULL;
	eol = strchr(p->pos, '\n');
	len = eol != NULL ? (size_t)(eol - p->pos) : strlen(p->pos);
	p->line++;
	p->kind = ini_classify(p, p->pos, len, (size_t)num);
	if (p->kind == LINE_BAD) {
		buf[0] = '\n';			/* hidden from inih */
		buf[1] = '\0';
	} else {
		memcpy(buf, p->pos, len);
		buf[len] = '\n';
		buf[len + 1] = '\0';
	}
	p->pos += len + (eol != NULL);
	return buf;
}

/* inih's handler: runs while the reader's line is current. */
static int
key_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse_ini *p = user;
	char buf[PARSE_MAX_LINE + 1];

	if (p->kind != LINE_KEY && p->kind != LINE_CONT) {
		parse_error(p, p->line, "syntax error");
		return 1;			/* the reader and inih disagree */
	}
	if (p->skip)
		return 1;
	if (!p->in_section) {
		if (p->kind == LINE_KEY)
			parse_error(p, p->line,
			    "'%s' is outside any [section]", name);
		return 1;
	}
	p->cont = p->kind == LINE_CONT;
	if (p->cont) {
		/* inih 55 leaves inline comments on continuation lines */
		snprintf(buf, sizeof(buf), "%s", value);
		value = uncomment(buf);
	}
	p->key(p, name, value);
	return 1;
}

/* Sets every inih knob this driver relies on. */
static void
ini_settings(void)
{
	ini_allow_multiline = true;		/* steps: one per line */
	ini_allow_bom = true;
	ini_start_comment_prefixes = ";#";
	ini_allow_inline_comments = true;
	ini_inline_comment_prefixes = "#";	/* ";" separates wire tokens */
	ini_use_stack = false;
	ini_max_line = 1024;
	ini_initial_alloc = 1024;		/* the buffer: no realloc */
	ini_allow_realloc = false;
	ini_stop_on_first_error = false;
	ini_allow_no_value = false;
}

/* Parses text through inih; returns the number of errors reported. */
int
parse_ini(struct parse_ini *p, const char *text)
{
	int rc;

	ini_settings();
	p->nerr = 0;
	p->line = 0;
	p->cont = 0;
	p->pos = text;
	p->kind = LINE_BLANK;
	p->have_name = p->in_section = p->skip = 0;
	rc = ini_parse_stream(line_reader, p, key_handler, p);
	if (rc > 0)
		parse_error(p, rc, "syntax error");
	else if (rc < 0) {
		fprintf(p->errs, "%s: out of memory\n", p->file);
		p->nerr++;
	}
	return p->nerr;
}

/* Levenshtein distance of a and b, capped at 9. */
int
parse_distance(const char *a, const char *b)
{
	int d[65][65], i, j, la = (int)strlen(a), lb = (int)strlen(b);

	if (la > 64 || lb > 64)
		return 9;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			int m = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < m)
				m = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < m)
				m = d[i][j - 1] + 1;
			d[i][j] = m;
		}
	return d[la][lb] > 9 ? 9 : d[la][lb];
}

/* The nearest of cands, when near enough. */
const char *
parse_nearest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	int bd = strlen(word) >= 9 ? 4 : 3, d;
	size_t i;

	for (i = 0; i < n; i++)
		if ((d = parse_distance(word, cands[i])) < bd) {
			bd = d;
			best = cands[i];
		}
	return best;
}
