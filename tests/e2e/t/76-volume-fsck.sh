#!/bin/bash
# A volume whose guest was destroyed with no grace (issue 15): its ext4 is
# left mounted (a journal to replay); the next launch runs e2fsck -p on it
# in dom0 before attaching it, reports the outcome on stderr (one warning
# line), and the data written and synced before the kill is there; a :ro
# attachment after a hard kill mounts too (the replay was dom0's); a clean
# volume is not checked (no line).
. tests/e2e/lib.sh

need_launch "volume fsck tests"

vol=e2e-fsck-$$
L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }
cleanup() {
	sporectl destroy -t 0 e2e-fsck-w >/dev/null 2>&1
	sporectl volume rm -f "$vol" >/dev/null 2>&1
	rm -rf "$E2E_TMP"
}
trap cleanup EXIT

# A guest that wrote and synced, says so on its console, then keeps the
# volume busy; killed hard.
L --name e2e-fsck-w -v "$vol:/data" "$img" /bin/sh -c \
	'echo kept >/data/k; sync; echo SYNCED; while :; do echo x >>/data/log; sleep 0.2; done' \
	>/dev/null 2>&1
check "the writer has synced (its console says so)" wait_for 120 console_says e2e-fsck-w SYNCED
check "destroy -t 0 kills it without a grace" sporectl destroy -t 0 e2e-fsck-w

out=$(L --attach --rm -v "$vol:/data:ro" "$img" cat /data/k 2>&1)
rc=$?
out=$(tr -d '\r' <<<"$out")
check_eq "the next launch (read-only) exits 0" "$rc" 0
check_match "... having reported the check on stderr, in one line" "$out" \
	"^sporectl: warn: volume '$vol' was not unmounted cleanly \\(its guest was stopped without a grace\\): e2fsck -p: (clean|repaired)"
check_eq "... one such line" "$(grep -c 'not unmounted cleanly' <<<"$out")" 1
check_match "... and what was synced before the kill is there" "$out" '^kept$'

out=$(L --attach --rm -v "$vol:/data" "$img" cat /data/k 2>&1)
check_eq "a launch after a clean stop reports nothing" "$?:$(tr -d '\r' <<<"$out")" "0:kept"
