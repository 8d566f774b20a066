#!/bin/sh
# vmtest.sh: runs inside the guest of tests/vm/check-vm.sh, as root, once
# systemd has booted it: the units as installed, under systemd as PID 1.
# Each result is a line "VMTEST: ok - ..." or "VMTEST: not ok - ..." on
# the serial console; "VMTEST: done" last; then the guest powers off.
OUT=/dev/ttyS0
DB=/var/lib/teardownd/teardownd.db

say() { echo "VMTEST: $*" > "$OUT"; }
check() {
	name=$1; shift
	if "$@" > /dev/null 2>&1; then say "ok - $name"; else say "not ok - $name"; fi
}
# Polls a command every second, at most N times: upto N CMD...
upto() {
	n=$1; shift
	while [ "$n" -gt 0 ]; do
		"$@" > /dev/null 2>&1 && return 0
		sleep 1; n=$((n - 1))
	done
	return 1
}
logged() { journalctl -q -u teardownd --no-pager | grep -q "$1"; }
runs() { teardownctl --db "$DB" runs 2>/dev/null | grep -q "$1"; }
state() { [ "$(systemctl show -p "$1" --value "$2")" = "$3" ]; }

say "# $(systemctl --version | head -n 1), kernel $(uname -r)"
check "sysusers made the user teardownd" id teardownd
systemctl start teardownd.service
rc=$?
check "systemctl start teardownd: exit 0 once it said READY=1 ($rc)" [ "$rc" -eq 0 ]
check "... active (running)" state SubState teardownd.service running
say "# STATUS=$(systemctl show -p StatusText --value teardownd.service)"
check "... with a STATUS= line" sh -c \
    "systemctl show -p StatusText --value teardownd.service | grep -q 'next run'"

check "this system has no kill program (no procps)" \
    sh -c '[ ! -e /bin/kill ] && [ ! -e /usr/bin/kill ]'
systemctl reload teardownd.service
rc=$?
check "systemctl reload: exit 0 ($rc)" [ "$rc" -eq 0 ]
check "... the configuration reloaded" upto 20 logged "configuration reloaded"
cp /etc/teardownd/teardownd.ini /run/good.ini
echo "bogus = 1" >> /etc/teardownd/teardownd.ini
systemctl reload teardownd.service
check "a broken configuration: the reload is refused, with its line" \
    upto 20 logged "teardownd.ini:[0-9]*: unknown key 'bogus'"
check "... and the service keeps running" state SubState teardownd.service running
cp /run/good.ini /etc/teardownd/teardownd.ini

check "a run is in progress" upto 60 runs running
pid=$(systemctl show -p MainPID --value teardownd.service)
kill -STOP "$pid"
check "SIGSTOP: the watchdog (5 s here) restarts teardownd" upto 90 sh -c \
    "p=\$(systemctl show -p MainPID --value teardownd.service);
     [ \"\$p\" != 0 ] && [ \"\$p\" != $pid ] &&
     [ \"\$(systemctl show -p SubState --value teardownd.service)\" = running ]"
check "... after a watchdog timeout" logged "[Ww]atchdog timeout"
check "... the stopped one's run is marked aborted" upto 30 runs aborted

check "a run is in progress again" upto 60 runs running
systemctl stop teardownd.service
check "systemctl stop: that run is stored as interrupted" runs interrupted
check "... and none is left running" sh -c "! teardownctl --db $DB runs | grep -q running"

systemctl start teardownd-check.service
rc=$?
check "teardownd-check.service: a case fails, so does the unit ($rc)" [ "$rc" -ne 0 ]
check "... it is failed" state ActiveState teardownd-check.service failed
check "... with exit status 1" state ExecMainStatus teardownd-check.service 1
check "... and OnFailure= fired" upto 20 test -e /run/td-onfailure
check "... its run is stored complete" runs complete
say "done"
systemctl poweroff
