#!/bin/bash
# sporectl exec (issue 19): a process in a running container through spored
# and the guest's control channel (no network: the guest has none), with
# launch's rules, stdout and stderr apart, stdin with -i, docker's exit
# statuses, and one clean error for a guest that is not running.
. tests/e2e/lib.sh

need_launch "exec tests"

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
out=$(X e2e-exec sh -c 'head -c 300000 /dev/zero' | wc -c)
check_eq "300000 bytes of output through" "$(echo $out)" 300000
out=$(echo ignored | X e2e-exec cat)
check_eq "without -i stdin is /dev/null" "$out" ""
out=$(X -e FOO=bar -w /tmp -u 1000:1000 e2e-exec sh -c 'echo $FOO $FROM_LAUNCH $(pwd) $(id -u):$(id -g)')
check_eq "-e, -w, -u, and launch's environment" "$out" "bar yes /tmp 1000:1000"

# An exited guest: one line, non-zero.
L -d --name e2e-exec-done --network none "$img" true >/dev/null 2>&1
wait_for 60 sh -c "sporectl inspect -f '{{.state}}' e2e-exec-done 2>/dev/null | grep -qx exited"
X e2e-exec-done echo hi >"$E2E_TMP/o4" 2>"$E2E_TMP/e4"
check_eq "exec into an exited guest fails with one line" "$?:$(wc -l <"$E2E_TMP/e4"):$(cat "$E2E_TMP/o4")" "1:1:"
check_match "that says it is not running" "$(cat "$E2E_TMP/e4")" "^sporectl: exec: guest 'e2e-exec-done' is not running$"
X e2e-no-such-guest echo hi >/dev/null 2>"$E2E_TMP/e5"
check_eq "exec into an unknown guest fails with one line" "$?:$(wc -l <"$E2E_TMP/e5")" "1:1"
check "the guest still runs" sh -c "sporectl inspect -f '{{.state}}' e2e-exec | grep -qx running"
