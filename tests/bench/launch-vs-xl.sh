#!/bin/bash
# `sporectl launch --attach IMAGE echo hi` (cached busybox image, spore's
# kernel) against `xl create` of the same kernel with a plain busybox initrd
# that prints a marker (no devices), in one sandbox boot, alternated RUNS
# times after one warm-up each. Prints per run and the medians, and the
# ratio spore/xl, of the time from the command's start to the first output
# (spore: "hi" on launch's stdout; xl: the marker in xenconsoled's log).
# Figures are printed, never asserted. Needs the test registry
# (scripts/test-registry.sh start) and spore's kernel (kernel/build.sh).
# Usage: tests/bench/launch-vs-xl.sh [RUNS]   (default 5)
set -euo pipefail

. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --inside ]; then
	kernel=$2 initrd=$3 runs=$4 img=10.0.2.2:5000/spore-test/busybox:latest
	secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'; }
	run_spore() {
		local t0 out
		t0=${EPOCHREALTIME/./}
		out=$(sporectl launch --attach --rm --insecure-registry 10.0.2.2:5000 "$img" echo hi 2>&1 |
			{ IFS= read -r l; echo "$l ${EPOCHREALTIME/./}"; cat >/dev/null; })
		[[ $out == hi* ]] || { echo "launch printed: $out" >&2; return 1; }
		secs "$t0" "${out##* }"
	}
	run_xl() {
		local name=$1 cfg=/tmp/$1.cfg clog=/var/log/xen/console/guest-$1.log t0 i
		printf 'name="%s"\ntype="pv"\nkernel="%s"\nramdisk="%s"\nextra="console=hvc0 quiet"\nmemory=256\non_poweroff="destroy"\n' \
			"$name" "$kernel" "$initrd" >"$cfg"
		t0=${EPOCHREALTIME/./}
		xl create -q "$cfg" >/dev/null 2>&1
		for i in $(seq 1 20000); do
			grep -q SPORE-BENCH-MARKER "$clog" 2>/dev/null && break
			sleep 0.01
		done
		secs "$t0" "${EPOCHREALTIME/./}"
		for i in $(seq 1 1000); do xl domid "$name" >/dev/null 2>&1 || break; sleep 0.02; done
	}
	sporectl image pull --insecure-registry 10.0.2.2:5000 "$img" >/dev/null
	run_spore >/dev/null
	run_xl lx-warm >/dev/null
	printf '%-4s %10s %10s\n' run spore_s xl_s
	s=() x=()
	for i in $(seq 1 "$runs"); do
		a=$(run_spore) b=$(run_xl lx-$i)
		printf '%-4s %10s %10s\n' "$i" "$a" "$b"
		s+=("$a") x+=("$b")
	done
	ms=$(bench_median "${s[@]}") mx=$(bench_median "${x[@]}")
	printf '%-4s %10s %10s\n' med "$ms" "$mx"
	awk -v a="$ms" -v b="$mx" 'BEGIN { printf "ratio spore/xl: %.2fx (target <= 0.6x)\n", a / b }'
	exit 0
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/lib/common.sh"
runs=${1:-5}
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number"
kernel=$root/.cache/kernel/spore-vmlinuz
[ -e "$kernel" ] || die "spore's kernel is not built: run kernel/build.sh"
initrd=$SPORE_CACHE/bench/marker-initrd.cpio.gz
[ -s "$initrd" ] || "$root/tests/bench/xl-baseline.sh" 1 >/dev/null
"$root/scripts/test-registry.sh" start >/dev/null || die "the test registry did not start"
echo "launch vs xl create: spore's kernel, 256 MiB, $runs runs each, Xen 4.17 sandbox (QEMU TCG)"
"$root/scripts/xen-sandbox.sh" -- bash tests/bench/launch-vs-xl.sh --inside \
	"/mnt/host${kernel#"$root"}" "/mnt/host${initrd#"$root"}" "$runs"
