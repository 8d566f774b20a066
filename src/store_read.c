/* store_read.c: the store's read queries (teardownctl's): named queries
 * over the schema's v_* views and tables, each planned as index searches
 * over what it reads (tests/unit/test_plans.c), the lookups that resolve
 * run and case names, and the regression count against a baseline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_int.h"

/* v_signature_count and v_stability (src/schema.sql) of the run that
 * run_id names (":run_id"), as subqueries: selected from the views, the
 * run's condition is not pushed down through their groups and windows,
 * and every case of the database is read; here only the run's are (a
 * search of cases by its run_id). */
#define SIGCOUNT(run_id)						\
	"(SELECT c.run_id, c.scenario, c.family, c.sig_hash,"		\
	" count(*) AS n_cases, group_concat(c.rep, ',') AS reps,"	\
	" min(c.rep) AS first_rep, min(c.id) AS case_id,"		\
	" min(c.verdict) AS verdict, min(c.steps_hash) AS steps_hash,"	\
	" min(c.wire) AS wire"						\
	" FROM (SELECT * FROM cases WHERE run_id = " run_id		\
	" AND sig_hash IS NOT NULL AND verdict <> 'abandoned'"		\
	" ORDER BY run_id, scenario, family, rep) AS c"			\
	" GROUP BY c.run_id, c.scenario, c.family, c.sig_hash)"
#define STABILITY(run_id)						\
	"(SELECT s.run_id, r.host, r.kernel_release,"			\
	" r.status AS run_status, r.started_us AS run_started_us,"	\
	" s.scenario, s.family, s.n_total AS n_cases, s.n_signatures,"	\
	" CASE WHEN s.n_signatures = 1 THEN 'stable' ELSE 'flaky' END"	\
	" AS stability, s.sig_hash, s.n_cases AS n_majority, s.case_id,"	\
	" s.verdict, s.steps_hash, s.wire"				\
	" FROM (SELECT v.*, sum(v.n_cases) OVER w AS n_total,"		\
	" count(*) OVER w AS n_signatures, row_number() OVER"		\
	" (PARTITION BY v.run_id, v.scenario, v.family"			\
	" ORDER BY v.n_cases DESC, v.first_rep) AS pos"			\
	" FROM " SIGCOUNT(run_id) " AS v"				\
	" WINDOW w AS (PARTITION BY v.run_id, v.scenario, v.family)) AS s"	\
	" JOIN runs AS r ON r.id = s.run_id WHERE s.pos = 1)"

/* Per scenario and family of run :run_id (before) or :run_id2 (after),
 * how their majority signatures compare (STORE_Q_DIFF); where the wire
 * was observed on one side only, by their steps alone. */
#define DIFF_SIDE(x, as)						\
	", " x ".sig_hash AS " as "_sig_hash, " x ".case_id AS " as "_case_id, " \
	x ".verdict AS " as "_verdict, " x ".stability AS " as "_stability, " \
	x ".n_cases AS " as "_n_cases, " x ".n_majority AS " as "_n_majority"
#define DIFF_SQL							\
	"WITH a AS " STABILITY(":run_id") ","				\
	" b AS " STABILITY(":run_id2") ","				\
	" d AS (SELECT coalesce(a.scenario, b.scenario) AS scenario,"	\
	"  coalesce(a.family, b.family) AS family,"			\
	"  CASE WHEN a.sig_hash IS NULL THEN 'appeared'"		\
	"   WHEN b.sig_hash IS NULL THEN 'disappeared'"			\
	"   WHEN a.sig_hash = b.sig_hash THEN 'same'"			\
	"   WHEN a.wire IS NOT b.wire AND a.steps_hash = b.steps_hash"	\
	"   THEN 'same' ELSE 'changed' END"				\
	"  AS change" DIFF_SIDE("a", "before") DIFF_SIDE("b", "after")	\
	"  FROM a FULL JOIN b ON a.scenario = b.scenario"		\
	"  AND a.family = b.family)"					\
	" SELECT d.*, CASE WHEN d.change <> 'same' THEN sa.text END"	\
	"  AS before_signature,"					\
	"  CASE WHEN d.change <> 'same' THEN sb.text END"		\
	"  AS after_signature"						\
	" FROM d LEFT JOIN signatures AS sa ON sa.sig_hash = d.before_sig_hash" \
	" LEFT JOIN signatures AS sb ON sb.sig_hash = d.after_sig_hash"

/* A case's first failing step, j: its element of case_records (positions
 * as in schema.sql, migration 13), read directly; a LEFT JOIN of the
 * steps view would read every case's steps. */
#define FAIL_STEP_JOIN							\
	" LEFT JOIN case_records AS l ON l.case_id = c.case_id"		\
	" LEFT JOIN json_each(l.steps) AS j ON j.key = c.first_fail"

/* The -v columns of a case's steps after status (STORE_Q_CASE_STEPS_VERBOSE),
 * as expressions over v_step and as the names they get. */
#define STEP_VERBOSE_SQL						\
	"dur_us, c_retrans, c_total_retrans, c_rto AS c_rto_us,"	\
	" c_backoff, c_timer_ms * 1000 AS c_timer_us, c_rqueue, c_wqueue,"	\
	" s_retrans, s_total_retrans, s_rto AS s_rto_us,"		\
	" s_backoff, s_timer_ms * 1000 AS s_timer_us, s_rqueue, s_wqueue"
#define STEP_VERBOSE_NAMES						\
	"dur_us, c_retrans, c_total_retrans, c_rto_us, c_backoff, c_timer_us,"	\
	" c_rqueue, c_wqueue, s_retrans, s_total_retrans, s_rto_us,"	\
	" s_backoff, s_timer_us, s_rqueue, s_wqueue"
#define STEP_VERBOSE_NULLS						\
	"NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"	\
	" NULL, NULL, NULL, NULL"

/* A case's steps with its state transitions between them, in time order
 * (STORE_Q_CASE_TIMELINE): a transition is a row of its end with no idx,
 * "FROM -> TO" as its step and its end's new state in that end's state
 * column. Steps that did not run come last. mid is the step columns
 * between status and message (STEP_VERBOSE_*), or nothing. */
#define TIMELINE_SQL(mid_sql, mid_names, mid_nulls)			\
	"WITH t AS (SELECT idx, round(t_us / 1000.0, 3) AS t_ms, side,"	\
	" trim(verb || ' ' || args) AS step, coalesce(events, rc) AS rc,"	\
	" errno, client_state, server_state, status, " mid_sql		\
	" message, t_us * 1000 AS k_ns, 0 AS k_tr, idx AS k_idx"		\
	" FROM v_step WHERE case_id = :case_id"				\
	" UNION ALL SELECT NULL, round(t_ns / 1e6, 3), side,"		\
	" from_state || ' -> ' || to_state, NULL, NULL,"		\
	" CASE side WHEN 'client' THEN to_state END,"			\
	" CASE side WHEN 'server' THEN to_state END, NULL, " mid_nulls	\
	" NULL, t_ns, 1, idx FROM v_transition WHERE case_id = :case_id)"	\
	" SELECT idx, t_ms, side, step, rc, errno, client_state,"	\
	" server_state, status, " mid_names " message FROM t"		\
	" ORDER BY k_ns IS NULL, k_ns, k_tr, k_idx"

/* Times as the tables keep them (us) as ISO 8601 to the microsecond, as
 * the views give them (src/schema.sql). */
#define ISO_US(col)							\
	"strftime('%Y-%m-%dT%H:%M:%S', " col " / 1000000, 'unixepoch')"	\
	" || printf('.%06dZ', " col " % 1000000)"

/* The fleet matrix (STORE_Q_MATRIX): per scenario and environment (kernel
 * release, profile and link; and host: part, by, and k's columns), the
 * cases of the latest run that ran
 * the scenario to an end (abandoned cases are counted apart and decide
 * nothing); a family whose repetitions differ between pass and not makes
 * the cell 'flaky'; a cell whose cases were all skipped is 'skipped'.
 * Planned as searches, not scans of cases: the scenarios are found one
 * index seek each (sc: the next name after the last; '' is before every
 * name), each cell's run by walking its kernel's runs newest first until
 * one has the scenario (runs_by_kernel; usually the first), and that
 * run's cases of the scenario by their key (pick is materialized and
 * comes first, CROSS JOIN: else the planner reads every case to join it). */
/* A run's environment as the matrix heads its column: the kernel
 * release, then " PROFILE/LINK" unless they are the defaults (runs
 * stored before migration 14 have no link: lo). */
#define ENV_LABEL(r)							\
	r ".kernel_release || CASE WHEN " r ".profile = 'default' AND"	\
	" coalesce(" r ".link, 'lo') = 'lo' THEN '' ELSE ' ' || " r	\
	".profile || '/' || coalesce(" r ".link, 'lo') END"

#define MATRIX_SQL(part, by, kcols, kjoin)				\
	"WITH RECURSIVE sc(scenario) AS (SELECT (SELECT min(scenario)"	\
	" FROM cases WHERE scenario > '') UNION ALL SELECT (SELECT"	\
	" min(scenario) FROM cases WHERE scenario > sc.scenario) FROM sc"	\
	" WHERE sc.scenario IS NOT NULL),"				\
	" k AS (SELECT DISTINCT kernel_release, profile,"		\
	" coalesce(link, 'lo') AS link" kcols " FROM runs),"		\
	" pick AS MATERIALIZED (SELECT sc.scenario, (SELECT r.id"	\
	" FROM runs AS r"						\
	" WHERE r.kernel_release = k.kernel_release" kjoin		\
	" AND r.profile = k.profile AND coalesce(r.link, 'lo') = k.link"	\
	" AND EXISTS (SELECT 1 FROM cases AS e WHERE e.run_id = r.id"	\
	" AND e.scenario = sc.scenario AND e.verdict <> 'abandoned'"	\
	" AND (:family IS NULL OR e.family = :family))"			\
	" ORDER BY r.started_us DESC, r.id DESC LIMIT 1) AS run_id"	\
	" FROM sc, k WHERE sc.scenario IS NOT NULL),"			\
	" latest AS (SELECT r.host, c.scenario, " ENV_LABEL("r")		\
	" AS kernel_release,"						\
	" c.run_id, c.family, c.verdict, c.sig_hash,"			\
	" min(c.verdict IN ('pass', 'skipped')) OVER fam"		\
	" <> max(c.verdict IN ('pass', 'skipped')) OVER fam AS flaky"	\
	" FROM pick AS p CROSS JOIN cases AS c ON c.run_id = p.run_id"	\
	" AND c.scenario = p.scenario JOIN runs AS r ON r.id = p.run_id"	\
	" WHERE c.verdict <> 'abandoned'"				\
	" AND (:family IS NULL OR c.family = :family)"			\
	" WINDOW fam AS (PARTITION BY c.scenario, " ENV_LABEL("r") part	\
	", c.family))"							\
	" SELECT host, scenario, kernel_release AS environment, run_id,"	\
	" CASE WHEN min(verdict = 'skipped') THEN 'skipped'"		\
	"  WHEN min(verdict IN ('pass', 'skipped')) THEN 'pass'"		\
	"  WHEN max(flaky) THEN 'flaky'"				\
	"  WHEN max(verdict = 'pass') THEN 'mixed'"			\
	"  WHEN min(verdict = 'timeout') THEN 'timeout'"		\
	"  WHEN min(verdict = 'error') THEN 'error'"			\
	"  ELSE 'fail' END AS verdict,"					\
	" count(*) AS n_cases, sum(verdict = 'pass') AS n_pass,"	\
	" sum(verdict = 'fail') AS n_fail,"				\
	" sum(verdict = 'timeout') AS n_timeout,"			\
	" sum(verdict = 'error') AS n_error,"				\
	" sum(verdict = 'skipped') AS n_skipped,"			\
	" (SELECT count(*) FROM cases AS a WHERE a.run_id = max(latest.run_id)" \
	"  AND a.scenario = latest.scenario AND a.verdict = 'abandoned'"	\
	"  AND (:family IS NULL OR a.family = :family)) AS n_abandoned,"	\
	" count(DISTINCT sig_hash) AS n_signatures"			\
	" FROM latest GROUP BY " by "scenario, kernel_release"		\
	" ORDER BY " by "scenario, kernel_release"

/* The read queries, by enum store_query. */
static const char *const query_sql[STORE_Q__COUNT] = {
	[STORE_Q_RUNS] =
	    "SELECT run_id, started_at, started_us, kernel_release, host, status,"
	    " n_pass, n_fail, n_timeout, n_error, n_abandoned, n_skipped,"
	    " duration_us, profile, coalesce(link, 'lo') AS link, virt"
	    " FROM v_run ORDER BY started_us DESC, run_id DESC LIMIT :limit",
	[STORE_Q_RUN] =
	    "SELECT run_id, status, started_at, started_us, ended_at, ended_us,"
	    " duration_us, host, kernel_release,"
	    " kernel_version, version, config_hash, families, isolation, repeat,"
	    " n_cases,"
	    " n_pass, n_fail, n_timeout, n_error, n_abandoned, n_skipped,"
	    " wire, profile, coalesce(link, 'lo') AS link, virt"
	    " FROM v_run WHERE run_id = :run_id",
	[STORE_Q_RUN_SYSCTLS] =
	    "SELECT name, value, scope FROM v_run_sysctl WHERE run_id = :run_id"
	    " ORDER BY name",
	[STORE_Q_RUN_CASES] =
	    "SELECT c.case_id, c.scenario, c.family, c.rep,"
	    " c.verdict, CASE WHEN j.key IS NULL THEN NULL"
	    "  ELSE '#' || j.key || ' ' || (j.value ->> '$[1]') || ' '"
	    "  || trim((j.value ->> '$[2]') || ' ' || (j.value ->> '$[3]'))"
	    "  END AS failed_step,"
	    " c.message, c.duration_us"
	    " FROM v_case AS c" FAIL_STEP_JOIN
	    " WHERE c.run_id = :run_id ORDER BY c.scenario, c.family, c.rep",
	[STORE_Q_CASE] =
	    "SELECT case_id, run_id, scenario, family, rep,"
	    " verdict, first_fail AS fail_idx, message, client_addr, server_addr,"
	    " started_at, started_us, duration_us,"
	    " host, kernel_release, run_status,"
	    " wire, transitions"
	    " FROM v_case WHERE case_id = :case_id",
	[STORE_Q_CASE_STEPS] =
	    "SELECT idx, t_us, side,"
	    " trim(verb || ' ' || args) AS step, coalesce(events, rc) AS rc,"
	    " errno, client_state, server_state, status, message"
	    " FROM v_step WHERE case_id = :case_id ORDER BY idx",
	[STORE_Q_CASE_STEPS_VERBOSE] =
	    "SELECT idx, t_us, side,"
	    " trim(verb || ' ' || args) AS step, coalesce(events, rc) AS rc,"
	    " errno, client_state, server_state, status, " STEP_VERBOSE_SQL
	    ", message FROM v_step WHERE case_id = :case_id ORDER BY idx",
	[STORE_Q_CASE_TIMELINE] = TIMELINE_SQL("", "", ""),
	[STORE_Q_CASE_TIMELINE_VERBOSE] = TIMELINE_SQL(STEP_VERBOSE_SQL ",",
	    STEP_VERBOSE_NAMES ",", STEP_VERBOSE_NULLS ","),
	[STORE_Q_CASE_TRANSITIONS] =
	    "SELECT idx, t_ns, t_us, side, from_state, to_state"
	    " FROM v_transition WHERE case_id = :case_id ORDER BY idx",
	[STORE_Q_CASE_SEGMENTS] =
	    "SELECT idx, t_us, dir, flags, seq, ack, len, win, flag_bits, mark,"
	    " held_us, nullif(hex(headers), '') AS headers FROM v_segment"
	    " WHERE case_id = :case_id ORDER BY idx",
	[STORE_Q_CASE_WIRE] =
	    "SELECT idx, round(t_us / 1000.0, 1) AS t_ms, dir, flags, seq, ack,"
	    " len, win, mark AS relay, round(held_us / 1000.0, 1) AS held_ms"
	    " FROM v_segment WHERE case_id = :case_id"
	    " ORDER BY idx",
	[STORE_Q_CASE_ENDS] =
	    "SELECT family, client_addr, server_addr, started_us, wire"
	    " FROM v_case WHERE case_id = :case_id",
	[STORE_Q_CASE_STATES] =
	    "SELECT idx, t_us, dur_us, client_state, server_state, c_source,"
	    " s_source FROM v_step WHERE case_id = :case_id"
	    " AND status <> 'not_run' ORDER BY idx",
	[STORE_Q_HISTORY] =
	    "SELECT run_id, run_started_at, run_started_us, kernel_release,"
	    " host, family, verdict, n_pass, n_fail, n_timeout, n_error,"
	    " n_abandoned, n_skipped"
	    " FROM v_history WHERE scenario = :scenario"
	    " AND (:family IS NULL OR family = :family)"
	    " ORDER BY run_started_us, run_id, family",
	[STORE_Q_RUN_STABILITY] =
	    "SELECT scenario, family, n_cases, n_signatures, stability,"
	    " sig_hash, n_majority, case_id, verdict"
	    " FROM " STABILITY(":run_id") " ORDER BY scenario, family",
	[STORE_Q_RUN_FLAKY] =
	    "SELECT v.scenario, v.family, v.sig_hash, v.n_cases, v.reps,"
	    " v.case_id, v.verdict"
	    " FROM " SIGCOUNT(":run_id") " AS v JOIN " STABILITY(":run_id") " AS s"
	    "  ON s.run_id = v.run_id AND s.scenario = v.scenario"
	    "  AND s.family = v.family"
	    " WHERE v.run_id = :run_id AND s.stability = 'flaky'"
	    " ORDER BY v.scenario, v.family, v.n_cases DESC, v.first_rep",
	[STORE_Q_DIFF] = DIFF_SQL " ORDER BY scenario, family",
	[STORE_Q_DIFF_SYSCTLS] =
	    "WITH a AS (SELECT name, value FROM run_sysctls"
	    "  WHERE run_id = :run_id),"
	    " b AS (SELECT name, value FROM run_sysctls WHERE run_id = :run_id2)"
	    " SELECT coalesce(a.name, b.name) AS name, a.value AS before,"
	    " b.value AS after FROM a FULL JOIN b ON a.name = b.name"
	    " WHERE a.value IS NOT b.value ORDER BY 1",
	[STORE_Q_BASELINES] =
	    "SELECT b.host, b.profile, b.link, b.run_id, r.kernel_release,"
	    " " ISO_US("r.started_us") " AS run_started_at,"
	    " r.started_us AS run_started_us,"
	    " " ISO_US("b.set_us") " AS set_at, b.set_us"
	    " FROM baselines AS b JOIN runs AS r ON r.id = b.run_id"
	    " ORDER BY b.host, b.profile, b.link",
	[STORE_Q_EXPORT_CASES] =
	    "SELECT c.run_id, c.host, c.kernel_release, c.kernel_version,"
	    " c.run_started_at, c.run_started_us, c.case_id, c.scenario,"
	    " c.family, c.rep, c.verdict, c.started_at, c.started_us,"
	    " c.duration_us,"
	    " CASE WHEN c.verdict = 'pass' THEN NULL"
	    "  WHEN j.key IS NULL THEN c.message"
	    "  ELSE 'line ' || coalesce(j.value ->> '$[0]', '?') || ': '"
	    "  || (j.value ->> '$[1]') || ' '"
	    "  || trim((j.value ->> '$[2]') || ' ' || (j.value ->> '$[3]'))"
	    "  || coalesce(': ' || coalesce(j.value ->> '$[11]', c.message), '')"
	    "  END AS failure,"
	    " c.first_fail AS fail_idx, j.value ->> '$[0]' AS fail_line,"
	    " j.value ->> '$[1]' AS fail_side,"
	    " trim((j.value ->> '$[2]') || ' ' || (j.value ->> '$[3]'))"
	    "  AS fail_step, j.value ->> '$[4]' AS fail_status,"
	    " coalesce(j.value ->> '$[7]', j.value ->> '$[5]') AS fail_rc,"
	    " j.value ->> '$[6]' AS fail_errno,"
	    " j.value ->> '$[12][0]' AS fail_client_state,"
	    " j.value ->> '$[13][0]' AS fail_server_state, c.message, c.wire,"
	    " k.sig_hash, g.text AS signature"
	    " FROM v_case AS c JOIN cases AS k ON k.id = c.case_id"
	    " LEFT JOIN signatures AS g ON g.sig_hash = k.sig_hash"
	    FAIL_STEP_JOIN
	    " WHERE c.run_id = :run_id ORDER BY c.scenario, c.family, c.rep",
	[STORE_Q_MATRIX] = MATRIX_SQL("", "", "", ""),
	[STORE_Q_MATRIX_BY_HOST] = MATRIX_SQL(", r.host", "host, ", ", host",
	    " AND r.host = k.host"),
	[STORE_Q_SCENARIOS] =
	    "WITH RECURSIVE sc(scenario) AS (SELECT (SELECT min(scenario)"
	    " FROM cases WHERE scenario > '') UNION ALL SELECT (SELECT"
	    " min(scenario) FROM cases WHERE scenario > sc.scenario) FROM sc"
	    " WHERE sc.scenario IS NOT NULL)"
	    " SELECT scenario FROM sc WHERE scenario IS NOT NULL",
	[STORE_Q_LATEST_CASES] =
	    "SELECT 'c' || c.id AS 'case' FROM cases AS c WHERE c.run_id ="
	    " (SELECT id FROM runs ORDER BY started_us DESC, id DESC LIMIT 1)"
	    " ORDER BY c.scenario, c.family, c.rep",
};

/* Runs a and b ran under the same profile on the same link. */
#define SAME_ENV(a, b)							\
	a ".profile = " b ".profile AND coalesce(" a ".link, 'lo') ="	\
	" coalesce(" b ".link, 'lo')"

/* The lookups, by enum store_lookup: each selects one id or nothing. */
static const char *const lookup_sql[] = {
	[STORE_L_LAST_RUN] =
	    "SELECT id FROM runs ORDER BY started_us DESC, id DESC LIMIT 1",
	[STORE_L_RUN] = "SELECT id FROM runs WHERE id = :run_id",
	[STORE_L_CASE] = "SELECT id FROM cases WHERE id = :case_id",
	[STORE_L_CASE_BY_NAME] =
	    "SELECT id FROM cases WHERE run_id = :run_id"
	    " AND scenario = :scenario AND family = :family"
	    " AND (:rep < 0 OR rep = :rep) ORDER BY rep LIMIT 1",
	[STORE_L_LAST_SIGNED] =
	    "SELECT id FROM runs AS r WHERE " SIGNED("r")
	    " ORDER BY started_us DESC, id DESC LIMIT 1",
	[STORE_L_SIGNED] =
	    "SELECT id FROM runs AS r WHERE id = :run_id AND " SIGNED("r"),
	[STORE_L_BASELINE] =
	    "SELECT b.run_id FROM baselines AS b JOIN runs AS r"
	    " ON r.host = b.host AND r.profile = b.profile"
	    " AND coalesce(r.link, 'lo') = b.link WHERE r.id = :run_id",
	[STORE_L_OTHER_KERNEL] =
	    "SELECT o.id FROM runs AS r JOIN runs AS o"
	    " ON o.kernel_release <> r.kernel_release AND (o.started_us <"
	    " r.started_us OR (o.started_us = r.started_us AND o.id < r.id))"
	    " AND " SAME_ENV("o", "r")
	    " WHERE r.id = :run_id AND " SIGNED("o")
	    " ORDER BY o.started_us DESC, o.id DESC LIMIT 1",
	[STORE_L_PREVIOUS_SIGNED] =
	    "SELECT o.id FROM runs AS r JOIN runs AS o"
	    " ON (o.started_us < r.started_us"
	    " OR (o.started_us = r.started_us AND o.id < r.id))"
	    " AND " SAME_ENV("o", "r")
	    " WHERE r.id = :run_id AND " SIGNED("o")
	    " ORDER BY o.started_us DESC, o.id DESC LIMIT 1",
};

/* Prepares a read statement and binds the arguments it names. */
int
store_prepare_read(struct store *st, const char *sql, const struct store_args *a,
    sqlite3_stmt **sp)
{
	sqlite3_stmt *s;
	int bad = 0;

	if (sqlite3_prepare_v2(st->db, sql, -1, sp, NULL) != SQLITE_OK)
		return store_fail_db(st, "prepare query");
	s = *sp;
	if (sqlite3_bind_parameter_index(s, ":run_id") > 0)
		bad |= store_bind_int(s, ":run_id", a->run_id);
	if (sqlite3_bind_parameter_index(s, ":case_id") > 0)
		bad |= store_bind_int(s, ":case_id", a->case_id);
	if (sqlite3_bind_parameter_index(s, ":run_id2") > 0)
		bad |= store_bind_int(s, ":run_id2", a->run_id2);
	if (sqlite3_bind_parameter_index(s, ":limit") > 0)
		bad |= store_bind_int(s, ":limit", a->limit > 0 ? a->limit : -1);
	if (sqlite3_bind_parameter_index(s, ":rep") > 0)
		bad |= store_bind_int(s, ":rep", a->rep);
	if (a->scenario != NULL && sqlite3_bind_parameter_index(s, ":scenario") > 0)
		bad |= store_bind_str(s, ":scenario", a->scenario);
	if (a->family != NULL && sqlite3_bind_parameter_index(s, ":family") > 0)
		bad |= store_bind_str(s, ":family", a->family);
	if (bad) {
		sqlite3_finalize(s);
		*sp = NULL;
		return store_fail(st, "query: cannot bind parameters");
	}
	return 0;
}

/* Fills v with column i of the current row. */
static void
row_value(sqlite3_stmt *s, int i, struct store_value *v)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_INTEGER:
		v->type = STORE_INT;
		break;
	case SQLITE_FLOAT:
		v->type = STORE_REAL;
		break;
	case SQLITE_NULL:
		v->type = STORE_NULL;
		v->text = NULL;
		return;
	default:
		v->type = STORE_TEXT;
		break;
	}
	v->text = (const char *)sqlite3_column_text(s, i);
	if (v->text == NULL)			/* out of memory */
		v->type = STORE_NULL;
}

/* Runs query q, handing fn the column names, then each row. */
int
store_query(struct store *st, enum store_query q,
    const struct store_args *args, store_row_fn fn, void *ctx)
{
	const char *names[STORE_MAXCOLS];
	struct store_value vals[STORE_MAXCOLS];
	sqlite3_stmt *s = NULL;
	int i, n, rc, ret;

	if ((unsigned)q >= STORE_Q__COUNT)
		return store_fail(st, "query %d: no such query", (int)q);
	if (store_prepare_read(st, query_sql[q], args, &s) == -1)
		return -1;
	n = sqlite3_column_count(s);
	if (n > STORE_MAXCOLS)
		n = STORE_MAXCOLS;
	for (i = 0; i < n; i++)
		names[i] = sqlite3_column_name(s, i);
	if ((ret = fn(ctx, n, names, NULL)) != 0)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < n; i++)
			row_value(s, i, &vals[i]);
		if ((ret = fn(ctx, n, names, vals)) != 0)
			goto done;
	}
	ret = rc == SQLITE_DONE ? 0 : store_fail_db(st, "query");
done:
	sqlite3_finalize(s);
	return ret;
}

/* Finds one id by lookup l: 1 found, 0 not found, -1 on error. */
int
store_lookup(struct store *st, enum store_lookup l,
    const struct store_args *args, int64_t *id)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((unsigned)l >= sizeof(lookup_sql) / sizeof(lookup_sql[0]))
		return store_fail(st, "lookup %d: no such lookup", (int)l);
	if (store_prepare_read(st, lookup_sql[l], args, &s) == -1)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		store_fail_db(st, "lookup");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The baseline of run_id's host, profile and link: 1 found, 0 none, -1
 * on error. */
int
store_baseline(struct store *st, int64_t run_id, int64_t *baseline_id)
{
	struct store_args a = { .run_id = run_id };

	return store_lookup(st, STORE_L_BASELINE, &a, baseline_id);
}

/* The SQL of query q, lookup l, and store_regressions (for tests of
 * their plans); NULL when there is no such query or lookup. */
const char *
store_query_sql(enum store_query q)
{
	return (unsigned)q < STORE_Q__COUNT ? query_sql[q] : NULL;
}

const char *
store_lookup_sql(enum store_lookup l)
{
	return (unsigned)l < sizeof(lookup_sql) / sizeof(lookup_sql[0]) ?
	    lookup_sql[l] : NULL;
}

const char *
store_regressions_sql(void)
{
	return "SELECT count(*) FROM (" DIFF_SQL ") WHERE change = 'changed'";
}

/* Counts the scenario+family whose majority signature differs between
 * baseline_id and run_id (both present). */
int
store_regressions(struct store *st, int64_t run_id, int64_t baseline_id,
    int *changed)
{
	struct store_args a = { .run_id = baseline_id, .run_id2 = run_id };
	sqlite3_stmt *s = NULL;
	int rc;

	if (store_prepare_read(st, store_regressions_sql(), &a, &s) == -1)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*changed = sqlite3_column_int(s, 0);
	else
		store_fail_db(st, "count regressions");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}
