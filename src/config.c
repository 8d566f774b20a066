/* config.c: teardownd.ini. Defaults first, then the file through the INI
 * driver of parse.c: one [teardownd] section, every key checked whole and
 * in range, unknown sections and keys refused, every error reported as
 * "file:line: message". */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "parse.h"
#include "sysctl.h"

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
	T_LINK,					/* lo, veth or relay */
	T_LINKS,				/* some of lo, veth, relay */
	T_PROFILES				/* profile names */
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
	{ "links", T_LINKS, offsetof(struct config, link), 0, 0 },
	{ "profiles", T_PROFILES, 0, 0, 0 },
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
	struct profile *prof;			/* inside [profile NAME]; NULL not */
	char use[PARSE_MAX_LINE + 1];		/* profiles = as written */
};

/* The built-in profiles: the teardown sysctls people change. */
static const struct builtin {
	const char *name, *sysctl, *value;
} builtins[] = {
	{ "default", NULL, NULL },		/* as copied where teardownd started */
	{ "fin-timeout-1", "net.ipv4.tcp_fin_timeout", "1" },
	{ "rfc1337", "net.ipv4.tcp_rfc1337", "1" },
	{ "orphan-retries-1", "net.ipv4.tcp_orphan_retries", "1" },
	{ "tw-reuse-0", "net.ipv4.tcp_tw_reuse", "0" },
	{ "tw-reuse-1", "net.ipv4.tcp_tw_reuse", "1" },
	{ "abort-on-overflow", "net.ipv4.tcp_abort_on_overflow", "1" },
};
#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

/* The values a profile may give the sysctls whose meaning is known; any
 * other network sysctl takes whole numbers. */
static const struct known {
	const char *name;
	long min, max;
} knowns[] = {
	{ "net.ipv4.tcp_fin_timeout", 1, 2147483 },
	{ "net.ipv4.tcp_rfc1337", 0, 1 },
	{ "net.ipv4.tcp_orphan_retries", 0, 255 },
	{ "net.ipv4.tcp_tw_reuse", 0, 2 },
	{ "net.ipv4.tcp_abort_on_overflow", 0, 1 },
	{ "net.ipv4.tcp_syn_retries", 1, 127 },
	{ "net.ipv4.tcp_synack_retries", 0, 255 },
	{ "net.ipv4.tcp_retries1", 0, 255 },
	{ "net.ipv4.tcp_retries2", 0, 255 },
	{ "net.ipv4.tcp_sack", 0, 1 },
	{ "net.ipv4.tcp_timestamps", 0, 2 },
	{ "net.ipv4.tcp_window_scaling", 0, 1 },
	{ "net.ipv4.tcp_ecn", 0, 2 },
	{ "net.ipv4.tcp_max_tw_buckets", 0, 2147483647 },
	{ "net.ipv4.tcp_keepalive_time", 1, 2147483 },
	{ "net.ipv4.tcp_keepalive_intvl", 1, 2147483 },
	{ "net.ipv4.tcp_keepalive_probes", 1, 127 },
	{ "net.ipv4.tcp_early_retrans", 0, 4 },
	{ "net.ipv4.tcp_no_metrics_save", 0, 1 },
};

/* Why a profile's sysctl is refused, or "". */
const char *
profile_sysctl_check(const char *name, const char *value, char *why,
    size_t len)
{
	char path[256], buf[64], *w, *save = NULL;
	size_t i, n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.");
	long v;

	if (strncmp(name, "net.", 4) != 0 || name[n] != '\0' || n >= 64 ||
	    strstr(name, "..") != NULL) {
		snprintf(why, len, "'%s' is not a network sysctl "
		    "(net.ipv4.tcp_rfc1337, ...)", name);
		return why;
	}
	if (sysctl_path(name, path, sizeof(path)) == -1 ||
	    access(path, F_OK) == -1) {
		snprintf(why, len, "'%s' is not a sysctl of this kernel (no %s)",
		    name, path);
		return why;
	}
	for (i = 0; i < sizeof(knowns) / sizeof(knowns[0]); i++)
		if (strcmp(name, knowns[i].name) == 0) {
			if (parse_long(value, knowns[i].min, knowns[i].max, &v) == 0)
				return "";
			snprintf(why, len, "'%s' is not a value of %s (%ld..%ld)",
			    value, name, knowns[i].min, knowns[i].max);
			return why;
		}
	if (strlen(value) >= sizeof(buf)) {
		snprintf(why, len, "the value of %s is too long (at most %zu "
		    "bytes)", name, sizeof(buf) - 1);
		return why;
	}
	snprintf(buf, sizeof(buf), "%s", value);
	n = 0;
	for (w = strtok_r(buf, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save), n++)
		if (parse_long(w, -2147483647L - 1, 2147483647L, &v) == -1) {
			snprintf(why, len, "'%s' is not a value of %s (whole "
			    "numbers)", w, name);
			return why;
		}
	if (n == 0) {
		snprintf(why, len, "%s needs a value", name);
		return why;
	}
	return "";
}

/* Adds profile name with one sysctl (or none); NULL when full. */
static struct profile *
profile_new(struct config *cf, const char *name)
{
	struct profile *pr;

	if (cf->nprofiles == MAX_PROFILES)
		return NULL;
	pr = &cf->profiles[cf->nprofiles++];
	memset(pr, 0, sizeof(*pr));
	snprintf(pr->name, sizeof(pr->name), "%s", name);
	return pr;
}

/* Profile name of cf, or NULL. */
const struct profile *
config_profile(const struct config *cf, const char *name)
{
	int i;

	for (i = 0; i < cf->nprofiles; i++)
		if (strcmp(cf->profiles[i].name, name) == 0)
			return &cf->profiles[i];
	return NULL;
}

/* What names_read found wrong with a list. */
enum names_err { NAMES_OK, NAMES_UNKNOWN, NAMES_TWICE, NAMES_NONE };

/* Reads list (names separated by blanks or commas, split in buf) into
 * out[0..max-1] as the indexes find gives them, each once, *n their
 * count; on an error *word is the name, in buf. */
static enum names_err
names_read(const struct config *cf, const char *list,
    int (*find)(const struct config *, const char *), int *out, int max,
    int *n, char buf[PARSE_MAX_LINE + 1], const char **word)
{
	char *w, *save = NULL;
	int i, k;

	*n = 0;
	snprintf(buf, PARSE_MAX_LINE + 1, "%s", list);
	for (w = strtok_r(buf, " \t,", &save); w != NULL;
	    w = strtok_r(NULL, " \t,", &save)) {
		*word = w;
		if ((k = find(cf, w)) < 0)
			return NAMES_UNKNOWN;
		for (i = 0; i < *n; i++)
			if (out[i] == k)
				return NAMES_TWICE;
		if (*n == max)			/* no more distinct ones exist */
			return NAMES_TWICE;
		out[(*n)++] = k;
	}
	return *n == 0 ? NAMES_NONE : NAMES_OK;
}

/* names_read's find for profiles: an index into cf->profiles, or -1. */
static int
profile_index(const struct config *cf, const char *name)
{
	const struct profile *pr = config_profile(cf, name);

	return pr != NULL ? (int)(pr - cf->profiles) : -1;
}

/* names_read's find for links: an enum link_kind, or -1. */
static int
link_index(const struct config *cf, const char *name)
{
	int k;

	for (k = 0; k < LINK__COUNT; k++)
		if (strcmp(name, link_name((enum link_kind)k)) == 0)
			return k;
	return -1;
}

/* Reads a list of profiles into cf->use; the first unknown one or
 * repeat is named in why ("" fine). */
static const char *
use_set(struct config *cf, const char *list, char *why, size_t len)
{
	int n, use[MAX_PROFILES];
	char buf[PARSE_MAX_LINE + 1];
	const char *w;

	switch (names_read(cf, list, profile_index, use, MAX_PROFILES, &n, buf,
	    &w)) {
	case NAMES_UNKNOWN:
		snprintf(why, len, "no profile '%s' (built in: default, "
		    "fin-timeout-1, rfc1337, orphan-retries-1, tw-reuse-0, "
		    "tw-reuse-1, abort-on-overflow; or a [profile %s] section)", w,
		    w);
		return why;
	case NAMES_TWICE:
		snprintf(why, len, "profile '%s' is named twice", w);
		return why;
	case NAMES_NONE:
		snprintf(why, len, "profiles needs a profile name (default, ...)");
		return why;
	case NAMES_OK:
		break;
	}
	memcpy(cf->use, use, sizeof(use));
	cf->nuse = n;
	return "";
}

/* Reads a list of links into cf->links (and link, the first); why as
 * use_set. */
static const char *
links_set(struct config *cf, const char *list, char *why, size_t len)
{
	int n, links[LINK__COUNT];
	char buf[PARSE_MAX_LINE + 1];
	const char *w;

	switch (names_read(cf, list, link_index, links, LINK__COUNT, &n, buf,
	    &w)) {
	case NAMES_UNKNOWN:
		snprintf(why, len, "'%s' is not a link (lo, veth, relay)", w);
		return why;
	case NAMES_TWICE:
		snprintf(why, len, "link '%s' is named twice", w);
		return why;
	case NAMES_NONE:
		snprintf(why, len, "links needs lo, veth or relay");
		return why;
	case NAMES_OK:
		break;
	}
	memcpy(cf->links, links, sizeof(links));
	cf->nlinks = n;
	cf->link = links[0];
	return "";
}

/* --profile: as profiles = . */
int
config_set_profiles(struct config *cf, const char *list, FILE *errs)
{
	char why[512];

	if (*use_set(cf, list, why, sizeof(why)) == '\0')
		return 0;
	fprintf(errs, "teardownd: --profile: %s\n", why);
	return -1;
}

/* --link: as links = . */
int
config_set_links(struct config *cf, const char *list, FILE *errs)
{
	char why[256];

	if (*links_set(cf, list, why, sizeof(why)) == '\0')
		return 0;
	fprintf(errs, "teardownd: --link: %s\n", why);
	return -1;
}

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
	size_t i;

	memset(cf, 0, sizeof(*cf));
	snprintf(cf->database, sizeof(cf->database), "./teardownd.db");
	cf->families = 1u << FAM_IPV4 | 1u << FAM_IPV6;
	cf->repeat = 1;
	cf->concurrency = 0;
	cf->case_timeout_us = US(30);
	cf->interval_us = US(6 * 3600);
	cf->hash = PARSE_FNV_INIT;		/* FNV-1a of no bytes */
	cf->nlinks = 1;
	cf->links[0] = LINK_LO;
	for (i = 0; i < NBUILTINS; i++) {
		struct profile *pr = profile_new(cf, builtins[i].name);

		if (builtins[i].sysctl == NULL)
			continue;
		snprintf(pr->sysctl[0].name, sizeof(pr->sysctl[0].name), "%s",
		    builtins[i].sysctl);
		snprintf(pr->sysctl[0].value, sizeof(pr->sysctl[0].value), "%s",
		    builtins[i].value);
		pr->sysctl[0].side = SIDE_BOTH;
		pr->nsysctl = 1;
	}
	cf->nuse = 1;
	cf->use[0] = 0;
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
		if (strcmp(w, "all") == 0) {	/* as --family all */
			fam |= 1u << FAM_IPV4 | 1u << FAM_IPV6;
			continue;
		}
		for (f = 0; f < FAM__COUNT; f++)
			if (strcmp(w, family_name(f)) == 0)
				break;
		if (f == FAM__COUNT) {
			CERR(p, "'%s' is not an address family (ipv4, ipv6, all)", w);
			bad = 1;
		} else
			fam |= 1u << f;
	}
	if (fam == 0 && !bad)
		CERR(p, "%s needs ipv4, ipv6, both or all", k->name);
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
	int i = link_index(p->cf, value);

	if (i >= 0)
		*dst = i;
	else
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
		p->cf->links[0] = p->cf->link;
		break;
	case T_LINKS: {
		char why[256];

		if (*links_set(p->cf, value, why, sizeof(why)) != '\0')
			CERR(p, "%s", why);
		break;
	}
	case T_PROFILES:
		snprintf(p->use, sizeof(p->use), "%s", value);
		break;
	}
}

/* A key of [profile NAME]: a sysctl and its value. */
static void
profile_key(struct cfparse *p, const char *name, const char *value)
{
	struct profile *pr = p->prof;
	char why[512];
	int i;

	if (p->ini.cont) {
		CERR(p, "unexpected '%s': a sysctl takes one line", value);
		return;
	}
	if (*profile_sysctl_check(name, value, why, sizeof(why)) != '\0') {
		CERR(p, "%s", why);
		return;
	}
	for (i = 0; i < pr->nsysctl; i++)
		if (strcmp(pr->sysctl[i].name, name) == 0) {
			CERR(p, "%s is set twice in [profile %s]", name, pr->name);
			return;
		}
	if (pr->nsysctl == MAX_PROFILE_SYSCTLS) {
		CERR(p, "too many sysctls in [profile %s] (at most %d)", pr->name,
		    MAX_PROFILE_SYSCTLS);
		return;
	}
	snprintf(pr->sysctl[i].name, sizeof(pr->sysctl[i].name), "%s", name);
	snprintf(pr->sysctl[i].value, sizeof(pr->sysctl[i].value), "%s", value);
	pr->sysctl[i].side = SIDE_BOTH;
	pr->nsysctl++;
}

/* [profile NAME]: a new profile. */
static void
profile_section(struct cfparse *p, const char *name)
{
	const struct profile *old;
	size_t n;

	while (*name == ' ' || *name == '\t')
		name++;
	n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.");
	if (n == 0 || name[n] != '\0' || n >= PROFILE_NAME_LEN) {
		CERR(p, "'[profile %s]' needs a name of lower-case letters, "
		    "digits and - _ . (at most %d)", name, PROFILE_NAME_LEN - 1);
		return;
	}
	if ((old = config_profile(p->cf, name)) != NULL) {
		if (old->line == 0)
			CERR(p, "profile '%s' is built in; give yours another name",
			    name);
		else
			CERR(p, "duplicate section '[profile %s]' (first at line %d)",
			    name, old->line);
		return;
	}
	if ((p->prof = profile_new(p->cf, name)) == NULL) {
		CERR(p, "too many profiles (at most %d, the built-ins too)",
		    MAX_PROFILES);
		return;
	}
	p->prof->line = p->ini.line;
}

/* The driver's key callback. */
static void
cf_key(struct parse_ini *ini, const char *name, const char *value)
{
	struct cfparse *p = ini->user;
	size_t i;

	if (p->prof != NULL) {
		profile_key(p, name, value);
		return;
	}
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
		    "links, profiles, prometheus_textfile)", name);
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

/* The driver's section callback: [teardownd] once, [profile NAME]. */
static void
cf_section(struct parse_ini *ini, const char *name)
{
	struct cfparse *p = ini->user;

	p->cur = -1;
	p->prof = NULL;
	p->ours = strcmp(name, "teardownd") == 0;
	if (strncmp(name, "profile ", 8) == 0 || strcmp(name, "profile") == 0)
		profile_section(p, name + 7 + (name[7] != '\0'));
	else if (!p->ours)
		CERR(p, "unknown section '[%s]' ([teardownd], [profile NAME])",
		    name);
	else if (p->section_line != 0)
		CERR(p, "duplicate section '[teardownd]' (first at line %d)",
		    p->section_line);
	else
		p->section_line = ini->line;
}

/* After the file: link and links not both; the profiles = names, now
 * that every [profile] is known. */
static void
profiles_end(struct cfparse *p)
{
	size_t kl = 0, ks = 0, kp = 0, i;
	char why[512];

	for (i = 0; i < NCKEYS; i++) {
		if (strcmp(ckeys[i].name, "link") == 0)
			kl = i;
		else if (strcmp(ckeys[i].name, "links") == 0)
			ks = i;
		else if (strcmp(ckeys[i].name, "profiles") == 0)
			kp = i;
	}
	if (p->key_line[kl] != 0 && p->key_line[ks] != 0)
		parse_error(&p->ini, p->key_line[ks], "link and links both given "
		    "(link at line %d): keep one", p->key_line[kl]);
	if (p->key_line[kp] != 0 && *use_set(p->cf, p->use, why,
	    sizeof(why)) != '\0')
		parse_error(&p->ini, p->key_line[kp], "%s", why);
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
	profiles_end(&p);
	return p.ini.nerr;
}
