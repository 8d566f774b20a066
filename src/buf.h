/* buf.h: a growing text buffer that remembers running out of memory:
 * once bad, appends do nothing and the text is lost (the caller checks
 * bad once, at the end, or takes the text with buf_finish). */
#ifndef TEARDOWND_BUF_H
#define TEARDOWND_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char *p;				/* malloc'd; NULL until the first append */
	size_t len, cap;
	int bad;				/* memory ran out on the way */
};

/* buf_room's slow path: grows the buffer. */
int buf_grow(struct buf *b, size_t n);

/* Makes room for n more bytes and a NUL: 0, or -1 (bad). Inline: the
 * store's JSON calls it for every value. */
static inline int
buf_room(struct buf *b, size_t n)
{
	return !b->bad && b->len + n + 1 <= b->cap ? 0 : buf_grow(b, n);
}

/* Appends n bytes of s (there is always room for a NUL after them). */
static inline void
buf_put(struct buf *b, const char *s, size_t n)
{
	if (buf_room(b, n) == -1)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void buf_puts(struct buf *b, const char *s);

/* Appends v in decimal (inline, as buf_room). */
static inline void
buf_int(struct buf *b, int64_t v)
{
	char d[24];
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	size_t n = 0;

	do
		d[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		d[n++] = '-';
	if (buf_room(b, n) == -1)
		return;
	while (n > 0)
		b->p[b->len++] = d[--n];
}

/* The text, NUL-terminated and the caller's to free; NULL (and freed)
 * when memory ran out on the way. */
char *buf_finish(struct buf *b);

#endif
