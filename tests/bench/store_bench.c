/* store_bench.c: how fast the store writes, through its own API: CASES
 * results of a built-in scenario (every step run, both ends observed with
 * every tcp_info field, 9 segments each), stored in batches of BATCH as
 * the writer thread stores them, into a fresh database at PATH.
 *
 * Usage: store_bench PATH [CASES] [BATCH] [SCENARIO]
 * Prints one line: cases, step rows, seconds, step rows per second.
 *
 * store_bench --fleet PATH RUNS REPS: a fleet's history instead, for the
 * queries' benchmark: RUNS runs of the whole built-in catalogue, both
 * families, REPS repetitions each, on 4 hosts and 3 kernels in turn, a
 * minute apart; one case in 50 fails (at its last step, its signature
 * then another), so that runs differ and some scenarios are flaky. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "signature.h"
#include "store.h"
#include "verdict.h"
#include "testutil.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fills case i of scenario sc as a passed case would be. */
static void
make_case(struct case_result *cr, struct step_result *r,
    struct segment *seg, const struct scenario *sc, int i)
{
	static struct end_obs obs[2];		/* every step's, shared */
	size_t k;

	if (obs[SIDE_CLIENT].state == STATE_UNKNOWN) {
		tu_end(&obs[SIDE_CLIENT], STATE_ESTABLISHED, OBS_INFO,
		    TU_TCPI_LEN_6_18);
		tu_end(&obs[SIDE_SERVER], STATE_CLOSE_WAIT, OBS_INFO,
		    TU_TCPI_LEN_6_18);
	}
	free(cr->msg);
	memset(cr, 0, sizeof(*cr));
	cr->nseg = 9;
	cr->sc = sc;
	cr->family = i % 2 ? FAM_IPV6 : FAM_IPV4;
	cr->rep = i / 2;
	cr->verdict = VERDICT_PASS;
	cr->first_fail = -1;
	cr->start_us = 1700000000000000LL + i * 1000LL;
	cr->dur_us = 1200;
	cr->wire = WIRE_OBSERVED;
	cr->trans = TRANS_NOT_OBSERVED;
	cr->link = LINK_LO;
	cr->res = r;
	snprintf(cr->client_addr, sizeof(cr->client_addr), "127.0.0.1:%d",
	    30000 + i % 30000);
	snprintf(cr->server_addr, sizeof(cr->server_addr), "127.0.0.1:40000");
	for (k = 0; k < sc->nsteps; k++) {
		memset(&r[k], 0, sizeof(r[k]));
		r[k].status = STEP_OK;
		r[k].t_us = 100 * (int64_t)k;
		r[k].dur_us = 20;
		r[k].end[SIDE_CLIENT] = &obs[SIDE_CLIENT];
		r[k].end[SIDE_SERVER] = &obs[SIDE_SERVER];
	}
	for (k = 0; k < cr->nseg; k++) {
		memset(&seg[k], 0, sizeof(seg[k]));
		seg[k].t_us = 10 * (int64_t)k;
		seg[k].from = k % 2 ? SIDE_SERVER : SIDE_CLIENT;
		seg[k].flags = k == 0 ? TCPF_SYN : TCPF_ACK;
		seg[k].seq = (uint32_t)k;
		seg[k].ack = (uint32_t)k;
		seg[k].win = 512;
		seg[k].pair = 1;
		seg[k].held_us = -1;
	}
	cr->seg = seg;
}

/* The --fleet mode: RUNS runs of the catalogue cat. */
static int
fleet(const char *path, int runs, int reps, const struct catalog *cat)
{
	static const char *const hosts[] = { "h1", "h2", "h3", "h4" };
	static const char *const kernels[] = { "6.1.0-bench", "6.12.0-bench",
	    "6.18.0-bench" };
	size_t per = cat->n * 2 * (size_t)reps, maxsteps = 0, i, k;
	struct case_result *cr = calloc(per, sizeof(*cr)), **b;
	struct step_result *r;
	struct segment *seg = calloc(per * 9, sizeof(*seg));
	struct run_info ri;
	struct store *st;
	char err[512];
	int64_t run_id;
	int n;

	for (i = 0; i < cat->n; i++)
		if (cat->sc[i].nsteps > maxsteps)
			maxsteps = cat->sc[i].nsteps;
	b = calloc(per, sizeof(*b));
	r = calloc(per * maxsteps, sizeof(*r));
	if (cr == NULL || b == NULL || r == NULL || seg == NULL ||
	    (st = store_open(path, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "store_bench: %s\n", cr && b && r && seg ? err :
		    "out of memory");
		return 1;
	}
	for (n = 0; n < runs; n++) {
		memset(&ri, 0, sizeof(ri));
		snprintf(ri.host, sizeof(ri.host), "%s", hosts[n % 4]);
		snprintf(ri.kernel_release, sizeof(ri.kernel_release), "%s",
		    kernels[n % 3]);
		snprintf(ri.families, sizeof(ri.families), "ipv4 ipv6");
		ri.start_us = 1700000000000000LL + n * 60000000LL;
		ri.repeat = reps;
		if (store_run_begin(st, &ri, &run_id) == -1)
			goto fail;
		for (k = 0; k < per; k++) {
			const struct scenario *sc = &cat->sc[k / (2 * (size_t)reps)];
			struct step_result *kr = &r[k * maxsteps];

			make_case(&cr[k], kr, &seg[k * 9], sc, (int)(k % (2 * (size_t)reps)));
			cr[k].nseg = 6;
			cr[k].start_us = ri.start_us + (int64_t)k * 1000;
			if ((n * (int)per + (int)k) % 50 == 7 && sc->nsteps > 0) {
				cr[k].verdict = VERDICT_FAIL;
				cr[k].first_fail = (int)sc->nsteps - 1;
				kr[sc->nsteps - 1].status = STEP_FAILED;
				case_msg(&cr[k], "bench failure");
			}
			verdict_sign(&cr[k]);
			b[k] = &cr[k];
		}
		if (store_cases(st, run_id, b, per) == -1 ||
		    store_run_end(st, run_id, "complete", ri.start_us + 1000000) == -1)
			goto fail;
		for (k = 0; k < per; k++) {
			signature_release(cr[k].sig);
			free(cr[k].msg);
			cr[k].msg = NULL;
		}
	}
	store_close(st);
	printf("store: %d runs of %zu cases (%zu scenarios x 2 families x %d)\n",
	    runs, per, cat->n, reps);
	free(cr);
	free(b);
	free(r);
	free(seg);
	return 0;
fail:
	fprintf(stderr, "store_bench: %s\n", store_errmsg(st));
	return 1;
}

int
main(int argc, char **argv)
{
	const char *name = argc > 4 ? argv[4] : "four-way-close";
	int cases = argc > 2 ? atoi(argv[2]) : 10000;
	int batch = argc > 3 ? atoi(argv[3]) : 256;
	struct catalog cat;
	const struct scenario *sc;
	struct case_result *cr, **b;
	struct step_result *r;
	struct segment *seg;
	struct run_info ri;
	struct store *st;
	char err[512];
	int64_t run_id;
	double t0, t;
	int i, k, n;

	if (argc == 5 && strcmp(argv[1], "--fleet") == 0) {
		memset(&cat, 0, sizeof(cat));
		if (catalog_load_embedded(&cat, stderr) < 0)
			return 1;
		k = fleet(argv[2], atoi(argv[3]), atoi(argv[4]), &cat);
		catalog_free(&cat);
		return k;
	}
	if (argc < 2 || cases < 1 || batch < 1 || batch > cases) {
		fprintf(stderr, "usage: store_bench PATH [CASES] [BATCH] [SCENARIO]\n");
		return 64;
	}
	memset(&cat, 0, sizeof(cat));
	if (catalog_load_embedded(&cat, stderr) < 0 ||
	    (sc = catalog_find(&cat, name)) == NULL) {
		fprintf(stderr, "store_bench: no scenario %s\n", name);
		return 1;
	}
	cr = calloc((size_t)batch, sizeof(*cr));
	b = calloc((size_t)batch, sizeof(*b));
	r = calloc((size_t)batch * sc->nsteps, sizeof(*r));
	seg = calloc((size_t)batch * 9, sizeof(*seg));
	if ((st = store_open(argv[1], 0, err, sizeof(err))) == NULL ||
	    cr == NULL || b == NULL || r == NULL || seg == NULL) {
		fprintf(stderr, "store_bench: %s\n", st == NULL ? err : "out of memory");
		return 1;
	}
	memset(&ri, 0, sizeof(ri));
	snprintf(ri.host, sizeof(ri.host), "bench");
	snprintf(ri.kernel_release, sizeof(ri.kernel_release), "bench");
	ri.start_us = 1700000000000000LL;
	ri.repeat = cases / 2;
	if (store_run_begin(st, &ri, &run_id) == -1) {
		fprintf(stderr, "store_bench: %s\n", store_errmsg(st));
		return 1;
	}
	t = 0;
	for (i = 0; i < cases; i += n) {
		n = cases - i < batch ? cases - i : batch;
		for (k = 0; k < n; k++) {
			make_case(&cr[k], &r[(size_t)k * sc->nsteps], &seg[k * 9],
			    sc, i + k);
			verdict_sign(&cr[k]);
			b[k] = &cr[k];
		}
		t0 = now_s();
		if (store_cases(st, run_id, b, (size_t)n) == -1) {
			fprintf(stderr, "store_bench: %s\n", store_errmsg(st));
			return 1;
		}
		t += now_s() - t0;
		for (k = 0; k < n; k++) {
			signature_release(cr[k].sig);
			free(cr[k].msg);
			cr[k].msg = NULL;
		}
	}
	store_run_end(st, run_id, "complete", ri.start_us + 1);
	store_close(st);
	printf("store: %d cases of %s (%zu steps, 9 segments each): %zu step rows "
	    "in %.3f s, %.0f step rows/s, %.0f cases/s\n", cases, name,
	    sc->nsteps, (size_t)cases * sc->nsteps, t,
	    (double)cases * (double)sc->nsteps / t, cases / t);
	free(cr);
	free(b);
	free(r);
	free(seg);
	catalog_free(&cat);
	return 0;
}
