#!/bin/sh
# Without a sock_diag handler for TCP (the tcp_diag module not loaded) the
# kernel answers ENOENT for every lookup, which reads as "gone": closed ends
# would all be CLOSED and half the catalogue fail with wrong states and no
# warning. teardownd checks at start-up instead, in --once and in the
# daemon: a connected pair on loopback must be found by its 4-tuple; if it
# is not, modprobe tcp_diag is tried once, then one line and exit 70. The
# missing handler is made honestly, without unloading anything: an
# LD_PRELOAD library (diag_shim.c) asks the kernel about SCTP, whose
# handler this kernel lacks, where teardownd asks about TCP; modprobe is a
# stand-in that logs its arguments and fails.
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/daemon.inc"
SHIM="$(pwd)/$B/diag_shim.so"
ADDR="@teardownd-diag-$$"
mkdir "$T/bin"
printf '#!/bin/sh\necho "$*" >> "%s/modprobe.log"\nexit 1\n' "$T" > "$T/bin/modprobe"
chmod 755 "$T/bin/modprobe"
# An ASan build must let the library come before its runtime.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS
WANT="teardownd: cannot observe closed ends: IPv4: sock_diag answers ENOENT for a connected pair on loopback (no handler for protocol 6); modprobe tcp_diag failed (exit 1); load the tcp_diag module and start again"

# Runs a command as on a kernel without tcp_diag.
nodiag() {
	PATH="$T/bin:$PATH" DIAG_SHIM_PROTOCOL=132 LD_PRELOAD="$SHIM" "$@"
}

nodiag "$TD" --once --db "$T/o.db" > "$T/out" 2> "$T/err"
rc=$?
check "--once without tcp_diag exits 70 (got $rc)" [ "$rc" -eq 70 ]
check "... with one line saying why and what to load" \
    [ "$(cat "$T/err")" = "$WANT" ]
[ "$(cat "$T/err")" = "$WANT" ] || sed 's/^/# /' "$T/err"
check "... having tried modprobe tcp_diag once" \
    [ "$(cat "$T/modprobe.log")" = tcp_diag ]
check "... and printed no results" [ ! -s "$T/out" ]
eq "... and stored no run" "$T/o.db" "select count(*) from runs" 0

rm -f "$T/modprobe.log"
nodiag "$TD" --once --db "$T/o.db" --family ipv6 --isolation host \
    > "$T/out" 2> "$T/err"
rc=$?
check "--family ipv6 --isolation host: checked on ::1 in the host's namespace, exit 70 ($rc)" \
    [ "$rc" -eq 70 ] && grep -q "closed ends: IPv6: sock_diag answers ENOENT" "$T/err"

rm -f "$T/modprobe.log"
sink "$ADDR" "$T/notify"
NOTIFY_SOCKET="$ADDR" PATH="$T/bin:$PATH" DIAG_SHIM_PROTOCOL=132 \
    LD_PRELOAD="$SHIM" daemon "$T/derr" --db "$T/d.db" --interval 1s
upto 100 dead "$td_pid"
check "the daemon without tcp_diag stops at start-up" dead "$td_pid"
wait "$td_pid"; rc=$?
check "... with exit 70 (got $rc)" [ "$rc" -eq 70 ]
check "... and the same line" [ "$(cat "$T/derr")" = "$WANT" ]
check "... having tried modprobe tcp_diag once" \
    [ "$(cat "$T/modprobe.log")" = tcp_diag ]
check "... before READY=1" sh -c '! grep -q "READY=1" "$1"' sh "$T/notify"
eq "... and stored no run" "$T/d.db" "select count(*) from runs" 0

# Where no pair can be connected (lo down, IPv6 disabled on lo) nothing is
# checked, and teardownd says so; the cases fail at set-up on their own.
if [ "$(id -u)" = 0 ] && ip netns list > /dev/null 2>&1; then
	NS="td-diag-$$"
	trap 'for p in $pids; do kill -KILL "$p" 2>/dev/null; done;
	    ip netns del "$NS" 2> /dev/null; rm -rf "$T"' EXIT
	ip netns add "$NS"
	ip netns exec "$NS" "$TD" --once --db "$T/lo.db" --isolation host \
	    --only three-way-close --family ipv4 > "$T/out" 2> "$T/err"
	rc=$?
	check "lo down: nothing can be checked, the run goes on, its case fails (exit $rc)" \
	    [ "$rc" -eq 1 ]
	check "... saying IPv4 was not checked" grep -q \
	    "sock_diag not checked: IPv4: cannot connect a pair on loopback: Network is unreachable" "$T/err"
	ip netns exec "$NS" sysctl -q -w net.ipv6.conf.lo.disable_ipv6=1
	ip netns exec "$NS" ip link set lo up
	ip netns exec "$NS" "$TD" --once --db "$T/v6.db" --isolation host \
	    --only three-way-close > "$T/out" 2> "$T/err"
	rc=$?
	check "IPv6 disabled: IPv4 checked, the run goes on; its IPv6 case fails (exit $rc)" \
	    [ "$rc" -eq 1 ]
	check "... saying IPv6 was not checked" grep -q \
	    "sock_diag not checked: IPv6: cannot connect a pair on loopback: Cannot assign requested address" "$T/err"
	eq "... and the IPv4 case passed" "$T/v6.db" \
	    "select family || ' ' || verdict from cases order by family" "ipv4 pass
ipv6 error"
else
	echo "ok - # SKIP lo down, IPv6 disabled: needs root and ip netns"
fi

# With the kernel's own tcp_diag the check passes without a word, and
# modprobe is not run.
rm -f "$T/modprobe.log"
PATH="$T/bin:$PATH" "$TD" --once --db "$T/ok.db" --only three-way-close \
    > "$T/out" 2> "$T/err"
rc=$?
check "with tcp_diag, --once runs (exit $rc)" [ "$rc" -eq 0 ]
check "... says nothing of sock_diag" sh -c '! grep -q sock_diag "$1"' sh "$T/err"
check "... and runs no modprobe" [ ! -e "$T/modprobe.log" ]
finish
