#!/bin/sh
# Environments: sysctl profiles and links. A plan of profiles x links runs
# as a run per environment, each recording its profile, link and the
# profile's sysctls; on lo a profile's cases get a namespace of their own
# (127.0.1.N, 2001:db8:ff::N) with its sysctls (the orphan's lifetime
# shows they are there), the wire and transitions still observed; the
# matrix has a column per environment, diff shows the sysctl next to the
# behaviour that changed with it; a run is compared with the baseline of
# its own profile and link only; the daemon runs every environment.
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/daemon.inc"
if [ "$(id -u)" != 0 ]; then
	echo "ok - # SKIP needs root (namespaces, BPF)"
	exit 0
fi
DB="$T/p.db"
# The client's orphan in FIN_WAIT2 lasts tcp_fin_timeout (60 s by default,
# 1 s under fin-timeout-1): gone within 3 s only under the profile.
cat > "$T/orphan.ini" <<'INI'
[orphan-fin-wait2]
summary = the client's orphan in FIN_WAIT2 is gone within 3 s
steps   = client close
          client wait state FIN_WAIT2 within 1s
          server expect state CLOSE_WAIT
          client wait state CLOSED within 3s
INI
"$TD" --once --db "$DB" --scenarios "$T/orphan.ini" \
    --only orphan-fin-wait2,four-way-close --profile default,fin-timeout-1 \
    > "$T/out" 2> "$T/err"
rc=$?
check "two profiles: exit 1, a case failed under the default ($rc)" [ "$rc" -eq 1 ]
check "... a summary per environment" [ "$(grep -c '^== profile .*, link lo ==$' "$T/out")" -eq 2 ]
eq "... a run per profile, each with its profile and link" "$DB" \
    "select id || ' ' || profile || ' ' || link from runs order by id" \
    "1 default lo
2 fin-timeout-1 lo"
eq "... the orphan outlives 3 s under the default, not under fin-timeout-1" "$DB" \
    "select run_id || ' ' || family || ' ' || verdict from cases
     where scenario = 'orphan-fin-wait2' order by run_id, family" \
    "1 ipv4 fail
1 ipv6 fail
2 ipv4 pass
2 ipv6 pass"
eq "... the profile's tcp_fin_timeout is recorded with the run" "$DB" \
    "select value || ' ' || scope from run_sysctls where run_id = 2
     and name = 'net.ipv4.tcp_fin_timeout'" "1 netns"
eq "... its cases ran in a loopback namespace of their own" "$DB" \
    "select count(*) from cases where run_id = 2 and
     ((client_addr like '127.0.1.%:%' and server_addr like '127.0.1.%:%') or
     (client_addr like '[2001:db8:ff::%]:%' and server_addr like
     '[2001:db8:ff::%]:%'))" 4
eq "... with the wire and the transitions observed there" "$DB" \
    "select count(*) from cases where run_id = 2 and wire = 'observed'
     and transitions = 'observed'" 4
eq "... and four-way-close's wire there is lo's" "$DB" \
    "select count(distinct x.t) from (select group_concat(token, ' ; ')
     over (partition by case_id order by idx rows between unbounded preceding
     and unbounded following) as t from v_segment where scenario =
     'four-way-close' and family = 'ipv4') as x" 1
"$CTL" --db "$DB" matrix > "$T/m" 2>&1
check "matrix: a column per environment" \
    grep -q "^scenario .* $(uname -r) fin-timeout-1/lo *$" "$T/m"
check "... the orphan fails under the default, passes under fin-timeout-1" \
    grep -q "^orphan-fin-wait2 *fail 0/2 *pass 2/2 *$" "$T/m"
"$CTL" --db "$DB" diff 1 2 > "$T/d" 2>&1
check "diff 1 2: the sysctl that differs" \
    grep -q "^net.ipv4.tcp_fin_timeout *[0-9]* *1 *$" "$T/d"
check "... and the scenario that changed with it" grep -q "orphan-fin-wait2" "$T/d"

# Baselines are per host, profile and link: orphan-fin-wait2 differs
# between the two profiles, so a lookup that ignored the profile would
# find a regression (exit 2).
"$CTL" --db "$DB" baseline set 1 > /dev/null 2>&1
"$TD" --once --db "$DB" --scenarios "$T/orphan.ini" --only orphan-fin-wait2 \
    --profile fin-timeout-1 > "$T/out" 2> "$T/err"
rc=$?
check "a fin-timeout-1 run is not compared with the default's baseline ($rc)" \
    [ "$rc" -eq 0 ]
"$CTL" --db "$DB" baseline set 3 > /dev/null 2>&1
eq "... each environment keeps its baseline" "$DB" \
    "select profile || ' ' || link || ' ' || run_id from baselines order by 1" \
    "default lo 1
fin-timeout-1 lo 3"

# Links: a run per link; scenarios with a link of their own run with the
# first only.
"$TD" --once --db "$T/l.db" --only four-way-close,simultaneous-close \
    --link lo,veth > "$T/out" 2> "$T/err"
rc=$?
check "--link lo,veth: two runs ($rc)" [ "$rc" -eq 0 ]
eq "... four-way-close on each link, simultaneous-close (relay) once" "$T/l.db" \
    "select r.link || ' ' || c.scenario || ' ' || c.link || ' ' || count(*)
     from cases c join runs r on r.id = c.run_id
     group by r.link, c.scenario, c.link order by 1" \
    "lo four-way-close lo 2
lo simultaneous-close relay 2
veth four-way-close veth 2"

# The daemon runs every environment of its plan at each scheduled run,
# one after another; a reload may change the profiles.
cat > "$T/d.ini" <<INI
[teardownd]
database = $T/d.db
profiles = default, mine
[profile mine]
net.ipv4.tcp_fin_timeout = 7
INI
daemon "$T/d.err" -c "$T/d.ini" --only four-way-close --interval 1h
check "daemon: a run per profile at start-up" upto 300 sql_is "$T/d.db" \
    "select group_concat(profile || ' ' || status, ', ') from (select * from runs
     order by id)" "default complete, mine complete"
eq "... mine's tcp_fin_timeout recorded" "$T/d.db" \
    "select value from run_sysctls join runs on runs.id = run_id
     where profile = 'mine' and name = 'net.ipv4.tcp_fin_timeout'" 7
stop TERM "$td_pid"
check "... stops cleanly ($rc)" [ "$rc" -eq 0 ]

# Bad names on the command line: exit 64, the word named.
"$TD" --once --db "$T/x.db" --profile default,nosuch > "$T/out" 2> "$T/err"
rc=$?
check "--profile nosuch: exit 64 ($rc), the word named" \
    sh -c "[ $rc -eq 64 ] && grep -q \"no profile 'nosuch'\" '$T/err'"
"$TD" --once --db "$T/x.db" --link lo,ether > "$T/out" 2> "$T/err"
rc=$?
check "--link ether: exit 64 ($rc)" \
    sh -c "[ $rc -eq 64 ] && grep -q \"'ether' is not a link\" '$T/err'"
check "... and no database made" [ ! -e "$T/x.db" ]
finish
