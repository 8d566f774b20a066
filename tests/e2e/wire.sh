#!/bin/sh
# The wire: teardownd's own capture against independent tools.
# (a) `teardownctl pcap` of four-way-close, read by tshark, shows the flags,
#     relative seq/ack, lengths and windows the database holds, and the
#     headers tcpdump saw (options, timestamps, raw numbers);
# (b) while a run goes, tcpdump captures lo: for every case on lo, its
#     segments for the case's 4-tuple are the ones teardownd stored (count,
#     flags, relative numbers, window, time within 1 ms), followed by
#     nothing but the clean-up RSTs (relay cases: tests/e2e/relay.sh);
# (c) without CAP_NET_RAW the run passes all the same, warns once, and the
#     database, `teardownctl show` and `teardownctl pcap` say the wire was
#     not observed, but for the relay link's cases, which the relay sees.
. "$(dirname "$0")/lib.inc"
DB="$T/t.db"
SEED=four-way-close,three-way-close,simultaneous-close,abort-linger0,close-unread-data

# One line per segment of the first client/server pair from the database:
# dir flags seq ack len win t_us (the case's addresses are the first pair's).
db_segments() {
	sqlite3 -separator ' ' "$DB" "select dir, printf('0x%04x', flag_bits), seq,
	    coalesce(ack, 0), len, win, t_us from v_segment where case_id = $1
	    and pair = 1 order by idx"
}

# The same from a pcap file through tshark, for the client port $2 and
# server port $3 (times from $4, the case's start in us); $5 '-' for all.
tshark_segments() {
	tshark -r "$1" -Y "tcp.port == $2 && tcp.port == $3" -T fields \
	    -e tcp.srcport -e tcp.flags -e tcp.seq -e tcp.ack -e tcp.len \
	    -e tcp.window_size_value -e frame.time_epoch 2>/dev/null |
	awk -v c="$2" -v t0="$4" '{ split($7, f, "."); us = f[1] * 1000000 + substr(f[2] "000000", 1, 6)
	    print ($1 == c ? "C>S" : "S>C"), $2, $3, $4, $5, $6, us - t0 }'
}

# The headers of the segments between ports $2 and $3 of pcap file $1:
# raw sequence number, MSS, window scale, SACK permitted, TSval, TSecr,
# scaled window, IP identification (IPv4), TTL or hop limit.
tshark_headers() {
	tshark -r "$1" -Y "tcp.port == $2 && tcp.port == $3" -T fields \
	    -e tcp.seq_raw -e tcp.options.mss_val -e tcp.options.wscale.shift \
	    -e tcp.options.sack_perm -e tcp.options.timestamp.tsval \
	    -e tcp.options.timestamp.tsecr -e tcp.window_size -e ip.id -e ip.ttl \
	    -e ipv6.hlim 2>/dev/null
}

# tshark's analysis of the segments between ports $2 and $3 of pcap file
# $1: relative sequence and ack numbers, next sequence number, the
# analysis flags and expert messages (window updates, FIN/RST notes...).
tshark_analysis() {
	tshark -r "$1" -Y "tcp.port == $2 && tcp.port == $3" -T fields \
	    -e tcp.seq -e tcp.ack -e tcp.nxtseq -e tcp.analysis.flags \
	    -e _ws.expert.message 2>/dev/null
}

# The port of an address "127.0.0.1:40000" or "[::1]:40000".
port() { echo "${1##*:}"; }

# Whether two segment lists are the same: equal lines but for the time,
# which may differ a little (each packet socket stamps its own copy when
# it gets it: mostly 0-1 us apart, 55 us seen under load); prints the
# lines that differ.
same_segments() {
	[ "$(wc -l < "$1")" -eq "$(wc -l < "$2")" ] || { diff "$1" "$2"; return 1; }
	paste -d ' ' "$1" "$2" | awk '{ d = $7 - $14; if (d < 0) d = -d
	    for (i = 1; i <= 6; i++) if ($i != $(i + 7)) d = 1e9
	    if (d > 1000) { print "differ: " $0; bad = 1 } } END { exit bad }'
}

# Whether every segment line on stdin carries RST (flags 0x..04).
all_rst() {
	while read -r dir flags rest; do
		[ $((flags & 4)) -ne 0 ] || return 1
	done
}

if [ "$(id -u)" != 0 ] || ! command -v tshark > /dev/null || ! command -v tcpdump > /dev/null; then
	echo "ok - # skip (a) and (b): they need root, tshark and tcpdump"
else
	# (b) first: tcpdump on the host's lo, teardownd in the host's namespace.
	tcpdump -i lo --immediate-mode -U -Z root -s 128 -w "$T/dump.pcap" tcp > /dev/null 2> "$T/tcpdump.err" &
	dump=$!
	n=0
	until grep -q "listening on" "$T/tcpdump.err" || [ "$n" -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
	"$TD" --once --isolation host --db "$DB" > "$T/out" 2> "$T/err"
	rc=$?
	sleep 0.2
	kill -INT "$dump"; wait "$dump"
	check "the catalogue ran with the capture on (exit $rc)" [ "$rc" -le 1 ]
	eq "the run observed the wire" "$DB" "select wire from runs" observed
	eq "every case observed its wire" "$DB" "select count(*) from cases where wire <> 'observed'" 0
	eq "every case has segments, from its SYN" "$DB" "select count(*) from cases c where
	    (select flags from segments where case_id = c.id and idx = 0) is not 'S'" 0
	sqlite3 -separator ' ' "$DB" "select id, scenario || '/' || family, client_addr,
	    server_addr, started_us from cases where link = 'lo' order by id" > "$T/cases"
	while read -r id cname ca sa t0; do
		db_segments "$id" > "$T/db.$id"
		tshark_segments "$T/dump.pcap" "$(port "$ca")" "$(port "$sa")" "$t0" > "$T/td.$id"
		n=$(wc -l < "$T/db.$id")
		head -n "$n" "$T/td.$id" > "$T/td.head"
		check "$cname: tcpdump saw the $n segments teardownd stored" \
		    same_segments "$T/db.$id" "$T/td.head"
		tail -n +"$((n + 1))" "$T/td.$id" > "$T/td.tail"
		cat "$T/td.tail" >> "$T/cleanup"
		check "$cname: tcpdump saw nothing more but $(wc -l < "$T/td.tail") clean-up RSTs" \
		    all_rst < "$T/td.tail"
	done < "$T/cases"
	check "some cases ended with clean-up RSTs, and none was stored" [ -s "$T/cleanup" ]

	# (a) teardownctl pcap, read back by tshark.
	for fam in ipv4 ipv6; do
		id=$(sqlite3 "$DB" "select id from cases where scenario = 'four-way-close' and family = '$fam'")
		"$CTL" --db "$DB" pcap "c$id" > "$T/c$id.pcap"
		check "pcap $fam: teardownctl writes the file (exit $?)" [ -s "$T/c$id.pcap" ]
		set -- $(sqlite3 -separator ' ' "$DB" "select client_addr, server_addr, started_us from cases where id = $id")
		db_segments "$id" > "$T/db.$id"
		tshark_segments "$T/c$id.pcap" "$(port "$1")" "$(port "$2")" "$3" > "$T/pcap.$id"
		check "pcap $fam: tshark reads the $(wc -l < "$T/db.$id") segments the database holds" \
		    diff "$T/db.$id" "$T/pcap.$id"
		check "pcap $fam: tshark sees no malformed or checksum-bad packet" \
		    [ -z "$(tshark -r "$T/c$id.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
		        -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null)" ]
		check "pcap $fam: the flags read as the seed's four-way close" [ "$(tshark -r "$T/c$id.pcap" \
		    -T fields -e tcp.flags.str 2>/dev/null | tr -d '\302\267' | tr -d ' ' | tr '\n' ' ')" = \
		    "S AS A AP A AF A AF A " ]
		# The headers as captured: raw numbers, options, scaled windows,
		# IP identification and TTL, as tcpdump saw them live.
		n=$(wc -l < "$T/db.$id")
		tshark_headers "$T/dump.pcap" "$(port "$1")" "$(port "$2")" | head -n "$n" > "$T/hl.$id"
		tshark_headers "$T/c$id.pcap" "$(port "$1")" "$(port "$2")" > "$T/hp.$id"
		check "pcap $fam: each segment's headers are the live capture's (options, timestamps, windows)" \
		    diff "$T/hl.$id" "$T/hp.$id"
		check "pcap $fam: the SYN carries MSS, window scale, SACK permitted and timestamps" \
		    awk -F '\t' 'NR == 1 { ok = $2 != "" && $3 != "" && $4 != "" && $5 != "" }
		        END { exit !ok }' "$T/hp.$id"
		tshark_analysis "$T/dump.pcap" "$(port "$1")" "$(port "$2")" | head -n "$n" > "$T/al.$id"
		tshark_analysis "$T/c$id.pcap" "$(port "$1")" "$(port "$2")" > "$T/ap.$id"
		check "pcap $fam: tshark's analysis of the case ($(grep -c . "$T/al.$id") segments, $(cut -f5 "$T/al.$id" | grep -c .) expert notes) is the live capture's" \
		    diff "$T/al.$id" "$T/ap.$id"
		# Classic pcap, written by libpcap's pcap_dump: the same packets,
		# at the same microseconds, without the comments.
		"$CTL" --db "$DB" pcap "c$id" --format pcap > "$T/c$id.classic"
		check "pcap --format pcap $fam: a classic pcap file (magic a1b2c3d4, raw IP)" \
		    [ "$(od -An -tx4 -N4 "$T/c$id.classic" | tr -d ' ')" = a1b2c3d4 ] && \
		    [ "$(od -An -tu4 -j20 -N4 "$T/c$id.classic" | tr -d ' ')" = 101 ]
		tshark_segments "$T/c$id.classic" "$(port "$1")" "$(port "$2")" "$3" > "$T/classic.$id"
		tshark_headers "$T/c$id.classic" "$(port "$1")" "$(port "$2")" > "$T/hc.$id"
		check "pcap --format pcap $fam: the pcapng's segments and headers" \
		    diff "$T/pcap.$id" "$T/classic.$id" && diff "$T/hp.$id" "$T/hc.$id"
	done
	script -eqc "$CTL --db $DB pcap c1" /dev/null > "$T/tty" 2>&1; rc=$?
	check "pcap refuses to write to a terminal (exit $rc)" [ "$rc" -eq 64 ] && grep -q "terminal" "$T/tty"
fi

# (c) without CAP_NET_RAW.
DB="$T/noraw.db"
if command -v setpriv > /dev/null && [ "$(id -u)" = 0 ]; then
	setpriv --inh-caps=-net_raw --bounding-set=-net_raw \
	    "$TD" --once --db "$DB" --only "$SEED" > "$T/out" 2> "$T/err"
	rc=$?
else
	"$TD" --once --db "$DB" --only "$SEED" > "$T/out" 2> "$T/err"
	rc=$?
fi
check "without CAP_NET_RAW the run passes all the same (exit $rc)" [ "$rc" -eq 0 ]
check "without CAP_NET_RAW one warning says the wire is not observed, and why" \
    [ "$(grep -c "wire.*not observed.*CAP_NET_RAW" "$T/err")" -eq 1 ]
eq "the run records that its wire was observed in part (the relay's cases)" "$DB" \
    "select wire from v_run" partial
eq "every case on lo records it was not observed" "$DB" \
    "select count(*) from v_case where wire = 'not_observed' and link = 'lo'" 8
eq "the relay observed its cases" "$DB" \
    "select count(*) from v_case where wire = 'observed' and link = 'relay'" 2
eq "no segment of a case on lo is stored" "$DB" \
    "select count(*) from segments join cases on cases.id = case_id where link = 'lo'" 0
"$CTL" --db "$DB" show last/four-way-close/ipv4 > "$T/show" 2>&1
check "show CASE says the wire was not observed" grep -q "^wire *not_observed" "$T/show"
"$CTL" --db "$DB" pcap last/four-way-close/ipv4 > "$T/x.pcap" 2> "$T/perr"; rc=$?
check "pcap of that case: one line, exit 66 (got $rc)" [ "$rc" -eq 66 ] && [ "$(wc -l < "$T/perr")" -eq 1 ]
"$TD" --once --no-capture --db "$T/nocap.db" --only four-way-close > /dev/null 2>&1
eq "--no-capture: the wire is not observed" "$T/nocap.db" "select wire from runs" not_observed
finish
