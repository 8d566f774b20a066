/* test_relay.c: the relay's parts that need no TUN device. Its rules: the
 * newest that matches a segment's direction and exact flags decides, '*'
 * matches any, a count runs out; and the segments it makes: the IPv4 and
 * IPv6 headers, the TCP header, and checksums equal to those of an
 * independent RFC 1071 computation (Python's, written down here), which
 * the kernel accepts too (tests/e2e/relay.sh: tshark on the receiving
 * namespace's device). */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "craft.h"
#include "rules.h"

#include <pcap/dlt.h>

#define F_A	(TCPF_FIN | TCPF_ACK)

/* The action for a segment, or -1 for none (pass). */
static int
act_of(struct rule *list, enum side from, uint8_t flags)
{
	const struct rule *ru = rules_match(list, from, flags);

	return ru != NULL ? (int)ru->act : -1;
}

static void
the_newest_matching_rule_decides(void **state)
{
	struct rule *list = NULL;

	assert_int_equal(act_of(list, SIDE_CLIENT, F_A), -1);
	assert_int_equal(rules_add(&list, SIDE_BOTH, F_A, RELAY_HOLD, 0, 0), 0);
	assert_int_equal(rules_add(&list, SIDE_SERVER, -1, RELAY_DROP, 0, 0), 0);
	assert_int_equal(act_of(list, SIDE_CLIENT, F_A), RELAY_HOLD);
	assert_int_equal(act_of(list, SIDE_SERVER, F_A), RELAY_DROP);
	assert_int_equal(act_of(list, SIDE_SERVER, TCPF_ACK), RELAY_DROP);
	/* Flags are matched exactly: FIN+ACK is not FIN+PSH+ACK. */
	assert_int_equal(act_of(list, SIDE_CLIENT, F_A | TCPF_PSH), -1);
	assert_int_equal(act_of(list, SIDE_CLIENT, TCPF_ACK), -1);
	rules_clear(&list);
	assert_null(list);
	assert_int_equal(act_of(list, SIDE_SERVER, F_A), -1);
}

static void
a_count_runs_out_and_older_rules_apply_again(void **state)
{
	struct rule *list = NULL;
	const struct rule *ru;

	assert_int_equal(rules_add(&list, SIDE_CLIENT, TCPF_ACK, RELAY_DELAY, 0,
	    10000), 0);
	assert_int_equal(rules_add(&list, SIDE_CLIENT, TCPF_ACK, RELAY_DROP, 2, 0), 0);
	assert_int_equal(act_of(list, SIDE_CLIENT, TCPF_ACK), RELAY_DROP);
	/* A segment the rule does not match uses none of its count. */
	assert_int_equal(act_of(list, SIDE_SERVER, TCPF_ACK), -1);
	assert_int_equal(act_of(list, SIDE_CLIENT, TCPF_ACK), RELAY_DROP);
	assert_non_null(ru = rules_match(list, SIDE_CLIENT, TCPF_ACK));
	assert_int_equal(ru->act, RELAY_DELAY);
	assert_int_equal(ru->delay_us, 10000);
	assert_int_equal(act_of(list, SIDE_CLIENT, TCPF_ACK), RELAY_DELAY);
	rules_clear(&list);
}

/* The address of family af as text, into a. */
static void
addr(int af, const char *text, uint8_t *a)
{
	memset(a, 0, 16);
	assert_int_equal(inet_pton(af, text, a), 1);
}

/* A tuple: client 192.0.2.1:40000 (or 2001:db8::1), server .2:80. */
static void
tuple(struct tuple *t, int af)
{
	memset(t, 0, sizeof(*t));
	t->af = af;
	addr(af, af == AF_INET ? "192.0.2.1" : "2001:db8::1", t->addr[SIDE_CLIENT]);
	addr(af, af == AF_INET ? "192.0.2.2" : "2001:db8::2", t->addr[SIDE_SERVER]);
	t->port[SIDE_CLIENT] = 40000;
	t->port[SIDE_SERVER] = 80;
}

/* Big-endian 16 bits at p. */
static unsigned
be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void
an_ipv4_rst_has_the_reference_checksums(void **state)
{
	struct craft c = { 0 };
	uint8_t buf[CRAFT_MAX];
	struct tuple t;
	struct frame f;
	size_t n;

	tuple(&t, AF_INET);
	c.t = &t;
	c.from = SIDE_SERVER;
	c.flags = TCPF_RST;
	c.seq = 1000;
	c.ack = 77;				/* not sent without ACK */
	n = craft_segment(&c, buf);
	assert_int_equal(n, 40);
	assert_int_equal(buf[0], 0x45);
	assert_int_equal(be16(buf + 2), 40);
	assert_int_equal(buf[8], 64);		/* TTL */
	assert_int_equal(buf[9], IPPROTO_TCP);
	assert_int_equal(be16(buf + 10), 0xb6cc);	/* IPv4 header */
	assert_int_equal(be16(buf + 20 + 16), 0x8b64);	/* TCP */
	assert_int_equal(craft_tcp_sum(AF_INET, buf + 12, buf + 16, buf + 20, 20), 0);
	/* The capture reads it back as what was asked for. */
	assert_int_equal(capture_parse(DLT_RAW, buf, n, &f), 0);
	assert_int_equal(f.sport, 80);
	assert_int_equal(f.dport, 40000);
	assert_int_equal(f.flags, TCPF_RST);
	assert_int_equal(f.seq, 1000);
	assert_int_equal(f.ack, 0);
	assert_int_equal(f.len, 0);
	assert_int_equal(f.win, 0);
}

static void
an_ipv4_rst_ack_and_an_ipv6_rst_have_the_reference_checksums(void **state)
{
	struct craft c = { 0 };
	uint8_t buf[CRAFT_MAX];
	struct tuple t;
	struct frame f;
	size_t n;

	tuple(&t, AF_INET);
	c.t = &t;
	c.from = SIDE_SERVER;
	c.flags = TCPF_RST | TCPF_ACK;
	c.seq = 0xfffffff0;
	c.ack = 12345;
	c.win = 512;
	n = craft_segment(&c, buf);
	assert_int_equal(be16(buf + 20 + 16), 0x5d12);
	assert_int_equal(capture_parse(DLT_RAW, buf, n, &f), 0);
	assert_int_equal(f.ack, 12345);
	assert_int_equal(f.win, 512);

	tuple(&t, AF_INET6);
	memset(&c, 0, sizeof(c));
	c.t = &t;
	c.from = SIDE_SERVER;
	c.flags = TCPF_RST;
	c.seq = 1000;
	n = craft_segment(&c, buf);
	assert_int_equal(n, 60);
	assert_int_equal(buf[0] >> 4, 6);
	assert_int_equal(be16(buf + 4), 20);	/* payload length */
	assert_int_equal(buf[6], IPPROTO_TCP);
	assert_int_equal(buf[7], 64);		/* hop limit */
	assert_int_equal(be16(buf + 40 + 16), 0xb3f3);
	assert_int_equal(capture_parse(DLT_RAW, buf, n, &f), 0);
	assert_int_equal(f.af, AF_INET6);
	assert_memory_equal(f.src, t.addr[SIDE_SERVER], 16);
	assert_memory_equal(f.dst, t.addr[SIDE_CLIENT], 16);
	assert_int_equal(f.sport, 80);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_newest_matching_rule_decides),
		cmocka_unit_test(a_count_runs_out_and_older_rules_apply_again),
		cmocka_unit_test(an_ipv4_rst_has_the_reference_checksums),
		cmocka_unit_test(an_ipv4_rst_ack_and_an_ipv6_rst_have_the_reference_checksums),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
