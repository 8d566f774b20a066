#!/bin/sh
# Bad input and bad databases give one clear line and a distinct exit code;
# failing, timed-out and interrupted cases are stored as such.
. "$(dirname "$0")/lib.inc"

# Runs teardownd with args, storing exit code in rc and stderr in $T/err.
td() { "$TD" "$@" > "$T/out" 2> "$T/err"; rc=$?; }
oneline() { [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q -e "$1" "$T/err"; }

td -n
check "-n on the embedded default prints configuration OK" [ "$rc" -eq 0 ]
check "... on stdout" grep -qx "configuration OK" "$T/out"
td -n -c etc/teardownd.ini
check "-n accepts the shipped teardownd.ini" [ "$rc" -eq 0 ]

td --once --db "$T/no/such/dir/t.db"
check "a database in a missing directory exits 74" [ "$rc" -eq 74 ]
check "... with one line naming it" oneline "no/such/dir/t.db"
printf 'not a database, and these bytes must survive\n' > "$T/notdb"
cp "$T/notdb" "$T/notdb.orig"
td --once --db "$T/notdb"
check "a file that is not a database exits 74" [ "$rc" -eq 74 ]
check "... with one line naming it" oneline "notdb"
check "... and the file is left as it was" cmp -s "$T/notdb" "$T/notdb.orig"
td --once --db "$T"
check "a directory as database exits 74" [ "$rc" -eq 74 ]

td --once --only no-such-scenario --db "$T/x.db"
check "--only with an unknown scenario exits 64" [ "$rc" -eq 64 ]
check "... naming it" oneline "no-such-scenario"
td --family ipv5 --once
check "--family ipv5 exits 64" [ "$rc" -eq 64 ]
td --repeat 0 --once
check "--repeat 0 exits 64" [ "$rc" -eq 64 ]
td --bogus
check "an unknown option exits 64" [ "$rc" -eq 64 ]
td --once=2
check "--once=2: says --once takes no value, exit 64" [ "$rc" -eq 64 ] &&
    oneline "--once takes no value"
"$CTL" --json=1 runs > "$T/out" 2> "$T/err"; rc=$?
check "teardownctl --json=1: says --json takes no value, exit 64" \
    [ "$rc" -eq 64 ] && oneline "--json takes no value"
td -c "$T/missing.ini" -n
check "a missing configuration file exits 78" [ "$rc" -eq 78 ]

cat > "$T/user.ini" <<'EOS'
[wrong-expectation]
summary = Expects the wrong state after close, so it must fail at line 5
steps   = client shutdown wr
          server recv eof
          client expect state CLOSE_WAIT
          client close

[deadline]
summary = Sleeps past its own deadline
timeout = 300ms
steps   = server filter drop all
          client close
          client sleep 2s
EOS
DB="$T/user.db"
td --once --db "$DB" --scenarios "$T/user.ini" --only wrong-expectation,deadline
check "a run with failing cases exits 1" [ "$rc" -eq 1 ]
# (The client is in FIN_WAIT1, or in FIN_WAIT2 once the server's ACK of
# its FIN came, at the next timer tick: a race with the expectation.)
eq "the failing case names its step and line" "$DB" \
    "select distinct fail_line || ' ' || fail_verb || ' ' || fail_args || ': ' ||
     replace(fail_message, 'FIN_WAIT2', 'FIN_WAIT1') from v_failure
     where scenario = 'wrong-expectation'" \
    "5 expect state CLOSE_WAIT: state FIN_WAIT1, expected CLOSE_WAIT"
eq "the steps after the failure are not run" "$DB" \
    "select distinct status from v_step where scenario = 'wrong-expectation' and idx = 3" not_run
eq "a case past its deadline is a timeout at its sleep" "$DB" \
    "select distinct verdict || ' ' || fail_verb || ' ' || fail_status from v_failure where scenario = 'deadline'" \
    "timeout sleep timeout"
eq "the run is complete nonetheless" "$DB" "select status from runs" complete

cat > "$T/slow.ini" <<'EOS'
[slow]
summary = Sleeps long enough to be interrupted
steps   = client sleep 20s
EOS
DB="$T/slow.db"
"$TD" --once --db "$DB" --scenarios "$T/slow.ini" --only slow > "$T/out" 2> "$T/err" &
pid=$!
i=0
while [ "$i" -lt 50 ] && [ "$(sqlite3 "$DB" 'select count(*) from runs' 2>/dev/null)" != 1 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.3
kill -TERM "$pid"
wait "$pid"
rc=$?
check "SIGTERM ends a run at once with exit 1 (got $rc)" [ "$rc" -eq 1 ]
eq "the run is stored as interrupted" "$DB" "select status from runs" interrupted
eq "its cases are stored, abandoned at the step in progress" "$DB" \
    "select distinct c.verdict || ' ' || s.verb || ' ' || s.status || ': ' || s.message
     from cases c join steps s on s.case_id = c.id and s.idx = c.first_fail" \
    "abandoned sleep abandoned: interrupted (SIGTERM)"
eq "... not a failure: v_failure has none" "$DB" "select count(*) from v_failure" 0
finish
