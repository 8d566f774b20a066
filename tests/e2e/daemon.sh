#!/bin/sh
# The daemon speaks systemd's notify protocol to a stand-in socket: READY=1
# first, STATUS= lines, WATCHDOG=1 at half of WATCHDOG_USEC, RELOADING=1 with
# MONOTONIC_USEC= then READY=1 on SIGHUP (a broken configuration is logged
# FILE:LINE and the old one kept; a good one applies), STOPPING=1 last on
# SIGTERM, exit 0; runs follow the interval; the Prometheus textfile is
# written after each run, with the last complete run of each environment.
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/daemon.inc"
DB="$T/d.db"
CONF="$T/td.ini"
ADDR="@teardownd-e2e-$$"
printf '[teardownd]\nprometheus_textfile = td.prom\n' > "$CONF"

sink "$ADDR" "$T/notify"
check "the stand-in notify socket listens" [ $? -eq 0 ]
NOTIFY_SOCKET="$ADDR" WATCHDOG_USEC=400000 \
    daemon "$T/err" -c "$CONF" --db "$DB" --only three-way-close --family ipv4 --interval 1s
upto 100 sql_ge "$DB" "select count(*) from runs where status = 'complete'" 2
check "two runs complete within 10 s at --interval 1s" [ $? -eq 0 ]
check "the daemon is still running" alive "$td_pid"
capeff() { sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$1/status"; }
if [ $((0x$(capeff $$) & 0x200000)) -ne 0 ]; then
	check "after making its namespace the daemon has given CAP_SYS_ADMIN up" \
	    [ $((0x$(capeff "$td_pid") & 0x200000)) -eq 0 ]
	check "... and kept CAP_NET_ADMIN and CAP_NET_RAW (filters, capture)" \
	    [ $((0x$(capeff "$td_pid") & 0x3000)) -eq $((0x3000)) ]
fi
messages "$T/notify" > "$T/msgs"
check "the first message is READY=1 with a STATUS=" \
    sh -c 'head -n 1 "$1" | grep -q "^READY=1	STATUS=.*next run "' sh "$T/msgs"
check "STATUS= gives the last run's counts" grep -q '^STATUS=last run [0-9]*: 1 pass, 0 fail, 0 timeout, 0 error; next run 20' "$T/msgs"
check "STATUS= says a run is running" grep -q '^STATUS=run [0-9]* running since ' "$T/msgs"
upto 30 sh -c '[ "$(grep -c "	WATCHDOG=1$" "$1")" -ge 4 ]' sh "$T/notify"
check "WATCHDOG=1 every 0.2 s (WATCHDOG_USEC=400000)" [ $? -eq 0 ]
check "every message comes from the daemon's pid (NotifyAccess=main)" \
    sh -c '! grep -v "^#" "$1" | grep -qv "^$2	"' sh "$T/notify" "$td_pid"
check "the textfile is written after a run" \
    grep -qx 'teardownd_scenario_pass{profile="default",link="lo",scenario="three-way-close",family="ipv4"} 1' "$T/td.prom"
check "... with the run's counts" grep -qx 'teardownd_run_cases{profile="default",link="lo",verdict="pass"} 1' "$T/td.prom"
check "... and no temporary file is left beside it" \
    sh -c '[ "$(ls -A "$1" | grep -c prom)" -eq 1 ]' sh "$T"
check "... teardownd's version and kernel (teardownd_build_info)" \
    grep -q "^teardownd_build_info{version=\"[^\"]*\",kernel_release=\"$(uname -r)\"} 1$" "$T/td.prom"
check "... each scenario's flakiness, and whether a baseline was there" \
    sh -c 'grep -qx "teardownd_scenario_flaky{profile=\"default\",link=\"lo\",scenario=\"three-way-close\",family=\"ipv4\"} 0" "$1" &&
    grep -qx "teardownd_baseline_present{profile=\"default\",link=\"lo\"} 0" "$1"' sh "$T/td.prom"
check "promtool check metrics accepts it (Debian's prometheus, make check's set-up)" \
    sh -c 'promtool check metrics < "$1"' sh "$T/td.prom"

# A broken configuration: logged with file and line, the old one kept.
printf '[teardownd]\nprometheus_textfile = td.prom\nrepat = 2\n' > "$CONF"
n0=$(sqlite3 "$DB" "select count(*) from runs")
kill -HUP "$td_pid"
upto 50 grep -q "td.ini:3: unknown key 'repat'" "$T/err"
check "SIGHUP with a broken configuration logs FILE:LINE" [ $? -eq 0 ]
check "... says the old configuration stays" grep -q "reload refused" "$T/err"
reload_seen() {
	messages "$T/notify" | grep -A1 "^RELOADING=1	MONOTONIC_USEC=[0-9][0-9]*$" |
	    grep -q "^READY=1	STATUS="
}
upto 30 reload_seen
check "RELOADING=1 with MONOTONIC_USEC=, then READY=1" [ $? -eq 0 ]
upto 50 sql_ge "$DB" "select count(*) from runs where status = 'complete'" $((n0 + 1))
check "the daemon goes on running the plan" [ $? -eq 0 ]
check "... with the old configuration (1 case a run)" \
    sql_is "$DB" "select max(n_pass) from runs" 1

# A good one applies from the next run on.
printf '[teardownd]\nprometheus_textfile = td.prom\nrepeat = 2\n' > "$CONF"
kill -HUP "$td_pid"
upto 50 grep -q "configuration reloaded" "$T/err"
check "SIGHUP with a good configuration reloads it" [ $? -eq 0 ]
upto 50 sql_is "$DB" "select count(*) from runs where n_pass = 2 and status = 'complete'" 1
check "... and the next run has 2 repetitions" [ $? -eq 0 ]
check "two READY=1 after two reloads, besides the first" \
    [ "$(messages "$T/notify" | grep -c "^READY=1")" -eq 3 ]

stop TERM "$td_pid"
check "SIGTERM: exit 0 (got $rc)" [ "$rc" -eq 0 ]
last_is_stopping() { [ "$(messages "$T/notify" | tail -n 1)" = STOPPING=1 ]; }
upto 20 last_is_stopping
check "STOPPING=1 is the last message" [ $? -eq 0 ]
check "no run is left running" sql_is "$DB" "select count(*) from runs where status = 'running'" 0
check "nothing on stderr is a warning but the refused reload" \
    sh -c '! grep -v "^teardownd: \(run \|no complete\|next run\|teardownd [0-9]\|SIGHUP\|configuration reloaded\|SIGTERM\|stopped\|reload refused\)" "$1" | grep -v "td.ini:3:"' sh "$T/err"
stop TERM "$sink_pid"

# Several environments (two profiles): the textfile keeps the last complete
# run of each, side by side.
printf '[teardownd]\nprometheus_textfile = m.prom\n' > "$T/m.ini"
"$TD" -c "$T/m.ini" --once --db "$T/m.db" --only three-way-close --family ipv4 \
    --profile default,rfc1337 > /dev/null 2>&1
for p in default rfc1337; do
	check "two profiles: the textfile has the run under $p" grep -qx \
	    "teardownd_scenario_pass{profile=\"$p\",link=\"lo\",scenario=\"three-way-close\",family=\"ipv4\"} 1" \
	    "$T/m.prom"
done
check "... one HELP per metric, and promtool check metrics accepts it" \
    sh -c '[ "$(grep -c "^# HELP teardownd_run_cases " "$1")" -eq 1 ] &&
    promtool check metrics < "$1"' sh "$T/m.prom"

# Logging: "<N>" priorities when stderr is the journal's stream; -v debug.
: > "$T/jerr"
JOURNAL_STREAM=$(stat -L -c '%d:%i' "$T/jerr") "$TD" --once --db "$T/j.db" \
    --only three-way-close --family ipv4 > /dev/null 2>> "$T/jerr"
check "stderr is JOURNAL_STREAM: lines carry <6> priorities" grep -q '^<6>run 1: ' "$T/jerr"
JOURNAL_STREAM=1:1 "$TD" --once --db "$T/j.db" --only three-way-close --family ipv4 \
    > /dev/null 2> "$T/jerr"
check "stderr is elsewhere: plain 'teardownd: ' lines" grep -q '^teardownd: run 2: ' "$T/jerr"
check "without -v, no debug lines" sh -c '! grep -q "three-way-close/ipv4/0: pass" "$1"' sh "$T/jerr"
"$TD" --once -v --db "$T/j.db" --only three-way-close --family ipv4 > /dev/null 2> "$T/jerr"
check "-v adds debug lines (each case's result)" grep -q "three-way-close/ipv4/0: pass" "$T/jerr"
[ "$nfail" -eq 0 ] || { echo "# stderr:"; sed 's/^/#   /' "$T/err"; echo "# notify:"; sed 's/^/#   /' "$T/notify" | head -40; }
finish
