#!/bin/bash
# sporectl exec's round trip and spored's memory per guest (issue 19), in
# one sandbox boot:
#   exec    `sporectl exec ID true` into a running container (spored's
#           socket, the guest's control channel, sporeinit's fork and exec,
#           the exit status back) against `sporectl launch --attach --rm
#           IMAGE true` of the same cached image: RUNS times each, medians
#           and their ratio (target <= 0.1x)
#   memory  spored's Pss (smaps_rollup) with 1 running guest and with
#           GUESTS (idle busybox `sleep`, 64 MiB each, every one attached
#           to once so its console is served and its channel greeted):
#           the growth per guest (target <= 512 KiB plus the configured log
#           buffer; spored keeps no log buffer in memory: records go to the
#           file as they come)
# Figures are printed, never asserted. Needs the test registry
# (scripts/test-registry.sh start) and spore's kernel (kernel/build.sh).
# Usage: tests/bench/exec-roundtrip.sh [RUNS [GUESTS]]   (defaults 10, 20)
set -euo pipefail

. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --inside ]; then
	runs=$2 guests=$3 reg=10.0.2.2:5000 img=10.0.2.2:5000/spore-test/busybox:latest
	secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'; }
	now() { echo "${EPOCHREALTIME/./}"; }
	pss() { awk '/^Pss:/ {print $2}' "/proc/$(pidof spored | awk '{print $1}')/smaps_rollup"; }
	launch() { sporectl launch -m 64 --network none --insecure-registry "$reg" --name "$1" "$img" sleep 1000000 >/dev/null; }
	# The guest's channel is greeted: exec answers.
	ready() {
		local deadline=$((SECONDS + 120))
		until sporectl exec "$1" true 2>/dev/null; do
			[ $SECONDS -lt $deadline ] || { echo "exec-roundtrip: $1's channel never answered" >&2; exit 1; }
			sleep 0.5
		done
	}
	sporectl image pull --insecure-registry "$reg" "$img" >/dev/null
	sporectl launch --attach --rm --network none --insecure-registry "$reg" "$img" true >/dev/null
	launch eb-1
	ready eb-1
	e=() l=()
	printf '%-4s %10s %10s\n' run exec_s launch_s
	for i in $(seq 1 "$runs"); do
		t0=$(now)
		sporectl exec eb-1 true
		t1=$(now)
		sporectl launch --attach --rm --network none --insecure-registry "$reg" "$img" true >/dev/null
		t2=$(now)
		e+=("$(secs "$t0" "$t1")") l+=("$(secs "$t1" "$t2")")
		printf '%-4s %10s %10s\n' "$i" "${e[-1]}" "${l[-1]}"
	done
	me=$(bench_median "${e[@]}") ml=$(bench_median "${l[@]}")
	printf '%-4s %10s %10s\n' med "$me" "$ml"
	awk -v a="$me" -v b="$ml" 'BEGIN { printf "exec true: %.3f s, launch --attach true: %.3f s: exec %.3fx launch (target <= 0.1x)\n", a, b, a / b }'

	p1=$(pss)
	for i in $(seq 2 "$guests"); do
		launch "eb-$i"
	done
	for i in $(seq 2 "$guests"); do
		ready "eb-$i"
	done
	pn=$(pss)
	awk -v a="$p1" -v b="$pn" -v n="$guests" 'BEGIN {
		printf "spored Pss: %d KiB with 1 guest, %d KiB with %d: %.0f KiB per guest (target <= 512 KiB)\n",
			a, b, n, (b - a) / (n - 1) }'
	sporectl destroy -t 0 --all >/dev/null 2>&1 || true
	exit 0
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/lib/common.sh"
runs=${1:-10} guests=${2:-20}
[[ $runs =~ ^[1-9][0-9]*$ && $guests =~ ^[1-9][0-9]*$ && $guests -ge 2 ]] ||
	die "RUNS must be a positive number, GUESTS at least 2"
[ -e "$root/.cache/kernel/spore-vmlinuz" ] || die "spore's kernel is not built: run kernel/build.sh"
"$root/scripts/test-registry.sh" start >/dev/null || die "the test registry did not start"
echo "exec round trip ($runs runs) and spored's memory for $guests guests, Xen 4.17 sandbox (QEMU TCG)"
"$root/scripts/xen-sandbox.sh" --timeout $((900 + guests * 60)) -- \
	bash tests/bench/exec-roundtrip.sh --inside "$runs" "$guests"
