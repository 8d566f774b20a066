/* test_metrics.c: the Prometheus textfile is valid text exposition format,
 * read by a strict parser (HELP and TYPE once per metric and before its
 * samples, samples of a metric together, names and label names well
 * formed, label values escaped, values numbers, no series twice), carries
 * only bounded labels, says what the last run of each environment did,
 * and is replaced atomically. */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "metrics.h"
#include "run.h"

#define MAXSERIES	256

/* What the parser collected. */
struct parsed {
	char series[MAXSERIES][256];		/* name{labels} of each sample */
	double value[MAXSERIES];
	int n;
	char typed[32][64];			/* metrics with a TYPE, in order */
	int ntyped;
};

/* Reads a metric or label name at *p: [a-zA-Z_:][a-zA-Z0-9_:]* (no ':'
 * in label names); advances *p. */
static void
read_name(const char **p, char *out, size_t len, int label)
{
	size_t n = 0;

	assert_true(isalpha((unsigned char)**p) || **p == '_' ||
	    (!label && **p == ':'));
	while (isalnum((unsigned char)**p) || **p == '_' || (!label && **p == ':')) {
		assert_true(n + 1 < len);
		out[n++] = *(*p)++;
	}
	out[n] = '\0';
}

/* Reads {name="value",...} at *p into out (as written); only the bounded
 * labels are allowed. */
static void
read_labels(const char **p, char *out, size_t len)
{
	const char *start = *p;
	char name[64];

	assert_int_equal(*(*p)++, '{');
	while (**p != '}') {
		read_name(p, name, sizeof(name), 1);
		assert_true(strcmp(name, "profile") == 0 ||
		    strcmp(name, "link") == 0 || strcmp(name, "scenario") == 0 ||
		    strcmp(name, "family") == 0 || strcmp(name, "verdict") == 0 ||
		    strcmp(name, "version") == 0 ||
		    strcmp(name, "kernel_release") == 0);	/* build_info */
		assert_int_equal(*(*p)++, '=');
		assert_int_equal(*(*p)++, '"');
		while (**p != '"') {
			assert_true(**p != '\0' && **p != '\n');
			if (**p == '\\') {
				(*p)++;
				assert_non_null(strchr("\\\"n", **p));
			}
			(*p)++;
		}
		(*p)++;
		if (**p == ',')
			(*p)++;
		else
			assert_int_equal(**p, '}');
	}
	(*p)++;
	assert_true((size_t)(*p - start) < len);
	snprintf(out, len, "%.*s", (int)(*p - start), start);
}

/* A "# HELP" or "# TYPE" line. */
static void
parse_comment(struct parsed *ps, const char *line, const char *cur)
{
	char name[64];
	const char *p = line + 7;
	int i;

	assert_true(strncmp(line, "# HELP ", 7) == 0 ||
	    strncmp(line, "# TYPE ", 7) == 0);
	read_name(&p, name, sizeof(name), 0);
	assert_int_equal(*p++, ' ');
	assert_true(*p != '\0');
	if (line[2] == 'H') {
		assert_true(cur[0] == '\0' || strcmp(cur, name) != 0);
		return;
	}
	assert_true(strcmp(p, "gauge") == 0 || strcmp(p, "counter") == 0);
	if (strcmp(p, "counter") == 0)
		assert_non_null(strstr(name, "_total"));
	for (i = 0; i < ps->ntyped; i++)
		assert_string_not_equal(ps->typed[i], name);	/* TYPE once */
	assert_true(ps->ntyped < 32);
	snprintf(ps->typed[ps->ntyped++], sizeof(ps->typed[0]), "%s", name);
}

/* A sample line: its metric must be the last one typed. */
static void
parse_sample(struct parsed *ps, const char *line)
{
	char name[64], labels[192] = "", *end;
	const char *p = line;
	int i;

	read_name(&p, name, sizeof(name), 0);
	assert_true(ps->ntyped > 0);
	assert_string_equal(name, ps->typed[ps->ntyped - 1]);
	if (*p == '{')
		read_labels(&p, labels, sizeof(labels));
	assert_int_equal(*p++, ' ');
	assert_true(ps->n < MAXSERIES);
	errno = 0;
	ps->value[ps->n] = strtod(p, &end);
	assert_true(errno == 0 && end != p && *end == '\0');	/* no timestamp */
	snprintf(ps->series[ps->n], sizeof(ps->series[0]), "%s%s", name, labels);
	for (i = 0; i < ps->n; i++)
		assert_string_not_equal(ps->series[i], ps->series[ps->n]);
	ps->n++;
}

/* Parses a whole exposition strictly. */
static void
parse(const char *text, struct parsed *ps)
{
	char *copy = strdup(text), *line, *save = NULL;

	memset(ps, 0, sizeof(*ps));
	assert_non_null(copy);
	assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
	assert_null(strstr(text, "\n\n"));
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			parse_comment(ps, line, ps->ntyped > 0 ?
			    ps->typed[ps->ntyped - 1] : "");
		else
			parse_sample(ps, line);
	}
	free(copy);
}

/* The value of a series, which must be there. */
static double
value_of(const struct parsed *ps, const char *series)
{
	int i;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->series[i], series) == 0)
			return ps->value[i];
	fail_msg("no series %s", series);
	return -1;
}

static struct scenario sc_a = { .name = "abort-linger0" };
static struct scenario sc_b = { .name = "odd\"name\\x" };

/* A run of two scenarios on two families, one case failing. */
static void
fake_run(struct run *r, struct run_summary *sum)
{
	memset(r, 0, sizeof(*r));
	memset(sum, 0, 3 * sizeof(*sum));
	sum[0] = (struct run_summary){ .sc = &sc_a, .family = FAM_IPV4 };
	sum[0].n[VERDICT_PASS] = 3;
	sum[1] = (struct run_summary){ .sc = &sc_a, .family = FAM_IPV6 };
	sum[1].n[VERDICT_PASS] = 2;
	sum[1].n[VERDICT_FAIL] = 1;
	sum[2] = (struct run_summary){ .sc = &sc_b, .family = FAM_IPV4 };
	sum[2].n[VERDICT_TIMEOUT] = 3;
	r->sum = sum;
	r->nsum = 3;
	r->counts.n[VERDICT_PASS] = 5;
	r->counts.n[VERDICT_FAIL] = 1;
	r->counts.n[VERDICT_TIMEOUT] = 3;
	r->counts.total = 9;
	r->id = 42;
	r->ri.start_us = 1700000000250000;
	r->end_us = 1700000003750000;
	snprintf(r->ri.profile, sizeof(r->ri.profile), "default");
	snprintf(r->ri.link, sizeof(r->ri.link), "lo");
}

/* Formats a set into a malloc'd string. */
static char *
format_set(const struct metrics_set *set)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	metrics_format(f, set);
	fclose(f);
	return text;
}

/* Formats a run, alone in its set, into a malloc'd string. */
static char *
format(const struct run *r, uint64_t skipped)
{
	struct metrics_set set = { .skipped = skipped };
	char *text;

	assert_int_equal(metrics_set_put(&set, r, NULL), 0);
	text = format_set(&set);
	metrics_set_free(&set);
	return text;
}

#define ENV "profile=\"default\",link=\"lo\""
#define ENV2 "profile=\"slow\",link=\"relay\""

/* The exposition parses strictly and says what the run did. */
static void
the_textfile_is_strict_exposition_format(void **state)
{
	struct run_summary sum[3];
	struct parsed ps;
	struct run r;
	char *text;

	fake_run(&r, sum);
	text = format(&r, 7);
	parse(text, &ps);
	assert_true(value_of(&ps, "teardownd_run_start_time_seconds{" ENV "}") == 1700000000.25);
	assert_true(value_of(&ps, "teardownd_run_end_time_seconds{" ENV "}") == 1700000003.75);
	assert_true(value_of(&ps, "teardownd_run_duration_seconds{" ENV "}") == 3.5);
	assert_true(value_of(&ps, "teardownd_run_cases{" ENV ",verdict=\"pass\"}") == 5);
	assert_true(value_of(&ps, "teardownd_run_cases{" ENV ",verdict=\"timeout\"}") == 3);
	assert_true(value_of(&ps, "teardownd_run_cases{" ENV ",verdict=\"error\"}") == 0);
	assert_true(value_of(&ps, "teardownd_skipped_runs_total") == 7);
	assert_true(value_of(&ps, "teardownd_scenario_pass{" ENV ",scenario=\"abort-linger0\","
	    "family=\"ipv4\"}") == 1);
	assert_true(value_of(&ps, "teardownd_scenario_pass{" ENV ",scenario=\"abort-linger0\","
	    "family=\"ipv6\"}") == 0);
	assert_true(value_of(&ps, "teardownd_scenario_cases{" ENV ",scenario=\"abort-linger0\","
	    "family=\"ipv6\",verdict=\"fail\"}") == 1);
	assert_true(value_of(&ps, "teardownd_scenario_pass{" ENV ",scenario=\"odd\\\"name\\\\x\","
	    "family=\"ipv4\"}") == 0);
	assert_true(value_of(&ps, "teardownd_run_cases{" ENV ",verdict=\"skipped\"}") == 0);
	assert_true(value_of(&ps, "teardownd_run_cases{" ENV ",verdict=\"abandoned\"}") == 0);
	assert_int_equal(ps.n, 3 + VERDICT__COUNT + 1 + 3 * VERDICT__COUNT + 3 + 1);
	assert_null(strstr(text, "42"));	/* never the run id */
	free(text);
}

/* The build, flaky and regression series: bounded labels, counts. */
static void
flaky_and_regressed_scenarios_are_series(void **state)
{
	struct metrics_signal e[2] = {
		{ "abort-linger0", "ipv4", 1, 0 }, { "odd\"name", "ipv6", 0, 1 },
	};
	struct metrics_signals ms = { 1, 2, NULL };
	struct metrics_set set = { 0 };
	struct run_summary sum[3];
	struct parsed ps;
	struct run r;
	char *text;

	fake_run(&r, sum);
	snprintf(r.ri.version, sizeof(r.ri.version), "0.1.0");
	snprintf(r.ri.kernel_release, sizeof(r.ri.kernel_release), "6.1.0-18");
	assert_non_null(ms.e = malloc(sizeof(e)));
	memcpy(ms.e, e, sizeof(e));
	assert_int_equal(metrics_set_put(&set, &r, &ms), 0);
	assert_null(ms.e);			/* taken over */
	text = format_set(&set);
	parse(text, &ps);
	assert_true(value_of(&ps, "teardownd_build_info{version=\"0.1.0\","
	    "kernel_release=\"6.1.0-18\"}") == 1);
	assert_true(value_of(&ps, "teardownd_scenario_flaky{" ENV ",scenario=\"abort-"
	    "linger0\",family=\"ipv4\"}") == 1);
	assert_true(value_of(&ps, "teardownd_scenario_regressed{" ENV ",scenario="
	    "\"odd\\\"name\",family=\"ipv6\"}") == 1);
	assert_true(value_of(&ps, "teardownd_flaky_scenarios{" ENV "}") == 1);
	assert_true(value_of(&ps, "teardownd_regressions{" ENV "}") == 1);
	assert_true(value_of(&ps, "teardownd_baseline_present{" ENV "}") == 1);
	free(text);
	/* Without a baseline: no regression series at all. */
	set.e[0].ms.have_baseline = 0;
	text = format_set(&set);
	parse(text, &ps);
	assert_null(strstr(text, "teardownd_scenario_regressed"));
	assert_true(value_of(&ps, "teardownd_baseline_present{" ENV "}") == 0);
	free(text);
	metrics_set_free(&set);
}

/* Each environment's last complete run, side by side: one HELP and TYPE
 * per metric, every series labelled with its profile and link; a later
 * run of an environment replaces its earlier one; dropped, it is gone. */
static void
each_environment_keeps_its_last_run(void **state)
{
	struct metrics_set set = { .skipped = 2 };
	struct run_summary sum[3], sum2[3];
	struct parsed ps;
	struct run r, r2;
	char *text;

	fake_run(&r, sum);
	fake_run(&r2, sum2);
	snprintf(r2.ri.profile, sizeof(r2.ri.profile), "slow");
	snprintf(r2.ri.link, sizeof(r2.ri.link), "relay");
	r2.counts.n[VERDICT_PASS] = 9;
	sum2[2].n[VERDICT_TIMEOUT] = 0;
	sum2[2].n[VERDICT_PASS] = 3;
	assert_int_equal(metrics_set_put(&set, &r, NULL), 0);
	assert_int_equal(metrics_set_put(&set, &r2, NULL), 0);
	text = format_set(&set);
	parse(text, &ps);			/* HELP, TYPE once: strict */
	assert_true(value_of(&ps, "teardownd_run_cases{" ENV ",verdict=\"pass\"}") == 5);
	assert_true(value_of(&ps, "teardownd_run_cases{" ENV2 ",verdict=\"pass\"}") == 9);
	assert_true(value_of(&ps, "teardownd_scenario_pass{" ENV ",scenario="
	    "\"odd\\\"name\\\\x\",family=\"ipv4\"}") == 0);
	assert_true(value_of(&ps, "teardownd_scenario_pass{" ENV2 ",scenario="
	    "\"odd\\\"name\\\\x\",family=\"ipv4\"}") == 1);
	assert_true(value_of(&ps, "teardownd_skipped_runs_total") == 2);
	assert_int_equal(ps.n, 2 * (3 + VERDICT__COUNT + 3 * VERDICT__COUNT + 3) +
	    1 + 1);
	free(text);
	/* A later run of the first environment replaces it, in place. */
	r.counts.n[VERDICT_PASS] = 6;
	assert_int_equal(metrics_set_put(&set, &r, NULL), 0);
	assert_int_equal(set.n, 2);
	text = format_set(&set);
	parse(text, &ps);
	assert_true(value_of(&ps, "teardownd_run_cases{" ENV ",verdict=\"pass\"}") == 6);
	assert_true(strstr(text, "profile=\"default\"") < strstr(text,
	    "profile=\"slow\""));
	free(text);
	metrics_set_drop(&set, 0);
	text = format_set(&set);
	assert_null(strstr(text, "profile=\"default\""));
	assert_non_null(strstr(text, ENV2));
	free(text);
	metrics_set_free(&set);
}

/* The set keeps its own scenario names: a reload frees the catalogue
 * the run had, and the daemon's set outlives it (under ASan a read of
 * the freed scenario fails this test). */
static void
the_set_outlives_the_catalogue(void **state)
{
	struct metrics_set set = { 0 };
	struct run_summary sum[3];
	struct scenario *sc;
	struct run r;
	char *text;

	fake_run(&r, sum);
	assert_non_null(sc = calloc(1, sizeof(*sc)));
	snprintf(sc->name, sizeof(sc->name), "freed-later");
	sum[0].sc = sc;
	assert_int_equal(metrics_set_put(&set, &r, NULL), 0);
	memset(sc, 'x', sizeof(*sc));
	free(sc);
	text = format_set(&set);
	assert_non_null(strstr(text, "scenario=\"freed-later\",family=\"ipv4\"} 1"));
	free(text);
	metrics_set_free(&set);
}

/* A run with no cases still gives a valid file. */
static void
an_empty_run_is_still_valid(void **state)
{
	struct parsed ps;
	struct run r;
	char *text;

	memset(&r, 0, sizeof(r));
	snprintf(r.ri.profile, sizeof(r.ri.profile), "default");
	snprintf(r.ri.link, sizeof(r.ri.link), "lo");
	text = format(&r, 0);
	parse(text, &ps);
	assert_true(value_of(&ps, "teardownd_run_cases{" ENV ",verdict=\"pass\"}") == 0);
	free(text);
}

/* Counts the directory's entries besides . and .. */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* The file is replaced whole, readable by node_exporter, nothing left. */
static void
the_file_is_replaced_atomically(void **state)
{
	struct metrics_set set = { 0 };
	struct run_summary sum[3];
	char path[256], *want, got[8192];
	struct stat st;
	struct run r;
	size_t n;
	FILE *f;

	fake_run(&r, sum);
	snprintf(path, sizeof(path), "%s/teardownd.prom", tu_dir);
	tu_write_file(path, "old\n");
	assert_int_equal(metrics_set_put(&set, &r, NULL), 0);
	assert_int_equal(metrics_write(path, &set), 0);
	want = format(&r, 0);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = '\0';
	fclose(f);
	assert_string_equal(got, want);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(entries(tu_dir), 1);
	free(want);
	snprintf(path, sizeof(path), "%s/missing/teardownd.prom", tu_dir);
	assert_int_equal(metrics_write(path, &set), -1);
	metrics_set_free(&set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_textfile_is_strict_exposition_format),
		cmocka_unit_test(an_empty_run_is_still_valid),
		cmocka_unit_test(flaky_and_regressed_scenarios_are_series),
		cmocka_unit_test(the_file_is_replaced_atomically),
		cmocka_unit_test(each_environment_keeps_its_last_run),
		cmocka_unit_test(the_set_outlives_the_catalogue),
	};

	return cmocka_run_group_tests(tests, tu_scratch_setup,
	    tu_scratch_teardown);
}
