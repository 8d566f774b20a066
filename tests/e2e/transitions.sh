#!/bin/sh
# State transitions. As root (CAP_BPF and CAP_PERFMON), teardownd traces
# every state change of its own sockets: in four-way-close the passive
# closer (the server) passes LAST_ACK, which a step hardly ever sees on
# loopback (it lasts tens of microseconds, inside the server's close): it is
# stored with a time inside that close step, shown between the steps by
# show CASE (and in its JSON), and written beside the server's bar by the
# ladder. As an ordinary user it cannot load BPF: one line says
# "transitions not observed", the run passes all the same, and nothing is
# stored as observed.
. "$(dirname "$0")/lib.inc"
SCN=four-way-close
# A script that asserts the state came and went: passed as root, skipped
# (never passed) without the privilege.
cat > "$T/passed.ini" << 'EOS'
[passes-last-ack]
summary = The passive closer passes LAST_ACK inside its close
steps   = client send 100
          server recv 100
          client shutdown wr
          server recv eof
          server close
          server wait state CLOSED within 1s
          server expect passed LAST_ACK
          client expect passed FIN_WAIT1

[never-closing]
summary = An orderly close never passes CLOSING
steps   = client shutdown wr
          server recv eof
          server close
          server wait state CLOSED within 1s
          client expect passed CLOSING
EOS

if [ "$(id -u)" = 0 ]; then
	DB="$T/root.db"
	"$TD" --once --db "$DB" --only "$SCN" > "$T/out" 2> "$T/err"
	rc=$?
	check "as root, the run passes (exit $rc)" [ "$rc" -eq 0 ]
	check "... and says nothing of transitions" \
	    [ "$(grep -c "transitions" "$T/err")" -eq 0 ]
	eq "the run's transitions were observed" "$DB" "select transitions from v_run" observed
	eq "... those of both its cases" "$DB" \
	    "select group_concat(transitions) from v_case" "observed,observed"
	for fam in ipv4 ipv6; do
		# The server's changes, in order, as Linux traces them.
		eq "$fam: the server goes through LAST_ACK" "$DB" \
		    "select group_concat(from_state || '>' || to_state, ' ') from
		    (select * from v_transition where family = '$fam'
		    and side = 'server' order by idx)" \
		    "LISTEN>SYN_RECV SYN_RECV>ESTABLISHED ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSE"
		# The client enters TIME_WAIT: its full socket is traced to
		# CLOSE; the mini-socket has no tracepoint.
		eq "$fam: the client's TIME_WAIT is traced as FIN_WAIT2 -> CLOSE" "$DB" \
		    "select group_concat(from_state || '>' || to_state, ' ') from
		    (select * from v_transition where family = '$fam'
		    and side = 'client' order by idx)" \
		    "CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1 FIN_WAIT1>FIN_WAIT2 FIN_WAIT2>CLOSE"
		eq "$fam: LAST_ACK is entered after the server's close starts and before the next step ends" "$DB" \
		    "select t.t_ns >= c.t_us * 1000 and t.t_ns <= (n.t_us + n.dur_us) * 1000
		    from v_transition as t
		    join v_step as c on c.case_id = t.case_id and c.side = 'server'
		        and c.verb = 'close'
		    join v_step as n on n.case_id = t.case_id and n.idx = c.idx + 1
		    where t.family = '$fam' and t.to_state = 'LAST_ACK'" 1
	done
	"$CTL" --db "$DB" show "1/$SCN/ipv4" > "$T/show" 2>&1
	close=$(grep -n " server  close " "$T/show" | cut -d: -f1)
	last=$(grep -n " server  CLOSE_WAIT -> LAST_ACK .* LAST_ACK " "$T/show" | cut -d: -f1)
	next=$(grep -n " server  wait state CLOSED " "$T/show" | cut -d: -f1)
	check "show CASE has the server's LAST_ACK between its close and the next step" \
	    [ -n "$close" ] && [ -n "$last" ] && [ -n "$next" ] &&
	    [ "$close" -lt "$last" ] && [ "$last" -lt "$next" ]
	check "show CASE's header says the transitions were observed" \
	    grep -q "^transitions *observed$" "$T/show"
	"$CTL" --db "$DB" --json show "1/$SCN/ipv4" > "$T/json" 2>&1
	check "show CASE --json lists them, LAST_ACK the server's" \
	    [ "$(jq -r '.transitions[] | select(.to_state == "LAST_ACK") | .side' \
	    "$T/json")" = server ]
	check_json "show CASE --json" "$T/json"
	check "... with their times in ns and us" \
	    [ "$(jq '[.transitions[] | select(.t_us == (.t_ns / 1000 | floor))] | length' \
	    "$T/json")" -eq 10 ]
	"$CTL" --db "$DB" ladder "1/$SCN/ipv4" > "$T/ladder" 2>&1
	check "the ladder writes LAST_ACK beside the server's bar" \
	    grep -q "|  *| LAST_ACK$" "$T/ladder"
	check "... and does not say the transitions were not observed" \
	    [ "$(grep -c "not observed" "$T/ladder")" -eq 0 ]
	"$TD" --once --db "$T/p.db" --scenarios "$T/passed.ini" \
	    --only passes-last-ack,never-closing > /dev/null 2>&1
	eq "expect passed LAST_ACK holds as root" "$T/p.db" \
	    "select group_concat(distinct verdict) from cases where scenario = 'passes-last-ack'" pass
	eq "expect passed CLOSING fails where the end never entered it" "$T/p.db" \
	    "select distinct s.status || ': ' || s.message from cases c join steps s
	     on s.case_id = c.id and s.idx = c.first_fail where c.scenario = 'never-closing'" \
	    "failed: never entered CLOSING"
else
	echo "# not root: the traced run is not checked"
fi

# As an ordinary user: no BPF.
U="$T/user"
mkdir "$U"
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	chown 65534:65534 "$U" && chmod 0755 "$T"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$TD" --once --db "$U/t.db" --only "$SCN" > "$T/out" 2> "$T/err"
	rc=$?
else
	"$TD" --once --db "$U/t.db" --only "$SCN" > "$T/out" 2> "$T/err"
	rc=$?
fi
check "as an ordinary user, the run passes (exit $rc)" [ "$rc" -eq 0 ]
check "... one line says transitions are not observed, and why" \
    [ "$(grep -c "transitions not observed: .*CAP_BPF" "$T/err")" -eq 1 ]
eq "the run's transitions were not observed" "$U/t.db" \
    "select transitions from v_run" not_observed
eq "... nor those of its cases" "$U/t.db" \
    "select count(*) from v_case where transitions = 'not_observed'" 2
eq "no transition is stored" "$U/t.db" "select count(*) from transitions" 0
"$CTL" --db "$U/t.db" show "1/$SCN/ipv4" > "$T/show" 2>&1
check "show CASE says transitions were not observed" \
    grep -q "^transitions not observed" "$T/show"
check "... and lists steps only" [ "$(grep -c " -> " "$T/show")" -eq 0 ]
"$CTL" --db "$U/t.db" ladder "1/$SCN/ipv4" > "$T/ladder" 2>&1
check "the ladder says so too" grep -q "transitions not observed" "$T/ladder"
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	cp "$T/passed.ini" "$U/passed.ini"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TD" --once \
	    --db "$U/p.db" --scenarios "$U/passed.ini" --only passes-last-ack \
	    > /dev/null 2>&1
	rc=$?
else
	"$TD" --once --db "$U/p.db" --scenarios "$T/passed.ini" \
	    --only passes-last-ack > /dev/null 2>&1
	rc=$?
fi
check "without the privilege, a script with expect passed runs (exit $rc)" [ "$rc" -eq 0 ]
eq "... its expect passed steps are skipped, never passed" "$U/p.db" \
    "select group_concat(distinct status) from steps where verb = 'expect passed'" skipped
eq "... with the reason" "$U/p.db" \
    "select distinct message from steps where verb = 'expect passed' and args = 'LAST_ACK'" \
    "transitions not observed: cannot tell whether it passed LAST_ACK"
finish
