/* catalog.h: the scenario catalogue — the built-in scenarios embedded at
 * build time and the user's scenario files, parsed strictly into the
 * model of scenario.h. */
#ifndef TEARDOWND_CATALOG_H
#define TEARDOWND_CATALOG_H

#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

/* An open-addressed index of names (slots hold i + 1; 0 is empty), with
 * each name's hash: growing and probing compare hashes, and read a name
 * only when they match. */
struct name_slot {
	uint32_t i1;				/* i + 1; 0: empty */
	uint32_t h;				/* the name's hash (low bits) */
};
struct name_index {
	struct name_slot *slot;			/* malloc'd, cap slots */
	size_t cap, n;
};

struct catalog {
	struct scenario *sc;			/* malloc'd array, owned */
	size_t n;				/* scenarios in sc */
	uint64_t hash;				/* FNV-1a over all texts parsed */
	struct name_index names;		/* sc by name */
};

/* Each loader appends to c (zero it first); scenarios with errors are left
 * out. Every error goes to errs as one line "file:line: message" naming
 * the offending word; all errors are reported. Each returns the number of
 * errors, 0 = ok. Pointers into c->sc stay valid until the next load. */

/* Parses one INI text, named file in messages. */
int catalog_parse(struct catalog *c, const char *file, const char *text,
    FILE *errs);
/* The built-in catalogue: etc/scenarios, embedded at build time. */
int catalog_load_embedded(struct catalog *c, FILE *errs);
/* A file, or a directory's *.ini files in name order; a path that cannot
 * be read is one error "path: reason". */
int catalog_load_path(struct catalog *c, const char *path, FILE *errs);
/* The scenario called name, or NULL. */
const struct scenario *catalog_find(const struct catalog *c,
    const char *name);
/* Reports, as "file:line: message" lines, each `linger N` step whose N
 * is not under its scenario's case deadline (its timeout, else
 * default_us). Returns the number of such errors. */
int catalog_check_linger(const struct catalog *c, int64_t default_us,
    FILE *errs);
/* Frees every scenario and zeroes c. */
void catalog_free(struct catalog *c);

#endif
