/* runner.h: runs a plan (scenario x family x repetition) on one libevent
 * loop, many cases at once, and hands finished cases out in batches. */
#ifndef TEARDOWND_RUNNER_H
#define TEARDOWND_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

struct event_base;
struct link;
struct runner;
struct run_info;

/* A link made at start-up, for the scenarios of its kind whose sysctls
 * are key. */
struct plan_link {
	enum link_kind kind;			/* LINK_RELAY or LINK_VETH */
	const char *key;			/* a scenario's netkey; "" none */
	struct link *link;			/* NULL: it could not be made */
	const char *why;			/* why not */
};

struct runner_plan {
	const struct scenario *const *sc;	/* the scenarios, in order */
	size_t nsc;
	unsigned families;			/* bits 1u << FAM_IPV4 | 1u << FAM_IPV6 */
	int repeat;				/* repetitions of each, >= 1 */
	int concurrency;			/* cases at once; 0 = the default */
	int64_t case_timeout_us;		/* deadline of a case without its own */
	int no_capture;				/* 1: do not observe the wire */
	enum link_kind link;			/* of scenarios without a link key */
	const struct plan_link *links;		/* the links (run_start sets them) */
	size_t nlinks;
};

struct run_counts {
	int n[VERDICT__COUNT];			/* cases per verdict */
	int total;				/* cases run */
};

/* Receives finished cases' results, which it then owns (free each with
 * case_result_free); returns 0, or -1 to abandon the run. */
typedef int (*runner_batch_fn)(void *ctx, struct case_result **res, size_t n);
/* Called once when every case has ended (or the run was abandoned). */
typedef void (*runner_done_fn)(void *ctx, const struct run_counts *counts,
    int abandoned);

/* Starts a run on base. NULL when the netlink socket, the worker pool or
 * memory fails. The wire is captured on lo in the calling thread's
 * network namespace; when it cannot be (no CAP_NET_RAW), one warning, and
 * every case's wire is WIRE_NOT_OBSERVED. Scenarios that need socket
 * filters where they are refused are skipped (one warning). */
struct runner *runner_start(struct event_base *base, const struct runner_plan *plan,
    runner_batch_fn batch, runner_done_fn done, void *ctx);
/* Ends every case in flight now and starts no more; done follows. */
void runner_abandon(struct runner *rn, const char *why);
void runner_free(struct runner *rn);
/* The cases the run keeps in flight at most: what the plan asked, as far
 * as the open-file limit allows (said once in a warning when it is less). */
int runner_concurrency(const struct runner *rn);

/* The cases that have ended so far, and the run's (for a progress line). */
int runner_ended(const struct runner *rn);
size_t runner_total(const struct runner *rn);

/* Fills ri with what identifies this machine and kernel now. */
void run_info_collect(struct run_info *ri);
/* What run_info_collect records as the virtualization the kernel runs
 * under: "none" (the default), or a guest's "kvm" or "tcg". */
void run_info_virt(const char *virt);

#endif
