#!/bin/sh
# check.sh: the corpus of broken inputs. Each tests/conf/NAME.ini comes with
# NAME.err, the exact lines teardownd must print for it: cfg-*.ini are
# configuration files (teardownd -n -c FILE), scn-*.ini scenario files
# (teardownd -n --scenarios FILE). Each must exit 78 (EX_CONFIG) with
# nothing on stdout and exactly NAME.err on stderr.
# Usage, from the top of the tree: sh tests/conf/check.sh build/teardownd
# Ends with "N passed, N failed"; exits 1 if any failed.

TD=${1:?usage: check.sh TEARDOWND}
DIR=tests/conf
TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM
pass=0
fail=0

# Runs one case: check NAME FILE OPTION...
check() {
	name=$1
	file=$2
	shift 2
	"$TD" "$@" "$file" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	why=""
	[ "$rc" -eq 78 ] || why="exit status $rc, not 78"
	[ -s "$TMP/out" ] && why="${why:+$why; }stdout not empty"
	cmp -s "$TMP/err" "$DIR/$name.err" || why="${why:+$why; }stderr differs"
	if [ -z "$why" ]; then
		echo "ok $name"
		pass=$((pass + 1))
		return
	fi
	echo "not ok $name: $why"
	diff -u "$DIR/$name.err" "$TMP/err" | sed 's/^/#   /'
	if [ -s "$TMP/out" ]; then
		sed 's/^/#   stdout: /' "$TMP/out"
	fi
	fail=$((fail + 1))
}

if [ ! -x "$TD" ]; then
	echo "check.sh: $TD is not an executable" >&2
	exit 1
fi
for f in "$DIR"/cfg-*.ini "$DIR"/scn-*.ini; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .ini)
	if [ ! -f "$DIR/$name.err" ]; then
		echo "not ok $name: $DIR/$name.err is missing"
		fail=$((fail + 1))
		continue
	fi
	case $name in
	cfg-*) check "$name" "$f" -n -c ;;
	scn-*) check "$name" "$f" -n --scenarios ;;
	esac
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
