/* config.h: teardownd.ini, the daemon's configuration: one [teardownd]
 * section read strictly over built-in defaults. */
#ifndef TEARDOWND_CONFIG_H
#define TEARDOWND_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

/* Where the cases run: a private network namespace when permitted
 * (auto), always (netns: refuse to run otherwise), or the host's (host). */
enum isolate_mode { ISOLATE_AUTO, ISOLATE_NETNS, ISOLATE_HOST, ISOLATE__COUNT };

#define MAX_PROFILES	24			/* defined: built in and the file's */
#define PROFILE_NAME_LEN 32

/* A named set of per-namespace sysctls, written in the namespaces of the
 * cases run under it ([profile NAME]; built-ins: profile_builtin). */
struct profile {
	char name[PROFILE_NAME_LEN];		/* "rfc1337" */
	int line;				/* of its [profile] header; 0 built in */
	int nsysctl;
	struct sc_sysctl sysctl[MAX_PROFILE_SYSCTLS];	/* side unused */
};

struct config {
	char file[4096];			/* the file read; "" = the embedded default */
	char database[4096];			/* default "./teardownd.db" */
	char scenarios[4096];			/* user scenarios: a file or directory; "" = none */
	unsigned families;			/* bits 1u << FAM_IPV4 | 1u << FAM_IPV6 (default both) */
	int repeat;				/* 1, range 1..10000 */
	int concurrency;			/* 0 = auto (sized to the fd limit), range 0..4096 */
	int64_t case_timeout_us;		/* default 30 s, range 1s..10m */
	int isolation;				/* enum isolate_mode, default auto */
	int link;				/* enum link_kind of scenarios without one,
						 * default lo: links[0] */
	int nlinks;				/* links = (or link =): run under each */
	int links[LINK__COUNT];			/* enum link_kind, in order, no repeats */
	int nprofiles;				/* defined: the built-ins, then the file's */
	struct profile profiles[MAX_PROFILES];
	int nuse;				/* profiles = : run under each, in order */
	int use[MAX_PROFILES];			/* indexes into profiles; default {0}
						 * ("default") */
	int64_t interval_us;			/* daemon schedule, default 6h, range 1m..30d */
	char prometheus_textfile[4096];		/* written after each run; "" = none */
	int no_capture;				/* 1: do not observe the wire (--no-capture) */
	uint64_t hash;				/* FNV-1a of the file's bytes (0-length for the default) */
};

/* Fills cf with the embedded default (what an all-commented file gives). */
void config_defaults(struct config *cf);
/* Profile name of cf, or NULL. */
const struct profile *config_profile(const struct config *cf, const char *name);
/* Sets cf's profiles (list: names separated by blanks or commas) or its
 * links (lo, veth, relay) from a command line; 0, or -1 with a message
 * naming the word on errs. */
int config_set_profiles(struct config *cf, const char *list, FILE *errs);
int config_set_links(struct config *cf, const char *list, FILE *errs);
/* Checks a profile's sysctl (name, value): "" when fine, else why not
 * (into why). */
const char *profile_sysctl_check(const char *name, const char *value,
    char *why, size_t len);
/* "auto", "netns", "host". */
const char *isolation_name(int mode);
/* Resets cf to the defaults, then reads path over them. Relative database
 * and scenarios paths are taken from the file's directory. Errors go to
 * errs as "path:line: message" lines, all of them; a file that cannot be
 * read is one error "path: reason". Returns the number of errors (0 = ok);
 * after errors cf holds a partial configuration and must not be used. */
int config_load(struct config *cf, const char *path, FILE *errs);

#endif
