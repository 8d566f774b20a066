/* fault.c: classic-BPF socket filters that drop chosen TCP segments.
 *
 * On a TCP socket the kernel runs the filter from tcp_filter() on every
 * segment delivered to that socket, with the packet data starting at the
 * TCP header: byte 12 holds the data offset (high nibble, in 32-bit words),
 * byte 13 the flags, and BPF_LEN is the segment's length, header included.
 * A filter returning 0 drops the segment before TCP processes it (no ACK,
 * no state change), so the sender retransmits; any other value keeps it.
 * No privilege is needed. A timewait mini-socket has no filter. */
#include <sys/socket.h>
#include <linux/filter.h>

#include <errno.h>
#include <stddef.h>

#include "fault.h"

#define TH_OFF		12		/* data offset byte of the TCP header */
#define TH_FLAGS	13		/* flags byte of the TCP header */
#define TH_FIN		0x01
#define TH_SYN		0x02
#define TH_RST		0x04
#define TH_ACK		0x10

#define BPF_DROP	0		/* TCP never sees the segment */
#define BPF_ACCEPT	0xffffffffU	/* keep the whole segment */

/* Drops every segment. */
static const struct sock_filter drop_all[] = {
	BPF_STMT(BPF_RET | BPF_K, BPF_DROP),
};

/* Drops segments with FIN set. */
static const struct sock_filter drop_fin[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, TH_FLAGS),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, TH_FIN, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, BPF_DROP),
	BPF_STMT(BPF_RET | BPF_K, BPF_ACCEPT),
};

/* Drops pure ACKs: ACK set, no SYN/FIN/RST, no payload. */
static const struct sock_filter drop_ack[] = {
	/* 0 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, TH_FLAGS),
	/* 1 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, TH_ACK, 0, 8),
	/* 2 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
		    TH_SYN | TH_FIN | TH_RST, 7, 0),
	/* 3 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, TH_OFF),
	/* 4 */ BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),
	/* 5 */ BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 2),
	/* 6 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),	/* X = header length */
	/* 7 */ BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
	/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1),
	/* 9 */ BPF_STMT(BPF_RET | BPF_K, BPF_DROP),
	/* 10 */ BPF_STMT(BPF_RET | BPF_K, BPF_ACCEPT),
};

/* Drops segments with RST set. */
static const struct sock_filter drop_rst[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, TH_FLAGS),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, TH_RST, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, BPF_DROP),
	BPF_STMT(BPF_RET | BPF_K, BPF_ACCEPT),
};

/* Keeps only segments with FIN set. */
static const struct sock_filter pass_fin[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, TH_FLAGS),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, TH_FIN, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, BPF_ACCEPT),
	BPF_STMT(BPF_RET | BPF_K, BPF_DROP),
};

#define PROG(a) { a, sizeof(a) / sizeof((a)[0]) }

static const struct {
	const struct sock_filter *insns;	/* the program */
	unsigned short len;			/* its instruction count */
} progs[FILTER__COUNT] = {
	[FILTER_NONE] = { NULL, 0 },
	[FILTER_DROP_ALL] = PROG(drop_all),
	[FILTER_DROP_FIN] = PROG(drop_fin),
	[FILTER_DROP_ACK] = PROG(drop_ack),
	[FILTER_DROP_RST] = PROG(drop_rst),
	[FILTER_PASS_FIN] = PROG(pass_fin),
};

/* Applies filter f to fd; see fault.h. */
int
fault_apply(int fd, enum filter_kind f)
{
	struct sock_fprog prog;
	int unused = 0;

	if ((int)f < 0 || f >= FILTER__COUNT) {
		errno = EINVAL;
		return -1;
	}
	if (f == FILTER_NONE) {
		if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &unused,
		    sizeof(unused)) == -1 && errno != ENOENT)
			return -1;
		return 0;
	}
	prog.len = progs[f].len;
	prog.filter = (struct sock_filter *)progs[f].insns;	/* copied */
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog));
}
