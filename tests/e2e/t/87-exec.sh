#!/bin/bash
# sporectl exec (issue 19): a process in a running container through spored
# and the guest's control channel (no network: the guest has none), with
# launch's rules, stdout and stderr apart, stdin with -i, a terminal with -t
# (typed, read, resized), docker's exit statuses, `sporectl top`, and one
# clean error for a guest that is not running.
. tests/e2e/lib.sh

ptyrun=${SPORE_BUILD:-build}/tests/ptyrun
need_launch "exec tests" "$ptyrun"

L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }
X() { timeout 120 sporectl exec "$@"; }
cleanup() {
	sporectl destroy -t 0 e2e-exec e2e-exec-done >/dev/null 2>&1
	rm -rf "$E2E_TMP"
}
trap cleanup EXIT

u=$(L -d --name e2e-exec --network none -e FROM_LAUNCH=yes "$img" sleep 600 2>"$E2E_TMP/err")
[ -s "$E2E_TMP/err" ] && sed 's/^/#   launch: /' "$E2E_TMP/err" | head -n 5
# The channel connects during the guest's boot: wait for its HELLO.
wait_for 60 grep -q "guest $u (domain [0-9]*): control channel connected" /var/log/spored.log

out=$(X e2e-exec echo hi 2>"$E2E_TMP/e1")
check_eq "exec ID echo hi prints hi, exit 0" "$?:$out:$(cat "$E2E_TMP/e1")" "0:hi:"
X e2e-exec sh -c 'exit 3' >/dev/null 2>&1
check_eq "sh -c 'exit 3' exits 3" "$?" 3
X e2e-exec no-such-command >/dev/null 2>"$E2E_TMP/e2"
check_eq "a missing command exits 127" "$?" 127
check_match "and says why on stderr" "$(cat "$E2E_TMP/e2")" 'executable file not found'
X e2e-exec /etc/passwd >/dev/null 2>&1
check_eq "a command that is not executable exits 126" "$?" 126
X e2e-exec sh -c 'kill -9 $$' >/dev/null 2>&1
check_eq "killed by SIGKILL: 137" "$?" 137
out=$(X e2e-exec sh -c 'echo out; echo err >&2' 2>"$E2E_TMP/e3")
check_eq "stdout arrives on stdout, stderr on stderr" "$out|$(cat "$E2E_TMP/e3")" "out|err"
out=$(printf 'one\ntwo\n' | X -i e2e-exec cat)
check_eq "-i relays stdin, EOF when it ends" "$out" $'one\ntwo'
out=$(head -c 100000 /dev/zero | X -i e2e-exec wc -c)
check_eq "-i: 100000 bytes through" "$(echo $out)" 100000
# A process that does not read for a while: the pipe (64 KiB) and
# sporeinit's window hold what they can, spored holds the rest back.
out=$(head -c 300000 /dev/zero | X -i e2e-exec sh -c 'sleep 4; wc -c')
check_eq "-i: 300000 bytes to a process that reads late, none lost" "$(echo $out)" 300000
out=$(X e2e-exec sh -c 'head -c 300000 /dev/zero' | wc -c)
check_eq "300000 bytes of output through" "$(echo $out)" 300000
out=$(echo ignored | X e2e-exec cat)
check_eq "without -i stdin is /dev/null" "$out" ""
out=$(X -e FOO=bar -w /tmp -u 1000:1000 e2e-exec sh -c 'echo $FOO $FROM_LAUNCH $(pwd) $(id -u):$(id -g)')
check_eq "-e, -w, -u, and launch's environment" "$out" "bar yes /tmp 1000:1000"

# -it: a shell on a pty in the guest, driven from one here: what is typed
# reaches it, its size follows this terminal's (SIGWINCH), `exit 3` is 3,
# and the terminal is left as it was.
out=$("$ptyrun" --timeout 120 --check-termios expect='# ' 'send=stty size; tty\r' \
	expect='24 80' expect='/dev/pts/' winsize=50x132 sleep=1000 'send=stty size\r' \
	expect='50 132' 'send=echo TTY-$((40+2))\r' expect='TTY-42' 'send=exit 3\r' \
	-- sporectl exec -it e2e-exec sh 2>&1)
rc=$?
check_eq "exec -it sh: typed, read, resized, 'exit 3' exits 3" "$rc" 3
[ "$rc" = 3 ] || printf '%s\n' "$out" | tail -n 15 | sed 's/^/#   /'
check_match "... and the terminal's settings are restored" "$out" 'ptyrun: termios restored'
out=$(X -t e2e-exec sh -c 'echo $TERM; test -t 0 && echo tty' | tr -d '\r')
check_eq "exec -t: TERM=xterm, stdin a terminal" "$out" $'xterm\ntty'
X -it e2e-exec true </dev/null >/dev/null 2>"$E2E_TMP/e6"
check_eq "exec -it from a pipe: one line, status 1" "$?:$(wc -l <"$E2E_TMP/e6")" "1:1"

# top: the guest's processes, without ps in the guest's PATH being needed.
out=$(timeout 60 sporectl top e2e-exec 2>&1)
check_match "top: a ps -ef header" "$(printf '%s\n' "$out" | head -n 1)" '^UID +PID +PPID +C +STIME +TTY +TIME +CMD$'
check_match "top: the container's sleep 600, a child of PID 1" "$out" '^root +[0-9]+ +1 .* sleep 600$'
check_match "top: sporeinit as PID 1" "$out" '^root +1 +0 '
check_eq "top: no kernel threads (no child of kthreadd, PID 2)" "$(printf '%s\n' "$out" | awk '$2 == 2 || $3 == 2' | wc -l)" 0
# A command line that carries escapes is shown printable.
evil=$(printf 'evil\033]52;c;eA==\007')
X e2e-exec sh -c 'sleep 300; :' "$evil" >/dev/null 2>&1 &
bg=$!
wait_for 30 sh -c "sporectl top e2e-exec | grep -q 'evil?]52;c;eA==? *$'"
out=$(timeout 60 sporectl top e2e-exec)
check_match "top: escape bytes in a command line are '?'" "$out" 'evil\?\]52;c;eA==\?'
check "top: no ESC reaches the terminal" sh -c "! printf '%s' \"\$1\" | grep -q \$'\\033'" _ "$out"
kill "$bg" 2>/dev/null
wait "$bg" 2>/dev/null

# An exited guest: one line, non-zero.
L -d --name e2e-exec-done --network none "$img" true >/dev/null 2>&1
wait_for 60 sh -c "sporectl inspect -f '{{.state}}' e2e-exec-done 2>/dev/null | grep -qx exited"
X e2e-exec-done echo hi >"$E2E_TMP/o4" 2>"$E2E_TMP/e4"
check_eq "exec into an exited guest fails with one line" "$?:$(wc -l <"$E2E_TMP/e4"):$(cat "$E2E_TMP/o4")" "1:1:"
check_match "that says it is not running" "$(cat "$E2E_TMP/e4")" "^sporectl: exec: guest 'e2e-exec-done' is not running$"
X e2e-no-such-guest echo hi >/dev/null 2>"$E2E_TMP/e5"
check_eq "exec into an unknown guest fails with one line" "$?:$(wc -l <"$E2E_TMP/e5")" "1:1"
check "the guest still runs" sh -c "sporectl inspect -f '{{.state}}' e2e-exec | grep -qx running"
