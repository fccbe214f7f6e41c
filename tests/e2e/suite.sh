#!/bin/bash
# Runs the end-to-end tests inside the sandbox's dom0 and prints TAP.
# Usage (in dom0): tests/e2e/suite.sh [PATTERN]  (runs t/*PATTERN*.sh)
set -u
cd "$(dirname "$0")/../.." || exit 1
pattern=${1:-}
n=0
for t in tests/e2e/t/*"$pattern"*.sh; do
	[ -e "$t" ] || continue
	echo "# ${t##*/}"
	out=$(timeout 900 bash "$t" 2>&1)
	rc=$?
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
done
echo "1..$n"
