#!/bin/bash
# docker's stop rule: destroy sends the image's StopSignal (else SIGTERM, or
# --stop-signal's) to the container first; SIGKILL follows after the grace.
. tests/e2e/lib.sh

need_launch "stop signal tests" --repo spore-test/stopsig

domains() { xl list | awk 'NR > 1 && $1 != "Domain-0"' | wc -l; }
L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }
stopsig=$reg/spore-test/stopsig:latest
# A container that says which signal reached it, then exits 3.
traps='for s in USR1 HUP TERM; do trap "echo got-$s; exit 3" $s; done; echo ready; while :; do sleep 1; done'

# stopped NAME ARGS...: launches attached in the background, destroys it
# once it runs, prints the signal it got and launch's status.
stopped() {
	local name=$1 lp rc
	shift
	L --attach --name "$name" "$@" /bin/sh -c "$traps" >"$E2E_TMP/$name" 2>&1 &
	lp=$!
	wait_for 300 grep -q ready "$E2E_TMP/$name"
	sporectl destroy "$name" >/dev/null 2>&1
	wait $lp
	rc=$?
	echo "$(tr -d '\r' <"$E2E_TMP/$name" | grep -o 'got-[A-Z0-9]*' | head -n 1):$rc"
}

check_eq "destroy sends the image's StopSignal (SIGUSR1) first" "$(stopped e2e-sig-img "$stopsig")" "got-USR1:3"
check_eq "--stop-signal overrides the image's" \
	"$(stopped e2e-sig-opt --stop-signal HUP "$stopsig")" "got-HUP:3"
check_eq "an image without one gets SIGTERM" "$(stopped e2e-sig-term "$img")" "got-TERM:3"

out=$(L --stop-signal SIGNOPE "$img" true 2>&1)
rc=$?
check_eq "an unknown --stop-signal is refused with one line, 125" "$rc:$(printf '%s\n' "$out" | wc -l)" "125:1"
check_match "naming it" "$out" "^sporectl: launch: --stop-signal 'SIGNOPE' is not a signal"
check_eq "nothing is left" "$(domains)" 0
