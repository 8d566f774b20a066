#!/bin/sh
# teardownctl report: runs as one self-contained HTML page (no script, no
# network), rendered by headless chromium: the run header, the verdict
# table with failures, flaky ones and changes against the baseline marked,
# a history strip per scenario, a failing case's steps (the failing step
# marked) and its ladder as SVG.
. "$(dirname "$0")/lib.inc"
DB="$T/r.db"
CHROMIUM=$(command -v chromium || command -v chromium-browser)
# orphan-fin-wait2 fails on lo (tcp_fin_timeout 60); its second version
# passes (its own namespaces with tcp_fin_timeout 1): a change against the
# baseline in the same environment.
cat > "$T/a.ini" <<'INI'
[orphan-fin-wait2]
summary = the client's orphan in FIN_WAIT2 is gone within 3 s
steps   = client close
          client wait state FIN_WAIT2 within 1s
          client wait state CLOSED within 3s
INI
sed 's/^steps /link    = veth\nsysctl  = client net.ipv4.tcp_fin_timeout 1\nsteps /' \
    "$T/a.ini" > "$T/b.ini"
ONLY=orphan-fin-wait2,four-way-close
"$TD" --once --db "$DB" --scenarios "$T/a.ini" --only "$ONLY" > /dev/null 2>&1
"$CTL" --db "$DB" baseline set 1 > /dev/null 2>&1
"$TD" --once --db "$DB" --scenarios "$T/b.ini" --only "$ONLY" > /dev/null 2>&1
"$CTL" --db "$DB" report 1 2 -o "$T/r.html" > "$T/out" 2> "$T/err"
rc=$?
check "report 1 2 -o FILE: exit 0 ($rc)" [ "$rc" -eq 0 ]
check "... self-contained: no script, no external resource" \
    sh -c "! grep -Eiq '<script|<link|src=|url\\(http|href=\"http' '$T/r.html'"
check "... nothing but the page written" \
    sh -c "[ ! -s '$T/out' ] && [ ! -e '$T/r.html.tmp' ]"
"$CTL" --db "$DB" report -o "$T/dir/x.html" > /dev/null 2> "$T/err"
check "an unwritable output: exit 74 ($?)" [ "$?" -eq 74 ]
"$CTL" --db "$DB" report > /dev/null 2> "$T/err"
check "without -o: exit 64 ($?)" [ "$?" -eq 64 ]
"$CTL" --db "$DB" report 99 -o "$T/x.html" > /dev/null 2> "$T/err"
check "an unknown run: exit 66 ($?)" [ "$?" -eq 66 ]

check "headless chromium is installed (make check's set-up)" [ -n "$CHROMIUM" ]
CH="$CHROMIUM --headless --no-sandbox --disable-gpu --hide-scrollbars"
$CH --dump-dom "file://$T/r.html" > "$T/dom" 2> /dev/null
check "chromium's DOM: a header per run" \
    [ "$(grep -c '<h2 id="run[12]">' "$T/dom")" -eq 2 ]
check "... a verdict row per scenario and family of each run (8)" \
    [ "$(grep -c '<td><a href="#r[12]-' "$T/dom")" -eq 8 ]
check "... run 1: orphan-fin-wait2 failed, with its first failure" \
    grep -q 'r1-orphan-fin-wait2-ipv4">orphan-fin-wait2</a></td><td>ipv4</td><td class="fail">fail</td><td>0/1</td><td>1</td><td>line 5: client wait state CLOSED within 3s' "$T/dom"
check "... run 2: it passed, changed against the baseline (run 1)" \
    grep -q 'r2-orphan-fin-wait2-ipv4">orphan-fin-wait2</a></td><td>ipv4</td><td class="pass regressed">pass (changed)' "$T/dom"
check "... the failing step marked" grep -q '<tr class="failed"><td>2</td><td>[0-9.]*</td><td>client</td><td>wait state CLOSED within 3s' "$T/dom"
check "... the runs side by side: a row per scenario and family, a column per run" \
    grep -q '<tr><td>orphan-fin-wait2</td><td>ipv4</td><td class="fail"><a href="#r1-orphan-fin-wait2-ipv4">fail 0/1</a></td><td class="pass regressed"><a href="#r2-orphan-fin-wait2-ipv4">pass 1/1</a></td></tr>' "$T/dom"
check "... a ladder per scenario and family (8 SVGs)" \
    [ "$(grep -c '<svg xmlns' "$T/dom")" -eq 8 ]
check "... a history strip of the scenario's runs" \
    grep -q '<div class="strip" title="the latest runs, oldest first">history: <span class="fail"' "$T/dom"
$CH --window-size=1100,1600 --screenshot="$T/r.png" "file://$T/r.html" > /dev/null 2>&1
check "... and a screenshot (PNG)" sh -c "[ \"\$(head -c 4 '$T/r.png' | tail -c 3)\" = PNG ]"

# Values from the database are text, never markup: a host name with <, &
# and quotes (a UTS namespace of its own) shows as it is.
if unshare --uts true 2> /dev/null && [ -n "$CHROMIUM" ]; then
	unshare --uts sh -c 'printf %s "$1" > /proc/sys/kernel/hostname &&
	    shift && exec "$@"' sh 'x<b>bold</b>&"y' "$TD" --once --db "$T/h.db" \
	    --only four-way-close --family ipv4 > /dev/null 2>&1
	"$CTL" --db "$T/h.db" report -o "$T/h.html" > /dev/null 2>&1
	$CH --dump-dom "file://$T/h.html" > "$T/hdom" 2> /dev/null
	check "a host name with markup in it is escaped: its text, no element" \
	    sh -c "grep -qF '<th>host</th><td>x&lt;b&gt;bold&lt;/b&gt;&amp;\"y</td>' '$T/hdom' &&
	    ! grep -q '<b>bold' '$T/hdom'"
fi
finish
