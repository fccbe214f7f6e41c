#!/bin/bash
# spored (issue 19): a detached container's console output is kept by
# spored (sporectl logs shows every line, -f follows); a kill -9 of spored
# and its restart lose no line and stop no guest; a container flooding its
# console cannot grow its log past the bound; logs works while spored is
# down and filters what would act on the terminal.
. tests/e2e/lib.sh

need_launch "spored"
L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }
rec() { xenstore-read "/spore/guests/$1/$2" 2>/dev/null; }
start_spored() { # ARGS...: a spored of this test's, as dom0-init starts it
	spored --log info "$@" >>/var/log/spored.log 2>&1 &
	spored_pid=$!
	wait_for 10 spored --ping
}
stop_spored() { # SIGNAL
	local p
	p=$(pidof spored) || return 0
	kill "-$1" $p
	wait_for 10 sh -c "! pidof spored"
}
cleanup() {
	sporectl destroy -t 0 svc-tick svc-flood >/dev/null 2>&1
	pidof spored >/dev/null || start_spored
	rm -rf "$E2E_TMP"
}
trap cleanup EXIT

# ticks: the tick numbers in the guest's log, one per line.
ticks() { guest_log svc-tick | sed -n 's/^tick \([0-9]*\)$/\1/p'; }
# Whether the ticks so far are 1..N without a gap (a line twice is allowed:
# a spored killed between logging and moving the ring's index logs it again).
no_gap() {
	ticks | sort -un | awk 'NR != $1 { bad = 1 } END { exit bad || NR == 0 }'
}
last_tick() { ticks | sort -n | tail -n 1; }

check "spored answers" spored --ping
u=$(L --name svc-tick "$img" /bin/sh -c \
	'printf "\033]52;c;aGk=\007\033[2Jcolour \033[31mred\033[0m\n"
	i=0; while :; do i=$((i + 1)); echo "tick $i"; sleep 0.1; done' 2>"$E2E_TMP/err")
check_match "a detached container printing a line every 100 ms" "$u" '^[0-9a-f-]{36}$'
check "its log reaches tick 30 (sporectl logs)" wait_for 120 sh -c "sporectl logs svc-tick | grep -qx 'tick 30'"
check "logs shows every line from tick 1 on" no_gap
d=$(rec "$u" domid)
check_eq "its console type is spore's" "$(xenstore-read "/local/domain/$d/console/type" 2>&1)" spore
check_fails "... which xenconsoled leaves alone (it published no pty)" \
	xenstore-exists "/local/domain/$d/console/tty"
check_eq "the log is under \$SPORE_ROOT/logs/UUID, CRI records" \
	"$(head -n 1 "/var/lib/spore/logs/$u/console.log" 2>/dev/null | grep -c '^20[0-9-]*T[0-9:.]*Z stdout [FP] ')" 1

out=$(sporectl logs --tail 3 svc-tick | tr -d '\r')
check_eq "--tail 3 gives three lines" "$(wc -l <<<"$out")" 3
out=$(sporectl logs -t --tail 1 svc-tick | tr -d '\r')
check_match "-t starts the line with its time" "$out" '^20[0-9-]+T[0-9:]+\.[0-9]{9}Z tick [0-9]+$'
check_eq "--since 1h: everything" "$(sporectl logs --since 1h svc-tick | grep -c '^tick 1.$')" \
	"$(sporectl logs svc-tick | grep -c '^tick 1.$')"
check_eq "--since in the future: nothing" "$(sporectl logs --since 2999-01-01T00:00:00Z svc-tick | wc -c)" 0

# -f follows: lines written after it started come through.
before=$(last_tick)
sporectl logs -f --tail 0 svc-tick >"$E2E_TMP/follow" 2>&1 &
fpid=$!
check "logs -f follows: new lines arrive" wait_for 60 sh -c \
	"[ \$(grep -c '^tick' '$E2E_TMP/follow') -ge 10 ]"
first=$(sed -n '1s/^tick \([0-9]*\).*/\1/p' "$E2E_TMP/follow")
check "... from after it started (--tail 0)" test "${first:-0}" -gt "$before"
kill $fpid 2>/dev/null
wait $fpid 2>/dev/null

# kill -9 of spored: the guest runs on, its output waits in the ring (and
# past 2 KiB, the guest waits for the ring); logs works meanwhile; the
# restarted spored takes the ring from where the killed one stopped.
stop_spored KILL
check "spored is gone (kill -9)" sh -c '! pidof spored'
at_kill=$(last_tick)
check "logs works while spored is down" test -n "$at_kill"
sleep 2
check_eq "the guest keeps running without spored" "$(rec "$u" state)" running
start_spored
check "a restarted spored answers" spored --ping
check "the log goes on after the restart" wait_for 60 sh -c "[ \$(sporectl logs svc-tick | sed -n 's/^tick \\([0-9]*\\)\\r*$/\\1/p' | sort -n | tail -n 1) -gt $((at_kill + 30)) ]"
check "no line is missing across the kill and restart" no_gap
if ! no_gap; then
	ticks | sort -n | uniq | awk 'NR != $1 { print "#   first gap before tick " $1; exit }'
fi
check_eq "the guest is still running" "$(rec "$u" state)" running
check "its domain exists" xenstore-exists "/local/domain/$(rec "$u" domid)"

# The escapes the guest wrote first: logs keeps the colours only; --raw
# gives the bytes as they were.
first=$(sporectl logs svc-tick | head -n 1 | od -An -c | tr -s ' \n' ' ')
check_match "logs drops OSC 52 and the screen clear, keeps SGR colours" "$first" \
	'^ c o l o u r 033 \[ 3 1 m r e d 033 \[ 0 m( \\r)? \\n $'
raw=$(sporectl logs --raw svc-tick | head -n 1 | od -An -c | tr -s ' \n' ' ')
check_match "logs --raw gives the guest's bytes" "$raw" '033 \] 5 2 ; c ; a G k = \\a 033 \[ 2 J'
check "destroy svc-tick" sporectl destroy -t 0 svc-tick
check "its log went with its record" wait_for 10 test ! -e "/var/lib/spore/logs/$u"

# Flooding: a spored with a small bound (64 KiB, 2 files) for this part.
stop_spored TERM
start_spored --log-max-size 64k --log-max-files 2
f=$(L --name svc-flood "$img" /bin/sh -c \
	'while :; do echo "flood-line-0123456789abcdef-0123456789abcdef"; done' \
	2>"$E2E_TMP/err")
check_match "a detached container flooding its console" "$f" '^[0-9a-f-]{36}$'
check "its log rotates (console.log.1 appears)" wait_for 120 test -e "/var/lib/spore/logs/$f/console.log.1"
sleep 10
sz=$(du -sb "/var/lib/spore/logs/$f" | cut -f1)
check "after 10 s of flooding its log is within 2 x 64 KiB ($sz bytes)" test "$sz" -le 131072
check "... in two files" test ! -e "/var/lib/spore/logs/$f/console.log.2"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$(pidof spored)/status")
check "spored's memory stays small while it floods (${rss} KiB RSS)" test "$rss" -lt 16384
check "spored still answers" spored --ping
check "destroy svc-flood" sporectl destroy -t 0 svc-flood
stop_spored TERM
start_spored
