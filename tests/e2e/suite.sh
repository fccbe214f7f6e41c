#!/bin/bash
# Runs the end-to-end tests inside the sandbox's dom0 and prints TAP.
# Usage (in dom0): tests/e2e/suite.sh [PATTERN]  (runs t/*PATTERN*.sh)
set -u
cd "$(dirname "$0")/../.." || exit 1
pattern=${1:-}
n=0
# A kernel trace in dom0 is any test's failure: each test is charged with what
# dom0's kernel logged while it ran (a backend oops a guest caused shows
# nowhere else).
trace_re='BUG:|Oops|general protection|Call Trace|WARNING: CPU'
for t in tests/e2e/t/*"$pattern"*.sh; do
	[ -e "$t" ] || continue
	echo "# ${t##*/}"
	k0=$(dmesg 2>/dev/null | wc -l)
	out=$(timeout 900 bash "$t" 2>&1)
	rc=$?
	ktrace=$(dmesg 2>/dev/null | tail -n +$((k0 + 1)) | grep -E -A3 "$trace_re" | head -n 12)
	bad=0
	while IFS= read -r line; do
		case $line in
		"ok - "* | "ok "*) n=$((n + 1)); echo "ok $n ${line#ok }" ;;
		"not ok - "* | "not ok "*) n=$((n + 1)); bad=1; echo "not ok $n ${line#not ok }" ;;
		*) echo "# ${line#\# }" ;;
		esac
	done <<<"$out"
	if [ $rc -ne 0 ] && [ $bad -eq 0 ]; then
		n=$((n + 1))
		echo "not ok $n - ${t##*/} exited with status $rc"
	fi
	if [ -n "$ktrace" ]; then
		n=$((n + 1))
		echo "not ok $n - ${t##*/}: dom0's kernel logged a trace while it ran"
		sed 's/^/#   /' <<<"$ktrace"
	fi
done
echo "1..$n"
