#!/bin/sh
# run.sh: every test of `make check`: the cmocka unit tests, the corpus of
# broken inputs, the end-to-end tests of the real binaries on loopback (and
# in kernel guests), and the units under systemd in a guest (check-vm).
# Ends with the line "N passed, N failed".
B=${1:-build}
pass=0
fail=0
failed=""

# Runs one test program; counts it by its exit status.
run() {
	name=$1; shift
	echo "=== $name"
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); failed="$failed $name"
		echo "=== FAILED: $name"
	fi
}

for t in "$B"/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.o|*.d) continue;; esac
	run "unit $(basename "$t")" "$t"
done
[ -f tests/conf/check.sh ] && run "conf corpus" sh tests/conf/check.sh "$B/teardownd"
for t in tests/e2e/*.sh; do
	[ -f "$t" ] || continue
	run "e2e $(basename "$t" .sh)" sh "$t" "$B"
done
# The units under a real systemd, in a qemu guest (make check-vm): as root.
if [ "$(id -u)" = 0 ]; then
	run "vm systemd" sh tests/vm/check-vm.sh "$B"
else
	echo "=== vm systemd: skipped, needs root (make check-vm)"
fi
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
