#!/bin/sh
# A full disk: the daemon keeps running; while its database's file system
# has no room, each run that falls due is not started and says why, once;
# the WAL does not keep the disk full (it is checkpointed and truncated);
# once space returns the runs go on by themselves; no case is stored as
# an error for it. On a 4 MB tmpfs of the test's own (root only).
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/daemon.inc"
if [ "$(id -u)" != 0 ]; then
	echo "ok - # SKIP needs root to mount a tmpfs"
	exit 0
fi
FS="$T/fs"
mkdir "$FS"
if ! mount -t tmpfs -o size=4m tmpfs "$FS" 2>/dev/null; then
	echo "ok - # SKIP cannot mount a tmpfs here"
	exit 0
fi
trap 'for p in $pids; do kill -KILL "$p" 2>/dev/null; done; sleep 0.2;
    umount "$FS" 2>/dev/null; rm -rf "$T"' EXIT
DB="$FS/t.db"
complete() { sql_ge "$DB" "select count(*) from runs where status = 'complete'" "$1"; }

daemon "$T/err" --db "$DB" --only abort-linger0,four-way-close --family ipv4 \
    --interval 1s
upto 100 complete 1
check "the daemon stores runs on the small file system" [ $? -eq 0 ]
full_since=$(grep -c . "$T/err")
t_full=$(date +%s)
dd if=/dev/zero of="$FS/filler" bs=4k > /dev/null 2> "$T/dd.err"
check "the file system is full" grep -q "No space left on device" "$T/dd.err"
upto 100 sh -c "tail -n +$((full_since + 1)) '$T/err' | grep -q 'the run cannot be stored, not started'"
check "a run due while it is full is not started, saying why" [ $? -eq 0 ]
sleep 2.5
check "the daemon keeps running" alive "$td_pid"
tail -n +$((full_since + 1)) "$T/err" > "$T/full.err"
said=$(grep -c 'cannot be stored\|cannot store' "$T/full.err")
secs=$(( $(date +%s) - t_full ))
check "... and says so once per run that fell due ($said in $secs s, a run due each second)" \
    [ "$said" -le $((secs + 2)) ]
check "the WAL is not what fills the disk ($(stat -c %s "$DB-wal") bytes)" \
    [ "$(stat -c %s "$DB-wal")" -le 1048576 ]
n=$(sqlite3 "$DB" "select count(*) from runs where status = 'complete'")
rm -f "$FS/filler"
upto 100 complete $((n + 1))
check "once space returns, runs are stored again by themselves" [ $? -eq 0 ]
eq "no case was stored as an error" "$DB" "select count(*) from cases where verdict = 'error'" 0
check "at most one run is going (the one in progress)" \
    [ "$(sqlite3 "$DB" "select count(*) from runs where status = 'running'")" -le 1 ]
stop TERM "$td_pid"
check "SIGTERM: exit 0 (got $rc)" [ "$rc" -eq 0 ]
eq "every run is complete, aborted (cut by the full disk) or interrupted (SIGTERM)" "$DB" \
    "select count(*) from runs where status not in ('complete', 'aborted', 'interrupted')" 0
finish
