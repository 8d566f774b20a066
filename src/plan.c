/* plan.c: the plan of a setup (plan.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

/* sc under profile pr, into copy: the profile's sysctls on both sides,
 * then the scenario's own, which replace any the profile set. 0 or -1. */
static int
copy_make(struct scenario *copy, const struct scenario *sc,
    const struct profile *pr)
{
	int i, k;

	*copy = *sc;
	copy->sysctl = NULL;
	copy->nsysctl = 0;
	copy->netkey = NULL;
	for (i = 0; i < pr->nsysctl; i++)
		for (k = SIDE_CLIENT; k <= SIDE_SERVER; k++)
			if (scenario_sysctl_set(copy, (enum side)k,
			    pr->sysctl[i].name, pr->sysctl[i].value) == -1)
				return -1;
	for (i = 0; i < sc->nsysctl; i++)
		if (scenario_sysctl_set(copy, sc->sysctl[i].side,
		    sc->sysctl[i].name, sc->sysctl[i].value) == -1)
			return -1;
	return scenario_netkey_make(copy);
}

/* Frees a copy's own parts (its steps are the catalogue's). */
static void
copy_free(struct scenario *copy)
{
	free(copy->sysctl);
	free(copy->netkey);
}

/* Builds the plan. */
int
plan_build(struct setup *s)
{
	const struct config *cf = &s->cf;
	struct plan *p = &s->plan;
	size_t i, e = 0, ncopy = 0;
	int u, l;

	memset(p, 0, sizeof(*p));
	for (u = 0; u < cf->nuse; u++)
		if (cf->profiles[cf->use[u]].nsysctl > 0)
			ncopy += s->nsc;
	p->nenv = (size_t)(cf->nuse * cf->nlinks);
	if ((p->env = calloc(p->nenv, sizeof(*p->env))) == NULL)
		p->nenv = 0;
	if (p->env == NULL ||
	    (ncopy > 0 && (p->copies = calloc(ncopy, sizeof(*p->copies))) == NULL))
		goto fail;
	for (u = 0; u < cf->nuse; u++) {
		const struct profile *pr = &cf->profiles[cf->use[u]];
		struct scenario *first = NULL;

		if (pr->nsysctl > 0) {
			first = &p->copies[p->ncopies];
			for (i = 0; i < s->nsc; i++, p->ncopies++)
				if (copy_make(&p->copies[p->ncopies], s->sc[i], pr) == -1) {
					p->ncopies++;	/* setup_free frees its parts */
					goto fail;
				}
		}
		for (l = 0; l < cf->nlinks; l++, e++) {
			struct plan_env *env = &p->env[e];

			env->profile = cf->use[u];
			env->link = (enum link_kind)cf->links[l];
			if ((env->sc = calloc(s->nsc + 1, sizeof(*env->sc))) == NULL)
				goto fail;
			for (i = 0; i < s->nsc; i++)
				if (l == 0 || !s->sc[i]->link_set)
					env->sc[env->nsc++] = first != NULL ?
					    &first[i] : s->sc[i];
		}
	}
	return 0;
fail:
	return -1;			/* setup_free frees what was made */
}

/* The runner's plan of environment i. */
void
plan_runner(const struct setup *s, size_t i, struct runner_plan *rp)
{
	const struct config *cf = &s->cf;
	const struct plan_env *env = &s->plan.env[i];

	memset(rp, 0, sizeof(*rp));
	rp->sc = env->sc;
	rp->nsc = env->nsc;
	rp->families = cf->families;
	rp->repeat = cf->repeat;
	rp->concurrency = cf->concurrency;
	rp->case_timeout_us = cf->case_timeout_us;
	rp->no_capture = cf->no_capture;
	rp->link = env->link;
}

/* Every scenario of every environment, with its link. */
void
plan_each(const struct setup *s, void (*fn)(void *ctx,
    const struct scenario *sc, enum link_kind link), void *ctx)
{
	size_t e, i;

	for (e = 0; e < s->plan.nenv; e++)
		for (i = 0; i < s->plan.env[e].nsc; i++)
			fn(ctx, s->plan.env[e].sc[i], s->plan.env[e].link);
}

/* The profile of environment i. */
const struct profile *
plan_profile(const struct setup *s, size_t i)
{
	return &s->cf.profiles[s->plan.env[i].profile];
}

/* "PROFILE/LINK", or "" for a plan of one environment. */
const char *
plan_env_name(const struct setup *s, size_t i, char *buf, size_t len)
{
	if (s->plan.nenv <= 1)
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "%s/%s", plan_profile(s, i)->name,
		    link_name(s->plan.env[i].link));
	return buf;
}

/* Frees what s holds. */
void
setup_free(struct setup *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->plan.nenv; i++)
		free(s->plan.env[i].sc);
	free(s->plan.env);
	for (i = 0; i < s->plan.ncopies; i++)
		copy_free(&s->plan.copies[i]);
	free(s->plan.copies);
	memset(&s->plan, 0, sizeof(s->plan));
	free(s->sc);
	s->sc = NULL;
	catalog_free(&s->cat);
}

/* One more reference to a heap setup. */
struct setup *
setup_ref(struct setup *s)
{
	s->refs++;
	return s;
}

/* One reference fewer; the last frees it. */
void
setup_unref(struct setup *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	setup_free(s);
	free(s);
}
