#!/bin/sh
# Every verb of the scenario language (teardownd --verbs, printed from the
# table the parser and the engine are built of) is documented in the
# README and in teardownd.ini(5).
. "$(dirname "$0")/lib.inc"
"$TD" --verbs > "$T/verbs"
check "teardownd --verbs exits 0" [ $? -eq 0 ]
n=$(wc -l < "$T/verbs")
check "it lists the verbs ($n)" [ "$n" -ge 30 ]
MANPAGER=cat man -l etc/man/teardownd.ini.5 2>/dev/null | col -b > "$T/man" ||
	groff -man -Tascii etc/man/teardownd.ini.5 | col -b > "$T/man"
missing_readme="" missing_man=""
while read -r line; do
	verb=$(echo "$line" | awk '{ if ($1 == "wait" || $1 == "expect") print $1 " " $2; else print $1 }')
	grep -q "\`$verb" README.md || missing_readme="$missing_readme [$verb]"
	grep -q "$verb" "$T/man" || missing_man="$missing_man [$verb]"
done < "$T/verbs"
check "the README documents every verb (missing:$missing_readme)" [ -z "$missing_readme" ]
check "teardownd.ini(5) documents every verb (missing:$missing_man)" [ -z "$missing_man" ]
finish
