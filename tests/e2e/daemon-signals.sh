#!/bin/sh
# The daemon under signals: SIGTERM mid-run abandons the cases (sockets
# closed), stores the run as interrupted and exits 0; a run left running by
# SIGKILL is marked aborted at the next start; a run that falls due while
# the last one is still going is skipped and recorded in run_skips.
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/daemon.inc"
DB="$T/s.db"
ADDR="@teardownd-e2e-sig-$$"
cat > "$T/slow.ini" <<'EOS'
[slow]
summary = Sleeps long enough to be interrupted
steps   = client sleep 20s

[medium]
summary = Outlasts an interval of 1s
steps   = client sleep 2500ms
EOS
running() { sql_is "$DB" "select count(*) from runs where status = 'running'" 1; }

# SIGTERM while a run is going.
sink "$ADDR" "$T/notify"
NOTIFY_SOCKET="$ADDR" daemon "$T/err1" --db "$DB" --scenarios "$T/slow.ini" \
    --only slow --family ipv4 --interval 1h
upto 100 running
check "a run starts at once on an empty database" [ $? -eq 0 ]
sleep 0.3
t0=$(date +%s)
stop TERM "$td_pid"
t1=$(date +%s)
check "SIGTERM mid-run: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "... at once, not after the 20 s sleep ($((t1 - t0)) s)" [ $((t1 - t0)) -le 3 ]
eq "... the run is stored as interrupted" "$DB" "select status from runs" interrupted
eq "... its case abandoned at the step in progress" "$DB" \
    "select distinct c.verdict || ' ' || s.verb || ' ' || s.status || ': ' || s.message
     from cases c join steps s on s.case_id = c.id and s.idx = c.first_fail" \
    "abandoned sleep abandoned: interrupted (SIGTERM)"
eq "... not a failure: v_failure has none" "$DB" "select count(*) from v_failure" 0
last_is_stopping() { [ "$(messages "$T/notify" | tail -n 1)" = STOPPING=1 ]; }
upto 20 last_is_stopping
check "... and STOPPING=1 was sent" [ $? -eq 0 ]
stop TERM "$sink_pid"

# SIGKILL while a run is going, then a restart.
daemon "$T/err2" --db "$DB" --scenarios "$T/slow.ini" --only slow --family ipv4 \
    --interval 1h
upto 100 running
check "with no complete run, a restart runs at once" [ $? -eq 0 ]
kill -KILL "$td_pid"
wait "$td_pid" 2> /dev/null
eq "SIGKILL leaves the run running" "$DB" "select status from runs order by id desc limit 1" running
daemon "$T/err3" --db "$DB" --only three-way-close --family ipv4 --interval 1h
upto 100 sql_is "$DB" "select count(*) from runs where status = 'complete'" 1
check "the next start runs the plan (no complete run yet)" [ $? -eq 0 ]
eq "... and marks the killed run aborted" "$DB" "select group_concat(status, ' ') from (select status from runs order by id)" \
    "interrupted aborted complete"
check "... saying so" grep -q "1 run left running by an earlier teardownd marked aborted" "$T/err3"
eq "... its end is when its last case ended, or its start" "$DB" \
    "select count(*) from runs where status = 'aborted' and ended_us = started_us" 1
stop TERM "$td_pid"
check "... and stops with exit 0 (got $rc)" [ "$rc" -eq 0 ]

# A run longer than the interval: the runs in between are skipped.
DB="$T/k.db"
daemon "$T/err4" --db "$DB" --scenarios "$T/slow.ini" --only medium --family ipv4 \
    --interval 1s
upto 100 sql_ge "$DB" "select count(*) from run_skips" 2
check "runs due while a 2.5 s run goes on are skipped (--interval 1s)" [ $? -eq 0 ]
check "... and logged" grep -q "run due at .* skipped: run [0-9]*, started at .*, is still going" "$T/err4"
upto 100 sql_ge "$DB" "select count(*) from runs where status = 'complete'" 2
check "the schedule goes on after them" [ $? -eq 0 ]
stop TERM "$td_pid"
check "... exit 0 (got $rc)" [ "$rc" -eq 0 ]
eq "runs never overlap" "$DB" \
    "select count(*) from runs a join runs b on a.id < b.id and b.started_us < a.ended_us" 0
eq "every skip names a run that was going when it was due" "$DB" \
    "select count(*) from v_skip k join runs r on r.id = k.run_id
     where k.due_us < r.started_us or k.due_us > r.ended_us" 0
[ "$nfail" -eq 0 ] || for f in "$T"/err*; do echo "# $f:"; sed 's/^/#   /' "$f"; done
finish
