#!/bin/sh
# The privileges of teardownd.service, without systemd: a daemon started as
# an unprivileged user with only CAP_NET_RAW, CAP_NET_ADMIN and
# CAP_SYS_ADMIN in its ambient set (as AmbientCapabilities= gives them),
# under UMask=0027 in a 0750 state directory, runs scenarios that need
# them (socket filters on TCP sockets) in its private namespace, gives
# CAP_SYS_ADMIN up, and leaves a database that members of its group can
# query and others cannot. Needs root to set up.
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/daemon.inc"
if [ "$(id -u)" != 0 ] || ! command -v setpriv > /dev/null; then
	echo "# not root, or no setpriv: skipped"
	finish; exit
fi
SVC=65534; GRP=64242; MEMBER=64243; OTHER=64244
S="$T/state"
mkdir "$S" && chown "$SVC:$GRP" "$S" && chmod 0750 "$S" && chmod 0755 "$T"
CAPS=+net_raw,+net_admin,+sys_admin
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
capeff() { sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$1/status"; }
check "... having given CAP_SYS_ADMIN up" [ $((0x$(capeff "$td_pid") & 0x200000)) -eq 0 ]
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

# Without any capability, isolation = auto warns and runs on the host's lo.
(umask 0027; exec setpriv --reuid=$SVC --regid=$GRP --clear-groups "$TD" --once \
    --db "$S/plain.db" --only three-way-close --family ipv4) > /dev/null 2> "$T/err2"
rc=$?
check "with no capability, --once in auto isolation still runs (exit $rc)" [ "$rc" -eq 0 ]
check "... warning that it is not isolated" grep -q "not isolated: no CAP_SYS_ADMIN" "$T/err2"
eq "... and records the host's namespace" "$S/plain.db" "select isolation from runs" host
[ "$nfail" -eq 0 ] && : || sed "s/^/#   /" "$T/err"
finish
