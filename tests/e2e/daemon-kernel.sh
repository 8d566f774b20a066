#!/bin/sh
# At start-up the daemon runs the plan at once when the last complete run
# was on another kernel release, or is an interval old; otherwise it waits
# for last start + interval. (The kernel change is simulated on a copy of a
# database: this tests the trigger, not any result.)
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/daemon.inc"
DB="$T/k.db"
ADDR="@teardownd-e2e-kernel-$$"
"$TD" --once --db "$DB" --only three-way-close --family ipv4 > /dev/null 2>&1
check "a complete run to start from" sql_is "$DB" "select status from runs" complete
sqlite3 "$DB" ".backup '$T/old-kernel.db'"
sqlite3 "$T/old-kernel.db" "update runs set kernel_release = '0.0.0-old'"
sqlite3 "$DB" ".backup '$T/overdue.db'"
sqlite3 "$T/overdue.db" "update runs set started_us = started_us - 7200000000,
    ended_us = ended_us - 7200000000"
nruns() { sql_is "$1" "select count(*) from runs where status = 'complete'" "$2"; }

daemon "$T/err1" --db "$T/old-kernel.db" --only three-way-close --family ipv4 --interval 1h
upto 100 nruns "$T/old-kernel.db" 2
check "last run on another kernel release: a run at once" [ $? -eq 0 ]
check "... saying why" grep -q "kernel release changed since run 1 (0.0.0-old, now $(uname -r)): running the plan now" "$T/err1"
eq "... on this kernel" "$T/old-kernel.db" "select kernel_release from runs where id = 2" "$(uname -r)"
stop TERM "$td_pid"
check "... exit 0 (got $rc)" [ "$rc" -eq 0 ]

daemon "$T/err2" --db "$T/overdue.db" --only three-way-close --family ipv4 --interval 1h
upto 100 nruns "$T/overdue.db" 2
check "last run 2 h ago, interval 1h: a run at once" [ $? -eq 0 ]
stop TERM "$td_pid"

sink "$ADDR" "$T/notify"
NOTIFY_SOCKET="$ADDR" daemon "$T/err3" --db "$DB" --only three-way-close --family ipv4 --interval 1h
upto 50 grep -q READY=1 "$T/notify"
sleep 1
check "same kernel, last run just now: no run at start-up" nruns "$DB" 1
next=$(sqlite3 "$DB" "select strftime('%Y-%m-%dT%H:%M:%SZ', started_us / 1000000 + 3600, 'unixepoch') from runs")
check "... the next run is an interval after the last one's start ($next)" \
    grep -q "READY=1	STATUS=last run 1: 1 pass, 0 fail, 0 timeout, 0 error; next run $next$" "$T/notify"
check "... logged too" grep -q "next run at $next" "$T/err3"
stop TERM "$td_pid"
check "... exit 0 (got $rc)" [ "$rc" -eq 0 ]
stop TERM "$sink_pid"

daemon "$T/err4" --db "$T/no/such/dir/x.db" --interval 1h
upto 50 dead "$td_pid"
wait "$td_pid"; rc=$?
check "a database that cannot be opened: the daemon exits 74 at once (got $rc)" [ "$rc" -eq 74 ]
check "... with one line naming it" [ "$(grep -c 'no/such/dir/x.db' "$T/err4")" -eq 1 ]
printf '[teardownd]\ninterval = 10s\n' > "$T/bad.ini"
daemon "$T/err5" -c "$T/bad.ini"
upto 50 dead "$td_pid"
wait "$td_pid"; rc=$?
check "a bad configuration: the daemon exits 78 (got $rc)" [ "$rc" -eq 78 ]
check "... naming file and line" grep -q "bad.ini:2: '10s' is out of range for interval (1m..30d)" "$T/err5"
[ "$nfail" -eq 0 ] || for f in "$T"/err* "$T/notify"; do echo "# $f:"; sed 's/^/#   /' "$f"; done
finish
