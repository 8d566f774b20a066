#!/bin/sh
# The whole catalogue passes 20 times in a row on both families, and each
# scenario and family behaves the same every time (one signature): no flake.
. "$(dirname "$0")/lib.inc"
DB="$T/t.db"
start=$(date +%s)
"$TD" --once --repeat 20 --db "$DB" > "$T/out" 2> "$T/err"
rc=$?
end=$(date +%s)
tail -n 1 "$T/out"
echo "# 20 repetitions took $((end - start)) s"
check "20 repetitions of the catalogue all pass (exit $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] && : || { grep -v ' pass ' "$T/out"; sqlite3 "$DB" "select scenario, family, rep, message from v_failure" ; }
nsc=$(cat etc/scenarios/*.ini | grep -c '^\[')
eq "20 x scenarios x 2 families cases stored" "$DB" "select count(*) from cases" "$((nsc * 40))"
eq "no case failed" "$DB" "select count(*) from v_failure" 0
sqlite3 "$DB" "select '# flaky: ' || scenario || ' ' || family || ', ' || n_signatures
    || ' signatures' from v_stability where stability = 'flaky'"
eq "every scenario and family has one signature over the 20 repetitions" "$DB" \
    "select count(*) from v_stability where stability = 'flaky'" 0
finish
