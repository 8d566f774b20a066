#!/bin/sh
# A run longer than a few seconds shows a progress line on a terminal
# (done/total, rate, time left), rewritten in place and cleared before the
# summary; none when stderr is not a terminal, nor under systemd.
. "$(dirname "$0")/lib.inc"
if ! command -v script > /dev/null; then
	echo "ok - # SKIP no script(1) for a terminal"
	exit 0
fi
# close-wait-held takes about 2 s a case; two at once, 8 cases: 8 s.
RUN="$TD --once --only close-wait-held --family ipv4 --repeat 8 --concurrency 2"
script -qec "$RUN --db $T/a.db 2>&1 >/dev/null" "$T/tty" > /dev/null 2>&1
check "on a terminal: exit 0 ($?)" [ "$?" -eq 0 ]
tr '\r' '\n' < "$T/tty" > "$T/lines"
check "... a progress line: done/total, rate, time left" \
    grep -Eq '^[0-9]+/8 cases, [0-9]+/s, about [0-9]+ s left' "$T/lines"
$RUN --db "$T/b.db" > "$T/out" 2> "$T/err"
check "not a terminal: exit 0 ($?)" [ "$?" -eq 0 ]
check "... no progress line" sh -c "! grep -q 'cases, ' '$T/err'"
script -qec "INVOCATION_ID=x $RUN --db $T/c.db 2>&1 >/dev/null" "$T/tty2" > /dev/null 2>&1
check "under systemd (INVOCATION_ID): no progress line" \
    sh -c "! tr '\r' '\n' < '$T/tty2' | grep -q 'cases, '"
finish
