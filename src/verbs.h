/* verbs.h: every verb of the scenario language, one row each. A row names
 * the verb's words, the ends it acts on, how many argument words it takes,
 * its parser (catalog.c), its handler (case.c) and its documentation line
 * (teardownd --verbs, teardownd.ini(5)). Each file that needs a column
 * expands VERBS() with a macro of its own, so a verb added here without a
 * parser or a handler does not build.
 *
 * X(ID, name (one or two words), flags, min args, max args,
 *   the arguments for messages, parser, handler, documentation) */
#ifndef TEARDOWND_VERBS_H
#define TEARDOWND_VERBS_H

/* Which ends a verb applies to, and how it behaves (the flags column). */
#define VF_CLIENT	0x01		/* clients */
#define VF_SERVER	0x02		/* accepted ends */
#define VF_LISTENER	0x04		/* the listening socket */
#define VF_EXPECT	0x08		/* checks, never acts */
#define VF_INSTANT	0x10		/* acts at once: may pair under "both" */
#define VF_EVENTS	0x20		/* its rc is a poll revents mask */
#define VF_RELAY	0x40		/* the relay (link = relay) */
#define VF_PAIR		(VF_CLIENT | VF_SERVER)
#define VF_ANY		(VF_CLIENT | VF_SERVER | VF_LISTENER)

#define VERBS(X) \
X(SEND, "send", VF_PAIR, 1, 3, \
  "a byte count or fill", args_send, act_send, \
  "send N: write N bytes, waiting while the buffer is full (within 5s unless said); " \
  "send N nonblock: what fits now, not waiting; send fill: until EAGAIN, rc the bytes taken") \
X(RECV, "recv", VF_PAIR, 1, 3, \
  "a byte count, all or eof", args_recv, act_recv, \
  "recv N|all|eof: read N bytes, what is queued, or up to EOF, waiting (within 5s " \
  "unless said); nonblock: what is queued now, not waiting") \
X(SHUTDOWN, "shutdown", VF_PAIR | VF_INSTANT, 1, 1, "rd, wr or rdwr", \
  args_shutdown, act_shutdown, "shutdown rd|wr|rdwr: shutdown(2)") \
X(CLOSE, "close", VF_ANY | VF_INSTANT, 0, 0, NULL, args_none, act_close, \
  "close: close(2) the end's fd; under SO_LINGER it may block, so it runs on a worker") \
X(LINGER, "linger", VF_PAIR | VF_INSTANT, 1, 1, "off or seconds", \
  args_linger, act_sockopt, "linger off|N: SO_LINGER (linger 0, then close, is the " \
  "abortive close)") \
X(LINGER2, "linger2", VF_PAIR | VF_INSTANT, 1, 1, "seconds", \
  args_linger2, act_sockopt, "linger2 N: TCP_LINGER2, seconds in FIN_WAIT2; -1 aborts there") \
X(NODELAY, "nodelay", VF_PAIR | VF_INSTANT, 1, 1, "on or off", \
  args_nodelay, act_sockopt, "nodelay on|off: TCP_NODELAY") \
X(QUICKACK, "quickack", VF_PAIR | VF_INSTANT, 0, 0, NULL, args_none, \
  act_sockopt, "quickack: TCP_QUICKACK 1") \
X(USER_TIMEOUT, "user-timeout", VF_PAIR | VF_INSTANT, 1, 1, \
  "milliseconds or a duration", args_user_timeout, act_sockopt, \
  "user-timeout MS: TCP_USER_TIMEOUT") \
X(RCVBUF, "rcvbuf", VF_ANY | VF_INSTANT, 1, 1, "a byte count", \
  args_bufsize, act_sockopt, "rcvbuf N: SO_RCVBUF; rc is the size read back") \
X(SNDBUF, "sndbuf", VF_ANY | VF_INSTANT, 1, 1, "a byte count", \
  args_bufsize, act_sockopt, "sndbuf N: SO_SNDBUF; rc is the size read back") \
X(BACKLOG, "backlog", VF_LISTENER | VF_INSTANT, 1, 1, "a number", \
  args_backlog, act_backlog, "backlog N: listen(2) again with backlog N") \
X(ACCEPT, "accept", VF_LISTENER, 0, 2, "'within' and a duration", \
  args_accept, act_accept, "accept: take the next queued connection (waiting " \
  "within 1s unless said); it becomes the server end of its client") \
X(CONNECT, "connect", VF_CLIENT, 0, 3, "nonblock or 'within' and a duration", \
  args_connect, act_connect, "connect: connect(2) to the listener here, not at " \
  "set-up; waits for the handshake (within 1s unless said); nonblock: returns at once") \
X(RECONNECT, "reconnect", VF_CLIENT, 0, 3, \
  "nonblock or 'within' and a duration", args_connect, act_reconnect, \
  "reconnect: a new socket bound to the client's old address (SO_REUSEADDR) " \
  "connects to the same listener; the old fd must be closed") \
X(SLEEP, "sleep", VF_ANY, 1, 1, "a duration", args_sleep, act_sleep, \
  "sleep D: do nothing for D") \
X(FILTER, "filter", VF_PAIR | VF_INSTANT, 1, 2, \
  "drop all|fin|ack|rst, pass fin or none", args_filter, act_filter, \
  "filter drop all|fin|ack|rst, pass fin, none: a socket filter on what the end receives") \
X(POLL, "poll", VF_ANY | VF_INSTANT | VF_EVENTS, 0, 0, NULL, args_none, \
  act_poll, "poll: rc is the end's poll(2) events now") \
X(WAIT_STATE, "wait state", VF_ANY, 3, 3, \
  "a TCP state, 'within' and a duration", args_wait_state, act_wait_state, \
  "wait state S within D: until the end is in S") \
X(WAIT_READABLE, "wait readable", VF_ANY | VF_EVENTS, 2, 2, \
  "'within' and a duration", args_wait, act_wait_poll, \
  "wait readable within D: until poll(2) says IN, ERR or HUP") \
X(WAIT_WRITABLE, "wait writable", VF_PAIR | VF_EVENTS, 2, 2, \
  "'within' and a duration", args_wait, act_wait_poll, \
  "wait writable within D: until poll(2) says OUT, ERR or HUP") \
X(WAIT_HUP, "wait hup", VF_PAIR | VF_EVENTS, 2, 2, "'within' and a duration", \
  args_wait, act_wait_poll, "wait hup within D: until poll(2) says HUP") \
X(WAIT_INFO, "wait info", VF_ANY, 5, 5, \
  "a field, an operator, a number, 'within' and a duration", args_wait_info, \
  act_wait_info, "wait info FIELD OP N within D: until the end's field holds") \
X(EXPECT_STATE, "expect state", VF_ANY | VF_EXPECT, 1, 1, "a TCP state", \
  args_expect_state, act_expect, "expect state S: the end is in S now") \
X(EXPECT_ERRNO, "expect errno", VF_ANY | VF_EXPECT, 1, 1, \
  "an errno name or none", args_errno, act_expect, \
  "expect errno E: the end's previous step failed with E (none: it did not fail)") \
X(EXPECT_EOF, "expect eof", VF_PAIR | VF_EXPECT, 0, 0, NULL, args_none, \
  act_expect, "expect eof: the end's previous recv ended at EOF") \
X(EXPECT_RC, "expect rc", VF_ANY | VF_EXPECT, 1, 2, \
  "a number, or an operator and a number", args_rc, act_expect, \
  "expect rc [OP] N: the end's previous step returned N (or OP N)") \
X(EXPECT_EVENTS, "expect events", VF_ANY | VF_EXPECT, 1, 1, \
  "poll events like IN|HUP", args_events, act_expect, \
  "expect events IN|OUT|...: the end's previous poll returned exactly these") \
X(EXPECT_SOERROR, "expect so-error", VF_ANY | VF_EXPECT, 1, 1, \
  "an errno name or none", args_errno, act_expect, \
  "expect so-error E: SO_ERROR of the end now") \
X(EXPECT_DURATION, "expect duration", VF_ANY | VF_EXPECT, 2, 2, \
  "under or over and a duration", args_duration, act_expect, \
  "expect duration under|over D: how long the end's previous step took") \
X(EXPECT_INFO, "expect info", VF_ANY | VF_EXPECT, 3, 3, \
  "a field, an operator and a number", args_expect_info, act_expect, \
  "expect info FIELD OP N: the end's field now") \
X(EXPECT_PASSED, "expect passed", VF_PAIR | VF_EXPECT, 1, 1, "a TCP state", \
  args_expect_state, act_expect, "expect passed S: the end entered S at some " \
  "moment since the case began (state transitions; skipped where not observed)") \
X(HOLD, "hold", VF_RELAY | VF_INSTANT, 2, 3, "a direction, flags and a count", \
  args_relay_rule, act_relay_rule, "relay hold DIR FLAGS [N]: from now on keep " \
  "the case's segments going DIR (C>S, S>C or *) with exactly FLAGS (tcpdump's, " \
  "or *) for a release (the next N of them, or all)") \
X(DROP, "drop", VF_RELAY | VF_INSTANT, 2, 3, "a direction, flags and a count", \
  args_relay_rule, act_relay_rule, "relay drop DIR FLAGS [N]: never deliver such " \
  "segments (the next N of them, or all)") \
X(RELEASE, "release", VF_RELAY, 0, 3, "together, or 'within' and a duration", \
  args_relay_release, act_relay_release, "relay release [together] [within D]: " \
  "once a segment is held, deliver every held one in the order the relay got them; " \
  "together: once each side has one held, the first of each, back to back " \
  "(waits within 1s unless said); rc is the number delivered") \
X(DUPLICATE, "duplicate", VF_RELAY | VF_INSTANT, 2, 3, \
  "a direction, flags and a count", args_relay_rule, act_relay_rule, \
  "relay duplicate DIR FLAGS [N]: deliver such segments, and keep a copy of " \
  "each for a release (the next N of them, or all)") \
X(DELAY, "delay", VF_RELAY | VF_INSTANT, 3, 4, \
  "a direction, flags, a duration and a count", args_relay_delay, act_relay_rule, \
  "relay delay DIR FLAGS D [N]: deliver such segments D after they were sent, " \
  "in order (the next N of them, or all)") \
X(INJECT, "inject", VF_RELAY | VF_INSTANT, 2, 8, \
  "a direction, flags, then seq, ack or win and a value", args_relay_inject, \
  act_relay_inject, "relay inject DIR FLAGS [seq next+N] [ack next+N] [win N]: " \
  "make a segment from one end of the first pair to the other (no options, no " \
  "data); seq counts from the next the receiver expects (its rcv_nxt), ack from " \
  "the next the sender expects, as the relay delivered them; win defaults to the " \
  "sender's last") \
X(CLEAR, "clear", VF_RELAY | VF_INSTANT, 0, 0, NULL, args_none, \
  act_relay_clear, "relay clear: forget the case's rules (held and delayed " \
  "segments stay kept)")

#endif
