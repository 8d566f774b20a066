#!/bin/sh
# soak.sh: the whole catalogue, many times over, once on an idle machine
# and once with CPU hogs running (a busy machine), counting every case that
# did not pass and every scenario whose repetitions behaved differently
# (more than one signature). Not part of `make check`: it takes minutes.
#   soak: 44000 cases, 0 hogs: 44000 pass, 0 not passed, 0 flaky (49 s)
# Usage: sh tests/soak.sh [BUILD_DIR]; SOAK_REPEAT (1000), SOAK_HOGS ("0 2")
# and SOAK_CONCURRENCY (teardownd's default) override.
B=${1:-build}
REPEAT=${SOAK_REPEAT:-1000}
HOGS=${SOAK_HOGS:-"0 2"}
T=$(mktemp -d /tmp/teardownd-soak.XXXXXX)
hogs=""
trap 'for p in $hogs; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT INT TERM
conc=""
[ -n "$SOAK_CONCURRENCY" ] && conc="--concurrency $SOAK_CONCURRENCY"
bad=0
for h in $HOGS; do
	hogs=""
	i=0
	while [ "$i" -lt "$h" ]; do
		sh -c 'while :; do :; done' &
		hogs="$hogs $!"
		i=$((i + 1))
	done
	db="$T/soak$h.db"
	t0=$(date +%s)
	"$B/teardownd" --once --repeat "$REPEAT" $conc --db "$db" > "$T/out" 2> "$T/err"
	rc=$?
	t1=$(date +%s)
	for p in $hogs; do kill "$p"; wait "$p" 2>/dev/null; done
	hogs=""
	sqlite3 -separator ' ' "$db" "select count(*), sum(verdict = 'pass'),
	    sum(verdict <> 'pass') from cases" > "$T/n"
	read -r n pass notpass < "$T/n"
	flaky=$(sqlite3 "$db" "select count(*) from v_stability where stability = 'flaky'")
	echo "soak: $n cases, $h hogs: $pass pass, $notpass not passed, $flaky flaky" \
	    "scenario+family ($((t1 - t0)) s, exit $rc)"
	sqlite3 -separator ' ' "$db" "select '#   ' || scenario, family, verdict, count(*),
	    min(message) from cases where verdict <> 'pass' group by 1, 2, 3"
	sqlite3 -separator ' ' "$db" "select '#   flaky: ' || scenario, family,
	    n_signatures || ' signatures' from v_stability where stability = 'flaky'"
	[ "$notpass" -eq 0 ] && [ "$flaky" -eq 0 ] || bad=1
done
exit "$bad"
