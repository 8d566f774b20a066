/* ladder.c: ladder diagrams of a case, as text or SVG. Segments and state
 * changes are merged into rows in time order (a segment before a state
 * change seen at the same microsecond: the segment is what changed it);
 * state changes of both ends seen together share a row. Rows are evenly
 * spaced, not to scale: the time column says when. State changes are the
 * traced transitions when the case has them (at their moment), else the
 * states each step saw (at the step's end). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ladder.h"

#define T_W		9			/* text: time column, "%9.3f" */
#define X_CLIENT	(T_W + 14)		/* text: the client's bar */
#define MID_W		50			/* text: between the bars */
#define X_SERVER	(X_CLIENT + MID_W + 1)	/* text: the server's bar */
#define LINE_LEN	LADDER_TEXT_WIDTH
#define LABEL_LEN	64			/* a segment's label */

#define SVG_W		760			/* SVG: width */
#define SVG_XC		250			/* the client's bar */
#define SVG_XS		590			/* the server's bar */
#define SVG_TOP		96			/* first row */
#define SVG_ROW		30			/* row height */
#define SVG_MS_PX	3			/* a gap's extra height: px per ms... */
#define SVG_GAP_MAX	48			/* ...up to this; a longer gap is
						 * compressed to it and labelled */
#define SVG_DROP	18			/* an arrow's fall: it takes time */
#define SVG_MSG_COLS	112			/* a line of the message, about */
#define SVG_MSG_LEAD	15			/* their spacing */
#define MSG_LINES	3			/* lines of a message, at most */
#define SVG_NOTE_LEAD	18			/* spacing of the notes under it */

static const char *const note_wire = "the wire of this case was not "
    "observed: its states only";
static const char *const note_trans = "transitions not observed: each "
    "state is written when a step saw it";

/* One row of the diagram: a segment, or the state changes seen at t_us. */
struct row {
	int64_t t_us;
	const struct segment *seg;		/* or NULL */
	const char *state[2];			/* per side, or NULL */
};

/* Grows an array of n elements of size sz to hold one more. */
static int
grow(void **p, size_t *cap, size_t n, size_t sz)
{
	void *np;
	size_t nc;

	if (n < *cap)
		return 0;
	nc = *cap ? 2 * *cap : 16;
	if ((np = realloc(*p, nc * sz)) == NULL)
		return -1;
	*p = np;
	*cap = nc;
	return 0;
}

/* Appends a segment. */
int
ladder_add_segment(struct ladder *l, const struct segment *s)
{
	if (grow((void **)&l->seg, &l->segcap, l->nseg, sizeof(*s)) == -1)
		return -1;
	l->seg[l->nseg++] = *s;
	return 0;
}

/* The last state recorded for side, or "". */
static const char *
last_state(const struct ladder *l, enum side side)
{
	size_t i;

	for (i = l->nst; i > 0; i--)
		if (l->st[i - 1].side == side)
			return l->st[i - 1].name;
	return "";
}

/* Adds a state change, keeping st in time order (after those of the
 * same time). */
static int
state_insert(struct ladder *l, int64_t t_us, enum side side, const char *name)
{
	size_t i;

	if (grow((void **)&l->st, &l->stcap, l->nst, sizeof(*l->st)) == -1)
		return -1;
	for (i = l->nst; i > 0 && l->st[i - 1].t_us > t_us; i--)
		l->st[i] = l->st[i - 1];
	l->st[i].t_us = t_us;
	l->st[i].side = side;
	snprintf(l->st[i].name, sizeof(l->st[i].name), "%s", name);
	l->nst++;
	return 0;
}

/* Records both ends' states at t_us; a change is appended when new. */
int
ladder_observe(struct ladder *l, int64_t t_us, const char *client,
    const char *server)
{
	const char *now[2] = { client, server };
	int s;

	for (s = SIDE_CLIENT; s <= SIDE_SERVER; s++) {
		if (now[s] == NULL || now[s][0] == '\0' ||
		    strcmp(now[s], last_state(l, s)) == 0)
			continue;
		if (state_insert(l, t_us, (enum side)s, now[s]) == -1)
			return -1;
	}
	return 0;
}

/* Records a traced transition. */
int
ladder_transition(struct ladder *l, int64_t t_us, enum side side,
    const char *state)
{
	return state_insert(l, t_us, side, state);
}

/* The state change of side at or before t_us, or NULL. */
static struct ladder_state *
state_at(struct ladder *l, enum side side, int64_t t_us)
{
	size_t i;

	for (i = l->nst; i > 0; i--)
		if (l->st[i - 1].side == side && l->st[i - 1].t_us <= t_us)
			return &l->st[i - 1];
	return NULL;
}

/* With transitions traced, what a step saw of an end adds only what has
 * no tracepoint: the TIME_WAIT mini-socket (source sock_diag_tw), which
 * took over at the full socket's change to CLOSE and is written there
 * instead, and its end (gone; not after a CLOSE). 0 or -1. */
static int
observe_untraced(struct ladder *l, int64_t t_us, enum side side,
    const char *state, const char *source)
{
	struct ladder_state *prev;
	int tw;

	if (state == NULL || source == NULL)
		return 0;
	tw = strcmp(source, "sock_diag_tw") == 0;
	if (!tw && strcmp(source, "gone") != 0)
		return 0;
	prev = state_at(l, side, t_us);
	if (prev != NULL && (strcmp(prev->name, state) == 0 ||
	    (!tw && strcmp(prev->name, "CLOSE") == 0)))
		return 0;
	if (prev != NULL && tw && strcmp(prev->name, "CLOSE") == 0) {
		snprintf(prev->name, sizeof(prev->name), "%s", state);
		return 0;
	}
	return state_insert(l, t_us, side, state);
}

/* Frees the arrays. */
void
ladder_free(struct ladder *l)
{
	free(l->seg);
	free(l->st);
	l->seg = NULL;
	l->st = NULL;
	l->nseg = l->nst = l->segcap = l->stcap = 0;
}

/* Merges segments and state changes into rows (rows has nseg + nst). */
static size_t
rows_build(const struct ladder *l, struct row *rows)
{
	size_t i = 0, j = 0, n = 0;
	const struct ladder_state *st;

	while (i < l->nseg || j < l->nst) {
		if (j == l->nst || (i < l->nseg && l->seg[i].t_us <= l->st[j].t_us)) {
			rows[n++] = (struct row){ l->seg[i].t_us, &l->seg[i],
			    { NULL, NULL } };
			i++;
			continue;
		}
		st = &l->st[j++];
		if (n > 0 && rows[n - 1].seg == NULL &&
		    rows[n - 1].t_us == st->t_us && rows[n - 1].state[st->side] == NULL) {
			rows[n - 1].state[st->side] = st->name;
			continue;
		}
		rows[n] = (struct row){ st->t_us, NULL, { NULL, NULL } };
		rows[n++].state[st->side] = st->name;
	}
	return n;
}

/* Cuts text at spaces into at most MSG_LINES lines of about cols
 * characters: line i is len[i] bytes at text + off[i]. Returns the lines. */
static int
wrap(const char *text, size_t cols, size_t *off, size_t *len)
{
	size_t at = 0, rest = strlen(text), k;
	int n = 0;

	while (rest > 0 && n < MSG_LINES) {
		k = rest;
		if (k > cols && n < MSG_LINES - 1) {
			for (k = cols; k > 0 && text[at + k] != ' '; k--)
				;
			if (k == 0)
				k = cols;
		}
		off[n] = at;
		len[n++] = k;
		for (at += k, rest -= k; rest > 0 && text[at] == ' '; at++)
			rest--;
	}
	return n;
}

/* A segment's label: flags, relative seq (start:end with data), ack, len. */
static void
seg_label(const struct segment *s, char *buf, size_t len)
{
	char flags[TCP_FLAGS_LEN];
	int off;

	tcp_flags_format(s->flags, flags, sizeof(flags));
	if (s->len > 0)
		off = snprintf(buf, len, "%s seq %" PRIu32 ":%" PRIu32, flags,
		    s->seq, s->seq + s->len);
	else
		off = snprintf(buf, len, "%s seq %" PRIu32, flags, s->seq);
	if (off < 0 || (size_t)off >= len)
		return;
	if (s->flags & TCPF_ACK)
		off += snprintf(buf + off, len - (size_t)off, " ack %" PRIu32,
		    s->ack);
	if (s->len > 0 && (size_t)off < len)
		off += snprintf(buf + off, len - (size_t)off, " len %" PRIu32,
		    s->len);
	if (s->mark >= MARK_HELD && (size_t)off < len)
		snprintf(buf + off, len - (size_t)off, " [%s]", mark_name(s->mark));
}

/* Draws a segment's arrow, MID_W characters, at buf. */
static void
text_arrow(const struct segment *s, char *buf)
{
	char label[LABEL_LEN];
	size_t n, at;

	seg_label(s, label, sizeof(label));
	if ((n = strlen(label)) > MID_W - 6)
		n = MID_W - 6;
	memset(buf, '-', MID_W);
	at = (MID_W - n) / 2;
	buf[at - 1] = ' ';
	memcpy(buf + at, label, n);
	buf[at + n] = ' ';
	if (s->from == SIDE_CLIENT)
		buf[MID_W - 1] = '>';
	else
		buf[0] = '<';
}

/* Copies text into line (of LINE_LEN) at column x, cut at its end. */
static void
put_at(char *line, size_t x, const char *text)
{
	size_t n = strlen(text);

	if (x >= LINE_LEN)
		return;
	if (n > LINE_LEN - x)
		n = LINE_LEN - x;
	memcpy(line + x, text, n);
}

/* Copies text into line centred on column x. */
static void
put_centred(char *line, size_t x, const char *text)
{
	size_t half = strlen(text) / 2;

	put_at(line, x > half ? x - half : 0, text);
}

/* Writes line without its trailing blanks, then fills it with blanks. */
static void
put_line(FILE *fp, char *line)
{
	size_t n = LINE_LEN;

	while (n > 0 && line[n - 1] == ' ')
		n--;
	fprintf(fp, "%.*s\n", (int)n, line);
	memset(line, ' ', LINE_LEN);
}

/* Writes one row: time, states beside the bars, an arrow between. */
static void
text_row(FILE *fp, char *line, const struct row *r)
{
	char t[32];
	const char *cs = r->state[SIDE_CLIENT];

	snprintf(t, sizeof(t), "%*.3f", T_W, r->t_us / 1000.0);
	put_at(line, 0, t);
	if (cs != NULL)
		put_at(line, X_CLIENT - 1 - strlen(cs), cs);
	line[X_CLIENT] = '|';
	if (r->seg != NULL)
		text_arrow(r->seg, line + X_CLIENT + 1);
	line[X_SERVER] = '|';
	if (r->state[SIDE_SERVER] != NULL)
		put_at(line, X_SERVER + 2, r->state[SIDE_SERVER]);
	put_line(fp, line);
}

/* Prints the ladder as text. */
void
ladder_text(const struct ladder *l, FILE *fp)
{
	size_t off[MSG_LINES], len[MSG_LINES], n, i;
	char line[LINE_LEN];
	struct row *rows;
	int k, nmsg;

	memset(line, ' ', sizeof(line));
	fprintf(fp, "%s\n", l->title);
	nmsg = wrap(l->message, LADDER_TEXT_WIDTH, off, len);
	for (k = 0; k < nmsg; k++)
		fprintf(fp, "%.*s\n", (int)len[k], l->message + off[k]);
	put_at(line, T_W - 5, "t(ms)");
	put_centred(line, X_CLIENT, "client");
	put_centred(line, X_SERVER, "server");
	put_line(fp, line);
	put_centred(line, X_CLIENT, l->addr[SIDE_CLIENT]);
	put_centred(line, X_SERVER, l->addr[SIDE_SERVER]);
	put_line(fp, line);
	if ((rows = calloc(l->nseg + l->nst + 1, sizeof(*rows))) == NULL)
		return;
	n = rows_build(l, rows);
	for (i = 0; i < n; i++)
		text_row(fp, line, &rows[i]);
	if (!l->wire_observed)
		fprintf(fp, "%*s %s\n", T_W, "", note_wire);
	if (!l->trans_observed)
		fprintf(fp, "%*s %s\n", T_W, "", note_trans);
	free(rows);
}

/* Writes text escaped for XML. */
static void
svg_escape(FILE *fp, const char *text)
{
	for (; *text != '\0'; text++)
		switch (*text) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		default: fputc(*text, fp);
		}
}

/* Writes <text> at x, y with attributes attr (anchor, style). */
static void
svg_text(FILE *fp, int x, int y, const char *attr, const char *text)
{
	fprintf(fp, "<text x=\"%d\" y=\"%d\" %s>", x, y, attr);
	svg_escape(fp, text);
	fputs("</text>\n", fp);
}

/* The colour of a segment's arrow: RST red, data blue, others dark. */
static const char *
svg_colour(const struct segment *s)
{
	if (s->flags & TCPF_RST)
		return "rst";
	if (s->len > 0)
		return "data";
	return "ctl";
}

/* The prefix of the SVG's ids (its arrowheads): unique per ladder of a
 * page that shows several (ladder_svg_ids); "" for a document alone. */
static const char *svg_idp = "";

/* The document's head: size, styles, arrowheads, title, the message on
 * nmsg lines, column heads (dy lower for each message line past one). */
static void
svg_head(const struct ladder *l, FILE *fp, int height, int dy)
{
	static const char *const kinds[] = { "ctl", "data", "rst" };
	size_t off[MSG_LINES], len[MSG_LINES], k;
	char line[2 * SVG_MSG_COLS];
	int i, nmsg;

	fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\">\n", SVG_W, height, SVG_W,
	    height);
	fputs("<style>\n"
	    "svg text { font-family: 'DejaVu Sans', Verdana, sans-serif; "
	    "font-size: 12px; fill: #222; }\n"
	    "svg .title { font-size: 15px; font-weight: bold; }\n"
	    "svg .msg { font-size: 12px; fill: #a00; }\n"
	    "svg .head { font-size: 14px; font-weight: bold; }\n"
	    "svg .addr, svg .time { font-family: 'DejaVu Sans Mono', monospace; "
	    "font-size: 11px; fill: #666; }\n"
	    "svg .state { font-weight: bold; fill: #5b2a86; }\n"
	    "svg .label { font-family: 'DejaVu Sans Mono', monospace; "
	    "font-size: 11.5px; }\n"
	    "svg .bar { stroke: #444; stroke-width: 2; }\n"
	    "svg .ctl { stroke: #222; fill: #222; }\n"
	    "svg .data { stroke: #1f5fa8; fill: #1f5fa8; }\n"
	    "svg .rst { stroke: #c0392b; fill: #c0392b; }\n"
	    "svg line.ctl, svg line.data, svg line.rst { stroke-width: 1.5; }\n"
	    "svg text.data { fill: #1f5fa8; stroke: none; }\n"
	    "svg text.rst { fill: #c0392b; stroke: none; }\n"
	    "svg text.ctl { stroke: none; }\n"
	    "svg .note { font-style: italic; fill: #666; }\n"
	    "svg .gap { fill: none; stroke: #999; stroke-width: 1.5; }\n"
	    "svg .gaplabel { font-size: 11px; fill: #888; font-style: italic; }\n"
	    "</style>\n<defs>\n", fp);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		fprintf(fp, "<marker id=\"%shead-%s\" viewBox=\"0 0 10 10\" "
		    "refX=\"10\" refY=\"5\" markerWidth=\"9\" markerHeight=\"9\" "
		    "markerUnits=\"userSpaceOnUse\" orient=\"auto\">"
		    "<path d=\"M0,0 L10,5 L0,10 z\" class=\"%s\"/></marker>\n",
		    svg_idp, kinds[k], kinds[k]);
	fprintf(fp, "</defs>\n<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n",
	    SVG_W, height);
	svg_text(fp, 16, 24, "class=\"title\"", l->title);
	nmsg = wrap(l->message, SVG_MSG_COLS, off, len);
	for (i = 0; i < nmsg; i++) {
		snprintf(line, sizeof(line), "%.*s", (int)len[i], l->message + off[i]);
		svg_text(fp, 16, 42 + i * SVG_MSG_LEAD, "class=\"msg\"", line);
	}
	svg_text(fp, SVG_XC, 64 + dy, "class=\"head\" text-anchor=\"middle\"",
	    "client");
	svg_text(fp, SVG_XS, 64 + dy, "class=\"head\" text-anchor=\"middle\"",
	    "server");
	svg_text(fp, SVG_XC, 79 + dy, "class=\"addr\" text-anchor=\"middle\"",
	    l->addr[SIDE_CLIENT]);
	svg_text(fp, SVG_XS, 79 + dy, "class=\"addr\" text-anchor=\"middle\"",
	    l->addr[SIDE_SERVER]);
	svg_text(fp, 70, 79 + dy, "class=\"addr\" text-anchor=\"end\"", "t (ms)");
}

/* A segment: a sloping arrow from its sender's bar down to the other's,
 * its label along it. */
static void
svg_segment(FILE *fp, const struct segment *s, int y)
{
	char label[LABEL_LEN], attr[96];
	int x0 = SVG_XC, x1 = SVG_XS, mx = (SVG_XC + SVG_XS) / 2;
	int my = y + SVG_DROP / 2 - 6;		/* the label's baseline */
	double angle = 57.29578 * SVG_DROP / (SVG_XS - SVG_XC);	/* ~atan */
	const char *k = svg_colour(s);

	if (s->from == SIDE_SERVER) {
		x0 = SVG_XS;
		x1 = SVG_XC;
		angle = -angle;
	}
	fprintf(fp, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"%s\" "
	    "marker-end=\"url(#%shead-%s)\"/>\n", x0, y, x1, y + SVG_DROP, k,
	    svg_idp, k);
	seg_label(s, label, sizeof(label));
	snprintf(attr, sizeof(attr), "class=\"label %s\" text-anchor=\"middle\" "
	    "transform=\"rotate(%.2f %d %d)\"", k, angle, mx, my);
	svg_text(fp, mx, my, attr, label);
}

/* A row: its time, then an arrow or the states beside the bars. */
static void
svg_row(FILE *fp, const struct row *r, int y)
{
	char t[32];

	snprintf(t, sizeof(t), "%.3f", r->t_us / 1000.0);
	svg_text(fp, 70, y + 4, "class=\"time\" text-anchor=\"end\"", t);
	if (r->seg != NULL) {
		svg_segment(fp, r->seg, y);
		return;
	}
	if (r->state[SIDE_CLIENT] != NULL) {
		fprintf(fp, "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"#5b2a86\"/>\n",
		    SVG_XC, y);
		svg_text(fp, SVG_XC - 12, y + 4, "class=\"state\" "
		    "text-anchor=\"end\"", r->state[SIDE_CLIENT]);
	}
	if (r->state[SIDE_SERVER] != NULL) {
		fprintf(fp, "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"#5b2a86\"/>\n",
		    SVG_XS, y);
		svg_text(fp, SVG_XS + 12, y + 4, "class=\"state\"",
		    r->state[SIDE_SERVER]);
	}
}

/* The extra height of a gap of dt_us between two rows: proportional up
 * to SVG_GAP_MAX. */
static int
svg_gap(int64_t dt_us)
{
	int64_t px = dt_us > 0 ? dt_us * SVG_MS_PX / 1000 : 0;

	return px > SVG_GAP_MAX ? SVG_GAP_MAX : (int)px;
}

/* Whether a gap of dt_us is compressed (longer than SVG_GAP_MAX shows). */
static int
svg_compressed(int64_t dt_us)
{
	return dt_us > 0 && dt_us * SVG_MS_PX / 1000 > SVG_GAP_MAX;
}

/* A compressed gap at y: a zigzag across both bars and its length. */
static void
svg_break(FILE *fp, int y, int64_t dt_us)
{
	char t[32];
	int k, x[2] = { SVG_XC, SVG_XS };

	for (k = 0; k < 2; k++)
		fprintf(fp, "<path d=\"M%d %d l-6 4 l12 4 l-6 4\" class=\"gap\"/>\n",
		    x[k], y - 6);
	if (dt_us >= 1000000)
		snprintf(t, sizeof(t), "%.2f s later", dt_us / 1e6);
	else
		snprintf(t, sizeof(t), "%.1f ms later", dt_us / 1e3);
	svg_text(fp, (SVG_XC + SVG_XS) / 2, y + 4, "class=\"gaplabel\" "
	    "text-anchor=\"middle\"", t);
}

/* The same with every id prefixed by idp (several ladders in a page). */
void
ladder_svg_ids(const struct ladder *l, FILE *fp, const char *idp)
{
	svg_idp = idp;
	ladder_svg(l, fp);
	svg_idp = "";
}

/* Prints the ladder as an SVG document: rows spaced in proportion to the
 * time between them, a gap longer than SVG_GAP_MAX / SVG_MS_PX ms
 * compressed and labelled with its length. */
void
ladder_svg(const struct ladder *l, FILE *fp)
{
	size_t off[MSG_LINES], len[MSG_LINES], n, i;
	const char *notes[2];
	struct row *rows;
	int height, bottom, top, nmsg, nnotes = 0, k, y;

	if ((rows = calloc(l->nseg + l->nst + 1, sizeof(*rows))) == NULL)
		return;
	n = rows_build(l, rows);
	nmsg = wrap(l->message, SVG_MSG_COLS, off, len);
	if (!l->wire_observed)
		notes[nnotes++] = note_wire;
	if (!l->trans_observed)
		notes[nnotes++] = note_trans;
	top = SVG_TOP + (nmsg > 1 ? (nmsg - 1) * SVG_MSG_LEAD : 0);
	bottom = top;
	for (i = 0; i < n; i++)			/* time-proportional, gaps compressed */
		bottom += (i > 0 ? svg_gap(rows[i].t_us - rows[i - 1].t_us) : 0) +
		    (i + 1 < n ? SVG_ROW : 0);
	bottom += n > 0 ? SVG_ROW : 0;
	height = bottom + 16 + (nnotes > 0 ? 24 + (nnotes - 1) * SVG_NOTE_LEAD : 0);
	svg_head(l, fp, height, top - SVG_TOP);
	fprintf(fp, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"bar\"/>\n"
	    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"bar\"/>\n",
	    SVG_XC, top - 10, SVG_XC, bottom, SVG_XS, top - 10, SVG_XS, bottom);
	for (i = 0, y = top; i < n; i++) {
		if (i > 0) {
			int64_t dt = rows[i].t_us - rows[i - 1].t_us;
			int gap = svg_gap(dt);

			y += SVG_ROW + gap;
			if (svg_compressed(dt))
				svg_break(fp, y - SVG_ROW / 2 - gap / 2, dt);
		}
		svg_row(fp, &rows[i], y);
	}
	for (k = 0; k < nnotes; k++)
		svg_text(fp, (SVG_XC + SVG_XS) / 2, bottom + 24 + k * SVG_NOTE_LEAD,
		    "class=\"note\" text-anchor=\"middle\"", notes[k]);
	fputs("</svg>\n", fp);
	free(rows);
}

/* The column called name, or -1. */
static int
col(int ncols, const char *const *names, const char *name)
{
	int i;

	for (i = 0; i < ncols; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* Column name's text in this row, or NULL (absent or NULL). */
static const char *
val(int ncols, const char *const *names, const struct store_value *vals,
    const char *name)
{
	int i = col(ncols, names, name);

	return i < 0 || vals[i].type == STORE_NULL ? NULL : vals[i].text;
}

/* Column name as an integer; dflt when absent or NULL. */
static int64_t
val_int(int ncols, const char *const *names, const struct store_value *vals,
    const char *name, int64_t dflt)
{
	const char *v = val(ncols, names, vals, name);

	return v == NULL ? dflt : strtoll(v, NULL, 10);
}

#define VAL(name)	val(ncols, names, vals, name)
#define VAL_INT(name, d) val_int(ncols, names, vals, name, d)
#define OR(text)	((text) != NULL ? (text) : "?")
#define OR_EMPTY(text)	((text) != NULL ? (text) : "")

/* STORE_Q_CASE: the title, message, addresses and whether the wire was
 * observed. */
int
ladder_row_case(void *ctx, int ncols, const char *const *names,
    const struct store_value *vals)
{
	struct ladder *l = ctx;
	const char *wire;

	if (vals == NULL)
		return 0;
	snprintf(l->title, sizeof(l->title), "c%s %s %s rep %s: %s (run %s, "
	    "kernel %s)", OR(VAL("case_id")), OR(VAL("scenario")),
	    OR(VAL("family")), OR(VAL("rep")), OR(VAL("verdict")),
	    OR(VAL("run_id")), OR(VAL("kernel_release")));
	snprintf(l->message, sizeof(l->message), "%s", OR_EMPTY(VAL("message")));
	snprintf(l->addr[SIDE_CLIENT], sizeof(l->addr[0]), "%s",
	    OR_EMPTY(VAL("client_addr")));
	snprintf(l->addr[SIDE_SERVER], sizeof(l->addr[0]), "%s",
	    OR_EMPTY(VAL("server_addr")));
	wire = VAL("wire");
	l->wire_observed = wire != NULL && strcmp(wire, "observed") == 0;
	wire = VAL("transitions");
	l->trans_observed = wire != NULL && strcmp(wire, "observed") == 0;
	return 0;
}

/* STORE_Q_CASE_TRANSITIONS: one traced transition, at its moment. */
int
ladder_row_transitions(void *ctx, int ncols, const char *const *names,
    const struct store_value *vals)
{
	struct ladder *l = ctx;
	const char *side;

	if (vals == NULL || VAL("to_state") == NULL)
		return 0;
	side = VAL("side");
	return ladder_transition(l, VAL_INT("t_us", 0), side != NULL &&
	    strcmp(side, "server") == 0 ? SIDE_SERVER : SIDE_CLIENT,
	    VAL("to_state")) == -1;
}

/* STORE_Q_CASE_STATES: both ends' states after each step that ran, seen
 * at its end (t_us + dur_us); with transitions traced, only what they
 * cannot show. */
int
ladder_row_states(void *ctx, int ncols, const char *const *names,
    const struct store_value *vals)
{
	struct ladder *l = ctx;
	int64_t t;

	if (vals == NULL || VAL("t_us") == NULL)
		return 0;
	t = VAL_INT("t_us", 0) + VAL_INT("dur_us", 0);
	if (l->trans_observed)
		return observe_untraced(l, t, SIDE_CLIENT, VAL("client_state"),
		    VAL("c_source")) == -1 || observe_untraced(l, t, SIDE_SERVER,
		    VAL("server_state"), VAL("s_source")) == -1;
	return ladder_observe(l, t, VAL("client_state"),
	    VAL("server_state")) == -1;
}

/* STORE_Q_CASE_SEGMENTS: one segment. */
int
ladder_row_segments(void *ctx, int ncols, const char *const *names,
    const struct store_value *vals)
{
	struct ladder *l = ctx;
	const char *dir;
	struct segment s;
	int k;

	if (vals == NULL)
		return 0;
	memset(&s, 0, sizeof(s));
	dir = VAL("dir");
	s.t_us = VAL_INT("t_us", 0);
	s.from = dir != NULL && strcmp(dir, "S>C") == 0 ? SIDE_SERVER :
	    SIDE_CLIENT;
	s.flags = (uint8_t)VAL_INT("flag_bits", 0);
	s.seq = (uint32_t)VAL_INT("seq", 0);
	s.ack = (uint32_t)VAL_INT("ack", 0);
	s.len = (uint32_t)VAL_INT("len", 0);
	s.win = (uint16_t)VAL_INT("win", 0);
	for (k = MARK_PASSED; k < MARK__COUNT; k++)
		if (VAL("mark") != NULL && strcmp(VAL("mark"), mark_name(k)) == 0)
			s.mark = (enum seg_mark)k;
	return ladder_add_segment(l, &s) == -1;
}
