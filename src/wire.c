/* wire.c: wire patterns. The grammar (README "Wire patterns"):
 *
 *   pattern := seq ('|' seq)*
 *   seq     := item (';' item)*
 *   item    := atom ('+' | '?' | '*')*
 *   atom    := DIR FLAGS | '(' pattern ')' | '*' | 'none'
 *
 * DIR is C>S or S>C; FLAGS is what tcpdump prints (F S R P . U E W in
 * that order, '.' is ACK; "none" for no flag): one token matches one
 * segment with exactly those flags. X+ is one or more X, X? zero or one, X* zero or more; the
 * atom '*' is any run of segments, none included; 'none' is no segment
 * at all (wire = none: no FIN and no RST). The text is parsed into
 * a tree, the tree compiled into a little program (Thompson's
 * construction), and the program run over the segments with a set of
 * threads (a Pike VM): time and memory grow with segments x pattern,
 * whatever the pattern. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define SPECIALS	"()|;+?*"		/* characters that end a word */
#define LEXEME(wp)	(int)(wp)->toklen, (wp)->tok	/* for "%.*s" */

/* tcpdump's flag letters in its order (as tcp_flags_format writes them). */
static const struct {
	char letter;
	uint8_t bit;
} flag_letters[] = {
	{ 'F', TCPF_FIN }, { 'S', TCPF_SYN }, { 'R', TCPF_RST },
	{ 'P', TCPF_PSH }, { '.', TCPF_ACK }, { 'U', TCPF_URG },
	{ 'E', TCPF_ECE }, { 'W', TCPF_CWR },
};
#define NLETTERS (sizeof(flag_letters) / sizeof(flag_letters[0]))

enum lexeme { LX_END, LX_WORD, LX_CHAR };

enum node_kind { N_SEG, N_ANY, N_NONE, N_CAT, N_ALT, N_PLUS, N_OPT, N_STAR };

/* A node of the parsed pattern. */
struct node {
	enum node_kind kind;
	enum side from;				/* N_SEG: direction */
	uint8_t flags;				/* N_SEG: TCPF_* */
	int a, b;				/* children (N_CAT, N_ALT: both) */
};

enum opcode {
	I_SEG,					/* one segment like this, then next */
	I_ANY,					/* any one segment, then next */
	I_SPLIT,				/* go on at x and at y */
	I_JMP,					/* go on at x */
	I_MATCH					/* the whole list matched */
};

/* One instruction of a compiled pattern. */
struct inst {
	enum opcode op;
	enum side from;				/* I_SEG */
	uint8_t flags;				/* I_SEG */
	int x, y;				/* I_SPLIT, I_JMP targets */
};

struct wire {
	int n;					/* instructions */
	struct inst prog[];			/* the program, I_MATCH last */
};

/* The state of one wire_compile(). */
struct wparse {
	const char *text;			/* the pattern */
	const char *p;				/* next unread byte */
	enum lexeme lx;				/* current lexeme */
	const char *tok;			/* its first byte */
	size_t toklen;				/* its length */
	struct node *nodes;			/* the tree, malloc'd */
	int nnodes, maxnodes;
	char *err;				/* first error, or "" */
	size_t errlen;
	size_t errpos;				/* offset of its word */
};

static int parse_pattern(struct wparse *wp);

/* Reads the next lexeme: a word, one special character, or the end. */
static void
lex_next(struct wparse *wp)
{
	while (*wp->p == ' ' || *wp->p == '\t')
		wp->p++;
	wp->tok = wp->p;
	if (*wp->p == '\0') {
		wp->lx = LX_END;
		wp->toklen = 0;
	} else if (strchr(SPECIALS, *wp->p) != NULL) {
		wp->lx = LX_CHAR;
		wp->toklen = 1;
		wp->p++;
	} else {
		wp->lx = LX_WORD;
		wp->toklen = strcspn(wp->p, " \t" SPECIALS);
		wp->p += wp->toklen;
	}
}

/* Whether the current lexeme is the special character c. */
static int
lex_is(const struct wparse *wp, char c)
{
	return wp->lx == LX_CHAR && *wp->tok == c;
}

/* Records the first error, at the current lexeme; returns -1. */
static int __attribute__((format(printf, 2, 3)))
wp_error(struct wparse *wp, const char *fmt, ...)
{
	va_list ap;

	if (wp->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(wp->err, wp->errlen, fmt, ap);
		va_end(ap);
		wp->errpos = (size_t)(wp->tok - wp->text);
	}
	return -1;
}

/* A new node; -1 when the tree is full (cannot happen: sized by text). */
static int
node_new(struct wparse *wp, enum node_kind kind, int a, int b)
{
	struct node *nd;

	if (wp->nnodes == wp->maxnodes)
		return wp_error(wp, "wire: pattern too complex");
	nd = &wp->nodes[wp->nnodes];
	memset(nd, 0, sizeof(*nd));
	nd->kind = kind;
	nd->a = a;
	nd->b = b;
	return wp->nnodes++;
}

/* tcpdump's flag letters as TCPF_* bits; -1 if not in tcpdump's form. */
int
wire_flags_parse(const char *word, uint8_t *flags)
{
	size_t i = 0, len = strlen(word);
	const char *p = word;
	uint8_t f = 0;

	if (strcmp(word, "none") == 0) {
		*flags = 0;
		return 0;
	}
	if (len == 0)
		return -1;
	for (; *p != '\0' && i < NLETTERS; i++)
		if (*p == flag_letters[i].letter) {
			f |= flag_letters[i].bit;
			p++;
		}
	if (*p != '\0')
		return -1;
	*flags = f;
	return 0;
}

/* atom := DIR FLAGS: the current lexeme is a word. */
static int
parse_token(struct wparse *wp)
{
	const char *dir = wp->tok;
	char word[16];
	enum side from;
	uint8_t flags;
	int k;

	if (wp->toklen == 3 && strncmp(dir, "C>S", 3) == 0)
		from = SIDE_CLIENT;
	else if (wp->toklen == 3 && strncmp(dir, "S>C", 3) == 0)
		from = SIDE_SERVER;
	else
		return wp_error(wp, "wire: '%.*s' is not a direction (C>S or "
		    "S>C)", LEXEME(wp));
	lex_next(wp);
	if (wp->lx != LX_WORD) {
		wp->tok = dir;			/* name the direction */
		wp->toklen = 3;
		return wp_error(wp, "wire: '%.*s' needs tcpdump's flags after "
		    "it, like F. or R", LEXEME(wp));
	}
	snprintf(word, sizeof(word), "%.*s", LEXEME(wp));
	if (wp->toklen >= sizeof(word) || wire_flags_parse(word, &flags) < 0)
		return wp_error(wp, "wire: '%.*s' is not tcpdump's flags (F S R "
		    "P . U E W in that order, '.' is ACK)", LEXEME(wp));
	if ((k = node_new(wp, N_SEG, -1, -1)) < 0)
		return -1;
	wp->nodes[k].from = from;
	wp->nodes[k].flags = flags;
	lex_next(wp);
	return k;
}

/* atom := DIR FLAGS | '(' pattern ')' | '*' | 'none' */
static int
parse_atom(struct wparse *wp)
{
	const char *open;
	int k;

	if (wp->lx == LX_WORD && wp->toklen == 4 &&
	    strncmp(wp->tok, "none", 4) == 0) {
		lex_next(wp);
		return node_new(wp, N_NONE, -1, -1);
	}
	if (wp->lx == LX_WORD)
		return parse_token(wp);
	if (lex_is(wp, '*')) {
		lex_next(wp);
		if ((k = node_new(wp, N_ANY, -1, -1)) < 0)
			return -1;
		return node_new(wp, N_STAR, k, -1);
	}
	if (!lex_is(wp, '(')) {
		if (wp->lx == LX_END)
			return wp_error(wp, "wire: expected a token (like C>S F.), "
			    "'(' or '*' at the end");
		return wp_error(wp, "wire: expected a token (like C>S F.), '(' "
		    "or '*', got '%.*s'", LEXEME(wp));
	}
	open = wp->tok;
	lex_next(wp);
	if ((k = parse_pattern(wp)) < 0)
		return -1;
	if (!lex_is(wp, ')')) {
		wp->tok = open;
		wp->toklen = 1;
		return wp_error(wp, "wire: '(' is never closed (missing ')')");
	}
	lex_next(wp);
	return k;
}

/* item := atom ('+' | '?' | '*')* */
static int
parse_item(struct wparse *wp)
{
	enum node_kind kind;
	int k;

	if ((k = parse_atom(wp)) < 0)
		return -1;
	while (lex_is(wp, '+') || lex_is(wp, '?') || lex_is(wp, '*')) {
		kind = *wp->tok == '+' ? N_PLUS : *wp->tok == '?' ? N_OPT :
		    N_STAR;
		lex_next(wp);
		if ((k = node_new(wp, kind, k, -1)) < 0)
			return -1;
	}
	return k;
}

/* seq := item (';' item)* */
static int
parse_seq(struct wparse *wp)
{
	int k, b;

	if ((k = parse_item(wp)) < 0)
		return -1;
	for (;;) {
		if (wp->lx == LX_WORD || lex_is(wp, '('))
			return wp_error(wp, "wire: missing ';' before '%.*s'",
			    LEXEME(wp));
		if (!lex_is(wp, ';'))
			return k;
		lex_next(wp);
		if ((b = parse_item(wp)) < 0 ||
		    (k = node_new(wp, N_CAT, k, b)) < 0)
			return -1;
	}
}

/* pattern := seq ('|' seq)* */
static int
parse_pattern(struct wparse *wp)
{
	int k, b;

	if ((k = parse_seq(wp)) < 0)
		return -1;
	while (lex_is(wp, '|')) {
		lex_next(wp);
		if ((b = parse_seq(wp)) < 0 ||
		    (k = node_new(wp, N_ALT, k, b)) < 0)
			return -1;
	}
	return k;
}

/* Emits the code of node k at pc; returns the pc after it. */
static int
emit(const struct wparse *wp, int k, struct inst *prog, int pc)
{
	const struct node *nd = &wp->nodes[k];
	int start = pc, end;

	switch (nd->kind) {
	case N_SEG:
		prog[pc] = (struct inst){ I_SEG, nd->from, nd->flags, 0, 0 };
		return pc + 1;
	case N_ANY:
		prog[pc] = (struct inst){ .op = I_ANY };
		return pc + 1;
	case N_NONE:
		return pc;
	case N_CAT:
		return emit(wp, nd->b, prog, emit(wp, nd->a, prog, pc));
	case N_ALT:			/* split L1 L2; L1: a; jmp L3; L2: b; L3: */
		pc = emit(wp, nd->a, prog, pc + 1);
		end = emit(wp, nd->b, prog, pc + 1);
		prog[start] = (struct inst){ .op = I_SPLIT, .x = start + 1,
		    .y = pc + 1 };
		prog[pc] = (struct inst){ .op = I_JMP, .x = end };
		return end;
	case N_PLUS:			/* L1: a; split L1 L2; L2: */
		pc = emit(wp, nd->a, prog, pc);
		prog[pc] = (struct inst){ .op = I_SPLIT, .x = start, .y = pc + 1 };
		return pc + 1;
	case N_OPT:			/* split L1 L2; L1: a; L2: */
		pc = emit(wp, nd->a, prog, pc + 1);
		prog[start] = (struct inst){ .op = I_SPLIT, .x = start + 1, .y = pc };
		return pc;
	case N_STAR:			/* L1: split L2 L3; L2: a; jmp L1; L3: */
		pc = emit(wp, nd->a, prog, pc + 1);
		prog[pc] = (struct inst){ .op = I_JMP, .x = start };
		prog[start] = (struct inst){ .op = I_SPLIT, .x = start + 1,
		    .y = pc + 1 };
		return pc + 1;
	}
	return pc;
}

/* Compiles text into a program; NULL with err and *errpos on an error. */
struct wire *
wire_compile(const char *text, char *err, size_t errlen, size_t *errpos)
{
	struct wparse wp = { .text = text, .p = text, .err = err,
	    .errlen = errlen };
	struct wire *w = NULL;
	int root;

	err[0] = '\0';
	wp.maxnodes = 2 * (int)strlen(text) + 2;	/* a lexeme makes <= 2 */
	if ((wp.nodes = calloc((size_t)wp.maxnodes, sizeof(*wp.nodes))) == NULL) {
		snprintf(err, errlen, "wire: out of memory");
		goto done;
	}
	lex_next(&wp);
	if ((root = parse_pattern(&wp)) < 0)
		goto done;
	if (wp.lx != LX_END) {
		wp_error(&wp, "wire: unexpected '%.*s'%s", LEXEME(&wp),
		    lex_is(&wp, ')') ? " (no '(' is open)" : "");
		goto done;
	}
	/* Each node emits at most 2 instructions, plus I_MATCH. */
	w = malloc(sizeof(*w) + (size_t)(2 * wp.nnodes + 1) * sizeof(w->prog[0]));
	if (w == NULL) {
		snprintf(err, errlen, "wire: out of memory");
		goto done;
	}
	w->n = emit(&wp, root, w->prog, 0);
	w->prog[w->n++] = (struct inst){ .op = I_MATCH };
done:
	if (w == NULL && errpos != NULL)
		*errpos = wp.errpos;
	free(wp.nodes);
	return w;
}

/* Frees a compiled pattern. */
void
wire_free(struct wire *w)
{
	free(w);
}

/* A set of program positions, each in it at most once. */
struct threads {
	int n;
	int *pc;				/* [w->n] */
	unsigned *mark;				/* [w->n]: gen when added */
	unsigned gen;				/* this set's generation */
};

/* Adds pc and every position its jumps and splits reach. */
static void
thread_add(const struct wire *w, struct threads *t, int pc)
{
	if (t->mark[pc] == t->gen)
		return;
	t->mark[pc] = t->gen;
	switch (w->prog[pc].op) {
	case I_JMP:
		thread_add(w, t, w->prog[pc].x);
		break;
	case I_SPLIT:
		thread_add(w, t, w->prog[pc].x);
		thread_add(w, t, w->prog[pc].y);
		break;
	default:
		t->pc[t->n++] = pc;
	}
}

/* Whether instruction in consumes segment s. */
static int
inst_takes(const struct inst *in, const struct segment *s)
{
	return in->op == I_ANY ||
	    (in->op == I_SEG && in->from == s->from && in->flags == s->flags);
}

/* Whether all n segments match w: one pass, all threads in step. */
int
wire_match(const struct wire *w, const struct segment *seg, size_t n)
{
	struct threads t[2], *cur = &t[0], *next = &t[1], *tmp;
	int *pcs, i, ok = 0;
	unsigned *marks;
	size_t k;

	pcs = calloc(2 * (size_t)w->n, sizeof(*pcs));
	marks = calloc(2 * (size_t)w->n, sizeof(*marks));
	if (pcs == NULL || marks == NULL)
		goto done;
	t[0] = (struct threads){ 0, pcs, marks, 1 };
	t[1] = (struct threads){ 0, pcs + w->n, marks + w->n, 1 };
	thread_add(w, cur, 0);
	for (k = 0; k < n && cur->n > 0; k++) {
		next->n = 0;
		next->gen++;
		for (i = 0; i < cur->n; i++)
			if (inst_takes(&w->prog[cur->pc[i]], &seg[k]))
				thread_add(w, next, cur->pc[i] + 1);
		tmp = cur, cur = next, next = tmp;
	}
	for (i = 0; k == n && i < cur->n; i++)
		if (w->prog[cur->pc[i]].op == I_MATCH)
			ok = 1;
done:
	free(pcs);
	free(marks);
	return ok;
}

/* The index of the first segment with FIN or RST, n if none. */
size_t
wire_teardown(const struct segment *seg, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (seg[k].flags & (TCPF_FIN | TCPF_RST))
			return k;
	return n;
}

/* Writes the segments as "C>S F. ; S>C ."; "..." ends a list cut short. */
size_t
wire_format(const struct segment *seg, size_t n, char *buf, size_t len)
{
	char flags[TCP_FLAGS_LEN], tok[32];
	size_t k, off = 0, tl;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	for (k = 0; k < n; k++) {
		tcp_flags_format(seg[k].flags, flags, sizeof(flags));
		tl = (size_t)snprintf(tok, sizeof(tok), "%s%s %s", k ? " ; " : "",
		    seg[k].from == SIDE_CLIENT ? "C>S" : "S>C", flags);
		/* Room for the token and, unless it is the last, " ; ...". */
		if (off + tl + (k + 1 < n ? 6 : 0) >= len) {
			snprintf(buf + off, len - off, "%s...", k ? " ; " : "");
			return k;
		}
		memcpy(buf + off, tok, tl + 1);
		off += tl;
	}
	return n;
}
