#!/bin/sh
# bench.sh: what capturing the wire costs. Runs the built-in catalogue
# (--repeat 5, both families) with the capture and with --no-capture,
# alternately, ROUNDS times each, and prints the best wall time and the
# CPU time (user + system, teardownd's) of each, and their ratios:
#   catalogue x5: capture 4.1 s, no capture 4.0 s, ratio 1.02
# Usage: sh tests/bench.sh [BUILD_DIR]; REPEAT and ROUNDS override 5 and 3.
B=${1:-build}
REPEAT=${REPEAT:-5}
ROUNDS=${ROUNDS:-3}
T=$(mktemp -d /tmp/teardownd-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT

# CPU seconds (user + system) of this shell's children so far; times
# must run in this shell, not in a command substitution's.
cpu() {
	times > "$T/times"
	tail -n 1 "$T/times" | awk '{ s = 0; for (i = 1; i <= 2; i++) {
		split($i, p, "m"); s += p[1] * 60 + p[2] } printf "%.3f\n", s }'
}

# Runs the catalogue once in mode ($1: capture or nocapture); prints
# "wall cpu" in seconds, and "wire" as the run stored it.
once() {
	db="$T/$1.db"
	rm -f "$db" "$db-wal" "$db-shm"
	flag=""
	[ "$1" = nocapture ] && flag=--no-capture
	cpu > "$T/c0"
	t0=$(date +%s%N)
	"$B/teardownd" --once --repeat "$REPEAT" --db "$db" $flag > "$T/out" 2> "$T/err"
	rc=$?
	t1=$(date +%s%N)
	cpu > "$T/c1"
	[ "$rc" -le 1 ] || { echo "bench: teardownd exited $rc" >&2; cat "$T/err" >&2; exit 1; }
	echo "$(( (t1 - t0) / 1000000 )) $(cat "$T/c0") $(cat "$T/c1") $(sqlite3 "$db" 'select wire from runs')"
}

best_wall_cap=""; best_wall_no=""; cpu_cap=0; cpu_no=0; wire=""
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	for mode in capture nocapture; do
		set -- $(once "$mode")
		[ $# -eq 4 ] || exit 1
		ms=$1; c=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", b - a }')
		echo "# round $((i + 1)) $mode: ${ms} ms wall, ${c} s cpu, wire $4"
		if [ "$mode" = capture ]; then
			wire=$4
			cpu_cap=$(echo "$cpu_cap + $c" | bc)
			[ -z "$best_wall_cap" ] || [ "$ms" -lt "$best_wall_cap" ] && best_wall_cap=$ms
		else
			cpu_no=$(echo "$cpu_no + $c" | bc)
			[ -z "$best_wall_no" ] || [ "$ms" -lt "$best_wall_no" ] && best_wall_no=$ms
		fi
	done
	i=$((i + 1))
done
[ "$wire" = observed ] || echo "bench: the capture did not run (wire $wire): run as root or with CAP_NET_RAW" >&2
awk -v r="$REPEAT" -v a="$best_wall_cap" -v b="$best_wall_no" \
    -v ca="$cpu_cap" -v cb="$cpu_no" -v n="$ROUNDS" 'BEGIN {
	printf "catalogue x%d: capture %.2f s, no capture %.2f s, ratio %.3f (best of %d)\n",
	    r, a / 1000, b / 1000, a / b, n
	printf "cpu (user+sys, per run): capture %.3f s, no capture %.3f s, ratio %.2f\n",
	    ca / n, cb / n, (cb > 0 ? ca / cb : 0) }'
