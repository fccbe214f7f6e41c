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

# need_launch WHAT [--repo NAME] [FILE...]: for the files that launch
# guests. Sets reg (the test registry, the host's loopback seen from dom0),
# img (its busybox) and kernel (spore's); unless the registry answers (for
# NAME's tags, with --repo), and spore's kernel and each FILE exist, reports
# WHAT as skipped and ends the test file.
need_launch() {
	local what=$1 url f
	shift
	# shellcheck disable=SC2034 # for the test files
	reg=10.0.2.2:5000 img=10.0.2.2:5000/spore-test/busybox:latest kernel=.cache/kernel/spore-vmlinuz
	url=http://$reg/v2/
	if [ "${1:-}" = --repo ]; then
		url=http://$reg/v2/$2/tags/list
		shift 2
	fi
	if ! wget -q -O /dev/null "$url" 2>/dev/null; then
		skip "$what" "test registry not reachable at $url (scripts/test-registry.sh start)"
		exit 0
	fi
	for f in "$kernel" "$@"; do
		if [ ! -e "$f" ]; then
			skip "$what" "$f is not built (kernel/build.sh, ninja -C build)"
			exit 0
		fi
	done
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

# A guest's console output so far, from spored's log of it (sporectl logs),
# without the tty's \r; and whether it says something (a grep -E pattern).
guest_log() { sporectl logs --raw "$1" 2>/dev/null | tr -d '\r'; }
console_says() { guest_log "$1" | grep -q -- "$2"; }
