#!/bin/sh
# The built-in catalogue runs once on IPv4 and IPv6, every case passes, and
# the database holds what DESIGN.md promises: the run's identity, every step
# with both ends' states, the rare states seen where the seed says.
. "$(dirname "$0")/lib.inc"
DB="$T/t.db"

"$TD" --once --db "$DB" > "$T/out" 2> "$T/err"
rc=$?
cat "$T/out"
check "teardownd --once exits 0 when every case passes (got $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || cat "$T/err"

nsc=$(cat etc/scenarios/*.ini | grep -c '^\[')
eq "one case per scenario and family" "$DB" \
    "select count(*) from cases" "$((nsc * 2))"
eq "every case passed" "$DB" "select count(*) from cases where verdict <> 'pass'" 0
eq "the run is complete" "$DB" "select status from runs" complete
eq "the run records the kernel release" "$DB" "select kernel_release from runs" "$(uname -r)"
eq "the run records net.ipv4.tcp_fin_timeout" "$DB" \
    "select value from run_sysctls where name = 'net.ipv4.tcp_fin_timeout'" \
    "$(cat /proc/sys/net/ipv4/tcp_fin_timeout)"
if [ "$(id -u)" = 0 ]; then
	eq "as root the cases ran in a private network namespace" "$DB" \
	    "select isolation from runs" netns
fi
eq "the database is in WAL mode" "$DB" "pragma journal_mode" wal
eq "every step ran and recorded its own end (a listener step: the listener)" "$DB" \
    "select count(*) from steps where status <> 'ok'
     or (side like 'client%' and c_state is null)
     or (side not like 'client%' and s_state is null)" 0
eq "... and the other end of its pair, once the pair was connected" "$DB" \
    "select count(*) from steps where side <> 'listener' and c_state <> 'CLOSE'
     and (c_state is null or s_state is null)" 0

# The seed's cases, told apart by the states the ends went through.
eq "simultaneous-close: both ends seen in CLOSING at the same step" "$DB" \
    "select count(distinct family) from v_step where scenario = 'simultaneous-close'
     and client_state = 'CLOSING' and server_state = 'CLOSING'" 2
eq "simultaneous-close: no FIN was retransmitted (the relay held them, no timer ran)" "$DB" \
    "select count(distinct family) from v_step where scenario = 'simultaneous-close'
     and client_state = 'CLOSING' and server_state = 'CLOSING'
     and c_total_retrans = 0 and s_total_retrans = 0" 2
eq "simultaneous-close and the crafted segments run on the relay link, the rest on lo" "$DB" \
    "select count(*) from cases where link = case when scenario = 'simultaneous-close'
     or scenario in ($(sed -n 's/^\[\(.*\)\]$/'"'"'\1'"'"'/p' etc/scenarios/60-crafted.ini | paste -sd,))
     then 'relay' else 'lo' end" "$(sqlite3 "$DB" "select count(*) from cases")"
eq "simultaneous-close: both FINs and both ACKs held, nothing else" "$DB" \
    "select group_concat(dir || ' ' || flags || ' ' || mark, ', ') from (select * from segments
     join cases on cases.id = case_id where scenario = 'simultaneous-close'
     and family = 'ipv4' and mark = 'held' order by flags desc, dir)" \
    "C>S F. held, S>C F. held, C>S . held, S>C . held"
eq "three-way-close: the client never passes FIN_WAIT2" "$DB" \
    "select count(*) from v_step where scenario = 'three-way-close' and client_state = 'FIN_WAIT2'" 0
eq "four-way-close: the client passes FIN_WAIT2" "$DB" \
    "select count(distinct family) from v_step where scenario = 'four-way-close' and client_state = 'FIN_WAIT2'" 2
eq "four-way-close: the closed client is a TIME_WAIT mini-socket with a timer" "$DB" \
    "select count(*) from v_step where scenario = 'four-way-close' and verb = 'expect state'
     and client_state = 'TIME_WAIT' and c_source = 'sock_diag_tw' and c_timer_ms between 1 and 60000" 2
eq "abort-linger0: the client keeps no TIME_WAIT" "$DB" \
    "select count(*) from v_step where scenario = 'abort-linger0' and client_state = 'TIME_WAIT'" 0
eq "close-wait-held: the orphan is a FIN_WAIT2 mini-socket with a timer" "$DB" \
    "select count(distinct family) from v_step where scenario = 'close-wait-held'
     and client_state = 'FIN_WAIT2' and c_source = 'sock_diag_tw' and c_timer_ms <= 1000" 2
eq "fin-wait1-user-timeout: the orphan's tcp_info comes through sock_diag" "$DB" \
    "select count(distinct family) from v_step where scenario = 'fin-wait1-user-timeout'
     and client_state = 'FIN_WAIT1' and c_source = 'sock_diag' and c_total_retrans >= 1" 2
eq "last-ack-retransmit: the server's RTO backs off in LAST_ACK" "$DB" \
    "select count(distinct family) from v_step where scenario = 'last-ack-retransmit'
     and server_state = 'LAST_ACK' and s_backoff >= 1 and s_rto > 200000" 2
eq "linger-timeout: close blocked until the FIN was acknowledged, under 1 s" "$DB" \
    "select count(*) from v_step where scenario = 'linger-timeout' and verb = 'close'
     and dur_us > 1000 and dur_us < 1000000" 2
finish
