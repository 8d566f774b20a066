#!/bin/sh
# The veth link: scenarios whose ends live in two namespaces joined by a
# veth pair, the wire seen by libpcap on the client's end. The loopback
# scenarios run there as on lo, with the same wire; mtu and sysctls get
# namespaces of their own; an ordinary user gets it inside teardownd's
# user namespace; nothing is left behind.
. "$(dirname "$0")/lib.inc"
DB="$T/v.db"
ONLY=four-way-close,three-way-close,half-close,abort-linger0,close-unread-data,simultaneous-close

"$TD" --once --link veth --db "$DB" --only "$ONLY" > "$T/out" 2> "$T/err"
rc=$?
sqlite3 "$DB" "select '# ' || scenario || ' ' || family || ': ' || message from v_failure"
check "--link veth: the scenarios pass (exit $rc)" [ "$rc" -eq 0 ]
eq "... every case that names no link ran on veth, the relay's on the relay" "$DB" \
    "select group_concat(scenario || ' ' || link, ', ') from (select distinct scenario, link
     from cases order by scenario)" \
    "abort-linger0 veth, close-unread-data veth, four-way-close veth, half-close veth, simultaneous-close relay, three-way-close veth"
eq "... the veth ends have the second link's addresses (the relay's default is the first)" "$DB" \
    "select count(*) from cases where link = 'veth' and ((client_addr like '192.0.2.3:%'
     and server_addr like '192.0.2.4:%') or (client_addr like '[2001:db8::3]:%'
     and server_addr like '[2001:db8::4]:%'))" 10
eq "... and their wire was observed" "$DB" \
    "select count(*) from cases where link = 'veth' and wire = 'observed'
     and (select count(*) from segments where case_id = cases.id) >= 4" 10

# The same scenarios on lo: the same segments (direction, flags, length),
# in the same order.
"$TD" --once --link lo --db "$T/lo.db" --only "$ONLY" > /dev/null 2>&1
wire() {
	sqlite3 "$1" "select scenario || ' ' || family || ': ' || group_concat(dir || ' ' || flags
	    || ' ' || len, ', ') from (select * from v_segment where scenario <> 'simultaneous-close'
	    order by scenario, family, idx) group by scenario, family"
}
wire "$DB" > "$T/veth.wire"
wire "$T/lo.db" > "$T/lo.wire"
check "the wire on veth is the wire on lo ($(wc -l < "$T/veth.wire") cases)" \
    sh -c "[ $(wc -l < "$T/veth.wire") -eq 10 ] && diff '$T/lo.wire' '$T/veth.wire'"

# mtu and sysctls: namespaces of their own. At the default MTU (1500) the
# receive queue of close-with-unsent-data holds three 1448-byte segments
# (4344 bytes), not the 4096 it expects from lo; at 65535 it passes. A
# client tcp_fin_timeout of 1 s ends the client's FIN_WAIT2 orphan in
# about a second; without it (60 s) it is still there.
awk '/^\[close-with-unsent-data\]/ { p = 1; print "[cwud-1500]"; print "link    = veth"; next }
     /^\[/ { p = 0 } p' etc/scenarios/*.ini > "$T/own.ini"
awk '/^\[close-with-unsent-data\]/ { p = 1; print "[cwud-jumbo]"; print "link    = veth";
     print "mtu     = 65535"; next } /^\[/ { p = 0 } p' etc/scenarios/*.ini >> "$T/own.ini"
cat >> "$T/own.ini" <<'EOF'
[veth-fin-timeout]
summary = With the client's tcp_fin_timeout at 1 s, its FIN_WAIT2 orphan ends in about a second
link    = veth
sysctl  = client net.ipv4.tcp_fin_timeout 1
steps   = client close
          client wait state FIN_WAIT2 within 1s
          client wait state CLOSED within 3s

[veth-hop]
summary = Both ends' TTL and hop limit at 10: a per-namespace and a per-device (td0) sysctl
link    = veth
sysctl  = both net.ipv4.ip_default_ttl 10
          both net.ipv6.conf.td0.hop_limit 10
steps   = client close
          server recv eof
          server close

[veth-fin-default]
summary = With the default tcp_fin_timeout (60 s), the orphan is still in FIN_WAIT2 after 1.5 s
link    = veth
steps   = client close
          client wait state FIN_WAIT2 within 1s
          client sleep 1500ms
          client expect state FIN_WAIT2
EOF
"$TD" --once --db "$T/own.db" --scenarios "$T/own.ini" \
    --only cwud-1500,cwud-jumbo,veth-fin-timeout,veth-fin-default,veth-hop > /dev/null 2>&1
eq "mtu: close-with-unsent-data fails at MTU 1500 (three 1448-byte segments), passes at 65535" \
    "$T/own.db" "select group_concat(scenario || ' ' || family || ' ' || verdict || ' ' ||
     coalesce(substr(message, instr(message, ':') + 2), ''), ', ') from (select * from cases order by scenario, family)
     where scenario like 'cwud%'" \
    "cwud-1500 ipv4 fail rqueue is 4344, expected = 4096, cwud-1500 ipv6 fail rqueue is 4284, expected = 4096, cwud-jumbo ipv4 pass , cwud-jumbo ipv6 pass "
eq "sysctl: the client's tcp_fin_timeout holds in its namespace only" "$T/own.db" \
    "select group_concat(scenario || ' ' || verdict, ', ') from (select distinct scenario, verdict
     from cases where scenario like 'veth-fin%' order by scenario)" \
    "veth-fin-default pass, veth-fin-timeout pass"
eq "... the four with an mtu or sysctls on namespaces of their own" "$T/own.db" \
    "select count(distinct substr(client_addr, 1, instr(client_addr, ':') - 1)) from cases
     where family = 'ipv4'" 4
# The headers stored: IPv4's TTL is byte 9, IPv6's hop limit byte 8.
eq "sysctl: both ends' segments left with TTL / hop limit 10 (the server's td0 too)" "$T/own.db" \
    "select group_concat(distinct family || ' ' || dir || ' ' || case family when 'ipv4'
     then substr(hex(headers), 17, 2) else substr(hex(headers), 15, 2) end) from
     (select * from v_segment where scenario = 'veth-hop' order by family, dir)" \
    "ipv4 C>S 0A,ipv4 S>C 0A,ipv6 C>S 0A,ipv6 S>C 0A"

# An ordinary user: the veth link inside teardownd's own user namespace.
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	chmod 0777 "$T"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TD" --once --link veth \
	    --db "$T/u.db" --only four-way-close,three-way-close > /dev/null 2> "$T/uerr"
	rc=$?
	check "as an ordinary user the veth link runs (exit $rc)" [ "$rc" -eq 0 ]
	eq "... its cases pass on veth, their wire observed" "$T/u.db" \
	    "select count(*) from cases where verdict = 'pass' and link = 'veth' and wire = 'observed'" 4
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TD" --once --isolation host \
	    --link veth --db "$T/h.db" --only four-way-close > /dev/null 2> "$T/herr"
	eq "without namespaces (--isolation host), its cases are skipped with the reason" "$T/h.db" \
	    "select distinct verdict || ': ' || message from cases" \
	    "skipped: skipped: the veth link cannot run here (cannot make a network namespace: Operation not permitted)"
	check "... said once at start-up" \
	    [ "$(grep -c "veth link are skipped: it cannot run here" "$T/herr")" -eq 1 ]
else
	echo "ok - # skip the ordinary user's checks: they need root and setpriv"
fi

# Nothing left behind: the namespaces teardownd's threads lived in are in
# no process once it has ended, and no td0 is where it started.
cat > "$T/slow.ini" <<'EOF'
[veth-slow]
summary = A veth case that lasts long enough to be looked at
link    = veth
steps   = client sleep 500ms
EOF
"$TD" --once --db "$T/l.db" --scenarios "$T/slow.ini" --only veth-slow > /dev/null 2>&1 &
check_left_behind $! 5
finish
