#!/bin/bash
# `sporectl launch --attach IMAGE echo hi` (cached busybox image, spore's
# kernel) against `xl create` of the same kernel with a plain busybox initrd
# that prints a marker (no devices), in one sandbox boot, alternated RUNS
# times after one warm-up each. Prints per run and the medians, and the
# ratio spore/xl, of the time from the command's start to the first output
# (spore: "hi" on launch's stdout; xl: the marker in xenconsoled's log), and
# where it goes: the toolstack's part (spore: start -> the unpause, from its
# "unpaused domain" debug line; xl: until `xl create` returns) and the
# guest's (the rest: kernel boot, init, the command).
# Figures are printed, never asserted. Needs the test registry
# (scripts/test-registry.sh start) and spore's kernel (kernel/build.sh).
# Usage: tests/bench/launch-vs-xl.sh [RUNS]   (default 5)
set -euo pipefail

. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --inside ]; then
	runs=$4 img=10.0.2.2:5000/spore-test/busybox:latest
	# Both toolstacks run, and read their kernel and initrds, from dom0's own
	# memory (xl is in the initramfs), not from the 9p share /mnt/host: on a
	# host all of it is on a local disk.
	work=$(mktemp -d /tmp/launchbench.XXXXXX)
	cp "$2" "$work/vmlinuz"
	cp "$3" "$work/marker-initrd"
	sc=$(readlink -f "$(command -v sporectl)") # a link into the build tree
	cp "$sc" "$work/sporectl"
	cp "${sc%/controller/sporectl}/container/sporeinit.cpio" "$work/sporeinit.cpio"
	kernel=$work/vmlinuz initrd=$work/marker-initrd
	export SPORE_KERNEL=$kernel SPORE_INITRD=$work/sporeinit.cpio
	sporectl() { "$work/sporectl" "$@"; }
	secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'; }
	run_spore() { # -> "first_output_s toolstack_s"
		local t0 out tu
		t0=${EPOCHREALTIME/./}
		out=$(SPORE_LOG=debug sporectl launch --attach --rm --insecure-registry 10.0.2.2:5000 "$img" echo hi 2>/tmp/lx.err |
			{ IFS= read -r l; echo "$l ${EPOCHREALTIME/./}"; cat >/dev/null; })
		[[ $out == hi* ]] || { echo "launch printed: $out" >&2; cat /tmp/lx.err >&2; return 1; }
		tu=$(sed -n 's/.*unpaused domain [0-9]* at \([0-9]*\)\.\([0-9]*\) .*/\1\2/p' /tmp/lx.err)
		echo "$(secs "$t0" "${out##* }") $(secs "$t0" "${tu:-$t0}")"
	}
	run_xl() {
		local name=$1 cfg=/tmp/$1.cfg clog=/var/log/xen/console/guest-$1.log t0 t1 i
		printf 'name="%s"\ntype="pv"\nkernel="%s"\nramdisk="%s"\nextra="console=hvc0 quiet"\nmemory=256\non_poweroff="destroy"\n' \
			"$name" "$kernel" "$initrd" >"$cfg"
		t0=${EPOCHREALTIME/./}
		xl create -q "$cfg" >/dev/null 2>&1
		t1=${EPOCHREALTIME/./}
		for i in $(seq 1 20000); do
			grep -q SPORE-BENCH-MARKER "$clog" 2>/dev/null && break
			sleep 0.01
		done
		echo "$(secs "$t0" "${EPOCHREALTIME/./}") $(secs "$t0" "$t1")"
		for i in $(seq 1 1000); do xl domid "$name" >/dev/null 2>&1 || break; sleep 0.02; done
	}
	sporectl image pull --insecure-registry 10.0.2.2:5000 "$img" >/dev/null
	run_spore >/dev/null
	run_xl lx-warm >/dev/null
	printf '%-4s %10s %10s %16s %13s\n' run spore_s xl_s spore_toolstack xl_toolstack
	s=() x=() st=() xt=()
	for i in $(seq 1 "$runs"); do
		read -r a at <<<"$(run_spore)"
		read -r b bt <<<"$(run_xl lx-$i)"
		printf '%-4s %10s %10s %16s %13s\n' "$i" "$a" "$b" "$at" "$bt"
		s+=("$a") x+=("$b") st+=("$at") xt+=("$bt")
	done
	ms=$(bench_median "${s[@]}") mx=$(bench_median "${x[@]}")
	mst=$(bench_median "${st[@]}") mxt=$(bench_median "${xt[@]}")
	printf '%-4s %10s %10s %16s %13s\n' med "$ms" "$mx" "$mst" "$mxt"
	awk -v a="$ms" -v b="$mx" 'BEGIN { printf "ratio spore/xl: %.2fx (target <= 0.6x)\n", a / b }'
	awk -v a="$ms" -v b="$mx" -v at="$mst" -v bt="$mxt" 'BEGIN {
		printf "where it goes (medians): spore toolstack %.2f s + guest %.2f s; xl toolstack %.2f s + guest %.2f s\n",
			at, a - at, bt, b - bt }'
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
