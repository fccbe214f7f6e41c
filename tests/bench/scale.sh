#!/bin/bash
# Creation time of one more guest with 1, 10 and 30 guests already running,
# spore against xl, in one sandbox boot. The running guests are idle spore
# containers (busybox `sleep`, 64 MiB each). At each level:
#   spore  `sporectl launch` (detached: returns once the guest is unpaused)
#          of the cached busybox image, 64 MiB, with its block devices and vif
#   xl     `xl create` of spore's kernel + a busybox initrd, 64 MiB, with a
#          read-only disk (loop, through xl's block script) and a vif on a
#          bridge (xl's vif-bridge script): the same devices spore sets up
# each RUNS times (the extra guest destroyed after each run); medians, and
# spore's growth from 1 to 30 running guests (target <= 1.1x).
# Figures are printed, never asserted. Needs the test registry
# (scripts/test-registry.sh start) and spore's kernel (kernel/build.sh).
# Usage: tests/bench/scale.sh [RUNS] [LEVELS]   (defaults 3 and "1 10 30")
set -euo pipefail

. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --inside ]; then
	kernel=$2 initrd=$3 runs=$4 levels=$5
	reg=10.0.2.2:5000 img=10.0.2.2:5000/spore-test/busybox:latest
	now() { echo "${EPOCHREALTIME/./}"; }
	secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'; }
	launch() { sporectl launch -m 64 --insecure-registry "$reg" --name "$1" "$img" sleep 1000000 >/dev/null; }
	run_spore() {
		local t0 t1
		t0=$(now)
		launch scale-x
		t1=$(now)
		sporectl destroy scale-x >/dev/null
		secs "$t0" "$t1"
	}
	disk=/tmp/scale-disk.img
	dd if=/dev/zero of=$disk bs=1M count=4 2>/dev/null
	ip link add xenbr0 type bridge && ip link set xenbr0 up
	cfg=/tmp/scale-xl.cfg
	cat >"$cfg" <<CFG
name = "scale-xl"
type = "pv"
kernel = "$kernel"
ramdisk = "$initrd"
extra = "console=hvc0 quiet"
memory = 64
disk = [ "format=raw,vdev=xvda,access=ro,target=$disk" ]
vif = [ "bridge=xenbr0" ]
on_poweroff = "preserve"
CFG
	run_xl() {
		local t0 t1
		t0=$(now)
		xl create -q "$cfg" >/tmp/scale-xl.out 2>&1 || { cat /tmp/scale-xl.out >&2; return 1; }
		t1=$(now)
		xl destroy scale-xl >/dev/null 2>&1
		secs "$t0" "$t1"
	}
	sporectl image pull --insecure-registry "$reg" "$img" >/dev/null
	run_spore >/dev/null && run_xl >/dev/null # warm caches
	running=0
	printf '%-8s %10s %10s %8s\n' running spore_s xl_s ratio
	for level in $levels; do
		while [ $running -lt "$level" ]; do
			running=$((running + 1))
			launch "scale-$running" || { echo "could not start guest $running" >&2; exit 1; }
		done
		s=() x=()
		for _ in $(seq 1 "$runs"); do s+=("$(run_spore)") x+=("$(run_xl)"); done
		ms=$(bench_median "${s[@]}") mx=$(bench_median "${x[@]}")
		printf '%-8s %10s %10s %7.2fx\n' "$level" "$ms" "$mx" "$(awk -v a="$ms" -v b="$mx" 'BEGIN { print a / b }')"
		echo "$level $ms" >>/tmp/scale.res
	done
	awk 'NR == 1 { a = $2 } { b = $2; n = $1 } END { printf "spore at %d running / at %d: %.2fx (target <= 1.1x)\n", n, 1, b / a }' /tmp/scale.res
	sporectl destroy --all >/dev/null 2>&1 || true
	exit 0
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/lib/common.sh"
runs=${1:-3} levels=${2:-"1 10 30"}
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number"
kernel=$root/.cache/kernel/spore-vmlinuz
[ -e "$kernel" ] || die "spore's kernel is not built: run kernel/build.sh"
initrd=$SPORE_CACHE/bench/marker-initrd.cpio.gz
[ -s "$initrd" ] || "$root/tests/bench/xl-baseline.sh" 1 >/dev/null
"$root/scripts/test-registry.sh" start >/dev/null || die "the test registry did not start"
max=0
for l in $levels; do [[ $l =~ ^[1-9][0-9]*$ ]] || die "LEVELS must be positive numbers"; [ "$l" -gt $max ] && max=$l; done
# dom0 1 GiB + 64 MiB per guest (plus the measured one and slack).
mem=$((1024 + 64 * (max + 4) + 512))
echo "scale: one more guest at $levels running, $runs runs each, Xen 4.17 sandbox (QEMU TCG), ${mem} MiB"
"$root/scripts/xen-sandbox.sh" --memory "$mem" --timeout 3600 -- bash tests/bench/scale.sh --inside \
	"/mnt/host${kernel#"$root"}" "/mnt/host${initrd#"$root"}" "$runs" "$levels"
