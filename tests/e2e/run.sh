#!/bin/bash
# Host side of the end-to-end suite: one sandbox boot for all tests; TAP on
# stdout. Usage: tests/e2e/run.sh [PATTERN] (extra sandbox options via
# SPORE_SANDBOX_OPTS, e.g. "--xenstored xenstored"). The whole suite takes
# about 40 minutes of TCG on a loaded 2-core host: SPORE_E2E_TIMEOUT (s,
# default 4200) bounds it.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
log=${SPORE_E2E_LOG:-$root/.cache/e2e-serial.log}
mkdir -p "$(dirname "$log")"
# Debian's container engines, for the tests that ask for them ("# e2e-needs:
# peers"): fetched here, on the host, so that no other test pays for them.
# Those tests take minutes (8 for 88-containerd under TCG): they run when
# PATTERN names them, or with SPORE_E2E_PEERS=1, not in the whole suite.
if [ -n "${1:-}" ] && grep -qs '^# e2e-needs: .*peers' "$root"/tests/e2e/t/*"$1"*.sh; then
	export SPORE_E2E_PEERS=1
fi
if [ -n "${SPORE_E2E_PEERS:-}" ] && grep -qs '^# e2e-needs: .*peers' "$root"/tests/e2e/t/*"${1:-}"*.sh; then
	(
		set -e
		. "$root/scripts/lib/common.sh"
		. "$root/scripts/lib/sandbox.sh"
		. "$root/scripts/lib/sandbox-peers.sh"
		mkdir -p "$SANDBOX_DIR"
		exec 9>"$SANDBOX_DIR/.lock"
		flock 9
		sandbox_peers_prepare
	) || echo "$(basename "$0"): Debian's container engines were not fetched: the tests that need them skip" >&2
fi
tap=$(mktemp "${TMPDIR:-/tmp}/spore-e2e.XXXXXX")
trap 'rm -f "$tap"' EXIT
# shellcheck disable=SC2086
"$root/scripts/xen-sandbox.sh" --timeout "${SPORE_E2E_TIMEOUT:-4200}" --keep-log "$log" \
	${SPORE_SANDBOX_OPTS:-} -- bash tests/e2e/suite.sh "${1:-}" >"$tap"
rc=$?
cat "$tap"
if [ $rc -ne 0 ]; then
	echo "not ok - the sandbox failed (exit $rc; serial log: $log)"
	exit 1
fi
grep -q '^not ok' "$tap" && exit 1
exit 0
