#!/bin/bash
# Issue 15's acceptance with a real program: Debian's redis-server (the
# spore-test/redis image, scripts/test-registry.sh) with -v NAME:/var/lib/redis
# SETs a key and SAVEs; its guest is destroyed without a grace (destroy -t 0);
# a new launch with the same volume GETs the value back from the RDB file.
. tests/e2e/lib.sh

need_launch "redis on a volume" --repo spore-test/redis

vol=e2e-redis-$$
rimg=$reg/spore-test/redis:latest
val=kept-$$-$RANDOM
L() { timeout 600 sporectl launch --insecure-registry "$reg" -m 256m "$@"; }
cleanup() {
	sporectl destroy -t 0 e2e-redis-w >/dev/null 2>&1
	sporectl volume rm -f "$vol" >/dev/null 2>&1
	rm -rf "$E2E_TMP"
}
trap cleanup EXIT

# The guest's script: redis-server in the background on the volume, and
# redis-cli once it answers (TCG boots slowly: up to a minute).
start='redis-server --dir /var/lib/redis --save "" &
i=0; until redis-cli ping >/dev/null 2>&1; do i=$((i + 1)); [ $i -lt 300 ] || exit 3; sleep 0.2; done'

L --name e2e-redis-w -v "$vol:/var/lib/redis" "$rimg" /bin/sh -c "$start
echo \"SET:\$(redis-cli set spore-key $val)\"
echo \"SAVE:\$(redis-cli save)\"
echo SAVED; exec sleep 100000" >/dev/null 2>&1
check "redis SET and SAVE on the volume (the guest's console says so)" \
	wait_for 300 console_says e2e-redis-w SAVED
check_match "... both answered OK" "$(guest_log e2e-redis-w | grep -E '^(SET|SAVE):' | tr '\n' ' ')" \
	'^SET:OK SAVE:OK $'
check "destroy -t 0 kills it without a grace" sporectl destroy -t 0 e2e-redis-w

out=$(L --attach --rm -v "$vol:/var/lib/redis" "$rimg" /bin/sh -c "$start
echo \"GET:\$(redis-cli get spore-key)\"" 2>&1)
rc=$?
out=$(tr -d '\r' <<<"$out")
check_eq "a new launch with the same volume exits 0" "$rc" 0
check_match "... and GET returns the value redis saved before the hard kill" "$out" "^GET:$val\$"
