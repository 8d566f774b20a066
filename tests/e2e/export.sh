#!/bin/sh
# teardownctl export writes what CI and QA tools read, and each format is
# read back by a real consumer: JUnit XML by xmllint (well-formed, valid
# against tests/e2e/junit.xsd, counts and values by XPath), TAP 13 by prove
# and perl's TAP::Parser (the YAML diagnostics too), JSON lines by jq, CSV
# by sqlite3's and python3's CSV readers. The run has a scenario that fails
# on purpose, repeated, and runs in a UTS namespace whose host name holds
# every character the formats must escape (< > & " ' , and a space).
. "$(dirname "$0")/lib.inc"
DB="$T/t.db"
cat > "$T/fail.ini" <<'EOF'
[expect-wrong-state]
summary = Expects CLOSING right after the connection is made: fails on purpose
steps   = client expect state CLOSING
          client close
EOF
NAME='x<y>&z "q'\''s,h'
if unshare --uts true 2> /dev/null; then
	unshare --uts sh -c 'printf %s "$1" > /proc/sys/kernel/hostname &&
	    shift && exec "$@"' sh "$NAME" "$TD" --once --db "$DB" \
	    --scenarios "$T/fail.ini" --only expect-wrong-state,three-way-close \
	    --repeat 2 > "$T/run.out" 2>&1
	rc=$?
else
	echo "# no UTS namespace here: the host name is this host's"
	"$TD" --once --db "$DB" --scenarios "$T/fail.ini" \
	    --only expect-wrong-state,three-way-close --repeat 2 > "$T/run.out" 2>&1
	rc=$?
fi
check "the run fails (expect-wrong-state), exit 1" [ "$rc" -eq 1 ]
HOST=$(sqlite3 "$DB" "select host from runs")
KREL=$(uname -r)
echo "# host name: $HOST"
# What the database says the first failure of expect-wrong-state/ipv4 is.
FAIL=$(sqlite3 "$DB" "select 'line ' || fail_line || ': ' || fail_side || ' '
    || fail_verb || ' ' || fail_args || ': ' || fail_message from v_failure
    where scenario = 'expect-wrong-state' and family = 'ipv4' and rep = 0")

# Runs teardownctl, keeping exit code in rc.
ctl() { "$CTL" --db "$DB" "$@" > "$T/out" 2> "$T/err"; rc=$?; }

# JUnit XML: xmllint.
ctl export --format junit
cp "$T/out" "$T/junit.xml"
check "junit: exit 0" [ "$rc" -eq 0 ]
check "junit: xmllint reads it (well-formed)" xmllint --noout "$T/junit.xml"
xmllint --noout --schema tests/e2e/junit.xsd "$T/junit.xml" 2> "$T/xsd.out"
xrc=$?
check "junit: valid against tests/e2e/junit.xsd" [ "$xrc" -eq 0 ] || cat "$T/xsd.out"
# Prints the string value of an XPath expression over the JUnit file.
xp() { xmllint --xpath "$1" "$T/junit.xml" 2> /dev/null; }
check "junit: one testsuite of 4 testcases (2 scenarios x 2 families)" \
    [ "$(xp 'count(/testsuites/testsuite)')" = 1 ] && \
    [ "$(xp 'count(//testcase)')" = 4 ] && \
    [ "$(xp 'string(/testsuites/testsuite/@tests)')" = 4 ]
check "junit: failures=2, and 2 testcases hold a failure" \
    [ "$(xp 'string(//testsuite/@failures)')" = 2 ] && \
    [ "$(xp 'count(//testcase[failure])')" = 2 ] && \
    [ "$(xp 'string(/testsuites/@failures)')" = 2 ]
check "junit: a stable suite name, testcase name SCENARIO/FAMILY" \
    [ "$(xp 'string(//testsuite/@name)')" = teardownd ] && \
    [ "$(xp 'count(//testcase[@classname="teardownd"][@name="expect-wrong-state/ipv6"])')" = 1 ]
check "junit: the failure message is the first failing step" \
    [ "$(xp 'string(//testcase[@name="expect-wrong-state/ipv4"]/failure/@message)')" = "$FAIL" ]
check "junit: the failure text details both failing repetitions" \
    [ "$(xp 'string(//testcase[@name="expect-wrong-state/ipv4"]/failure)' | grep -c '^rep [01], case c')" = 2 ]
check "junit: hostname and the host property are the host, unescaped" \
    [ "$(xp 'string(//testsuite/@hostname)')" = "$HOST" ] && \
    [ "$(xp 'string(//property[@name="host"]/@value)')" = "$HOST" ]
check "junit: the kernel release is a property" \
    [ "$(xp 'string(//property[@name="kernel_release"]/@value)')" = "$KREL" ]
check "junit: time in seconds" \
    [ "$(xp 'count(//testcase[number(@time) >= 0])')" = 4 ]

# TAP 13: prove and TAP::Parser.
ctl export --format tap 1
cp "$T/out" "$T/fail.tap"
prove -e cat "$T/fail.tap" > "$T/prove.out" 2>&1; prc=$?
check "tap: prove reads it: 2 of 4 subtests failed, no parse error" \
    [ "$prc" -ne 0 ] && grep -q "Failed 2/4 subtests" "$T/prove.out" && \
    ! grep -q "Parse errors" "$T/prove.out"
perl -MTAP::Parser -e '
	local $/; open(my $f, "<", $ARGV[0]) or die; my $tap = <$f>;
	my $p = TAP::Parser->new({ tap => $tap });
	while (my $r = $p->next) {
		next unless $r->is_yaml;
		my $d = $r->data;
		printf "%s|%d|%s\n", $d->{message}, scalar @{$d->{failures}},
		    $d->{failures}[1]{step};
	}
	printf "version %d, plan %s, failed %d, parse errors %d\n",
	    $p->version, $p->plan, scalar $p->failed, scalar $p->parse_errors;
' "$T/fail.tap" > "$T/parser.out"
check "tap: TAP::Parser: version 13, plan 1..4, 2 failed, no parse error" \
    grep -qx "version 13, plan 1..4, failed 2, parse errors 0" "$T/parser.out"
check "tap: YAML: message is the first failing step, 2 repetitions listed" \
    grep -qxF "$FAIL|2|expect state CLOSING" "$T/parser.out"
"$TD" --once --db "$DB" --only three-way-close > /dev/null 2>&1
ctl export --format tap
cp "$T/out" "$T/pass.tap"
prove -e cat "$T/pass.tap" > "$T/prove.out" 2>&1; prc=$?
check "tap: a run that passed: prove says all tests successful" \
    [ "$prc" -eq 0 ] && grep -q "All tests successful" "$T/prove.out"

# JSON lines: jq.
ctl export --json 1
cp "$T/out" "$T/cases.jsonl"
check "json: 8 lines, each one a JSON object jq parses" \
    [ "$(wc -l < "$T/cases.jsonl")" -eq 8 ] && \
    [ "$(jq -c 'select(type == "object")' "$T/cases.jsonl" | wc -l)" -eq 8 ]
check "json: every object has the run's host, kernel, verdict, failure, signature" \
    [ "$(jq -c 'select(has("host") and has("kernel_release") and
        has("kernel_version") and has("verdict") and has("failure") and
        has("duration_us") and has("sig_hash") and has("signature"))' \
        "$T/cases.jsonl" | wc -l)" -eq 8 ]
check "json: host and kernel release as stored" \
    [ "$(jq -r --arg h "$HOST" --arg k "$KREL" \
        'select(.host == $h and .kernel_release == $k) | .case_id' \
        "$T/cases.jsonl" | wc -l)" -eq 8 ]
check "json: failure is the first failing step of each failed case" \
    [ "$(jq -r 'select(.verdict == "fail") | .failure' "$T/cases.jsonl" | \
        grep -cxF "$FAIL")" -ge 2 ] && \
    [ "$(jq -r 'select(.verdict == "pass") | .failure' "$T/cases.jsonl" | \
        sort -u)" = null ]
ctl export --format json 1
check "json: --format json is --json" cmp -s "$T/out" "$T/cases.jsonl"
check_json "json: every line" "$T/cases.jsonl"

# CSV: sqlite3 and python3.
ctl export --format csv 1
cp "$T/out" "$T/cases.csv"
check "csv: sqlite3 .import --csv reads 8 records under the header" \
    [ "$(sqlite3 :memory: -cmd ".import --csv $T/cases.csv c" \
        "select count(*) from c")" = 8 ]
check "csv: quoted fields come back whole (host, failure, signature)" \
    [ "$(sqlite3 :memory: -cmd ".import --csv $T/cases.csv c" \
        -cmd "attach '$DB' as db" "select count(*) from c
        join db.v_signature as s on s.case_id = c.case_id
        where c.host = s.host and c.signature = s.signature")" = 8 ] && \
    [ "$(sqlite3 :memory: -cmd ".import --csv $T/cases.csv c" \
        "select count(*) from c where failure = '$(echo "$FAIL" | sed "s/'/''/g")'")" -ge 2 ]
if command -v python3 > /dev/null; then
	check "csv: python3's csv module reads 9 rows, none ragged, the host whole" \
	    python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head = rows[0]
assert len(rows) == 9, len(rows)
assert all(len(r) == len(head) for r in rows), "ragged"
assert {"host", "kernel_release", "verdict", "failure"} <= set(head)
assert all(r[head.index("host")] == sys.argv[2] for r in rows[1:])
' "$T/cases.csv" "$HOST"
fi

ctl export --format xml
check "export --format xml is a usage error (64)" [ "$rc" -eq 64 ]
ctl export 99 --format tap
check "export of an unknown run exits 66" [ "$rc" -eq 66 ]
finish
