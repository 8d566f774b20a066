#!/bin/sh
# make install puts the binaries, units, sysusers file, configuration,
# catalogue and man pages where PREFIX, DESTDIR and friends say; the
# configuration is valid and never overwritten; the man pages render
# without warnings and document every step of the README; the units pass
# systemd-analyze verify and score at most 3.0 (where systemd-analyze is
# installed); make uninstall takes it all away again.
. "$(dirname "$0")/lib.inc"
R="$T/root"
mk() { make -s --no-print-directory B="$B" DESTDIR="$R" "$@" > "$T/make.out" 2>&1; }

mk PREFIX=/usr install
check "make install DESTDIR=... PREFIX=/usr succeeds" [ $? -eq 0 ]
(cd "$R" && find . -type f | sort) > "$T/files"
cat > "$T/want" <<EOS
./etc/teardownd/teardownd.ini
./usr/bin/teardownctl
./usr/lib/systemd/system/teardownd-check.service
./usr/lib/systemd/system/teardownd-check.timer
./usr/lib/systemd/system/teardownd.service
./usr/lib/sysusers.d/teardownd.conf
./usr/sbin/teardownd
./usr/share/bash-completion/completions/teardownctl
$(for f in etc/scenarios/*.ini; do echo "./usr/share/teardownd/scenarios/${f##*/}"; done)
./usr/share/teardownd/teardownd.ini
./usr/share/teardownd/teardownd.schema.json
./usr/share/man/man1/teardownctl.1
./usr/share/man/man5/teardownd.ini.5
./usr/share/man/man8/teardownd.8
EOS
sort -o "$T/want" "$T/want"
check "the installed tree is exactly the expected files" cmp -s "$T/files" "$T/want"
cmp -s "$T/files" "$T/want" || diff "$T/want" "$T/files" | sed 's/^/#   /'
check "... and the scenarios.d directory" [ -d "$R/etc/teardownd/scenarios.d" ]
check "binaries are 0755" [ "$(stat -c %a "$R/usr/sbin/teardownd" "$R/usr/bin/teardownctl" | sort -u)" = 755 ]
check "everything else is 0644" [ "$(cd "$R" && find . -type f ! -path '*bin/*' -exec stat -c %a {} + | sort -u)" = 644 ]
check "the units run the installed binary with the installed configuration" \
    grep -qx 'ExecStart=/usr/sbin/teardownd -c /etc/teardownd/teardownd.ini' "$R/usr/lib/systemd/system/teardownd.service"
check "... teardownd-check.service runs it --once" \
    grep -qx 'ExecStart=/usr/sbin/teardownd --once -c /etc/teardownd/teardownd.ini' "$R/usr/lib/systemd/system/teardownd-check.service"
"$B/teardownd" -n -c "$R/etc/teardownd/teardownd.ini" > "$T/out" 2>&1
check "the installed configuration is valid" grep -qx "configuration OK" "$T/out"
check "... keeps the database in the state directory" \
    grep -qx "database = /var/lib/teardownd/teardownd.db" "$R/etc/teardownd/teardownd.ini"
check "the man pages name the installed catalogue" \
    grep -q '^\.I /usr/share/teardownd/scenarios/' "$R/usr/share/man/man8/teardownd.8"

for m in "$R"/usr/share/man/man*/*; do
	groff -man -ww -z "$m" > "$T/groff" 2>&1
	check "groff -man -ww renders ${m##*/} without a warning" [ ! -s "$T/groff" ]
	MANWIDTH=80 man -l "$m" > "$T/man" 2> "$T/manerr"
	check "man -l renders ${m##*/}" [ -s "$T/man" ] && [ ! -s "$T/manerr" ]
done
# Every step the README's scenario table documents is in teardownd.ini(5).
sed -n '/^## Scenarios/,/^### Wire patterns/p' README.md |
    sed -n 's/^| `\([a-z-]*\)[ `].*/\1/p' | sort -u > "$T/verbs"
sed 's/\\-/-/g' "$R/usr/share/man/man5/teardownd.ini.5" > "$T/man5"
missing=""
for v in $(cat "$T/verbs"); do
	grep -q "^\.B[IR]* \"*$v\( \|\"\|$\)" "$T/man5" || missing="$missing $v"
done
check "teardownd.ini(5) has every step of the README ($(wc -l < "$T/verbs") verbs)${missing:+: missing$missing}" \
    [ -z "$missing" ] && [ -s "$T/verbs" ]
missing=""
for k in database scenarios families repeat concurrency case_timeout interval isolation prometheus_textfile; do
	grep -q "^\.BI $k " "$R/usr/share/man/man5/teardownd.ini.5" || missing="$missing $k"
done
check "teardownd.ini(5) documents every configuration key${missing:+: missing$missing}" [ -z "$missing" ]

if command -v systemd-analyze > /dev/null; then
	# The units as installed, pointing into DESTDIR so that their
	# executables and man pages are found.
	mkdir "$T/units"
	for u in "$R"/usr/lib/systemd/system/*; do
		sed -e "s|/usr/sbin/|$R/usr/sbin/|g" -e "s|/etc/teardownd/|$R/etc/teardownd/|g" \
		    "$u" > "$T/units/${u##*/}"
	done
	(cd "$T/units" && MANPATH="$R/usr/share/man" SYSTEMD_LOG_LEVEL=notice \
	    systemd-analyze verify teardownd.service teardownd-check.service \
	    teardownd-check.timer) > "$T/verify" 2>&1
	check "systemd-analyze verify passes on the units" [ $? -eq 0 ] && [ ! -s "$T/verify" ]
	sed 's/^/#   /' "$T/verify"
	for u in teardownd.service teardownd-check.service; do
		score=$(cd "$T/units" && systemd-analyze security --offline=true "$u" 2>/dev/null |
		    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
		echo "# $u: exposure $score"
		check "systemd-analyze security scores $u at most 3.0 (got $score)" \
		    awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 3.0) }'
	done
else
	echo "# systemd-analyze is not installed: units not verified"
fi

echo "# a site's own line" >> "$R/etc/teardownd/teardownd.ini"
mk PREFIX=/usr install
check "a second install keeps a changed configuration" grep -q "kept .*teardownd.ini" "$T/make.out"
check "... as it was" grep -qx "# a site's own line" "$R/etc/teardownd/teardownd.ini"
mk PREFIX=/usr uninstall
check "make uninstall succeeds" [ $? -eq 0 ]
check "... and leaves only the changed configuration" \
    [ "$(cd "$R" && find . -type f)" = "./etc/teardownd/teardownd.ini" ]
rm "$R/etc/teardownd/teardownd.ini"
mk install
check "make install with the default PREFIX (/usr/local)" [ -x "$R/usr/local/sbin/teardownd" ] &&
    [ -f "$R/usr/local/lib/systemd/system/teardownd.service" ] &&
    grep -q "^ExecStart=/usr/local/sbin/teardownd " "$R/usr/local/lib/systemd/system/teardownd.service"
mk uninstall
check "... and make uninstall leaves no file" [ -z "$(find "$R" -type f)" ]

# The bash completion (installed as it is), as bash-completion loads it:
# commands, scenarios,
# the latest run's cases.
if command -v bash > /dev/null; then
	"$B/teardownd" --once --db "$T/c.db" --only four-way-close --family ipv4 \
	    > /dev/null 2>&1
	comp() {
		PATH="$(cd "$B" && pwd):$PATH" bash -c '. "$1"; shift
		    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _teardownctl
		    printf "%s\n" "${COMPREPLY[@]}"' sh \
		    etc/bash-completion/teardownctl "$@"
	}
	check "completion: commands" [ "$(comp teardownctl sh)" = show ]
	check "... scenarios of history" \
	    [ "$(comp teardownctl --db "$T/c.db" history four)" = four-way-close ]
	check "... the latest run's cases for show" \
	    [ "$(comp teardownctl --db "$T/c.db" show c | wc -l)" = 1 ]
	check "... formats" [ "$(comp teardownctl export --format ju)" = junit ]
	check "... pcap's formats" [ "$(comp teardownctl pcap c1 --format pc | tr "\n" " ")" = "pcapng pcap " ]
fi

# A packager: make and make install as an ordinary user, the build
# libraries present, never apt-get.
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	U="$T/user"
	mkdir -p "$U" && chown 65534:65534 "$U" && chmod 755 "$T"
	setpriv --reuid 65534 --regid 65534 --clear-groups \
	    make -s --no-print-directory B="$B" DESTDIR="$U/root" PREFIX=/usr \
	    all install > "$U/out" 2>&1
	rc=$?
	check "make and make install as nobody: exit 0 ($rc)" [ "$rc" -eq 0 ]
	check "... installed, owned by nobody" [ "$(stat -c %u "$U/root/usr/sbin/teardownd")" = 65534 ]
	check "... without installing packages" sh -c "! grep -q 'installing\|apt-get' '$U/out'"
	make -n --no-print-directory B="$B" DESTDIR="$U/root" PREFIX=/usr all install \
	    > "$U/plan" 2>&1
	check "... and make all install would never run apt-get nor deps" \
	    sh -c "! grep -q 'apt-get update\|DEBIAN_FRONTEND' '$U/plan'"
fi
finish
