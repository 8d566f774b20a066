#!/bin/sh
# One teardownd writes a database at a time: a second one, --once or the
# daemon, exits 75 with one line while the first goes on storing every
# case; a run left running by a SIGKILLed --once is marked aborted by the
# next --once.
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/daemon.inc"

oneline() { [ "$(wc -l < "$1")" -eq 1 ] && grep -q "$2" "$1"; }

# A run that lasts about 2 s: 4 cases of a scenario that sleeps.
cat > "$T/slow.ini" <<'EOS'
[slow]
summary = Sleeps a while, then closes: a run that lasts
steps   = client sleep 2s
          client close
EOS
SLOW="--scenarios $T/slow.ini --only slow --family ipv4 --repeat 4"
DB="$T/lock.db"

# Starts a slow --once on DB in the background; sets once_pid.
once_bg() {
	# shellcheck disable=SC2086
	"$TD" --once --db "$DB" $SLOW > "$T/out1" 2> "$T/err1" &
	once_pid=$!
	pids="$pids $once_pid"
	upto 50 sql_is "$DB" "select count(*) from runs where status = 'running'" 1
}

check "a slow --once starts its run" once_bg
"$TD" --once --db "$DB" $SLOW > "$T/out2" 2> "$T/err2"; rc=$?
check "a second --once on the database in use exits 75" [ "$rc" -eq 75 ]
check "... with one line naming it and its lock" \
    oneline "$T/err2" "lock.db: in use by another teardownd (lock .*lock.db.lock)"
daemon "$T/err3" --db "$DB" --interval 1h
upto 50 dead "$td_pid"
stop TERM "$td_pid"
check "a daemon on the database in use refuses to start (75)" [ "$rc" -eq 75 ]
check "... with one line naming it" \
    oneline "$T/err3" "lock.db: in use by another teardownd"
upto 100 dead "$once_pid"
stop KILL "$once_pid"			# only if still going after 10 s
check "the first --once completes nonetheless (0)" [ "$rc" -eq 0 ]
eq "... its run complete with all 4 cases" "$DB" \
    "select status || ' ' || (select count(*) from cases where run_id = runs.id) from runs" \
    "complete 4"
check "the lock file is 0640" [ "$(stat -c %a "$DB.lock")" = 640 ]

once_bg
kill -KILL "$once_pid"
wait "$once_pid" 2>/dev/null
"$TD" --once --db "$DB" $SLOW > "$T/out4" 2> "$T/err4"; rc=$?
check "the --once after a SIGKILLed one runs (0)" [ "$rc" -eq 0 ]
eq "... and marks the killed run aborted" "$DB" \
    "select group_concat(status, ' ') from (select status from runs order by id)" \
    "complete aborted complete"
check "... saying so" grep -q "1 run left running by an earlier teardownd marked aborted" "$T/err4"

finish
