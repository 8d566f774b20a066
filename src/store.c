/* store.c: the SQLite store, and every SQL statement of teardownd.
 *
 * The schema is src/schema.sql, embedded at build time as numbered
 * migration steps (schema_steps[1..schema_version]); opening a database
 * for writing applies the steps it lacks. Writes go through statements
 * prepared once and kept in struct store, each inside BEGIN IMMEDIATE, so a
 * batch of cases is stored whole or not at all. Reads (teardownctl) are
 * named queries over the schema's v_* views, on a read-only connection.
 * The fleet merge (store_merge, at the end) copies other databases' rows
 * into one, attached read-only, table by table as merge_tables lists. */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "scenario.h"
#include "signature.h"
#include "store.h"

#define STORE_BUSY_MS		5000		/* wait this long for a lock */
#define STORE_APPLICATION_ID	1413764942	/* 'TDWN', set by migration 1 */
#define STORE_MAXCOLS		64		/* columns of a read query */
#define STORE_WAL_LIMIT		"67108864"	/* the WAL's size after a checkpoint */
#define STORE_SIG_MEMORY	1021		/* signature hashes remembered */

/* build/schema_sql.c, from src/schema.sql by tests/embed_sql.awk. */
extern const char *const schema_steps[];
extern const int schema_version;

/* The write path's statements, prepared once per connection. */
enum stmt {
	STMT_BEGIN_IMMEDIATE,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_INSERT_RUN,
	STMT_INSERT_SYSCTL,
	STMT_INSERT_CASE,
	STMT_INSERT_SIGNATURE,
	STMT_INSERT_STEP,
	STMT_INSERT_SEGMENT,
	STMT_INSERT_TRANSITION,
	STMT_ADD_RUN_COUNTS,
	STMT_END_RUN,
	STMT__COUNT
};

/* The write path's parameters, as the statements name them (":host"):
 * resolved to each statement's indexes once, when it is prepared, and
 * bound by index. Each end's block (END_PX) keeps the order of the
 * steps statement's columns. */
#define END_PX(X, p)							\
	X(p##_state) X(p##_source) X(p##_timer) X(p##_timer_ms)		\
	X(p##_ca_state) X(p##_retransmits) X(p##_probes) X(p##_backoff)	\
	X(p##_rto) X(p##_unacked) X(p##_lost) X(p##_retrans)		\
	X(p##_total_retrans) X(p##_segs_in) X(p##_segs_out)		\
	X(p##_last_data_sent) X(p##_last_data_recv) X(p##_notsent_bytes)	\
	X(p##_snd_wnd) X(p##_rcv_wnd) X(p##_rqueue) X(p##_wqueue)
#define PARAMS(X)							\
	X(abandoned) X(ack) X(args) X(case_id) X(client_addr) \
	X(config_hash) X(dir) X(dur_us) X(duration_us) X(ended_us) \
	X(eof) X(errno) X(error) X(events) X(fail) X(families) \
	X(family) X(first_fail) X(flag_bits) X(flags) X(from_state) \
	X(held_us) X(host) X(idx) X(isolation) X(kernel_release) \
	X(kernel_version) X(len) X(line) X(link) X(mark) X(message) \
	X(name) X(pair) X(pass) X(rc) X(rep) X(repeat) X(run_id) \
	X(scenario) X(scope) X(seq) X(server_addr) X(side) X(sig_hash) \
	X(signature) X(skipped) X(started_us) X(status) X(steps_hash) \
	X(t_ns) X(t_us) X(timeout) X(to_state) X(transitions) X(value) \
	X(verb) X(verdict) X(version) X(win) X(wire) X(headers) \
	END_PX(X, c) END_PX(X, s)
#define P_ENUM(n)	P_##n,
#define P_NAME(n)	":" #n,
enum param { PARAMS(P_ENUM) P__COUNT };
static const char *const param_name[P__COUNT] = { PARAMS(P_NAME) };

/* A write statement and its parameters' indexes (0: not in it). */
struct wstmt {
	sqlite3_stmt *s;
	int ix[P__COUNT];
};

struct store {
	sqlite3 *db;				/* the connection */
	int readonly;				/* opened SQLITE_OPEN_READONLY */
	int lock_fd;				/* store_open_writer's lock, or -1 */
	struct wstmt w[STMT__COUNT];		/* write path; NULL s when readonly */
	uint64_t sigs[STORE_SIG_MEMORY];	/* signature hashes stored (0: none) */
	char err[512];				/* last error, one line */
};

/* The tcp_snap fields kept for each end, as X(prefix, field, SNAP_ bit). */
#define SNAP_FIELDS(X, p)						\
	X(p, ca_state, CA_STATE) X(p, retransmits, RETRANSMITS)		\
	X(p, probes, PROBES) X(p, backoff, BACKOFF) X(p, rto, RTO)	\
	X(p, unacked, UNACKED) X(p, lost, LOST) X(p, retrans, RETRANS)	\
	X(p, total_retrans, TOTAL_RETRANS) X(p, segs_in, SEGS_IN)	\
	X(p, segs_out, SEGS_OUT) X(p, last_data_sent, LAST_DATA_SENT)	\
	X(p, last_data_recv, LAST_DATA_RECV)				\
	X(p, notsent_bytes, NOTSENT_BYTES) X(p, snd_wnd, SND_WND)	\
	X(p, rcv_wnd, RCV_WND) X(p, rqueue, RQUEUE) X(p, wqueue, WQUEUE)
#define SNAP_COL(p, f, b)	p "_" #f ", "
#define SNAP_PARAM(p, f, b)	":" p "_" #f ", "
/* Column and parameter lists of one end, prefix "c" or "s". */
#define END_COLS(p)	p "_state, " p "_source, " p "_timer, " p "_timer_ms, " \
			SNAP_FIELDS(SNAP_COL, p)
#define END_PARAMS(p)	":" p "_state, :" p "_source, :" p "_timer, :"	\
			p "_timer_ms, " SNAP_FIELDS(SNAP_PARAM, p)

static const char *const stmt_sql[STMT__COUNT] = {
	[STMT_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_INSERT_RUN] =
	    "INSERT INTO runs (host, kernel_release, kernel_version,"
	    " config_hash, version, families, isolation, repeat, started_us)"
	    " VALUES (:host, :kernel_release, :kernel_version, :config_hash,"
	    " :version, :families, :isolation, :repeat, :started_us)",
	[STMT_INSERT_SYSCTL] =
	    "INSERT INTO run_sysctls (run_id, name, value, scope)"
	    " VALUES (:run_id, :name, :value, :scope)",
	[STMT_INSERT_CASE] =
	    "INSERT INTO cases (run_id, scenario, family, rep, verdict,"
	    " first_fail, message, client_addr, server_addr, started_us,"
	    " duration_us, wire, sig_hash, steps_hash, transitions,"
	    " link)"
	    " VALUES (:run_id, :scenario, :family, :rep, :verdict, :first_fail,"
	    " :message, :client_addr, :server_addr, :started_us, :duration_us,"
	    " :wire, :sig_hash, :steps_hash, :transitions, :link)",
	[STMT_INSERT_SIGNATURE] =
	    "INSERT OR IGNORE INTO signatures (sig_hash, text)"
	    " VALUES (:sig_hash, :signature)",
	[STMT_INSERT_STEP] =
	    "INSERT INTO steps (" END_COLS("c") END_COLS("s")
	    " case_id, idx, line, side, verb, args, status, rc, errno, events,"
	    " eof, t_us, dur_us, message)"
	    " VALUES (" END_PARAMS("c") END_PARAMS("s")
	    " :case_id, :idx, :line, :side, :verb, :args, :status, :rc, :errno,"
	    " :events, :eof, :t_us, :dur_us, :message)",
	[STMT_INSERT_SEGMENT] =
	    "INSERT INTO segments (case_id, idx, t_us, dir, flags, flag_bits,"
	    " seq, ack, len, win, pair, mark, held_us, headers)"
	    " VALUES (:case_id, :idx, :t_us, :dir, :flags, :flag_bits, :seq,"
	    " :ack, :len, :win, :pair, :mark, :held_us, :headers)",
	[STMT_INSERT_TRANSITION] =
	    "INSERT INTO transitions (case_id, idx, t_ns, side, from_state,"
	    " to_state) VALUES (:case_id, :idx, :t_ns, :side, :from_state,"
	    " :to_state)",
	/* The run's wire and transitions: the batch's (:wire,
	 * :transitions), or 'partial' once batches differ; a batch of no
	 * cases (NULL) leaves them. */
	[STMT_ADD_RUN_COUNTS] =
	    "UPDATE runs SET n_pass = n_pass + :pass, n_fail = n_fail + :fail,"
	    " n_timeout = n_timeout + :timeout, n_error = n_error + :error,"
	    " n_abandoned = n_abandoned + :abandoned,"
	    " n_skipped = n_skipped + :skipped,"
	    " wire = CASE WHEN :wire IS NULL THEN wire"
	    "  WHEN wire IS NULL OR wire = :wire THEN :wire ELSE 'partial' END,"
	    " transitions = CASE WHEN :transitions IS NULL THEN transitions"
	    "  WHEN transitions IS NULL OR transitions = :transitions"
	    "  THEN :transitions ELSE 'partial' END"
	    " WHERE id = :run_id AND status = 'running'",
	[STMT_END_RUN] =
	    "UPDATE runs SET status = :status, ended_us = :ended_us"
	    " WHERE id = :run_id AND status = 'running'",
};

/* Times as the tables keep them (us) shown as ISO-8601 to the second. */
/* A run that can be compared: complete, and its cases have signatures. */
#define SIGNED(r)							\
	r ".status = 'complete' AND EXISTS (SELECT 1 FROM cases"		\
	" WHERE run_id = " r ".id AND sig_hash IS NOT NULL)"

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
	", " x ".sig_hash AS " as "_hash, " x ".case_id AS " as "_case, "	\
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
	" FROM d LEFT JOIN signatures AS sa ON sa.sig_hash = d.before_hash"	\
	" LEFT JOIN signatures AS sb ON sb.sig_hash = d.after_hash"

/* The -v columns of a case's steps after status (STORE_Q_CASE_STEPS_VERBOSE),
 * as expressions over v_step and as the names they get. */
#define STEP_VERBOSE_SQL						\
	"round(dur_us / 1000.0, 1) AS dur_ms,"				\
	" c_retrans, c_total_retrans, round(c_rto / 1000.0, 1) AS c_rto_ms,"	\
	" c_backoff, c_timer_ms, c_rqueue, c_wqueue,"			\
	" s_retrans, s_total_retrans, round(s_rto / 1000.0, 1) AS s_rto_ms,"	\
	" s_backoff, s_timer_ms, s_rqueue, s_wqueue"
#define STEP_VERBOSE_NAMES						\
	"dur_ms, c_retrans, c_total_retrans, c_rto_ms, c_backoff, c_timer_ms,"	\
	" c_rqueue, c_wqueue, s_retrans, s_total_retrans, s_rto_ms,"	\
	" s_backoff, s_timer_ms, s_rqueue, s_wqueue"
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

#define ISO_SECONDS(col) \
	"strftime('%Y-%m-%dT%H:%M:%SZ', " col " / 1000000, 'unixepoch')"

/* The fleet matrix (STORE_Q_MATRIX): per scenario and kernel release (and
 * host: part, by, and k's columns), the cases of the latest run that ran
 * the scenario to an end (abandoned cases are counted apart and decide
 * nothing); a family whose repetitions differ between pass and not makes
 * the cell 'flaky'; a cell whose cases were all skipped is 'skipped'.
 * Planned as searches, not scans of cases: the scenarios are found one
 * index seek each (sc: the next name after the last; '' is before every
 * name), each cell's run by walking its kernel's runs newest first until
 * one has the scenario (runs_by_kernel; usually the first), and that
 * run's cases of the scenario by their key (pick is materialized and
 * comes first, CROSS JOIN: else the planner reads every case to join it). */
#define MATRIX_SQL(part, by, kcols, kjoin)				\
	"WITH RECURSIVE sc(scenario) AS (SELECT (SELECT min(scenario)"	\
	" FROM cases WHERE scenario > '') UNION ALL SELECT (SELECT"	\
	" min(scenario) FROM cases WHERE scenario > sc.scenario) FROM sc"	\
	" WHERE sc.scenario IS NOT NULL),"				\
	" k AS (SELECT DISTINCT kernel_release" kcols " FROM runs),"	\
	" pick AS MATERIALIZED (SELECT sc.scenario, (SELECT r.id"	\
	" FROM runs AS r"						\
	" WHERE r.kernel_release = k.kernel_release" kjoin		\
	" AND EXISTS (SELECT 1 FROM cases AS e WHERE e.run_id = r.id"	\
	" AND e.scenario = sc.scenario AND e.verdict <> 'abandoned'"	\
	" AND (:family IS NULL OR e.family = :family))"			\
	" ORDER BY r.started_us DESC, r.id DESC LIMIT 1) AS run_id"	\
	" FROM sc, k WHERE sc.scenario IS NOT NULL),"			\
	" latest AS (SELECT r.host, c.scenario, r.kernel_release,"	\
	" c.run_id, c.family, c.verdict, c.sig_hash,"			\
	" min(c.verdict IN ('pass', 'skipped')) OVER fam"		\
	" <> max(c.verdict IN ('pass', 'skipped')) OVER fam AS flaky"	\
	" FROM pick AS p CROSS JOIN cases AS c ON c.run_id = p.run_id"	\
	" AND c.scenario = p.scenario JOIN runs AS r ON r.id = p.run_id"	\
	" WHERE c.verdict <> 'abandoned'"				\
	" AND (:family IS NULL OR c.family = :family)"			\
	" WINDOW fam AS (PARTITION BY c.scenario, r.kernel_release" part	\
	", c.family))"							\
	" SELECT host, scenario, kernel_release AS kernel, run_id,"	\
	" CASE WHEN min(verdict = 'skipped') THEN 'skipped'"		\
	"  WHEN min(verdict IN ('pass', 'skipped')) THEN 'pass'"		\
	"  WHEN max(flaky) THEN 'flaky'"				\
	"  WHEN max(verdict = 'pass') THEN 'mixed'"			\
	"  WHEN min(verdict = 'timeout') THEN 'timeout'"		\
	"  WHEN min(verdict = 'error') THEN 'error'"			\
	"  ELSE 'fail' END AS verdict,"					\
	" count(*) AS cases, sum(verdict = 'pass') AS pass,"		\
	" sum(verdict = 'fail') AS fail,"				\
	" sum(verdict = 'timeout') AS timeout,"				\
	" sum(verdict = 'error') AS error,"				\
	" sum(verdict = 'skipped') AS skipped,"				\
	" (SELECT count(*) FROM cases AS a WHERE a.run_id = max(latest.run_id)" \
	"  AND a.scenario = latest.scenario AND a.verdict = 'abandoned'"	\
	"  AND (:family IS NULL OR a.family = :family)) AS abandoned,"	\
	" count(DISTINCT sig_hash) AS signatures"			\
	" FROM latest GROUP BY " by "scenario, kernel_release"		\
	" ORDER BY " by "scenario, kernel_release"

/* The read queries, by enum store_query. */
static const char *const query_sql[STORE_Q__COUNT] = {
	[STORE_Q_RUNS] =
	    "SELECT run_id, " ISO_SECONDS("started_us") " AS started,"
	    " kernel_release AS kernel, host, status, n_pass AS pass,"
	    " n_fail AS fail, n_timeout AS timeout, n_error AS error,"
	    " n_abandoned AS abandoned, n_skipped AS skipped,"
	    " round(duration_us / 1e6, 1) AS duration_s"
	    " FROM v_run ORDER BY started_us DESC, run_id DESC LIMIT :limit",
	[STORE_Q_RUN] =
	    "SELECT run_id, status, started_at, ended_at,"
	    " round(duration_us / 1e6, 3) AS duration_s, host, kernel_release,"
	    " kernel_version, version, config_hash, families, isolation, repeat,"
	    " n_cases,"
	    " n_pass, n_fail, n_timeout, n_error, n_abandoned, n_skipped,"
	    " wire"
	    " FROM v_run WHERE run_id = :run_id",
	[STORE_Q_RUN_SYSCTLS] =
	    "SELECT name, value, scope FROM v_run_sysctl WHERE run_id = :run_id"
	    " ORDER BY name",
	[STORE_Q_RUN_CASES] =
	    "SELECT 'c' || c.case_id AS \"case\", c.scenario, c.family, c.rep,"
	    " c.verdict, CASE WHEN s.idx IS NULL THEN NULL"
	    "  ELSE '#' || s.idx || ' ' || s.side || ' '"
	    "  || trim(s.verb || ' ' || s.args) END AS failed_step,"
	    " c.message, round(c.duration_us / 1000.0, 1) AS duration_ms"
	    " FROM v_case AS c LEFT JOIN steps AS s"
	    "  ON s.case_id = c.case_id AND s.idx = c.first_fail"
	    " WHERE c.run_id = :run_id ORDER BY c.scenario, c.family, c.rep",
	[STORE_Q_CASE] =
	    "SELECT 'c' || case_id AS \"case\", run_id, scenario, family, rep,"
	    " verdict, first_fail, message, client_addr, server_addr,"
	    " started_at, round(duration_us / 1000.0, 1) AS duration_ms,"
	    " host, kernel_release, run_status,"
	    " wire, transitions"
	    " FROM v_case WHERE case_id = :case_id",
	[STORE_Q_CASE_STEPS] =
	    "SELECT idx, round(t_us / 1000.0, 1) AS t_ms, side,"
	    " trim(verb || ' ' || args) AS step, coalesce(events, rc) AS rc,"
	    " errno, client_state, server_state, status, message"
	    " FROM v_step WHERE case_id = :case_id ORDER BY idx",
	[STORE_Q_CASE_STEPS_VERBOSE] =
	    "SELECT idx, round(t_us / 1000.0, 1) AS t_ms, side,"
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
	    " held_us, hex(headers) AS headers FROM v_segment"
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
	    "SELECT run_id, " ISO_SECONDS("run_started_us") " AS started,"
	    " kernel_release AS kernel, host, family, verdict, n_pass AS pass,"
	    " n_fail AS fail, n_timeout AS timeout, n_error AS error,"
	    " n_abandoned AS abandoned, n_skipped AS skipped"
	    " FROM v_history WHERE scenario = :scenario"
	    " AND (:family IS NULL OR family = :family)"
	    " ORDER BY run_started_us, run_id, family",
	[STORE_Q_RUN_STABILITY] =
	    "SELECT scenario, family, n_cases AS cases, n_signatures AS signatures,"
	    " stability, sig_hash AS majority, n_majority AS of_cases,"
	    " 'c' || case_id AS \"case\", verdict"
	    " FROM " STABILITY(":run_id") " ORDER BY scenario, family",
	[STORE_Q_RUN_FLAKY] =
	    "SELECT v.scenario, v.family, v.sig_hash, v.n_cases AS cases, v.reps,"
	    " 'c' || v.case_id AS \"case\", v.verdict"
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
	    "SELECT b.host, b.run_id, r.kernel_release AS kernel,"
	    " " ISO_SECONDS("r.started_us") " AS started,"
	    " " ISO_SECONDS("b.set_us") " AS set_at"
	    " FROM baselines AS b JOIN runs AS r ON r.id = b.run_id"
	    " ORDER BY b.host",
	[STORE_Q_EXPORT_CASES] =
	    "SELECT c.run_id, c.host, c.kernel_release, c.kernel_version,"
	    " c.run_started_at, c.case_id, c.scenario, c.family, c.rep,"
	    " c.verdict, c.started_at, c.duration_us,"
	    " CASE WHEN c.verdict = 'pass' THEN NULL"
	    "  WHEN s.idx IS NULL THEN c.message"
	    "  ELSE 'line ' || coalesce(s.line, '?') || ': ' || s.side || ' '"
	    "  || trim(s.verb || ' ' || s.args)"
	    "  || coalesce(': ' || coalesce(s.message, c.message), '')"
	    "  END AS failure,"
	    " c.first_fail AS fail_idx, s.line AS fail_line,"
	    " s.side AS fail_side, trim(s.verb || ' ' || s.args) AS fail_step,"
	    " s.status AS fail_status, coalesce(s.events, s.rc) AS fail_rc,"
	    " s.errno AS fail_errno, s.c_state AS fail_client_state,"
	    " s.s_state AS fail_server_state, c.message, c.wire,"
	    " k.sig_hash, g.text AS signature"
	    " FROM v_case AS c JOIN cases AS k ON k.id = c.case_id"
	    " LEFT JOIN signatures AS g ON g.sig_hash = k.sig_hash"
	    " LEFT JOIN steps AS s ON s.case_id = c.case_id"
	    "  AND s.idx = c.first_fail"
	    " WHERE c.run_id = :run_id ORDER BY c.scenario, c.family, c.rep",
	[STORE_Q_MATRIX] = MATRIX_SQL("", "", "", ""),
	[STORE_Q_MATRIX_BY_HOST] = MATRIX_SQL(", r.host", "host, ", ", host",
	    " AND r.host = k.host"),
};

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
	    " ON r.host = b.host WHERE r.id = :run_id",
	[STORE_L_OTHER_KERNEL] =
	    "SELECT o.id FROM runs AS r JOIN runs AS o"
	    " ON o.kernel_release <> r.kernel_release AND (o.started_us <"
	    " r.started_us OR (o.started_us = r.started_us AND o.id < r.id))"
	    " WHERE r.id = :run_id AND " SIGNED("o")
	    " ORDER BY o.started_us DESC, o.id DESC LIMIT 1",
	[STORE_L_PREVIOUS_SIGNED] =
	    "SELECT o.id FROM runs AS r JOIN runs AS o"
	    " ON o.started_us < r.started_us"
	    " OR (o.started_us = r.started_us AND o.id < r.id)"
	    " WHERE r.id = :run_id AND " SIGNED("o")
	    " ORDER BY o.started_us DESC, o.id DESC LIMIT 1",
};

/* Sets st's error text; returns -1 for "return store_fail(...)". */
static int __attribute__((format(printf, 2, 3)))
store_fail(struct store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* Sets st's error to "what: <SQLite's message>"; returns -1. */
static int
store_fail_db(struct store *st, const char *what)
{
	return store_fail(st, "%s: %s", what, sqlite3_errmsg(st->db));
}

/* Runs one SQL text (pragmas, transaction control, migration steps). */
static int
store_exec(struct store *st, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_fail(st, "%s: %s", what,
		    msg != NULL ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Reads the one integer a statement such as "PRAGMA user_version" returns. */
static int
store_read_int(struct store *st, const char *sql, int64_t *v)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(s) != SQLITE_ROW)
		goto fail;
	*v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
fail:
	store_fail_db(st, sql);
	sqlite3_finalize(s);
	return -1;
}

static int store_migrate_steps(struct store *st);

/* Fails unless every foreign key holds (PRAGMA foreign_key_check). */
static int
store_check_keys(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA foreign_key_check", -1, &s,
	    NULL) != SQLITE_OK)
		return store_fail_db(st, "foreign_key_check");
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return store_fail(st, "migration: a foreign key no longer holds");
	if (rc != SQLITE_DONE)
		return store_fail_db(st, "foreign_key_check");
	return 0;
}

/* Applies every migration step above the database's version, in one
 * transaction, and sets user_version to the last. Foreign keys are off
 * meanwhile, so a step may rebuild a table (copy, drop, rename: SQLite's
 * way of changing a CHECK) without cascading deletes; they are checked
 * before the commit. */
static int
store_migrate(struct store *st)
{
	int rc;

	if (store_exec(st, "PRAGMA foreign_keys = OFF", "foreign_keys") == -1)
		return -1;
	rc = store_migrate_steps(st);
	if (store_exec(st, "PRAGMA foreign_keys = ON", "foreign_keys") == -1)
		rc = -1;
	return rc;
}

/* store_migrate's transaction. */
static int
store_migrate_steps(struct store *st)
{
	char sql[64], what[32];
	int64_t from;
	int v;

	if (store_exec(st, "BEGIN IMMEDIATE", "begin migration") == -1)
		return -1;
	/* Read again under the lock: another writer may have migrated. */
	if (store_read_int(st, "PRAGMA user_version", &from) == -1)
		goto fail;
	for (v = (int)from + 1; v <= schema_version; v++) {
		snprintf(what, sizeof(what), "migration %d", v);
		if (store_exec(st, schema_steps[v], what) == -1) {
			char why[sizeof(st->err)];

			memcpy(why, st->err, sizeof(why));
			if (from > 0)		/* its tables are not its version's */
				store_fail(st, "a damaged teardownd database: its "
				    "tables do not match its schema version (%lld); "
				    "%s", (long long)from, why);
			goto fail;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", schema_version);
	if (from < schema_version && (store_check_keys(st) == -1 ||
	    store_exec(st, sql, "set version") == -1))
		goto fail;
	if (store_exec(st, "COMMIT", "commit migration") == -1)
		goto fail;
	if (from > 0 && from < schema_version)
		log_info("schema migrated from version %lld to %d",
		    (long long)from, schema_version);
	return 0;
fail:
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Reads the database's identity, the first read of the connection: a file
 * that is not a database fails here, and so does a reader of a WAL
 * database that would have to create the -wal/-shm files in a directory
 * it cannot write. */
static int
store_identify(struct store *st, int64_t *appid, int64_t *version,
    int64_t *nobjects)
{
	if (store_read_int(st, "PRAGMA application_id", appid) == 0 &&
	    store_read_int(st, "PRAGMA user_version", version) == 0 &&
	    store_read_int(st, "SELECT count(*) FROM sqlite_schema",
	    nobjects) == 0)
		return 0;
	if (sqlite3_extended_errcode(st->db) == SQLITE_READONLY_DIRECTORY)
		return store_fail(st, "cannot read: it is in WAL mode, its -wal "
		    "and -shm files are missing and this directory is not "
		    "writable (teardownd keeps them once it has opened it)");
	return store_fail(st, "%s", sqlite3_errmsg(st->db));
}

/* Checks, before anything is written, that the file is a teardownd
 * database this build can use; *migrate is set when it lacks steps. */
static int
store_check_schema(struct store *st, int *migrate)
{
	int64_t version, appid, nobjects;

	if (store_identify(st, &appid, &version, &nobjects) == -1)
		return -1;
	if (appid != 0 && appid != STORE_APPLICATION_ID)
		return store_fail(st, "not a teardownd database "
		    "(application_id %lld)", (long long)appid);
	if (version == 0 && nobjects > 0)
		return store_fail(st, "not a teardownd database "
		    "(it has tables but no schema version)");
	if (version < 0)
		return store_fail(st, "a damaged teardownd database (schema "
		    "version %lld)", (long long)version);
	if (version > schema_version)
		return store_fail(st, "schema version %lld is newer than this "
		    "build knows (%d); upgrade teardownd", (long long)version,
		    schema_version);
	if (version < schema_version && st->readonly && version == 0)
		return store_fail(st, "no teardownd schema yet; "
		    "run teardownd to create it");
	if (version < schema_version && st->readonly)
		return store_fail(st, "schema version %lld is older than this "
		    "build's (%d); run teardownd once to migrate it",
		    (long long)version, schema_version);
	*migrate = version < schema_version;
	return 0;
}

/* Switches the database to WAL; a file system that cannot do it (no shared
 * memory) keeps its journal mode, with a warning. */
static int
store_set_wal(struct store *st)
{
	sqlite3_stmt *s = NULL;
	const char *mode;
	int ret = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s,
	    NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		store_fail_db(st, "journal_mode");
		goto done;
	}
	mode = (const char *)sqlite3_column_text(s, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0)
		log_warnx("journal_mode is %s, not wal: readers will wait for "
		    "writers", mode != NULL ? mode : "unknown");
	ret = 0;
done:
	sqlite3_finalize(s);
	return ret;
}

/* Sets a writable connection up: WAL, synchronous=NORMAL, foreign keys,
 * and a -wal/-shm pair that stays after close so that read-only users
 * (teardownctl) never need to create them. */
static int
store_configure(struct store *st)
{
	int persist = 1;

	if (store_set_wal(st) == -1 ||
	    store_exec(st, "PRAGMA synchronous = NORMAL", "synchronous") == -1 ||
	    store_exec(st, "PRAGMA foreign_keys = ON", "foreign_keys") == -1 ||
	    store_exec(st, "PRAGMA journal_size_limit = " STORE_WAL_LIMIT,
	    "journal_size_limit") == -1)
		return -1;
	sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	return 0;
}

/* Moves the WAL's committed pages into the database and empties it. */
int
store_checkpoint(struct store *st)
{
	int log = 0, done = 0, rc;

	if (st->readonly)
		return 0;
	rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	    &log, &done);
	if (rc == SQLITE_OK)
		return 0;
	store_fail_db(st, "checkpoint");
	return (rc & 0xff) == SQLITE_FULL ? 1 : -1;
}

/* Prepares the write path's statements, kept for the connection's life. */
static int
store_prepare_writes(struct store *st)
{
	int i, p;

	for (i = 0; i < STMT__COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->w[i].s, NULL) != SQLITE_OK)
			return store_fail_db(st, "prepare");
		for (p = 0; p < P__COUNT; p++)
			st->w[i].ix[p] = sqlite3_bind_parameter_index(st->w[i].s,
			    param_name[p]);
	}
	return 0;
}

/* Opens (creating and migrating unless readonly) the database at path;
 * NULL with "path: reason" in err on failure. */
/* SQLite's process-wide settings, before its first use: no memory
 * statistics (a global mutex around every allocation). And malloc keeps
 * up to 64 MB free at the heap's top: each B-tree split allocates and
 * frees a 64 KB buffer, which glibc's default (128 KB) gave back to the
 * kernel and took again, two brk calls per stored step (10k four-way
 * cases: 11k step rows/s with them, 59k without). */
static void
store_init(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 1 << 20);
}

/* path as messages show it: whole, or when long its start and its end
 * (so that the reason after it still fits in one line). */
static const char *
path_shown(const char *path, char *buf, size_t len)
{
	size_t n = strlen(path);

	if (n <= 160)
		return path;
	snprintf(buf, len, "%.60s...%s", path, path + n - 80);
	return buf;
}

/* Refuses a path that cannot hold a database: empty (SQLite would make a
 * temporary one, lost at close), ":memory:", too long, or something
 * that is there but not a regular file (/dev/null: its journal would be
 * made beside it, in /dev). 0, or -1 with "path: reason" in err. */
static int
store_path_check(const char *path, char *err, size_t errlen)
{
	char buf[256];
	const char *what = NULL;
	struct stat sb;

	if (path[0] == '\0') {
		snprintf(err, errlen, "the database path is empty");
		return -1;
	}
	if (strcmp(path, ":memory:") == 0)
		what = "an in-memory database, whose results would be lost";
	else if (strlen(path) >= PATH_MAX - sizeof("-journal"))
		what = "path too long";
	else if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
		what = S_ISDIR(sb.st_mode) ? "a directory, not a database file" :
		    S_ISCHR(sb.st_mode) ? "a character device, not a database file" :
		    S_ISBLK(sb.st_mode) ? "a block device, not a database file" :
		    "not a regular file";
	if (what == NULL)
		return 0;
	snprintf(err, errlen, "%s: %s", path_shown(path, buf, sizeof(buf)), what);
	return -1;
}

struct store *
store_open(const char *path, int readonly, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	char shown[256];
	struct store *st;
	int migrate = 0;
	/* URIs: store_merge attaches its inputs as "file:...?mode=ro". A
	 * connection is used by one thread at a time (the writer's by the
	 * writer): no mutex of its own. */
	int flags = SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_URI |
	    SQLITE_OPEN_NOMUTEX | (readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);

	pthread_once(&once, store_init);
	if (store_path_check(path, err, errlen) == -1)
		return NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	st->readonly = readonly;
	st->lock_fd = -1;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		if (st->db != NULL && sqlite3_system_errno(st->db) != 0)
			store_fail(st, "cannot open: %s",
			    strerror(sqlite3_system_errno(st->db)));
		else
			store_fail(st, "cannot open: %s", st->db != NULL ?
			    sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	if (store_check_schema(st, &migrate) == -1)
		goto fail;
	if (readonly)
		return st;
	if (store_configure(st) == -1 || (migrate && store_migrate(st) == -1) ||
	    store_prepare_writes(st) == -1)
		goto fail;
	return st;
fail:
	snprintf(err, errlen, "%s: %s", path_shown(path, shown, sizeof(shown)),
	    st->err);
	store_close(st);
	return NULL;
}

/*
 * The writer's lock. One teardownd (--once or the daemon) writes a
 * database at a time: a second one would mark the first one's run
 * 'aborted' as stale (store_mark_stale) and the first could then not
 * store its cases. So teardownd takes flock(LOCK_EX | LOCK_NB) on a
 * separate file "DB.lock" next to the database, created 0640 like it and
 * never removed (removing it would let two processes lock two files),
 * held as long as the store: the kernel drops it when the process dies,
 * however it dies, so a run still 'running' once the lock is held is
 * stale. Not on the database file itself: SQLite takes POSIX locks on
 * it, and closing any descriptor of that file drops them all. Not on its
 * directory: several databases may share one (/var/lib/teardownd), and
 * they are independent. teardownctl takes no lock: it reads, and its
 * writes (baseline set/clear, merge -o) never touch a run's status;
 * SQLite's own locking orders them with teardownd's transactions.
 */
static int
store_lock(const char *path, int *busy, char *err, size_t errlen)
{
	char lock[PATH_MAX + 8], shown[256];
	int fd;

	*busy = 0;
	if (store_path_check(path, err, errlen) == -1)
		return -1;
	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >=
	    sizeof(lock)) {
		snprintf(err, errlen, "%s: path too long",
		    path_shown(path, shown, sizeof(shown)));
		return -1;
	}
	path = path_shown(path, shown, sizeof(shown));
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY,
	    0640)) == -1) {
		snprintf(err, errlen, "%s: cannot open its lock: %s", path,
		    strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK) {
			*busy = 1;
			snprintf(err, errlen, "%s: in use by another teardownd "
			    "(lock %s.lock)", path, path);
		} else
			snprintf(err, errlen, "%s: cannot lock it: %s", path,
			    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Opens path for teardownd under the writer's lock (above). */
struct store *
store_open_writer(const char *path, int *busy, char *err, size_t errlen)
{
	struct store *st;
	int fd;

	if ((fd = store_lock(path, busy, err, errlen)) == -1)
		return NULL;
	if ((st = store_open(path, 0, err, errlen)) == NULL) {
		close(fd);
		return NULL;
	}
	st->lock_fd = fd;
	return st;
}

/* Closes the database and frees st (NULL is fine). */
void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < STMT__COUNT; i++)
		sqlite3_finalize(st->w[i].s);
	sqlite3_close(st->db);
	if (st->lock_fd != -1)
		close(st->lock_fd);		/* after the database: drops the lock */
	free(st);
}

/* Last error text of st, one line. */
const char *
store_errmsg(struct store *st)
{
	return st->err;
}

/* The schema version this build writes and reads. */
int
store_schema_version(void)
{
	return schema_version;
}

/* Binds an integer to the named parameter; -1 if there is none. */
static int
bind_int(sqlite3_stmt *s, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	return i > 0 && sqlite3_bind_int64(s, i, v) == SQLITE_OK ? 0 : -1;
}

/* Binds a NUL-terminated string that must not be stored as NULL. */
static int
bind_str(sqlite3_stmt *s, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	return i > 0 && sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) ==
	    SQLITE_OK ? 0 : -1;
}

/* Binds an integer to parameter p of w; -1 if w has none. */
static int
wbind_int(struct wstmt *w, enum param p, int64_t v)
{
	return w->ix[p] > 0 && sqlite3_bind_int64(w->s, w->ix[p], v) ==
	    SQLITE_OK ? 0 : -1;
}

/* Binds text (at most max bytes of it, NUL or not) to parameter p of w;
 * empty text is bound as NULL when empty_null is set. */
static int
wbind_text(struct wstmt *w, enum param p, const char *v, size_t max,
    int empty_null)
{
	size_t n = strnlen(v, max);

	if (w->ix[p] <= 0)
		return -1;
	if (n == 0 && empty_null)
		return 0;			/* cleared bindings are NULL */
	return sqlite3_bind_text(w->s, w->ix[p], v, (int)n, SQLITE_STATIC) ==
	    SQLITE_OK ? 0 : -1;
}

/* Binds a NUL-terminated string that must not be stored as NULL. */
static int
wbind_str(struct wstmt *w, enum param p, const char *v)
{
	return w->ix[p] > 0 && sqlite3_bind_text(w->s, w->ix[p], v, -1,
	    SQLITE_STATIC) == SQLITE_OK ? 0 : -1;
}

/* Binds one end's observation, its block starting at parameter base
 * (P_c_state or P_s_state); what was not observed, or not reported by
 * the kernel (its bit clear in info.has), stays NULL. */
static int
bind_end(struct wstmt *w, enum param base, const struct end_obs *o)
{
	const struct tcp_snap *i = &o->info;
	int bad = 0;

#define AT(f)	(enum param)(base + (P_c_##f - P_c_state))
	if (o->source == OBS_NONE)
		return 0;
	bad |= wbind_str(w, AT(state), state_name(o->state));
	bad |= wbind_str(w, AT(source), source_name(o->source));
	if (o->source == OBS_DIAG || o->source == OBS_DIAG_TW) {
		bad |= wbind_int(w, AT(timer), o->timer);
		bad |= wbind_int(w, AT(timer_ms), o->timer_ms);
	}
#define BIND_SNAP(p, f, b)						\
	if (SNAP_HAS(i, SNAP_##b))					\
		bad |= wbind_int(w, AT(f), i->f);
	SNAP_FIELDS(BIND_SNAP, c)
#undef BIND_SNAP
#undef AT
	return bad;
}

/* Steps a kept write statement to completion and resets it; what names
 * it in the error. */
static int
stmt_run(struct store *st, enum stmt k, const char *what)
{
	sqlite3_stmt *s = st->w[k].s;
	int rc;

	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		store_fail_db(st, what);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/* Gives up on a statement whose parameters could not be bound. */
static int
stmt_bind_failed(struct store *st, enum stmt k, const char *what)
{
	sqlite3_clear_bindings(st->w[k].s);
	return store_fail(st, "%s: cannot bind parameters", what);
}

/* Says which row of a case could not be stored (its message is built
 * only then: not once per row): its parameters could not be bound, or
 * stmt_run failed and left its reason. */
static int
row_failed(struct store *st, enum stmt k, const char *what, size_t idx,
    int bind)
{
	char why[sizeof(st->err)];

	if (bind) {
		sqlite3_clear_bindings(st->w[k].s);
		return store_fail(st, "insert %s %zu: cannot bind parameters",
		    what, idx);
	}
	memcpy(why, st->err, sizeof(why));
	return store_fail(st, "insert %s %zu%s", what, idx, why);
}

/* Starts a write transaction, or fails on a read-only store. */
static int
store_begin(struct store *st)
{
	if (st->readonly)
		return store_fail(st, "the database is open read-only");
	return stmt_run(st, STMT_BEGIN_IMMEDIATE, "begin");
}

/* Rolls the open transaction back, keeping the error that caused it. */
static void
store_rollback(struct store *st)
{
	char keep[sizeof(st->err)];

	memset(st->sigs, 0, sizeof(st->sigs));	/* they may be gone with it */
	if (sqlite3_get_autocommit(st->db))
		return;				/* SQLite has rolled back */
	memcpy(keep, st->err, sizeof(keep));
	if (stmt_run(st, STMT_ROLLBACK, "rollback") == -1)
		log_warnx("store: %s", st->err);
	memcpy(st->err, keep, sizeof(keep));
}

/* Commits, or rolls back if the commit fails. */
static int
store_commit(struct store *st)
{
	if (stmt_run(st, STMT_COMMIT, "commit") == 0)
		return 0;
	store_rollback(st);
	return -1;
}

/* Inserts the run's row and returns its id in *run_id. */
static int
insert_run(struct store *st, const struct run_info *ri, int64_t *run_id)
{
	struct wstmt *w = &st->w[STMT_INSERT_RUN];
	int bad = 0;

	bad |= wbind_text(w, P_host, ri->host, sizeof(ri->host), 0);
	bad |= wbind_text(w, P_kernel_release, ri->kernel_release,
	    sizeof(ri->kernel_release), 0);
	bad |= wbind_text(w, P_kernel_version, ri->kernel_version,
	    sizeof(ri->kernel_version), 0);
	bad |= wbind_text(w, P_config_hash, ri->config_hash,
	    sizeof(ri->config_hash), 0);
	bad |= wbind_text(w, P_version, ri->version, sizeof(ri->version), 0);
	bad |= wbind_text(w, P_families, ri->families, sizeof(ri->families), 0);
	bad |= wbind_text(w, P_isolation, ri->isolation[0] ? ri->isolation : "host",
	    sizeof(ri->isolation), 0);
	bad |= wbind_int(w, P_repeat, ri->repeat);
	bad |= wbind_int(w, P_started_us, ri->start_us);
	if (bad)
		return stmt_bind_failed(st, STMT_INSERT_RUN, "insert run");
	if (stmt_run(st, STMT_INSERT_RUN, "insert run") == -1)
		return -1;
	*run_id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* Inserts the run's sysctls. */
static int
insert_sysctls(struct store *st, int64_t run_id, const struct run_info *ri)
{
	struct wstmt *w = &st->w[STMT_INSERT_SYSCTL];
	const struct sysctl_value *sv;
	char what[96];
	size_t i, n = ri->nsysctl;
	int bad;

	if (n > sizeof(ri->sysctl) / sizeof(ri->sysctl[0]))
		return store_fail(st, "insert sysctls: %zu is too many", n);
	for (i = 0; i < n; i++) {
		sv = &ri->sysctl[i];
		snprintf(what, sizeof(what), "insert sysctl %.*s",
		    (int)sizeof(sv->name), sv->name);
		bad = wbind_int(w, P_run_id, run_id);
		bad |= wbind_text(w, P_name, sv->name, sizeof(sv->name), 0);
		bad |= wbind_text(w, P_value, sv->value, sizeof(sv->value), 0);
		bad |= wbind_text(w, P_scope, sv->scope, sizeof(sv->scope), 1);
		if (bad)
			return stmt_bind_failed(st, STMT_INSERT_SYSCTL, what);
		if (stmt_run(st, STMT_INSERT_SYSCTL, what) == -1)
			return -1;
	}
	return 0;
}

/* Records a new run with status 'running' and its sysctls; sets *run_id. */
int
store_run_begin(struct store *st, const struct run_info *ri, int64_t *run_id)
{
	int64_t id = 0;

	if (store_begin(st) == -1)
		return -1;
	if (insert_run(st, ri, &id) == -1 || insert_sysctls(st, id, ri) == -1)
		goto fail;
	if (store_commit(st) == -1)
		return -1;
	*run_id = id;
	return 0;
fail:
	store_rollback(st);
	return -1;
}

/* Inserts step idx of a case: its definition, and what happened if r is
 * not NULL and the step ran. */
static int
insert_step(struct store *st, int64_t case_id, size_t idx,
    const struct step *sp, const struct step_result *r)
{
	struct wstmt *w = &st->w[STMT_INSERT_STEP];
	enum step_status status = r != NULL ? r->status : STEP_NOT_RUN;
	char ev[64], end[END_NAME_LEN];
	int bad = 0;

	bad |= wbind_int(w, P_case_id, case_id);
	bad |= wbind_int(w, P_idx, (int64_t)idx);
	bad |= wbind_int(w, P_line, sp->line);
	bad |= wbind_str(w, P_side, end_name(sp->side, sp->pair, end));
	bad |= wbind_str(w, P_verb, verb_name(sp->verb));
	bad |= wbind_text(w, P_args, sp->args, sizeof(sp->args), 0);
	bad |= wbind_str(w, P_status, status_name(status));
	if (r != NULL)
		if (r->msg != NULL && r->msg[0] != '\0')
			bad |= wbind_str(w, P_message, r->msg);
	if (status != STEP_NOT_RUN) {
		if (!verb_is_expect(sp->verb))
			bad |= wbind_int(w, P_rc, r->rc);
		if (r->err != 0)
			bad |= wbind_str(w, P_errno, errno_name(r->err));
		if (verb_reports_events(sp->verb) && r->err == 0) {
			events_format((int)r->rc, ev, sizeof(ev));
			bad |= wbind_str(w, P_events, ev);
		}
		bad |= wbind_int(w, P_eof, r->eof != 0);
		bad |= wbind_int(w, P_t_us, r->t_us);
		bad |= wbind_int(w, P_dur_us, r->dur_us);
		bad |= bind_end(w, P_c_state, &r->end[SIDE_CLIENT]);
		bad |= bind_end(w, P_s_state, &r->end[SIDE_SERVER]);
	}
	if (bad)
		return row_failed(st, STMT_INSERT_STEP, "step", idx, 1);
	if (stmt_run(st, STMT_INSERT_STEP, "") == -1)
		return row_failed(st, STMT_INSERT_STEP, "step", idx, 0);
	return 0;
}

/* Binds a case's row to the insert-case statement. */
static int
bind_case(struct wstmt *w, int64_t run_id, const struct case_result *cr)
{
	int bad = 0;

	bad |= wbind_int(w, P_run_id, run_id);
	bad |= wbind_text(w, P_scenario, cr->sc->name, sizeof(cr->sc->name), 0);
	bad |= wbind_str(w, P_family, family_name(cr->family));
	bad |= wbind_int(w, P_rep, cr->rep);
	bad |= wbind_str(w, P_verdict, verdict_name(cr->verdict));
	if (cr->first_fail >= 0)
		bad |= wbind_int(w, P_first_fail, cr->first_fail);
	bad |= wbind_text(w, P_message, cr->msg, sizeof(cr->msg), 1);
	bad |= wbind_text(w, P_client_addr, cr->client_addr,
	    sizeof(cr->client_addr), 1);
	bad |= wbind_text(w, P_server_addr, cr->server_addr,
	    sizeof(cr->server_addr), 1);
	bad |= wbind_int(w, P_started_us, cr->start_us);
	bad |= wbind_int(w, P_duration_us, cr->dur_us);
	bad |= wbind_str(w, P_wire, cr->wire == WIRE_OBSERVED ? "observed" :
	    "not_observed");
	bad |= wbind_str(w, P_transitions, cr->trans == TRANS_OBSERVED ?
	    "observed" : "not_observed");
	bad |= wbind_str(w, P_link, link_name(cr->link));
	return bad;
}

/* Inserts segment idx of a case; its headers' bytes are at hdr. */
static int
insert_segment(struct store *st, int64_t case_id, size_t idx,
    const struct segment *g, const uint8_t *hdr)
{
	struct wstmt *w = &st->w[STMT_INSERT_SEGMENT];
	char flags[TCP_FLAGS_LEN];
	int bad = 0;

	tcp_flags_format(g->flags, flags, sizeof(flags));
	bad |= wbind_int(w, P_case_id, case_id);
	bad |= wbind_int(w, P_idx, (int64_t)idx);
	bad |= wbind_int(w, P_t_us, g->t_us);
	bad |= wbind_str(w, P_dir, g->from == SIDE_CLIENT ? "C>S" : "S>C");
	bad |= wbind_str(w, P_flags, flags);
	bad |= wbind_int(w, P_flag_bits, g->flags);
	bad |= wbind_int(w, P_seq, g->seq);
	if (g->flags & TCPF_ACK)
		bad |= wbind_int(w, P_ack, g->ack);
	bad |= wbind_int(w, P_len, g->len);
	bad |= wbind_int(w, P_win, g->win);
	bad |= wbind_int(w, P_pair, g->pair > 0 ? g->pair : 1);
	if (mark_name(g->mark) != NULL)
		bad |= wbind_str(w, P_mark, mark_name(g->mark));
	if (g->held_us >= 0 && g->mark != MARK_NONE)
		bad |= wbind_int(w, P_held_us, g->held_us);
	if (g->hdr_len > 0 && hdr != NULL)
		bad |= w->ix[P_headers] <= 0 || sqlite3_bind_blob(w->s,
		    w->ix[P_headers], hdr + g->hdr_off, g->hdr_len,
		    SQLITE_STATIC) != SQLITE_OK;
	if (bad)
		return row_failed(st, STMT_INSERT_SEGMENT, "segment", idx, 1);
	if (stmt_run(st, STMT_INSERT_SEGMENT, "") == -1)
		return row_failed(st, STMT_INSERT_SEGMENT, "segment", idx, 0);
	return 0;
}

/* Inserts transition idx of a case. */
static int
insert_transition(struct store *st, int64_t case_id, size_t idx,
    const struct transition *t)
{
	struct wstmt *w = &st->w[STMT_INSERT_TRANSITION];
	char end[END_NAME_LEN];
	int bad = 0;

	bad |= wbind_int(w, P_case_id, case_id);
	bad |= wbind_int(w, P_idx, (int64_t)idx);
	bad |= wbind_int(w, P_t_ns, t->t_ns);
	bad |= wbind_str(w, P_side, end_name(t->end, t->pair, end));
	bad |= wbind_str(w, P_from_state, state_name(t->from));
	bad |= wbind_str(w, P_to_state, state_name(t->to));
	if (bad)
		return row_failed(st, STMT_INSERT_TRANSITION, "transition", idx, 1);
	if (stmt_run(st, STMT_INSERT_TRANSITION, "") == -1)
		return row_failed(st, STMT_INSERT_TRANSITION, "transition", idx, 0);
	return 0;
}

/* Stores signature text sig under hash, once: a hash this connection
 * stored already (st->sigs, a direct-mapped memory of them, forgotten at
 * a rollback) is not written again. */
static int
insert_signature(struct store *st, const char *sig, const char *hash,
    const char *what)
{
	struct wstmt *w = &st->w[STMT_INSERT_SIGNATURE];
	uint64_t h = strtoull(hash, NULL, 16);
	size_t k = (size_t)(h % STORE_SIG_MEMORY);
	int bad;

	if (st->sigs[k] == h && h != 0)
		return 0;
	bad = wbind_str(w, P_sig_hash, hash);
	bad |= wbind_str(w, P_signature, sig);
	if (bad)
		return stmt_bind_failed(st, STMT_INSERT_SIGNATURE, what);
	if (stmt_run(st, STMT_INSERT_SIGNATURE, what) == -1)
		return -1;
	st->sigs[k] = h;
	return 0;
}

/* Inserts a case's row with its signature's hashes (src/signature.h),
 * and the signature itself if it is new; a case verdict_sign did not
 * sign (tests, no memory then) is signed here. */
static int
insert_case_row(struct store *st, int64_t run_id, const struct case_result *cr,
    const char *what)
{
	struct wstmt *w = &st->w[STMT_INSERT_CASE];
	char hash[SIG_HASH_LEN], steps[SIG_HASH_LEN], *own = NULL;
	const char *sig = cr->sig;
	int bad, rc;

	if (sig == NULL) {
		if ((own = signature_text(cr)) == NULL)
			return store_fail(st, "%s: signature: out of memory", what);
		sig = own;
		signature_hash_hex(sig, hash);
		signature_steps_hash_hex(sig, steps);
	} else {
		memcpy(hash, cr->sig_hash, sizeof(hash));
		memcpy(steps, cr->steps_hash, sizeof(steps));
	}
	if (insert_signature(st, sig, hash, what) == -1) {
		free(own);
		return -1;
	}
	bad = bind_case(w, run_id, cr);
	bad |= wbind_str(w, P_sig_hash, hash);
	bad |= wbind_str(w, P_steps_hash, steps);
	if (bad)
		rc = stmt_bind_failed(st, STMT_INSERT_CASE, what);
	else
		rc = stmt_run(st, STMT_INSERT_CASE, what);
	free(own);
	return rc;
}

/* Inserts one case and all its script's steps (not run if no results). */
static int
insert_case(struct store *st, int64_t run_id, const struct case_result *cr)
{
	const struct scenario *sc = cr->sc;
	char what[160], why[sizeof(st->err)];
	int64_t case_id;
	size_t i;

	if (sc == NULL)
		return store_fail(st, "insert case: it has no scenario");
	snprintf(what, sizeof(what), "insert case %.64s/%s/%d", sc->name,
	    family_name(cr->family), cr->rep);
	if ((unsigned)cr->verdict >= VERDICT__COUNT)
		return store_fail(st, "%s: verdict %d out of range", what,
		    (int)cr->verdict);
	if (insert_case_row(st, run_id, cr, what) == -1)
		return -1;
	case_id = sqlite3_last_insert_rowid(st->db);
	for (i = 0; i < sc->nsteps; i++)
		if (insert_step(st, case_id, i, &sc->steps[i],
		    cr->res != NULL ? &cr->res[i] : NULL) == -1)
			goto fail;
	for (i = 0; cr->wire == WIRE_OBSERVED && i < cr->nseg; i++)
		if (insert_segment(st, case_id, i, &cr->seg[i], cr->hdr) == -1)
			goto fail;
	for (i = 0; cr->trans == TRANS_OBSERVED && i < cr->ntrans; i++)
		if (insert_transition(st, case_id, i, &cr->tr[i]) == -1)
			goto fail;
	return 0;
fail:
	memcpy(why, st->err, sizeof(why));
	return store_fail(st, "%s: %s", what + strlen("insert "), why);
}

/* How many of n cases were observed, as the runs table says it. */
static const char *
observed_word(size_t observed, size_t n)
{
	return observed == n ? "observed" : observed == 0 ? "not_observed" :
	    "partial";
}

/* Adds a batch's verdict counts to its run, which must still be running,
 * its wire and its transitions: observed[0] and [1] are how many of its n
 * cases had theirs observed. */
static int
add_run_counts(struct store *st, int64_t run_id, const int64_t *count,
    const size_t *observed, size_t n)
{
	struct wstmt *w = &st->w[STMT_ADD_RUN_COUNTS];
	int bad = 0;

	if (n > 0) {
		bad |= wbind_str(w, P_wire, observed_word(observed[0], n));
		bad |= wbind_str(w, P_transitions, observed_word(observed[1], n));
	}
	bad |= wbind_int(w, P_pass, count[VERDICT_PASS]);
	bad |= wbind_int(w, P_fail, count[VERDICT_FAIL]);
	bad |= wbind_int(w, P_timeout, count[VERDICT_TIMEOUT]);
	bad |= wbind_int(w, P_error, count[VERDICT_ERROR]);
	bad |= wbind_int(w, P_abandoned, count[VERDICT_ABANDONED]);
	bad |= wbind_int(w, P_skipped, count[VERDICT_SKIPPED]);
	bad |= wbind_int(w, P_run_id, run_id);
	if (bad)
		return stmt_bind_failed(st, STMT_ADD_RUN_COUNTS, "count cases");
	if (stmt_run(st, STMT_ADD_RUN_COUNTS, "count cases") == -1)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return store_fail(st, "run %lld: no such run, or it has ended",
		    (long long)run_id);
	return 0;
}

/* Stores n finished cases and their steps in one transaction: all of them
 * or, on any error, none. */
int
store_cases(struct store *st, int64_t run_id,
    struct case_result *const *cases, size_t n)
{
	int64_t count[VERDICT__COUNT] = { 0 };
	size_t i, observed[2] = { 0, 0 };	/* wire, transitions */

	if (store_begin(st) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (insert_case(st, run_id, cases[i]) == -1)
			goto fail;
		count[cases[i]->verdict]++;
		observed[0] += cases[i]->wire == WIRE_OBSERVED;
		observed[1] += cases[i]->trans == TRANS_OBSERVED;
	}
	if (add_run_counts(st, run_id, count, observed, n) == -1)
		goto fail;
	return store_commit(st);
fail:
	store_rollback(st);
	return -1;
}

/* Ends a running run: status is "complete", "interrupted" or "aborted". */
int
store_run_end(struct store *st, int64_t run_id, const char *status,
    int64_t end_us)
{
	struct wstmt *w;
	int bad;

	if (strcmp(status, "complete") != 0 &&
	    strcmp(status, "interrupted") != 0 && strcmp(status, "aborted") != 0)
		return store_fail(st, "end run: bad status '%s'", status);
	if (store_begin(st) == -1)
		return -1;
	w = &st->w[STMT_END_RUN];
	bad = wbind_str(w, P_status, status);
	bad |= wbind_int(w, P_ended_us, end_us);
	bad |= wbind_int(w, P_run_id, run_id);
	if (bad) {
		stmt_bind_failed(st, STMT_END_RUN, "end run");
		goto fail;
	}
	if (stmt_run(st, STMT_END_RUN, "end run") == -1)
		goto fail;
	if (sqlite3_changes(st->db) != 1) {
		store_fail(st, "end run %lld: no such run, or it has ended",
		    (long long)run_id);
		goto fail;
	}
	return store_commit(st);
fail:
	store_rollback(st);
	return -1;
}

/* Prepares a read statement and binds the arguments it names. */
static int
prepare_read(struct store *st, const char *sql, const struct store_args *a,
    sqlite3_stmt **sp)
{
	sqlite3_stmt *s;
	int bad = 0;

	if (sqlite3_prepare_v2(st->db, sql, -1, sp, NULL) != SQLITE_OK)
		return store_fail_db(st, "prepare query");
	s = *sp;
	if (sqlite3_bind_parameter_index(s, ":run_id") > 0)
		bad |= bind_int(s, ":run_id", a->run_id);
	if (sqlite3_bind_parameter_index(s, ":case_id") > 0)
		bad |= bind_int(s, ":case_id", a->case_id);
	if (sqlite3_bind_parameter_index(s, ":run_id2") > 0)
		bad |= bind_int(s, ":run_id2", a->run_id2);
	if (sqlite3_bind_parameter_index(s, ":limit") > 0)
		bad |= bind_int(s, ":limit", a->limit > 0 ? a->limit : -1);
	if (sqlite3_bind_parameter_index(s, ":rep") > 0)
		bad |= bind_int(s, ":rep", a->rep);
	if (a->scenario != NULL && sqlite3_bind_parameter_index(s, ":scenario") > 0)
		bad |= bind_str(s, ":scenario", a->scenario);
	if (a->family != NULL && sqlite3_bind_parameter_index(s, ":family") > 0)
		bad |= bind_str(s, ":family", a->family);
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
	if (prepare_read(st, query_sql[q], args, &s) == -1)
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
	if (prepare_read(st, lookup_sql[l], args, &s) == -1)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		store_fail_db(st, "lookup");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The daemon's bookkeeping: stale runs, the last complete run, skipped
 * runs. Each is used at most once per scheduled run, so its statement is
 * prepared on the spot.
 */

/* Runs one write statement with the given integer parameters (name,
 * value pairs, NULL-terminated) inside its own transaction; *changes gets
 * the rows it changed. */
static int
store_write_once(struct store *st, const char *sql, const char *what,
    int *changes, ...)
{
	sqlite3_stmt *s = NULL;
	const char *name;
	va_list ap;
	int bad = 0;

	if (store_begin(st) == -1)
		return -1;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_fail_db(st, what);
		goto fail;
	}
	va_start(ap, changes);
	while ((name = va_arg(ap, const char *)) != NULL)
		bad |= bind_int(s, name, va_arg(ap, int64_t));
	va_end(ap);
	if (bad) {
		store_fail(st, "%s: cannot bind parameters", what);
		goto fail;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_fail_db(st, what);
		goto fail;
	}
	if (changes != NULL)
		*changes = sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return store_commit(st);
fail:
	sqlite3_finalize(s);
	store_rollback(st);
	return -1;
}

/* Marks every run still 'running' as 'aborted'. */
int
store_mark_stale(struct store *st, int *n)
{
	*n = 0;
	return store_write_once(st,
	    "UPDATE runs SET status = 'aborted', ended_us = coalesce("
	    " (SELECT max(c.started_us + c.duration_us) FROM cases AS c"
	    "  WHERE c.run_id = runs.id), started_us)"
	    " WHERE status = 'running'", "mark stale runs", n, (const char *)NULL);
}

/* Records a scheduled run skipped because run_id was still going. */
int
store_skip(struct store *st, int64_t due_us, int64_t run_id)
{
	int n = 0;

	if (store_write_once(st, "INSERT INTO run_skips (due_us, run_id)"
	    " VALUES (:due_us, :run_id)", "record skipped run", &n,
	    ":due_us", due_us, ":run_id", run_id, (const char *)NULL) == -1)
		return -1;
	return n == 1 ? 0 : store_fail(st, "record skipped run: not stored");
}

/* The latest complete run of host: 1 found (*lr set), 0 none, -1 error. */
int
store_last_complete_run(struct store *st, const char *host,
    struct store_last_run *lr)
{
	sqlite3_stmt *s = NULL;
	const char *k;
	int rc;

	if (sqlite3_prepare_v2(st->db,
	    "SELECT id, kernel_release, started_us, ended_us, n_pass, n_fail,"
	    " n_timeout, n_error FROM runs"
	    " WHERE status = 'complete' AND host = :host"
	    " ORDER BY started_us DESC, id DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return store_fail_db(st, "last run");
	if (bind_str(s, ":host", host) == -1) {
		sqlite3_finalize(s);
		return store_fail(st, "last run: cannot bind parameters");
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(lr, 0, sizeof(*lr));
		lr->id = sqlite3_column_int64(s, 0);
		k = (const char *)sqlite3_column_text(s, 1);
		snprintf(lr->kernel_release, sizeof(lr->kernel_release), "%s",
		    k != NULL ? k : "");
		lr->started_us = sqlite3_column_int64(s, 2);
		lr->ended_us = sqlite3_column_int64(s, 3);
		lr->n[VERDICT_PASS] = sqlite3_column_int(s, 4);
		lr->n[VERDICT_FAIL] = sqlite3_column_int(s, 5);
		lr->n[VERDICT_TIMEOUT] = sqlite3_column_int(s, 6);
		lr->n[VERDICT_ERROR] = sqlite3_column_int(s, 7);
	} else if (rc != SQLITE_DONE)
		store_fail_db(st, "last run");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Makes run_id the baseline of its host: 0, 1 when it is not a complete
 * run with signatures, -1 on a database error. */
int
store_baseline_set(struct store *st, int64_t run_id, int64_t now_us)
{
	int n = 0;

	if (store_write_once(st, "INSERT INTO baselines (host, run_id, set_us)"
	    " SELECT host, id, :now FROM runs AS r"
	    " WHERE id = :run_id AND " SIGNED("r")
	    " ON CONFLICT (host) DO UPDATE SET run_id = excluded.run_id,"
	    " set_us = excluded.set_us", "set baseline", &n, ":run_id", run_id,
	    ":now", now_us, (const char *)NULL) == -1)
		return -1;
	return n == 1 ? 0 : 1;
}

/* Removes every baseline; *n gets how many there were. */
int
store_baseline_clear(struct store *st, int *n)
{
	*n = 0;
	return store_write_once(st, "DELETE FROM baselines", "clear baselines",
	    n, (const char *)NULL);
}

/* The baseline of run_id's host: 1 found, 0 none, -1 on error. */
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

	if (prepare_read(st, store_regressions_sql(), &a, &s) == -1)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*changed = sqlite3_column_int(s, 0);
	else
		store_fail_db(st, "count regressions");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Fleet: merging the databases of several hosts into one.
 */

/* The tables a merge copies, each after the table it refers to: one line
 * per table of the schema (store_merge refuses a database with a table
 * that is not listed, rather than leave its rows behind). key: the table's
 * INTEGER PRIMARY KEY, renumbered in the output (NULL: none); fk: its
 * column holding the parent table's key. The root, runs, is matched by
 * MERGE_SAME_RUN: a run the output holds already is not copied again, nor
 * are its rows in the other tables; but a table marked replace takes the
 * rows of every run of the input, and an input's row replaces the
 * output's on a conflict (a host's own database says which of its runs is
 * its baseline); a table of shared rows (replace 2: signatures, which
 * cases name by their hash) is copied whole, each row kept once. */
static const struct merge_table {
	const char *name;
	const char *key;
	const char *fk;
	const char *parent;
	int replace;				/* 1: replace; 2: shared rows, kept once */
} merge_tables[] = {
	{ "signatures",		NULL,	NULL,		NULL,		2 },
	{ "runs",		"id",	NULL,		NULL,		0 },
	{ "run_sysctls",	NULL,	"run_id",	"runs",		0 },
	{ "run_skips",		"id",	"run_id",	"runs",		0 },
	{ "baselines",		NULL,	"run_id",	"runs",		1 },
	{ "cases",		"id",	"run_id",	"runs",		0 },
	{ "steps",		NULL,	"case_id",	"cases",	0 },
	{ "segments",		NULL,	"case_id",	"cases",	0 },
	{ "transitions",	NULL,	"case_id",	"cases",	0 },
};

#define MERGE_NTABLES	(sizeof(merge_tables) / sizeof(merge_tables[0]))

/* Run m of the output is run x of an input: the same host, start and
 * kernel release. */
#define MERGE_SAME_RUN(m, x)						\
	m ".host = " x ".host AND " m ".started_us = " x ".started_us"	\
	" AND " m ".kernel_release = " x ".kernel_release"

/* Runs the SQL built in q (and frees q); what names it in the error. */
static int
merge_exec_str(struct store *st, sqlite3_str *q, const char *what)
{
	char *sql = sqlite3_str_finish(q);
	int rc;

	if (sql == NULL)
		return store_fail(st, "%s: out of memory", what);
	rc = store_exec(st, sql, what);
	sqlite3_free(sql);
	return rc;
}

/* Whether name is a table of merge_tables. */
static int
merge_listed(const char *name)
{
	size_t i;

	for (i = 0; i < MERGE_NTABLES; i++)
		if (strcmp(merge_tables[i].name, name) == 0)
			return 1;
	return 0;
}

/* Checks that every table of the output's schema has its line in
 * merge_tables, and that every line names a table of the schema. */
static int
merge_check_tables(struct store *st)
{
	sqlite3_stmt *s = NULL;
	const char *name;
	int64_t n = 0;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT name FROM main.sqlite_schema"
	    " WHERE type = 'table' AND name NOT LIKE 'sqlite%'", -1, &s,
	    NULL) != SQLITE_OK)
		return store_fail_db(st, "merge: list tables");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(s, 0);
		if (name != NULL && !merge_listed(name)) {
			store_fail(st, "merge: table %s has no line in store.c's "
			    "merge_tables, so its rows would be lost", name);
			sqlite3_finalize(s);
			return -1;
		}
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail_db(st, "merge: list tables");
	if (n != (int64_t)MERGE_NTABLES)
		return store_fail(st, "merge: merge_tables lists a table the "
		    "schema does not have");
	return 0;
}

/* Appends table t's columns to cols, and to vals what the output gets in
 * each: the new key (k.new_id), the parent's new key (p.new_id), or the
 * input's value (x.column). */
static int
merge_columns(struct store *st, const struct merge_table *t,
    sqlite3_str *cols, sqlite3_str *vals)
{
	sqlite3_stmt *s = NULL;
	char *sql;
	const char *c;
	int rc, n = 0;

	sql = sqlite3_mprintf("PRAGMA main.table_info(\"%w\")", t->name);
	rc = sql != NULL ? sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) :
	    SQLITE_NOMEM;
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return store_fail_db(st, "merge: columns");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((c = (const char *)sqlite3_column_text(s, 1)) == NULL)
			break;
		sqlite3_str_appendf(cols, "%s\"%w\"", n ? ", " : "", c);
		if (t->key != NULL && strcmp(c, t->key) == 0)
			sqlite3_str_appendf(vals, "%sk.new_id", n ? ", " : "");
		else if (t->fk != NULL && strcmp(c, t->fk) == 0)
			sqlite3_str_appendf(vals, "%sp.new_id", n ? ", " : "");
		else
			sqlite3_str_appendf(vals, "%sx.\"%w\"", n ? ", " : "", c);
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE || n == 0)
		return store_fail(st, "merge: columns of %s: %s", t->name,
		    rc == SQLITE_DONE ? "none" : sqlite3_errmsg(st->db));
	return 0;
}

/* Maps the keys of keyed table t in input schema src to the output's
 * (temp.merge_map): a run the output holds to its id there (added 0);
 * the other runs, and the rows of runs added, to new keys after the
 * output's highest (added 1). */
static int
merge_map(struct store *st, const struct merge_table *t, const char *src)
{
	sqlite3_str *q = sqlite3_str_new(st->db);

	if (t->parent == NULL) {
		sqlite3_str_appendf(q, "INSERT OR IGNORE INTO temp.merge_map"
		    " SELECT %Q, x.\"%w\", m.\"%w\", 0 FROM \"%w\".\"%w\" AS x"
		    " JOIN main.\"%w\" AS m ON " MERGE_SAME_RUN("m", "x") ";",
		    t->name, t->key, t->key, src, t->name, t->name);
	}
	sqlite3_str_appendf(q, "INSERT INTO temp.merge_map SELECT %Q,"
	    " x.\"%w\", (SELECT coalesce(max(\"%w\"), 0) FROM main.\"%w\")"
	    " + row_number() OVER (ORDER BY x.\"%w\"), 1 FROM \"%w\".\"%w\" AS x",
	    t->name, t->key, t->key, t->name, t->key, src, t->name);
	if (t->parent == NULL)
		sqlite3_str_appendf(q, " WHERE NOT EXISTS (SELECT 1 FROM"
		    " main.\"%w\" AS m WHERE " MERGE_SAME_RUN("m", "x") ")",
		    t->name);
	else
		sqlite3_str_appendf(q, " JOIN temp.merge_map AS p ON p.tbl = %Q"
		    " AND p.src_id = x.\"%w\" AND p.added", t->parent, t->fk);
	return merge_exec_str(st, q, "merge: number rows");
}

/* Copies the rows of table t from input schema src that belong to added
 * rows (to any mapped run, for a replace table), under their new keys. */
static int
merge_copy(struct store *st, const struct merge_table *t, const char *src)
{
	sqlite3_str *cols = sqlite3_str_new(st->db);
	sqlite3_str *vals = sqlite3_str_new(st->db);
	sqlite3_str *q = sqlite3_str_new(st->db);
	char *c = NULL, *v = NULL;
	int rc = -1;

	if (merge_columns(st, t, cols, vals) == -1)
		goto done;
	c = sqlite3_str_finish(cols);
	v = sqlite3_str_finish(vals);
	cols = vals = NULL;
	if (c == NULL || v == NULL) {
		store_fail(st, "merge: out of memory");
		goto done;
	}
	sqlite3_str_appendf(q, "INSERT %s INTO main.\"%w\" (%s) SELECT %s"
	    " FROM \"%w\".\"%w\" AS x", t->replace == 1 ? "OR REPLACE" :
	    t->replace == 2 ? "OR IGNORE" : "",
	    t->name, c, v, src, t->name);
	if (t->key != NULL)
		sqlite3_str_appendf(q, " JOIN temp.merge_map AS k ON k.tbl = %Q"
		    " AND k.src_id = x.\"%w\" AND k.added", t->name, t->key);
	if (t->parent != NULL)
		sqlite3_str_appendf(q, " JOIN temp.merge_map AS p ON p.tbl = %Q"
		    " AND p.src_id = x.\"%w\"%s", t->parent, t->fk,
		    t->replace ? "" : " AND p.added");
	rc = merge_exec_str(st, q, "merge: copy rows");
	q = NULL;
done:
	sqlite3_free(sqlite3_str_finish(cols));
	sqlite3_free(sqlite3_str_finish(vals));
	sqlite3_free(sqlite3_str_finish(q));
	sqlite3_free(c);
	sqlite3_free(v);
	return rc;
}

/* Merges the input attached as src into the output, inside the open
 * transaction. A run the output holds as 'running' is replaced by the
 * input's (it may have ended or stored more cases since). */
static int
merge_input(struct store *st, const char *src, struct store_merge_input *in)
{
	sqlite3_str *q = sqlite3_str_new(st->db);
	char *sql;
	size_t i;
	int rc;

	sqlite3_str_appendf(q, "SELECT count(*) FROM \"%w\".runs", src);
	if ((sql = sqlite3_str_finish(q)) == NULL)
		return store_fail(st, "merge: out of memory");
	rc = store_read_int(st, sql, &in->runs);
	sqlite3_free(sql);
	if (rc == -1 ||
	    store_exec(st, "DELETE FROM temp.merge_map", "merge") == -1)
		return -1;
	q = sqlite3_str_new(st->db);
	sqlite3_str_appendf(q, "DELETE FROM main.runs WHERE status = 'running'"
	    " AND EXISTS (SELECT 1 FROM \"%w\".runs AS x WHERE "
	    MERGE_SAME_RUN("main.runs", "x") ")", src);
	if (merge_exec_str(st, q, "merge: replace running runs") == -1)
		return -1;
	in->replaced = sqlite3_changes(st->db);
	for (i = 0; i < MERGE_NTABLES; i++) {
		if (merge_tables[i].key != NULL &&
		    merge_map(st, &merge_tables[i], src) == -1)
			return -1;
		if (merge_copy(st, &merge_tables[i], src) == -1)
			return -1;
	}
	return store_read_int(st, "SELECT count(*) FROM temp.merge_map"
	    " WHERE tbl = 'runs' AND added", &in->added);
}

/* Reads the schema version of the database at path, opened read-only,
 * and checks that this build can merge it. */
static int
merge_probe(struct store *st, const char *path, int64_t *version)
{
	struct store in = { .readonly = 1 };
	int64_t appid, nobjects;
	int rc = -1;

	if (sqlite3_open_v2(path, &in.db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		store_fail(st, "%s: cannot open: %s", path, in.db != NULL ?
		    sqlite3_errmsg(in.db) : "out of memory");
		goto done;
	}
	sqlite3_busy_timeout(in.db, STORE_BUSY_MS);
	if (store_identify(&in, &appid, version, &nobjects) == -1)
		store_fail(st, "%s: %s", path, in.err);
	else if (appid != STORE_APPLICATION_ID || *version == 0)
		store_fail(st, "%s: not a teardownd database", path);
	else if (*version > schema_version)
		store_fail(st, "%s: schema version %lld is newer than this build "
		    "knows (%d); upgrade teardownctl", path,
		    (long long)*version, schema_version);
	else
		rc = 0;
done:
	sqlite3_close(in.db);
	return rc;
}

/* Copies the database at path (read-only) to copy with SQLite's backup,
 * then brings the copy to this build's schema. The original is not
 * touched; the copy is the caller's to delete. */
static int
merge_migrated_copy(struct store *st, const char *path, const char *copy,
    int64_t from)
{
	struct store c = { 0 };
	sqlite3 *src = NULL;
	sqlite3_backup *b;
	char what[32];
	int64_t v;
	int rc = -1;

	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_open_v2(copy, &c.db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		store_fail(st, "%s: cannot copy: %s", path, c.db != NULL ?
		    sqlite3_errmsg(c.db) : sqlite3_errmsg(src));
		goto done;
	}
	sqlite3_busy_timeout(src, STORE_BUSY_MS);
	if ((b = sqlite3_backup_init(c.db, "main", src, "main")) == NULL ||
	    sqlite3_backup_step(b, -1) != SQLITE_DONE) {
		store_fail(st, "%s: cannot copy: %s", path, sqlite3_errmsg(c.db));
		sqlite3_backup_finish(b);
		goto done;
	}
	if (sqlite3_backup_finish(b) != SQLITE_OK) {
		store_fail(st, "%s: cannot copy: %s", path, sqlite3_errmsg(c.db));
		goto done;
	}
	/* The steps store_migrate applies, on the private copy, with
	 * foreign keys off as there (a rebuilt table must not cascade). */
	if (store_exec(&c, "PRAGMA foreign_keys = OFF", "foreign_keys") == -1) {
		store_fail(st, "%s: copy: %s", path, c.err);
		goto done;
	}
	for (v = from + 1; v <= schema_version; v++) {
		snprintf(what, sizeof(what), "migration %lld", (long long)v);
		if (store_exec(&c, schema_steps[v], what) == -1) {
			store_fail(st, "%s: copy: %s", path, c.err);
			goto done;
		}
	}
	/* A copy of a WAL database is one too: attached read-only it would
	 * leave -wal and -shm files behind. */
	if (store_exec(&c, "PRAGMA journal_mode = DELETE", "journal_mode") == -1) {
		store_fail(st, "%s: copy: %s", path, c.err);
		goto done;
	}
	rc = 0;
done:
	sqlite3_close(src);
	sqlite3_close(c.db);
	return rc;
}

/* Writes path as a read-only SQLite URI ("file:...?mode=ro"), every byte
 * other than [A-Za-z0-9/._~-] percent-encoded. */
static int
merge_uri(const char *path, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)path;
	size_t n = 0;

	if (len < sizeof("file:?mode=ro"))
		return -1;
	memcpy(buf, "file:", 5);
	n = 5;
	for (; *p != '\0'; p++) {
		if (n + 3 + sizeof("?mode=ro") > len)
			return -1;
		if (strchr("/._~-", *p) != NULL || (*p >= '0' && *p <= '9') ||
		    ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')) {
			buf[n++] = (char)*p;
		} else {
			buf[n++] = '%';
			buf[n++] = hex[*p >> 4];
			buf[n++] = hex[*p & 15];
		}
	}
	memcpy(buf + n, "?mode=ro", sizeof("?mode=ro"));
	return 0;
}

/* A merge's private directory for migrated copies, made when needed. */
struct merge_tmp {
	char dir[PATH_MAX];			/* "" until made */
	size_t ncopies;				/* dir/0.db, dir/1.db, ... */
};

/* Makes tmp's directory under $TMPDIR (or /tmp) unless it exists. */
static int
merge_tmpdir(struct store *st, struct merge_tmp *tmp)
{
	const char *base = getenv("TMPDIR");

	if (tmp->dir[0] != '\0')
		return 0;
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if ((size_t)snprintf(tmp->dir, sizeof(tmp->dir),
	    "%s/teardownctl-merge.XXXXXX", base) >= sizeof(tmp->dir) ||
	    mkdtemp(tmp->dir) == NULL) {
		tmp->dir[0] = '\0';
		return store_fail(st, "merge: temporary directory in %s: %s",
		    base, strerror(errno));
	}
	return 0;
}

/* Deletes tmp's copies (and their journals) and its directory. */
static void
merge_tmp_remove(struct merge_tmp *tmp)
{
	char path[PATH_MAX + 64];
	size_t i;

	if (tmp->dir[0] == '\0')
		return;
	for (i = 0; i < tmp->ncopies; i++) {
		snprintf(path, sizeof(path), "%s/%zu.db", tmp->dir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%zu.db-journal", tmp->dir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%zu.db-wal", tmp->dir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%zu.db-shm", tmp->dir, i);
		unlink(path);
	}
	if (rmdir(tmp->dir) == -1)
		log_warn("merge: cannot remove %s", tmp->dir);
	tmp->dir[0] = '\0';
}

/* Attaches input in as schema name, read-only; an input of an older
 * schema through a migrated copy in tmp's directory. */
static int
merge_attach(struct store *st, struct merge_tmp *tmp,
    struct store_merge_input *in, const char *name)
{
	char copy[PATH_MAX + 64], uri[3 * PATH_MAX + 64], *sql;
	const char *path = in->path;
	int rc;

	in->migrated = 0;
	if (merge_probe(st, in->path, &in->version) == -1)
		return -1;
	if (in->version < schema_version) {
		if (merge_tmpdir(st, tmp) == -1)
			return -1;
		snprintf(copy, sizeof(copy), "%s/%zu.db", tmp->dir,
		    tmp->ncopies++);
		if (merge_migrated_copy(st, in->path, copy, in->version) == -1)
			return -1;
		path = copy;
		in->migrated = 1;
	}
	if (merge_uri(path, uri, sizeof(uri)) == -1)
		return store_fail(st, "%s: the path is too long", in->path);
	if ((sql = sqlite3_mprintf("ATTACH %Q AS \"%w\"", uri, name)) == NULL)
		return store_fail(st, "merge: out of memory");
	rc = store_exec(st, sql, in->path);
	sqlite3_free(sql);
	return rc;
}

/* Detaches the first n inputs of a group (src0 .. src<n-1>). */
static void
merge_detach(struct store *st, size_t n)
{
	char sql[64];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql), "DETACH \"src%zu\"", i);
		sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	}
}

/* Merges n inputs, all attached at once, in one transaction. */
static int
merge_group(struct store *st, struct merge_tmp *tmp,
    struct store_merge_input *in, size_t n)
{
	char name[32];
	size_t i, attached = 0;
	int rc = -1;

	for (; attached < n; attached++) {
		snprintf(name, sizeof(name), "src%zu", attached);
		if (merge_attach(st, tmp, &in[attached], name) == -1)
			goto done;
	}
	if (store_begin(st) == -1)
		goto done;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "src%zu", i);
		if (merge_input(st, name, &in[i]) == -1) {
			store_rollback(st);
			goto done;
		}
	}
	if (store_commit(st) == 0)
		rc = 0;
done:
	merge_detach(st, attached);
	return rc;
}

/* Merges the databases in[0..n-1] into the database at out: see store.h. */
int
store_merge(const char *out, struct store_merge_input *in, size_t n,
    char *err, size_t errlen)
{
	struct merge_tmp tmp = { .dir = "" };
	struct store *st, probe = { .readonly = 1 };
	size_t i, k, group;
	int rc = -1;

	for (i = 0; i < n; i++)			/* before the output is made */
		if (merge_probe(&probe, in[i].path, &in[i].version) == -1) {
			snprintf(err, errlen, "%s", probe.err);
			return -1;
		}
	if ((st = store_open(out, 0, err, errlen)) == NULL)
		return -1;
	group = (size_t)sqlite3_limit(st->db, SQLITE_LIMIT_ATTACHED, -1);
	if (merge_check_tables(st) == -1 ||
	    store_exec(st, "CREATE TEMP TABLE merge_map (tbl TEXT NOT NULL,"
	    " src_id INTEGER NOT NULL, new_id INTEGER NOT NULL,"
	    " added INTEGER NOT NULL, PRIMARY KEY (tbl, src_id))"
	    " WITHOUT ROWID", "merge") == -1)
		goto done;
	if (group == 0) {
		store_fail(st, "merge: SQLite attaches no databases here");
		goto done;
	}
	for (i = 0; i < n; i += k) {
		k = n - i < group ? n - i : group;
		if (merge_group(st, &tmp, in + i, k) == -1)
			goto done;
	}
	rc = 0;
done:
	if (rc == -1)
		snprintf(err, errlen, "%s", st->err);
	merge_tmp_remove(&tmp);
	store_close(st);
	return rc;
}
