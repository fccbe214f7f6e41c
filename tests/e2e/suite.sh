#!/bin/bash
# Runs the end-to-end tests inside the sandbox's dom0 and prints TAP.
# Usage (in dom0): tests/e2e/suite.sh [PATTERN]  (runs t/*PATTERN*.sh)
set -u
cd "$(dirname "$0")/../.." || exit 1
pattern=${1:-}
n=0
out_file=$(mktemp /tmp/e2e-test.XXXXXX)
trap 'rm -f "$out_file"' EXIT
# A kernel trace in dom0 is any test's failure: each test is charged with what
# dom0's kernel logged while it ran (a backend oops a guest caused shows
# nowhere else).
trace_re='BUG:|Oops|general protection|Call Trace|WARNING: CPU'
for t in tests/e2e/t/*$pattern*.sh; do # PATTERN may be a glob (7[23])
	[ -e "$t" ] || continue
	echo "# ${t##*/}"
	k0=$(dmesg 2>/dev/null | wc -l)
	# A test may ask for more than the default 900 s: "# e2e-timeout: S".
	budget=$(sed -n 's/^# e2e-timeout: *\([0-9][0-9]*\).*/\1/p' "$t" | head -n 1)
	start=$SECONDS
	timeout "${budget:-900}" bash "$t" >"$out_file" 2>&1 <&0 &
	tpid=$!
	wait $tpid
	rc=$?
	out=$(cat "$out_file")
	if [ $rc -eq 124 ]; then
		# timeout gave the test a process group of its own (its pid) and
		# sent it SIGTERM: what of it outlives that is killed, or it could
		# hold a guest for every later test.
		kill -KILL -- -$tpid 2>/dev/null
		out+=$'\n'"not ok - ${t##*/} took more than ${budget:-900} s (stopped)"
	fi
	# Every test leaves spored answering (85-service kills it and starts
	# another): one that does not is charged with it, and it is started
	# again so that the tests after it still have one.
	if command -v spored >/dev/null && ! spored --ping >/dev/null 2>&1; then
		# pidof, not pgrep/pkill: dom0's busybox has no procps.
		out+=$'\n'"not ok - spored does not answer after ${t##*/} ($(pidof spored >/dev/null && echo 'it runs' || echo 'it is gone'))"
		out+=$'\n'"$(tail -n 5 /var/log/spored.log 2>/dev/null | sed 's/^/#   /')"
		for p in $(pidof spored); do kill -KILL "$p"; done
		spored --log info >>/var/log/spored.log 2>&1 &
		for _ in $(seq 50); do spored --ping >/dev/null 2>&1 && break; sleep 0.2; done
	fi
	took=$((SECONDS - start))
	# A hostile-guest test may name a dom0 kernel WARNING it provokes on
	# purpose ("# e2e-known-warn: REGEX" on the WARNING line): that block,
	# up to its end marker, is reported, not charged.
	known=$(sed -n 's/^# e2e-known-warn: *//p' "$t" | head -n 1)
	dmesg 2>/dev/null | tail -n +$((k0 + 1)) | awk -v re="$known" '
		!skip && re != "" && /WARNING: CPU/ && $0 ~ re { skip = 1; print > "/dev/stderr"; next }
		skip && /---\[ end trace/ { skip = 0; next }
		!skip' >"$out_file.k" 2>"$out_file.known"
	ktrace=$(grep -E -A3 "$trace_re" "$out_file.k" | head -n 12)
	while IFS= read -r line; do
		[ -z "$line" ] || out+=$'\n'"# a dom0 kernel warning this test provokes (known, not charged): ${line#*] }"
	done <"$out_file.known"
	rm -f "$out_file.k" "$out_file.known"
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
	echo "# ${t##*/} took $took s"
done
echo "1..$n"
