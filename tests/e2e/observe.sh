#!/bin/sh
# Honest observation in the scenario language and the database: rqueue and
# wqueue as `expect info` / `wait info` fields (bytes not read yet, bytes
# not acknowledged yet, the end's own FIN one byte of them), stored for
# every end that was found, shown by `teardownctl show -v`; an expectation
# on them fails with the value it saw.
. "$(dirname "$0")/lib.inc"
DB="$T/t.db"
cat > "$T/user.ini" <<'INI'
[queues]
summary = Bytes not read are the reader's rqueue; bytes not acknowledged the sender's wqueue, its own FIN one byte of it
steps   = client send 100
          server wait info rqueue = 100 within 1s
          server expect info wqueue = 0
          server filter drop all
          client send 50
          client expect info wqueue = 50
          client shutdown wr
          client expect info wqueue = 51
          client expect info rqueue = 0

[queues-wrong]
summary = An expectation on a queue that does not hold fails with what it saw
steps   = client send 100
          server wait info rqueue = 100 within 1s
          server expect info rqueue = 99
INI

"$TD" --once --db "$DB" --scenarios "$T/user.ini" --only queues,queues-wrong \
    > "$T/out" 2> "$T/err"
rc=$?
check "teardownd --once exits 1: queues-wrong fails (got $rc)" [ "$rc" -eq 1 ]
[ "$rc" -eq 1 ] || cat "$T/out" "$T/err"
eq "queues passes on both families" "$DB" \
    "select group_concat(family || ' ' || verdict, ',') from
     (select * from cases where scenario = 'queues' order by family)" \
    "ipv4 pass,ipv6 pass"
eq "queues-wrong fails at its expectation, saying what it saw" "$DB" \
    "select distinct message from cases where scenario = 'queues-wrong'" \
    "line 17: rqueue is 100, expected = 99"
eq "the server's 100 unread bytes are stored as s_rqueue" "$DB" \
    "select count(*) from v_step where scenario = 'queues' and idx = 1
     and s_rqueue = 100 and s_wqueue = 0" 2
eq "the client's 50 bytes and its FIN are stored as c_wqueue" "$DB" \
    "select group_concat(c_wqueue, ',') from v_step where scenario = 'queues'
     and family = 'ipv4' and idx in (5, 7) order by idx" "50,51"
eq "every end found has both queue lengths" "$DB" \
    "select count(*) from steps where
     (c_source in ('tcp_info', 'sock_diag', 'sock_diag_tw') and (c_rqueue is null or c_wqueue is null))
     or (s_source in ('tcp_info', 'sock_diag', 'sock_diag_tw') and (s_rqueue is null or s_wqueue is null))" 0
eq "an end gone with its fd has neither tcp_info nor queue lengths" "$DB" \
    "select count(*) from steps where (c_source = 'gone' and c_rqueue is not null and c_rto is null)
     or (s_source = 'gone' and s_rqueue is not null and s_rto is null)" 0
"$CTL" --db "$DB" show last/queues/ipv4 -v > "$T/show" 2>&1
check "show -v has the queue columns" grep -q "c-rqueue  *c-wqueue" "$T/show"
check "show -v shows the server's 100 unread bytes" \
    grep -Eq '^1 .* wait info rqueue = 100 within 1s .* 100 +0 +- *$' "$T/show"
finish
