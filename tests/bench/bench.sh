#!/bin/sh
# bench.sh, measured side by side in one run:
# (1) the loop never waits on itself: the whole catalogue x50 (both
#     families, every case at once) against its slowest scenario alone,
#     best of ROUNDS each, alternately; a loop that blocked (a lingering
#     close, a commit) would add up, one that does not takes about the
#     slowest case's time:
#   loop: catalogue x50 (2200 cases) 2.05 s, slowest alone (...) 1.51 s, ratio 1.36 (target <= 1.5)
# (2) what capturing the wire costs: the catalogue (--repeat 5) with the
#     capture and with --no-capture, alternately, ROUNDS times each: the
#     best wall time and the CPU time (user + system) of each, and ratios:
#   catalogue x5: capture 4.1 s, no capture 4.0 s, ratio 1.02
# (3) what the relay link costs: the loopback scenarios on it against lo,
#     and its forwarding rate (below).
# (4) teardownd against raw sockets doing the same socket work with
#     nothing else (build/raw): cases/s and CPU per case (below);
# (5) the store's write rate, step rows per second (build/store_bench);
# (6) the queries on a database of more than a million cases;
# (7) 100,000 scenarios checked with -n;
# (8) peak RSS with 100, 1,000, 4,000 and 8,000 cases at once.
# Usage: sh tests/bench/bench.sh [BUILD_DIR]; REPEAT, LOOP_REPEAT and ROUNDS
# override 5, 50 and 3.
B=${1:-build}
REPEAT=${REPEAT:-5}
LOOP_REPEAT=${LOOP_REPEAT:-50}
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

# Wall ms of one run of the arguments; exits on a run that could not run.
wall() {
	t0=$(date +%s%N)
	"$B/teardownd" --once --db "$T/loop.db" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	t1=$(date +%s%N)
	rm -f "$T/loop.db" "$T/loop.db-wal" "$T/loop.db-shm"
	[ "$rc" -le 1 ] || { echo "bench: teardownd exited $rc" >&2; cat "$T/err" >&2; exit 1; }
	tail -n 1 "$T/out" | sed 's/^/# /' >&2
	echo $(( (t1 - t0) / 1000000 ))
}

# (1) The slowest scenario: the longest case of one run of the catalogue.
"$B/teardownd" --once --db "$T/pick.db" > /dev/null 2>&1
slow=$(sqlite3 "$T/pick.db" "select scenario from cases order by duration_us desc limit 1")
ncases=$(( $(sqlite3 "$T/pick.db" "select count(*) from cases") * LOOP_REPEAT ))
best_all=""; best_one=""
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	ms=$(wall --repeat "$LOOP_REPEAT" --concurrency "$ncases") || exit 1
	echo "# round $((i + 1)): catalogue x$LOOP_REPEAT ${ms} ms"
	[ -z "$best_all" ] || [ "$ms" -lt "$best_all" ] && best_all=$ms
	ms=$(wall --only "$slow") || exit 1
	echo "# round $((i + 1)): $slow alone ${ms} ms"
	[ -z "$best_one" ] || [ "$ms" -lt "$best_one" ] && best_one=$ms
	i=$((i + 1))
done
awk -v r="$LOOP_REPEAT" -v n="$ncases" -v a="$best_all" -v b="$best_one" -v s="$slow" 'BEGIN {
	printf "loop: catalogue x%d (%d cases at once) %.2f s, slowest alone (%s) %.2f s, ratio %.2f (target <= 1.5)\n",
	    r, n, a / 1000, s, b / 1000, a / b }'

# (2) The capture's cost.
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

# (3) The relay's cost. (a) The catalogue's loopback scenarios, copied
# with link = relay (names -relay), against themselves on lo, REPEAT times
# each, alternately, best of ROUNDS; (b) its forwarding rate: 100 cases
# each sending 1 MB through it at once, segments relayed per second.
awk 'FNR == 1 { keep = 0 }
     /^\[/ { name = substr($0, 2, length($0) - 2); keep = 1; skip = 0 }
     /^link *=/ { skip = 1 }
     keep && !skip && /^\[/ { print "[" name "-relay]"; print "link    = relay"; next }
     keep && !/^link *=/ { print }' etc/scenarios/[1-5]*.ini > "$T/relay.ini"
all=$(sed -n 's/^\[\(.*-relay\)\]$/\1/p' "$T/relay.ini" | grep -v '^simultaneous-close' | paste -sd,)
# Only those that pass on the relay link too (a failing case ends early):
# the link is not loopback (MTU 1500, a few hops of latency).
"$B/teardownd" --once --db "$T/rpick.db" --scenarios "$T/relay.ini" --only "$all" > /dev/null 2>&1
rl=$(sqlite3 "$T/rpick.db" "select scenario from cases group by scenario
    having sum(verdict <> 'pass') = 0 order by 1" | paste -sd,)
lo=$(echo "$rl" | sed 's/-relay//g')
best_lo=""; best_rl=""
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	ms=$(wall --scenarios "$T/relay.ini" --only "$lo" --repeat "$REPEAT") || exit 1
	echo "# round $((i + 1)): lo ${ms} ms"
	[ -z "$best_lo" ] || [ "$ms" -lt "$best_lo" ] && best_lo=$ms
	ms=$(wall --scenarios "$T/relay.ini" --only "$rl" --repeat "$REPEAT") || exit 1
	echo "# round $((i + 1)): relay ${ms} ms"
	[ -z "$best_rl" ] || [ "$ms" -lt "$best_rl" ] && best_rl=$ms
	i=$((i + 1))
done
n=$(echo "$lo" | tr ',' '\n' | wc -l)
awk -v n="$n" -v r="$REPEAT" -v a="$best_rl" -v b="$best_lo" 'BEGIN {
	printf "relay: %d loopback scenarios x%d on the relay link %.2f s, on lo %.2f s, ratio %.2f (aim <= 1.1)\n",
	    n, r, a / 1000, b / 1000, a / b }'
cat > "$T/bulk.ini" <<'EOS'
[relay-bulk]
summary = 1 MB through the relay, the server reading as it comes
link    = relay
steps   = client sndbuf 4194304
          client send 1000000
          server recv 1000000 within 10s
EOS
"$B/teardownd" --once --db "$T/bulk.db" --scenarios "$T/bulk.ini" --only relay-bulk \
    --family ipv4 --repeat 100 > /dev/null 2>&1
sqlite3 -separator ' ' "$T/bulk.db" "select count(*), max(c.started_us + g.t_us) -
    min(c.started_us + g.t_us), (select sum(verdict = 'pass') from cases)
    from segments g join cases c on c.id = g.case_id" > "$T/bulk"
read -r nseg us npass < "$T/bulk"
awk -v n="$nseg" -v us="$us" -v p="$npass" 'BEGIN {
	printf "relay: 100 MB (100 cases of 1 MB at once, %d passed) relayed as %d segments in %.2f s: %.0f segments/s, %.0f MB/s\n",
	    p, n, us / 1e6, n / (us / 1e6), 100 / (us / 1e6) }'

# (4) Against raw sockets: abort-linger0 and four-way-close x PAIRS (both
# families, no capture) in teardownd and in build/raw (the same socket
# work and nothing else: tests/bench/raw.c), alternately, ROUNDS times:
# cases per second and CPU (user + system) per case, each best of ROUNDS;
# and raw --observe, the same work with reads of both ends after each
# step (TCP_INFO, SIOCINQ, SIOCOUTQ, each a system call): what observing
# costs (teardownd reads the queues of both ends in one io_uring call
# where the kernel has socket commands, Linux 6.7 on).
PAIRS=${PAIRS:-10000}
for sc in abort-linger0 four-way-close; do
	best_td=""; best_raw=""; cpu_td=""; cpu_raw=""; cpu_obs=""
	i=0
	while [ "$i" -lt "$ROUNDS" ]; do
		rm -f "$T/raw.db" "$T/raw.db-wal" "$T/raw.db-shm"
		cpu > "$T/c0"
		t0=$(date +%s%N)
		"$B/teardownd" --once --no-capture --only "$sc" --repeat $((PAIRS / 2)) \
		    --concurrency 1000 --db "$T/raw.db" > "$T/out" 2> "$T/err" ||
		    { echo "bench: teardownd failed on $sc" >&2; cat "$T/err" >&2; exit 1; }
		t1=$(date +%s%N)
		cpu > "$T/c1"
		ms=$(( (t1 - t0) / 1000000 ))
		c=$(awk -v a="$(cat "$T/c0")" -v b="$(cat "$T/c1")" 'BEGIN { printf "%.3f", b - a }')
		echo "# round $((i + 1)): teardownd $sc x$PAIRS ${ms} ms, ${c} s cpu"
		[ -z "$best_td" ] || [ "$ms" -lt "$best_td" ] && best_td=$ms
		[ -z "$cpu_td" ] || [ "$(echo "$c < $cpu_td" | bc)" = 1 ] && cpu_td=$c
		set -- $("$B/raw" "$sc" "$PAIRS" 1000 | awk '{ print $5 * 1000, $8 }')
		echo "# round $((i + 1)): raw $sc x$PAIRS $1 ms, $2 s cpu"
		[ -z "$best_raw" ] || [ "$(echo "$1 < $best_raw" | bc)" = 1 ] && best_raw=$1
		[ -z "$cpu_raw" ] || [ "$(echo "$2 < $cpu_raw" | bc)" = 1 ] && cpu_raw=$2
		set -- $("$B/raw" --observe "$sc" "$PAIRS" 1000 | awk '{ print $6 * 1000, $9 }')
		echo "# round $((i + 1)): raw --observe $sc x$PAIRS $1 ms, $2 s cpu"
		[ -z "$cpu_obs" ] || [ "$(echo "$2 < $cpu_obs" | bc)" = 1 ] && cpu_obs=$2
		i=$((i + 1))
	done
	awk -v s="$sc" -v n="$PAIRS" -v a="$best_td" -v b="$best_raw" -v ca="$cpu_td" -v cb="$cpu_raw" -v co="$cpu_obs" 'BEGIN {
		printf "raw: %s x%d: teardownd %.0f cases/s, %.0f us cpu/case; raw sockets %.0f pairs/s, %.0f us cpu/pair; cpu ratio %.1f (goal <= 2); raw sockets observed by one call per read %.0f us cpu/pair (ratio %.1f; teardownd against it %.1f)\n",
		    s, n, n / (a / 1000), ca * 1e6 / n, n / (b / 1000), cb * 1e6 / n, ca / cb, co * 1e6 / n, co / cb, ca / co }'
done

# (5) The store's write rate through its own API: four-way-close's
# results (14 steps, 9 segments each), 20,000 cases in batches of 512.
rm -f "$T/store.db"*
"$B/store_bench" "$T/store.db" 20000 512 four-way-close |
    sed 's/$/ (target >= 300000 step rows\/s)/'

# (6) The queries on a database of more than a million cases: 3,340 runs
# of the catalogue (both families, 5 repetitions: 300 cases each), on 4
# hosts and 3 kernels, written through the store's API (334 runs) and
# merged ten times over (teardownctl merge, each copy an hour later). It
# is built once into $B/bench-1m.db (minutes, about 3 GB) and kept while
# its schema is current. Each command is timed as a user runs it (the
# process included), best of ROUNDS.
DB1M="$B/bench-1m.db"
"$B/store_bench" --fleet "$T/v.db" 1 1 > /dev/null
want=$(sqlite3 "$T/v.db" "pragma user_version")
have=$(sqlite3 "$DB1M" "pragma user_version" 2>/dev/null || echo none)
if [ "$have" != "$want" ]; then
	echo "# building $DB1M (schema $want; it had $have): minutes, once"
	rm -f "$DB1M" "$DB1M-wal" "$DB1M-shm"
	"$B/store_bench" --fleet "$T/base.db" 334 5 > /dev/null || exit 1
	sqlite3 "$T/base.db" "pragma wal_checkpoint(truncate)" > /dev/null
	i=0
	while [ "$i" -lt 10 ]; do
		cp "$T/base.db" "$T/c$i.db"
		sqlite3 "$T/c$i.db" "update runs set started_us = started_us + $i * 334 * 60000000"
		i=$((i + 1))
	done
	rm -f "$T/base.db"*
	"$B/teardownctl" merge "$T"/c?.db -o "$DB1M" > /dev/null || exit 1
	rm -f "$T"/c?.db*
fi
ncases=$(sqlite3 "$DB1M" "select count(*) from cases")
nruns=$(sqlite3 "$DB1M" "select count(*) from runs")
last=$(sqlite3 "$DB1M" "select id from runs order by started_us desc limit 1")
prev=$(sqlite3 "$DB1M" "select id from runs order by started_us desc limit 1 offset 1")
case_id=$(sqlite3 "$DB1M" "select max(id) from cases")
# best ms of ROUNDS runs of teardownctl with the arguments
qtime() {
	best=""
	i=0
	while [ "$i" -lt "$ROUNDS" ]; do
		t0=$(date +%s%N)
		"$B/teardownctl" --db "$DB1M" "$@" > "$T/q.out" 2>&1
		rc=$?
		t1=$(date +%s%N)
		[ "$rc" -le 2 ] || { echo "bench: teardownctl $* exited $rc" >&2; cat "$T/q.out" >&2; exit 1; }
		ms=$(( (t1 - t0) / 1000000 ))
		[ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
		i=$((i + 1))
	done
	echo "$best"
}
q_runs=$(qtime runs) || exit 1
q_show=$(qtime show "$last") || exit 1
q_case=$(qtime show "c$case_id") || exit 1
q_flaky=$(qtime flaky "$last") || exit 1
q_diff=$(qtime diff "$prev" "$last") || exit 1
q_matrix=$(qtime matrix) || exit 1
q_host=$(qtime matrix --by-host) || exit 1
q_hist=$(qtime history four-way-close) || exit 1
# What starting any process costs here, in every figure above: the
# floor under them (1 ms on most machines, 14 ms on a slow VM).
best=""
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	t0=$(date +%s%N)
	/bin/true
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	[ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
	i=$((i + 1))
done
echo "queries on $ncases cases ($nruns runs), ms: runs $q_runs, show RUN $q_show, show CASE $q_case (targets < 20);" \
    "flaky $q_flaky, diff $q_diff (< 50); matrix $q_matrix, matrix --by-host $q_host (< 500); history $q_hist;" \
    "each includes starting teardownctl (/bin/true: $best ms)"

# (7) No quadratic bookkeeping: 100,000 scenarios in one file, checked
# with -n (names indexed; 179 s when each was compared with every other).
awk 'BEGIN { for (i = 0; i < 100000; i++)
	printf "[gen-%d]\nsummary = generated\nsteps   = client close\n\n", i }' > "$T/100k.ini"
t0=$(date +%s%N)
"$B/teardownd" -n --scenarios "$T/100k.ini" > /dev/null 2>&1 || { echo "bench: -n failed" >&2; exit 1; }
t1=$(date +%s%N)
echo "catalogue: 100000 scenarios checked with -n in $(( (t1 - t0) / 1000000 )) ms (target < 2000)"

# (8) Memory: peak RSS of four-way-close with 100, 1,000, 4,000 and 8,000
# cases at once (no capture). Up to ~2,000 the peak is start-up's (libbpf
# reading the kernel's BTF, ~18 MB, freed before the cases run), so what a
# case costs is read between 4,000 and 8,000. Cases start 32 at a time
# while the others run, so each first sleeps 3 s (four-way-close-held):
# every case is still there when the last starts, which the line says.
awk '/^\[/ { keep = ($0 == "[four-way-close]") }
     keep && /^\[/ { print "[four-way-close-held]"; next }
     keep && /^steps *=/ { sub(/=/, "= client sleep 3s\n         "); print; next }
     keep { print }' etc/scenarios/10-seed.ini > "$T/held.ini"
for n in 100 1000 4000 8000; do
	rm -f "$T/mem.db"*
	/usr/bin/time -f "%M" -o "$T/rss.$n" "$B/teardownd" --once --no-capture \
	    --scenarios "$T/held.ini" --only four-way-close-held \
	    --repeat $((n / 2)) --concurrency "$n" \
	    --db "$T/mem.db" > /dev/null 2> "$T/mem.err" || { echo "bench: teardownd failed at $n" >&2; exit 1; }
	# A figure is only worth one of a run that observed everything.
	if grep -q "were lost" "$T/mem.err"; then
		echo "bench: state transitions were lost at $n cases at once" >&2
		exit 1
	fi
	# Cases still running when the last one started.
	sqlite3 "$T/mem.db" "select count(*) from cases where started_us +
	    duration_us >= (select max(started_us) from cases)" > "$T/at.$n"
done
awk -v a="$(tail -n 1 "$T/rss.100")" -v b="$(tail -n 1 "$T/rss.1000")" \
    -v d="$(tail -n 1 "$T/rss.4000")" -v c="$(tail -n 1 "$T/rss.8000")" \
    -v at="$(cat "$T/at.8000")" 'BEGIN {
	printf "memory: peak RSS with 100 cases at once %.1f MB, 1000 %.1f MB, 4000 %.1f MB, 8000 %.1f MB (target <= 32); %.2f KB per case, 4000 -> 8000 (target <= 3); at the last start, %d of 8000 were running\n",
	    a / 1024, b / 1024, d / 1024, c / 1024, (c - d) / 4000, at }'
