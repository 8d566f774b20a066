/* rules.c: a relay case's rules (rules.h). */
#include <stdlib.h>

#include "rules.h"

/* Puts a rule in front of *list. */
int
rules_add(struct rule **list, enum side from, int flags,
    enum relay_action act, int count, int64_t delay_us)
{
	struct rule *ru;

	if ((ru = calloc(1, sizeof(*ru))) == NULL)
		return -1;
	ru->from = from;
	ru->flags = flags;
	ru->act = act;
	ru->delay_us = delay_us;
	ru->left = count > 0 ? count : -1;
	ru->next = *list;
	*list = ru;
	return 0;
}

/* The newest rule that applies, one of its count used. */
const struct rule *
rules_match(struct rule *list, enum side from, uint8_t flags)
{
	struct rule *ru;

	for (ru = list; ru != NULL; ru = ru->next) {
		if (ru->left == 0 || (ru->from != SIDE_BOTH && ru->from != from) ||
		    (ru->flags >= 0 && ru->flags != flags))
			continue;
		if (ru->left > 0)
			ru->left--;
		return ru;
	}
	return NULL;
}

/* Frees every rule. */
void
rules_clear(struct rule **list)
{
	struct rule *ru;

	while ((ru = *list) != NULL) {
		*list = ru->next;
		free(ru);
	}
}
