#!/bin/sh
# The privileges of teardownd.service, without systemd: a daemon started as
# an unprivileged user with only CAP_NET_RAW in its ambient set (as
# AmbientCapabilities= gives it), under UMask=0027 in a 0750 state
# directory, runs scenarios that need more (socket filters on TCP sockets)
# in a private network namespace inside a user namespace of its own, and
# leaves a database that members of its group can query and others cannot.
# Needs root to set up.
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/daemon.inc"
if [ "$(id -u)" != 0 ] || ! command -v setpriv > /dev/null; then
	echo "# not root, or no setpriv: skipped"
	finish; exit
fi
SVC=65534; GRP=64242; MEMBER=64243; OTHER=64244
S="$T/state"
mkdir "$S" && chown "$SVC:$GRP" "$S" && chmod 0750 "$S" && chmod 0755 "$T"
CAPS=+net_raw
(umask 0027; exec setpriv --reuid=$SVC --regid=$GRP --clear-groups --inh-caps=$CAPS \
    --ambient-caps=$CAPS "$TD" --db "$S/teardownd.db" --interval 1h \
    --only three-way-close,last-ack-retransmit,abort-linger0) \
    > /dev/null 2> "$T/err" &
td_pid=$!
pids="$pids $td_pid"
# Polled through the log: sqlite3 as root must not make the database's
# files before the daemon does.
upto 300 grep -q "run 1 complete" "$T/err"
check "as an unprivileged user, a run completes" [ $? -eq 0 ]
eq "... every case passes, filters included" "$S/teardownd.db" \
    "select n_pass || ' ' || (n_fail + n_timeout + n_error) from runs" "6 0"
eq "... in a private network namespace" "$S/teardownd.db" "select isolation from runs" netns
check "... in a user namespace of its own" \
    [ "$(readlink "/proc/$td_pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]
check "the state directory's files are 0640" \
    [ "$(stat -c %a "$S"/teardownd.db* | sort -u)" = 640 ]
setpriv --reuid=$MEMBER --regid=$MEMBER --groups=$GRP "$CTL" --db "$S/teardownd.db" runs \
    > "$T/out" 2>&1
check "a member of the group queries the database" grep -q " complete " "$T/out"
setpriv --reuid=$OTHER --regid=$OTHER --clear-groups "$CTL" --db "$S/teardownd.db" runs \
    > "$T/out" 2>&1
check "anyone else cannot (exit $?)" grep -q "Permission denied" "$T/out"
stop TERM "$td_pid"
check "SIGTERM: exit 0 (got $rc)" [ "$rc" -eq 0 ]

# Without any capability at all, isolation = auto still isolates.
(umask 0027; exec setpriv --reuid=$SVC --regid=$GRP --clear-groups "$TD" --once \
    --db "$S/plain.db" --only three-way-close --family ipv4) > /dev/null 2> "$T/err2"
rc=$?
check "with no capability, --once in auto isolation runs (exit $rc)" [ "$rc" -eq 0 ]
eq "... in a private network namespace" "$S/plain.db" "select isolation from runs" netns
(umask 0027; exec setpriv --reuid=$SVC --regid=$GRP --clear-groups "$TD" --once \
    --db "$S/host.db" --only three-way-close --family ipv4 --isolation host) \
    > /dev/null 2> "$T/err3"
eq "with isolation = host, the host's namespace is recorded" "$S/host.db" \
    "select isolation from runs" host

# Where socket filters are refused (no CAP_NET_ADMIN, no user namespace of
# its own, as in a default container), the scenarios that need them are
# skipped with the reason, never failed; start-up says once what is missing.
(umask 0027; exec setpriv --reuid=$SVC --regid=$GRP --clear-groups "$TD" --once \
    --db "$S/skip.db" --only three-way-close,last-ack-retransmit --isolation host) \
    > "$T/out4" 2> "$T/err4"
rc=$?
check "filters refused: the run passes all the same (exit $rc)" [ "$rc" -eq 0 ]
eq "... the filter scenario is skipped, the other passes" "$S/skip.db" \
    "select scenario || ' ' || verdict from cases group by scenario, verdict order by 1" \
    "last-ack-retransmit skipped
three-way-close pass"
eq "... with the reason" "$S/skip.db" \
    "select distinct message from cases where verdict = 'skipped'" \
    "skipped: socket filters are refused here (EPERM)"
eq "... counted apart, not as failures" "$S/skip.db" \
    "select n_skipped, n_fail, (select count(*) from v_failure) from runs" "2|0|0"
check "... start-up says once what is missing and how to grant it" \
    [ "$(grep -c 'refuses (EPERM).*CAP_NET_ADMIN' "$T/err4")" -eq 1 ]
check "... and the summary says skipped" grep -q "last-ack-retransmit.*skipped" "$T/out4"
[ "$nfail" -eq 0 ] && : || sed "s/^/#   /" "$T/err"
finish
