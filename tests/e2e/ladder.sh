#!/bin/sh
# teardownctl ladder draws a stored case: with its wire observed, one arrow
# per stored segment between the client's and the server's bars, in lines
# that fit a terminal, and the states each end went through beside its
# bar (at their traced moment when teardownd may load BPF, else as the
# steps saw them, and it says so); --svg is a well-formed SVG document
# (xmllint) with an arrow per segment. A case whose wire was not observed
# (teardownd without CAP_NET_RAW) is drawn from its states and says so.
# Bad arguments exit 64.
. "$(dirname "$0")/lib.inc"
DB="$T/t.db"
"$TD" --once --db "$DB" --only four-way-close,abort-linger0 > /dev/null 2>&1

# Runs teardownctl, keeping exit code in rc and output in $T/out, $T/err.
ctl() { "$CTL" --db "$DB" "$@" > "$T/out" 2> "$T/err"; rc=$?; }

wire=$(sqlite3 "$DB" "select wire from runs")
ctl ladder 1/four-way-close/ipv4
check "ladder CASE exits 0" [ "$rc" -eq 0 ]
check "ladder CASE names the case on its first line" \
    grep -q "^c[0-9]* four-way-close ipv4 rep 0: pass (run 1, kernel " "$T/out"
if [ "$(sqlite3 "$DB" "select transitions from runs")" = observed ]; then
	check "ladder CASE writes the traced states beside their bars: the server's LAST_ACK" \
	    grep -q "|  *| LAST_ACK$" "$T/out"
	check "... the client's TIME_WAIT" grep -q "TIME_WAIT |  *|$" "$T/out"
else
	check "ladder CASE writes both ends' states beside their bars" \
	    grep -q "TIME_WAIT |  *| CLOSED$" "$T/out"
	check "... and says its transitions were not observed" \
	    grep -q "transitions not observed" "$T/out"
fi
check "ladder CASE lines fit 96 columns" [ "$(awk 'length > 96' "$T/out" | wc -l)" -eq 0 ]
if [ "$wire" = observed ]; then
	nseg=$(sqlite3 "$DB" "select count(*) from v_segment
	    where scenario = 'four-way-close' and family = 'ipv4'")
	check "ladder CASE draws an arrow per stored segment ($nseg)" \
	    [ "$(grep -c -e '->|$' -e '|<-' "$T/out")" -eq "$nseg" ]
	check "ladder CASE draws the client's FIN to the right" \
	    grep -q "|-* F\. seq 101 ack 1 -*>|" "$T/out"
	check "ladder CASE draws the server's FIN to the left" \
	    grep -q "|<-* F\. seq 1 ack 102 -*|" "$T/out"
	ctl ladder 1/abort-linger0/ipv6
	check "ladder CASE draws the RST" grep -q "|-* R\. seq 1 ack 1 -*>|" "$T/out"
else
	echo "# the wire was not observed ($wire): no arrows to check"
fi

ctl ladder 1/four-way-close/ipv4 --svg
check "ladder --svg exits 0" [ "$rc" -eq 0 ]
check "ladder --svg is well-formed XML" xmllint --noout "$T/out"
if [ "$wire" = observed ]; then
	check "ladder --svg draws an arrow per segment" \
	    [ "$(grep -c 'marker-end=' "$T/out")" -eq "$nseg" ]
fi

# Without CAP_NET_RAW there is no capture: the wire is not observed.
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	setpriv --bounding-set=-net_raw --inh-caps=-net_raw \
	    "$TD" --once --db "$DB" --only four-way-close --family ipv4 > /dev/null 2>&1
	ctl ladder 2/four-way-close/ipv4
	check "a wire not observed: the ladder has no arrows" \
	    [ "$(grep -c -e '->|$' -e '|<-' "$T/out")" -eq 0 ]
	check "a wire not observed: the ladder has the states" \
	    grep -q "FIN_WAIT2 |  *|$" "$T/out"
	check "a wire not observed: the ladder says so" \
	    grep -q "the wire of this case was not observed" "$T/out"
	ctl ladder 2/four-way-close/ipv4 --svg
	check "a wire not observed: the SVG is well-formed and says so" \
	    xmllint --noout "$T/out" && grep -q "was not observed" "$T/out"
fi

ctl ladder
check "ladder without CASE exits 64" [ "$rc" -eq 64 ]
ctl ladder 1
check "ladder RUN exits 64" [ "$rc" -eq 64 ]
ctl ladder c9999
check "ladder of an unknown case exits 66" [ "$rc" -eq 66 ]
ctl show 1 --svg
check "--svg on another command exits 64" [ "$rc" -eq 64 ]
ctl --json ladder 1/four-way-close/ipv4
check "--json on ladder exits 64" [ "$rc" -eq 64 ]
finish
