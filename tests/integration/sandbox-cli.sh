#!/bin/bash
# The sandbox's command-line contract, as a user sees it: exit statuses,
# separate stdout and stderr, timeout and usage errors. Prints TAP.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
sb=$root/scripts/xen-sandbox.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

"$sb" -- sh -c 'echo to-stdout; echo to-stderr >&2; exit 7' >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $([ $rc = 7 ]; echo $?) "the command's exit status is the sandbox's (got $rc)"
ok $([ "$(cat "$tmp/out")" = to-stdout ]; echo $?) "stdout carries only the command's stdout"
ok $(grep -qx to-stderr "$tmp/err"; echo $?) "stderr carries the command's stderr"

"$sb" --timeout 1 -- true >/dev/null 2>"$tmp/err"
rc=$?
ok $([ $rc = 124 ]; echo $?) "an expired --timeout exits 124 (got $rc)"
ok $(grep -q 'timed out' "$tmp/err"; echo $?) "the timeout is reported on stderr"

"$sb" --bogus >/dev/null 2>"$tmp/err"
rc=$?
ok $([ $rc = 2 ]; echo $?) "an unknown option is a usage error (exit 2, got $rc)"
# Run directories are named TIME-PID; one whose sandbox process is gone is
# a leftover (others may belong to sandboxes running right now).
left=0
for d in "$root"/.cache/sandbox/runs/*; do
	[ -d "$d" ] || continue
	kill -0 "${d##*-}" 2>/dev/null || left=$((left + 1))
done
ok $([ $left = 0 ]; echo $?) "no run directories are left behind ($left)"
echo "1..$n"
