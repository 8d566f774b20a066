#!/bin/sh
# The sysctls of every run are read where they live: global ones
# (net.core.default_qdisc, net.ipv4.tcp_max_orphans) in the namespace
# teardownd started in, which has their files, even from inside its private
# namespace, which has none; per-namespace ones where the cases run. In
# --once and in the daemon alike, at every run; each row says where
# (run_sysctls.scope, v_run_sysctl: 'global', 'netns', 'host').
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/daemon.inc"
if [ "$(id -u)" != 0 ] || ! ip netns list > /dev/null 2>&1; then
	echo "ok - # SKIP needs root and ip netns"
	exit 0
fi
NS="td-sysctl-$$"
trap 'for p in $pids; do kill -KILL "$p" 2>/dev/null; done;
    ip netns del "$NS" 2> /dev/null; rm -rf "$T"' EXIT
ONE="--only three-way-close --family ipv4"
QDISC=$(cat /proc/sys/net/core/default_qdisc)
ORPHANS=$(cat /proc/sys/net/ipv4/tcp_max_orphans)
FIN=$(cat /proc/sys/net/ipv4/tcp_fin_timeout)
check "the host has the global sysctls (this test runs in the initial namespace)" \
    [ -n "$QDISC" ] && [ -n "$ORPHANS" ]

# One sysctl of run R of DB as "value scope": sc DB R NAME
sc() {
	sqlite3 -separator ' ' "$1" "select value, coalesce(scope, 'NULL') from
	    v_run_sysctl where run_id = $2 and name = '$3'"
}

# --once, in a private namespace (root makes one).
"$TD" --once --db "$T/o.db" $ONE > "$T/out" 2> "$T/err"
check "--once runs (exit $?)" [ $? -eq 0 ]
eq "--once ran in a private namespace" "$T/o.db" "select isolation from runs" netns
check "--once: default_qdisc is the host's ($QDISC), read as a global one" \
    [ "$(sc "$T/o.db" 1 net.core.default_qdisc)" = "$QDISC global" ]
check "--once: tcp_max_orphans is the host's ($ORPHANS), global" \
    [ "$(sc "$T/o.db" 1 net.ipv4.tcp_max_orphans)" = "$ORPHANS global" ]
check "--once: tcp_fin_timeout is read in the private namespace (a copy: $FIN)" \
    [ "$(sc "$T/o.db" 1 net.ipv4.tcp_fin_timeout)" = "$FIN netns" ]
check "--once: tcp_no_metrics_save is the private namespace's own, 1" \
    [ "$(sc "$T/o.db" 1 net.ipv4.tcp_no_metrics_save)" = "1 netns" ]
eq "--once: the new sysctls are recorded, each with a value and a scope" "$T/o.db" \
    "select count(*) from v_run_sysctl where name in ('net.ipv4.tcp_rmem',
     'net.ipv4.tcp_wmem', 'net.ipv4.tcp_timestamps', 'net.ipv4.tcp_sack',
     'net.ipv4.tcp_window_scaling', 'net.ipv4.tcp_challenge_ack_limit')
     and value <> '' and scope is not null" 6
eq "--once: tcp_rmem as the host has it, tabs as spaces" "$T/o.db" \
    "select value from run_sysctls where name = 'net.ipv4.tcp_rmem'" \
    "$(tr '\t' ' ' < /proc/sys/net/ipv4/tcp_rmem)"
"$CTL" --db "$T/o.db" show 1 > "$T/show" 2>&1
check "show RUN lists each sysctl with its scope" \
    grep -Eq "^net\.core\.default_qdisc +$QDISC +global *$" "$T/show"

"$TD" --once --db "$T/h.db" --isolation host $ONE > "$T/out" 2> "$T/err"
check "--once --isolation host runs (exit $?)" [ $? -eq 0 ]
eq "--isolation host: every sysctl read in the host's namespace, scope host" "$T/h.db" \
    "select count(*) from run_sysctls where scope is not 'host'" 0
check "--isolation host: default_qdisc is the host's" \
    [ "$(sc "$T/h.db" 1 net.core.default_qdisc)" = "$QDISC host" ]
"$CTL" --db "$T/h.db" --json show 1 > "$T/h.json" 2>&1
check_json "--isolation host: show RUN --json, sysctls of scope host" "$T/h.json"
sqlite3 "$T/h.db" "update run_sysctls set value = '', scope = null
    where name = 'net.ipv4.tcp_rmem'"
"$CTL" --db "$T/h.db" --json show 1 > "$T/hn.json" 2>&1
check_json "a sysctl the kernel lacks (empty, no scope) in show RUN --json" "$T/hn.json"

# The daemon reads them at every run, from inside its namespace.
daemon "$T/derr" --db "$T/d.db" $ONE --interval 1s
upto 150 sql_ge "$T/d.db" "select count(*) from runs where status = 'complete'" 2
check "the daemon completes two runs" [ $? -eq 0 ]
stop TERM "$td_pid"
check "... and stops (exit $rc)" [ "$rc" -eq 0 ]
eq "daemon: it ran in a private namespace" "$T/d.db" \
    "select distinct isolation from runs" netns
eq "daemon: every run has the host's default_qdisc and tcp_max_orphans, global" "$T/d.db" \
    "select count(*) = 2 * (select count(*) from runs) from v_run_sysctl
     where scope = 'global' and ((name = 'net.core.default_qdisc' and value = '$QDISC')
      or (name = 'net.ipv4.tcp_max_orphans' and value = '$ORPHANS'))" 1
eq "daemon: every run has tcp_no_metrics_save 1 from its namespace" "$T/d.db" \
    "select count(*) = (select count(*) from runs) from v_run_sysctl
     where name = 'net.ipv4.tcp_no_metrics_save' and value = '1' and scope = 'netns'" 1

# A namespace of this test's own, with a per-namespace sysctl set: it is
# read where the cases run, at every run.
ip netns add "$NS" || { echo "not ok - ip netns add $NS"; exit 1; }
ip netns exec "$NS" sysctl -q -w net.ipv4.tcp_fin_timeout=7
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" "$TD" --once --db "$T/n.db" --isolation host $ONE \
    > "$T/out" 2> "$T/err"
check "in the test namespace, --isolation host runs (exit $?)" [ $? -eq 0 ]
check "... and records its tcp_fin_timeout, 7, where the cases ran" \
    [ "$(sc "$T/n.db" 1 net.ipv4.tcp_fin_timeout)" = "7 host" ]
check "... and its tcp_no_metrics_save, 0" \
    [ "$(sc "$T/n.db" 1 net.ipv4.tcp_no_metrics_save)" = "0 host" ]
ip netns exec "$NS" "$TD" --once --db "$T/n.db" $ONE > "$T/out" 2> "$T/err"
check "in the test namespace, --once in a private one runs (exit $?)" [ $? -eq 0 ]
check "... records tcp_fin_timeout 7 (copied in), read in the private namespace" \
    [ "$(sc "$T/n.db" 2 net.ipv4.tcp_fin_timeout)" = "7 netns" ]
check "... and tcp_no_metrics_save 1, the private namespace's, not the test's 0" \
    [ "$(sc "$T/n.db" 2 net.ipv4.tcp_no_metrics_save)" = "1 netns" ]
check "... and default_qdisc as not known: it has no file in either namespace" \
    [ "$(sc "$T/n.db" 2 net.core.default_qdisc)" = " NULL" ]

ip netns exec "$NS" "$TD" --db "$T/nd.db" --isolation host $ONE --interval 1s \
    > /dev/null 2> "$T/nderr" &
td_pid=$!
pids="$pids $td_pid"
upto 150 sql_ge "$T/nd.db" "select count(*) from runs where status = 'complete'" 1
check "the daemon in the test namespace completes a run" [ $? -eq 0 ]
ip netns exec "$NS" sysctl -q -w net.ipv4.tcp_fin_timeout=9
n=$(sqlite3 "$T/nd.db" "select max(id) from runs")
upto 150 sql_ge "$T/nd.db" "select count(*) from runs where status = 'complete' and id > $n" 1
check "... and another after tcp_fin_timeout = 9" [ $? -eq 0 ]
stop TERM "$td_pid"
eq "... which records 9: each run reads where its cases run" "$T/nd.db" \
    "select value || ' ' || scope from v_run_sysctl where name = 'net.ipv4.tcp_fin_timeout'
     and run_id = (select max(id) from runs where status = 'complete')" "9 host"
eq "... where the first run recorded 7" "$T/nd.db" \
    "select value from v_run_sysctl where name = 'net.ipv4.tcp_fin_timeout' and run_id = 1" 7
finish
