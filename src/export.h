/* export.h: a run's cases for CI and QA tools (teardownctl export): JUnit
 * XML as Jenkins and GitLab read it, and TAP version 13 as prove reads it.
 * (JSON lines and CSV are plain renderings of the rows: report.h.) The
 * input is the rows of the store's queries, collected into reports: the
 * run (STORE_Q_RUN), its sysctls (STORE_Q_RUN_SYSCTLS) and its cases
 * (STORE_Q_EXPORT_CASES). Cases are grouped by scenario and family, one
 * test per group: it fails when any repetition did not pass. */
#ifndef TEARDOWND_EXPORT_H
#define TEARDOWND_EXPORT_H

#include <stdio.h>

#include "report.h"

/* The reports an export reads. */
struct export_run {
	const struct report *run;		/* one row: STORE_Q_RUN */
	const struct report *sysctls;		/* STORE_Q_RUN_SYSCTLS */
	const struct report *cases;		/* STORE_Q_EXPORT_CASES */
};

/* Writes the run as a JUnit XML document: <testsuites> holding one
 * <testsuite> (host and kernel as properties) with a <testcase> per
 * scenario and family. 0, or -1 when memory ran out. */
int export_junit(const struct export_run *er, FILE *fp);
/* Writes the run as TAP version 13: the plan, "ok N - SCENARIO FAMILY"
 * per scenario and family, a YAML block under each one that failed.
 * 0, or -1 when memory ran out. */
int export_tap(const struct export_run *er, FILE *fp);

/* Prints s as XML character data, or (attr) as an attribute value between
 * double quotes: & < > (and " ' TAB LF CR in an attribute) as references;
 * characters XML 1.0 does not allow (other control characters, U+FFFE,
 * U+FFFF) and invalid UTF-8 as U+FFFD. */
void export_xml(FILE *fp, const char *s, int attr);
/* Prints s as a YAML double-quoted scalar: '"', '\' and control
 * characters as \xNN (which YAML and prove's YAMLish reader both read),
 * invalid UTF-8 as U+FFFD. */
void export_yaml(FILE *fp, const char *s);

#endif
