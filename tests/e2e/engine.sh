#!/bin/sh
# The engine never waits on itself, and its steps say what really happened:
# (a) a close that lingers 2 s runs on a worker while another case's
#     sleeps go on on time, and its step records the worker's time;
# (b) the case deadline holds over a lingering close still in progress;
# (c) a send that cannot finish stores what it did (bytes, EAGAIN) and
#     fails with a message, unless the script expects it; nonblocking
#     forms; errno aliases stored by their Linux name;
# (d) SIGTERM early in a run of the whole catalogue: the cases in flight
#     are abandoned, none is a failure;
# (e) concurrency is what was asked for, as far as the open-file limit
#     goes, and the start-up line says what is used;
# (f) when every case fits at once, the scenario that may wait longest
#     starts first; otherwise the plan's order, repetition by repetition.
. "$(dirname "$0")/lib.inc"
DB="$T/t.db"
cat > "$T/engine.ini" << 'EOS'
[blocker]
summary = A close that lingers 2 s: the server never reads, the FIN cannot go
timeout = 5s
steps   = listener rcvbuf 4096
          client connect
          listener accept
          client send fill
          client wait info snd_wnd = 0 within 1s
          client linger 2
          client close
          client expect rc 0
          client expect duration over 1900ms

[ticker]
summary = Sleeps that must not wait for anybody
steps   = client sleep 100ms
          client sleep 100ms
          client sleep 100ms
          client sleep 100ms
          client sleep 100ms
          client sleep 100ms
          client sleep 100ms
          client sleep 100ms
          client sleep 100ms
          client sleep 100ms
          client sleep 100ms
          client sleep 100ms
          client sleep 100ms
          client sleep 100ms
          client sleep 100ms

[deadline]
summary = The case deadline comes while its lingering close still runs
timeout = 1500ms
steps   = listener rcvbuf 4096
          client connect
          listener accept
          client send fill
          client wait info snd_wnd = 0 within 1s
          client sleep 800ms
          client linger 1
          client close

[unfinished]
summary = A send the peer never reads: 8 MB do not fit
steps   = listener rcvbuf 4096
          client connect
          listener accept
          client send 8000000 within 300ms
          server expect state ESTABLISHED

[unfinished-expected]
summary = The same, its outcome expected
steps   = listener rcvbuf 4096
          client connect
          listener accept
          client send 8000000 within 300ms
          client expect errno EWOULDBLOCK
          client send 1000 nonblock
          client expect rc -1
          client send 1000 nonblock
          client expect errno EAGAIN
          server recv 100 nonblock
          server expect rc 100
          server recv all nonblock
          server expect rc >= 3000
          client recv 1 nonblock
          client expect errno EAGAIN
EOS

# (a), (b), (c): one run.
"$TD" --once --db "$DB" --scenarios "$T/engine.ini" \
    --only blocker,ticker,deadline,unfinished,unfinished-expected --family ipv4 \
    > "$T/out" 2> "$T/err"
rc=$?
check "the run ends with exit 1: two cases fail, as they must (got $rc)" [ "$rc" -eq 1 ]
eq "(a) the blocking close passes, its duration the worker's (>= 1.9 s)" "$DB" \
    "select c.verdict, s.dur_us >= 1900000 and s.dur_us < 2500000 from cases c
     join steps s on s.case_id = c.id and s.verb = 'close' where c.scenario = 'blocker'" "pass|1"
# (The loop's other work, 3 MB sends on loopback whose receiving the
# kernel does in the sender's call, delays a sleep by up to ~17 ms under
# ASan alone, and by more than 50 ms under ASan beside other load; a loop
# that waited on the close would delay one by the close's 2 s.)
eq "(a) the sleeps ran meanwhile, each within 400 ms of 100 ms" "$DB" \
    "select count(*), sum(s.dur_us between 100000 and 500000) from steps s
     join cases c on c.id = s.case_id where c.scenario = 'ticker'" "15|15"
eq "(a) the cases overlapped: the ticker ended before the close did" "$DB" \
    "select t.started_us + t.duration_us < b.started_us + s.t_us + s.dur_us
     from cases t, cases b join steps s on s.case_id = b.id and s.verb = 'close'
     where t.scenario = 'ticker' and b.scenario = 'blocker'" 1
eq "(b) the case deadline holds over a lingering close: timeout" "$DB" \
    "select verdict, message from cases where scenario = 'deadline'" \
    "timeout|line 42: case deadline of 1.5 s reached"
eq "(b) ... at 1.5 s, not at the close's end" "$DB" \
    "select duration_us between 1500000 and 1600000 or duration_us from cases
     where scenario = 'deadline'" 1
eq "(b) ... the close is the step that timed out" "$DB" \
    "select s.verb, s.status from cases c join steps s on s.case_id = c.id
     and s.idx = c.first_fail where c.scenario = 'deadline'" "close|timeout"
eq "(c) an unfinished send fails, and says what it did" "$DB" \
    "select c.verdict, s.status, s.rc > 100000, s.errno, s.dur_us between 300000 and 400000
     from cases c join steps s on s.case_id = c.id and s.idx = 3
     where c.scenario = 'unfinished'" "fail|failed|1|EAGAIN|1"
sqlite3 "$DB" "select s.message from steps s join cases c on c.id = s.case_id
    where c.scenario = 'unfinished' and s.idx = 3" > "$T/msg"
check "(c) ... its message: bytes, time, EAGAIN ($(cat "$T/msg"))" \
    grep -q "^send 8000000 within 300ms: [0-9]* bytes in [0-9]* ms (EAGAIN), unfinished and not expected$" "$T/msg"
eq "(c) expected, it passes; nonblocking forms; EWOULDBLOCK is stored as EAGAIN" "$DB" \
    "select verdict from cases where scenario = 'unfinished-expected'" pass
eq "(c) ... the alias, as stored" "$DB" \
    "select args from steps s join cases c on c.id = s.case_id
     where c.scenario = 'unfinished-expected' and s.idx = 4" EAGAIN

# (d) SIGTERM 0.25 s into the whole catalogue, five times: cases in flight
# are abandoned, no case fails because of it. (0.25 s from the run's
# start, its first line: set-up before it takes longer on a busy machine.)
i=0
while [ "$i" -lt 5 ]; do
	rm -f "$T/sig.db"* "$T/sig.err"
	"$TD" --once --db "$T/sig.db" > /dev/null 2> "$T/sig.err" &
	pid=$!
	n=0
	until grep -q "cases at once" "$T/sig.err" 2>/dev/null || [ "$n" -ge 500 ]; do
		sleep 0.01; n=$((n + 1))
	done
	sleep 0.25
	kill -TERM "$pid"
	wait "$pid"
	i=$((i + 1))
	eq "(d) SIGTERM at 0.25 s ($i): the run is interrupted, no case failed" "$T/sig.db" \
	    "select status, n_fail + n_timeout + n_error, n_abandoned > 0,
	     (select count(*) from v_failure) from runs" "interrupted|0|1|0"
done
eq "(d) abandoned cases are counted apart in v_history" "$T/sig.db" \
    "select sum(n_abandoned) > 0, sum(n_fail) from v_history" "1|0"

# (e) Concurrency: what was asked for, as far as the open-file limit goes.
"$TD" --once --db "$T/c.db" --only abort-linger0 --repeat 300 --concurrency 500 \
    > /dev/null 2> "$T/cerr"
check "(e) 600 cases, 500 at once: the start-up line says 500" \
    grep -q "1 scenarios, 500 cases at once" "$T/cerr"
hard=$(sh -c 'ulimit -Hn')
"$TD" --once --db "$T/c.db" --only abort-linger0 --repeat 300 --concurrency 1000000 \
    > /dev/null 2> "$T/cerr"
rc=$?
fit=$(sed -n 's/.*allows \([0-9]*\) cases at once.*/\1/p' "$T/cerr")
check "(e) above the open-file limit ($hard): one warning names the number used ($fit)" \
    [ -n "$fit" ] && [ "$fit" -lt "$hard" ] && [ "$(grep -c 'allows' "$T/cerr")" -eq 1 ]
check "(e) ... and the run uses it (600 cases fit: 600 at once), all pass (exit $rc)" \
    grep -q "1 scenarios, 600 cases at once" "$T/cerr"

# (f) The order cases start in.
cat > "$T/order.ini" << 'EOS'
[quick]
summary = Waits for nothing
steps   = client sleep 1ms

[slow]
summary = Sleeps, then may wait for a state
steps   = client sleep 20ms
          client wait state ESTABLISHED within 1s
EOS
"$TD" --once --db "$T/o.db" --scenarios "$T/order.ini" --only quick,slow --repeat 3 > /dev/null 2>&1
eq "(f) 12 cases, all at once: the 6 of 'slow' (bound 1.02 s) start before 'quick' (1 ms)" \
    "$T/o.db" "select count(*), (select max(started_us) from cases where scenario = 'slow')
     <= (select min(started_us) from cases where scenario = 'quick') from cases" "12|1"
"$TD" --once --db "$T/o2.db" --scenarios "$T/order.ini" --only quick,slow --repeat 3 --concurrency 4 \
    > /dev/null 2>&1
eq "(f) 4 at once: the catalogue's order, 'quick' then 'slow', repetition by repetition" \
    "$T/o2.db" "select group_concat(scenario || rep, ' ') from (select scenario, rep
     from cases order by started_us, id limit 4)" "quick0 quick0 slow0 slow0"
[ "$nfail" -eq 0 ] || { cat "$T/err"; sed 's/^/# /' "$T/cerr"; }
finish
