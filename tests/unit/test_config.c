/* test_config.c: teardownd.ini is read strictly over the defaults, relative
 * paths follow the file, every error is "file:line: message"; and the value
 * helpers of parse.c accept exactly the words they document. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "config.h"
#include "parse.h"
#include "plan.h"

#define US(s) ((int64_t)(s) * 1000000)

/* Writes text to tu_dir/name; path gets the file's path. */
static void
write_conf(const char *name, const char *text, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", tu_dir, name);
	tu_write_file(path, text);
}

/* Loads path into cf; *errs gets what was reported. */
static int
load(struct config *cf, const char *path, char **errs)
{
	size_t len;
	FILE *f;
	int n;

	*errs = NULL;
	f = open_memstream(errs, &len);
	assert_non_null(f);
	n = config_load(cf, path, f);
	fclose(f);
	return n;
}

/* The defaults are the documented ones. */
static void
defaults_are_the_documented_ones(void **state)
{
	struct config cf;

	config_defaults(&cf);
	assert_string_equal(cf.file, "");
	assert_string_equal(cf.database, "./teardownd.db");
	assert_string_equal(cf.scenarios, "");
	assert_int_equal(cf.families, 1u << FAM_IPV4 | 1u << FAM_IPV6);
	assert_int_equal(cf.repeat, 1);
	assert_int_equal(cf.concurrency, 0);
	assert_int_equal(cf.case_timeout_us, US(30));
	assert_int_equal(cf.interval_us, US(6 * 3600));
	assert_string_equal(cf.prometheus_textfile, "");
	assert_true(cf.hash == parse_fnv1a(PARSE_FNV_INIT, "", 0));
}

/* The shipped etc/teardownd.ini parses cleanly and means the defaults. */
static void
the_shipped_file_equals_the_defaults(void **state)
{
	struct config cf, def;
	char *errs;

	config_defaults(&def);
	assert_int_equal(load(&cf, "etc/teardownd.ini", &errs), 0);
	assert_string_equal(errs, "");
	assert_string_equal(cf.file, "etc/teardownd.ini");
	assert_string_equal(cf.database, def.database);
	assert_string_equal(cf.scenarios, def.scenarios);
	assert_int_equal(cf.families, def.families);
	assert_int_equal(cf.repeat, def.repeat);
	assert_int_equal(cf.concurrency, def.concurrency);
	assert_int_equal(cf.case_timeout_us, def.case_timeout_us);
	assert_int_equal(cf.interval_us, def.interval_us);
	assert_string_equal(cf.prometheus_textfile, def.prometheus_textfile);
	assert_true(cf.hash != def.hash);	/* hash of the file's bytes */
	free(errs);
}

/* Every key is read; relative paths are taken from the file's directory. */
static void
every_key_is_read(void **state)
{
	struct config cf;
	char path[256], want[256], *errs;

	write_conf("all.ini",
	    "; a full configuration\n"
	    "[teardownd]\n"
	    "database     = td.db   # relative\n"
	    "scenarios    = /etc/teardownd/scenarios.d\n"
	    "families     = ipv6\n"
	    "repeat       = 10000\n"
	    "concurrency  = 4096\n"
	    "case_timeout = 1.5s\n"
	    "interval     = 30d\n"
	    "isolation    = host\n"
	    "link         = relay\n"
	    "prometheus_textfile = prom/teardownd.prom\n", path, sizeof(path));
	assert_int_equal(load(&cf, path, &errs), 0);
	assert_string_equal(errs, "");
	assert_string_equal(cf.file, path);
	snprintf(want, sizeof(want), "%s/td.db", tu_dir);
	assert_string_equal(cf.database, want);
	assert_string_equal(cf.scenarios, "/etc/teardownd/scenarios.d");
	assert_int_equal(cf.families, 1u << FAM_IPV6);
	assert_int_equal(cf.repeat, 10000);
	assert_int_equal(cf.concurrency, 4096);
	assert_int_equal(cf.case_timeout_us, 1500000);
	assert_int_equal(cf.interval_us, US(30 * 86400));
	assert_int_equal(cf.isolation, ISOLATE_HOST);
	assert_int_equal(cf.link, LINK_RELAY);
	snprintf(want, sizeof(want), "%s/prom/teardownd.prom", tu_dir);
	assert_string_equal(cf.prometheus_textfile, want);
	free(errs);
}

/* Families take blanks or commas; an empty scenarios means none. */
static void
families_and_empty_scenarios(void **state)
{
	struct config cf;
	char path[256], *errs;

	write_conf("fam.ini", "[teardownd]\nfamilies = ipv6,ipv4\n"
	    "scenarios =\n", path, sizeof(path));
	assert_int_equal(load(&cf, path, &errs), 0);
	assert_int_equal(cf.families, 1u << FAM_IPV4 | 1u << FAM_IPV6);
	assert_string_equal(cf.scenarios, "");
	free(errs);
}

/* A file named without a directory keeps relative paths as written. */
static void
a_file_in_the_working_directory_keeps_paths(void **state)
{
	struct config cf;
	char path[256], cwd[4096], *errs;

	write_conf("here.ini", "[teardownd]\ndatabase = db/x.db\n"
	    "scenarios = mine\n", path, sizeof(path));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tu_dir), 0);
	assert_int_equal(load(&cf, "here.ini", &errs), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(cf.database, "db/x.db");
	assert_string_equal(cf.scenarios, "mine");
	free(errs);
}

/* One broken configuration and what it must print (after "path:"). */
struct bad {
	const char *text;
	const char *errs;
};

static const struct bad bad_confs[] = {
	{ "[teardownd]\nrepeat = 0\n",
	    "2: '0' is out of range for repeat (1..10000)\n" },
	{ "[teardownd]\nrepeat = two\n",
	    "2: repeat needs a whole number, got 'two'\n" },
	{ "[teardownd]\nconcurrency = 1000001\n",
	    "2: '1000001' is out of range for concurrency (0..1000000)\n" },
	{ "[teardownd]\ncase_timeout = 30\n",
	    "2: case_timeout needs a duration with a unit (250us, 100ms, 1.5s, "
	    "2m, 6h, 1d), got '30'\n" },
	{ "[teardownd]\ncase_timeout = 500ms\n",
	    "2: '500ms' is out of range for case_timeout (1s..10m)\n" },
	{ "[teardownd]\ninterval = 31d\n",
	    "2: '31d' is out of range for interval (1m..30d)\n" },
	{ "[teardownd]\nfamilies = ipv4 ipx\n",
	    "2: 'ipx' is not an address family (ipv4, ipv6, all)\n" },
	{ "[teardownd]\nfamilies = ,\n", "2: families needs ipv4, ipv6, both or all\n" },
	{ "[teardownd]\ndatabase =\n", "2: database needs a path\n" },
	{ "[teardownd]\nrepat = 2\n",
	    "2: unknown key 'repat' (database, scenarios, families, repeat, "
	    "concurrency, case_timeout, interval, isolation, link, "
	    "links, profiles, prometheus_textfile)\n" },
	{ "[teardownd]\nrepeat = 2\nrepeat = 3\n",
	    "3: duplicate key 'repeat' (first at line 2)\n" },
	{ "[daemon]\nrepeat = 2\n",
	    "1: unknown section '[daemon]' ([teardownd], [profile NAME])\n" },
	{ "[teardownd]\n[teardownd]\n",
	    "2: duplicate section '[teardownd]' (first at line 1)\n" },
	{ "repeat = 2\n", "1: 'repeat' is outside any [section]\n" },
	{ "[teardownd]\nrepeat 2\n", "2: expected 'key = value', got 'repeat 2'\n" },
	{ "[teardownd\n", "1: section header '[teardownd' lacks ']'\n" },
	{ "[teardownd]\nrepeat = 2\n  3\n",
	    "3: unexpected '3': repeat takes one line\n" },
};

/* Each class of broken configuration gives its exact message and line. */
static void
each_broken_configuration_gives_its_message(void **state)
{
	size_t i, n = sizeof(bad_confs) / sizeof(bad_confs[0]);
	char path[256], want[512], *errs;
	struct config cf;

	for (i = 0; i < n; i++) {
		print_message("case %zu: %s", i, bad_confs[i].errs);
		write_conf("bad.ini", bad_confs[i].text, path, sizeof(path));
		assert_int_equal(load(&cf, path, &errs), 1);
		snprintf(want, sizeof(want), "%s:%s", path, bad_confs[i].errs);
		assert_string_equal(errs, want);
		free(errs);
	}
}

/* All errors of a file are reported, in line order. */
static void
all_errors_of_a_file_are_reported(void **state)
{
	char path[256], want[2048], *errs;
	struct config cf;

	write_conf("many.ini", "[teardownd]\nrepeat = 0\nfamilies = ipv5\n"
	    "colour = blue\ninterval = 1s\n[extra]\nwhatever = 1\n",
	    path, sizeof(path));
	assert_int_equal(load(&cf, path, &errs), 5);
	snprintf(want, sizeof(want),
	    "%1$s:2: '0' is out of range for repeat (1..10000)\n"
	    "%1$s:3: 'ipv5' is not an address family (ipv4, ipv6, all)\n"
	    "%1$s:4: unknown key 'colour' (database, scenarios, families, "
	    "repeat, concurrency, case_timeout, interval, isolation, link, "
	    "links, profiles, prometheus_textfile)\n"
	    "%1$s:5: '1s' is out of range for interval (1m..30d)\n"
	    "%1$s:6: unknown section '[extra]' ([teardownd], [profile NAME])\n", path);
	assert_string_equal(errs, want);
	free(errs);
}

/* A file that cannot be read is one error "path: reason". */
static void
an_unreadable_file_is_one_error(void **state)
{
	struct config cf;
	char *errs;

	assert_int_equal(load(&cf, "/nonexistent/teardownd.ini", &errs), 1);
	assert_string_equal(errs,
	    "/nonexistent/teardownd.ini: No such file or directory\n");
	free(errs);
	assert_int_equal(load(&cf, tu_dir, &errs), 1);
	assert_non_null(strstr(errs, ": Is a directory\n"));
	free(errs);
}

/* parse_long takes the whole word as a number, in range. */
static void
whole_numbers_are_strict(void **state)
{
	long v = 7;

	assert_int_equal(parse_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_long("-1", -1, 1, &v), 0);
	assert_int_equal(v, -1);
	assert_int_equal(parse_long("-2", -1, 1, &v), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(parse_long("99999999999999999999", LONG_MIN, LONG_MAX,
	    &v), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(v, -1);
	const char *junk[] = { "", "x", "4x", " 4", "4 ", "+4", "0x4", "-",
	    "1e3", "4.0" };
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		assert_int_equal(parse_long(junk[i], LONG_MIN, LONG_MAX, &v), -1);
		assert_int_equal(errno, EINVAL);
	}
}

/* Durations need a unit, take one fraction, and end up in microseconds. */
static void
durations_need_a_unit(void **state)
{
	static const struct { const char *w; int64_t us; } ok[] = {
		{ "250us", 250 }, { "100ms", 100000 }, { "1s", 1000000 },
		{ "1.5s", 1500000 }, { "2m", 120000000 }, { "0.5ms", 500 },
		{ "6h", US(6 * 3600) }, { "30d", US(30 * 86400) }, { "0s", 0 },
		{ "1.000001s", 1000001 },
	};
	static const char *const bad[] = { "", "1", "s", "1.s", ".5s", "1.5us",
	    "1sec", "1 s", "-1s", "1S", "1.0000001s", "1e3ms", "1ms ", "1h30m" };
	int64_t us;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		print_message("%s\n", ok[i].w);
		assert_int_equal(parse_duration(ok[i].w, 0, INT64_MAX, &us), 0);
		assert_int_equal(us, ok[i].us);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("'%s'\n", bad[i]);
		assert_int_equal(parse_duration(bad[i], 0, INT64_MAX, &us), -1);
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(parse_duration("11m", 0, US(600), &us), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(parse_duration("999ms", US(1), US(600), &us), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(parse_duration("99999999999999999999d", 0, INT64_MAX,
	    &us), -1);
	assert_int_equal(errno, ERANGE);
}

/* Durations print in the largest exact unit. */
static void
durations_print_in_their_largest_unit(void **state)
{
	char buf[32];

	parse_format_duration(0, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
	parse_format_duration(1000, buf, sizeof(buf));
	assert_string_equal(buf, "1ms");
	parse_format_duration(1500000, buf, sizeof(buf));
	assert_string_equal(buf, "1500ms");
	parse_format_duration(US(600), buf, sizeof(buf));
	assert_string_equal(buf, "10m");
	parse_format_duration(US(30 * 86400), buf, sizeof(buf));
	assert_string_equal(buf, "30d");
	parse_format_duration(1, buf, sizeof(buf));
	assert_string_equal(buf, "1us");
}

/* on/off and word splitting. */
static void
on_off_and_words(void **state)
{
	char line[] = "  client\twait  state TIME_WAIT within 1s  ";
	char *w[4];
	int v;

	assert_int_equal(parse_onoff("on", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(parse_onoff("off", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_onoff("yes", &v), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(parse_words(line, w, 4), 6);
	assert_string_equal(w[0], "client");
	assert_string_equal(w[1], "wait");
	assert_string_equal(w[2], "state");
	assert_string_equal(w[3], "TIME_WAIT");
	line[0] = '\0';
	assert_int_equal(parse_words(line, w, 4), 0);
}

/* Profiles and links: defined, chosen, and the plan built of them: an
 * environment per profile and link; a scenario with its own link runs in
 * the first link's only; a profile's sysctls go to both ends, a
 * scenario's own win. */
static void
profiles_and_links_make_the_plan(void **state)
{
	char path[256], *errs;
	struct setup s;
	const struct scenario *lo, *relay;
	size_t i;

	memset(&s, 0, sizeof(s));
	write_conf("env.ini", "[teardownd]\nprofiles = default, mine, rfc1337\n"
	    "links = lo, veth\n[profile mine]\nnet.ipv4.tcp_fin_timeout = 5\n"
	    "net.ipv4.tcp_rmem = 4096 131072 6291456\n", path, sizeof(path));
	assert_int_equal(load(&s.cf, path, &errs), 0);
	free(errs);
	assert_int_equal(s.cf.nuse, 3);
	assert_string_equal(s.cf.profiles[s.cf.use[0]].name, "default");
	assert_string_equal(s.cf.profiles[s.cf.use[1]].name, "mine");
	assert_int_equal(s.cf.profiles[s.cf.use[1]].nsysctl, 2);
	assert_string_equal(s.cf.profiles[s.cf.use[2]].sysctl[0].name,
	    "net.ipv4.tcp_rfc1337");
	assert_int_equal(s.cf.nlinks, 2);
	assert_int_equal(s.cf.link, LINK_LO);
	assert_int_equal(s.cf.links[1], LINK_VETH);

	write_conf("two.ini", "[on-lo]\nsummary = x\nsteps = client close\n"
	    "[on-relay]\nsummary = y\nlink = relay\n"
	    "sysctl = client net.ipv4.tcp_fin_timeout 30\nsteps = client close\n",
	    path, sizeof(path));
	assert_int_equal(catalog_load_path(&s.cat, path, stderr), 0);
	s.sc = calloc(s.cat.n, sizeof(*s.sc));
	assert_non_null(s.sc);
	for (i = 0; i < s.cat.n; i++)
		s.sc[s.nsc++] = &s.cat.sc[i];
	assert_int_equal(plan_build(&s), 0);
	assert_int_equal(s.plan.nenv, 6);
	assert_int_equal(s.plan.env[0].nsc, 2);		/* default/lo */
	assert_ptr_equal(s.plan.env[0].sc[0], &s.cat.sc[0]);
	assert_int_equal(s.plan.env[1].nsc, 1);		/* default/veth */
	assert_int_equal(s.plan.env[1].link, LINK_VETH);
	assert_ptr_equal(s.plan.env[1].sc[0], &s.cat.sc[0]);
	assert_int_equal(s.plan.env[2].nsc, 2);		/* mine/lo: copies */
	lo = s.plan.env[2].sc[0];
	relay = s.plan.env[2].sc[1];
	assert_ptr_not_equal(lo, &s.cat.sc[0]);
	assert_ptr_equal(lo->steps, s.cat.sc[0].steps);
	assert_int_equal(lo->nsysctl, 4);
	assert_string_equal(scenario_netkey(lo), "client net.ipv4.tcp_fin_timeout=5; "
	    "client net.ipv4.tcp_rmem=4096 131072 6291456; "
	    "server net.ipv4.tcp_fin_timeout=5; "
	    "server net.ipv4.tcp_rmem=4096 131072 6291456");
	assert_true(scenario_on_link(lo, LINK_LO));
	assert_string_equal(scenario_netkey(relay), "client net.ipv4.tcp_fin_timeout=30; "
	    "client net.ipv4.tcp_rmem=4096 131072 6291456; "
	    "server net.ipv4.tcp_fin_timeout=5; "
	    "server net.ipv4.tcp_rmem=4096 131072 6291456");
	assert_ptr_equal(s.plan.env[3].sc[0], lo);	/* mine/veth */
	assert_int_equal(s.plan.env[3].nsc, 1);
	assert_string_equal(plan_profile(&s, 4)->name, "rfc1337");
	assert_false(scenario_on_link(&s.cat.sc[0], LINK_LO));
	setup_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_the_documented_ones),
		cmocka_unit_test(the_shipped_file_equals_the_defaults),
		cmocka_unit_test(every_key_is_read),
		cmocka_unit_test(families_and_empty_scenarios),
		cmocka_unit_test(a_file_in_the_working_directory_keeps_paths),
		cmocka_unit_test(each_broken_configuration_gives_its_message),
		cmocka_unit_test(all_errors_of_a_file_are_reported),
		cmocka_unit_test(an_unreadable_file_is_one_error),
		cmocka_unit_test(whole_numbers_are_strict),
		cmocka_unit_test(durations_need_a_unit),
		cmocka_unit_test(durations_print_in_their_largest_unit),
		cmocka_unit_test(on_off_and_words),
		cmocka_unit_test(profiles_and_links_make_the_plan),
	};

	return cmocka_run_group_tests(tests, tu_scratch_setup,
	    tu_scratch_teardown);
}
