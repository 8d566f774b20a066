#!/bin/sh
# Storage faults: a path that cannot hold a database ('', :memory:,
# /dev/null, a directory, a path over 4095 bytes or longer than SQLite
# opens) is refused in one line,
# exit 74, leaving no file anywhere; a database whose schema version does
# not match its tables, or is negative, is named as damaged; no file
# teardownd makes is writable by others, even under umask 000.
. "$(dirname "$0")/lib.inc"
TD=$(cd "$(dirname "$TD")" && pwd)/teardownd
CTL=$(cd "$(dirname "$CTL")" && pwd)/teardownctl
mkdir "$T/cwd"

refused() {
	name=$1; db=$2; want=$3
	(cd "$T/cwd" && "$TD" --once --only abort-linger0 --family ipv4 --db "$db" \
	    > "$T/out" 2> "$T/err")
	rc=$?
	check "$name: exit 74 (got $rc)" [ "$rc" -eq 74 ]
	check "$name: one line, saying why" \
	    sh -c "[ \$(wc -l < '$T/err') -eq 1 ] && grep -q -- '$want' '$T/err'" ||
	    cat "$T/err"
	check "$name: no file left in the working directory" [ -z "$(ls -A "$T/cwd")" ]
}
refused "an empty path" "" "the database path is empty"
refused ":memory:" ":memory:" "in-memory database, whose results would be lost"
[ -e /dev/null.lock ] && pre_lock=1 || pre_lock=0
refused "/dev/null" /dev/null "/dev/null: a character device, not a database file"
check "/dev/null: no journal, wal or lock beside it in /dev" \
    sh -c "! ls /dev/null-journal /dev/null-wal /dev/null-shm > /dev/null 2>&1 &&
        { [ $pre_lock -eq 1 ] || [ ! -e /dev/null.lock ]; }"
refused "a directory" "$T/cwd" "a directory, not a database file"
long=$T/$(awk 'BEGIN { for (i = 0; i < 21; i++) { for (j = 0; j < 200; j++)
    printf "a"; printf "/" } }')t.db
refused "a path of ${#long} bytes" "$long" "path too long (${#long} bytes; at most 4095)"
long2=$T/$(awk 'BEGIN { for (i = 0; i < 3; i++) { for (j = 0; j < 200; j++)
    printf "b"; printf "/" } }')t.db
refused "a long path in no directory" "$long2" "\\.\\.\\.b*/t\\.db: path too long for SQLite ([0-9]* bytes as an absolute path; it takes at most 503)"
# Longer than SQLite's 512 bytes, in a directory that exists: refused
# before its lock is made there.
deep=$T/deep/$(awk 'BEGIN { for (i = 0; i < 3; i++) { for (j = 0; j < 180; j++)
    printf "d"; printf "/" } }')
mkdir -p "$deep"
refused "a path SQLite cannot open, its directory there" "${deep}t.db" \
    "path too long for SQLite ($(( ${#deep} + 4 )) bytes as an absolute path"
check "... and no file left in that directory" [ -z "$(ls -A "$deep")" ]

# A schema version that does not match the tables, or a negative one.
DB="$T/d.db"
"$TD" --once --only abort-linger0 --family ipv4 --db "$DB" > /dev/null 2>&1
sqlite3 "$DB" "pragma user_version = 1"
"$TD" --once --only abort-linger0 --family ipv4 --db "$DB" > /dev/null 2> "$T/err"
rc=$?
check "schema version 1 over newer tables: exit 74 (got $rc)" [ "$rc" -eq 74 ]
check "... named as damaged, with the version" grep -q \
    "a damaged teardownd database: its tables do not match its schema version (1); migration 2: " "$T/err"
sqlite3 "$DB" "pragma user_version = -1"
"$CTL" --db "$DB" runs > /dev/null 2> "$T/err"
check "schema version -1: named as damaged" grep -q \
    "d.db: a damaged teardownd database (schema version -1)" "$T/err"
sqlite3 "$DB" "pragma application_id = 42"
"$TD" --once --only abort-linger0 --family ipv4 --db "$DB" > /dev/null 2> "$T/err"
check "another program's database: named as such" grep -q \
    "not a teardownd database (application_id 42)" "$T/err"

# umask 000: nothing teardownd makes is writable by others (the database,
# its -wal, -shm and lock, the metrics file).
mkdir "$T/u"
(umask 000 && cd "$T/u" && "$TD" --once --only abort-linger0,four-way-close \
    --family ipv4 --db "$T/u/t.db" > /dev/null 2>&1)
check "under umask 000 the run stored its cases" [ -s "$T/u/t.db" ]
check "... and no file it made is writable by others: $(cd "$T/u" && find . -perm -o+w -type f | tr '\n' ' ')" \
    [ -z "$(find "$T/u" -perm -o+w -type f)" ]
finish
