#!/bin/sh
# teardownctl reads what teardownd stored: runs, a run, a case step by step,
# a scenario's history, each also as JSON that jq parses; bad arguments get
# one line and a distinct exit code; the database is never written.
. "$(dirname "$0")/lib.inc"
DB="$T/t.db"
"$TD" --once --db "$DB" --only simultaneous-close,abort-linger0 > /dev/null 2>&1
"$TD" --once --db "$DB" --only simultaneous-close --family ipv6 > /dev/null 2>&1
sum=$(cat "$DB" "$DB-wal" 2>/dev/null | cksum)

# Runs teardownctl, keeping exit code in rc and output in $T/out, $T/err.
ctl() { "$CTL" --db "$DB" "$@" > "$T/out" 2> "$T/err"; rc=$?; }

ctl runs
check "runs lists both runs" [ "$rc" -eq 0 ] && [ "$(grep -c complete "$T/out")" -eq 2 ]
ctl --json runs
check "runs --json lists 2 runs for jq" [ "$(jq '.runs | length' "$T/out")" = 2 ]
cp "$T/out" "$T/runs.json"
check_json "runs --json" "$T/runs.json"
ctl show 1
check "show RUN lists the run's cases" grep -q "c[0-9].*simultaneous-close.*ipv4.*pass" "$T/out"
ctl --json show last
check "show last --json names run 2 and its one case" \
    [ "$(jq -r '"\(.run.run_id) \(.cases | length)"' "$T/out")" = "2 1" ]
cp "$T/out" "$T/show-run.json"
check_json "show RUN --json" "$T/show-run.json"
check "show RUN --json: times as ISO 8601 and integer us, one and the same" \
    [ "$(jq -r '.run | (.started_us / 1000000 | floor | todate | sub("Z$"; "")) + " " + (.started_at | sub("\\.[0-9]+Z$"; ""))' \
    "$T/out" | awk '{ print ($1 == $2) }')" = 1 ]
ctl show 1/simultaneous-close/ipv4
check "show CASE prints both ends in CLOSING side by side" \
    grep -q "wait state CLOSING within 1s.*CLOSING *CLOSING" "$T/out"
check "show CASE prints the relay's steps" grep -q "relay *release together" "$T/out"
check "show CASE marks the segments the relay held" grep -q "F\. .* held" "$T/out"
ctl --json show 1/simultaneous-close/ipv4
check "show CASE --json has 14 steps with states" \
    [ "$(jq '[.steps[] | select(.client_state != null)] | length' "$T/out")" = 14 ]
cp "$T/out" "$T/show-case.json"
check_json "show CASE --json" "$T/show-case.json"
check "show CASE --json: the case id an integer, the step times integer us" \
    [ "$(jq -r '[(.case.case_id | type), ([.steps[].t_us | select(. != null) | . == floor] | all)] | join(" ")' \
    "$T/out")" = "number true" ]
id=c$(jq -r '.case.case_id' "$T/out")
ctl show "$id" -v
check "show c<ID> -v adds the tcp_info columns" grep -q "total-retrans" "$T/out"
ctl show 1/abort-linger0/ipv6
check "show CASE prints poll events by name" grep -q "IN|OUT|ERR|HUP|RDHUP" "$T/out"
ctl history simultaneous-close --family ipv6
check "history shows the scenario in both runs" [ "$(grep -c "ipv6 *pass" "$T/out")" -eq 2 ]
ctl --json history simultaneous-close
check "history --json has 3 rows (ipv4 once, ipv6 twice)" [ "$(jq '.history | length' "$T/out")" = 3 ]
cp "$T/out" "$T/history.json"
check_json "history --json" "$T/history.json"
ctl --json flaky 1
cp "$T/out" "$T/flaky.json"
check_json "flaky --json" "$T/flaky.json"
ctl --json matrix
cp "$T/out" "$T/matrix.json"
check_json "matrix --json" "$T/matrix.json"
ctl --json baseline show
cp "$T/out" "$T/baselines.json"
check_json "baseline show --json, none set" "$T/baselines.json"
jq '.runs[0].run_id = "1"' "$T/runs.json" > "$T/bad.json"
check "the schema check fails a run id given as a string" \
    sh -c '! "$1" "$2" "$3" > /dev/null' sh "$(dirname "$0")/check_json.py" \
    "$(dirname "$0")/../../etc/teardownd.schema.json" "$T/bad.json"

ctl show 99
check "an unknown run exits 66" [ "$rc" -eq 66 ] && [ "$(wc -l < "$T/err")" -eq 1 ]
ctl show 1/no-such/ipv4
check "an unknown case exits 66" [ "$rc" -eq 66 ]
ctl frobnicate
check "an unknown command exits 64" [ "$rc" -eq 64 ]
"$CTL" --db "$T/missing.db" runs > /dev/null 2> "$T/err"; rc=$?
check "a missing database exits 66 with one line" [ "$rc" -eq 66 ] && [ "$(wc -l < "$T/err")" -eq 1 ]
check "teardownctl did not create the missing database" [ ! -e "$T/missing.db" ]
echo "garbage" > "$T/bad.db"
"$CTL" --db "$T/bad.db" runs > /dev/null 2> "$T/err"; rc=$?
check "a file that is not a database exits 74" [ "$rc" -eq 74 ]
check "teardownctl left the database as it was" [ "$(cat "$DB" "$DB-wal" 2>/dev/null | cksum)" = "$sum" ]
finish
