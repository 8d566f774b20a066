#!/bin/sh
# A real behaviour change, found by signatures: teardownd runs inside a
# network namespace of this test's own (it copies that namespace's teardown
# sysctls into its private one); a baseline run, an unchanged run, then a
# run after `sysctl net.ipv4.tcp_fin_timeout=1` in that namespace. The
# client's orphan then leaves FIN_WAIT2 after 1 s instead of 60 s, so the
# server's late FIN meets nothing (RST) instead of TIME_WAIT. `teardownctl
# diff` must name exactly the two scenarios that depend on it, with the
# changed step, and none of the built-in ones run alongside, below the
# one sysctl that differs; teardownd --once and diff exit 2 on it and 0
# without it.
. "$(dirname "$0")/lib.inc"
if [ "$(id -u)" != 0 ] || ! ip netns list > /dev/null 2>&1; then
	echo "ok - # SKIP needs root and ip netns"
	exit 0
fi
NS="td-reg-$$"
trap 'ip netns del "$NS" 2> /dev/null; rm -rf "$T"' EXIT
ip netns add "$NS" || { echo "not ok - ip netns add $NS"; exit 1; }
DB="$T/t.db"
ONLY="orphan-fin-wait2,orphan-holds-fin-wait2,three-way-close,abort-linger0,close-unread-data"
cat > "$T/user.ini" <<'EOF'
[orphan-fin-wait2]
summary = The client closes first, the server keeps its end: the client's orphan waits in FIN_WAIT2 for tcp_fin_timeout; the server's late FIN meets TIME_WAIT, or nothing
steps   = client send 100
          server recv 100
          client close
          client wait state FIN_WAIT2 within 1s
          server recv eof
          server sleep 2500ms
          server close
          server wait state CLOSED within 1s

[orphan-holds-fin-wait2]
summary = The client's orphan is still in FIN_WAIT2 2.5 s after its close (tcp_fin_timeout is 60 s by default)
steps   = client send 100
          server recv 100
          client close
          client wait state FIN_WAIT2 within 1s
          server recv eof
          server sleep 2500ms
          client expect state FIN_WAIT2
EOF
# (The client sends data first, so that the server's ACK of the FIN is the
# 40 ms delayed ACK: an end that received no data ACKs a FIN at the next
# timer tick, a race with the observation of the client's close (seen
# under ASan). And the client waits for FIN_WAIT2 before the server reads:
# without the wait whether the client is still in FIN_WAIT1 after the
# server's recv is a race, and the scenario flaky; `teardownctl flaky`
# showed exactly that.)

# Runs teardownd --once in the namespace; its exit code in trc.
td() {
	timeout 120 ip netns exec "$NS" "$TD" --once --db "$DB" \
	    --scenarios "$T/user.ini" --only "$ONLY" --repeat 2 \
	    > "$T/td.out" 2> "$T/td.err"
	trc=$?
}
# Runs teardownctl; exit code in rc, output in $T/out.
ctl() { "$CTL" --db "$DB" "$@" > "$T/out" 2> "$T/err"; rc=$?; }

td
check "baseline run: every case passes (exit $trc)" [ "$trc" -eq 0 ]
eq "it ran in a private namespace" "$DB" "select isolation from runs" netns
eq "every case has a 16-digit signature hash" "$DB" \
    "select count(*) from cases where length(sig_hash) = 16" 20
ctl diff
check "diff with one run: nothing to compare, exit 66 ($rc)" [ "$rc" -eq 66 ]
ctl flaky 1
check "flaky: 2 repetitions of each gave one signature" \
    grep -q "run 1: 0 of 10 scenario+family flaky" "$T/out"
ctl baseline set 1
check "baseline set 1 (exit $rc)" [ "$rc" -eq 0 ]
ctl --json baseline show
check "baseline show names run 1" [ "$(jq '.baselines[0].run_id' "$T/out")" = 1 ]
cp "$T/out" "$T/baselines.json"
check_json "baseline show --json" "$T/baselines.json"

td
check "an unchanged run does not regress against the baseline (exit $trc)" \
    [ "$trc" -eq 0 ]
ctl diff 1 2
check "diff 1 2: no change, exit 0 ($rc)" [ "$rc" -eq 0 ] &&
    grep -q "10 scenario+family in both runs: 0 changed" "$T/out"
check "diff 1 2: no sysctl differs, none is listed" \
    sh -c '! grep -q "sysctl" "$1"' sh "$T/out"
if [ "$rc" -ne 0 ]; then		# what was not stable, for the log
	sed "s/^/# /" "$T/out"
	for r in 1 2; do ctl flaky $r; sed "s/^/# /" "$T/out"; done
fi

ip netns exec "$NS" sysctl -q -w net.ipv4.tcp_fin_timeout=1
td
check "teardownd --once exits 2 on the regression, though a case failed ($trc)" \
    [ "$trc" -eq 2 ] && grep -q "changed against baseline run 1" "$T/td.out"
eq "run 3 recorded tcp_fin_timeout 1" "$DB" \
    "select value from run_sysctls where run_id = 3 and name = 'net.ipv4.tcp_fin_timeout'" 1
ctl diff
check "diff without runs compares the latest with the baseline, exit 2 ($rc)" \
    [ "$rc" -eq 2 ] && grep -q "^before  run 1 .*(the baseline of its host)" "$T/out"
sed "s/^/# /" "$T/out"
FIN1=$(sqlite3 "$DB" "select value from run_sysctls where run_id = 1
    and name = 'net.ipv4.tcp_fin_timeout'")
check "diff names the one sysctl that differs, tcp_fin_timeout $FIN1 -> 1" \
    grep -q "^1 sysctl differs:" "$T/out" &&
    grep -Eq "^net\.ipv4\.tcp_fin_timeout +$FIN1 +1 *\$" "$T/out"
check "... above the behaviour changes" [ "$(grep -n "tcp_fin_timeout" "$T/out" |
    cut -d: -f1)" -lt "$(grep -n ": changed\$" "$T/out" | head -n 1 | cut -d: -f1)" ]
check "the changed step: after the sleep the client's orphan is CLOSED, not FIN_WAIT2" \
    grep -Eq '^\* +5 +server +sleep 2500ms +ok 0 +FIN_WAIT2 +CLOSE_WAIT +ok 0 +CLOSED +CLOSE_WAIT' "$T/out"
ctl --json diff
check "diff --json: the sysctls that differ, name, before and after" \
    [ "$(jq -c '.sysctls' "$T/out")" = \
      "[{\"name\":\"net.ipv4.tcp_fin_timeout\",\"before\":\"$FIN1\",\"after\":\"1\"}]" ]
check "diff --json: exactly the two fin_timeout scenarios, both families" \
    [ "$(jq -r '[.changes[].change | "\(.scenario)/\(.family)/\(.change)"] | join(" ")' "$T/out")" = \
    "orphan-fin-wait2/ipv4/changed orphan-fin-wait2/ipv6/changed orphan-holds-fin-wait2/ipv4/changed orphan-holds-fin-wait2/ipv6/changed" ]
check "diff --json: the expectation that held now fails" \
    [ "$(jq -r '.changes[] | select(.change.scenario == "orphan-holds-fin-wait2" and .change.family == "ipv4")
        | .steps[] | select(.changed == 1) | "\(.idx) \(.before) \(.after) \(.after_client)"' "$T/out" | tail -n 1)" = \
      "6 ok failed CLOSED" ]
check "diff --json: 6 scenario+family the same, none appeared" \
    [ "$(jq -r '.comparison | "\(.n_same) \(.n_appeared) \(.n_disappeared)"' "$T/out")" = "6 0 0" ]
cp "$T/out" "$T/diff.json"
check_json "diff --json, with changes" "$T/diff.json"
ctl --json flaky 3
cp "$T/out" "$T/flaky.json"
check_json "flaky --json" "$T/flaky.json"
eq "v_regression lists run 3's changes against the baseline, and only those" "$DB" \
    "select group_concat(run_id || ' ' || scenario || ' ' || family, ',') from
     (select * from v_regression order by run_id, scenario, family)" \
    "3 orphan-fin-wait2 ipv4,3 orphan-fin-wait2 ipv6,3 orphan-holds-fin-wait2 ipv4,3 orphan-holds-fin-wait2 ipv6"
ctl diff 2 3
check "diff 2 3 exits 2 ($rc)" [ "$rc" -eq 2 ]
ctl --json diff 1 2
check "diff --json 1 2: no sysctl differs, an empty array" \
    [ "$(jq -c '.sysctls' "$T/out")" = "[]" ]
ctl baseline clear
check "baseline clear (exit $rc)" [ "$rc" -eq 0 ] && grep -q "cleared: 1" "$T/out"
ctl diff
check "without a baseline, diff compares with the previous run ($rc)" \
    [ "$rc" -eq 2 ] && grep -q "^before  run 2 .*(the previous complete run)" "$T/out"
ctl diff 1
check "diff with one run is a usage error ($rc)" [ "$rc" -eq 64 ]
ctl diff 1 9
check "diff with an unknown run exits 66 ($rc)" [ "$rc" -eq 66 ]
finish
