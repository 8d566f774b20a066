/* buf.c: a growing text buffer (see buf.h). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int
buf_grow(struct buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->bad)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	for (cap = b->cap ? b->cap : 1024; cap < b->len + n + 1; cap *= 2)
		;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->bad = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

char *
buf_finish(struct buf *b)
{
	if (buf_room(b, 0) == -1) {
		free(b->p);
		return NULL;
	}
	b->p[b->len] = '\0';
	return b->p;
}
