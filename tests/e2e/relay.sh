#!/bin/sh
# The relay link: scenarios whose ends live in two namespaces with
# teardownd the wire between them. Its rules drop, hold and release
# segments, and what it did is stored with each segment, in the order it
# delivered them; a release that finds nothing held fails with why;
# tcpdump inside the client's namespace sees what the relay stored; an
# ordinary user gets the relay inside teardownd's user namespace; where
# the relay cannot run its scenarios are skipped with the reason; nothing
# is left behind.
. "$(dirname "$0")/lib.inc"
DB="$T/r.db"

cat > "$T/relay.ini" <<'EOF'
[relay-drop-ack]
summary = The relay drops the client's last ACK: the server in LAST_ACK retransmits its FIN
link    = relay
steps   = client send 100
          server recv 100
          client shutdown wr
          client wait state FIN_WAIT2 within 1s
          relay  drop C>S . 1
          server close
          client wait state TIME_WAIT within 1s
          server wait state CLOSED within 2s
wire    = C>S F. ; S>C . ; S>C F. ; C>S . ; S>C F. ; C>S .

[relay-hold-data]
summary = Data held by the relay arrives only when released
link    = relay
steps   = relay  hold C>S P.
          client send 100
          server recv 100 nonblock
          server expect errno EAGAIN
          relay  release
          server recv 100
          relay  clear
          client close
          server recv eof
          server close
          client wait state TIME_WAIT within 1s

[relay-unreleased]
summary = A FIN still held when the case ends is stored as unreleased
link    = relay
steps   = relay  hold C>S F.
          client shutdown wr
          client wait state FIN_WAIT1 within 1s
          server sleep 20ms
          server expect state ESTABLISHED
EOF
sed -i 's/^          server expect errno EAGAIN/          server expect errno EAGAIN/' "$T/relay.ini"
"$TD" --once --db "$DB" --scenarios "$T/relay.ini" \
    --only relay-drop-ack,relay-hold-data,relay-unreleased > "$T/out" 2> "$T/err"
rc=$?
sqlite3 "$DB" "select '# ' || scenario || ' ' || family || ': ' || message from v_failure"
check "the relay's scenarios pass on both families (exit $rc)" [ "$rc" -eq 0 ]
eq "... six cases, all on the relay link" "$DB" \
    "select count(*) from cases where link = 'relay' and verdict = 'pass'" 6
eq "the ends live in 192.0.2.0/24 and 2001:db8::/64" "$DB" \
    "select count(*) from cases where (client_addr like '192.0.2.1:%' and server_addr like '192.0.2.2:%')
     or (client_addr like '[2001:db8::1]:%' and server_addr like '[2001:db8::2]:%')" 6
eq "drop: the client's first ACK of the server's FIN dropped, the second passed" "$DB" \
    "select group_concat(mark, ' ') from (select mark from v_segment where scenario = 'relay-drop-ack'
     and family = 'ipv4' and dir = 'C>S' and flags = '.' and ack = 2 order by idx)" "dropped passed"
eq "drop: the relay's steps are stored with the side 'relay'" "$DB" \
    "select group_concat(side || ' ' || verb || ' ' || args, ', ') from steps join cases
     on cases.id = case_id where scenario = 'relay-drop-ack' and family = 'ipv6' and side = 'relay'" \
    "relay drop C>S . 1"
eq "hold: the data was held, then delivered before the server read it" "$DB" \
    "select count(*) from v_segment where scenario = 'relay-hold-data' and len = 100
     and mark = 'held' and held_us > 0" 2
eq "hold: the nonblocking read before the release found nothing" "$DB" \
    "select count(*) from v_step where scenario = 'relay-hold-data' and verb = 'recv'
     and args = '100 nonblock' and errno = 'EAGAIN'" 2
eq "hold: the release delivered one segment" "$DB" \
    "select group_concat(distinct rc) from v_step where scenario = 'relay-hold-data'
     and verb = 'release'" 1
eq "unreleased: the held FIN is stored as such, never delivered" "$DB" \
    "select count(*) from v_segment where scenario = 'relay-unreleased' and flags = 'F.'
     and mark = 'unreleased' and held_us >= 20000" 2
eq "segments are stored in the order the relay passed them on" "$DB" \
    "select count(*) from segments a join segments b on a.case_id = b.case_id
     and b.idx = a.idx + 1 where b.t_us < a.t_us" 0
"$CTL" --db "$DB" show last/relay-unreleased/ipv4 > "$T/show" 2>&1
check "show marks the unreleased FIN" grep -q "C>S  *F\..*unreleased" "$T/show"
"$CTL" --db "$DB" ladder last/relay-drop-ack/ipv4 > "$T/ladder" 2>&1
check "the ladder marks the dropped ACK" grep -q -- "-- \. seq 102 ack 2 \[dropped\] -*>" "$T/ladder"

# teardownctl pcap: a pcapng file whose packet comments say what the relay
# did; tshark reads them, with good checksums.
if command -v tshark > /dev/null; then
	"$CTL" --db "$DB" pcap last/relay-drop-ack/ipv4 > "$T/drop.pcapng"
	tshark -r "$T/drop.pcapng" -o tcp.check_checksum:TRUE -T fields \
	    -e tcp.checksum.status -e frame.comment 2>/dev/null > "$T/drop.txt"
	check "pcap: tshark reads the $(wc -l < "$T/drop.txt") segments stored, checksums good" \
	    [ "$(wc -l < "$T/drop.txt")" -eq "$(sqlite3 "$DB" "select count(*) from v_segment
	      where scenario = 'relay-drop-ack' and family = 'ipv4'")" ] &&
	    [ "$(cut -f1 "$T/drop.txt" | sort -u)" = 1 ]
	check "pcap: the dropped ACK is commented as such, and only it" \
	    [ "$(cut -f2 "$T/drop.txt" | grep -v '^$')" = "teardownd relay: dropped, never delivered" ]
	"$CTL" --db "$DB" pcap last/relay-hold-data/ipv6 > "$T/hold.pcapng"
	check "pcap: the held data says how long it was held" \
	    sh -c "tshark -r '$T/hold.pcapng' -Y frame.comment -T fields -e frame.comment 2>/dev/null |
	    grep -Eq '^teardownd relay: held [0-9]+\.[0-9] ms, then released\$'"
else
	echo "ok - # skip the pcap checks: no tshark"
fi

# --link relay: the scenarios that do not name a link run on the relay
# link, and each case says where it ran; the others keep theirs.
"$TD" --once --link relay --db "$T/k.db" --only four-way-close,simultaneous-close \
    > /dev/null 2>&1
rc=$?
check "--link relay: four-way-close passes on the relay link too (exit $rc)" [ "$rc" -eq 0 ]
eq "... every case stores the relay link" "$T/k.db" \
    "select group_concat(distinct link) from cases" relay
eq "... with the relay's addresses" "$T/k.db" \
    "select count(*) from cases where client_addr like '192.0.2.%' or client_addr like '[2001:db8::%'" 4
"$TD" --once --link lo --db "$T/k2.db" --only four-way-close,simultaneous-close \
    > /dev/null 2>&1
eq "--link lo: a scenario that names the relay keeps it" "$T/k2.db" \
    "select group_concat(scenario || ' ' || link, ', ') from (select distinct scenario, link
     from cases order by scenario)" "four-way-close lo, simultaneous-close relay"
"$TD" --once --link ether --db "$T/k3.db" > "$T/k3.out" 2>&1
rc=$?
check "--link ether: a usage error, one line (exit $rc)" [ "$rc" -eq 64 ] &&
    [ "$(cat "$T/k3.out")" = "teardownd: --link: 'ether' is not lo, veth or relay" ]

# mtu = N: half-close expects the server's 5000 bytes as one segment, as
# on lo; on the relay link's default MTU (1500) they are four, and its wire
# pattern fails; with mtu = 65535 it passes, on namespaces of its own.
awk '/^\[half-close\]/ { p = 1; print "[half-close-1500]"; print "link    = relay"; next }
     /^\[/ { p = 0 } p' etc/scenarios/*.ini > "$T/mtu.ini"
awk '/^\[half-close\]/ { p = 1; print "[half-close-jumbo]"; print "link    = relay";
     print "mtu     = 65535"; next } /^\[/ { p = 0 } p' etc/scenarios/*.ini >> "$T/mtu.ini"
"$TD" --once --db "$T/m.db" --scenarios "$T/mtu.ini" --only half-close-1500,half-close-jumbo \
    > /dev/null 2>&1
eq "mtu: half-close fails its wire at MTU 1500, passes at 65535" "$T/m.db" \
    "select group_concat(scenario || ' ' || verdict, ', ') from (select distinct scenario, verdict
     from cases order by scenario)" "half-close-1500 fail, half-close-jumbo pass"
eq "mtu: the MTU 65535 case has namespaces of its own (the next addresses)" "$T/m.db" \
    "select count(*) from cases where scenario = 'half-close-jumbo' and
     (client_addr like '192.0.2.3:%' or client_addr like '[2001:db8::3]:%')" 2

# A release with nothing held fails, saying so.
cat > "$T/none.ini" <<'EOF'
[relay-nothing]
summary = Nothing is held: the release fails after its limit
link    = relay
steps   = relay  release within 50ms
EOF
"$TD" --once --db "$T/n.db" --scenarios "$T/none.ini" --only relay-nothing \
    --family ipv4 > /dev/null 2>&1
rc=$?
check "a release with nothing held fails the run (exit $rc)" [ "$rc" -eq 1 ]
eq "... with why" "$T/n.db" "select message from cases" "line 4: no segment held after 50 ms"

# tcpdump inside the client's namespace (found through the thread that
# lives there) sees every segment the relay stored, in its order; tshark
# finds every checksum right, the injected RST's too, and the client
# answered that RST with a challenge ACK (the kernel took it).
if [ "$(id -u)" = 0 ] && command -v tcpdump > /dev/null && command -v nsenter > /dev/null; then
	cat > "$T/dump.ini" <<'EOF'
[relay-dumped]
summary = An injected RST, then the simultaneous close, after a pause that lets tcpdump start
link    = relay
steps   = client sleep 1500ms
          client connect
          relay  inject S>C R seq next+100
          client sleep 10ms
          relay  hold * F.
          relay  hold * .
          both   shutdown wr
          relay  release together
          both   wait state CLOSING within 1s
          relay  release together
          both   wait state TIME_WAIT within 1s
EOF
	"$TD" --once --db "$T/d.db" --scenarios "$T/dump.ini" --only relay-dumped \
	    --family ipv4 > /dev/null 2> "$T/derr" &
	td=$!
	ns=""
	n=0
	while [ -z "$ns" ] && [ "$n" -lt 50 ]; do
		sleep 0.02
		for t in /proc/$td/task/*; do
			if nsenter --net="$t/ns/net" ip -br addr show td0 2>/dev/null |
			    grep -q "192.0.2.1/"; then ns="$t/ns/net"; break; fi
		done
		n=$((n + 1))
	done
	check "the client's namespace has td0 with 192.0.2.1" [ -n "$ns" ]
	nsenter --net="$ns" tcpdump -i td0 -n -U --immediate-mode -s 128 -w "$T/d.pcap" tcp \
	    > /dev/null 2> "$T/tcpdump.err" &
	dump=$!
	wait "$td"
	rc=$?
	sleep 0.2
	kill -INT "$dump" 2>/dev/null; wait "$dump"
	check "the case passed (exit $rc)" [ "$rc" -eq 0 ]
	# tcpdump's order (each end's sends and what the relay delivered to
	# the client) against the database's, as direction and flags.
	cport=$(sqlite3 "$T/d.db" "select substr(client_addr, 11) from cases")
	tcpdump -r "$T/d.pcap" -n 2>/dev/null | awk -v c="192.0.2.1.$cport" '
	    { split($0, a, "Flags \\["); split(a[2], f, "]")
	      print ($3 == c ? "C>S" : "S>C"), f[1] }' > "$T/td"
	sqlite3 -separator ' ' "$T/d.db" "select dir, flags from v_segment order by idx" > "$T/db"
	check "tcpdump in the client's namespace saw the $(wc -l < "$T/db") segments stored, in order" \
	    diff "$T/db" "$T/td"
	if command -v tshark > /dev/null; then
		tshark -r "$T/d.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
		    -T fields -e tcp.flags.str -e tcp.checksum.status -e ip.checksum.status \
		    2>/dev/null | tr -d '\302\267' > "$T/sums"
		# tshark's checksum status: 1 good, 0 bad, 2 not checked.
		check "tshark: every checksum on the client's device is right ($(wc -l < "$T/sums") segments)" \
		    awk -F '\t' 'NF != 3 || $2 != 1 || $3 != 1 { bad = 1 } END { exit bad || NR < 9 }' "$T/sums"
		check "... the injected RST's too" grep -q "^R	1	1\$" "$T/sums"
	fi
	eq "the client answered the injected RST with a challenge ACK" "$T/d.db" \
	    "select group_concat(dir || ' ' || flags || ' ' || mark, ', ') from (select * from v_segment
	     where idx in (3, 4) order by idx)" "S>C R injected, C>S . passed"
else
	echo "ok - # skip the tcpdump check: it needs root, tcpdump and nsenter"
fi

# An ordinary user: the relay runs inside teardownd's own user namespace
# when /dev/net/tun is open to all (0666, as Debian's udev makes it: here a
# private copy in a mount namespace of the test's own); in the host's
# namespace (no right to make namespaces) it cannot, and the relay's
# scenarios are skipped with the reason.
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null && command -v unshare > /dev/null; then
	chmod 0777 "$T"
	unshare -m sh -c 'mount -t tmpfs -o mode=0755 none /dev/net &&
	    mknod -m 0666 /dev/net/tun c 10 200 && exec setpriv --reuid=65534 \
	    --regid=65534 --clear-groups "$0" --once --db "$1" --only simultaneous-close' \
	    "$TD" "$T/u.db" > /dev/null 2> "$T/uerr"
	rc=$?
	check "as an ordinary user the relay runs (exit $rc)" [ "$rc" -eq 0 ]
	eq "... and its cases pass" "$T/u.db" "select count(*) from cases where verdict = 'pass'" 2
	unshare -m sh -c 'mount -t tmpfs -o mode=0755 none /dev/net &&
	    mknod -m 0600 /dev/net/tun c 10 200 && exec setpriv --reuid=65534 \
	    --regid=65534 --clear-groups "$0" --once --db "$1" --only simultaneous-close' \
	    "$TD" "$T/p.db" > /dev/null 2> "$T/perr"
	eq "with /dev/net/tun closed to it (0600), the relay's cases are skipped, saying why" \
	    "$T/p.db" "select distinct verdict || ': ' || message from cases" \
	    "skipped: skipped: the relay link cannot run here (/dev/net/tun: Permission denied (the relay needs it readable and writable: run as root, or give it mode 0666))"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TD" --once --isolation host \
	    --db "$T/h.db" --only simultaneous-close,three-way-close > /dev/null 2> "$T/herr"
	rc=$?
	check "where the relay cannot run, the run passes all the same (exit $rc)" [ "$rc" -eq 0 ]
	eq "... its scenarios skipped, the others run" "$T/h.db" \
	    "select scenario || ' ' || verdict from cases group by 1 order by 1" \
	    "simultaneous-close skipped
three-way-close pass"
	eq "... with the reason" "$T/h.db" "select distinct message from cases where verdict = 'skipped'" \
	    "skipped: the relay link cannot run here (cannot make a network namespace: Operation not permitted)"
	check "... said once at start-up, with how to grant it" \
	    [ "$(grep -c "relay link are skipped: it cannot run here.*/dev/net/tun" "$T/herr")" -eq 1 ]
else
	echo "ok - # skip the ordinary user's checks: they need root and setpriv"
fi

# Nothing left behind: the namespaces teardownd's threads lived in are in
# no process once it has ended, and no td0 is where it started.
cat > "$T/slow.ini" <<'EOF'
[relay-slow]
summary = A relay case that lasts long enough to be looked at
link    = relay
sysctl  = client net.ipv4.tcp_rfc1337 1
steps   = client sleep 500ms
EOF
"$TD" --once --db "$T/l.db" --scenarios "$T/slow.ini" --only relay-slow,simultaneous-close \
    > /dev/null 2>&1 &
check_left_behind $! 5
finish
