/* parse.h: strict parsing shared by the catalogue and the configuration:
 * numbers, durations, on/off and words, each checked whole and in range;
 * and an INI driver over inih that knows the line of every key and reports
 * each error as "file:line: message". */
#ifndef TEARDOWND_PARSE_H
#define TEARDOWND_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PARSE_MAX_LINE	1000			/* longest INI line accepted, bytes */
#define PARSE_FNV_INIT	0xcbf29ce484222325ULL	/* FNV-1a 64 offset basis */

/* Value helpers: 0, or -1 with errno EINVAL (not of the form asked for)
 * or ERANGE (well formed but outside min..max). *out is set only on 0. */

/* A decimal integer, optionally negative; the whole word must be the number. */
int parse_long(const char *word, long min, long max, long *out);
/* A duration with a unit: 250us, 100ms, 1s, 1.5s, 2m, 6h, 30d; to us. */
int parse_duration(const char *word, int64_t min_us, int64_t max_us,
    int64_t *out);
/* "on" (1) or "off" (0). */
int parse_onoff(const char *word, int *out);

/* Splits s in place into whitespace-separated words; stores at most max
 * of them in words and returns how many there were (may exceed max). */
size_t parse_words(char *s, char **words, size_t max);
/* Writes us as the shortest exact duration word: "10m", "1500ms", "0s". */
void parse_format_duration(int64_t us, char *buf, size_t len);
/* Folds n bytes into a 64-bit FNV-1a hash (start from PARSE_FNV_INIT). */
uint64_t parse_fnv1a(uint64_t h, const void *p, size_t n);
/* The edit distance (Levenshtein) of two words of at most 64 bytes,
 * capped at 9 (longer words: 9). */
int parse_distance(const char *a, const char *b);
/* For "did you mean": the word of cands[0..n-1] nearest to word, when it
 * is near enough (at most 2 edits, 3 for words of 9 bytes or more);
 * NULL when none is. */
const char *parse_nearest(const char *word, const char *const *cands,
    size_t n);

/* Reads a whole file into a NUL-terminated malloc'd buffer. On failure
 * prints "path: reason" to errs and returns NULL. */
char *parse_slurp(const char *path, size_t *lenp, FILE *errs);

/* One INI text run through inih. The caller fills the first block and the
 * callbacks; the driver calls section() for every well-formed "[name]"
 * header (even one without keys) and key() for every "name = value" line
 * and continuation line inside a section. Lines inih would reject are
 * reported with a reason and hidden from it, so every error is reported. */
struct parse_ini {
	const char *file;			/* name for messages */
	FILE *errs;				/* where error lines go */
	void *user;				/* the caller's parser state */
	void (*section)(struct parse_ini *, const char *name);
	void (*key)(struct parse_ini *, const char *name, const char *value);

	int nerr;				/* errors reported so far */
	int line;				/* the line being parsed, from 1 */
	int cont;				/* key(): this line continues the last key */

	const char *pos;			/* reader: next unread byte */
	int kind;				/* reader: class of the current line */
	int have_name;				/* reader: a key since the last header */
	int in_section;				/* reader: a good header was seen */
	int skip;				/* reader: under a broken header */
};

/* Parses text, calling back; returns the number of errors (p->nerr). */
int parse_ini(struct parse_ini *p, const char *text);
/* Reports "file:line: message" and counts it. */
void parse_error(struct parse_ini *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
