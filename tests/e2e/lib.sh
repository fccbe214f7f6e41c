# Helpers for end-to-end tests. Each test file in tests/e2e/t/ is a bash
# script run as root in the sandbox's dom0 (cwd: the repository). It prints
# TAP result lines without numbers ("ok - what", "not ok - what"); the suite
# numbers them. Source this file from a test.
# shellcheck shell=bash

E2E_TMP=$(mktemp -d /tmp/e2e.XXXXXX)
trap 'rm -rf "$E2E_TMP"' EXIT

# check DESC CMD...: passes when CMD exits 0; shows its output otherwise.
check() {
	local desc=$1
	shift
	if "$@" >"$E2E_TMP/out" 2>&1; then
		echo "ok - $desc"
	else
		echo "not ok - $desc (exit $?)"
		sed 's/^/#   /' "$E2E_TMP/out" | head -n 30
	fi
}

# check_fails DESC CMD...: passes when CMD exits non-zero.
check_fails() {
	local desc=$1
	shift
	if "$@" >"$E2E_TMP/out" 2>&1; then
		echo "not ok - $desc (unexpectedly succeeded)"
		sed 's/^/#   /' "$E2E_TMP/out" | head -n 30
	else
		echo "ok - $desc"
	fi
}

# check_eq DESC GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		echo "#   got:  '$2'"
		echo "#   want: '$3'"
	fi
}

# check_match DESC TEXT REGEX (extended regex)
check_match() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		echo "#   '$2' does not match /$3/" | head -n 20
	fi
}

skip() {
	echo "ok - $1 # SKIP $2"
}

# wait_for SECONDS CMD...: polls CMD (quietly, every 0.3 s: no busier, so as
# not to take dom0's CPUs from what is awaited) until it succeeds; 1 when
# SECONDS pass first.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.3
	done
}
