#!/bin/sh
# Kernels in qemu guests: teardownd --once --kernel host --kernel PKG ...
# downloads Debian's cloud kernels once (the cache), boots each under TCG
# (KVM when a boot under it works) with teardownd as the guest's init, and
# stores the guests' runs in the database beside the host's: host
# HOST/guest, their kernel release, virt. Errors: no qemu, a download that
# fails, a file that is no kernel, a guest that times out.
. "$(dirname "$0")/lib.inc"
if [ "$(id -u)" != 0 ]; then
	echo "ok - # SKIP needs root (the kernel cache, namespaces in the host run)"
	exit 0
fi
check "qemu-system-x86_64 is installed (make check's set-up)" \
    command -v qemu-system-x86_64
# Meta-packages: whatever 6.1 and 6.12 the archive has now.
K61=linux-image-cloud-amd64
K612=linux-image-6.12-cloud-amd64
DB="$T/k.db"
HOST=$(hostname)
ONLY=four-way-close,simultaneous-close,abort-linger0,close-with-unsent-data
"$TD" --once --db "$DB" --only "$ONLY" --kernel host --kernel "$K61" \
    --kernel "$K612" > "$T/out" 2> "$T/err"
rc=$?
check "host and two Debian kernels in one command: exit 0 ($rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/err" | tail -5
eq "... three runs: two guests, then the host" "$DB" \
    "select host || ' ' || replace(virt, 'kvm', 'tcg') || ' '
     || (kernel_release like '6.1.%') || (kernel_release like '6.12.%')
     from runs order by id" \
    "$HOST/guest tcg 10
$HOST/guest tcg 01
$HOST none 00"
eq "... the host's run is this kernel's" "$DB" \
    "select kernel_release from runs where id = 3" "$(uname -r)"
eq "... every guest case passed, its wire and transitions observed" "$DB" \
    "select count(*) || ' ' || sum(verdict = 'pass' and wire = 'observed'
     and transitions = 'observed') from cases where run_id < 3" "16 16"
check "... the summary of each guest is printed" \
    [ "$(grep -Ec '^== kernel 6\.1.* \(linux-image-.*, (tcg|kvm)\) ==$' "$T/out")" -eq 2 ]
"$CTL" --db "$DB" matrix > "$T/m" 2>&1
check "matrix: a column per kernel" \
    grep -q "^scenario  *6\.1\.[^ ]*  *6\.12\.[^ ]*  *$(uname -r) *$" "$T/m"
"$CTL" --db "$DB" diff 1 2 > "$T/d" 2>&1
check "diff 6.1 6.12: tcp_rto_min_us is new in 6.12" \
    grep -q "^net.ipv4.tcp_rto_min_us  *200000 *$" "$T/d"
check "... and a nonblocking send fills 43008 bytes on 6.1, 51200 on 6.12" \
    grep -q "send fill  *ok 43008 .* ok 51200 " "$T/d"

"$TD" --once --db "$DB" --only four-way-close --family ipv4 --kernel "$K61" \
    > "$T/out" 2> "$T/err"
rc=$?
check "again: the cached kernel, no download ($rc)" \
    sh -c "[ $rc -eq 0 ] && ! grep -q downloading '$T/err'"

# Profiles pass through: a run per profile in the guest.
"$TD" --once --db "$T/p.db" --only four-way-close --family ipv4 \
    --profile default,fin-timeout-1 --kernel "$K612" > "$T/out" 2> "$T/err"
eq "a guest runs each profile ($?)" "$T/p.db" \
    "select group_concat(profile || ' ' || value, ', ') from runs join
     run_sysctls on run_id = runs.id where name = 'net.ipv4.tcp_fin_timeout'" \
    "default 60, fin-timeout-1 1"

# Errors: one line, a distinct exit code, nothing stored.
"$TD" --once --db "$T/e.db" --kernel linux-image-no-such-kernel \
    > "$T/out" 2> "$T/err"
rc=$?
check "a package that cannot be downloaded: exit 69 ($rc), saying so" \
    sh -c "[ $rc -eq 69 ] && grep -q 'linux-image-no-such-kernel: the download failed' '$T/err'"
"$TD" --once --db "$T/e.db" --kernel /bin/true > "$T/out" 2> "$T/err"
rc=$?
check "a file that is no kernel: exit 69 ($rc)" \
    sh -c "[ $rc -eq 69 ] && grep -q '/bin/true is not a bzImage kernel' '$T/err'"
PATH=/usr/sbin:/sbin "$TD" --once --db "$T/e.db" --kernel "$K61" \
    > "$T/out" 2> "$T/err"
rc=$?
check "no qemu: exit 69 ($rc), naming the package to install" \
    sh -c "[ $rc -eq 69 ] && grep -q 'apt-get install qemu-system-x86' '$T/err'"
eq "... and no run stored by any of them" "$T/e.db" "select count(*) from runs" 0
# A failed guest's console is kept, and said where: removed here.
kept() {
	d=$(sed -n 's/.*(whole console: \(.*\)\/console\.log)$/\1/p' "$T/err")
	check "... its whole console kept ($d)" [ -s "$d/console.log" ]
	case $d in /tmp/teardownd-guest.*) rm -rf "$d" ;; esac
}
"$TD" --once --db "$T/t.db" --only four-way-close --repeat 2000 \
    --kernel "$K61" --kernel-timeout 10s > "$T/out" 2> "$T/err"
rc=$?
check "a guest that outlives --kernel-timeout: exit 70 ($rc), with its console" \
    sh -c "[ $rc -eq 70 ] && grep -q 'the guest timed out after 10s; console: ' '$T/err'"
kept
# 80 MB: Debian's 6.1 panics while booting ("System is deadlocked on
# memory"), before teardownd runs; a second boot does the same (10 of 10
# here, ASan build or not; at 72 MB a boot now and then hung instead, and
# at 96 MB the usual build boots).
"$TD" --once --db "$T/t.db" --only four-way-close --kernel "$K61" \
    --kernel-memory 80 > "$T/out" 2> "$T/err"
rc=$?
check "a kernel that panics: exit 70 ($rc), its panic line shown" \
    sh -c "[ $rc -eq 70 ] && grep -q 'did not boot to its init (it panicked: Kernel panic - not syncing: ' '$T/err'"
check "... after booting it twice" [ "$(grep -c 'booting .* under TCG' "$T/err")" -eq 2 ]
kept
eq "... no run stored" "$T/t.db" "select count(*) from runs" 0
"$TD" --kernel "$K61" > "$T/out" 2> "$T/err"
check "--kernel without --once: exit 64 ($?)" [ "$?" -eq 64 ]
finish
