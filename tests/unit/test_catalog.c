/* test_catalog.c: the scenario catalogue parses good scripts into exactly
 * the steps they say, and reports every broken one as "file:line: message"
 * naming the word, all errors of a file at once. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "case.h"
#include "catalog.h"
#include "parse.h"

#define HDR "[s]\nsummary = s\n"		/* lines 1-2 of an error case */
#define INFO_FIELDS "retransmits, probes, backoff, rto, unacked, lost, " \
	"retrans, total_retrans, segs_in, segs_out, notsent_bytes, snd_wnd, " \
	"rcv_wnd, rqueue, wqueue, timer_ms"		/* expect/wait info FIELD */

/* Parses text as "x.ini" into c; *errs gets what was reported. */
static int
parse_text(struct catalog *c, const char *text, char **errs)
{
	size_t len;
	FILE *f;
	int n;

	f = open_memstream(errs, &len);
	assert_non_null(f);
	n = catalog_parse(c, "x.ini", text, f);
	fclose(f);
	return n;
}

/* One expected step. */
struct want {
	int line;				/* source line */
	enum side side;
	int pair;				/* 1.., 0 for the listener */
	enum verb verb;
	const char *args;			/* normalised arguments */
	union step_args a;			/* every other byte zero */
};

static const char every_verb[] =
	"# every verb once\n"					/* 1 */
	"[every-verb]\n"					/* 2 */
	"summary = Every verb of the grammar\n"			/* 3 */
	"ref     = RFC 9293 §3.6\n"				/* 4 */
	"wire    = C>S F. ; S>C .   # not part of it\n"		/* 5 */
	"timeout = 1.5s\n"					/* 6 */
	"steps   = client send 100\n"				/* 7 */
	"          server recv 100\n"				/* 8 */
	"          server recv all\n"				/* 9 */
	"          client recv eof\n"				/* 10 */
	"          client shutdown wr\n"			/* 11 */
	"          server shutdown rd\n"			/* 12 */
	"          server shutdown rdwr\n"			/* 13 */
	"          client close\n"				/* 14 */
	"          client linger off\n"				/* 15 */
	"          client linger 0\n"				/* 16 */
	"          both   linger2 -1\n"				/* 17 */
	"          client nodelay on\n"				/* 18 */
	"          server nodelay off\n"			/* 19 */
	"          client quickack\n"				/* 20 */
	"          client user-timeout 1000\n"			/* 21 */
	"          client user-timeout 2s\n"			/* 22 */
	"          client sleep 250us\n"			/* 23 */
	"          both   filter drop all\n"			/* 24 */
	"          client filter drop fin\n"			/* 25 */
	"          client filter drop ack\n"			/* 26 */
	"          client filter drop rst\n"			/* 27 */
	"          client filter pass fin\n"			/* 28 */
	"          client filter none\n"			/* 29 */
	"          client poll\n"				/* 30 */
	"\n"							/* 31 */
	"          # a comment between steps\n"			/* 32 */
	"          client  wait state   TIME_WAIT within 1s  # blanks\n" /* 33 */
	"          server wait readable within 100ms\n"		/* 34 */
	"          server wait hup within 2m\n"			/* 35 */
	"          client expect state FIN_WAIT1\n"		/* 36 */
	"          client expect errno ECONNRESET\n"		/* 37 */
	"          client expect errno none\n"			/* 38 */
	"          client expect eof\n"				/* 39 */
	"          client expect rc -1\n"			/* 40 */
	"          client expect events IN|OUT|RDHUP\n"		/* 41 */
	"          client expect so-error EPIPE\n"		/* 42 */
	"          client expect duration under 50ms\n"		/* 43 */
	"          client expect duration over 1.5s\n"		/* 44 */
	"          client expect info total_retrans >= 1\n"	/* 45 */
	"          both   expect info unacked = 0\n"		/* 46 */
	"          server expect info notsent_bytes != 4294967295\n" /* 47 */
	"          client expect info timer_ms < 200\n"		/* 48 */
	"          client expect info rto <= 0\n"		/* 49 */
	"          client wait info backoff > 0 within 3s\n"	/* 50 */
	"          server wait info  retransmits >=  1 within 1500ms # c\n" /* 51 */
	"          client send 5000 nonblock\n"			/* 52 */
	"          client send 5000 within 2s\n"		/* 53 */
	"          client send fill\n"				/* 54 */
	"          server recv 10 nonblock\n"			/* 55 */
	"          server recv all within 300ms\n"		/* 56 */
	"          client rcvbuf 4096\n"			/* 57 */
	"          listener sndbuf 8192\n"			/* 58 */
	"          listener backlog 1\n"			/* 59 */
	"          listener accept\n"				/* 60 */
	"          listener accept within 2s\n"			/* 61 */
	"          client2 connect\n"				/* 62 */
	"          client3 connect nonblock\n"			/* 63 */
	"          client connect within 500ms\n"		/* 64 */
	"          client reconnect\n"				/* 65 */
	"          server2 wait writable within 1s\n"		/* 66 */
	"          client expect errno EWOULDBLOCK\n"		/* 67 */
	"          client expect rc >= 1000\n"			/* 68 */
	"          server8 expect passed LAST_ACK\n"		/* 69 */
	"          listener close\n"				/* 70 */
	"          listener expect state LISTEN\n"		/* 71 */
	"          relay hold * F.\n"				/* 72 */
	"          relay hold C>S *\n"				/* 73 */
	"          relay drop S>C R. 3\n"			/* 74 */
	"          relay release\n"				/* 75 */
	"          relay release together within 2s\n"	/* 76 */
	"          relay clear\n"				/* 77 */
	"          relay duplicate C>S P. 1\n"		/* 78 */
	"          relay delay S>C . 10ms\n"			/* 79 */
	"          relay inject S>C R seq next+100\n"		/* 80 */
	"          relay inject C>S R. ack next-1 win 0\n"	/* 81 */
	"link    = relay\n";					/* 82 */

#define A(m, ...)	{ .m = { __VA_ARGS__ } }
static const struct want every_verb_steps[] = {
	{ 7, SIDE_CLIENT, 1, VERB_SEND, "100", A(send, .bytes = 100) },
	{ 8, SIDE_SERVER, 1, VERB_RECV, "100", A(recv, .bytes = 100, .mode = RECV_BYTES) },
	{ 9, SIDE_SERVER, 1, VERB_RECV, "all", A(recv, .mode = RECV_ALL) },
	{ 10, SIDE_CLIENT, 1, VERB_RECV, "eof", A(recv, .mode = RECV_EOF) },
	{ 11, SIDE_CLIENT, 1, VERB_SHUTDOWN, "wr", A(shutdown, .how = SHUT_WR) },
	{ 12, SIDE_SERVER, 1, VERB_SHUTDOWN, "rd", A(shutdown, .how = SHUT_RD) },
	{ 13, SIDE_SERVER, 1, VERB_SHUTDOWN, "rdwr", A(shutdown, .how = SHUT_RDWR) },
	{ 14, SIDE_CLIENT, 1, VERB_CLOSE, "", { .send = { 0 } } },
	{ 15, SIDE_CLIENT, 1, VERB_LINGER, "off", { .send = { 0 } } },
	{ 16, SIDE_CLIENT, 1, VERB_LINGER, "0", A(linger, .on = 1) },
	{ 17, SIDE_CLIENT, 1, VERB_LINGER2, "-1", A(linger2, .secs = -1) },
	{ 17, SIDE_SERVER, 1, VERB_LINGER2, "-1", A(linger2, .secs = -1) },
	{ 18, SIDE_CLIENT, 1, VERB_NODELAY, "on", A(nodelay, .on = 1) },
	{ 19, SIDE_SERVER, 1, VERB_NODELAY, "off", { .send = { 0 } } },
	{ 20, SIDE_CLIENT, 1, VERB_QUICKACK, "", { .send = { 0 } } },
	{ 21, SIDE_CLIENT, 1, VERB_USER_TIMEOUT, "1000", A(user_timeout, .ms = 1000) },
	{ 22, SIDE_CLIENT, 1, VERB_USER_TIMEOUT, "2s", A(user_timeout, .ms = 2000) },
	{ 23, SIDE_CLIENT, 1, VERB_SLEEP, "250us", A(sleep, .us = 250) },
	{ 24, SIDE_CLIENT, 1, VERB_FILTER, "drop all", A(filter, .kind = FILTER_DROP_ALL) },
	{ 24, SIDE_SERVER, 1, VERB_FILTER, "drop all", A(filter, .kind = FILTER_DROP_ALL) },
	{ 25, SIDE_CLIENT, 1, VERB_FILTER, "drop fin", A(filter, .kind = FILTER_DROP_FIN) },
	{ 26, SIDE_CLIENT, 1, VERB_FILTER, "drop ack", A(filter, .kind = FILTER_DROP_ACK) },
	{ 27, SIDE_CLIENT, 1, VERB_FILTER, "drop rst", A(filter, .kind = FILTER_DROP_RST) },
	{ 28, SIDE_CLIENT, 1, VERB_FILTER, "pass fin", A(filter, .kind = FILTER_PASS_FIN) },
	{ 29, SIDE_CLIENT, 1, VERB_FILTER, "none", A(filter, .kind = FILTER_NONE) },
	{ 30, SIDE_CLIENT, 1, VERB_POLL, "", { .send = { 0 } } },
	{ 33, SIDE_CLIENT, 1, VERB_WAIT_STATE, "TIME_WAIT within 1s",
	    A(wait_state, .state = STATE_TIME_WAIT, .within_us = 1000000) },
	{ 34, SIDE_SERVER, 1, VERB_WAIT_READABLE, "within 100ms",
	    A(wait_poll, .within_us = 100000) },
	{ 35, SIDE_SERVER, 1, VERB_WAIT_HUP, "within 2m",
	    A(wait_poll, .within_us = 120000000) },
	{ 36, SIDE_CLIENT, 1, VERB_EXPECT_STATE, "FIN_WAIT1",
	    A(state, .state = STATE_FIN_WAIT1) },
	{ 37, SIDE_CLIENT, 1, VERB_EXPECT_ERRNO, "ECONNRESET", A(err, .err = ECONNRESET) },
	{ 38, SIDE_CLIENT, 1, VERB_EXPECT_ERRNO, "none", { .send = { 0 } } },
	{ 39, SIDE_CLIENT, 1, VERB_EXPECT_EOF, "", { .send = { 0 } } },
	{ 40, SIDE_CLIENT, 1, VERB_EXPECT_RC, "-1", A(rc, .op = OP_EQ, .value = -1) },
	{ 41, SIDE_CLIENT, 1, VERB_EXPECT_EVENTS, "IN|OUT|RDHUP",
	    A(events, .mask = POLLIN | POLLOUT | POLLRDHUP) },
	{ 42, SIDE_CLIENT, 1, VERB_EXPECT_SOERROR, "EPIPE", A(err, .err = EPIPE) },
	{ 43, SIDE_CLIENT, 1, VERB_EXPECT_DURATION, "under 50ms", A(duration, .us = 50000) },
	{ 44, SIDE_CLIENT, 1, VERB_EXPECT_DURATION, "over 1.5s",
	    A(duration, .over = 1, .us = 1500000) },
	{ 45, SIDE_CLIENT, 1, VERB_EXPECT_INFO, "total_retrans >= 1",
	    A(info, .field = INFO_TOTAL_RETRANS, .op = OP_GE, .value = 1) },
	{ 46, SIDE_CLIENT, 1, VERB_EXPECT_INFO, "unacked = 0",
	    A(info, .field = INFO_UNACKED, .op = OP_EQ) },
	{ 46, SIDE_SERVER, 1, VERB_EXPECT_INFO, "unacked = 0",
	    A(info, .field = INFO_UNACKED, .op = OP_EQ) },
	{ 47, SIDE_SERVER, 1, VERB_EXPECT_INFO, "notsent_bytes != 4294967295",
	    A(info, .field = INFO_NOTSENT_BYTES, .op = OP_NE, .value = 4294967295L) },
	{ 48, SIDE_CLIENT, 1, VERB_EXPECT_INFO, "timer_ms < 200",
	    A(info, .field = INFO_TIMER_MS, .op = OP_LT, .value = 200) },
	{ 49, SIDE_CLIENT, 1, VERB_EXPECT_INFO, "rto <= 0",
	    A(info, .field = INFO_RTO, .op = OP_LE) },
	{ 50, SIDE_CLIENT, 1, VERB_WAIT_INFO, "backoff > 0 within 3s",
	    A(info, .field = INFO_BACKOFF, .op = OP_GT, .within_us = 3000000) },
	{ 51, SIDE_SERVER, 1, VERB_WAIT_INFO, "retransmits >= 1 within 1500ms",
	    A(info, .field = INFO_RETRANSMITS, .op = OP_GE, .value = 1,
	    .within_us = 1500000) },
	{ 52, SIDE_CLIENT, 1, VERB_SEND, "5000 nonblock", A(send, .bytes = 5000, .nonblock = 1) },
	{ 53, SIDE_CLIENT, 1, VERB_SEND, "5000 within 2s",
	    A(send, .bytes = 5000, .within_us = 2000000) },
	{ 54, SIDE_CLIENT, 1, VERB_SEND, "fill", A(send, .fill = 1) },
	{ 55, SIDE_SERVER, 1, VERB_RECV, "10 nonblock",
	    A(recv, .bytes = 10, .mode = RECV_BYTES, .nonblock = 1) },
	{ 56, SIDE_SERVER, 1, VERB_RECV, "all within 300ms",
	    A(recv, .mode = RECV_ALL, .within_us = 300000) },
	{ 57, SIDE_CLIENT, 1, VERB_RCVBUF, "4096", A(buf, .bytes = 4096) },
	{ 58, SIDE_LISTENER, 0, VERB_SNDBUF, "8192", A(buf, .bytes = 8192) },
	{ 59, SIDE_LISTENER, 0, VERB_BACKLOG, "1", A(backlog, .n = 1) },
	{ 60, SIDE_LISTENER, 0, VERB_ACCEPT, "", { .send = { 0 } } },
	{ 61, SIDE_LISTENER, 0, VERB_ACCEPT, "within 2s", A(conn, .within_us = 2000000) },
	{ 62, SIDE_CLIENT, 2, VERB_CONNECT, "", { .send = { 0 } } },
	{ 63, SIDE_CLIENT, 3, VERB_CONNECT, "nonblock", A(conn, .nonblock = 1) },
	{ 64, SIDE_CLIENT, 1, VERB_CONNECT, "within 500ms", A(conn, .within_us = 500000) },
	{ 65, SIDE_CLIENT, 1, VERB_RECONNECT, "", { .send = { 0 } } },
	{ 66, SIDE_SERVER, 2, VERB_WAIT_WRITABLE, "within 1s", A(wait_poll, .within_us = 1000000) },
	{ 67, SIDE_CLIENT, 1, VERB_EXPECT_ERRNO, "EAGAIN", A(err, .err = EAGAIN) },
	{ 68, SIDE_CLIENT, 1, VERB_EXPECT_RC, ">= 1000", A(rc, .op = OP_GE, .value = 1000) },
	{ 69, SIDE_SERVER, 8, VERB_EXPECT_PASSED, "LAST_ACK", A(state, .state = STATE_LAST_ACK) },
	{ 70, SIDE_LISTENER, 0, VERB_CLOSE, "", { .send = { 0 } } },
	{ 71, SIDE_LISTENER, 0, VERB_EXPECT_STATE, "LISTEN", A(state, .state = STATE_LISTEN) },
	{ 72, SIDE_RELAY, 1, VERB_HOLD, "* F.",
	    A(relay, .from = SIDE_BOTH, .flags = TCPF_FIN | TCPF_ACK) },
	{ 73, SIDE_RELAY, 1, VERB_HOLD, "C>S *", A(relay, .from = SIDE_CLIENT, .flags = -1) },
	{ 74, SIDE_RELAY, 1, VERB_DROP, "S>C R. 3",
	    A(relay, .from = SIDE_SERVER, .flags = TCPF_RST | TCPF_ACK, .count = 3) },
	{ 75, SIDE_RELAY, 1, VERB_RELEASE, "", { .send = { 0 } } },
	{ 76, SIDE_RELAY, 1, VERB_RELEASE, "together within 2s",
	    A(relay, .together = 1, .within_us = 2000000) },
	{ 77, SIDE_RELAY, 1, VERB_CLEAR, "", { .send = { 0 } } },
	{ 78, SIDE_RELAY, 1, VERB_DUPLICATE, "C>S P. 1",
	    A(relay, .from = SIDE_CLIENT, .flags = TCPF_PSH | TCPF_ACK, .count = 1) },
	{ 79, SIDE_RELAY, 1, VERB_DELAY, "S>C . 10ms",
	    A(relay, .from = SIDE_SERVER, .flags = TCPF_ACK, .delay_us = 10000) },
	{ 80, SIDE_RELAY, 1, VERB_INJECT, "S>C R seq next+100",
	    A(relay, .from = SIDE_SERVER, .flags = TCPF_RST, .seq_off = 100, .win = -1) },
	{ 81, SIDE_RELAY, 1, VERB_INJECT, "C>S R. ack next-1 win 0",
	    A(relay, .from = SIDE_CLIENT, .flags = TCPF_RST | TCPF_ACK, .ack_off = -1) },
};
#undef A

/* Every verb parses to exactly its fields; "both" gives client then server. */
static void
every_verb_parses_to_its_exact_step(void **state)
{
	struct catalog c = { 0 };
	const struct scenario *sc;
	const struct step *st;
	const struct want *w;
	char *errs = NULL;
	size_t i, n = sizeof(every_verb_steps) / sizeof(every_verb_steps[0]);

	assert_int_equal(parse_text(&c, every_verb, &errs), 0);
	assert_string_equal(errs, "");
	assert_int_equal(c.n, 1);
	sc = &c.sc[0];
	assert_string_equal(sc->name, "every-verb");
	assert_string_equal(sc->summary, "Every verb of the grammar");
	assert_string_equal(sc->ref, "RFC 9293 §3.6");
	assert_string_equal(sc->wire, "C>S F. ; S>C .");
	assert_string_equal(sc->file, "x.ini");
	assert_int_equal(sc->line, 2);
	assert_int_equal(sc->timeout_us, 1500000);
	assert_int_equal(sc->nsteps, n);
	assert_int_equal(sc->npairs, 8);
	assert_int_equal(sc->listener, 1);
	assert_int_equal(sc->step_connect, 1u | 2u | 4u);
	assert_int_equal(sc->needs, NEED_FILTER | NEED_TRANS | NEED_RELAY);
	assert_int_equal(sc->link, LINK_RELAY);
	for (i = 0; i < n; i++) {
		st = &sc->steps[i];
		w = &every_verb_steps[i];
		print_message("step %zu, line %d\n", i, w->line);
		assert_int_equal(st->line, w->line);
		assert_int_equal(st->side, w->side);
		assert_int_equal(st->verb, w->verb);
		assert_string_equal(st->args, w->args);
		assert_int_equal(st->pair, w->pair);
		assert_memory_equal(&st->a, &w->a, sizeof(st->a));
	}
	free(errs);
	catalog_free(&c);
	assert_null(c.sc);
	assert_int_equal(c.n, 0);
}

/* Every info field and operator parses by its name, to its enum value. */
static void
every_info_field_and_operator_parses_by_name(void **state)
{
	struct catalog c = { 0 };
	char text[256], want[64], *errs;
	int f, op;

	for (f = 0; f < INFO__COUNT; f++)
		for (op = OP_EQ; op <= OP_GE; op++) {
			snprintf(text, sizeof(text), HDR "steps = server expect "
			    "info %s %s 7\n", info_name(f), op_name(op));
			snprintf(want, sizeof(want), "%s %s 7", info_name(f),
			    op_name(op));
			errs = NULL;
			assert_int_equal(parse_text(&c, text, &errs), 0);
			assert_string_equal(errs, "");
			assert_int_equal(c.sc[0].steps[0].verb, VERB_EXPECT_INFO);
			assert_int_equal(c.sc[0].steps[0].a.info.field, f);
			assert_int_equal(c.sc[0].steps[0].a.info.op, op);
			assert_int_equal(c.sc[0].steps[0].a.info.value, 7);
			assert_string_equal(c.sc[0].steps[0].args, want);
			free(errs);
			catalog_free(&c);
		}
}

/* sysctl lines: both expands to the two ends; they are kept sorted (by
 * end, then name) and make the scenario's netkey, its namespaces' key. */
static void
sysctls_are_sorted_into_the_netkey(void **state)
{
	struct catalog c = { 0 };
	const struct scenario *sc;
	char *errs = NULL;

	assert_int_equal(parse_text(&c, HDR "link = relay\n"
	    "sysctl = server net.ipv4.tcp_rmem 4096 131072 6291456\n"
	    "         both net.ipv4.tcp_sack 0\n"
	    "         client net.ipv4.tcp_rfc1337 1\n"
	    "steps = client close\n", &errs), 0);
	assert_string_equal(errs, "");
	assert_int_equal(c.n, 1);
	sc = &c.sc[0];
	assert_int_equal(sc->nsysctl, 4);
	assert_int_equal(sc->sysctl[0].side, SIDE_CLIENT);
	assert_string_equal(sc->sysctl[0].name, "net.ipv4.tcp_rfc1337");
	assert_string_equal(sc->sysctl[3].value, "0");
	assert_string_equal(sc->netkey, "client net.ipv4.tcp_rfc1337=1; "
	    "client net.ipv4.tcp_sack=0; server net.ipv4.tcp_rmem=4096 131072 "
	    "6291456; server net.ipv4.tcp_sack=0");
	assert_int_equal(sc->needs, NEED_RELAY);
	free(errs);
	catalog_free(&c);
}

/* "=" in an info step is not taken for a key's "=", first line or not. */
static void
an_equals_operator_is_not_a_key_separator(void **state)
{
	struct catalog c = { 0 };
	char *errs = NULL;

	assert_int_equal(parse_text(&c, HDR "steps = client expect info rto = 0\n"
	    "  client wait info snd_wnd = 0 within 1s\n", &errs), 0);
	assert_string_equal(errs, "");
	assert_int_equal(c.n, 1);
	assert_int_equal(c.sc[0].nsteps, 2);
	assert_string_equal(c.sc[0].steps[0].args, "rto = 0");
	assert_int_equal(c.sc[0].steps[0].a.info.op, OP_EQ);
	assert_string_equal(c.sc[0].steps[1].args, "snd_wnd = 0 within 1s");
	assert_int_equal(c.sc[0].steps[1].a.info.field, INFO_SND_WND);
	assert_int_equal(c.sc[0].steps[1].a.info.within_us, 1000000);
	free(errs);
	catalog_free(&c);
}

/* One broken input and the one line it must produce. */
struct bad {
	const char *text;
	const char *errs;
};

static const struct bad bad_inputs[] = {
	/* INI structure */
	{ "summary = s\n", "x.ini:1: 'summary' is outside any [section]\n" },
	{ "[s]\nsummary = s\nsteps = client close\nthis is no key\n",
	    "x.ini:4: expected 'key = value', got 'this is no key'\n" },
	{ "[s\nsummary = s\n", "x.ini:1: section header '[s' lacks ']'\n" },
	{ "[s] junk # c\nsummary = s\nsteps = client close\n",
	    "x.ini:1: unexpected 'junk' after '[s]'\n" },
	/* scenario names and keys */
	{ "[Bad_Name]\nsummary = s\nsteps = client close\n",
	    "x.ini:1: 'Bad_Name' is not a scenario name (a-z, 0-9 and '-', "
	    "not first; at most 63)\n" },
	{ "[-x]\nsummary = s\nsteps = client close\n",
	    "x.ini:1: '-x' is not a scenario name (a-z, 0-9 and '-', "
	    "not first; at most 63)\n" },
	{ "[a123456789a123456789a123456789a123456789a123456789a123456789abcd]\n"
	    "summary = s\nsteps = client close\n",
	    "x.ini:1: 'a123456789a123456789a123456789a123456789a123456789"
	    "a123456789abcd' is not a scenario name (a-z, 0-9 and '-', "
	    "not first; at most 63)\n" },
	{ HDR "steps = client close\nsumary = x\n",
	    "x.ini:4: unknown key 'sumary' (summary, steps, ref, wire, timeout, link, sysctl, mtu)\n" },
	{ HDR "summary = again\nsteps = client close\n",
	    "x.ini:3: duplicate key 'summary' (first at line 2)\n" },
	{ "[s]\nsteps = client close\n", "x.ini:1: scenario 's' has no summary\n" },
	{ "[s]\nsummary =\nsteps = client close\n",
	    "x.ini:2: summary of 's' is empty\n" },
	{ HDR, "x.ini:1: scenario 's' has no steps\n" },
	{ HDR "steps =\n", "x.ini:3: steps of 's' is empty\n" },
	{ "[s]\nsummary = a\nsteps = client close\n[s]\nsummary = b\n"
	    "steps = client close\n",
	    "x.ini:4: duplicate scenario 's' (first at x.ini:1)\n" },
	{ HDR "steps = client close\ntimeout = 5\n",
	    "x.ini:4: timeout needs a duration with a unit (250us, 100ms, "
	    "1.5s, 2m), got '5'\n" },
	{ HDR "steps = client close\ntimeout = 50ms\n",
	    "x.ini:4: '50ms' is out of range for timeout (100ms..10m)\n" },
	{ HDR "steps = client close\ntimeout = 1s\n  2s\n",
	    "x.ini:5: unexpected '2s': timeout takes one line\n" },
	/* sides and verbs */
	{ HDR "steps = clinet send 1\n",
	    "x.ini:3: unknown side 'clinet' (client, server, both, listener, relay, or client2..client8, server2..server8)\n" },
	{ HDR "steps = client sned 1\n", "x.ini:3: unknown verb 'sned'\n" },
	{ HDR "steps = client\n", "x.ini:3: missing verb after 'client'\n" },
	{ HDR "steps = client wait\n",
	    "x.ini:3: wait needs state, readable, writable, hup or info\n" },
	{ HDR "steps = client wait infos rto > 1 within 1s\n",
	    "x.ini:3: wait needs state, readable, writable, hup or info, got 'infos'\n" },
	{ HDR "steps = client expect\n",
	    "x.ini:3: expect needs state, errno, eof, rc, events, so-error, "
	    "duration, info or passed\n" },
	{ HDR "steps = client expect fin\n",
	    "x.ini:3: expect needs state, errno, eof, rc, events, so-error, "
	    "duration, info or passed, got 'fin'\n" },
	/* arity */
	{ HDR "steps = client send\n", "x.ini:3: send needs a byte count or fill\n" },
	{ HDR "steps = client send 1 2\n",
	    "x.ini:3: send takes nonblock or 'within' and a duration, got '2'\n" },
	{ HDR "steps = client send 1 nonblock now\n",
	    "x.ini:3: send takes only nonblock or 'within' and a duration, "
	    "got extra 'now'\n" },
	{ HDR "steps = client send 1 within\n",
	    "x.ini:3: send needs a duration after 'within'\n" },
	{ HDR "steps = client send 1 within 1s 2\n",
	    "x.ini:3: send takes only a byte count or fill, got extra '2'\n" },
	{ HDR "steps = client send fill 10\n",
	    "x.ini:3: send fill takes nothing more, got '10'\n" },
	{ HDR "steps = client recv eof nonblock\n",
	    "x.ini:3: recv eof reads until EOF: it cannot be nonblock\n" },
	{ HDR "steps = listener accept nonblock\n",
	    "x.ini:3: accept takes 'within' and a duration, got 'nonblock'\n" },
	{ HDR "steps = client connect soon\n",
	    "x.ini:3: connect takes nonblock or 'within' and a duration, "
	    "got 'soon'\n" },
	{ HDR "steps = client close now\n",
	    "x.ini:3: close takes no arguments, got 'now'\n" },
	{ HDR "steps = client wait state CLOSED within\n",
	    "x.ini:3: wait state needs a TCP state, 'within' and a duration\n" },
	{ HDR "steps = client expect info\n",
	    "x.ini:3: expect info needs a field, an operator and a number\n" },
	{ HDR "steps = client expect info rto >\n",
	    "x.ini:3: expect info needs a field, an operator and a number\n" },
	{ HDR "steps = client expect info total_retrans>=1\n",
	    "x.ini:3: expect info needs a field, an operator and a number\n" },
	{ HDR "steps = client expect info rto > 1 within 1s\n",
	    "x.ini:3: expect info takes only a field, an operator and a number, "
	    "got extra 'within'\n" },
	{ HDR "steps = client wait info backoff >= 1\n",
	    "x.ini:3: wait info needs a field, an operator, a number, 'within' "
	    "and a duration\n" },
	{ HDR "steps = client wait info backoff >= 1 within\n",
	    "x.ini:3: wait info needs a field, an operator, a number, 'within' "
	    "and a duration\n" },
	{ HDR "steps = client wait info backoff >= 1 within 1s now\n",
	    "x.ini:3: wait info takes only a field, an operator, a number, "
	    "'within' and a duration, got extra 'now'\n" },
	{ HDR "steps = client wait info backoff >= 1 within 1s now or never\n",
	    "x.ini:3: wait info takes only a field, an operator, a number, "
	    "'within' and a duration, got extra 'now'\n" },
	/* argument words */
	{ HDR "steps = client send lots\n",
	    "x.ini:3: send needs a byte count or fill, got 'lots'\n" },
	{ HDR "steps = client send 0x10\n",
	    "x.ini:3: send needs a byte count or fill, got '0x10'\n" },
	{ HDR "steps = client rcvbuf big\n",
	    "x.ini:3: rcvbuf needs a byte count, got 'big'\n" },
	{ HDR "steps = listener backlog -1\n",
	    "x.ini:3: '-1' is out of range for backlog (0..65535)\n" },
	{ HDR "steps = client expect passed FIN_WAIT3\n",
	    "x.ini:3: 'FIN_WAIT3' is not a TCP state\n" },
	{ HDR "steps = client expect rc >= many\n",
	    "x.ini:3: expect rc needs a number, or an operator and a number, "
	    "got 'many'\n" },
	{ HDR "steps = client expect rc => 1\n",
	    "x.ini:3: '=>' is not an operator (=, !=, <, <=, >, >=)\n" },
	/* ends */
	{ HDR "steps = client9 close\n",
	    "x.ini:3: unknown side 'client9' (client, server, both, listener, "
	    "relay, or client2..client8, server2..server8)\n" },
	{ HDR "steps = client1 close\n",
	    "x.ini:3: unknown side 'client1' (client, server, both, listener, "
	    "relay, or client2..client8, server2..server8)\n" },
	{ HDR "steps = server02 close\n",
	    "x.ini:3: unknown side 'server02' (client, server, both, listener, "
	    "relay, or client2..client8, server2..server8)\n" },
	{ HDR "steps = listener send 1\n",
	    "x.ini:3: send is not for 'listener': it acts on a client or a "
	    "server\n" },
	{ HDR "steps = server connect\n",
	    "x.ini:3: connect is not for 'server': it acts on a client\n" },
	{ HDR "steps = both accept\n",
	    "x.ini:3: accept is not for 'both': it acts on the listener\n" },
	{ HDR "steps = listener expect eof\n",
	    "x.ini:3: expect eof is not for 'listener': it acts on a client "
	    "or a server\n" },
	{ HDR "steps = client recv some\n",
	    "x.ini:3: recv needs a byte count, all or eof, got 'some'\n" },
	{ HDR "steps = client shutdown both\n",
	    "x.ini:3: shutdown needs rd, wr or rdwr, got 'both'\n" },
	{ HDR "steps = client linger on\n",
	    "x.ini:3: linger needs off or seconds, got 'on'\n" },
	{ HDR "steps = client nodelay yes\n",
	    "x.ini:3: nodelay needs on or off, got 'yes'\n" },
	{ HDR "steps = client filter drop syn\n",
	    "x.ini:3: filter needs drop all|fin|ack|rst, pass fin or none, "
	    "got 'drop syn'\n" },
	{ HDR "steps = client filter pass\n",
	    "x.ini:3: filter needs drop all|fin|ack|rst, pass fin or none, "
	    "got 'pass'\n" },
	{ HDR "steps = client wait state FIN_WAIT3 within 1s\n",
	    "x.ini:3: 'FIN_WAIT3' is not a TCP state\n" },
	{ HDR "steps = client expect state time_wait\n",
	    "x.ini:3: 'time_wait' is not a TCP state\n" },
	{ HDR "steps = client wait state CLOSED in 1s\n",
	    "x.ini:3: wait state needs 'within', got 'in'\n" },
	{ HDR "steps = client wait hup within 1\n",
	    "x.ini:3: wait hup needs a duration with a unit (250us, 100ms, "
	    "1.5s, 2m), got '1'\n" },
	{ HDR "steps = client sleep 1.5us\n",
	    "x.ini:3: sleep needs a duration with a unit (250us, 100ms, "
	    "1.5s, 2m), got '1.5us'\n" },
	{ HDR "steps = client expect errno EFOO\n",
	    "x.ini:3: 'EFOO' is not an errno name (like ECONNRESET, or none)\n" },
	{ HDR "steps = client expect so-error reset\n",
	    "x.ini:3: 'reset' is not an errno name (like ECONNRESET, or none)\n" },
	{ HDR "steps = client expect events IN|FOO\n",
	    "x.ini:3: 'FOO' is not a poll event (IN, OUT, PRI, ERR, HUP, RDHUP, "
	    "NVAL, RDNORM, RDBAND, WRNORM, WRBAND, MSG)\n" },
	{ HDR "steps = client expect events IN||OUT\n",
	    "x.ini:3: 'IN||OUT' is not a list of poll events like IN|HUP\n" },
	{ HDR "steps = client expect rc one\n",
	    "x.ini:3: expect rc needs a number, or an operator and a number, "
	    "got 'one'\n" },
	{ HDR "steps = client expect duration within 1s\n",
	    "x.ini:3: expect duration needs under or over and a duration, "
	    "got 'within'\n" },
	{ HDR "steps = client user-timeout 1.5ms\n",
	    "x.ini:3: user-timeout needs milliseconds or a duration, "
	    "got '1.5ms'\n" },
	{ HDR "steps = client expect info srtt > 0\n",
	    "x.ini:3: 'srtt' is not an info field (" INFO_FIELDS ")\n" },
	{ HDR "steps = client wait info Backoff > 0 within 1s\n",
	    "x.ini:3: 'Backoff' is not an info field (" INFO_FIELDS ")\n" },
	{ HDR "steps = client expect info rto == 1\n",
	    "x.ini:3: '==' is not an operator (=, !=, <, <=, >, >=)\n" },
	{ HDR "steps = client wait info rto => 1 within 1s\n",
	    "x.ini:3: '=>' is not an operator (=, !=, <, <=, >, >=)\n" },
	{ HDR "steps = client expect info rto ge 1\n",
	    "x.ini:3: 'ge' is not an operator (=, !=, <, <=, >, >=)\n" },
	{ HDR "steps = client expect info rto > lots\n",
	    "x.ini:3: expect info needs a number, got 'lots'\n" },
	{ HDR "steps = client expect info rto > 0x10\n",
	    "x.ini:3: expect info needs a number, got '0x10'\n" },
	{ HDR "steps = client wait info rto > 1.5 within 1s\n",
	    "x.ini:3: wait info needs a number, got '1.5'\n" },
	{ HDR "steps = client wait info rto > 1 in 1s\n",
	    "x.ini:3: wait info needs 'within', got 'in'\n" },
	{ HDR "steps = client wait info rto > 1 within 1\n",
	    "x.ini:3: wait info needs a duration with a unit (250us, 100ms, "
	    "1.5s, 2m), got '1'\n" },
	/* ranges */
	{ HDR "steps = client send 0\n",
	    "x.ini:3: '0' is out of range for send (1..16777216)\n" },
	{ HDR "steps = client recv 16777217\n",
	    "x.ini:3: '16777217' is out of range for recv (1..16777216)\n" },
	{ HDR "steps = client linger 3601\n",
	    "x.ini:3: '3601' is out of range for linger (0..3600)\n" },
	{ HDR "steps = client linger2 -2\n",
	    "x.ini:3: '-2' is out of range for linger2 (-1..3600)\n" },
	{ HDR "steps = client user-timeout 3600001\n",
	    "x.ini:3: '3600001' is out of range for user-timeout "
	    "(0..3600000 ms)\n" },
	{ HDR "steps = client user-timeout 2h\n",
	    "x.ini:3: '2h' is out of range for user-timeout (0..1h)\n" },
	{ HDR "steps = client sleep 11m\n",
	    "x.ini:3: '11m' is out of range for sleep (0s..10m)\n" },
	{ HDR "steps = client wait readable within 500us\n",
	    "x.ini:3: '500us' is out of range for wait readable (1ms..10m)\n" },
	{ HDR "steps = client expect info rto >= -1\n",
	    "x.ini:3: '-1' is out of range for expect info (0..4294967295)\n" },
	{ HDR "steps = client wait info lost < 4294967296 within 1s\n",
	    "x.ini:3: '4294967296' is out of range for wait info "
	    "(0..4294967295)\n" },
	{ HDR "steps = client wait info lost < 1 within 500us\n",
	    "x.ini:3: '500us' is out of range for wait info (1ms..10m)\n" },
	{ HDR "steps = client wait info lost < 1 within 11m\n",
	    "x.ini:3: '11m' is out of range for wait info (1ms..10m)\n" },
	{ HDR "steps = client expect rc 99999999999999999999\n",
	    "x.ini:3: '99999999999999999999' is out of range for expect rc "
	    "(-2147483648..2147483647)\n" },
	/* sizes */
	{ HDR "steps = client expect events "
	    "IN|IN|IN|IN|IN|IN|IN|IN|IN|IN|IN|IN|IN|IN|IN|IN|IN|IN|IN|IN|IN|IN\n",
	    "x.ini:3: arguments of expect events are too long (at most 63 "
	    "bytes)\n" },
};

/* Each class of broken input gives its exact message on its line. */
static void
each_broken_input_gives_its_message(void **state)
{
	struct catalog c = { 0 };
	size_t i, n = sizeof(bad_inputs) / sizeof(bad_inputs[0]);
	char *errs;

	for (i = 0; i < n; i++) {
		errs = NULL;
		print_message("case %zu: %s", i, bad_inputs[i].errs);
		assert_int_equal(parse_text(&c, bad_inputs[i].text, &errs), 1);
		assert_string_equal(errs, bad_inputs[i].errs);
		free(errs);
		catalog_free(&c);
	}
}

/* A 63-character name, a UTF-8 BOM and CRLF line ends are all accepted. */
static void
long_names_bom_and_crlf_are_accepted(void **state)
{
	struct catalog c = { 0 };
	char *errs = NULL;
	const char *name = "a123456789a123456789a123456789a123456789a123456789"
	    "a123456789abc";

	assert_int_equal(parse_text(&c, "\xEF\xBB\xBF[a123456789a123456789"
	    "a123456789a123456789a123456789a123456789abc]\r\n"
	    "summary = s\r\nsteps = client close\r\n  both expect rc 0\r\n",
	    &errs), 0);
	assert_string_equal(errs, "");
	assert_int_equal(c.n, 1);
	assert_string_equal(c.sc[0].name, name);
	assert_int_equal(c.sc[0].nsteps, 3);
	assert_int_equal(c.sc[0].steps[2].line, 4);
	assert_int_equal(c.sc[0].steps[2].side, SIDE_SERVER);
	free(errs);
	catalog_free(&c);
}

/* A line longer than the limit is one error, and the parse goes on. */
static void
an_overlong_line_is_reported_and_skipped(void **state)
{
	struct catalog c = { 0 };
	char *text, *errs = NULL, want[128];
	size_t len = PARSE_MAX_LINE + 1;

	text = malloc(len + 64);
	assert_non_null(text);
	strcpy(text, HDR "ref = ");
	memset(text + strlen(text), 'r', len - 6);
	strcpy(text + strlen(HDR) + len, "\nsteps = client close\n");
	assert_int_equal(parse_text(&c, text, &errs), 1);
	snprintf(want, sizeof(want), "x.ini:3: line too long (%zu bytes, at "
	    "most %d)\n", len, PARSE_MAX_LINE);
	assert_string_equal(errs, want);
	free(errs);
	free(text);
	catalog_free(&c);
}

static const char many_errors[] =
	"[ok-one]\n"						/* 1 */
	"summary = fine\n"					/* 2 */
	"steps = client close\n"				/* 3 */
	"[broken-one]\n"					/* 4 */
	"summary = two bad steps and a bad key\n"		/* 5 */
	"steps = client sned 1\n"				/* 6 */
	"        client close\n"				/* 7 */
	"        server wait state FIN_WAIT3 within 1s\n"	/* 8 */
	"colour = blue\n"					/* 9 */
	"[ok-two]\n"						/* 10 */
	"summary = fine too\n"					/* 11 */
	"steps = both close\n"					/* 12 */
	"no equals sign here\n"					/* 13 */
	"[no-summary]\n"					/* 14 */
	"steps = client send lots\n";				/* 15 */

/* Several errors in one text are all reported; only flawless sections stay. */
static void
all_errors_of_a_text_are_reported(void **state)
{
	struct catalog c = { 0 };
	char *errs = NULL;

	assert_int_equal(parse_text(&c, many_errors, &errs), 6);
	assert_string_equal(errs,
	    "x.ini:6: unknown verb 'sned'\n"
	    "x.ini:8: 'FIN_WAIT3' is not a TCP state\n"
	    "x.ini:9: unknown key 'colour' (summary, steps, ref, wire, timeout, link, sysctl, mtu)\n"
	    "x.ini:13: expected 'key = value', got 'no equals sign here'\n"
	    "x.ini:15: send needs a byte count or fill, got 'lots'\n"
	    "x.ini:14: scenario 'no-summary' has no summary\n");
	assert_int_equal(c.n, 1);		/* ok-two holds line 13 */
	assert_string_equal(c.sc[0].name, "ok-one");
	assert_null(catalog_find(&c, "broken-one"));
	assert_null(catalog_find(&c, "ok-two"));
	free(errs);
	catalog_free(&c);
}

/* A name defined in an earlier text is refused, naming where it was first. */
static void
duplicate_names_across_texts_are_refused(void **state)
{
	struct catalog c = { 0 };
	size_t len;
	char *errs = NULL;
	FILE *f;

	f = open_memstream(&errs, &len);
	assert_non_null(f);
	assert_int_equal(catalog_parse(&c, "a.ini",
	    "\n[same]\nsummary = a\nsteps = client close\n", f), 0);
	assert_int_equal(catalog_parse(&c, "b.ini",
	    "[other]\nsummary = b\nsteps = client close\n"
	    "[same]\nsummary = b\nsteps = client close\n", f), 1);
	fclose(f);
	assert_string_equal(errs,
	    "b.ini:4: duplicate scenario 'same' (first at a.ini:2)\n");
	assert_int_equal(c.n, 2);
	assert_string_equal(catalog_find(&c, "same")->file, "a.ini");
	assert_string_equal(catalog_find(&c, "other")->file, "b.ini");
	assert_null(catalog_find(&c, "none"));
	free(errs);
	catalog_free(&c);
}

/* The catalogue hash covers every text, in order. */
static void
the_hash_follows_the_texts(void **state)
{
	struct catalog a = { 0 }, b = { 0 };
	const char *t1 = "[x]\nsummary = x\nsteps = client close\n";
	const char *t2 = "[y]\nsummary = y\nsteps = client close\n";

	assert_int_equal(catalog_parse(&a, "1", t1, stderr), 0);
	assert_int_equal(catalog_parse(&a, "2", t2, stderr), 0);
	assert_int_equal(catalog_parse(&b, "1", t1, stderr), 0);
	assert_true(a.hash != b.hash);
	assert_int_equal(catalog_parse(&b, "2", t2, stderr), 0);
	assert_true(a.hash == b.hash);
	catalog_free(&a);
	catalog_free(&b);
}

/* The built-in catalogue loads without a single error. */
static void
the_embedded_catalogue_loads_cleanly(void **state)
{
	struct catalog c = { 0 };
	size_t len, i;
	char *errs = NULL;
	FILE *f;

	f = open_memstream(&errs, &len);
	assert_non_null(f);
	assert_int_equal(catalog_load_embedded(&c, f), 0);
	fclose(f);
	assert_string_equal(errs, "");
	for (i = 0; i < c.n; i++) {
		assert_true(c.sc[i].nsteps > 0);
		assert_true(c.sc[i].summary[0] != '\0');
	}
	print_message("embedded: %zu scenarios\n", c.n);
	free(errs);
	catalog_free(&c);
}

/* Writes text to dir/name. */
static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	tu_write_file(path, text);
}

/* A directory's *.ini files load in name order; others are ignored. */
static void
a_directory_loads_in_name_order(void **state)
{
	char dir[64], path[512], *errs = NULL;
	struct catalog c = { 0 };
	size_t len;
	FILE *f;

	assert_int_equal(tu_mkdtemp(dir, sizeof(dir)), 0);
	write_file(dir, "b.ini", "[bee]\nsummary = b\nsteps = client close\n");
	write_file(dir, "a.ini", "[ay]\nsummary = a\nsteps = client close\n");
	write_file(dir, "c.txt", "not a scenario file\n");
	write_file(dir, ".d.ini", "hidden\n");
	f = open_memstream(&errs, &len);
	assert_non_null(f);
	assert_int_equal(catalog_load_path(&c, dir, f), 0);
	snprintf(path, sizeof(path), "%s/a.ini", dir);
	assert_int_equal(catalog_load_path(&c, path, f), 1);
	fclose(f);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.sc[0].name, "ay");
	assert_string_equal(c.sc[1].name, "bee");
	assert_string_equal(c.sc[0].file, path);
	snprintf(path, sizeof(path), "%s/a.ini:1: duplicate scenario 'ay' "
	    "(first at %s/a.ini:1)\n", dir, dir);
	assert_string_equal(errs, path);
	free(errs);
	catalog_free(&c);
	assert_int_equal(tu_rmrf(dir), 0);
}

/* A path that cannot be read is one error "path: reason". */
static void
a_missing_path_is_one_error(void **state)
{
	struct catalog c = { 0 };
	char *errs = NULL;
	size_t len;
	FILE *f;

	f = open_memstream(&errs, &len);
	assert_non_null(f);
	assert_int_equal(catalog_load_path(&c, "/nonexistent/x.ini", f), 1);
	fclose(f);
	assert_string_equal(errs,
	    "/nonexistent/x.ini: No such file or directory\n");
	assert_int_equal(c.n, 0);
	free(errs);
}

/* Thousands of names: each found, and a duplicate in a later text named
 * with its first place, in one text or across two (the index grows). */
static void
many_scenarios_are_found_by_name_and_duplicates_caught(void **state)
{
	struct catalog c;
	char *text, *errs = NULL, name[32];
	size_t len = 0, cap = 5000 * 64 + 1;
	int i;

	memset(&c, 0, sizeof(c));
	assert_non_null(text = malloc(cap));
	for (i = 0; i < 5000; i++)
		len += (size_t)snprintf(text + len, cap - len, "[s-%d]\nsummary = x\n"
		    "steps = client close\n", i);
	assert_int_equal(parse_text(&c, text, &errs), 0);
	free(errs);
	assert_int_equal(c.n, 5000);
	for (i = 0; i < 5000; i += 7) {
		snprintf(name, sizeof(name), "s-%d", i);
		assert_non_null(catalog_find(&c, name));
		assert_string_equal(catalog_find(&c, name)->name, name);
	}
	assert_null(catalog_find(&c, "s-5000"));
	assert_int_equal(parse_text(&c, "[s-4321]\nsummary = again\n"
	    "steps = client close\n[new]\nsummary = y\nsteps = client close\n"
	    "[new]\nsummary = z\nsteps = client close\n", &errs), 2);
	assert_non_null(strstr(errs, "x.ini:1: duplicate scenario 's-4321' "
	    "(first at x.ini:12964)"));
	assert_non_null(strstr(errs, "x.ini:7: duplicate scenario 'new' "
	    "(first at x.ini:4)"));
	free(errs);
	assert_int_equal(c.n, 5001);
	assert_non_null(catalog_find(&c, "new"));
	catalog_free(&c);
	free(text);
}

/* The runner starts the cases that may wait longest first: a case's
 * bound is its sleeps, its relay delays and its waits' bounds, and no
 * other step's. */
static void
the_wait_bound_adds_sleeps_delays_and_waits(void **state)
{
	struct catalog c = { 0 };
	char *errs = NULL;

	(void)state;
	assert_int_equal(parse_text(&c,
	    "[w]\nsummary = x\nlink = relay\n"
	    "steps = relay delay C>S F. 30ms\n"
	    "        client send 100\n"
	    "        server recv 100 within 5s\n"
	    "        client sleep 250ms\n"
	    "        client wait state FIN_WAIT2 within 2s\n"
	    "        server wait readable within 500ms\n"
	    "        client wait info rqueue >= 1 within 1s\n"
	    "        client close\n"
	    "[none]\nsummary = y\nsteps = client close\n", &errs), 0);
	free(errs);
	assert_int_equal(case_wait_bound(catalog_find(&c, "w")),
	    30000 + 250000 + 2000000 + 500000 + 1000000);
	assert_int_equal(case_wait_bound(catalog_find(&c, "none")), 0);
	catalog_free(&c);
}

/* Poll events print by name, without RDNORM/WRNORM, "0" for none. */
static void
events_print_by_name(void **state)
{
	char b[64];

	(void)state;
	events_format(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLRDHUP, b,
	    sizeof(b));
	assert_string_equal(b, "IN|OUT|RDHUP");
	events_format(0, b, sizeof(b));
	assert_string_equal(b, "0");
	assert_int_equal(events_parse("IN|OUT|RDHUP"), POLLIN | POLLOUT | POLLRDHUP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_verb_parses_to_its_exact_step),
		cmocka_unit_test(many_scenarios_are_found_by_name_and_duplicates_caught),
		cmocka_unit_test(sysctls_are_sorted_into_the_netkey),
		cmocka_unit_test(every_info_field_and_operator_parses_by_name),
		cmocka_unit_test(an_equals_operator_is_not_a_key_separator),
		cmocka_unit_test(each_broken_input_gives_its_message),
		cmocka_unit_test(long_names_bom_and_crlf_are_accepted),
		cmocka_unit_test(an_overlong_line_is_reported_and_skipped),
		cmocka_unit_test(all_errors_of_a_text_are_reported),
		cmocka_unit_test(duplicate_names_across_texts_are_refused),
		cmocka_unit_test(the_hash_follows_the_texts),
		cmocka_unit_test(the_embedded_catalogue_loads_cleanly),
		cmocka_unit_test(a_directory_loads_in_name_order),
		cmocka_unit_test(a_missing_path_is_one_error),
		cmocka_unit_test(the_wait_bound_adds_sleeps_delays_and_waits),
		cmocka_unit_test(events_print_by_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
