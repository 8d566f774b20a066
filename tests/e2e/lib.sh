# lib.sh: helpers for the end-to-end tests (sourced). $1 of the test is the
# build directory; every test gets a temporary directory $T, removed at exit.
B=${1:-build}
TD="$B/teardownd"
CTL="$B/teardownctl"
T=$(mktemp -d /tmp/teardownd-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT
nfail=0

# Prints ok/not ok for a check: check NAME COMMAND...
check() {
	name=$1; shift
	if "$@"; then echo "ok - $name"; else echo "not ok - $name"; nfail=$((nfail + 1)); fi
}

# Compares SQL output with an expected value: eq NAME DB SQL WANT
eq() {
	got=$(sqlite3 "$2" "$3" 2>&1)
	if [ "$got" = "$4" ]; then echo "ok - $1"; else
		echo "not ok - $1: got '$got', want '$4'"; nfail=$((nfail + 1)); fi
}

# Ends the test: exit 1 if any check failed.
finish() {
	[ "$nfail" -eq 0 ]
}
