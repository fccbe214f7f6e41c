#!/bin/bash
# Console throughput: `seq 1 N` from a container with `sporectl launch
# --attach` (spored's backend, through its socket to the terminal side)
# against an xl guest printing the same on its console to xenconsoled, in
# one sandbox boot, RUNS times each. A run's figure is its time minus that
# of the same guest printing nothing (so boot and toolstack cancel out):
# spore, the attached launch of `seq 1 N` against one of `true`, its output
# to a file; xl, until the last number is in xenconsoled's log against a
# guest printing only a marker. Printed, never asserted.
# Needs the test registry (scripts/test-registry.sh start) and spore's
# kernel (kernel/build.sh).
# Usage: tests/bench/console-throughput.sh [N [RUNS]]   (default 200000, 3;
# the issue's figure is for N=2000000, a few minutes under TCG)
set -euo pipefail

. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --inside ]; then
	kernel=$2 n=$3 runs=$4 img=10.0.2.2:5000/spore-test/busybox:latest
	work=$(mktemp -d /tmp/conbench.XXXXXX)
	cp "$kernel" "$work/vmlinuz"
	secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'; }
	# xl's guest: a busybox initrd whose init prints seq 1 COUNT, then a
	# marker, on hvc0, and powers off.
	mkird() { # NAME COUNT
		local d=$work/ird-$1
		mkdir -p "$d/bin" "$d/proc"
		cp "$(command -v busybox)" "$d/bin/busybox"
		ln -s busybox "$d/bin/sh"
		printf '#!/bin/sh\nexport PATH=/bin\n/bin/busybox seq 1 %s\necho CONBENCH-DONE\n/bin/busybox poweroff -f\n' "$2" >"$d/init"
		chmod +x "$d/init"
		(cd "$d" && find . | cpio -o -H newc 2>/dev/null >"$work/$1.cpio")
	}
	mkird seq "$n"
	mkird none 0
	run_xl() { # NAME INITRD -> seconds to the marker in xenconsoled's log
		local name=$1 cfg=$work/$1.cfg clog=/var/log/xen/console/guest-$1.log t0
		printf 'name="%s"\ntype="pv"\nkernel="%s"\nramdisk="%s"\nextra="console=hvc0 quiet"\nmemory=256\non_poweroff="destroy"\n' \
			"$name" "$work/vmlinuz" "$work/$2.cpio" >"$cfg"
		rm -f "$clog"
		t0=${EPOCHREALTIME/./}
		xl create -q "$cfg" >/dev/null 2>&1
		until grep -q CONBENCH-DONE "$clog" 2>/dev/null; do sleep 0.05; done
		secs "$t0" "${EPOCHREALTIME/./}"
		while xl domid "$name" >/dev/null 2>&1; do sleep 0.1; done
	}
	run_spore() { # CMD... -> seconds of the attached launch
		local t0
		t0=${EPOCHREALTIME/./}
		sporectl launch --attach --rm --insecure-registry 10.0.2.2:5000 "$img" "$@" >"$work/out" 2>&1
		secs "$t0" "${EPOCHREALTIME/./}"
	}
	sporectl image pull --insecure-registry 10.0.2.2:5000 "$img" >/dev/null
	run_spore true >/dev/null
	printf '%-4s %12s %12s\n' run spore_s xl_s
	s=() x=()
	for i in $(seq 1 "$runs"); do
		a=$(awk -v a="$(run_spore seq 1 "$n")" -v b="$(run_spore true)" 'BEGIN { printf "%.2f", a - b }')
		lines=$(tr -d '\r' <"$work/out" | grep -c '^[0-9]*$' || true)
		b=$(awk -v a="$(run_xl cs-$i seq)" -v b="$(run_xl cn-$i none)" 'BEGIN { printf "%.2f", a - b }')
		printf '%-4s %12s %12s   (spore relayed %s of %s lines)\n' "$i" "$a" "$b" "$lines" "$n"
		s+=("$a") x+=("$b")
	done
	ms=$(bench_median "${s[@]}") mx=$(bench_median "${x[@]}")
	printf '%-4s %12s %12s\n' med "$ms" "$mx"
	awk -v a="$ms" -v b="$mx" -v n="$n" 'BEGIN {
		printf "throughput: spore %.0f lines/s, xl+xenconsoled %.0f lines/s: spore %.2fx xl (target >= 1.0x)\n",
			n / a, n / b, (n / a) / (n / b) }'
	exit 0
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/lib/common.sh"
n=${1:-200000} runs=${2:-3}
[[ $n =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] || die "N and RUNS must be positive numbers"
kernel=$root/.cache/kernel/spore-vmlinuz
[ -e "$kernel" ] || die "spore's kernel is not built: run kernel/build.sh"
"$root/scripts/test-registry.sh" start >/dev/null || die "the test registry did not start"
echo "console throughput: seq 1 $n, attached spore launch vs an xl guest on xenconsoled, $runs runs, Xen 4.17 sandbox (QEMU TCG)"
"$root/scripts/xen-sandbox.sh" -- bash tests/bench/console-throughput.sh --inside \
	"/mnt/host${kernel#"$root"}" "$n" "$runs"
