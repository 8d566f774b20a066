/* test_ladder.c: ladder diagrams without a database. A synthetic four-way
 * close renders to the exact text below (arrows in time order, states
 * beside their bars, states seen together on one row); only state changes
 * are kept; lines fit a terminal, a long message wrapped; a case whose
 * wire was not observed shows its states and says so; with traced
 * transitions, states are written at their moment, and what a step saw
 * adds only the TIME_WAIT mini-socket and its end, which have no
 * tracepoint; the SVG escapes text and has one arrow per segment. (xmllint checks a real case's SVG
 * in tests/e2e/ladder.sh.) */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder.h"

#define FA	(TCPF_FIN | TCPF_ACK)

static const char four_way_text[] =
    "c7 four-way-close ipv4 rep 0: pass (run 1, kernel 6.18.0)\n"
    "    t(ms)           client                                             server\n"
    "                127.0.0.1:40312                                    127.0.0.1:37995\n"
    "    0.020              |-------------------- S seq 0 -------------------->|\n"
    "    0.025              |<---------------- S. seq 0 ack 1 -----------------|\n"
    "    0.030              |----------------- . seq 1 ack 1 ----------------->|\n"
    "    0.100  ESTABLISHED |                                                  | ESTABLISHED\n"
    "    0.140              |----------- P. seq 1:101 ack 1 len 100 ---------->|\n"
    "    0.145              |<--------------- . seq 1 ack 101 -----------------|\n"
    "    0.280    FIN_WAIT1 |                                                  |\n"
    "    0.300              |---------------- F. seq 101 ack 1 --------------->|\n"
    "    0.400              |                                                  | CLOSE_WAIT\n"
    "   41.000              |<--------------- . seq 1 ack 102 -----------------|\n"
    "   41.100    FIN_WAIT2 |                                                  |\n"
    "  141.490              |                                                  | LAST_ACK\n"
    "  141.500              |<--------------- F. seq 1 ack 102 ----------------|\n"
    "  141.520              |---------------- . seq 102 ack 2 ---------------->|\n"
    "  141.600    TIME_WAIT |                                                  | CLOSED\n"
    "          transitions not observed: each state is written when a step saw it\n";

static const char states_only_text[] =
    "c7 four-way-close ipv4 rep 0: pass (run 1, kernel 6.18.0)\n"
    "    t(ms)           client                                             server\n"
    "                127.0.0.1:40312                                    127.0.0.1:37995\n"
    "    0.100  ESTABLISHED |                                                  | ESTABLISHED\n"
    "    0.280    FIN_WAIT1 |                                                  |\n"
    "    0.400              |                                                  | CLOSE_WAIT\n"
    "   41.100    FIN_WAIT2 |                                                  |\n"
    "  141.490              |                                                  | LAST_ACK\n"
    "  141.600    TIME_WAIT |                                                  | CLOSED\n"
    "          the wire of this case was not observed: its states only\n"
    "          transitions not observed: each state is written when a step saw it\n";

/* The same close with its transitions traced: each label at its moment,
 * the client's TIME_WAIT where its full socket went to CLOSE, the
 * server's end left at CLOSE (its later CLOSED adds nothing). */
static const char traced_text[] =
    "c7 four-way-close ipv4 rep 0: pass (run 1, kernel 6.18.0)\n"
    "    t(ms)           client                                             server\n"
    "                127.0.0.1:40312                                    127.0.0.1:37995\n"
    "    0.015     SYN_SENT |                                                  |\n"
    "    0.020              |-------------------- S seq 0 -------------------->|\n"
    "    0.025              |<---------------- S. seq 0 ack 1 -----------------|\n"
    "    0.027  ESTABLISHED |                                                  |\n"
    "    0.030              |----------------- . seq 1 ack 1 ----------------->|\n"
    "    0.032              |                                                  | SYN_RECV\n"
    "    0.033              |                                                  | ESTABLISHED\n"
    "    0.140              |----------- P. seq 1:101 ack 1 len 100 ---------->|\n"
    "    0.145              |<--------------- . seq 1 ack 101 -----------------|\n"
    "    0.290    FIN_WAIT1 |                                                  |\n"
    "    0.300              |---------------- F. seq 101 ack 1 --------------->|\n"
    "    0.305              |                                                  | CLOSE_WAIT\n"
    "   41.000              |<--------------- . seq 1 ack 102 -----------------|\n"
    "   41.010    FIN_WAIT2 |                                                  |\n"
    "  141.480              |                                                  | LAST_ACK\n"
    "  141.500              |<--------------- F. seq 1 ack 102 ----------------|\n"
    "  141.510    TIME_WAIT |                                                  |\n"
    "  141.520              |---------------- . seq 102 ack 2 ---------------->|\n"
    "  141.525              |                                                  | CLOSE\n";

/* Appends a segment. */
static void
seg(struct ladder *l, int64_t t_us, enum side from, uint8_t flags,
    uint32_t seq, uint32_t ack, uint32_t len)
{
	struct segment s = { t_us, from, flags, seq, ack, len, 64, 1, MARK_NONE, -1, 0, 0 };

	assert_int_equal(ladder_add_segment(l, &s), 0);
}

/* A four-way close as the catalogue's scenario sees it: handshake, 100
 * bytes, the client's FIN, the delayed ACK, the server's FIN; and both
 * ends' states after each step, repeated as the store has them. */
static void
four_way(struct ladder *l, int wire)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->title, sizeof(l->title), "c7 four-way-close ipv4 rep 0: "
	    "pass (run 1, kernel 6.18.0)");
	snprintf(l->addr[SIDE_CLIENT], sizeof(l->addr[0]), "127.0.0.1:40312");
	snprintf(l->addr[SIDE_SERVER], sizeof(l->addr[0]), "127.0.0.1:37995");
	l->wire_observed = wire;
	if (wire) {
		seg(l, 20, SIDE_CLIENT, TCPF_SYN, 0, 0, 0);
		seg(l, 25, SIDE_SERVER, TCPF_SYN | TCPF_ACK, 0, 1, 0);
		seg(l, 30, SIDE_CLIENT, TCPF_ACK, 1, 1, 0);
		seg(l, 140, SIDE_CLIENT, TCPF_PSH | TCPF_ACK, 1, 1, 100);
		seg(l, 145, SIDE_SERVER, TCPF_ACK, 1, 101, 0);
		seg(l, 300, SIDE_CLIENT, FA, 101, 1, 0);
		seg(l, 41000, SIDE_SERVER, TCPF_ACK, 1, 102, 0);
		seg(l, 141500, SIDE_SERVER, FA, 1, 102, 0);
		seg(l, 141520, SIDE_CLIENT, TCPF_ACK, 102, 2, 0);
	}
	assert_int_equal(ladder_observe(l, 100, "ESTABLISHED", "ESTABLISHED"), 0);
	assert_int_equal(ladder_observe(l, 200, "ESTABLISHED", "ESTABLISHED"), 0);
	assert_int_equal(ladder_observe(l, 280, "FIN_WAIT1", "ESTABLISHED"), 0);
	assert_int_equal(ladder_observe(l, 400, "FIN_WAIT1", "CLOSE_WAIT"), 0);
	assert_int_equal(ladder_observe(l, 41100, "FIN_WAIT2", "CLOSE_WAIT"), 0);
	assert_int_equal(ladder_observe(l, 141490, "FIN_WAIT2", "LAST_ACK"), 0);
	assert_int_equal(ladder_observe(l, 141600, "TIME_WAIT", "CLOSED"), 0);
	assert_int_equal(ladder_observe(l, 141700, "TIME_WAIT", NULL), 0);
}

/* Feeds one STORE_Q_CASE_STATES row (a step that ran for dur_us from
 * t_us) to ladder_row_states. */
static void
states_row(struct ladder *l, int64_t t_us, int64_t dur_us, const char *cs,
    const char *csrc, const char *ss, const char *ssrc)
{
	static const char *const names[] = { "idx", "t_us", "dur_us",
	    "client_state", "server_state", "c_source", "s_source" };
	char t[24], d[24];
	const char *text[] = { "0", t, d, cs, ss, csrc, ssrc };
	struct store_value vals[7];
	int i;

	snprintf(t, sizeof(t), "%lld", (long long)t_us);
	snprintf(d, sizeof(d), "%lld", (long long)dur_us);
	for (i = 0; i < 7; i++) {
		vals[i].type = text[i] == NULL ? STORE_NULL : i < 3 ? STORE_INT :
		    STORE_TEXT;
		vals[i].text = text[i];
	}
	assert_int_equal(ladder_row_states(l, 7, names, NULL), 0);
	assert_int_equal(ladder_row_states(l, 7, names, vals), 0);
}

/* four_way's case with its transitions traced, then the steps' states
 * as the store has them (tcp_info, sock_diag, sock_diag_tw, gone). */
static void
four_way_traced(struct ladder *l)
{
	static const struct { int64_t t; enum side s; const char *to; } tr[] = {
		{ 15, SIDE_CLIENT, "SYN_SENT" }, { 27, SIDE_CLIENT, "ESTABLISHED" },
		{ 32, SIDE_SERVER, "SYN_RECV" }, { 33, SIDE_SERVER, "ESTABLISHED" },
		{ 290, SIDE_CLIENT, "FIN_WAIT1" }, { 305, SIDE_SERVER, "CLOSE_WAIT" },
		{ 41010, SIDE_CLIENT, "FIN_WAIT2" }, { 141480, SIDE_SERVER, "LAST_ACK" },
		{ 141510, SIDE_CLIENT, "CLOSE" }, { 141525, SIDE_SERVER, "CLOSE" },
	};
	size_t i;

	four_way(l, 1);
	l->nst = 0;				/* its segments only */
	for (i = 0; i < sizeof(tr) / sizeof(tr[0]); i++)
		assert_int_equal(ladder_transition(l, tr[i].t, tr[i].s, tr[i].to), 0);
	l->trans_observed = 1;
	states_row(l, 90, 10, "ESTABLISHED", "tcp_info", "ESTABLISHED", "tcp_info");
	states_row(l, 270, 10, "FIN_WAIT1", "tcp_info", "ESTABLISHED", "tcp_info");
	states_row(l, 41050, 50, "FIN_WAIT2", "tcp_info", "CLOSE_WAIT", "tcp_info");
	states_row(l, 141470, 20, "FIN_WAIT2", "tcp_info", "LAST_ACK", "sock_diag");
	states_row(l, 141590, 10, "TIME_WAIT", "sock_diag_tw", "CLOSED", "gone");
	states_row(l, 141690, 10, "TIME_WAIT", "sock_diag_tw", "CLOSED", "gone");
}

/* Renders l with fn into a malloc'd string. */
static char *
render(void (*fn)(const struct ladder *, FILE *), const struct ladder *l)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	fn(l, fp);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

/* How many times needle occurs in hay. */
static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

static void
observe_keeps_only_changes(void **state)
{
	struct ladder l;

	four_way(&l, 0);
	assert_int_equal(l.nst, 8);		/* of 15 observations */
	assert_string_equal(l.st[0].name, "ESTABLISHED");
	assert_int_equal(l.st[2].side, SIDE_CLIENT);
	assert_string_equal(l.st[2].name, "FIN_WAIT1");
	assert_int_equal(l.st[2].t_us, 280);
	assert_string_equal(l.st[7].name, "CLOSED");
	ladder_free(&l);
	assert_null(l.st);
}

static void
four_way_close_renders_as_the_golden_text(void **state)
{
	struct ladder l;
	char *out;

	four_way(&l, 1);
	out = render(ladder_text, &l);
	assert_string_equal(out, four_way_text);
	free(out);
	ladder_free(&l);
}

static void
text_lines_fit_a_terminal(void **state)
{
	struct ladder l;
	char *out, *line, *save = NULL;
	size_t i;

	four_way(&l, 1);
	seg(&l, 200000, SIDE_CLIENT, TCPF_PSH | TCPF_ACK, 4000000000u,
	    4000000000u, 65483);		/* the longest label */
	for (i = 0; i + 7 < sizeof(l.message); i += 7)	/* a long message */
		memcpy(l.message + i, "S>C . ;", 7);
	l.message[i] = '\0';
	out = render(ladder_text, &l);
	assert_non_null(strstr(out, "\nS>C . ;S>C"));	/* wrapped, not cut */
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strlen(line) > LADDER_TEXT_WIDTH)
			fail_msg("%zu columns: %s", strlen(line), line);
	free(out);
	ladder_free(&l);
}

static void
a_wire_not_observed_shows_states_and_says_so(void **state)
{
	struct ladder l;
	char *out;

	four_way(&l, 0);
	out = render(ladder_text, &l);
	assert_string_equal(out, states_only_text);
	free(out);
	out = render(ladder_svg, &l);
	assert_int_equal(count(out, "<line "), 2);	/* the bars only */
	assert_non_null(strstr(out, "the wire of this case was not observed"));
	free(out);
	ladder_free(&l);
}

static void
traced_transitions_are_written_at_their_moment(void **state)
{
	struct ladder l;
	char *out;

	four_way_traced(&l);
	out = render(ladder_text, &l);
	assert_string_equal(out, traced_text);
	free(out);
	out = render(ladder_svg, &l);
	assert_int_equal(count(out, "<circle "), 10);
	assert_null(strstr(out, "not observed"));
	free(out);
	ladder_free(&l);
}

static void
traced_ladder_adds_only_states_without_a_tracepoint(void **state)
{
	struct ladder l;

	memset(&l, 0, sizeof(l));
	l.trans_observed = 1;
	assert_int_equal(ladder_transition(&l, 100, SIDE_CLIENT, "FIN_WAIT2"), 0);
	assert_int_equal(ladder_transition(&l, 200, SIDE_CLIENT, "CLOSE"), 0);
	/* An orphan in FIN_WAIT2 became a mini-socket at 200... */
	states_row(&l, 250, 50, "FIN_WAIT2", "sock_diag_tw", NULL, NULL);
	assert_int_equal(l.nst, 2);
	assert_string_equal(l.st[1].name, "FIN_WAIT2");
	assert_int_equal(l.st[1].t_us, 200);
	/* ...which went on to TIME_WAIT and then expired, untraced. */
	states_row(&l, 350, 50, "TIME_WAIT", "sock_diag_tw", NULL, NULL);
	states_row(&l, 450, 50, "CLOSED", "gone", NULL, NULL);
	/* What tcp_info or sock_diag saw is traced already. */
	states_row(&l, 550, 50, "FIN_WAIT1", "tcp_info", "LAST_ACK", "sock_diag");
	assert_int_equal(l.nst, 4);
	assert_string_equal(l.st[2].name, "TIME_WAIT");
	assert_int_equal(l.st[2].t_us, 400);
	assert_string_equal(l.st[3].name, "CLOSED");
	assert_int_equal(l.st[3].t_us, 500);
	ladder_free(&l);
}

static void
svg_has_an_arrow_per_segment_and_a_mark_per_change(void **state)
{
	struct ladder l;
	char *out;

	four_way(&l, 1);
	out = render(ladder_svg, &l);
	assert_int_equal(strncmp(out, "<?xml", 5), 0);
	assert_int_equal(count(out, "<line "), 2 + 9);
	assert_int_equal(count(out, "<circle "), 8);
	assert_int_equal(count(out, "marker-end=\"url(#head-data)\""), 1);
	assert_non_null(strstr(out, ">F. seq 101 ack 1</text>"));
	assert_non_null(strstr(out, ">LAST_ACK</text>"));
	assert_string_equal(out + strlen(out) - 7, "</svg>\n");
	free(out);
	ladder_free(&l);
}

static void
svg_escapes_text(void **state)
{
	struct ladder l;
	char *out;

	four_way(&l, 1);
	snprintf(l.message, sizeof(l.message), "wire: expected <C>S R.> & got \"x\"");
	out = render(ladder_svg, &l);
	assert_non_null(strstr(out, "wire: expected &lt;C&gt;S R.&gt; &amp; got "
	    "&quot;x&quot;"));
	assert_null(strstr(out, "<C>"));
	free(out);
	ladder_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(observe_keeps_only_changes),
		cmocka_unit_test(four_way_close_renders_as_the_golden_text),
		cmocka_unit_test(text_lines_fit_a_terminal),
		cmocka_unit_test(a_wire_not_observed_shows_states_and_says_so),
		cmocka_unit_test(traced_transitions_are_written_at_their_moment),
		cmocka_unit_test(traced_ladder_adds_only_states_without_a_tracepoint),
		cmocka_unit_test(svg_has_an_arrow_per_segment_and_a_mark_per_change),
		cmocka_unit_test(svg_escapes_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
