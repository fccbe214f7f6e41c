#!/bin/bash
# spore's guest kernel (kernel/) against Debian's cloud kernel, in one
# sandbox boot, both started by `sporectl boot --attach` with the same busybox
# initrd (prints a marker with its uptime, powers off) and 128 MiB,
# alternated RUNS times after one warm-up each (fills spore's kernel cache).
# Prints per run and the medians, and the ratio spore/cloud, of:
#   init_s    guest uptime when its init ran (/proc/uptime, seconds)
#   marker_s  `sporectl boot` start -> the marker on its stdout (seconds)
# and both kernels' sizes. Figures are printed, never asserted.
# Usage: tests/bench/kernel-boot.sh [RUNS]   (default 5)
set -euo pipefail

. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --inside ]; then
	spore=$2 cloud=$3 initrd=$4 runs=$5
	export SPORE_ROOT=$(mktemp -d /tmp/kbench.XXXXXX)
	one() { # one KERNEL NAME -> "init_s marker_s"
		local t0 out t1
		t0=${EPOCHREALTIME/./}
		out=$(sporectl boot "$1" --initrd "$initrd" --cmdline "console=hvc0 quiet" \
			--memory 128 --name "$2" --attach 2>&1) || { echo "$out" >&2; return 1; }
		t1=${EPOCHREALTIME/./}
		local up
		up=$(printf '%s\n' "$out" | sed -n 's/.*SPORE-BENCH-MARKER uptime \([0-9.]*\).*/\1/p' | head -n1)
		[ -n "$up" ] || { echo "no marker from $2: $out" >&2; return 1; }
		echo "$up $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')"
	}
	one "$spore" warm-spore >/dev/null
	one "$cloud" warm-cloud >/dev/null
	printf '%-4s %-6s %8s %9s\n' run kernel init_s marker_s
	s_init=() s_mark=() c_init=() c_mark=()
	for i in $(seq 1 "$runs"); do
		read -r a b < <(one "$spore" kb-spore-$i)
		printf '%-4s %-6s %8s %9s\n' "$i" spore "$a" "$b"
		s_init+=("$a") s_mark+=("$b")
		read -r a b < <(one "$cloud" kb-cloud-$i)
		printf '%-4s %-6s %8s %9s\n' "$i" cloud "$a" "$b"
		c_init+=("$a") c_mark+=("$b")
	done
	si=$(bench_median "${s_init[@]}") sm=$(bench_median "${s_mark[@]}")
	ci=$(bench_median "${c_init[@]}") cm=$(bench_median "${c_mark[@]}")
	printf '%-11s %8s %9s\n' median-spore "$si" "$sm"
	printf '%-11s %8s %9s\n' median-cloud "$ci" "$cm"
	awk -v a="$si" -v b="$ci" -v c="$sm" -v d="$cm" \
		'BEGIN { printf "ratio spore/cloud: init %.2fx, marker %.2fx (target init <= 0.5x)\n", a / b, c / d }'
	exit 0
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/lib/common.sh"
. "$root/scripts/lib/sandbox.sh"
runs=${1:-5}
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number"
spore=$root/.cache/kernel/spore-vmlinuz
[ -e "$spore" ] || die "spore's kernel is not built: run kernel/build.sh"
sandbox_fetch
cloud=$SANDBOX_PKGROOT/boot/vmlinuz-$SANDBOX_ABI-cloud-amd64

# The marker initrd of the xl baseline (built there if missing).
initrd=$SPORE_CACHE/bench/marker-initrd.cpio.gz
[ -s "$initrd" ] || "$root/tests/bench/xl-baseline.sh" 1 >/dev/null
echo "kernel boot: spore's kernel $(stat -c %s "$spore") bytes vs Debian cloud kernel $(stat -c %s "$cloud") bytes; $runs runs each, 128 MiB, Xen 4.17 sandbox (QEMU TCG)"
"$root/scripts/xen-sandbox.sh" -- bash tests/bench/kernel-boot.sh --inside \
	"/mnt/host${spore#"$root"}" "/mnt/host${cloud#"$root"}" "/mnt/host${initrd#"$root"}" "$runs"
