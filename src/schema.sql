-- schema.sql: teardownd's SQLite schema, written as numbered migrations.
--
-- tests/embed_sql.awk builds this file into teardownd (build/schema_sql.c).
-- Each line "-- migration N: what it does" starts step N; the steps must be
-- numbered 1, 2, 3, ... in order, and the build fails otherwise. store.c
-- applies every step above the database's PRAGMA user_version, all in one
-- BEGIN IMMEDIATE transaction, then sets user_version to the last step: a
-- database is either fully migrated or left as it was. Text before the first
-- marker (this header) is not executed.
--
-- Steps are append-only. Never edit a step that has been released; add the
-- next one (ALTER TABLE ... ADD COLUMN, CREATE TABLE, DROP VIEW + CREATE
-- VIEW). store.c turns foreign keys off for the migration transaction and
-- checks them (PRAGMA foreign_key_check) before it commits, so a step may
-- rebuild a table (copy, drop, rename: SQLite's way of changing a CHECK)
-- without cascading deletes; it must keep its rows' keys.
--
-- Conventions
--   * Instants are INTEGER microseconds since the Unix epoch (UTC), in
--     columns named *_us (runs.started_us, cases.started_us). Durations and
--     offsets are INTEGER microseconds too (duration_us, t_us, dur_us). The
--     views add the instants as ISO-8601 UTC text with microseconds,
--     "2025-01-31T12:00:00.123456Z", in columns named *_at.
--   * What a case saw is stored as words, never as enum numbers: verdicts,
--     step status, TCP states ("FIN_WAIT1"), errno names ("ECONNRESET"), so
--     rows read the same whichever teardownd version wrote them.
--   * NULL means "not known" or "does not apply": a step that did not run,
--     an end that was not observed, tcp_info of an end whose fd was gone.
--   * Every table is STRICT: a value of the wrong type is an error, not a
--     silent conversion.
--
-- The views (v_*) are the stable interface for users of sqlite3, Datasette
-- or Grafana: their columns may be added to, never renamed or removed. The
-- tables behind them may change between versions; teardownctl reads the
-- views too.

-- migration 1: runs, their sysctls, cases and steps; the v_* views.

-- Marks the file as teardownd's ('TDWN'), so another program's SQLite
-- database is refused instead of being migrated.
PRAGMA application_id = 1413764942;

-- One execution of the plan (scenario x family x repeat) on one host.
CREATE TABLE runs (
	id		INTEGER PRIMARY KEY,
	host		TEXT NOT NULL,		-- gethostname()
	kernel_release	TEXT NOT NULL,		-- uname -r: "6.1.0-18-amd64"
	kernel_version	TEXT NOT NULL,		-- uname -v: "#1 SMP PREEMPT_DYNAMIC ..."
	config_hash	TEXT NOT NULL,		-- hex hash of configuration + catalogue
	version		TEXT NOT NULL,		-- teardownd's version
	families	TEXT NOT NULL,		-- "ipv4 ipv6"
	isolation	TEXT NOT NULL DEFAULT 'host'	-- where the cases ran: 'netns', a private
			CHECK (isolation IN ('host', 'netns')),	-- network namespace, or the host's
	repeat		INTEGER NOT NULL CHECK (repeat >= 0),	-- cases per scenario and family
	started_us	INTEGER NOT NULL,	-- wall clock at start, us since the epoch
	ended_us	INTEGER,		-- wall clock at end; NULL while running
	status		TEXT NOT NULL DEFAULT 'running'
			CHECK (status IN ('running', 'complete', 'interrupted', 'aborted')),
	-- Verdict counts of the cases stored so far; each batch of cases
	-- updates them in the same transaction that stores the cases.
	n_pass		INTEGER NOT NULL DEFAULT 0,
	n_fail		INTEGER NOT NULL DEFAULT 0,
	n_timeout	INTEGER NOT NULL DEFAULT 0,
	n_error		INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Recent runs, the latest run, runs in time order.
CREATE INDEX runs_by_start ON runs (started_us);

-- The sysctls that shape teardown, as read when the run began.
CREATE TABLE run_sysctls (
	run_id		INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	name		TEXT NOT NULL,		-- "net.ipv4.tcp_fin_timeout"
	value		TEXT NOT NULL,		-- as read; '' if unreadable
	PRIMARY KEY (run_id, name)
) STRICT, WITHOUT ROWID;

-- One client/server socket pair taken through one scenario.
-- (A later migration adds the canonical signature of what happened as
-- columns here, and the case's wire segments as a table of their own.)
CREATE TABLE cases (
	id		INTEGER PRIMARY KEY,
	run_id		INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	scenario	TEXT NOT NULL,		-- the catalogue's section name
	family		TEXT NOT NULL,		-- "ipv4", "ipv6"
	rep		INTEGER NOT NULL CHECK (rep >= 0),	-- repetition, from 0
	verdict		TEXT NOT NULL
			CHECK (verdict IN ('pass', 'fail', 'timeout', 'error')),
	first_fail	INTEGER CHECK (first_fail >= 0),	-- steps.idx; NULL if none failed
	message		TEXT,			-- failure or error text; NULL if none
	client_addr	TEXT,			-- "127.0.0.1:40000", "[::1]:40000"; NULL if never bound
	server_addr	TEXT,
	started_us	INTEGER NOT NULL,	-- wall clock at start, us since the epoch
	duration_us	INTEGER NOT NULL,
	UNIQUE (run_id, scenario, family, rep)	-- also: a run's cases, in order
) STRICT;

-- History of one scenario across runs.
CREATE INDEX cases_by_scenario ON cases (scenario, family, run_id);
-- A run's failing cases (v_failure).
CREATE INDEX cases_failing ON cases (run_id) WHERE verdict <> 'pass';

-- One step of a case's script and what both ends looked like after it.
-- Columns c_* describe the client end, s_* the server end. c_state and
-- c_source are NULL when the end was not observed; the tcp_info columns
-- (c_ca_state .. c_rcv_wnd) are NULL when TCP_INFO was not read (the fd was
-- closed and the end was found, or not, through sock_diag).
CREATE TABLE steps (
	case_id		INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	idx		INTEGER NOT NULL CHECK (idx >= 0),	-- position in the script, from 0
	line		INTEGER,		-- line in the scenario file
	side		TEXT NOT NULL CHECK (side IN ('client', 'server')),
	verb		TEXT NOT NULL,		-- "send", "wait state", "expect errno", ...
	args		TEXT NOT NULL DEFAULT '',	-- as written, normalised: "TIME_WAIT within 1s"
	status		TEXT NOT NULL
			CHECK (status IN ('ok', 'failed', 'timeout', 'not_run')),
	-- What the step returned; all NULL when status is 'not_run'.
	rc		INTEGER,		-- return value (-1 with errno); poll: revents; NULL for expect
	errno		TEXT,			-- "ECONNRESET"; NULL when the step set none
	events		TEXT,			-- poll, wait readable|hup: revents as "IN|OUT|RDHUP"
	eof		INTEGER CHECK (eof IN (0, 1)),	-- recv ended at EOF
	t_us		INTEGER,		-- start, from the case's start (monotonic)
	dur_us		INTEGER,		-- how long it took
	message		TEXT,			-- why it failed; NULL if it did not
	-- The client end after the step.
	c_state		TEXT,			-- "ESTABLISHED", "FIN_WAIT1", "TIME_WAIT", "CLOSED"
	c_source	TEXT,			-- tcp_info, sock_diag, sock_diag_tw, gone
	c_timer		INTEGER,		-- idiag_timer (sock_diag only): 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 probe
	c_timer_ms	INTEGER,		-- its expiry, ms from now (sock_diag only)
	c_ca_state	INTEGER,		-- tcpi_ca_state
	c_retransmits	INTEGER,		-- tcpi_retransmits: of the head segment
	c_probes	INTEGER,		-- tcpi_probes: zero-window probes
	c_backoff	INTEGER,		-- tcpi_backoff: RTO exponent
	c_rto		INTEGER,		-- tcpi_rto, us
	c_unacked	INTEGER,		-- tcpi_unacked, segments
	c_lost		INTEGER,		-- tcpi_lost
	c_retrans	INTEGER,		-- tcpi_retrans: now in flight
	c_total_retrans	INTEGER,		-- tcpi_total_retrans: over the life
	c_segs_in	INTEGER,		-- tcpi_segs_in
	c_segs_out	INTEGER,		-- tcpi_segs_out
	c_last_data_sent INTEGER,		-- tcpi_last_data_sent, ms ago
	c_last_data_recv INTEGER,		-- tcpi_last_data_recv, ms ago
	c_notsent_bytes	INTEGER,		-- tcpi_notsent_bytes
	c_snd_wnd	INTEGER,		-- tcpi_snd_wnd (0 on kernels without it)
	c_rcv_wnd	INTEGER,		-- tcpi_rcv_wnd (0 on kernels without it)
	-- The server end after the step: as above.
	s_state		TEXT,
	s_source	TEXT,
	s_timer		INTEGER,
	s_timer_ms	INTEGER,
	s_ca_state	INTEGER,
	s_retransmits	INTEGER,
	s_probes	INTEGER,
	s_backoff	INTEGER,
	s_rto		INTEGER,
	s_unacked	INTEGER,
	s_lost		INTEGER,
	s_retrans	INTEGER,
	s_total_retrans	INTEGER,
	s_segs_in	INTEGER,
	s_segs_out	INTEGER,
	s_last_data_sent INTEGER,
	s_last_data_recv INTEGER,
	s_notsent_bytes	INTEGER,
	s_snd_wnd	INTEGER,
	s_rcv_wnd	INTEGER,
	PRIMARY KEY (case_id, idx)
) STRICT;

-- v_run: one row per run, with its counts, duration and times as text.
CREATE VIEW v_run AS
SELECT
	r.id AS run_id,
	r.status,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS started_at,
	strftime('%Y-%m-%dT%H:%M:%S', r.ended_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.ended_us % 1000000) AS ended_at,	-- NULL while running
	r.started_us,
	r.ended_us,
	r.ended_us - r.started_us AS duration_us,	-- NULL while running
	r.host,
	r.kernel_release,
	r.kernel_version,
	r.config_hash,
	r.version,
	r.families,
	r.isolation,
	r.repeat,
	r.n_pass + r.n_fail + r.n_timeout + r.n_error AS n_cases,
	r.n_pass,
	r.n_fail,
	r.n_timeout,
	r.n_error
FROM runs AS r;

-- v_case: every case with its run's host, kernel and start.
CREATE VIEW v_case AS
SELECT
	c.id AS case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	c.verdict,
	c.first_fail,
	c.message,
	c.client_addr,
	c.server_addr,
	strftime('%Y-%m-%dT%H:%M:%S', c.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', c.started_us % 1000000) AS started_at,
	c.started_us,
	c.duration_us,
	r.host,
	r.kernel_release,
	r.kernel_version,
	r.status AS run_status,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS run_started_at,
	r.started_us AS run_started_us
FROM cases AS c
JOIN runs AS r ON r.id = c.run_id;

-- v_step: every step with its case and run, both ends' states side by side
-- (client_state, server_state), then each end's full observation.
CREATE VIEW v_step AS
SELECT
	s.case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	r.kernel_release,
	s.idx,
	s.line,
	s.side,
	s.verb,
	s.args,
	s.status,
	s.rc,
	s.errno,
	s.events,
	s.eof,
	s.t_us,
	s.dur_us,
	s.message,
	s.c_state AS client_state,
	s.s_state AS server_state,
	s.c_source, s.c_timer, s.c_timer_ms, s.c_ca_state, s.c_retransmits,
	s.c_probes, s.c_backoff, s.c_rto, s.c_unacked, s.c_lost, s.c_retrans,
	s.c_total_retrans, s.c_segs_in, s.c_segs_out, s.c_last_data_sent,
	s.c_last_data_recv, s.c_notsent_bytes, s.c_snd_wnd, s.c_rcv_wnd,
	s.s_source, s.s_timer, s.s_timer_ms, s.s_ca_state, s.s_retransmits,
	s.s_probes, s.s_backoff, s.s_rto, s.s_unacked, s.s_lost, s.s_retrans,
	s.s_total_retrans, s.s_segs_in, s.s_segs_out, s.s_last_data_sent,
	s.s_last_data_recv, s.s_notsent_bytes, s.s_snd_wnd, s.s_rcv_wnd
FROM steps AS s
JOIN cases AS c ON c.id = s.case_id
JOIN runs AS r ON r.id = c.run_id;

-- v_latest: the cases of the latest run (by start; it may still be
-- running, see run_status). Its columns are v_case's.
CREATE VIEW v_latest AS
SELECT *
FROM v_case
WHERE run_id = (SELECT id FROM runs ORDER BY started_us DESC, id DESC LIMIT 1);

-- v_history: per scenario and family, one row per run: the verdict of its
-- repetitions ('mixed' when they differ; the n_* columns count them) with
-- the run's kernel release.
CREATE VIEW v_history AS
SELECT
	c.scenario,
	c.family,
	r.id AS run_id,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS run_started_at,
	r.started_us AS run_started_us,
	r.kernel_release,
	r.host,
	CASE WHEN min(c.verdict) = max(c.verdict) THEN min(c.verdict)
	    ELSE 'mixed' END AS verdict,
	count(*) AS n_reps,
	sum(c.verdict = 'pass') AS n_pass,
	sum(c.verdict = 'fail') AS n_fail,
	sum(c.verdict = 'timeout') AS n_timeout,
	sum(c.verdict = 'error') AS n_error
FROM cases AS c
JOIN runs AS r ON r.id = c.run_id
GROUP BY c.scenario, c.family, r.id;

-- v_failure: every case that did not pass, with its first failing step
-- (fail_* columns; NULL when the case failed before any step, e.g. an
-- error setting up the socket pair).
CREATE VIEW v_failure AS
SELECT
	c.id AS case_id,
	c.run_id,
	r.host,
	r.kernel_release,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS run_started_at,
	c.scenario,
	c.family,
	c.rep,
	c.verdict,
	c.message,
	c.first_fail AS fail_idx,
	s.line AS fail_line,
	s.side AS fail_side,
	s.verb AS fail_verb,
	s.args AS fail_args,
	s.status AS fail_status,
	s.rc AS fail_rc,
	s.errno AS fail_errno,
	s.message AS fail_message,
	s.c_state AS fail_client_state,
	s.s_state AS fail_server_state
FROM cases AS c
JOIN runs AS r ON r.id = c.run_id
LEFT JOIN steps AS s ON s.case_id = c.id AND s.idx = c.first_fail
WHERE c.verdict <> 'pass';

-- migration 2: the wire: each case's captured segments, whether the wire was observed; v_segment.

-- Whether the run's cases were captured on lo: 'observed' (all of them),
-- 'not_observed' (none: no CAP_NET_RAW, the capture failed to open, or
-- teardownd --no-capture), 'partial' (the capture failed during the run).
-- NULL until a case is stored, and for runs stored before this migration.
ALTER TABLE runs ADD COLUMN wire TEXT
	CHECK (wire IN ('observed', 'not_observed', 'partial'));

-- Whether this case's segments were captured: 'observed' means segments
-- holds every segment of the case, from its SYN to the last one before the
-- clean-up RST; 'not_observed' means nothing is known of its wire (no
-- capture, a frame dropped, or no connection was ever attempted). NULL for
-- cases stored before this migration.
ALTER TABLE cases ADD COLUMN wire TEXT
	CHECK (wire IN ('observed', 'not_observed'));

-- One TCP segment of a case, as libpcap saw it on the loopback device.
-- Sequence and acknowledgement numbers are relative to each end's initial
-- sequence number (its SYN has seq 0), as tcpdump -S does not and
-- Wireshark does by default.
CREATE TABLE segments (
	case_id		INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	idx		INTEGER NOT NULL CHECK (idx >= 0),	-- capture order, from 0
	t_us		INTEGER NOT NULL,	-- capture time minus the case's started_us
	dir		TEXT NOT NULL CHECK (dir IN ('C>S', 'S>C')),	-- client to server, or back
	flags		TEXT NOT NULL,		-- tcpdump's letters: 'S', 'S.', '.', 'P.', 'F.', 'R.'
	flag_bits	INTEGER NOT NULL CHECK (flag_bits BETWEEN 0 AND 255),	-- the flags byte
	seq		INTEGER NOT NULL CHECK (seq >= 0),	-- relative to the sender's ISN
	ack		INTEGER CHECK (ack >= 0),	-- relative to the receiver's ISN; NULL without ACK
	len		INTEGER NOT NULL CHECK (len >= 0),	-- payload bytes
	win		INTEGER NOT NULL CHECK (win BETWEEN 0 AND 65535),	-- window field, unscaled
	PRIMARY KEY (case_id, idx)
) STRICT, WITHOUT ROWID;

-- v_segment: every segment with its case and run, and its wire-pattern
-- token ('C>S F.') as scenarios' wire lines write them.
CREATE VIEW v_segment AS
SELECT
	g.case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	r.kernel_release,
	g.idx,
	g.t_us,
	g.dir,
	g.flags,
	g.flag_bits,
	g.seq,
	g.ack,
	g.len,
	g.win,
	g.dir || ' ' || g.flags AS token
FROM segments AS g
JOIN cases AS c ON c.id = g.case_id
JOIN runs AS r ON r.id = c.run_id;

-- v_run and v_case gain the wire column (at the end, as views may grow).
DROP VIEW v_run;
CREATE VIEW v_run AS
SELECT
	r.id AS run_id,
	r.status,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS started_at,
	strftime('%Y-%m-%dT%H:%M:%S', r.ended_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.ended_us % 1000000) AS ended_at,	-- NULL while running
	r.started_us,
	r.ended_us,
	r.ended_us - r.started_us AS duration_us,	-- NULL while running
	r.host,
	r.kernel_release,
	r.kernel_version,
	r.config_hash,
	r.version,
	r.families,
	r.isolation,
	r.repeat,
	r.n_pass + r.n_fail + r.n_timeout + r.n_error AS n_cases,
	r.n_pass,
	r.n_fail,
	r.n_timeout,
	r.n_error,
	r.wire
FROM runs AS r;

DROP VIEW v_case;
CREATE VIEW v_case AS
SELECT
	c.id AS case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	c.verdict,
	c.first_fail,
	c.message,
	c.client_addr,
	c.server_addr,
	strftime('%Y-%m-%dT%H:%M:%S', c.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', c.started_us % 1000000) AS started_at,
	c.started_us,
	c.duration_us,
	r.host,
	r.kernel_release,
	r.kernel_version,
	r.status AS run_status,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS run_started_at,
	r.started_us AS run_started_us,
	c.wire
FROM cases AS c
JOIN runs AS r ON r.id = c.run_id;

-- migration 3: run_skips: scheduled runs the daemon skipped because the run before was still going; v_skip.

-- Runs never overlap. When the daemon's schedule makes a run due while the
-- previous one is still going, that run is skipped (the next is due one
-- interval later) and recorded here.
CREATE TABLE run_skips (
	id		INTEGER PRIMARY KEY,
	due_us		INTEGER NOT NULL,	-- when the skipped run was due, us since the epoch
	run_id		INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE	-- the run still going
) STRICT;

CREATE INDEX run_skips_by_run ON run_skips (run_id);

-- v_skip: every skipped run, with the run that was still going.
CREATE VIEW v_skip AS
SELECT
	k.id AS skip_id,
	strftime('%Y-%m-%dT%H:%M:%S', k.due_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', k.due_us % 1000000) AS due_at,
	k.due_us,
	k.run_id,
	r.host,
	r.status AS run_status
FROM run_skips AS k
JOIN runs AS r ON r.id = k.run_id;

-- migration 4: signatures: each case's canonical signature and its hashes; a baseline run per host; v_signature, v_signature_count, v_stability, v_regression, v_kernel_signature.

-- The canonical text of what the case did (src/signature.h): a line
-- "verdict\tpass", then a line per step (index, side, verb and arguments,
-- status and what the step returned, both ends' states after it, fields
-- separated by tabs), then, when the wire was observed, a line "wire\t"
-- with the teardown segments ("C>S F. ; S>C ."). It holds no timing value,
-- port, address or sequence number: the same behaviour gives the same
-- text. sig_hash is its FNV-1a 64 hash as 16 hex digits; steps_hash the
-- hash of the text without its wire line, so that a run whose wire was
-- observed compares with one whose wire was not (no CAP_NET_RAW) by their
-- steps alone. All three are NULL for cases stored before this migration.
ALTER TABLE cases ADD COLUMN signature TEXT;
ALTER TABLE cases ADD COLUMN sig_hash TEXT
	CHECK (sig_hash IS NULL OR length(sig_hash) = 16);
ALTER TABLE cases ADD COLUMN steps_hash TEXT
	CHECK (steps_hash IS NULL OR length(steps_hash) = 16);

-- The distribution of signatures of a run's scenario and family.
CREATE INDEX cases_by_signature ON cases (run_id, scenario, family, sig_hash);

-- The run that later runs of a host are compared against (teardownctl
-- baseline set RUN; teardownd --once exits 2 when its run's majority
-- signatures differ from it). At most one per host.
CREATE TABLE baselines (
	host		TEXT PRIMARY KEY,	-- the run's host
	run_id		INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	set_us		INTEGER NOT NULL	-- when it was set, us since the epoch
) STRICT;

-- v_signature: every case with its signature, run, host and kernel.
CREATE VIEW v_signature AS
SELECT
	c.id AS case_id,
	c.run_id,
	r.host,
	r.kernel_release,
	r.status AS run_status,
	r.started_us AS run_started_us,
	c.scenario,
	c.family,
	c.rep,
	c.verdict,
	c.sig_hash,
	c.steps_hash,
	c.wire,
	c.signature
FROM cases AS c
JOIN runs AS r ON r.id = c.run_id;

-- v_signature_count: per run, scenario and family, each distinct
-- signature with the number of repetitions that gave it (n_cases), which
-- ones (reps, "0,2,3"), the first of them (first_rep) and a case that
-- shows it (case_id, the lowest id), with its steps_hash and wire (both
-- follow from the signature). Cases without a signature are left out.
CREATE VIEW v_signature_count AS
SELECT
	c.run_id,
	c.scenario,
	c.family,
	c.sig_hash,
	count(*) AS n_cases,
	group_concat(c.rep, ',') AS reps,
	min(c.rep) AS first_rep,
	min(c.id) AS case_id,
	min(c.verdict) AS verdict,		-- the signature's first line: one verdict
	min(c.steps_hash) AS steps_hash,
	min(c.wire) AS wire
FROM (SELECT * FROM cases WHERE sig_hash IS NOT NULL
    ORDER BY run_id, scenario, family, rep) AS c
GROUP BY c.run_id, c.scenario, c.family, c.sig_hash;

-- v_stability: per run, scenario and family, how its repetitions behaved:
-- n_signatures distinct signatures among n_cases cases, 'stable' when
-- there is one, 'flaky' when there are several; sig_hash is the majority
-- signature (on a tie, the one of the lowest repetition), n_majority the
-- cases that gave it, case_id one of them, verdict its verdict, steps_hash
-- and wire as in v_signature_count.
CREATE VIEW v_stability AS
SELECT
	s.run_id,
	r.host,
	r.kernel_release,
	r.status AS run_status,
	r.started_us AS run_started_us,
	s.scenario,
	s.family,
	s.n_total AS n_cases,
	s.n_signatures,
	CASE WHEN s.n_signatures = 1 THEN 'stable' ELSE 'flaky' END AS stability,
	s.sig_hash,
	s.n_cases AS n_majority,
	s.case_id,
	s.verdict,
	s.steps_hash,
	s.wire
FROM (
	SELECT
		v.*,
		sum(v.n_cases) OVER w AS n_total,
		count(*) OVER w AS n_signatures,
		row_number() OVER (PARTITION BY v.run_id, v.scenario, v.family
		    ORDER BY v.n_cases DESC, v.first_rep) AS pos
	FROM v_signature_count AS v
	WINDOW w AS (PARTITION BY v.run_id, v.scenario, v.family)
) AS s
JOIN runs AS r ON r.id = s.run_id
WHERE s.pos = 1;

-- v_regression: every run of a host that has a baseline (other than the
-- baseline run itself) against that baseline: one row per scenario and
-- family, present in both, whose majority signature differs (by its
-- steps alone when the wire was observed on one side only). The
-- baseline_* columns describe the baseline's side.
CREATE VIEW v_regression AS
SELECT
	n.run_id,
	n.host,
	n.kernel_release,
	n.run_status,
	n.scenario,
	n.family,
	b.run_id AS baseline_run_id,
	o.kernel_release AS baseline_kernel_release,
	o.sig_hash AS baseline_sig_hash,
	o.case_id AS baseline_case_id,
	o.verdict AS baseline_verdict,
	n.sig_hash,
	n.case_id,
	n.verdict
FROM baselines AS b
JOIN v_stability AS o ON o.run_id = b.run_id
JOIN v_stability AS n ON n.host = b.host AND n.run_id <> b.run_id
	AND n.scenario = o.scenario AND n.family = o.family
WHERE n.sig_hash <> o.sig_hash
	AND NOT (n.wire IS NOT o.wire AND n.steps_hash = o.steps_hash);

-- v_kernel_signature: per kernel release, scenario and family, each
-- majority signature of its complete runs, with how many runs (n_runs) and
-- hosts (n_hosts) gave it; majority is 1 for the most common one (on a
-- tie, the one seen first); steps_hash to compare a kernel whose runs saw
-- the wire with one whose runs did not. Works on a merged fleet database
-- as on one host's.
CREATE VIEW v_kernel_signature AS
SELECT
	k.kernel_release,
	k.scenario,
	k.family,
	k.sig_hash,
	k.n_runs,
	k.n_hosts,
	k.first_run_id,
	k.last_run_id,
	k.case_id,
	k.steps_hash,
	(row_number() OVER (PARTITION BY k.kernel_release, k.scenario, k.family
	    ORDER BY k.n_runs DESC, k.first_started_us) = 1) AS majority
FROM (
	SELECT
		kernel_release,
		scenario,
		family,
		sig_hash,
		count(*) AS n_runs,
		count(DISTINCT host) AS n_hosts,
		min(run_id) AS first_run_id,
		max(run_id) AS last_run_id,
		max(case_id) AS case_id,
		min(steps_hash) AS steps_hash,
		min(run_started_us) AS first_started_us
	FROM v_stability
	WHERE run_status = 'complete'
	GROUP BY kernel_release, scenario, family, sig_hash
) AS k;

-- migration 5: verdicts abandoned and skipped; ends beyond one pair (listener, client2, ...); segments by pair; runs count abandoned and skipped cases apart.

-- cases and steps are rebuilt for their wider CHECKs (SQLite cannot alter a
-- CHECK): each copied into a new table, dropped, and the new one renamed,
-- keeping every row and key. store.c runs migrations with foreign keys off
-- and checks them (PRAGMA foreign_key_check) before the commit. The views
-- over them are dropped first and made again at the end.
DROP VIEW v_run;
DROP VIEW v_case;
DROP VIEW v_step;
DROP VIEW v_latest;
DROP VIEW v_history;
DROP VIEW v_failure;
DROP VIEW v_segment;
DROP VIEW v_signature;
DROP VIEW v_signature_count;
DROP VIEW v_stability;
DROP VIEW v_regression;
DROP VIEW v_kernel_signature;

-- A case's verdict may now also be 'abandoned' (the run was stopped,
-- SIGTERM or shutdown, while it ran: never a failure) or 'skipped' (this
-- environment cannot run it, e.g. socket filters refused; message says why).
CREATE TABLE cases_new (
	id		INTEGER PRIMARY KEY,
	run_id		INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	scenario	TEXT NOT NULL,		-- the catalogue's section name
	family		TEXT NOT NULL,		-- "ipv4", "ipv6"
	rep		INTEGER NOT NULL CHECK (rep >= 0),	-- repetition, from 0
	verdict		TEXT NOT NULL
			CHECK (verdict IN ('pass', 'fail', 'timeout', 'error',
			    'abandoned', 'skipped')),
	first_fail	INTEGER CHECK (first_fail >= 0),	-- steps.idx; NULL if none failed
	message		TEXT,			-- failure, error or skip text; NULL if none
	client_addr	TEXT,			-- the first client's: "127.0.0.1:40000", "[::1]:40000"; NULL if never bound
	server_addr	TEXT,			-- the listener's
	started_us	INTEGER NOT NULL,	-- wall clock at start, us since the epoch
	duration_us	INTEGER NOT NULL,
	wire		TEXT CHECK (wire IN ('observed', 'not_observed')),	-- see migration 2
	signature	TEXT,			-- see migration 4
	sig_hash	TEXT CHECK (sig_hash IS NULL OR length(sig_hash) = 16),
	steps_hash	TEXT CHECK (steps_hash IS NULL OR length(steps_hash) = 16),
	UNIQUE (run_id, scenario, family, rep)	-- also: a run's cases, in order
) STRICT;
INSERT INTO cases_new (id, run_id, scenario, family, rep, verdict, first_fail,
    message, client_addr, server_addr, started_us, duration_us, wire,
    signature, sig_hash, steps_hash)
SELECT id, run_id, scenario, family, rep, verdict, first_fail, message,
    client_addr, server_addr, started_us, duration_us, wire, signature,
    sig_hash, steps_hash
FROM cases;
DROP TABLE cases;
ALTER TABLE cases_new RENAME TO cases;
CREATE INDEX cases_by_scenario ON cases (scenario, family, run_id);
CREATE INDEX cases_failing ON cases (run_id) WHERE verdict <> 'pass';
CREATE INDEX cases_by_signature ON cases (run_id, scenario, family, sig_hash);

-- A step's side is its end: 'client', 'server' (the first pair),
-- 'client2'..'client8' and 'server2'..'server8' (further pairs), or
-- 'listener'; c_* then describe the client of the step's pair and s_* its
-- server, or, for a listener step, s_* the listener (c_* NULL). Its status
-- may now be 'abandoned' (in progress when the run was stopped) or
-- 'skipped' (it could not be checked here, e.g. expect passed without
-- state transitions).
CREATE TABLE steps_new (
	case_id		INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	idx		INTEGER NOT NULL CHECK (idx >= 0),	-- position in the script, from 0
	line		INTEGER,		-- line in the scenario file
	side		TEXT NOT NULL CHECK (side IN ('client', 'server', 'listener')
			    OR side GLOB 'client[2-8]' OR side GLOB 'server[2-8]'),
	verb		TEXT NOT NULL,		-- "send", "wait state", "expect errno", ...
	args		TEXT NOT NULL DEFAULT '',	-- as written, normalised: "TIME_WAIT within 1s"
	status		TEXT NOT NULL
			CHECK (status IN ('ok', 'failed', 'timeout', 'not_run',
			    'abandoned', 'skipped')),
	-- What the step returned; all NULL when status is 'not_run'.
	rc		INTEGER,		-- return value (-1 with errno); send/recv: bytes; poll: revents; NULL for expect
	errno		TEXT,			-- "ECONNRESET"; NULL when the step set none
	events		TEXT,			-- poll, wait readable|writable|hup: revents as "IN|OUT|RDHUP"
	eof		INTEGER CHECK (eof IN (0, 1)),	-- recv ended at EOF
	t_us		INTEGER,		-- start, from the case's start (monotonic)
	dur_us		INTEGER,		-- how long it took
	message		TEXT,			-- why it failed; NULL if it did not
	-- The client end after the step: as in migration 1.
	c_state		TEXT,
	c_source	TEXT,
	c_timer		INTEGER,
	c_timer_ms	INTEGER,
	c_ca_state	INTEGER,
	c_retransmits	INTEGER,
	c_probes	INTEGER,
	c_backoff	INTEGER,
	c_rto		INTEGER,
	c_unacked	INTEGER,
	c_lost		INTEGER,
	c_retrans	INTEGER,
	c_total_retrans	INTEGER,
	c_segs_in	INTEGER,
	c_segs_out	INTEGER,
	c_last_data_sent INTEGER,
	c_last_data_recv INTEGER,
	c_notsent_bytes	INTEGER,
	c_snd_wnd	INTEGER,
	c_rcv_wnd	INTEGER,
	-- The server end (or the listener) after the step.
	s_state		TEXT,
	s_source	TEXT,
	s_timer		INTEGER,
	s_timer_ms	INTEGER,
	s_ca_state	INTEGER,
	s_retransmits	INTEGER,
	s_probes	INTEGER,
	s_backoff	INTEGER,
	s_rto		INTEGER,
	s_unacked	INTEGER,
	s_lost		INTEGER,
	s_retrans	INTEGER,
	s_total_retrans	INTEGER,
	s_segs_in	INTEGER,
	s_segs_out	INTEGER,
	s_last_data_sent INTEGER,
	s_last_data_recv INTEGER,
	s_notsent_bytes	INTEGER,
	s_snd_wnd	INTEGER,
	s_rcv_wnd	INTEGER,
	PRIMARY KEY (case_id, idx)
) STRICT;
INSERT INTO steps_new (case_id, idx, line, side, verb, args, status, rc,
    errno, events, eof, t_us, dur_us, message, c_state, c_source, c_timer,
    c_timer_ms, c_ca_state, c_retransmits, c_probes, c_backoff, c_rto,
    c_unacked, c_lost, c_retrans, c_total_retrans, c_segs_in, c_segs_out,
    c_last_data_sent, c_last_data_recv, c_notsent_bytes, c_snd_wnd,
    c_rcv_wnd, s_state, s_source, s_timer, s_timer_ms, s_ca_state,
    s_retransmits, s_probes, s_backoff, s_rto, s_unacked, s_lost, s_retrans,
    s_total_retrans, s_segs_in, s_segs_out, s_last_data_sent,
    s_last_data_recv, s_notsent_bytes, s_snd_wnd, s_rcv_wnd)
SELECT case_id, idx, line, side, verb, args, status, rc, errno, events, eof,
    t_us, dur_us, message, c_state, c_source, c_timer, c_timer_ms,
    c_ca_state, c_retransmits, c_probes, c_backoff, c_rto, c_unacked,
    c_lost, c_retrans, c_total_retrans, c_segs_in, c_segs_out,
    c_last_data_sent, c_last_data_recv, c_notsent_bytes, c_snd_wnd,
    c_rcv_wnd, s_state, s_source, s_timer, s_timer_ms, s_ca_state,
    s_retransmits, s_probes, s_backoff, s_rto, s_unacked, s_lost, s_retrans,
    s_total_retrans, s_segs_in, s_segs_out, s_last_data_sent,
    s_last_data_recv, s_notsent_bytes, s_snd_wnd, s_rcv_wnd
FROM steps;
DROP TABLE steps;
ALTER TABLE steps_new RENAME TO steps;

-- Which client/server pair a segment belongs to (1 = client and server).
ALTER TABLE segments ADD COLUMN pair INTEGER NOT NULL DEFAULT 1 CHECK (pair >= 1);

-- Abandoned and skipped cases, counted apart from the others.
ALTER TABLE runs ADD COLUMN n_abandoned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN n_skipped INTEGER NOT NULL DEFAULT 0;

-- v_run gains n_abandoned and n_skipped (n_cases counts them too).
CREATE VIEW v_run AS
SELECT
	r.id AS run_id,
	r.status,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS started_at,
	strftime('%Y-%m-%dT%H:%M:%S', r.ended_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.ended_us % 1000000) AS ended_at,	-- NULL while running
	r.started_us,
	r.ended_us,
	r.ended_us - r.started_us AS duration_us,	-- NULL while running
	r.host,
	r.kernel_release,
	r.kernel_version,
	r.config_hash,
	r.version,
	r.families,
	r.isolation,
	r.repeat,
	r.n_pass + r.n_fail + r.n_timeout + r.n_error + r.n_abandoned
	    + r.n_skipped AS n_cases,
	r.n_pass,
	r.n_fail,
	r.n_timeout,
	r.n_error,
	r.wire,
	r.n_abandoned,
	r.n_skipped
FROM runs AS r;

CREATE VIEW v_case AS
SELECT
	c.id AS case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	c.verdict,
	c.first_fail,
	c.message,
	c.client_addr,
	c.server_addr,
	strftime('%Y-%m-%dT%H:%M:%S', c.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', c.started_us % 1000000) AS started_at,
	c.started_us,
	c.duration_us,
	r.host,
	r.kernel_release,
	r.kernel_version,
	r.status AS run_status,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS run_started_at,
	r.started_us AS run_started_us,
	c.wire
FROM cases AS c
JOIN runs AS r ON r.id = c.run_id;

-- v_step: every step with its case and run, both ends' states side by side
-- (client_state, server_state), then each end's full observation.
CREATE VIEW v_step AS
SELECT
	s.case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	r.kernel_release,
	s.idx,
	s.line,
	s.side,
	s.verb,
	s.args,
	s.status,
	s.rc,
	s.errno,
	s.events,
	s.eof,
	s.t_us,
	s.dur_us,
	s.message,
	s.c_state AS client_state,
	s.s_state AS server_state,
	s.c_source, s.c_timer, s.c_timer_ms, s.c_ca_state, s.c_retransmits,
	s.c_probes, s.c_backoff, s.c_rto, s.c_unacked, s.c_lost, s.c_retrans,
	s.c_total_retrans, s.c_segs_in, s.c_segs_out, s.c_last_data_sent,
	s.c_last_data_recv, s.c_notsent_bytes, s.c_snd_wnd, s.c_rcv_wnd,
	s.s_source, s.s_timer, s.s_timer_ms, s.s_ca_state, s.s_retransmits,
	s.s_probes, s.s_backoff, s.s_rto, s.s_unacked, s.s_lost, s.s_retrans,
	s.s_total_retrans, s.s_segs_in, s.s_segs_out, s.s_last_data_sent,
	s.s_last_data_recv, s.s_notsent_bytes, s.s_snd_wnd, s.s_rcv_wnd
FROM steps AS s
JOIN cases AS c ON c.id = s.case_id
JOIN runs AS r ON r.id = c.run_id;

-- v_latest: the cases of the latest run (by start; it may still be
-- running, see run_status). Its columns are v_case's.
CREATE VIEW v_latest AS
SELECT *
FROM v_case
WHERE run_id = (SELECT id FROM runs ORDER BY started_us DESC, id DESC LIMIT 1);

-- v_history: as before; abandoned cases are counted apart (n_abandoned)
-- and do not make a verdict 'mixed'; skipped ones are counted (n_skipped).
CREATE VIEW v_history AS
SELECT
	c.scenario,
	c.family,
	r.id AS run_id,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS run_started_at,
	r.started_us AS run_started_us,
	r.kernel_release,
	r.host,
	CASE WHEN count(*) = sum(c.verdict = 'abandoned') THEN 'abandoned'
	    WHEN min(nullif(c.verdict, 'abandoned'))
	    = max(nullif(c.verdict, 'abandoned'))
	    THEN min(nullif(c.verdict, 'abandoned'))
	    ELSE 'mixed' END AS verdict,
	count(*) AS n_reps,
	sum(c.verdict = 'pass') AS n_pass,
	sum(c.verdict = 'fail') AS n_fail,
	sum(c.verdict = 'timeout') AS n_timeout,
	sum(c.verdict = 'error') AS n_error,
	sum(c.verdict = 'abandoned') AS n_abandoned,
	sum(c.verdict = 'skipped') AS n_skipped
FROM cases AS c
JOIN runs AS r ON r.id = c.run_id
GROUP BY c.scenario, c.family, r.id;

-- v_failure: every case that failed, timed out or could not be set up
-- (abandoned and skipped cases are not failures), with its first failing
-- step (fail_* columns; NULL when the case failed before any step).
CREATE VIEW v_failure AS
SELECT
	c.id AS case_id,
	c.run_id,
	r.host,
	r.kernel_release,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS run_started_at,
	c.scenario,
	c.family,
	c.rep,
	c.verdict,
	c.message,
	c.first_fail AS fail_idx,
	s.line AS fail_line,
	s.side AS fail_side,
	s.verb AS fail_verb,
	s.args AS fail_args,
	s.status AS fail_status,
	s.rc AS fail_rc,
	s.errno AS fail_errno,
	s.message AS fail_message,
	s.c_state AS fail_client_state,
	s.s_state AS fail_server_state
FROM cases AS c
JOIN runs AS r ON r.id = c.run_id
LEFT JOIN steps AS s ON s.case_id = c.id AND s.idx = c.first_fail
WHERE c.verdict IN ('fail', 'timeout', 'error');

-- v_segment gains pair.
CREATE VIEW v_segment AS
SELECT
	g.case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	r.kernel_release,
	g.idx,
	g.t_us,
	g.dir,
	g.flags,
	g.flag_bits,
	g.seq,
	g.ack,
	g.len,
	g.win,
	g.dir || ' ' || g.flags AS token,
	g.pair
FROM segments AS g
JOIN cases AS c ON c.id = g.case_id
JOIN runs AS r ON r.id = c.run_id;

-- v_signature: every case with its signature, run, host and kernel.
CREATE VIEW v_signature AS
SELECT
	c.id AS case_id,
	c.run_id,
	r.host,
	r.kernel_release,
	r.status AS run_status,
	r.started_us AS run_started_us,
	c.scenario,
	c.family,
	c.rep,
	c.verdict,
	c.sig_hash,
	c.steps_hash,
	c.wire,
	c.signature
FROM cases AS c
JOIN runs AS r ON r.id = c.run_id;

-- v_signature_count: as before; abandoned cases are left out (their
-- signature says where the run was stopped, not what the kernel did).
CREATE VIEW v_signature_count AS
SELECT
	c.run_id,
	c.scenario,
	c.family,
	c.sig_hash,
	count(*) AS n_cases,
	group_concat(c.rep, ',') AS reps,
	min(c.rep) AS first_rep,
	min(c.id) AS case_id,
	min(c.verdict) AS verdict,		-- the signature's first line: one verdict
	min(c.steps_hash) AS steps_hash,
	min(c.wire) AS wire
FROM (SELECT * FROM cases WHERE sig_hash IS NOT NULL AND verdict <> 'abandoned'
    ORDER BY run_id, scenario, family, rep) AS c
GROUP BY c.run_id, c.scenario, c.family, c.sig_hash;

-- v_stability: per run, scenario and family, how its repetitions behaved:
-- n_signatures distinct signatures among n_cases cases, 'stable' when
-- there is one, 'flaky' when there are several; sig_hash is the majority
-- signature (on a tie, the one of the lowest repetition), n_majority the
-- cases that gave it, case_id one of them, verdict its verdict, steps_hash
-- and wire as in v_signature_count.
CREATE VIEW v_stability AS
SELECT
	s.run_id,
	r.host,
	r.kernel_release,
	r.status AS run_status,
	r.started_us AS run_started_us,
	s.scenario,
	s.family,
	s.n_total AS n_cases,
	s.n_signatures,
	CASE WHEN s.n_signatures = 1 THEN 'stable' ELSE 'flaky' END AS stability,
	s.sig_hash,
	s.n_cases AS n_majority,
	s.case_id,
	s.verdict,
	s.steps_hash,
	s.wire
FROM (
	SELECT
		v.*,
		sum(v.n_cases) OVER w AS n_total,
		count(*) OVER w AS n_signatures,
		row_number() OVER (PARTITION BY v.run_id, v.scenario, v.family
		    ORDER BY v.n_cases DESC, v.first_rep) AS pos
	FROM v_signature_count AS v
	WINDOW w AS (PARTITION BY v.run_id, v.scenario, v.family)
) AS s
JOIN runs AS r ON r.id = s.run_id
WHERE s.pos = 1;

-- v_regression: every run of a host that has a baseline (other than the
-- baseline run itself) against that baseline: one row per scenario and
-- family, present in both, whose majority signature differs (by its
-- steps alone when the wire was observed on one side only). The
-- baseline_* columns describe the baseline's side.
CREATE VIEW v_regression AS
SELECT
	n.run_id,
	n.host,
	n.kernel_release,
	n.run_status,
	n.scenario,
	n.family,
	b.run_id AS baseline_run_id,
	o.kernel_release AS baseline_kernel_release,
	o.sig_hash AS baseline_sig_hash,
	o.case_id AS baseline_case_id,
	o.verdict AS baseline_verdict,
	n.sig_hash,
	n.case_id,
	n.verdict
FROM baselines AS b
JOIN v_stability AS o ON o.run_id = b.run_id
JOIN v_stability AS n ON n.host = b.host AND n.run_id <> b.run_id
	AND n.scenario = o.scenario AND n.family = o.family
WHERE n.sig_hash <> o.sig_hash
	AND NOT (n.wire IS NOT o.wire AND n.steps_hash = o.steps_hash);

-- v_kernel_signature: per kernel release, scenario and family, each
-- majority signature of its complete runs, with how many runs (n_runs) and
-- hosts (n_hosts) gave it; majority is 1 for the most common one (on a
-- tie, the one seen first); steps_hash to compare a kernel whose runs saw
-- the wire with one whose runs did not. Works on a merged fleet database
-- as on one host's.
CREATE VIEW v_kernel_signature AS
SELECT
	k.kernel_release,
	k.scenario,
	k.family,
	k.sig_hash,
	k.n_runs,
	k.n_hosts,
	k.first_run_id,
	k.last_run_id,
	k.case_id,
	k.steps_hash,
	(row_number() OVER (PARTITION BY k.kernel_release, k.scenario, k.family
	    ORDER BY k.n_runs DESC, k.first_started_us) = 1) AS majority
FROM (
	SELECT
		kernel_release,
		scenario,
		family,
		sig_hash,
		count(*) AS n_runs,
		count(DISTINCT host) AS n_hosts,
		min(run_id) AS first_run_id,
		max(run_id) AS last_run_id,
		max(case_id) AS case_id,
		min(steps_hash) AS steps_hash,
		min(run_started_us) AS first_started_us
	FROM v_stability
	WHERE run_status = 'complete'
	GROUP BY kernel_release, scenario, family, sig_hash
) AS k;

-- migration 6: transitions: each end's state changes, from the tracepoint sock:inet_sock_set_state when teardownd may load BPF; whether they were observed; v_transition.

-- Whether the run's state transitions were traced: 'observed' (those of
-- all its cases), 'not_observed' (none: teardownd lacked CAP_BPF and
-- CAP_PERFMON, or the kernel BTF), 'partial' (some cases lost records).
-- NULL until a case is stored, and for runs stored before this migration.
ALTER TABLE runs ADD COLUMN transitions TEXT
	CHECK (transitions IN ('observed', 'not_observed', 'partial'));

-- Whether this case's transitions were traced: 'observed' means the
-- transitions table holds every state change of both its ends, from the
-- client's connect to the last one before the clean-up RST; 'not_observed'
-- means none are known. NULL for cases stored before this migration.
ALTER TABLE cases ADD COLUMN transitions TEXT
	CHECK (transitions IN ('observed', 'not_observed'));

-- One state change of one end of a case, as the kernel traced it: every
-- call of tcp_set_state and inet_sk_state_store on the end's socket. The
-- TIME_WAIT mini-socket has no tracepoint: an end that enters TIME_WAIT
-- is seen leaving its full socket as 'FIN_WAIT2' -> 'CLOSE' (or
-- 'CLOSING' -> 'CLOSE'); the steps' c_state/s_state show the mini-socket.
CREATE TABLE transitions (
	case_id		INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	idx		INTEGER NOT NULL CHECK (idx >= 0),	-- time order, from 0
	t_ns		INTEGER NOT NULL,	-- when, ns from the case's start (monotonic), as steps' t_us
	side		TEXT NOT NULL CHECK (side IN ('client', 'server')
			    OR side GLOB 'client[2-8]' OR side GLOB 'server[2-8]'),	-- the end that changed, as steps.side
	from_state	TEXT NOT NULL,		-- the kernel's names: 'CLOSE_WAIT', 'CLOSE' (TCP_CLOSE)
	to_state	TEXT NOT NULL,		-- 'LAST_ACK'
	PRIMARY KEY (case_id, idx)
) STRICT, WITHOUT ROWID;

-- v_transition: every state change with its case and run; t_us is t_ns
-- in microseconds (rounded down), to compare with v_step's t_us and
-- t_us + dur_us: a change at t_us in [t_us, t_us + dur_us) of a step
-- happened during it.
CREATE VIEW v_transition AS
SELECT
	t.case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	r.kernel_release,
	t.idx,
	t.t_ns,
	t.t_ns / 1000 AS t_us,
	t.side,
	t.from_state,
	t.to_state
FROM transitions AS t
JOIN cases AS c ON c.id = t.case_id
JOIN runs AS r ON r.id = c.run_id;

-- v_run and v_case gain the transitions column (at the end, as views may
-- grow).
DROP VIEW v_run;
CREATE VIEW v_run AS
SELECT
	r.id AS run_id,
	r.status,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS started_at,
	strftime('%Y-%m-%dT%H:%M:%S', r.ended_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.ended_us % 1000000) AS ended_at,	-- NULL while running
	r.started_us,
	r.ended_us,
	r.ended_us - r.started_us AS duration_us,	-- NULL while running
	r.host,
	r.kernel_release,
	r.kernel_version,
	r.config_hash,
	r.version,
	r.families,
	r.isolation,
	r.repeat,
	r.n_pass + r.n_fail + r.n_timeout + r.n_error + r.n_abandoned
	    + r.n_skipped AS n_cases,
	r.n_pass,
	r.n_fail,
	r.n_timeout,
	r.n_error,
	r.wire,
	r.n_abandoned,
	r.n_skipped,
	r.transitions
FROM runs AS r;

DROP VIEW v_case;
CREATE VIEW v_case AS
SELECT
	c.id AS case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	c.verdict,
	c.first_fail,
	c.message,
	c.client_addr,
	c.server_addr,
	strftime('%Y-%m-%dT%H:%M:%S', c.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', c.started_us % 1000000) AS started_at,
	c.started_us,
	c.duration_us,
	r.host,
	r.kernel_release,
	r.kernel_version,
	r.status AS run_status,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS run_started_at,
	r.started_us AS run_started_us,
	c.wire,
	c.transitions
FROM cases AS c
JOIN runs AS r ON r.id = c.run_id;

-- migration 7: honest observation: each end's queue lengths (steps c_rqueue .. s_wqueue, v_step); where each sysctl was read (run_sysctls.scope, v_run_sysctl).

-- From this migration on, a tcp_info column of steps (c_ca_state ..
-- c_rcv_wnd and the s_* ones) is NULL where the running kernel's struct
-- tcp_info does not reach that field (tcpi_rcv_wnd before Linux 6.2, for
-- one): teardownd reads the length the kernel returns. Rows written
-- before this migration hold 0 there instead.

-- Each end's queue lengths after the step; NULL when the end was not
-- found (or not observed). rqueue: bytes received and not read yet;
-- wqueue: bytes not acknowledged or not sent yet. From SIOCINQ and
-- SIOCOUTQ on an open fd, else from sock_diag (idiag_rqueue,
-- idiag_wqueue), which counts a received FIN not read yet as one byte
-- where SIOCINQ does not; both count the end's own unacknowledged FIN as
-- one. A TIME_WAIT socket reports 0 and 0. For a listener: its accept
-- queue and its backlog.
ALTER TABLE steps ADD COLUMN c_rqueue INTEGER;
ALTER TABLE steps ADD COLUMN c_wqueue INTEGER;
ALTER TABLE steps ADD COLUMN s_rqueue INTEGER;
ALTER TABLE steps ADD COLUMN s_wqueue INTEGER;

-- v_step gains them, at the end.
DROP VIEW v_step;
CREATE VIEW v_step AS
SELECT
	s.case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	r.kernel_release,
	s.idx,
	s.line,
	s.side,
	s.verb,
	s.args,
	s.status,
	s.rc,
	s.errno,
	s.events,
	s.eof,
	s.t_us,
	s.dur_us,
	s.message,
	s.c_state AS client_state,
	s.s_state AS server_state,
	s.c_source, s.c_timer, s.c_timer_ms, s.c_ca_state, s.c_retransmits,
	s.c_probes, s.c_backoff, s.c_rto, s.c_unacked, s.c_lost, s.c_retrans,
	s.c_total_retrans, s.c_segs_in, s.c_segs_out, s.c_last_data_sent,
	s.c_last_data_recv, s.c_notsent_bytes, s.c_snd_wnd, s.c_rcv_wnd,
	s.s_source, s.s_timer, s.s_timer_ms, s.s_ca_state, s.s_retransmits,
	s.s_probes, s.s_backoff, s.s_rto, s.s_unacked, s.s_lost, s.s_retrans,
	s.s_total_retrans, s.s_segs_in, s.s_segs_out, s.s_last_data_sent,
	s.s_last_data_recv, s.s_notsent_bytes, s.s_snd_wnd, s.s_rcv_wnd,
	s.c_rqueue, s.c_wqueue, s.s_rqueue, s.s_wqueue
FROM steps AS s
JOIN cases AS c ON c.id = s.case_id
JOIN runs AS r ON r.id = c.run_id;

-- Where each recorded sysctl was read, and so whose value it is:
--   'netns'   a per-namespace sysctl, read in teardownd's private network
--             namespace, where the cases ran;
--   'global'  one value for every namespace (net.core.default_qdisc,
--             net.ipv4.tcp_max_orphans, ...), read in the namespace
--             teardownd was started in, through a file opened there before
--             it made its own (a global net sysctl has no file inside);
--   'host'    the run was not isolated: read in the namespace teardownd
--             runs in, where its cases ran too, global or not;
--   NULL      not known: a run stored before this migration, or a sysctl
--             with no file where teardownd looked (value '').
ALTER TABLE run_sysctls ADD COLUMN scope TEXT
	CHECK (scope IN ('netns', 'global', 'host'));

-- v_run_sysctl: every recorded sysctl with its run's host, kernel release
-- and start, and where it was read (scope, as above).
CREATE VIEW v_run_sysctl AS
SELECT
	y.run_id,
	r.host,
	r.kernel_release,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS run_started_at,
	r.started_us AS run_started_us,
	y.name,
	y.value,
	y.scope
FROM run_sysctls AS y
JOIN runs AS r ON r.id = y.run_id;

-- migration 8: the relay link: each case's link (cases.link); what the relay did with each segment (segments.mark); relay steps (steps.side 'relay').

-- Where a case's ends talked: 'lo' (loopback, one network namespace) or
-- 'relay' (two namespaces, teardownd forwarding every segment between
-- them); NULL for cases stored before this migration (all on lo).
ALTER TABLE cases ADD COLUMN link TEXT CHECK (link IN ('lo', 'relay'));

-- What the relay did with a segment of a relay case: 'passed' (forwarded
-- at once), 'held' (kept, then delivered by a release), 'dropped' (by a
-- rule: never forwarded), 'unreleased' (held or delayed, and still kept
-- when the case ended: never delivered), 'duplicate' (a copy of a passed segment,
-- kept, then delivered by a release), 'delayed' (delivered after a
-- delay) or 'injected' (made by the relay). NULL for segments captured by
-- libpcap on lo. A relay case's t_us is when the relay delivered the
-- segment (or dropped or made it, or the case ended), and its segments
-- are in that order; held_us is how long the relay kept it (NULL for
-- passed, dropped and injected ones).
ALTER TABLE segments ADD COLUMN mark TEXT
	CHECK (mark IN ('passed', 'held', 'dropped', 'unreleased', 'duplicate',
	    'delayed', 'injected'));
ALTER TABLE segments ADD COLUMN held_us INTEGER CHECK (held_us >= 0);

-- A step's side may now be 'relay': its c_* and s_* describe the first
-- pair's client and server after it. steps is rebuilt for the wider CHECK
-- (as in migration 5), its columns in the same order; with
-- legacy_alter_table the views over it are kept as they are.
PRAGMA legacy_alter_table = ON;
CREATE TABLE steps_new (
	case_id		INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	idx		INTEGER NOT NULL CHECK (idx >= 0),	-- position in the script, from 0
	line		INTEGER,		-- line in the scenario file
	side		TEXT NOT NULL CHECK (side IN ('client', 'server', 'listener',
			    'relay') OR side GLOB 'client[2-8]' OR side GLOB 'server[2-8]'),
	verb		TEXT NOT NULL,		-- "send", "wait state", "expect errno", ...
	args		TEXT NOT NULL DEFAULT '',	-- as written, normalised: "TIME_WAIT within 1s"
	status		TEXT NOT NULL
			CHECK (status IN ('ok', 'failed', 'timeout', 'not_run',
			    'abandoned', 'skipped')),
	-- What the step returned; all NULL when status is 'not_run'.
	rc		INTEGER,		-- return value (-1 with errno); send/recv: bytes; poll: revents; NULL for expect
	errno		TEXT,			-- "ECONNRESET"; NULL when the step set none
	events		TEXT,			-- poll, wait readable|writable|hup: revents as "IN|OUT|RDHUP"
	eof		INTEGER CHECK (eof IN (0, 1)),	-- recv ended at EOF
	t_us		INTEGER,		-- start, from the case's start (monotonic)
	dur_us		INTEGER,		-- how long it took
	message		TEXT,			-- why it failed; NULL if it did not
	-- The client end after the step: as in migration 1.
	c_state		TEXT,
	c_source	TEXT,
	c_timer		INTEGER,
	c_timer_ms	INTEGER,
	c_ca_state	INTEGER,
	c_retransmits	INTEGER,
	c_probes	INTEGER,
	c_backoff	INTEGER,
	c_rto		INTEGER,
	c_unacked	INTEGER,
	c_lost		INTEGER,
	c_retrans	INTEGER,
	c_total_retrans	INTEGER,
	c_segs_in	INTEGER,
	c_segs_out	INTEGER,
	c_last_data_sent INTEGER,
	c_last_data_recv INTEGER,
	c_notsent_bytes	INTEGER,
	c_snd_wnd	INTEGER,
	c_rcv_wnd	INTEGER,
	-- The server end (or the listener) after the step.
	s_state		TEXT,
	s_source	TEXT,
	s_timer		INTEGER,
	s_timer_ms	INTEGER,
	s_ca_state	INTEGER,
	s_retransmits	INTEGER,
	s_probes	INTEGER,
	s_backoff	INTEGER,
	s_rto		INTEGER,
	s_unacked	INTEGER,
	s_lost		INTEGER,
	s_retrans	INTEGER,
	s_total_retrans	INTEGER,
	s_segs_in	INTEGER,
	s_segs_out	INTEGER,
	s_last_data_sent INTEGER,
	s_last_data_recv INTEGER,
	s_notsent_bytes	INTEGER,
	s_snd_wnd	INTEGER,
	s_rcv_wnd	INTEGER,
	c_rqueue	INTEGER,		-- migration 7
	c_wqueue	INTEGER,
	s_rqueue	INTEGER,
	s_wqueue	INTEGER,
	PRIMARY KEY (case_id, idx)
) STRICT;
INSERT INTO steps_new SELECT * FROM steps;
DROP TABLE steps;
ALTER TABLE steps_new RENAME TO steps;
PRAGMA legacy_alter_table = OFF;

-- v_case gains link, v_segment gains mark and held_us.
DROP VIEW v_case;
CREATE VIEW v_case AS
SELECT
	c.id AS case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	c.verdict,
	c.first_fail,
	c.message,
	c.client_addr,
	c.server_addr,
	strftime('%Y-%m-%dT%H:%M:%S', c.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', c.started_us % 1000000) AS started_at,
	c.started_us,
	c.duration_us,
	r.host,
	r.kernel_release,
	r.kernel_version,
	r.status AS run_status,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS run_started_at,
	r.started_us AS run_started_us,
	c.wire,
	c.transitions,
	c.link
FROM cases AS c
JOIN runs AS r ON r.id = c.run_id;

DROP VIEW v_segment;
CREATE VIEW v_segment AS
SELECT
	g.case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	r.kernel_release,
	g.idx,
	g.t_us,
	g.dir,
	g.flags,
	g.flag_bits,
	g.seq,
	g.ack,
	g.len,
	g.win,
	g.dir || ' ' || g.flags AS token,
	g.pair,
	g.mark,
	g.held_us
FROM segments AS g
JOIN cases AS c ON c.id = g.case_id
JOIN runs AS r ON r.id = c.run_id;

-- migration 9: the veth link: cases.link may be 'veth'; each segment's headers (segments.headers, v_segment).

-- 'veth': two namespaces joined by a veth pair, the wire seen by libpcap
-- on the client's end. cases is rebuilt for the wider CHECK, its columns
-- in the same order; with legacy_alter_table the views over it and the
-- other tables' keys to it are kept as they are.
PRAGMA legacy_alter_table = ON;
CREATE TABLE cases_new (
	id		INTEGER PRIMARY KEY,
	run_id		INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	scenario	TEXT NOT NULL,		-- the catalogue's section name
	family		TEXT NOT NULL,		-- "ipv4", "ipv6"
	rep		INTEGER NOT NULL CHECK (rep >= 0),	-- repetition, from 0
	verdict		TEXT NOT NULL
			CHECK (verdict IN ('pass', 'fail', 'timeout', 'error',
			    'abandoned', 'skipped')),
	first_fail	INTEGER CHECK (first_fail >= 0),	-- steps.idx; NULL if none failed
	message		TEXT,			-- failure, error or skip text; NULL if none
	client_addr	TEXT,			-- the first client's: "127.0.0.1:40000", "[::1]:40000"; NULL if never bound
	server_addr	TEXT,			-- the listener's
	started_us	INTEGER NOT NULL,	-- wall clock at start, us since the epoch
	duration_us	INTEGER NOT NULL,
	wire		TEXT CHECK (wire IN ('observed', 'not_observed')),	-- see migration 2
	signature	TEXT,			-- see migration 4
	sig_hash	TEXT CHECK (sig_hash IS NULL OR length(sig_hash) = 16),
	steps_hash	TEXT CHECK (steps_hash IS NULL OR length(steps_hash) = 16),
	transitions	TEXT CHECK (transitions IN ('observed', 'not_observed')),	-- migration 6
	link		TEXT CHECK (link IN ('lo', 'relay', 'veth')),	-- migration 8
	UNIQUE (run_id, scenario, family, rep)	-- also: a run's cases, in order
) STRICT;
INSERT INTO cases_new (id, run_id, scenario, family, rep, verdict, first_fail,
    message, client_addr, server_addr, started_us, duration_us, wire,
    signature, sig_hash, steps_hash, transitions, link)
SELECT id, run_id, scenario, family, rep, verdict, first_fail, message,
    client_addr, server_addr, started_us, duration_us, wire, signature,
    sig_hash, steps_hash, transitions, link
FROM cases;
DROP TABLE cases;
ALTER TABLE cases_new RENAME TO cases;
CREATE INDEX cases_by_scenario ON cases (scenario, family, run_id);
CREATE INDEX cases_failing ON cases (run_id) WHERE verdict <> 'pass';
CREATE INDEX cases_by_signature ON cases (run_id, scenario, family, sig_hash);
PRAGMA legacy_alter_table = OFF;

-- A segment's IP and TCP headers with their options, as captured (from
-- the IP version byte to the end of the TCP options; the payload is not
-- kept: teardownd sends zeros); NULL for segments stored before this
-- migration or whose headers could not be kept.
ALTER TABLE segments ADD COLUMN headers BLOB;

DROP VIEW v_segment;
CREATE VIEW v_segment AS
SELECT
	g.case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	r.kernel_release,
	g.idx,
	g.t_us,
	g.dir,
	g.flags,
	g.flag_bits,
	g.seq,
	g.ack,
	g.len,
	g.win,
	g.dir || ' ' || g.flags AS token,
	g.pair,
	g.mark,
	g.held_us,
	g.headers
FROM segments AS g
JOIN cases AS c ON c.id = g.case_id
JOIN runs AS r ON r.id = c.run_id;

-- migration 10: steps without a rowid: one B-tree per step row, not two.

-- steps is rebuilt as a WITHOUT ROWID table keyed by (case_id, idx),
-- its columns as they were (migration 8): a stored step was written to
-- the table and to its primary key's index; now only to the one. With
-- legacy_alter_table the views over it are kept as they are.
PRAGMA legacy_alter_table = ON;
CREATE TABLE steps_new (
	case_id		INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	idx		INTEGER NOT NULL CHECK (idx >= 0),	-- position in the script, from 0
	line		INTEGER,		-- line in the scenario file
	side		TEXT NOT NULL CHECK (side IN ('client', 'server', 'listener',
			    'relay') OR side GLOB 'client[2-8]' OR side GLOB 'server[2-8]'),
	verb		TEXT NOT NULL,		-- "send", "wait state", "expect errno", ...
	args		TEXT NOT NULL DEFAULT '',	-- as written, normalised: "TIME_WAIT within 1s"
	status		TEXT NOT NULL
			CHECK (status IN ('ok', 'failed', 'timeout', 'not_run',
			    'abandoned', 'skipped')),
	-- What the step returned; all NULL when status is 'not_run'.
	rc		INTEGER,		-- return value (-1 with errno); send/recv: bytes; poll: revents; NULL for expect
	errno		TEXT,			-- "ECONNRESET"; NULL when the step set none
	events		TEXT,			-- poll, wait readable|writable|hup: revents as "IN|OUT|RDHUP"
	eof		INTEGER CHECK (eof IN (0, 1)),	-- recv ended at EOF
	t_us		INTEGER,		-- start, from the case's start (monotonic)
	dur_us		INTEGER,		-- how long it took
	message		TEXT,			-- why it failed; NULL if it did not
	-- The client end after the step: as in migration 1.
	c_state		TEXT,
	c_source	TEXT,
	c_timer		INTEGER,
	c_timer_ms	INTEGER,
	c_ca_state	INTEGER,
	c_retransmits	INTEGER,
	c_probes	INTEGER,
	c_backoff	INTEGER,
	c_rto		INTEGER,
	c_unacked	INTEGER,
	c_lost		INTEGER,
	c_retrans	INTEGER,
	c_total_retrans	INTEGER,
	c_segs_in	INTEGER,
	c_segs_out	INTEGER,
	c_last_data_sent INTEGER,
	c_last_data_recv INTEGER,
	c_notsent_bytes	INTEGER,
	c_snd_wnd	INTEGER,
	c_rcv_wnd	INTEGER,
	-- The server end (or the listener) after the step.
	s_state		TEXT,
	s_source	TEXT,
	s_timer		INTEGER,
	s_timer_ms	INTEGER,
	s_ca_state	INTEGER,
	s_retransmits	INTEGER,
	s_probes	INTEGER,
	s_backoff	INTEGER,
	s_rto		INTEGER,
	s_unacked	INTEGER,
	s_lost		INTEGER,
	s_retrans	INTEGER,
	s_total_retrans	INTEGER,
	s_segs_in	INTEGER,
	s_segs_out	INTEGER,
	s_last_data_sent INTEGER,
	s_last_data_recv INTEGER,
	s_notsent_bytes	INTEGER,
	s_snd_wnd	INTEGER,
	s_rcv_wnd	INTEGER,
	c_rqueue	INTEGER,		-- migration 7
	c_wqueue	INTEGER,
	s_rqueue	INTEGER,
	s_wqueue	INTEGER,
	PRIMARY KEY (case_id, idx)
) STRICT, WITHOUT ROWID;
INSERT INTO steps_new SELECT * FROM steps;
DROP TABLE steps;
ALTER TABLE steps_new RENAME TO steps;
PRAGMA legacy_alter_table = OFF;

-- migration 11: runs by kernel (and host), oldest first: the matrix finds each kernel's latest run with a scenario without reading every case.
CREATE INDEX runs_by_kernel ON runs (kernel_release, started_us);
CREATE INDEX runs_by_kernel_host ON runs (kernel_release, host, started_us);

-- migration 12: signatures stored once: each distinct text in signatures, which cases name by sig_hash; v_signature reads it there.

-- A signature's text (src/signature.h), once per distinct text: the
-- cases of a run of thousands of repetitions mostly share one. cases
-- keeps sig_hash and steps_hash; the text leaves it (it was most of a
-- case row's bytes).
CREATE TABLE signatures (
	sig_hash	TEXT PRIMARY KEY CHECK (length(sig_hash) = 16),
	text		TEXT NOT NULL
) STRICT, WITHOUT ROWID;
INSERT OR IGNORE INTO signatures (sig_hash, text)
SELECT sig_hash, signature FROM cases
WHERE sig_hash IS NOT NULL AND signature IS NOT NULL;
DROP VIEW v_signature;
ALTER TABLE cases DROP COLUMN signature;

-- v_signature: every case with its signature, run, host and kernel.
CREATE VIEW v_signature AS
SELECT
	c.id AS case_id,
	c.run_id,
	r.host,
	r.kernel_release,
	r.status AS run_status,
	r.started_us AS run_started_us,
	c.scenario,
	c.family,
	c.rep,
	c.verdict,
	c.sig_hash,
	c.steps_hash,
	c.wire,
	s.text AS signature
FROM cases AS c
JOIN runs AS r ON r.id = c.run_id
LEFT JOIN signatures AS s ON s.sig_hash = c.sig_hash;

-- migration 13: a case's records in one row: case_records holds its steps, segments and transitions as JSON arrays (and its segments' headers as one BLOB); steps, segments and transitions become views of it with the columns they had.

-- What a case recorded, in one row: storing a case is two inserts (its
-- cases row and this), not one per step, segment and transition. Each
-- list is a JSON array in its order (the element at position idx is row
-- idx of the view), each element an array whose trailing nulls may be
-- left out:
--   steps:       [line, side, verb, args, status, rc, errno, events, eof,
--                 t_us, dur_us, message, CLIENT, SERVER], CLIENT and
--                 SERVER the ends after the step: null when not
--                 observed, else [state, source, timer, timer_ms,
--                 ca_state, retransmits, probes, backoff, rto, unacked,
--                 lost, retrans, total_retrans, segs_in, segs_out,
--                 last_data_sent, last_data_recv, notsent_bytes, snd_wnd,
--                 rcv_wnd, rqueue, wqueue]
--   segments:    [t_us, dir, flags, flag_bits, seq, ack, len, win, pair,
--                 mark, held_us, hdr_off, hdr_len]: its IP and TCP headers
--                 are hdr_len bytes of headers from hdr_off (from 0);
--                 NULL: the wire was not observed
--   transitions: [t_ns, side, from_state, to_state]; NULL: not observed
-- Read them through the views steps, segments and transitions (or v_step,
-- v_segment, v_transition), whose columns are the tables' they replace.
CREATE TABLE case_records (
	case_id		INTEGER PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
	steps		TEXT NOT NULL,
	segments	TEXT,
	headers		BLOB,
	transitions	TEXT
) STRICT;
INSERT INTO case_records (case_id, steps)
SELECT case_id, '[' || group_concat(e, ',') || ']'
FROM (SELECT case_id, json_array(line, side, verb, args, status, rc, errno, events, eof, t_us, dur_us, message,
	CASE WHEN c_state IS NULL AND c_source IS NULL THEN NULL
	    ELSE json_array(c_state, c_source, c_timer, c_timer_ms, c_ca_state, c_retransmits, c_probes, c_backoff, c_rto, c_unacked, c_lost, c_retrans, c_total_retrans, c_segs_in, c_segs_out, c_last_data_sent, c_last_data_recv, c_notsent_bytes, c_snd_wnd, c_rcv_wnd, c_rqueue, c_wqueue) END,
	CASE WHEN s_state IS NULL AND s_source IS NULL THEN NULL
	    ELSE json_array(s_state, s_source, s_timer, s_timer_ms, s_ca_state, s_retransmits, s_probes, s_backoff, s_rto, s_unacked, s_lost, s_retrans, s_total_retrans, s_segs_in, s_segs_out, s_last_data_sent, s_last_data_recv, s_notsent_bytes, s_snd_wnd, s_rcv_wnd, s_rqueue, s_wqueue) END) AS e
    FROM steps ORDER BY case_id, idx)
GROUP BY case_id;
UPDATE case_records SET (segments, headers) = (
	SELECT '[' || group_concat(e, ',') || ']',
	    CAST(group_concat(headers, '') AS BLOB)
	FROM (SELECT json_array(t_us, dir, flags, flag_bits, seq, ack, len,
		win, pair, mark, held_us,
		coalesce(sum(length(headers)) OVER (ORDER BY idx
		    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0),
		coalesce(length(headers), 0)) AS e, headers
	    FROM segments AS g WHERE g.case_id = case_records.case_id
	    ORDER BY idx))
WHERE case_id IN (SELECT case_id FROM segments);
UPDATE case_records SET transitions = (
	SELECT '[' || group_concat(e, ',') || ']'
	FROM (SELECT json_array(t_ns, side, from_state, to_state) AS e
	    FROM transitions AS t WHERE t.case_id = case_records.case_id
	    ORDER BY idx))
WHERE case_id IN (SELECT case_id FROM transitions);
DROP VIEW v_failure;
DROP VIEW v_step;
DROP VIEW v_segment;
DROP VIEW v_transition;
DROP TABLE steps;
DROP TABLE segments;
DROP TABLE transitions;

-- steps: one row per step, the columns of the table it was (migration 10).
CREATE VIEW steps AS
SELECT
	l.case_id,
	j.key AS idx,
	j.value ->> '$[0]' AS line,
	j.value ->> '$[1]' AS side,
	j.value ->> '$[2]' AS verb,
	j.value ->> '$[3]' AS args,
	j.value ->> '$[4]' AS status,
	j.value ->> '$[5]' AS rc,
	j.value ->> '$[6]' AS errno,
	j.value ->> '$[7]' AS events,
	j.value ->> '$[8]' AS eof,
	j.value ->> '$[9]' AS t_us,
	j.value ->> '$[10]' AS dur_us,
	j.value ->> '$[11]' AS message,
	j.value ->> '$[12][0]' AS c_state,
	j.value ->> '$[12][1]' AS c_source,
	j.value ->> '$[12][2]' AS c_timer,
	j.value ->> '$[12][3]' AS c_timer_ms,
	j.value ->> '$[12][4]' AS c_ca_state,
	j.value ->> '$[12][5]' AS c_retransmits,
	j.value ->> '$[12][6]' AS c_probes,
	j.value ->> '$[12][7]' AS c_backoff,
	j.value ->> '$[12][8]' AS c_rto,
	j.value ->> '$[12][9]' AS c_unacked,
	j.value ->> '$[12][10]' AS c_lost,
	j.value ->> '$[12][11]' AS c_retrans,
	j.value ->> '$[12][12]' AS c_total_retrans,
	j.value ->> '$[12][13]' AS c_segs_in,
	j.value ->> '$[12][14]' AS c_segs_out,
	j.value ->> '$[12][15]' AS c_last_data_sent,
	j.value ->> '$[12][16]' AS c_last_data_recv,
	j.value ->> '$[12][17]' AS c_notsent_bytes,
	j.value ->> '$[12][18]' AS c_snd_wnd,
	j.value ->> '$[12][19]' AS c_rcv_wnd,
	j.value ->> '$[13][0]' AS s_state,
	j.value ->> '$[13][1]' AS s_source,
	j.value ->> '$[13][2]' AS s_timer,
	j.value ->> '$[13][3]' AS s_timer_ms,
	j.value ->> '$[13][4]' AS s_ca_state,
	j.value ->> '$[13][5]' AS s_retransmits,
	j.value ->> '$[13][6]' AS s_probes,
	j.value ->> '$[13][7]' AS s_backoff,
	j.value ->> '$[13][8]' AS s_rto,
	j.value ->> '$[13][9]' AS s_unacked,
	j.value ->> '$[13][10]' AS s_lost,
	j.value ->> '$[13][11]' AS s_retrans,
	j.value ->> '$[13][12]' AS s_total_retrans,
	j.value ->> '$[13][13]' AS s_segs_in,
	j.value ->> '$[13][14]' AS s_segs_out,
	j.value ->> '$[13][15]' AS s_last_data_sent,
	j.value ->> '$[13][16]' AS s_last_data_recv,
	j.value ->> '$[13][17]' AS s_notsent_bytes,
	j.value ->> '$[13][18]' AS s_snd_wnd,
	j.value ->> '$[13][19]' AS s_rcv_wnd,
	j.value ->> '$[12][20]' AS c_rqueue,
	j.value ->> '$[12][21]' AS c_wqueue,
	j.value ->> '$[13][20]' AS s_rqueue,
	j.value ->> '$[13][21]' AS s_wqueue
FROM case_records AS l, json_each(l.steps) AS j;

-- segments: one row per segment, the columns of the table it was
-- (migration 9); headers is NULL for a segment stored without them.
CREATE VIEW segments AS
SELECT
	l.case_id,
	j.key AS idx,
	j.value ->> '$[0]' AS t_us,
	j.value ->> '$[1]' AS dir,
	j.value ->> '$[2]' AS flags,
	j.value ->> '$[3]' AS flag_bits,
	j.value ->> '$[4]' AS seq,
	j.value ->> '$[5]' AS ack,
	j.value ->> '$[6]' AS len,
	j.value ->> '$[7]' AS win,
	j.value ->> '$[8]' AS pair,
	j.value ->> '$[9]' AS mark,
	j.value ->> '$[10]' AS held_us,
	CASE WHEN j.value ->> '$[12]' > 0 THEN substr(l.headers,
	    (j.value ->> '$[11]') + 1, j.value ->> '$[12]') END AS headers
FROM case_records AS l, json_each(l.segments) AS j;

-- transitions: one row per state change, the columns of the table it was
-- (migration 8).
CREATE VIEW transitions AS
SELECT
	l.case_id,
	j.key AS idx,
	j.value ->> '$[0]' AS t_ns,
	j.value ->> '$[1]' AS side,
	j.value ->> '$[2]' AS from_state,
	j.value ->> '$[3]' AS to_state
FROM case_records AS l, json_each(l.transitions) AS j;

-- v_step as in migration 8, over the steps view.
CREATE VIEW v_step AS
SELECT
	s.case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	r.kernel_release,
	s.idx,
	s.line,
	s.side,
	s.verb,
	s.args,
	s.status,
	s.rc,
	s.errno,
	s.events,
	s.eof,
	s.t_us,
	s.dur_us,
	s.message,
	s.c_state AS client_state,
	s.s_state AS server_state,
	s.c_source, s.c_timer, s.c_timer_ms, s.c_ca_state, s.c_retransmits,
	s.c_probes, s.c_backoff, s.c_rto, s.c_unacked, s.c_lost, s.c_retrans,
	s.c_total_retrans, s.c_segs_in, s.c_segs_out, s.c_last_data_sent,
	s.c_last_data_recv, s.c_notsent_bytes, s.c_snd_wnd, s.c_rcv_wnd,
	s.s_source, s.s_timer, s.s_timer_ms, s.s_ca_state, s.s_retransmits,
	s.s_probes, s.s_backoff, s.s_rto, s.s_unacked, s.s_lost, s.s_retrans,
	s.s_total_retrans, s.s_segs_in, s.s_segs_out, s.s_last_data_sent,
	s.s_last_data_recv, s.s_notsent_bytes, s.s_snd_wnd, s.s_rcv_wnd,
	s.c_rqueue, s.c_wqueue, s.s_rqueue, s.s_wqueue
FROM steps AS s
JOIN cases AS c ON c.id = s.case_id
JOIN runs AS r ON r.id = c.run_id;

-- v_failure as in migration 5; its failing step is read from case_records
-- directly (a LEFT JOIN of the steps view would read every case's).
CREATE VIEW v_failure AS
SELECT
	c.id AS case_id,
	c.run_id,
	r.host,
	r.kernel_release,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS run_started_at,
	c.scenario,
	c.family,
	c.rep,
	c.verdict,
	c.message,
	c.first_fail AS fail_idx,
	j.value ->> '$[0]' AS fail_line,
	j.value ->> '$[1]' AS fail_side,
	j.value ->> '$[2]' AS fail_verb,
	j.value ->> '$[3]' AS fail_args,
	j.value ->> '$[4]' AS fail_status,
	j.value ->> '$[5]' AS fail_rc,
	j.value ->> '$[6]' AS fail_errno,
	j.value ->> '$[11]' AS fail_message,
	j.value ->> '$[12][0]' AS fail_client_state,
	j.value ->> '$[13][0]' AS fail_server_state
FROM cases AS c
JOIN runs AS r ON r.id = c.run_id
LEFT JOIN case_records AS l ON l.case_id = c.id
LEFT JOIN json_each(l.steps) AS j ON j.key = c.first_fail
WHERE c.verdict IN ('fail', 'timeout', 'error');

-- v_segment as in migration 9, over the segments view.
CREATE VIEW v_segment AS
SELECT
	g.case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	r.kernel_release,
	g.idx,
	g.t_us,
	g.dir,
	g.flags,
	g.flag_bits,
	g.seq,
	g.ack,
	g.len,
	g.win,
	g.dir || ' ' || g.flags AS token,
	g.pair,
	g.mark,
	g.held_us,
	g.headers
FROM segments AS g
JOIN cases AS c ON c.id = g.case_id
JOIN runs AS r ON r.id = c.run_id;

-- v_transition as in migration 8, over the transitions view.
CREATE VIEW v_transition AS
SELECT
	t.case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	r.kernel_release,
	t.idx,
	t.t_ns,
	t.t_ns / 1000 AS t_us,
	t.side,
	t.from_state,
	t.to_state
FROM transitions AS t
JOIN cases AS c ON c.id = t.case_id
JOIN runs AS r ON r.id = c.run_id;

-- migration 14: environments: each run's sysctl profile, link and virtualization (runs.profile, runs.link, runs.virt, v_run, v_case); a plan of several profiles or links stores a run per environment; a baseline per host, profile and link.

-- The sysctl profile the run's cases ran under: 'default' (the sysctls
-- copied where teardownd started, and runs stored before this migration),
-- a built-in one ('rfc1337', ...) or a [profile NAME] of the
-- configuration; its sysctls are the run's run_sysctls rows. link: the
-- link of its scenarios without a link key of their own; NULL for runs
-- stored before this migration.
ALTER TABLE runs ADD COLUMN profile TEXT NOT NULL DEFAULT 'default';
ALTER TABLE runs ADD COLUMN link TEXT CHECK (link IN ('lo', 'relay', 'veth'));
-- virt: what the kernel ran on: 'none' (teardownd's own machine, as it
-- sees it), or a guest teardownd booted (--kernel): 'kvm', 'tcg'; NULL
-- for runs stored before this migration.
ALTER TABLE runs ADD COLUMN virt TEXT CHECK (virt IN ('none', 'kvm', 'tcg'));

-- v_run gains profile and link (at the end, as views may grow).
DROP VIEW v_run;
CREATE VIEW v_run AS
SELECT
	r.id AS run_id,
	r.status,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS started_at,
	strftime('%Y-%m-%dT%H:%M:%S', r.ended_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.ended_us % 1000000) AS ended_at,	-- NULL while running
	r.started_us,
	r.ended_us,
	r.ended_us - r.started_us AS duration_us,	-- NULL while running
	r.host,
	r.kernel_release,
	r.kernel_version,
	r.config_hash,
	r.version,
	r.families,
	r.isolation,
	r.repeat,
	r.n_pass + r.n_fail + r.n_timeout + r.n_error + r.n_abandoned
	    + r.n_skipped AS n_cases,
	r.n_pass,
	r.n_fail,
	r.n_timeout,
	r.n_error,
	r.wire,
	r.n_abandoned,
	r.n_skipped,
	r.transitions,
	r.profile,
	r.link,
	r.virt
FROM runs AS r;

-- v_case gains the profile its case ran under (its run's).
DROP VIEW v_case;
CREATE VIEW v_case AS
SELECT
	c.id AS case_id,
	c.run_id,
	c.scenario,
	c.family,
	c.rep,
	c.verdict,
	c.first_fail,
	c.message,
	c.client_addr,
	c.server_addr,
	strftime('%Y-%m-%dT%H:%M:%S', c.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', c.started_us % 1000000) AS started_at,
	c.started_us,
	c.duration_us,
	r.host,
	r.kernel_release,
	r.kernel_version,
	r.status AS run_status,
	strftime('%Y-%m-%dT%H:%M:%S', r.started_us / 1000000, 'unixepoch')
	    || printf('.%06dZ', r.started_us % 1000000) AS run_started_at,
	r.started_us AS run_started_us,
	c.wire,
	c.transitions,
	c.link,
	r.profile
FROM cases AS c
JOIN runs AS r ON r.id = c.run_id;

-- A baseline per host and environment: a run under a profile or on a link
-- is compared with the baseline of the same ones. Those set before this
-- migration keep their run's.
CREATE TABLE baselines_new (
	host		TEXT NOT NULL,		-- the run's host
	profile		TEXT NOT NULL,		-- its profile
	link		TEXT NOT NULL,		-- its link ('lo' for runs before migration 14)
	run_id		INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	set_us		INTEGER NOT NULL,	-- when it was set, us since the epoch
	PRIMARY KEY (host, profile, link)
) STRICT;
INSERT INTO baselines_new (host, profile, link, run_id, set_us)
SELECT b.host, r.profile, coalesce(r.link, 'lo'), b.run_id, b.set_us
FROM baselines AS b JOIN runs AS r ON r.id = b.run_id;
PRAGMA legacy_alter_table = ON;
DROP TABLE baselines;
ALTER TABLE baselines_new RENAME TO baselines;
PRAGMA legacy_alter_table = OFF;

-- v_regression as in migration 4, against the baseline of the run's own
-- host, profile and link.
DROP VIEW v_regression;
CREATE VIEW v_regression AS
SELECT
	n.run_id,
	n.host,
	n.kernel_release,
	n.run_status,
	n.scenario,
	n.family,
	b.run_id AS baseline_run_id,
	o.kernel_release AS baseline_kernel_release,
	o.sig_hash AS baseline_sig_hash,
	o.case_id AS baseline_case_id,
	o.verdict AS baseline_verdict,
	n.sig_hash,
	n.case_id,
	n.verdict
FROM baselines AS b
JOIN v_stability AS o ON o.run_id = b.run_id
JOIN v_stability AS n ON n.host = b.host AND n.run_id <> b.run_id
	AND n.scenario = o.scenario AND n.family = o.family
JOIN runs AS nr ON nr.id = n.run_id AND nr.profile = b.profile
	AND coalesce(nr.link, 'lo') = b.link
WHERE n.sig_hash <> o.sig_hash
	AND NOT (n.wire IS NOT o.wire AND n.steps_hash = o.steps_hash);
