/* signature.c: the canonical text of what a case did (see signature.h for
 * its format) and its FNV-1a 64 hash. Pure functions over a case_result:
 * no timing value, port, address or sequence number goes into the text. */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signature.h"

#define FNV64_OFFSET	0xcbf29ce484222325ULL
#define FNV64_PRIME	0x100000001b3ULL
#define INTERN_BUCKETS	1024

/* An interned text: the loop signs, the writer releases. */
struct interned {
	struct interned *next;			/* in its bucket */
	uint64_t h;
	size_t refs;
	char text[];
};

static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;
static struct interned *intern_tab[INTERN_BUCKETS];

/* The text being built: appends never fail, a failed growth is kept. */
struct sbuf {
	char *p;
	size_t len, cap;
	int bad;				/* out of memory: the text is lost */
};

/* Appends n bytes of s. */
static void
sb_put(struct sbuf *b, const char *s, size_t n)
{
	char *grown;
	size_t cap;

	if (b->bad)
		return;
	if (b->len + n + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 1024; cap < b->len + n + 1; cap *= 2)
			;
		if ((grown = realloc(b->p, cap)) == NULL) {
			b->bad = 1;
			return;
		}
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* Appends v in decimal. */
static void
sb_long(struct sbuf *b, long v)
{
	char d[24];
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
	size_t n = sizeof(d);

	do
		d[--n] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		d[--n] = '-';
	sb_put(b, d + n, sizeof(d) - n);
}

/* Appends s with any tab or newline as a space, so fields stay fields. */
static void
put_clean(struct sbuf *b, const char *s, size_t max)
{
	size_t i, n = strnlen(s, max);

	sb_put(b, s, n);
	for (i = b->bad ? n : 0; i < n; i++)
		if (strchr("\t\n\r", b->p[b->len - n + i]) != NULL)
			b->p[b->len - n + i] = ' ';
}

/* The state of an end as the signature writes it: "-" if not observed. */
static const char *
end_word(const struct end_obs *o)
{
	return o->source == OBS_NONE ? "-" : state_name(o->state);
}

/* A step's RESULT field: status, then what an action returned. */
static void
put_result(struct sbuf *b, const struct step *sp, const struct step_result *r)
{
	char ev[64];

	sb_puts(b, status_name(r->status));
	if (verb_is_expect(sp->verb))
		return;
	sb_put(b, " ", 1);
	if (r->err == 0 && verb_reports_events(sp->verb)) {
		events_format(r->rc < 0 ? 0 : (int)r->rc, ev, sizeof(ev));
		sb_puts(b, ev);
	} else
		sb_long(b, (long)r->rc);
	if (r->err != 0) {
		sb_put(b, " ", 1);
		sb_puts(b, errno_name(r->err));
	}
	if (r->eof)
		sb_puts(b, " eof");
}

/* One step's line; r is NULL when the case has no step results. */
static void
put_step(struct sbuf *b, size_t idx, const struct step *sp,
    const struct step_result *r)
{
	sb_long(b, (long)idx);
	sb_put(b, "\t", 1);
	sb_puts(b, side_name(sp->side));
	sb_put(b, "\t", 1);
	sb_puts(b, verb_name(sp->verb));
	if (sp->args[0] != '\0') {
		sb_put(b, " ", 1);
		put_clean(b, sp->args, sizeof(sp->args));
	}
	sb_put(b, "\t", 1);
	if (r == NULL || r->status == STEP_NOT_RUN) {
		sb_puts(b, status_name(STEP_NOT_RUN));
		sb_puts(b, "\t-\t-\n");
		return;
	}
	put_result(b, sp, r);
	sb_put(b, "\t", 1);
	sb_puts(b, end_word(step_obs(r, SIDE_CLIENT)));
	sb_put(b, "\t", 1);
	sb_puts(b, end_word(step_obs(r, SIDE_SERVER)));
	sb_put(b, "\n", 1);
}

/* The wire line: the segments from the first FIN or RST on, as tokens. */
static void
put_wire(struct sbuf *b, const struct case_result *cr)
{
	char flags[TCP_FLAGS_LEN];
	size_t k, first;

	for (first = 0; first < cr->nseg; first++)
		if (cr->seg[first].flags & (TCPF_FIN | TCPF_RST))
			break;
	sb_puts(b, "wire\t");
	if (first == cr->nseg)
		sb_puts(b, "none");
	for (k = first; k < cr->nseg; k++) {
		tcp_flags_format(cr->seg[k].flags, flags, sizeof(flags));
		if (k > first)
			sb_puts(b, " ; ");
		sb_puts(b, cr->seg[k].from == SIDE_CLIENT ? "C>S " : "S>C ");
		sb_puts(b, flags);
	}
	sb_put(b, "\n", 1);
}

/* The signature of cr, malloc'd; NULL when memory ran out. */
char *
signature_text(const struct case_result *cr)
{
	const struct scenario *sc = cr->sc;
	struct sbuf b = { 0 };
	size_t i;

	sb_puts(&b, "verdict\t");
	sb_puts(&b, verdict_name(cr->verdict));
	sb_put(&b, "\n", 1);
	for (i = 0; sc != NULL && i < sc->nsteps; i++)
		put_step(&b, i, &sc->steps[i], cr->res != NULL ? &cr->res[i] :
		    NULL);
	if (cr->wire == WIRE_OBSERVED && (cr->seg != NULL || cr->nseg == 0))
		put_wire(&b, cr);
	if (b.bad) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* FNV-1a 64 of the first n bytes of text. */
static uint64_t
fnv1a(const char *text, size_t n)
{
	uint64_t h = FNV64_OFFSET;
	const unsigned char *p = (const unsigned char *)text;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= FNV64_PRIME;
	}
	return h;
}

const char *
signature_intern(char *text)
{
	struct interned *e, **b;
	uint64_t h;
	size_t n;

	if (text == NULL)
		return NULL;
	n = strlen(text);
	h = fnv1a(text, n);
	b = &intern_tab[h % INTERN_BUCKETS];
	pthread_mutex_lock(&intern_lock);
	for (e = *b; e != NULL; e = e->next)
		if (e->h == h && strcmp(e->text, text) == 0)
			break;
	if (e == NULL && (e = malloc(sizeof(*e) + n + 1)) != NULL) {
		e->h = h;
		e->refs = 0;
		memcpy(e->text, text, n + 1);
		e->next = *b;
		*b = e;
	}
	if (e != NULL)
		e->refs++;
	pthread_mutex_unlock(&intern_lock);
	free(text);
	return e != NULL ? e->text : NULL;
}

void
signature_release(const char *sig)
{
	struct interned *e, **p;

	if (sig == NULL)
		return;
	e = (struct interned *)(void *)(sig - offsetof(struct interned, text));
	pthread_mutex_lock(&intern_lock);
	if (--e->refs == 0) {
		for (p = &intern_tab[e->h % INTERN_BUCKETS]; *p != e;
		    p = &(*p)->next)
			;
		*p = e->next;
		free(e);
	}
	pthread_mutex_unlock(&intern_lock);
}

/* FNV-1a 64 of text. */
uint64_t
signature_hash(const char *text)
{
	return fnv1a(text, strlen(text));
}

/* The hash as 16 lowercase hex digits. */
void
signature_hash_hex(const char *text, char buf[SIG_HASH_LEN])
{
	snprintf(buf, SIG_HASH_LEN, "%016llx",
	    (unsigned long long)signature_hash(text));
}

/* The hash of text up to its wire line (the last), as hex. */
void
signature_steps_hash_hex(const char *text, char buf[SIG_HASH_LEN])
{
	const char *w = strncmp(text, "wire\t", 5) == 0 ? text :
	    strstr(text, "\nwire\t");
	size_t n = w == NULL ? strlen(text) : (size_t)(w - text) + (w != text);

	snprintf(buf, SIG_HASH_LEN, "%016llx",
	    (unsigned long long)fnv1a(text, n));
}

/* Splits a line of n bytes into its tab-separated fields, in buf. */
int
signature_fields(const char *line, size_t n, char *buf, size_t len,
    const char *fields[SIG_FIELDS])
{
	char *p, *tab;
	int nf = 0;

	if (len == 0)
		return 0;
	if (n >= len)
		n = len - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	for (p = buf; nf < SIG_FIELDS; p = tab + 1) {
		fields[nf++] = p;
		if ((tab = strchr(p, '\t')) == NULL)
			break;
		if (nf < SIG_FIELDS)
			*tab = '\0';
	}
	return nf;
}
