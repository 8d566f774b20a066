#!/bin/sh
# Cross-check with iproute2's ss: the states teardownd reports for a case's
# 4-tuples are the states ss sees for the same 4-tuples while the case runs:
# on lo inside teardownd's namespace, and on the relay and veth links inside
# each of their two namespaces (found through the threads that live in them).
. "$(dirname "$0")/lib.inc"
DB="$T/t.db"
cat > "$T/hold.ini" <<'EOS'
[ss-hold]
summary = Holds each end in FIN_WAIT2/CLOSE_WAIT, then TIME_WAIT/LAST_ACK, for 1 s each
steps   = client shutdown wr
          server recv eof
          client wait state FIN_WAIT2 within 1s
          client sleep 1s
          client expect state FIN_WAIT2
          server expect state CLOSE_WAIT
          server filter drop ack
          server shutdown wr
          client wait state TIME_WAIT within 1s
          client close
          client sleep 1s
          client expect state TIME_WAIT
          server expect state LAST_ACK
          server filter none
          server wait state CLOSED within 3s
EOS

"$TD" --once --db "$DB" --scenarios "$T/hold.ini" --only ss-hold > "$T/out" 2> "$T/err" &
pid=$!
# ss every 50 ms while the run lasts (at most 10 s), inside teardownd's
# network namespace (a private one when it runs as root).
i=0
while [ "$i" -lt 200 ] && kill -0 "$pid" 2>/dev/null; do
	nsenter --net="/proc/$pid/ns/net" ss -tanH state all >> "$T/ss.txt" 2>/dev/null
	sleep 0.05; i=$((i + 1))
done
wait "$pid"
rc=$?
check "the holding scenario passes on both families (exit $rc)" [ "$rc" -eq 0 ]

# The same on the relay link and on veth: the client ends in one
# namespace, the server ends in the other; ss runs in every namespace
# teardownd's threads are in.
ssloop() {
	i=0
	while [ "$i" -lt 200 ] && kill -0 "$1" 2>/dev/null; do
		for t in /proc/$1/task/*; do readlink "$t/ns/net"; done 2>/dev/null | sort -u |
		while read -r ns; do
			for t in /proc/$1/task/*; do
				[ "$(readlink "$t/ns/net" 2>/dev/null)" = "$ns" ] || continue
				nsenter --net="$t/ns/net" ss -tanH state all 2>/dev/null
				break
			done
		done >> "$2"
		sleep 0.05; i=$((i + 1))
	done
}
sed 's/^\[ss-hold\]/[ss-hold-relay]\nlink    = relay/; s/server filter drop ack/relay  drop C>S ./;
    s/server filter none/relay  clear/' "$T/hold.ini" > "$T/relay.ini"
"$TD" --once --db "$T/r.db" --scenarios "$T/relay.ini" --only ss-hold-relay \
    > "$T/rout" 2> "$T/rerr" &
pid=$!
ssloop "$pid" "$T/rss.txt"
wait "$pid"
rc=$?
check "on the relay link, the holding scenario passes on both families (exit $rc)" [ "$rc" -eq 0 ]
"$TD" --once --db "$T/v.db" --scenarios "$T/hold.ini" --only ss-hold --link veth \
    > "$T/vout" 2> "$T/verr" &
pid=$!
ssloop "$pid" "$T/vss.txt"
wait "$pid"
rc=$?
check "on the veth link, the holding scenario passes on both families (exit $rc)" [ "$rc" -eq 0 ]
eq "... on veth" "$T/v.db" "select group_concat(distinct link) from cases" veth

# Every (end, state) teardownd reported at an expect step must be in ss's log.
compare() {
sqlite3 -separator ' ' "$1" "
    select client_addr, server_addr, client_state from v_step join cases on cases.id = v_step.case_id
     where verb = 'expect state' and side = 'client'
    union
    select server_addr, client_addr, server_state from v_step join cases on cases.id = v_step.case_id
     where verb = 'expect state' and side = 'server'" > "$T/want.txt"
check "teardownd reported 8 end states (4 per family)$3" [ "$(wc -l < "$T/want.txt")" -eq 8 ]
while read -r local peer state; do
	ssname=$(echo "$state" | sed 's/FIN_WAIT\([12]\)/FIN-WAIT-\1/; s/_/-/')
	check "ss saw $local -> $peer in $ssname, as teardownd reported $state" \
	    awk -v l="$local" -v p="$peer" -v s="$ssname" \
	    '$1 == s && $4 == l && $5 == p { found = 1 } END { exit !found }' "$2"
done < "$T/want.txt"
}
compare "$DB" "$T/ss.txt" ""
compare "$T/r.db" "$T/rss.txt" " on the relay link"
compare "$T/v.db" "$T/vss.txt" " on the veth link"
finish
