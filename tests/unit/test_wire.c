/* test_wire.c: wire patterns. Good patterns compile and bad ones give the
 * exact message naming the word, at its offset; matching is anchored at
 * both ends and handles +, ?, postfix *, alternatives (of sequences) and
 * the any-run '*'; the seed's four cases, as synthetic segment lists, each
 * match their catalogue pattern and none of the others, and the variants
 * of simultaneous-close seen on Linux all match; the verdict fails
 * a case whose observed wire does not match, and never one whose wire was
 * not observed. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "scenario.h"
#include "verdict.h"
#include "wire.h"

#define C	SIDE_CLIENT
#define S	SIDE_SERVER
#define FA	(TCPF_FIN | TCPF_ACK)
#define A	TCPF_ACK
#define PA	(TCPF_PSH | TCPF_ACK)
#define RA	(TCPF_RST | TCPF_ACK)
#define SA	(TCPF_SYN | TCPF_ACK)

/* The catalogue's patterns for the seed's cases (etc/scenarios). */
#define FOUR_WAY	"C>S F. ; S>C . ; S>C F. ; C>S ."
#define THREE_WAY	"C>S F. ; S>C F. ; C>S ."
#define SIMULTANEOUS	"C>S F. ; S>C F. ; C>S . ; S>C ."
#define ABORT		"C>S R."

/* A segment list from (from, flags) pairs; seq, ack, len, win left 0. */
struct segs {
	size_t n;
	struct segment s[32];
};

/* Appends one segment. */
static void
add(struct segs *l, enum side from, uint8_t flags)
{
	memset(&l->s[l->n], 0, sizeof(l->s[0]));
	l->s[l->n].from = from;
	l->s[l->n].flags = flags;
	l->s[l->n].t_us = (int64_t)l->n * 1000;
	l->n++;
}

/* Whether pattern (which must compile) matches all of l. */
static int
matches(const char *pattern, const struct segs *l)
{
	char err[256];
	struct wire *w = wire_compile(pattern, err, sizeof(err), NULL);
	int ok;

	if (w == NULL)
		fail_msg("'%s' did not compile: %s", pattern, err);
	ok = wire_match(w, l->s, l->n);
	wire_free(w);
	return ok;
}

/* Compiles a bad pattern; checks the message and the offset it names. */
static void
bad(const char *pattern, const char *want, size_t want_pos)
{
	char err[256];
	size_t pos = 999;
	struct wire *w = wire_compile(pattern, err, sizeof(err), &pos);

	if (w != NULL)
		fail_msg("'%s' compiled", pattern);
	assert_string_equal(err, want);
	assert_int_equal(pos, want_pos);
}

/* The seed's four-way close, with data before it and its handshake. */
static void
four_way(struct segs *l)
{
	l->n = 0;
	add(l, C, TCPF_SYN);
	add(l, S, SA);
	add(l, C, A);
	add(l, C, PA);
	add(l, S, A);
	add(l, C, FA);
	add(l, S, A);
	add(l, S, FA);
	add(l, C, A);
}

/* The three-way close: S's ACK rides on its FIN. */
static void
three_way(struct segs *l)
{
	l->n = 0;
	add(l, C, PA);
	add(l, S, A);
	add(l, C, FA);
	add(l, S, FA);
	add(l, C, A);
}

/* Builds a list from tokens: "CF" C>S F., "S." S>C ., "CR" C>S R., ... */
static void
tokens(struct segs *l, const char *const *tok)
{
	l->n = 0;
	for (; *tok != NULL; tok++)
		add(l, (*tok)[0] == 'C' ? C : S, (*tok)[1] == 'F' ? FA :
		    (*tok)[1] == 'R' ? RA : A);
}

/* A simultaneous close as Linux 6.18 does it on the relay link: the
 * FINs, held and delivered together, then both ACKs. */
static void
simultaneous(struct segs *l)
{
	static const char *const t[] = { "CF", "SF", "C.", "S.", NULL };

	tokens(l, t);
}

/* The abortive close. */
static void
abort_linger0(struct segs *l)
{
	l->n = 0;
	add(l, C, RA);
}

/* Matches the teardown part of l only, as the verdict does. */
static int
teardown_matches(const char *pattern, const struct segs *l)
{
	struct segs t;
	size_t k = wire_teardown(l->s, l->n);

	t.n = l->n - k;
	memcpy(t.s, l->s + k, t.n * sizeof(t.s[0]));
	return matches(pattern, &t);
}

static void
flags_parse_reads_tcpdump_letters(void **state)
{
	uint8_t f = 0xff;

	assert_int_equal(wire_flags_parse("F.", &f), 0);
	assert_int_equal(f, TCPF_FIN | TCPF_ACK);
	assert_int_equal(wire_flags_parse(".", &f), 0);
	assert_int_equal(f, TCPF_ACK);
	assert_int_equal(wire_flags_parse("R", &f), 0);
	assert_int_equal(f, TCPF_RST);
	assert_int_equal(wire_flags_parse("FP.", &f), 0);
	assert_int_equal(f, TCPF_FIN | TCPF_PSH | TCPF_ACK);
	assert_int_equal(wire_flags_parse("S.EW", &f), 0);
	assert_int_equal(f, TCPF_SYN | TCPF_ACK | TCPF_ECE | TCPF_CWR);
	assert_int_equal(wire_flags_parse("none", &f), 0);
	assert_int_equal(f, 0);
}

static void
flags_parse_refuses_other_orders_and_letters(void **state)
{
	uint8_t f = 0x5a;

	assert_int_equal(wire_flags_parse(".F", &f), -1);
	assert_int_equal(wire_flags_parse("PF.", &f), -1);
	assert_int_equal(wire_flags_parse("FF.", &f), -1);
	assert_int_equal(wire_flags_parse("f.", &f), -1);
	assert_int_equal(wire_flags_parse("", &f), -1);
	assert_int_equal(wire_flags_parse("A", &f), -1);
	assert_int_equal(f, 0x5a);
}

static void
flags_parse_inverts_tcp_flags_format_for_every_byte(void **state)
{
	char buf[TCP_FLAGS_LEN];
	uint8_t f;
	int b;

	for (b = 0; b < 256; b++) {
		tcp_flags_format((uint8_t)b, buf, sizeof(buf));
		assert_int_equal(wire_flags_parse(buf, &f), 0);
		assert_int_equal(f, b);
	}
}

static void
good_patterns_compile(void **state)
{
	static const char *const good[] = {
		FOUR_WAY, THREE_WAY, SIMULTANEOUS, ABORT, "*", "S>C R.",
		"C>S F.;S>C F.;C>S .", "(C>S F. ; S>C . | C>S F.)? ; *",
		"C>S P.+ ; C>S FP.", "(S>C .)* ; S>C F.", "((C>S .))+?",
		"C>S none", "  C>S\tF.  ", "C>S F. | S>C F.",
	};
	char err[256];
	struct wire *w;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if ((w = wire_compile(good[i], err, sizeof(err), NULL)) == NULL)
			fail_msg("'%s': %s", good[i], err);
		wire_free(w);
	}
}

static void
bad_patterns_name_the_word_and_its_offset(void **state)
{
	bad("", "wire: expected a token (like C>S F.), '(' or '*' at the end",
	    0);
	bad("C>X F.", "wire: 'C>X' is not a direction (C>S or S>C)", 0);
	bad("F.", "wire: 'F.' is not a direction (C>S or S>C)", 0);
	bad("C>S F. ; C>S", "wire: 'C>S' needs tcpdump's flags after it, "
	    "like F. or R", 9);
	bad("C>S ; S>C .", "wire: 'C>S' needs tcpdump's flags after it, "
	    "like F. or R", 0);
	bad("C>S .F", "wire: '.F' is not tcpdump's flags (F S R P . U E W in "
	    "that order, '.' is ACK)", 4);
	bad("C>S FIN", "wire: 'FIN' is not tcpdump's flags (F S R P . U E W "
	    "in that order, '.' is ACK)", 4);
	bad("C>S F. S>C .", "wire: missing ';' before 'S>C'", 7);
	bad("C>S F. (S>C .)", "wire: missing ';' before '('", 7);
	bad("C>S F. ;", "wire: expected a token (like C>S F.), '(' or '*' at "
	    "the end", 8);
	bad("C>S F. ; | S>C .", "wire: expected a token (like C>S F.), '(' "
	    "or '*', got '|'", 9);
	bad("+C>S F.", "wire: expected a token (like C>S F.), '(' or '*', "
	    "got '+'", 0);
	bad("()", "wire: expected a token (like C>S F.), '(' or '*', got ')'",
	    1);
	bad("C>S F. ; (C>S F. | S>C F.", "wire: '(' is never closed (missing "
	    "')')", 9);
	bad("C>S F.)", "wire: unexpected ')' (no '(' is open)", 6);
}

static void
matching_is_anchored_at_both_ends(void **state)
{
	struct segs l;

	three_way(&l);
	assert_false(matches("C>S F. ; S>C F.", &l));	/* the data first */
	assert_true(matches("* ; C>S F. ; S>C F. ; C>S .", &l));
	assert_false(matches("* ; C>S F. ; S>C F.", &l));	/* a tail left */
	assert_true(matches("* ; C>S F. ; *", &l));
	l.n = 0;
	assert_true(matches("*", &l));
	assert_true(matches("(C>S .)?", &l));
	assert_false(matches("C>S F.", &l));
}

static void
plus_star_and_optional_count_repetitions(void **state)
{
	struct segs l = { 0 };

	add(&l, C, FA);
	add(&l, C, FA);
	add(&l, C, FA);
	add(&l, S, A);
	assert_true(matches("C>S F.+ ; S>C .", &l));
	assert_true(matches("C>S F.* ; S>C .", &l));
	assert_true(matches("C>S F. ; C>S F.+ ; S>C .?", &l));
	assert_false(matches("C>S F. ; C>S F.? ; S>C .", &l));
	assert_false(matches("C>S F.+", &l));
	assert_false(matches("S>C F.+ ; S>C .", &l));	/* direction counts */
	assert_false(matches("C>S F+ ; S>C .", &l));	/* flags are exact */
}

static void
alternatives_may_be_sequences(void **state)
{
	struct segs l = { 0 };

	add(&l, C, FA);
	add(&l, S, A);
	add(&l, S, FA);
	add(&l, C, A);
	assert_true(matches("C>S F. ; (S>C . ; S>C F. | S>C F.) ; C>S .", &l));
	assert_true(matches(FOUR_WAY " | " THREE_WAY, &l));
	assert_true(matches("(C>S F. | S>C F. | C>S . | S>C .)+", &l));
	assert_false(matches("C>S F. ; (S>C F. | S>C .) ; C>S .", &l));
}

static void
a_long_list_against_nested_repetition_is_linear(void **state)
{
	struct segment *s = calloc(20000, sizeof(*s));
	char err[256];
	struct wire *w;
	size_t i;

	assert_non_null(s);
	for (i = 0; i < 20000; i++)
		s[i].flags = TCPF_ACK;
	w = wire_compile("((C>S .)* ; (C>S .)*)* ; C>S F.", err, sizeof(err),
	    NULL);
	assert_non_null(w);
	assert_false(wire_match(w, s, 20000));
	s[19999].flags = FA;
	assert_true(wire_match(w, s, 20000));
	wire_free(w);
	free(s);
}

static void
teardown_starts_at_the_first_fin_or_rst(void **state)
{
	struct segs l;

	four_way(&l);
	assert_int_equal(wire_teardown(l.s, l.n), 5);
	abort_linger0(&l);
	assert_int_equal(wire_teardown(l.s, l.n), 0);
	l.n = 0;
	add(&l, C, PA);
	add(&l, S, A);
	assert_int_equal(wire_teardown(l.s, l.n), 2);
}

static void
the_seed_cases_each_match_their_own_pattern_only(void **state)
{
	static const char *const pat[] = { FOUR_WAY, THREE_WAY, SIMULTANEOUS,
	    ABORT };
	void (*make[])(struct segs *) = { four_way, three_way, simultaneous,
	    abort_linger0 };
	struct segs l;
	size_t i, j;

	for (i = 0; i < 4; i++) {
		make[i](&l);
		for (j = 0; j < 4; j++)
			if (teardown_matches(pat[j], &l) != (i == j))
				fail_msg("case %zu against '%s': %s", i, pat[j],
				    i == j ? "no match" : "matched");
	}
}

static void
the_patterns_tested_are_the_catalogues(void **state)
{
	static const char *const name[] = { "four-way-close", "three-way-close",
	    "simultaneous-close", "abort-linger0" };
	static const char *const pat[] = { FOUR_WAY, THREE_WAY, SIMULTANEOUS,
	    ABORT };
	struct catalog c = { 0 };
	const struct scenario *sc;
	size_t i;

	assert_int_equal(catalog_load_embedded(&c, stderr), 0);
	for (i = 0; i < 4; i++) {
		assert_non_null(sc = catalog_find(&c, name[i]));
		assert_string_equal(sc->wire, pat[i]);
	}
	catalog_free(&c);
}

static void
simultaneous_close_variants_seen_on_linux_match(void **state)
{
	/* The relay delivers the two FINs, then the two ACKs, together:
	 * the client's first. */
	static const char *const seen[][16] = {
		{ "CF", "SF", "C.", "S." },
	};
	static const char *const not_simultaneous[][10] = {
		{ "CF", "S.", "SF", "C." },			/* four-way */
		{ "CF", "SF", "C." },				/* three-way */
		{ "SF", "CF", "S.", "C." },			/* not the relay's order */
		{ "CF", "SF", "SF", "CF", "C.", "S." },	/* retransmitted */
		{ "CF", "SF", "C.", "S.", "CR" },
	};
	struct segs l;
	size_t i;

	for (i = 0; i < sizeof(seen) / sizeof(seen[0]); i++) {
		tokens(&l, seen[i]);
		if (!matches(SIMULTANEOUS, &l))
			fail_msg("variant %zu did not match", i);
	}
	for (i = 0; i < sizeof(not_simultaneous) / sizeof(not_simultaneous[0]); i++) {
		tokens(&l, not_simultaneous[i]);
		if (matches(SIMULTANEOUS, &l))
			fail_msg("non-simultaneous %zu matched", i);
	}
}

static void
format_writes_tokens_and_cuts_long_lists(void **state)
{
	char buf[64];
	struct segs l;

	four_way(&l);
	assert_int_equal(wire_format(l.s + 5, 4, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "C>S F. ; S>C . ; S>C F. ; C>S .");
	assert_int_equal(wire_format(l.s, 9, buf, 40), 4);
	assert_string_equal(buf, "C>S S ; S>C S. ; C>S . ; C>S P. ; ...");
	assert_int_equal(wire_format(l.s, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

/* A case of a scenario with pattern, its verdict so far v. */
static struct case_result
wire_case(struct scenario *sc, const char *pattern, struct segs *l,
    enum wire_status ws)
{
	struct case_result cr;

	memset(sc, 0, sizeof(*sc));
	snprintf(sc->wire, sizeof(sc->wire), "%s", pattern);
	memset(&cr, 0, sizeof(cr));
	cr.sc = sc;
	cr.verdict = VERDICT_PASS;
	cr.first_fail = -1;
	cr.wire = ws;
	cr.seg = l->s;
	cr.nseg = l->n;
	return cr;
}

static void
verdict_passes_a_matching_wire_and_fails_another(void **state)
{
	struct scenario sc;
	struct case_result cr;
	struct segs l;

	four_way(&l);
	cr = wire_case(&sc, FOUR_WAY, &l, WIRE_OBSERVED);
	verdict_wire(&cr);
	assert_int_equal(cr.verdict, VERDICT_PASS);
	assert_null(cr.msg);

	three_way(&l);
	cr = wire_case(&sc, FOUR_WAY, &l, WIRE_OBSERVED);
	verdict_wire(&cr);
	assert_int_equal(cr.verdict, VERDICT_FAIL);
	assert_int_equal(cr.first_fail, -1);
	assert_string_equal(cr.msg, "wire: expected " FOUR_WAY ", got "
	    "C>S F. ; S>C F. ; C>S .");
	free(cr.msg);

	l.n = 2;				/* data, no FIN */
	cr = wire_case(&sc, ABORT, &l, WIRE_OBSERVED);
	verdict_wire(&cr);
	assert_int_equal(cr.verdict, VERDICT_FAIL);
	assert_string_equal(cr.msg, "wire: expected C>S R., got no FIN or RST");
	free(cr.msg);
}

static void
verdict_keeps_an_earlier_failure(void **state)
{
	struct scenario sc;
	struct case_result cr;
	struct segs l;

	three_way(&l);
	cr = wire_case(&sc, FOUR_WAY, &l, WIRE_OBSERVED);
	cr.verdict = VERDICT_TIMEOUT;
	cr.first_fail = 3;
	case_msg(&cr, "line 9: wait state: timed out");
	verdict_wire(&cr);
	assert_int_equal(cr.verdict, VERDICT_TIMEOUT);
	assert_int_equal(cr.first_fail, 3);
	assert_string_equal(cr.msg, "line 9: wait state: timed out");
	free(cr.msg);
}

static void
verdict_never_fails_a_wire_not_observed_but_says_so(void **state)
{
	struct scenario sc;
	struct case_result cr;
	struct segs l;

	l.n = 0;
	cr = wire_case(&sc, FOUR_WAY, &l, WIRE_NOT_OBSERVED);
	verdict_wire(&cr);
	assert_int_equal(cr.verdict, VERDICT_PASS);
	assert_string_equal(cr.msg, "wire not checked: not observed");
	free(cr.msg);

	cr = wire_case(&sc, "", &l, WIRE_NOT_OBSERVED);	/* no pattern */
	verdict_wire(&cr);
	assert_int_equal(cr.verdict, VERDICT_PASS);
	assert_null(cr.msg);
}

static void
verdict_cuts_a_long_wire_to_the_message(void **state)
{
	struct scenario sc;
	struct case_result cr;
	struct segs l = { 0 };
	size_t i;

	for (i = 0; i < 32; i++)
		add(&l, i % 2 ? S : C, i ? A : FA);
	cr = wire_case(&sc, THREE_WAY, &l, WIRE_OBSERVED);
	verdict_wire(&cr);
	assert_int_equal(cr.verdict, VERDICT_FAIL);
	assert_true(strlen(cr.msg) < 256);	/* verdict_wire's bound */
	assert_memory_equal(cr.msg, "wire: expected " THREE_WAY ", got C>S F. ;",
	    strlen("wire: expected " THREE_WAY ", got C>S F. ;"));
	assert_string_equal(cr.msg + strlen(cr.msg) - 3, "...");
	free(cr.msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flags_parse_reads_tcpdump_letters),
		cmocka_unit_test(flags_parse_refuses_other_orders_and_letters),
		cmocka_unit_test(flags_parse_inverts_tcp_flags_format_for_every_byte),
		cmocka_unit_test(good_patterns_compile),
		cmocka_unit_test(bad_patterns_name_the_word_and_its_offset),
		cmocka_unit_test(matching_is_anchored_at_both_ends),
		cmocka_unit_test(plus_star_and_optional_count_repetitions),
		cmocka_unit_test(alternatives_may_be_sequences),
		cmocka_unit_test(a_long_list_against_nested_repetition_is_linear),
		cmocka_unit_test(teardown_starts_at_the_first_fin_or_rst),
		cmocka_unit_test(the_seed_cases_each_match_their_own_pattern_only),
		cmocka_unit_test(the_patterns_tested_are_the_catalogues),
		cmocka_unit_test(simultaneous_close_variants_seen_on_linux_match),
		cmocka_unit_test(format_writes_tokens_and_cuts_long_lists),
		cmocka_unit_test(verdict_passes_a_matching_wire_and_fails_another),
		cmocka_unit_test(verdict_keeps_an_earlier_failure),
		cmocka_unit_test(verdict_never_fails_a_wire_not_observed_but_says_so),
		cmocka_unit_test(verdict_cuts_a_long_wire_to_the_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
