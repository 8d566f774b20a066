/* daemon.h: the scheduled daemon: the plan run every interval on one
 * libevent loop, at once after a kernel change; SIGHUP reloads, SIGTERM
 * and SIGINT stop; systemd hears of it all over $NOTIFY_SOCKET. */
#ifndef TEARDOWND_DAEMON_H
#define TEARDOWND_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plan.h"

/* Reads the configuration, the catalogue and the command line into s and
 * builds its plan. Every error goes to errs as one line; returns 0, or the
 * exit code the error calls for (64 a bad option value, 78 a
 * configuration or scenario error), s then holding nothing to free. */
typedef int (*setup_load_fn)(void *ctx, struct setup *s, FILE *errs);

/*
 * Runs the daemon in the foreground until SIGTERM or SIGINT: first is the
 * setup already loaded (taken over), load reads it again on SIGHUP, and
 * interval_us, when > 0, replaces the configuration's interval. Returns
 * the exit code: 0 after a clean stop, 70 when a required private network
 * namespace cannot be made or sock_diag cannot find connections
 * (probe_ready_tcp), 74 when the database cannot be opened.
 */
int daemon_main(struct setup *first, setup_load_fn load, void *ctx,
    int64_t interval_us);

#endif
