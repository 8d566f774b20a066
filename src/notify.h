/* notify.h: the systemd notify protocol, spoken directly over the datagram
 * socket named by $NOTIFY_SOCKET (no libsystemd): READY=1, STATUS=,
 * WATCHDOG=1, RELOADING=1, STOPPING=1. Without $NOTIFY_SOCKET every call is
 * a no-op, so the daemon runs the same by hand. */
#ifndef TEARDOWND_NOTIFY_H
#define TEARDOWND_NOTIFY_H

#include <stdint.h>

/*
 * Opens the socket $NOTIFY_SOCKET names: a path, or an abstract name
 * written "@name". Call it before isolate_netns(): an abstract name is
 * looked up in the network namespace the socket was made in, so a socket
 * opened first keeps reaching systemd from inside a private namespace.
 * Returns 1 opened, 0 no $NOTIFY_SOCKET (notify calls do nothing), -1 a
 * bad value or no socket (logged; notify calls do nothing).
 */
int notify_open(void);
/* Closes the socket. */
void notify_close(void);

/* Sends one datagram of newline-separated "KEY=value" assignments, as
 * formatted. 0, or -1 (logged once) when it could not be sent. */
int notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The watchdog period systemd asks for, from $WATCHDOG_USEC (and
 * $WATCHDOG_PID, when set, must be this process): the interval between
 * WATCHDOG=1 messages, half the timeout, in us; 0 when there is none. */
uint64_t notify_watchdog_interval(void);


#endif
