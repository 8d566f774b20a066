/* plan.h: what one reading of the configuration runs, built in one place:
 * the scenarios chosen, in environments (a sysctl profile x a link), each
 * run as a run of its own, every scenario in both families, repeated. A
 * setup owns its configuration, catalogue and plan, and is shared by
 * counting: the daemon's configuration in force holds one reference, the
 * run in progress another. */
#ifndef TEARDOWND_PLAN_H
#define TEARDOWND_PLAN_H

#include <stddef.h>

#include "catalog.h"
#include "config.h"
#include "runner.h"

/* One environment: its runs' scenarios under one profile on one link. */
struct plan_env {
	int profile;				/* index into the configuration's
						 * profiles (a setup may be copied:
						 * no pointer into it) */
	enum link_kind link;			/* of scenarios without a link key */
	const struct scenario **sc;		/* the catalogue's, or, under a
						 * profile with sysctls, the plan's
						 * copies with them; malloc'd */
	size_t nsc;
};

struct plan {
	struct plan_env *env;			/* profiles x links, in that order */
	size_t nenv;
	struct scenario *copies;		/* scenarios with a profile's sysctls:
						 * their steps borrowed */
	size_t ncopies;
};

/* What one reading of the configuration gives. */
struct setup {
	struct config cf;
	struct catalog cat;
	const struct scenario **sc;		/* the chosen scenarios, into cat; malloc'd */
	size_t nsc;
	struct plan plan;
	int refs;				/* setup_ref, setup_unref (heap setups) */
};

/* Builds s->plan from s->cf and s->sc: for each profile of cf (in order),
 * each link of cf: every chosen scenario without a link key, and, in the
 * first link's environment only, those with one (they run on their own
 * link). 0, or -1: no memory. */
int plan_build(struct setup *s);
/* The runner's plan of environment i of s. */
void plan_runner(const struct setup *s, size_t i, struct runner_plan *rp);
/* Every scenario of every environment of s with the link its cases run
 * on: calls fn for each. */
void plan_each(const struct setup *s, void (*fn)(void *ctx,
    const struct scenario *sc, enum link_kind link), void *ctx);
/* The profile of environment i of s. */
const struct profile *plan_profile(const struct setup *s, size_t i);
/* "PROFILE/LINK" of environment i, "" when the plan has only one. */
const char *plan_env_name(const struct setup *s, size_t i, char *buf,
    size_t len);

/* Frees what s holds (not s). */
void setup_free(struct setup *s);
/* A heap setup's references: setup_unref frees it with the last. */
struct setup *setup_ref(struct setup *s);
void setup_unref(struct setup *s);

#endif
