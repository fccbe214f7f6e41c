#!/bin/bash
# A hostile guest fills xenstore: from inside (a busybox initrd with
# tests/tools/guest-xs in place of sporeinit) it writes nodes under its own
# data/ and sets watches until xenstored refuses, and holds them. The
# per-domain quota must stop it well short of its goal, another guest's
# launch must work meanwhile, and once it is destroyed nothing of it is left
# (nodes, domain, loop devices, sporenet worker). dom0's memory and disk are
# printed before and after.
. tests/e2e/lib.sh

need_launch "hostile xenstore flood" "${SPORE_BUILD:-build}/tests/guest-xs"
L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }
GOAL=100000

hostile_initrd "$E2E_TMP/hog.cpio" <<EOF
X=guest-xs
echo "HOG-START"
\$X fill data/hog $GOAL
\$X watch data/hog-w $GOAL >/tmp/watch.out 2>&1 &
while [ ! -s /tmp/watch.out ]; do sleep 1; done
cat /tmp/watch.out
# A value larger than xenstored takes, and a deep path.
\$X write data/big "\$(head -c 4000 /dev/zero | tr '\0' x)" | sed 's/^/BIG /'
p=data; i=0; while [ \$i -lt 100 ]; do p=\$p/d; i=\$((i + 1)); done
\$X write \$p x | sed 's/^/DEEP /'
echo "HOG-HOLDING"
sleep 100000
EOF

# Warm up: one launch so the image is cached and sporenet has seen a guest.
L --attach --rm "$img" true >/dev/null 2>&1
before=$(leak_baseline)
echo "# before: $(dom0_usage)"

SPORE_INITRD=$E2E_TMP/hog.cpio L --attach --name e2e-hog "$img" true >"$E2E_TMP/hog.out" 2>&1 &
hog_pid=$!
# shellcheck disable=SC2317
holding() { grep -q HOG-HOLDING "$E2E_TMP/hog.out"; }
if ! wait_for 600 holding; then
	echo "not ok - the hostile guest fills xenstore and holds its watches"
	tr -d '\r' <"$E2E_TMP/hog.out" | tail -n 20 | sed 's/^/#   /'
	kill "$hog_pid" 2>/dev/null
	sporectl destroy -t 0 e2e-hog >/dev/null 2>&1
	exit 0
fi
out=$(tr -d '\r' <"$E2E_TMP/hog.out")
fill=$(grep -Eo '^FILL [0-9]+ [A-Z0-9a-z-]+' <<<"$out" | head -n 1)
watch=$(grep -Eo '^WATCH [0-9]+ [A-Z0-9a-z-]+' <<<"$out" | head -n 1)
echo "# the guest: $fill; $watch; $(grep -E '^(BIG|DEEP) ' <<<"$out" | tr '\n' ' ')"
n=$(awk '{print $2}' <<<"$fill")
check_match "a guest's node flood is stopped by xenstored's quota ($fill of $GOAL)" \
	"$fill" "^FILL [0-9]+ E[A-Z0-9]+$"
[ "${n:-0}" -gt 0 ] && [ "${n:-0}" -lt 10000 ] && echo "ok - ... after fewer than 10000 nodes" ||
	echo "not ok - ... after fewer than 10000 nodes ($n)"
n=$(awk '{print $2}' <<<"$watch")
check_match "its watch flood is stopped too ($watch of $GOAL)" "$watch" \
	"^WATCH [0-9]+ (E[A-Z0-9]+|errno-[0-9]+)$"
[ "${n:-0}" -lt 10000 ] && echo "ok - ... after fewer than 10000 watches" ||
	echo "not ok - ... after fewer than 10000 watches ($n)"
echo "# while it holds them: $(dom0_usage)"

# Another guest's launch is unaffected, and sporectl still answers.
t0=$(now_ms)
v=$(L --attach --rm "$img" echo victim-ok 2>&1 | tr -d '\r')
rc=$?
check_match "another guest launches and runs while the flood holds (exit $rc)" "$v" 'victim-ok'
echo "# that launch took $((($(now_ms) - t0) )) ms"
check "list works meanwhile" sporectl list
check_match "... and shows the hostile guest running" "$(sporectl list)" 'e2e-hog +.* Up '
check "the dom0 tools read its nodes" xenstore-ls -f "/local/domain/$(guest_domid e2e-hog)/data"

check "destroy ends the hostile guest" sporectl destroy -t 0 e2e-hog
wait "$hog_pid" 2>/dev/null
check_no_leak "nothing of it is left (its nodes, domain, loops, sporenet worker)" "$before"
echo "# after: $(dom0_usage)"
