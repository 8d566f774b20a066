#!/bin/sh
# teardownctl merge makes one database of two hosts' real runs: one run on
# this host, one inside a UTS namespace named fleet-b. Every run keeps its
# host, every row of every table comes across under new ids, merging again
# adds nothing, the inputs are not written, and matrix shows both hosts.
# A run merged while teardownd was still writing it is replaced by its
# finished self at the next merge. Eleven inputs (more than SQLite
# attaches at once) merge as well.
. "$(dirname "$0")/lib.inc"
if ! unshare --uts true 2> /dev/null; then
	echo "ok - # SKIP no UTS namespace here (needs CAP_SYS_ADMIN): one host only"
	exit 0
fi
A="$T/a.db"; B="$T/b.db"; F="$T/fleet.db"
"$TD" --once --db "$A" --only three-way-close,abort-linger0 > /dev/null 2>&1
unshare --uts sh -c 'hostname fleet-b && exec "$@"' sh \
    "$TD" --once --db "$B" --only three-way-close,simultaneous-close \
    > /dev/null 2>&1
# Reads the inputs read-only: a read-write sqlite3 would checkpoint the
# WAL into the database file when it closes.
HA=$(sqlite3 -readonly "$A" "select host from runs")
sums() { cat "$A" "$A-wal" "$B" "$B-wal" 2> /dev/null | cksum; }
before=$(sums)

# Runs teardownctl, keeping exit code in rc.
ctl() { "$CTL" "$@" > "$T/out" 2> "$T/err"; rc=$?; }
# Sums count(*) of table t over databases: total TABLE DB...
total() {
	t=$1; shift; n=0
	for d in "$@"; do
		n=$((n + $(sqlite3 -readonly "$d" "select count(*) from $t")))
	done
	echo "$n"
}

ctl merge "$A" "$B" -o "$F"
check "merge A B -o fleet: exit 0" [ "$rc" -eq 0 ] || cat "$T/err"
eq "fleet holds both hosts' runs, each with its host" "$F" \
    "select group_concat(host, ' ') from (select host from runs order by host)" \
    "$(printf '%s\n' "$HA" fleet-b | sort | tr '\n' ' ' | sed 's/ $//')"
for t in runs run_sysctls cases steps segments; do
	eq "fleet holds every row of $t" "$F" "select count(*) from $t" \
	    "$(total "$t" "$A" "$B")"
done
eq "fleet-b's cases are the ones fleet-b ran" "$F" \
    "select group_concat(scenario || '/' || family, ' ') from (select
     scenario, family from v_case where host = 'fleet-b' order by 1, 2)" \
    "simultaneous-close/ipv4 simultaneous-close/ipv6 three-way-close/ipv4 three-way-close/ipv6"
eq "steps and signatures came with their cases" "$F" \
    "select count(*) from v_case as f where host = 'fleet-b' and (select
     count(*) from steps where case_id = f.case_id) > 0 and (select
     sig_hash from cases where id = f.case_id) is not null" 4
eq "ids are remapped: no case points at a missing run" "$F" \
    "pragma foreign_key_check" ""
eq "fleet is a teardownd database of the current schema" "$F" \
    "pragma application_id; pragma user_version" \
    "$(sqlite3 -readonly "$A" "pragma application_id; pragma user_version")"
eq "fleet passes SQLite's integrity check" "$F" "pragma integrity_check" ok
check "the inputs were not written" [ "$(sums)" = "$before" ]

ctl merge "$A" "$B" -o "$F"
check "merging again: exit 0, nothing added" [ "$rc" -eq 0 ] && \
    [ "$(grep -c ': 0 added' "$T/out")" -eq 2 ]
for t in runs cases steps segments; do
	eq "merging again duplicates no row of $t" "$F" \
	    "select count(*) from $t" "$(total "$t" "$A" "$B")"
done
ctl merge "$F" -o "$T/copy.db"
eq "a fleet database merges into another, hosts kept" "$T/copy.db" \
    "select count(distinct host) || ' ' || count(*) from runs" "2 2"

ctl --db "$F" runs
check "runs on the fleet lists both hosts" \
    grep -q "fleet-b" "$T/out" && grep -q "$HA" "$T/out"
ctl --db "$F" matrix --by-host
check "matrix --by-host: a row per host and scenario, the kernel a column" \
    [ "$(grep -c "^fleet-b .*pass 2/2" "$T/out")" -eq 2 ] && \
    [ "$(grep -c "^$HA .*pass 2/2" "$T/out")" -eq 2 ] && \
    head -n 1 "$T/out" | grep -q "$(uname -r)"
ctl --db "$F" matrix
check "matrix: one row per scenario of either host" \
    [ "$(grep -c "pass 2/2" "$T/out")" -eq 3 ]
ctl --db "$F" --json matrix --by-host --family ipv6
check "matrix --json: one cell per host and scenario, jq reads it" \
    [ "$(jq '[.matrix[] | select(.n_cases == 1)] | length' "$T/out")" = 4 ] && \
    [ "$(jq -r '[.matrix[].host] | unique | length' "$T/out")" = 2 ]
cp "$T/out" "$T/matrix.json"
check_json "matrix --json --by-host" "$T/matrix.json"

# A run merged while it is being written, then once it has ended: the
# runner stores finished cases 32 at a time, so 32 quick cases are stored
# while the slow ones sleep.
cat > "$T/slow.ini" <<'EOF'
[slow-close]
summary = Sleeps before closing, so the run is still going for a while
steps   = client sleep 2s
          client close
          server recv eof
EOF
"$TD" --once --db "$A" --scenarios "$T/slow.ini" --repeat 16 \
    --only slow-close,three-way-close > /dev/null 2>&1 &
pid=$!
# Cases stored so far of a run still running ("" when sqlite3 fails: it
# can say "database is locked" while teardownd opens the database, hence
# the busy timeout; an empty answer must not end the wait).
running_cases() {
	sqlite3 -cmd '.timeout 2000' "$A" \
	    "select count(*) from v_case where run_status = 'running'" 2> /dev/null
}
i=0
until [ "$(running_cases)" -gt 0 ] 2> /dev/null; do
	i=$((i + 1)); [ "$i" -gt 50 ] && break; sleep 0.1
done
ctl merge "$A" -o "$F"
eq "a run merged while running arrives as 'running', with its cases so far" "$F" \
    "select r.status, count(*) > 0 from cases as c join runs as r on
     r.id = c.run_id where r.host = '$HA' and c.scenario = 'three-way-close'
     and r.id = (select max(id) from runs) group by r.status" "running|1"
wait "$pid"
ctl merge "$A" -o "$F"
check "merged again once ended: 1 added again" grep -q "1 added again" "$T/out" ||
    cat "$T/out" "$T/err"
eq "... it replaced the running copy: complete, all its cases, once" "$F" \
    "select status, n_pass + n_fail, (select count(*) from cases where
     run_id = runs.id) from runs where host = '$HA' order by started_us
     desc limit 1" "complete|64|64"
eq "... and no run is there twice" "$F" \
    "select count(*) from (select 1 from runs group by host, started_us,
     kernel_release having count(*) > 1)" 0

# More inputs than SQLite attaches at once (10): eleven copies of B.
for i in 1 2 3 4 5 6 7 8 9 10 11; do
	sqlite3 "$B" ".backup '$T/b$i.db'"
done
ctl merge "$T"/b[0-9]*.db -o "$T/many.db"
check "merging 11 inputs: exit 0" [ "$rc" -eq 0 ] || cat "$T/err"
eq "... 11 copies of one run give one run" "$T/many.db" \
    "select count(*) from runs" 1

ctl merge "$A" -o "$A"
check "merging a database into itself is refused (64)" [ "$rc" -eq 64 ]
ctl merge "$T/none.db" -o "$T/x.db"
check "a missing input exits 66 and creates no output" \
    [ "$rc" -eq 66 ] && [ ! -e "$T/x.db" ]
echo junk > "$T/junk.db"
ctl merge "$A" "$T/junk.db" -o "$T/x.db"
check "an input that is no database exits 74 and creates no output" \
    [ "$rc" -eq 74 ] && [ ! -e "$T/x.db" ]
finish
