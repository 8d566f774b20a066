/* config.c: teardownd.ini. Defaults first, then the file through the INI
 * driver of parse.c: one [teardownd] section, every key checked whole and
 * in range, unknown sections and keys refused, every error reported as
 * "file:line: message". */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>

#include "config.h"
#include "parse.h"

#define CERR(p, ...)	parse_error(&(p)->ini, (p)->ini.line, __VA_ARGS__)
#define US(s)		((int64_t)(s) * 1000000)

/* How a key's value is read. */
enum ctype {
	T_PATH,					/* a path, required */
	T_PATH_OPT,				/* a path, or empty for none */
	T_FAMILIES,				/* ipv4 and/or ipv6 */
	T_INT,					/* a whole number in min..max */
	T_DURATION,				/* a duration in min..max us */
	T_ISOLATION,				/* auto, netns or host */
	T_LINK					/* lo, veth or relay */
};

/* The keys of [teardownd]. */
static const struct ckey {
	const char *name;			/* as written in the file */
	enum ctype type;
	size_t off;				/* the field in struct config */
	int64_t min, max;			/* T_INT, T_DURATION range */
} ckeys[] = {
	{ "database", T_PATH, offsetof(struct config, database), 0, 0 },
	{ "scenarios", T_PATH_OPT, offsetof(struct config, scenarios), 0, 0 },
	{ "families", T_FAMILIES, offsetof(struct config, families), 0, 0 },
	{ "repeat", T_INT, offsetof(struct config, repeat), 1, 10000 },
	{ "concurrency", T_INT, offsetof(struct config, concurrency), 0, 1000000 },
	{ "case_timeout", T_DURATION, offsetof(struct config, case_timeout_us),
	    US(1), US(600) },
	{ "interval", T_DURATION, offsetof(struct config, interval_us),
	    US(60), US(30 * 86400) },
	{ "isolation", T_ISOLATION, offsetof(struct config, isolation), 0, 0 },
	{ "link", T_LINK, offsetof(struct config, link), 0, 0 },
	{ "prometheus_textfile", T_PATH_OPT,
	    offsetof(struct config, prometheus_textfile), 0, 0 },
};
#define NCKEYS (sizeof(ckeys) / sizeof(ckeys[0]))

/* The state of one config_load(). */
struct cfparse {
	struct config *cf;			/* being filled */
	struct parse_ini ini;			/* the INI driver */
	char dir[4096];				/* the file's directory, "" if none */
	int ours;				/* inside [teardownd] */
	int section_line;			/* first [teardownd], 0 = none yet */
	int key_line[NCKEYS];			/* line of each key, 0 = absent */
	int cur;				/* key that indented lines continue, -1 */
};

/* The name of an isolation mode, as the configuration writes it. */
const char *
isolation_name(int mode)
{
	static const char *const names[ISOLATE__COUNT] = {
		[ISOLATE_AUTO] = "auto", [ISOLATE_NETNS] = "netns",
		[ISOLATE_HOST] = "host",
	};

	return mode >= 0 && mode < ISOLATE__COUNT ? names[mode] : "?";
}

/* Fills cf with the embedded default configuration. */
void
config_defaults(struct config *cf)
{
	memset(cf, 0, sizeof(*cf));
	snprintf(cf->database, sizeof(cf->database), "./teardownd.db");
	cf->families = 1u << FAM_IPV4 | 1u << FAM_IPV6;
	cf->repeat = 1;
	cf->concurrency = 0;
	cf->case_timeout_us = US(30);
	cf->interval_us = US(6 * 3600);
	cf->hash = PARSE_FNV_INIT;		/* FNV-1a of no bytes */
}

/* A path; a relative one is taken from the config file's directory. */
static void
set_path(struct cfparse *p, const struct ckey *k, char *dst,
    const char *value)
{
	size_t len = sizeof(p->cf->database);	/* = every path field's size */
	int n;

	if (*value == '\0') {
		if (k->type == T_PATH)
			CERR(p, "%s needs a path", k->name);
		else
			dst[0] = '\0';
		return;
	}
	if (value[0] == '/' || p->dir[0] == '\0')
		n = snprintf(dst, len, "%s", value);
	else
		n = snprintf(dst, len, "%s%s%s", p->dir,
		    strcmp(p->dir, "/") == 0 ? "" : "/", value);
	if (n < 0 || (size_t)n >= len)
		CERR(p, "%s path '%s' is too long (at most %zu bytes)", k->name,
		    value, len - 1);
}

/* Address families: ipv4, ipv6, separated by blanks or commas. */
static void
set_families(struct cfparse *p, const struct ckey *k, unsigned *dst,
    const char *value)
{
	char buf[PARSE_MAX_LINE + 1], *w, *save = NULL;
	unsigned fam = 0;
	int f, bad = 0;

	snprintf(buf, sizeof(buf), "%s", value);
	for (w = strtok_r(buf, " \t,", &save); w != NULL;
	    w = strtok_r(NULL, " \t,", &save)) {
		for (f = 0; f < FAM__COUNT; f++)
			if (strcmp(w, family_name(f)) == 0)
				break;
		if (f == FAM__COUNT) {
			CERR(p, "'%s' is not an address family (ipv4, ipv6)", w);
			bad = 1;
		} else
			fam |= 1u << f;
	}
	if (fam == 0 && !bad)
		CERR(p, "%s needs ipv4, ipv6 or both", k->name);
	if (!bad && fam != 0)
		*dst = fam;
}

/* A whole number in k's range. */
static void
set_int(struct cfparse *p, const struct ckey *k, int *dst, const char *value)
{
	long v;

	if (parse_long(value, (long)k->min, (long)k->max, &v) == 0)
		*dst = (int)v;
	else if (errno == ERANGE)
		CERR(p, "'%s' is out of range for %s (%lld..%lld)", value,
		    k->name, (long long)k->min, (long long)k->max);
	else
		CERR(p, "%s needs a whole number, got '%s'", k->name, value);
}

/* A duration in k's range. */
static void
set_duration(struct cfparse *p, const struct ckey *k, int64_t *dst,
    const char *value)
{
	char lo[32], hi[32];

	if (parse_duration(value, k->min, k->max, dst) == 0)
		return;
	if (errno != ERANGE) {
		CERR(p, "%s needs a duration with a unit (250us, 100ms, 1.5s, "
		    "2m, 6h, 1d), got '%s'", k->name, value);
		return;
	}
	parse_format_duration(k->min, lo, sizeof(lo));
	parse_format_duration(k->max, hi, sizeof(hi));
	CERR(p, "'%s' is out of range for %s (%s..%s)", value, k->name, lo, hi);
}

/* Where cases run: auto, netns or host. */
static void
set_isolation(struct cfparse *p, const struct ckey *k, int *dst, const char *value)
{
	int i;

	for (i = 0; i < ISOLATE__COUNT; i++)
		if (strcmp(value, isolation_name(i)) == 0) {
			*dst = i;
			return;
		}
	CERR(p, "%s needs auto, netns or host, got '%s'", k->name, value);
}

/* The link of scenarios without a link key: lo, veth or relay. */
static void
set_link(struct cfparse *p, const struct ckey *k, int *dst, const char *value)
{
	int i;

	for (i = 0; i < LINK__COUNT; i++)
		if (strcmp(value, link_name((enum link_kind)i)) == 0) {
			*dst = i;
			return;
		}
	CERR(p, "%s needs lo, veth or relay, got '%s'", k->name, value);
}

/* Stores a value into the field k names. */
static void
set_value(struct cfparse *p, const struct ckey *k, const char *value)
{
	char *field = (char *)p->cf + k->off;

	switch (k->type) {
	case T_PATH:
	case T_PATH_OPT:
		set_path(p, k, field, value);
		break;
	case T_FAMILIES:
		set_families(p, k, (unsigned *)(void *)field, value);
		break;
	case T_INT:
		set_int(p, k, (int *)(void *)field, value);
		break;
	case T_DURATION:
		set_duration(p, k, (int64_t *)(void *)field, value);
		break;
	case T_ISOLATION:
		set_isolation(p, k, (int *)(void *)field, value);
		break;
	case T_LINK:
		set_link(p, k, (int *)(void *)field, value);
		break;
	}
}

/* The driver's key callback. */
static void
cf_key(struct parse_ini *ini, const char *name, const char *value)
{
	struct cfparse *p = ini->user;
	size_t i;

	if (!p->ours)
		return;			/* an unknown section, reported */
	if (ini->cont) {
		if (p->cur >= 0)
			CERR(p, "unexpected '%s': %s takes one line", value,
			    ckeys[p->cur].name);
		return;
	}
	p->cur = -1;
	for (i = 0; i < NCKEYS; i++)
		if (strcmp(name, ckeys[i].name) == 0)
			break;
	if (i == NCKEYS) {
		CERR(p, "unknown key '%s' (database, scenarios, families, "
		    "repeat, concurrency, case_timeout, interval, isolation, link, "
		    "prometheus_textfile)", name);
		return;
	}
	if (p->key_line[i] != 0) {
		CERR(p, "duplicate key '%s' (first at line %d)", name,
		    p->key_line[i]);
		return;
	}
	p->key_line[i] = ini->line;
	p->cur = (int)i;
	set_value(p, &ckeys[i], value);
}

/* The driver's section callback: only [teardownd], once. */
static void
cf_section(struct parse_ini *ini, const char *name)
{
	struct cfparse *p = ini->user;

	p->cur = -1;
	p->ours = strcmp(name, "teardownd") == 0;
	if (!p->ours)
		CERR(p, "unknown section '[%s]' (only [teardownd])", name);
	else if (p->section_line != 0)
		CERR(p, "duplicate section '[teardownd]' (first at line %d)",
		    p->section_line);
	else
		p->section_line = ini->line;
}

/* The directory part of path: "" for none, "/" for the root. */
static void
dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		dir[0] = '\0';
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* Resets cf to the defaults and reads path over them. */
int
config_load(struct config *cf, const char *path, FILE *errs)
{
	struct cfparse p;
	size_t len;
	char *text;

	config_defaults(cf);
	if (strlen(path) >= sizeof(cf->file)) {
		fprintf(errs, "%s: %s\n", path, strerror(ENAMETOOLONG));
		return 1;
	}
	snprintf(cf->file, sizeof(cf->file), "%s", path);
	if ((text = parse_slurp(path, &len, errs)) == NULL)
		return 1;
	cf->hash = parse_fnv1a(PARSE_FNV_INIT, text, len);
	memset(&p, 0, sizeof(p));
	p.cf = cf;
	p.cur = -1;
	dir_of(path, p.dir, sizeof(p.dir));
	p.ini.file = path;
	p.ini.errs = errs;
	p.ini.user = &p;
	p.ini.section = cf_section;
	p.ini.key = cf_key;
	parse_ini(&p.ini, text);
	free(text);
	return p.ini.nerr;
}
