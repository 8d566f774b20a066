/* fault.h: faults without root. Classic-BPF socket filters
 * (SO_ATTACH_FILTER) that make a TCP socket drop chosen incoming segments
 * before TCP sees them, so that the peer retransmits. */
#ifndef TEARDOWND_FAULT_H
#define TEARDOWND_FAULT_H

#include "scenario.h"

/* Applies filter f to fd, replacing any filter already attached;
 * FILTER_NONE detaches (no error if none is attached). On a listener the
 * filter also sees SYNs and is inherited by accepted sockets.
 * 0, or -1 with errno (EINVAL for an unknown kind). */
int fault_apply(int fd, enum filter_kind f);

#endif
