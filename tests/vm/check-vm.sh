#!/bin/sh
# check-vm.sh: the units under a real systemd (make check-vm). Boots a
# Debian 12 rootfs (debootstrap minbase + systemd, cached) with systemd as
# PID 1 under qemu, teardownd installed with `make install DESTDIR=...`,
# and runs tests/vm/vmtest.sh there: start, READY=1 and STATUS=, reload
# without procps, a broken configuration, the watchdog, stop, and
# teardownd-check.service failing into OnFailure=. The kernel is Debian's
# cloud kernel from teardownd's own cache (teardownd --kernel fetches it).
# Usage, from the top of the tree, as root: sh tests/vm/check-vm.sh build
B=${1:-build}
CACHE=${TEARDOWND_VM_CACHE:-/var/cache/teardownd/vm}
KCACHE=/var/cache/teardownd/kernels
KPKG=linux-image-cloud-amd64
PKGS=systemd,systemd-sysv,dbus,kmod,libevent-2.1-7,libinih1,libsqlite3-0,libpcap0.8,libbpf1
TIMEOUT=540				# seconds the guest may take, boot to power-off
if [ "$(id -u)" != 0 ]; then
	echo "check-vm.sh: run as root (debootstrap, make install into the rootfs)" >&2
	exit 1
fi
T=$(mktemp -d /tmp/teardownd-vm.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
fail() { echo "not ok - $*"; echo "0 passed, 1 failed"; exit 1; }

# The rootfs, once: debootstrap from the mirror apt uses, kept as a tar
# named for its package list (a new list makes a new one).
TAR="$CACHE/rootfs-$(printf '%s' "$PKGS" | cksum | cut -d ' ' -f 1).tar"
if [ ! -s "$TAR" ]; then
	mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources \
	    2>/dev/null | head -n 1)
	mkdir -p "$CACHE" && rm -rf "$CACHE/root.new"
	echo "# debootstrap bookworm into $CACHE (once)"
	debootstrap --variant=minbase --include="$PKGS" bookworm "$CACHE/root.new" \
	    "${mirror:-http://deb.debian.org/debian}" > "$CACHE/debootstrap.log" 2>&1 ||
	    fail "debootstrap (see $CACHE/debootstrap.log)"
	tar -C "$CACHE/root.new" -cf "$TAR.new" . && mv "$TAR.new" "$TAR" ||
	    fail "tar of the rootfs"
	rm -rf "$CACHE/root.new"
fi

# The kernel, through teardownd's cache (a guest run fetches it).
"$B/teardownd" --once --db "$T/k.db" --only four-way-close --family ipv4 \
    --kernel "$KPKG" > "$T/k.out" 2>&1 || fail "teardownd --kernel $KPKG: $(tail -n 1 "$T/k.out")"
REL=$(sed -n 's/^== kernel \([^ ]*\) .*/\1/p' "$T/k.out" | head -n 1)
VMLINUZ=$(ls "$KCACHE"/*/tree/boot/vmlinuz-"$REL" 2>/dev/null | head -n 1)
[ -n "$REL" ] && [ -f "$VMLINUZ" ] || fail "no kernel $REL in $KCACHE"
echo "# kernel $REL, rootfs $TAR"

R="$T/root"
mkdir -p "$R" && tar -C "$R" -xf "$TAR" || fail "unpack the rootfs"
make -s install DESTDIR="$R" B="$B" > "$T/install.log" 2>&1 || fail "make install: $(tail -n 1 "$T/install.log")"
# Libraries the binaries need that the rootfs lacks (a sanitizer's runtime).
for lib in $(ldd "$B/teardownd" "$B/teardownctl" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p' | sort -u); do
	[ -e "$R$lib" ] || { mkdir -p "$R${lib%/*}" && cp -L "$lib" "$R$lib"; } ||
	    fail "copy $lib"
done
mkdir -p "$R/lib/modules" && cp -a "${VMLINUZ%/boot/*}/lib/modules/$REL" "$R/lib/modules/" ||
    fail "the kernel's modules"
echo tdvm > "$R/etc/hostname"
: > "$R/etc/machine-id"
U="$R/etc/systemd/system"
mkdir -p "$U/multi-user.target.wants" "$U/sysinit.target.wants" \
    "$U/teardownd.service.d" "$U/teardownd-check.service.d" "$R/etc/modules-load.d"
ln -sf /dev/null "$U/serial-getty@ttyS0.service"
ln -sf /dev/null "$U/getty@tty1.service"
# Module dependencies are made in the guest (the host needs no kmod).
cat > "$U/td-depmod.service" <<'UNIT'
[Unit]
Description=depmod for the test kernel
DefaultDependencies=no
Before=systemd-modules-load.service systemd-udevd.service
[Service]
Type=oneshot
ExecStart=/sbin/depmod -a
UNIT
ln -sf ../td-depmod.service "$U/sysinit.target.wants/td-depmod.service"
printf 'inet_diag\ntcp_diag\ntun\nveth\n' > "$R/etc/modules-load.d/teardownd-test.conf"
# The test's own settings: a watchdog of 5 s, restarts after 1 s.
printf '[Service]\nWatchdogSec=5s\nRestartSec=1s\n' > "$U/teardownd.service.d/test.conf"
printf '[Unit]\nOnFailure=td-onfailure.service\n' > "$U/teardownd-check.service.d/test.conf"
cat > "$U/td-onfailure.service" <<'UNIT'
[Unit]
Description=OnFailure= of teardownd-check.service, for the test
[Service]
Type=oneshot
ExecStart=/bin/touch /run/td-onfailure
UNIT
install -m 755 tests/vm/vmtest.sh "$R/usr/local/sbin/vmtest"
cat > "$U/td-vmtest.service" <<'UNIT'
[Unit]
Description=teardownd's units under systemd: the test
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/vmtest
StandardOutput=journal
UNIT
ln -sf ../td-vmtest.service "$U/multi-user.target.wants/td-vmtest.service"
ln -sf /lib/systemd/system/multi-user.target "$U/default.target"
# Scenarios: one slow (a run lasts 20 s: there is one in progress to stop),
# one failing (teardownd-check.service must fail).
cat > "$R/etc/teardownd/scenarios.d/vmtest.ini" <<'INI'
[vm-slow]
summary = a case that takes 20 s
steps   = client sleep 20s

[vm-fails]
summary = fails on purpose: the server is in CLOSE_WAIT, not LISTEN
steps   = client close
          server expect state LISTEN
INI

# The rootfs as the initramfs: systemd runs from it as PID 1.
(cd "$R" && find . -print0 | cpio --null -o -H newc --quiet) > "$T/root.cpio" ||
    fail "cpio of the rootfs"
echo "# booting ($(du -m "$T/root.cpio" | cut -f 1) MB rootfs) under TCG"
# Boots the guest: qrc gets qemu's (or timeout's) exit status.
boot() {
	rm -f "$T/console"
	timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -m 2048 -smp 2 \
	    -nodefaults -no-reboot -display none -serial "file:$T/console" \
	    -kernel "$VMLINUZ" -initrd "$T/root.cpio" \
	    -append "console=ttyS0 rdinit=/sbin/init panic=-1 loglevel=4 systemd.show_status=0" \
	    > "$T/qemu.log" 2>&1
	qrc=$?
	tr -d '\r' < "$T/console" | sed -n 's/^.*VMTEST: //p' > "$T/results"
}
boot
# A guest that never reached the test (a kernel panic while booting
# under TCG, seen about once in sixty boots of Debian's kernels) says
# nothing of the units: it boots again, once; a second failure counts.
if [ ! -s "$T/results" ]; then
	echo "# the guest did not reach the test (qemu exit $qrc): $(tr -d '\r' \
	    < "$T/console" | grep -m 1 'Kernel panic' || echo 'no panic line'); booting again"
	boot
fi
cat "$T/results" | grep -v '^done$'
pass=$(grep -c '^ok ' "$T/results")
failed=$(grep -c '^not ok ' "$T/results")
if ! grep -qx done "$T/results"; then
	echo "not ok - the guest finished its checks (qemu exit $qrc); console's last lines:"
	tr -d '\r' < "$T/console" | tail -n 15 | sed 's/^/#   /'
	failed=$((failed + 1))
fi
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
