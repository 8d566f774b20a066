/* test_export.c: what teardownctl export and matrix write, from hand-made
 * rows. The escaping helpers (XML text and attributes, YAML strings, CSV
 * fields, JSON strings) with every character that matters and invalid
 * UTF-8; JUnit and TAP grouping repetitions into one test per scenario and
 * family; the matrix laying kernel releases out in version order. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "matrix.h"
#include "report.h"
#include "store.h"

/* Output captured in memory: open with cap_open, read with cap_text. */
struct cap {
	char *buf;
	size_t len;
	FILE *fp;
};

/* Starts capturing output in c. */
static void
cap_open(struct cap *c)
{
	memset(c, 0, sizeof(*c));
	c->fp = open_memstream(&c->buf, &c->len);
	assert_non_null(c->fp);
}

/* Closes the stream; the text stays until cap_free. */
static const char *
cap_text(struct cap *c)
{
	if (c->fp != NULL)
		fclose(c->fp);
	c->fp = NULL;
	return c->buf;
}

/* Ends the capture and frees its text. */
static void
cap_free(struct cap *c)
{
	cap_text(c);
	free(c->buf);
}

/* export_xml(s, attr) as a string (static buffer). */
static const char *
xml(const char *s, int attr)
{
	static char out[256];
	struct cap c;

	cap_open(&c);
	export_xml(c.fp, s, attr);
	snprintf(out, sizeof(out), "%s", cap_text(&c));
	cap_free(&c);
	return out;
}

/* export_yaml(s) as a string (static buffer). */
static const char *
yaml(const char *s)
{
	static char out[256];
	struct cap c;

	cap_open(&c);
	export_yaml(c.fp, s);
	snprintf(out, sizeof(out), "%s", cap_text(&c));
	cap_free(&c);
	return out;
}

/* report_csv_field(s) as a string (static buffer). */
static const char *
csv(const char *s)
{
	static char out[256];
	struct cap c;

	cap_open(&c);
	report_csv_field(c.fp, s);
	snprintf(out, sizeof(out), "%s", cap_text(&c));
	cap_free(&c);
	return out;
}

/* A report with columns names[0..ncols-1] and rows of texts; a text NULL
 * is SQL NULL, one made of digits an integer. */
static struct report *
make_report(int ncols, const char *const *names, size_t nrows,
    const char *const *cells)
{
	struct store_value v[32];
	struct report *r = report_new();
	size_t i;
	int c;

	assert_non_null(r);
	assert_int_equal(report_collect(r, ncols, names, NULL), 0);
	for (i = 0; i < nrows; i++) {
		for (c = 0; c < ncols; c++) {
			const char *t = cells[i * (size_t)ncols + c];

			v[c].text = t;
			v[c].type = t == NULL ? STORE_NULL :
			    t[strspn(t, "0123456789")] == '\0' ? STORE_INT :
			    STORE_TEXT;
		}
		assert_int_equal(report_collect(r, ncols, names, v), 0);
	}
	return r;
}

static void
xml_text_escapes_markup_and_keeps_utf8(void **state)
{
	assert_string_equal(xml("a<b>&c", 0), "a&lt;b&gt;&amp;c");
	assert_string_equal(xml("say \"hi\" 'x'", 0), "say \"hi\" 'x'");
	assert_string_equal(xml("]]>", 0), "]]&gt;");
	assert_string_equal(xml("tab\tnl\ncr\r", 0), "tab\tnl\ncr\r");
	assert_string_equal(xml("caf\xc3\xa9 \xe2\x86\x92", 0),
	    "caf\xc3\xa9 \xe2\x86\x92");
}

static void
xml_attribute_escapes_quotes_and_keeps_whitespace_as_references(void **state)
{
	assert_string_equal(xml("a\"b'c<&>", 1),
	    "a&quot;b&apos;c&lt;&amp;&gt;");
	assert_string_equal(xml("l1\nl2\tx\r", 1), "l1&#10;l2&#9;x&#13;");
}

static void
xml_replaces_what_xml_1_0_cannot_hold(void **state)
{
	/* Control characters, invalid UTF-8, a surrogate, U+FFFE. */
	assert_string_equal(xml("a\x01" "b\x1b", 0),
	    "a\xef\xbf\xbd" "b\xef\xbf\xbd");
	assert_string_equal(xml("\xff\xc3", 1), "\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(xml("\xed\xa0\x80", 0),
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(xml("\xef\xbf\xbe", 0), "\xef\xbf\xbd");
}

static void
yaml_quotes_and_escapes_as_hex(void **state)
{
	assert_string_equal(yaml("plain: text # not a comment"),
	    "\"plain: text # not a comment\"");
	assert_string_equal(yaml("q\"b\\"), "\"q\\x22b\\x5c\"");
	assert_string_equal(yaml("a\nb\tc\x7f"), "\"a\\x0ab\\x09c\\x7f\"");
	assert_string_equal(yaml("\xc3\xa9\xff"), "\"\xc3\xa9\xef\xbf\xbd\"");
	assert_string_equal(yaml(""), "\"\"");
}

static void
csv_quotes_only_fields_that_need_it(void **state)
{
	assert_string_equal(csv("plain text"), "plain text");
	assert_string_equal(csv("a,b"), "\"a,b\"");
	assert_string_equal(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
	assert_string_equal(csv("l1\nl2"), "\"l1\nl2\"");
	assert_string_equal(csv("cr\r"), "\"cr\r\"");
	assert_string_equal(csv(""), "");
	assert_string_equal(csv("bad\xff"), "bad\xef\xbf\xbd");
}

static void
csv_has_a_header_crlf_records_and_empty_nulls(void **state)
{
	static const char *const names[] = { "id", "host", "note" };
	static const char *const cells[] = {
		"1", "a,b", NULL,
		"2", "plain", "two\nlines",
	};
	struct report *r = make_report(3, names, 2, cells);
	struct cap c;

	cap_open(&c);
	report_csv(r, c.fp);
	assert_string_equal(cap_text(&c), "id,host,note\r\n"
	    "1,\"a,b\",\r\n"
	    "2,plain,\"two\nlines\"\r\n");
	cap_free(&c);
	report_free(r);
}

static void
json_lines_are_one_escaped_object_per_row(void **state)
{
	static const char *const names[] = { "n", "s", "x" };
	static const char *const cells[] = {
		"7", "q\"\\\n\t\x01", NULL,
		"8", "\xc3\xa9\xff", "<&>",
	};
	struct report *r = make_report(3, names, 2, cells);
	struct cap c;

	cap_open(&c);
	report_json_lines(r, "k", c.fp);
	assert_string_equal(cap_text(&c),
	    "{\"schema_version\": 1, \"kind\": \"k\", \"n\": 7, "
	    "\"s\": \"q\\\"\\\\\\n\\t\\u0001\", \"x\": null}\n"
	    "{\"schema_version\": 1, \"kind\": \"k\", \"n\": 8, "
	    "\"s\": \"\xc3\xa9\\ufffd\", \"x\": \"<&>\"}\n");
	cap_free(&c);
	report_free(r);
}

/* The columns of the export query that JUnit and TAP read. */
static const char *const case_cols[] = { "case_id", "scenario", "family",
    "rep", "verdict", "duration_us", "failure", "fail_idx", "fail_status",
    "fail_step", "fail_client_state", "fail_server_state", "message" };
#define NCASE_COLS	13

/* Three tests: a (2 reps, one failed), b (passed), c (an error). */
static const char *const case_cells[] = {
	"1", "a", "ipv4", "0", "pass", "1000", NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL,
	"2", "a", "ipv4", "1", "fail", "2000", "line 4: client wait state X: "
	    "<timeout> & \"more\"", "3", "timeout", "wait state X",
	    "FIN_WAIT2", "CLOSE_WAIT", "line 4: <timeout>",
	"3", "b", "ipv4", "0", "pass", "500", NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL,
	"4", "c", "ipv6", "0", "error", "10", NULL, NULL, NULL, NULL, NULL,
	    NULL, "socket: EMFILE",
};

static const char *const run_cols[] = { "run_id", "host", "kernel_release",
    "started_at", "duration_us" };
static const char *const run_cells[] = { "5", "h<1>", "6.1.0-18-amd64",
    "2025-01-31T12:00:00.123456Z", "250000" };

/* Writes the three tests through fn into a string the caller frees. */
static char *
export_with(int (*fn)(const struct export_run *, FILE *))
{
	struct report *run = make_report(5, run_cols, 1, run_cells);
	struct report *cases = make_report(NCASE_COLS, case_cols, 4, case_cells);
	struct export_run er = { .run = run, .sysctls = NULL, .cases = cases };
	struct cap c;
	char *text;

	cap_open(&c);
	assert_int_equal(fn(&er, c.fp), 0);
	text = strdup(cap_text(&c));
	cap_free(&c);
	report_free(run);
	report_free(cases);
	return text;
}

static void
junit_groups_repetitions_into_one_testcase_per_scenario_and_family(void **state)
{
	char *x = export_with(export_junit);

	assert_non_null(strstr(x, "<testsuite name=\"teardownd\" tests=\"3\""
	    " failures=\"1\" errors=\"1\" skipped=\"0\" time=\"0.250\""
	    " timestamp=\"2025-01-31T12:00:00\" hostname=\"h&lt;1&gt;\""));
	assert_non_null(strstr(x, "<property name=\"kernel_release\""
	    " value=\"6.1.0-18-amd64\"/>"));
	/* a: failed in rep 1; its time is both reps'. */
	assert_non_null(strstr(x, "<testcase classname=\"teardownd\""
	    " name=\"a/ipv4\" time=\"0.003\" assertions=\"2\">\n"
	    "      <failure message=\"line 4: client wait state X: &lt;timeout&gt;"
	    " &amp; &quot;more&quot;\" type=\"fail\">rep 1, case c2: fail\n"
	    "  line 4: client wait state X: &lt;timeout&gt; &amp; \"more\"\n"
	    "  step #3: status timeout, rc -, errno -; client FIN_WAIT2,"
	    " server CLOSE_WAIT\n</failure>"));
	assert_non_null(strstr(x, "<testcase classname=\"teardownd\""
	    " name=\"b/ipv4\" time=\"0.001\" assertions=\"1\"/>"));
	assert_non_null(strstr(x, "<error message=\"socket: EMFILE\""
	    " type=\"error\">rep 0, case c4: error\n  -\n</error>"));
	free(x);
}

static void
tap_has_a_plan_a_line_per_test_and_yaml_for_failures(void **state)
{
	char *t = export_with(export_tap);

	assert_non_null(strstr(t, "TAP version 13\n1..3\n# teardownd run 5, "
	    "host h<1>, kernel 6.1.0-18-amd64, started 2025-01-31T12:00:00."
	    "123456Z\n"));
	assert_non_null(strstr(t, "\nnot ok 1 - a ipv4\n  ---\n"
	    "  message: \"line 4: client wait state X: <timeout> & \\x22more"
	    "\\x22\"\n  severity: \"fail\"\n  repetitions: 2\n  passed: 1\n"));
	assert_non_null(strstr(t, "  failures:\n    - rep: 1\n      case: c2\n"
	    "      verdict: \"fail\"\n"));
	assert_non_null(strstr(t, "\nok 2 - b ipv4\nnot ok 3 - c ipv6\n"));
	assert_non_null(strstr(t, "  severity: \"error\"\n"));
	free(t);
}

static void
tap_of_a_run_without_cases_skips_all(void **state)
{
	struct report *run = make_report(5, run_cols, 1, run_cells);
	struct report *cases = make_report(NCASE_COLS, case_cols, 0, NULL);
	struct export_run er = { .run = run, .cases = cases };
	struct cap c;

	cap_open(&c);
	assert_int_equal(export_tap(&er, c.fp), 0);
	assert_non_null(strstr(cap_text(&c), "TAP version 13\n1..0 # SKIP"));
	cap_free(&c);
	report_free(run);
	report_free(cases);
}

static void
matrix_puts_kernels_in_version_order_and_rows_by_scenario(void **state)
{
	static const char *const names[] = { "host", "scenario", "environment",
	    "verdict", "n_cases", "n_pass" };
	static const char *const cells[] = {
		"h1", "a", "6.10.2", "pass", "2", "2",
		"h2", "a", "6.9.1", "flaky", "4", "3",
		"h1", "b", "6.10.2", "fail", "2", "0",
	};
	struct report *q = make_report(6, names, 3, cells);
	struct report *m = matrix_pivot(q, 0);
	struct cap c;

	assert_non_null(m);
	assert_int_equal(report_ncols(m), 3);
	assert_string_equal(report_name(m, 1), "6.9.1");
	assert_string_equal(report_name(m, 2), "6.10.2");
	assert_int_equal(report_nrows(m), 2);
	assert_string_equal(report_text(m, 0, 1), "flaky 3/4");
	assert_string_equal(report_text(m, 0, 2), "pass 2/2");
	assert_null(report_text(m, 1, 1));	/* b never ran on 6.9.1 */
	assert_string_equal(report_text(m, 1, 2), "fail 0/2");
	cap_open(&c);
	report_table(m, c.fp);
	assert_string_equal(cap_text(&c),
	    "scenario  6.9.1      6.10.2\n"
	    "a         flaky 3/4  pass 2/2\n"
	    "b         -          fail 0/2\n");
	cap_free(&c);
	report_free(m);
	report_free(q);
}

static void
matrix_by_host_keys_rows_by_host_and_scenario(void **state)
{
	static const char *const names[] = { "host", "scenario", "environment",
	    "verdict", "n_cases", "n_pass" };
	static const char *const cells[] = {
		"h1", "a", "6.1.0", "pass", "2", "2",
		"h2", "a", "6.1.0", "fail", "2", "0",
	};
	struct report *q = make_report(6, names, 2, cells);
	struct report *m = matrix_pivot(q, 1);

	assert_non_null(m);
	assert_int_equal(report_ncols(m), 3);
	assert_string_equal(report_name(m, 0), "host");
	assert_int_equal(report_nrows(m), 2);
	assert_string_equal(report_text(m, 1, 0), "h2");
	assert_string_equal(report_text(m, 1, 2), "fail 0/2");
	report_free(m);
	report_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(xml_text_escapes_markup_and_keeps_utf8),
		cmocka_unit_test(xml_attribute_escapes_quotes_and_keeps_whitespace_as_references),
		cmocka_unit_test(xml_replaces_what_xml_1_0_cannot_hold),
		cmocka_unit_test(yaml_quotes_and_escapes_as_hex),
		cmocka_unit_test(csv_quotes_only_fields_that_need_it),
		cmocka_unit_test(csv_has_a_header_crlf_records_and_empty_nulls),
		cmocka_unit_test(json_lines_are_one_escaped_object_per_row),
		cmocka_unit_test(junit_groups_repetitions_into_one_testcase_per_scenario_and_family),
		cmocka_unit_test(tap_has_a_plan_a_line_per_test_and_yaml_for_failures),
		cmocka_unit_test(tap_of_a_run_without_cases_skips_all),
		cmocka_unit_test(matrix_puts_kernels_in_version_order_and_rows_by_scenario),
		cmocka_unit_test(matrix_by_host_keys_rows_by_host_and_scenario),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
