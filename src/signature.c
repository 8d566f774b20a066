/* signature.c: the canonical text of what a case did (see signature.h for
 * its format) and its FNV-1a 64 hash. Pure functions over a case_result:
 * no timing value, port, address or sequence number goes into the text. */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
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

/* Appends s with any tab or newline as a space, so fields stay fields. */
static void
put_clean(struct buf *b, const char *s, size_t max)
{
	size_t i, n = strnlen(s, max);

	buf_put(b, s, n);
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
put_result(struct buf *b, const struct step *sp, const struct step_result *r)
{
	char ev[64];

	buf_puts(b, status_name(r->status));
	if (verb_is_expect(sp->verb))
		return;
	buf_put(b, " ", 1);
	if (r->err == 0 && verb_reports_events(sp->verb)) {
		events_format(r->rc < 0 ? 0 : (int)r->rc, ev, sizeof(ev));
		buf_puts(b, ev);
	} else
		buf_int(b, r->rc);
	if (r->err != 0) {
		buf_put(b, " ", 1);
		buf_puts(b, errno_name(r->err));
	}
	if (r->eof)
		buf_puts(b, " eof");
}

/* One step's line; r is NULL when the case has no step results. */
static void
put_step(struct buf *b, size_t idx, const struct step *sp,
    const struct step_result *r)
{
	buf_int(b, idx);
	buf_put(b, "\t", 1);
	buf_puts(b, side_name(sp->side));
	buf_put(b, "\t", 1);
	buf_puts(b, verb_name(sp->verb));
	if (sp->args[0] != '\0') {
		buf_put(b, " ", 1);
		put_clean(b, sp->args, sizeof(sp->args));
	}
	buf_put(b, "\t", 1);
	if (r == NULL || r->status == STEP_NOT_RUN) {
		buf_puts(b, status_name(STEP_NOT_RUN));
		buf_puts(b, "\t-\t-\n");
		return;
	}
	put_result(b, sp, r);
	buf_put(b, "\t", 1);
	buf_puts(b, end_word(step_obs(r, SIDE_CLIENT)));
	buf_put(b, "\t", 1);
	buf_puts(b, end_word(step_obs(r, SIDE_SERVER)));
	buf_put(b, "\n", 1);
}

/* The wire line: the segments from the first FIN or RST on, as tokens. */
static void
put_wire(struct buf *b, const struct case_result *cr)
{
	char flags[TCP_FLAGS_LEN];
	size_t k, first;

	for (first = 0; first < cr->nseg; first++)
		if (cr->seg[first].flags & (TCPF_FIN | TCPF_RST))
			break;
	buf_puts(b, "wire\t");
	if (first == cr->nseg)
		buf_puts(b, "none");
	for (k = first; k < cr->nseg; k++) {
		tcp_flags_format(cr->seg[k].flags, flags, sizeof(flags));
		if (k > first)
			buf_puts(b, " ; ");
		buf_puts(b, cr->seg[k].from == SIDE_CLIENT ? "C>S " : "S>C ");
		buf_puts(b, flags);
	}
	buf_put(b, "\n", 1);
}

/* The signature of cr, malloc'd; NULL when memory ran out. */
char *
signature_text(const struct case_result *cr)
{
	const struct scenario *sc = cr->sc;
	struct buf b = { 0 };
	size_t i;

	buf_puts(&b, "verdict\t");
	buf_puts(&b, verdict_name(cr->verdict));
	buf_put(&b, "\n", 1);
	for (i = 0; sc != NULL && i < sc->nsteps; i++)
		put_step(&b, i, &sc->steps[i], cr->res != NULL ? &cr->res[i] :
		    NULL);
	if (cr->wire == WIRE_OBSERVED && (cr->seg != NULL || cr->nseg == 0))
		put_wire(&b, cr);
	return buf_finish(&b);
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
