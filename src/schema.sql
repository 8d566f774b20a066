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
-- VIEW). PRAGMA foreign_keys is ON and cannot change inside the migration
-- transaction, so a step that rebuilds a table must keep its rows' keys.
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
-- clean-up RST (none for a case that never connected); 'not_observed'
-- means nothing is known of its wire. NULL for cases stored before this
-- migration.
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
