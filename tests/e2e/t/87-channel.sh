#!/bin/bash
# The control channel between spored and sporeinit (issue 19): each guest's
# second PV console (device/console/1, the guest's /dev/hvc1), served by
# spored. It connects (spored says HELLO, sporeinit answers with its
# version) with and without a network, reconnects after spored is killed
# and restarted, and goes with the guest. It carries the container's stderr
# apart from its stdout: to an attached client's stderr, to the log as the
# stderr stream, and out of `logs` on stderr.
. tests/e2e/lib.sh

need_launch "control channel tests"

L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }
start_spored() {
	spored --log info >>/var/log/spored.log 2>&1 &
	wait_for 10 spored --ping
}
cleanup() {
	sporectl destroy -t 0 e2e-chan e2e-chan-nonet e2e-chan-bad e2e-chan-err >/dev/null 2>&1
	pidof spored >/dev/null || start_spored
	rm -rf "$E2E_TMP"
}
trap cleanup EXIT
# connected UUID: how many times spored's log says its channel connected.
connected() { grep -c "guest $1 (domain [0-9]*): control channel connected, sporeinit protocol version 2" /var/log/spored.log; }
xs() { xenstore-read "$1" 2>/dev/null; }

u1=$(L -d --name e2e-chan "$img" sleep 600 2>"$E2E_TMP/err")
u2=$(L -d --name e2e-chan-nonet --network none "$img" sleep 600 2>>"$E2E_TMP/err")
[ -s "$E2E_TMP/err" ] && sed 's/^/#   launch: /' "$E2E_TMP/err" | head -n 5
d1=$(xenstore-read "/spore/guests/$u1/domid" 2>/dev/null)
d2=$(xenstore-read "/spore/guests/$u2/domid" 2>/dev/null)

check "the channel connects: HELLO both ways (spored's log)" wait_for 60 sh -c "[ \$(grep -c 'guest $u1 (domain [0-9]*): control channel connected' /var/log/spored.log) -ge 1 ]"
check "with --network none too" wait_for 60 sh -c "[ \$(grep -c 'guest $u2 (domain [0-9]*): control channel connected' /var/log/spored.log) -ge 1 ]"
grep -q "guest $u1 (domain [0-9]*): control channel connected" /var/log/spored.log ||
	grep "control channel" /var/log/spored.log | tail -n 8 | sed 's/^/#   spored: /'
check_eq "the backend says Connected, type spore" \
	"$(xs "/local/domain/0/backend/console/$d1/1/state") $(xs "/local/domain/0/backend/console/$d1/1/type")" "4 spore"
check_eq "the guest's frontend says Connected" "$(xs "/local/domain/$d1/device/console/1/state")" 4
check_match "the frontend wrote its grant and event channel" \
	"$(xs "/local/domain/$d1/device/console/1/ring-ref") $(xs "/local/domain/$d1/device/console/1/port")" \
	'^[0-9]+ [0-9]+$'

# kill -9: the guests run on; a new spored finds their channels and greets
# them again (sporeinit answers the new HELLO).
before=$(connected "$u1")
kill -KILL "$(pidof spored)"
wait_for 10 sh -c '! pidof spored'
start_spored
check "after spored's kill -9 and restart the channel connects again" \
	wait_for 60 sh -c "[ \$(grep -c 'guest $u1 (domain [0-9]*): control channel connected' /var/log/spored.log) -gt $before ]"
check_eq "and the guest still runs" "$(sporectl inspect -f '{{.state}}' e2e-chan 2>&1)" running

# A guest that breaks the protocol (its container writes a frame of an
# unknown type to the channel's device) is cut off, logged with the header
# in hex; spored and the other guests go on.
u3=$(L -d --name e2e-chan-bad --network none "$img" /bin/sh -c \
	'sleep 3; printf "\377\001\000\000" >/dev/hvc1; sleep 600' 2>>"$E2E_TMP/err")
check "a guest writing a frame of an unknown type is cut off" \
	wait_for 60 grep -q "guest $u3 (domain [0-9]*): control channel cut off" /var/log/spored.log
check "logged with the frame's header in hex" \
	grep -q "guest $u3: control channel: invalid frame (unknown frame type; header ff 01 00 00)" /var/log/spored.log
d3=$(xenstore-read "/spore/guests/$u3/domid" 2>/dev/null)
check_eq "its backend says Closed" "$(xs "/local/domain/0/backend/console/$d3/1/state")" 6
check "spored still answers" spored --ping
check_fails "the other guest's channel was not touched" grep -q "guest $u1 (domain [0-9]*): control channel cut off" /var/log/spored.log
check_eq "and the guest itself runs on" "$(sporectl inspect -f '{{.state}}' e2e-chan-bad 2>&1)" running

# The container's stderr, apart (no tty): detached, then attached.
u4=$(L -d --name e2e-chan-err --network none "$img" sh -c \
	'echo to-out; echo to-err >&2; printf part- >&2; echo out-2; echo err-2 >&2; exit 4' 2>>"$E2E_TMP/err")
wait_for 60 sh -c "sporectl inspect -f '{{.state}}' e2e-chan-err 2>/dev/null | grep -qx exited"
log4=/var/lib/spore/logs/$u4/console.log
check "the log keeps stderr as the stderr stream" grep -q ' stderr F to-err$' "$log4"
check "... and stdout as stdout" grep -q ' stdout F to-out$' "$log4"
sporectl logs e2e-chan-err >"$E2E_TMP/lo" 2>"$E2E_TMP/le"
check_eq "logs: stdout on stdout, stderr on stderr" \
	"$(tr '\n' ' ' <"$E2E_TMP/lo")|$(tr '\n' ' ' <"$E2E_TMP/le")" "to-out out-2 |to-err part-err-2 "
timeout 300 sporectl launch --insecure-registry "$reg" --attach --rm --network none "$img" \
	sh -c 'echo a-out; echo a-err >&2; exit 5' >"$E2E_TMP/ao" 2>"$E2E_TMP/ae"
rc=$?
check_eq "launch --attach: the exit status, stdout alone on stdout" "$rc:$(tr -d '\r' <"$E2E_TMP/ao")" "5:a-out"
check_match "... and the container's stderr on stderr" "$(tr -d '\r' <"$E2E_TMP/ae")" '^a-err$'

sporectl destroy -t 0 e2e-chan e2e-chan-nonet e2e-chan-bad e2e-chan-err >/dev/null 2>&1
check_eq "destroy removes the channel's backend entries" \
	"$(xenstore-ls "/local/domain/0/backend/console/$d1" 2>/dev/null | wc -l)$(xenstore-ls "/local/domain/0/backend/console/$d2" 2>/dev/null | wc -l)" "00"
check "spored let the channels go" grep -q "guest $u1 (domain $d1): control channel let go" /var/log/spored.log
