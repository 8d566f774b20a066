/* rules.h: a relay case's rules (relay hold, drop, duplicate, delay):
 * which of its segments the relay keeps, drops, copies or delays. A rule
 * matches a direction and exact TCP flags; the newest rule that matches
 * decides, and a rule with a count stops matching once used up. */
#ifndef TEARDOWND_RULES_H
#define TEARDOWND_RULES_H

#include <stdint.h>

#include "relay.h"

struct rule {
	enum side from;				/* SIDE_CLIENT, SIDE_SERVER, SIDE_BOTH */
	int flags;				/* exact TCP flags, -1 any */
	enum relay_action act;
	int64_t delay_us;			/* RELAY_DELAY */
	int left;				/* segments it still applies to; -1 all */
	struct rule *next;			/* the next older rule */
};

/* Puts a rule in front of *list: act for segments from side from
 * (SIDE_BOTH: either) with flags flags (-1 any), the next count of them (0
 * all). 0, or -1 without memory. */
int rules_add(struct rule **list, enum side from, int flags,
    enum relay_action act, int count, int64_t delay_us);
/* The newest rule of list for a segment from side from with flags flags,
 * one of its count used; NULL when none applies (pass). */
const struct rule *rules_match(struct rule *list, enum side from,
    uint8_t flags);
/* Frees every rule of *list. */
void rules_clear(struct rule **list);

#endif
