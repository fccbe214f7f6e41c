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
# With CONBENCH_STRACE=DIR (a directory in this tree holding strace and the
# libraries it needs, e.g. .cache/bench-tools), one more spore run, not
# measured, of min(N, 200000) lines under strace -c: spored's and the
# attached sporectl's system calls.
# Usage: tests/bench/console-throughput.sh [N [RUNS]]   (default 200000, 3;
# the issue's figure is for N=2000000: about 35 minutes a run under TCG)
set -euo pipefail

. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --inside ]; then
	kernel=$2 n=$3 runs=$4 strace_dir=${5:-} img=10.0.2.2:5000/spore-test/busybox:latest
	work=$(mktemp -d /tmp/conbench.XXXXXX)
	cp "$kernel" "$work/vmlinuz"
	secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'; }
	# cpu_of NAME: the daemon's CPU ticks (user + system) and context
	# switches so far (its wake-ups, about: one per event channel
	# notification it handles), "0 0" if it does not run.
	cpu_of() {
		local p
		p=$(pidof "$1" | awk '{print $1}')
		[ -n "$p" ] || { echo "0 0"; return; }
		echo "$(awk '{print $14 + $15}' "/proc/$p/stat") $(awk '/ctxt_switches/ {s += $2} END {print s}' "/proc/$p/status")"
	}
	# cost BEFORE AFTER BYTES: "X s CPU, N wake-ups, B bytes per wake-up".
	cost() {
		awk -v a="$1" -v b="$2" -v n="$3" -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" 'BEGIN {
			split(a, x, " "); split(b, y, " "); w = y[2] - x[2]
			printf "%.2f s CPU, %d wake-ups, %.0f bytes per wake-up", (y[1] - x[1]) / hz, w, w ? n / w : 0 }'
	}
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
		# Only the log's end: a grep of the whole log (15 MB for N=2000000)
		# 20 times a second took dom0's CPU from xenconsoled.
		until tail -c 4096 "$clog" 2>/dev/null | grep -q CONBENCH-DONE; do sleep 0.05; done
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
	bytes=$(seq 1 "$n" | wc -c)
	for i in $(seq 1 "$runs"); do
		c0=$(cpu_of spored)
		ts=$(run_spore seq 1 "$n")
		c1=$(cpu_of spored)
		# Counted before the run of true overwrites the output.
		lines=$(tr -d '\r' <"$work/out" | grep -c '^[0-9][0-9]*$' || true)
		a=$(awk -v a="$ts" -v b="$(run_spore true)" 'BEGIN { printf "%.2f", a - b }')
		x0=$(cpu_of xenconsoled)
		tx=$(run_xl "cs-$i" seq)
		x1=$(cpu_of xenconsoled)
		b=$(awk -v a="$tx" -v b="$(run_xl "cn-$i" none)" 'BEGIN { printf "%.2f", a - b }')
		printf '%-4s %12s %12s   (spore relayed %s of %s lines)\n' "$i" "$a" "$b" "$lines" "$n"
		# Where dom0's time goes: each backend's CPU and wake-ups over
		# its seq run (the whole run: launch or xl create included).
		printf '     spored %s; xenconsoled %s\n' "$(cost "$c0" "$c1" "$bytes")" \
			"$(cost "$x0" "$x1" "$bytes")"
		s+=("$a") x+=("$b")
	done
	ms=$(bench_median "${s[@]}") mx=$(bench_median "${x[@]}")
	printf '%-4s %12s %12s\n' med "$ms" "$mx"
	awk -v a="$ms" -v b="$mx" -v n="$n" 'BEGIN {
		printf "throughput: spore %.0f lines/s, xl+xenconsoled %.0f lines/s: spore %.2fx xl (target >= 1.0x)\n",
			n / a, n / b, (n / a) / (n / b) }'
	if [ -n "$strace_dir" ]; then
		m=$((n < 200000 ? n : 200000))
		st() { LD_LIBRARY_PATH=$strace_dir "$strace_dir/strace" "$@"; }
		st -c -f -o "$work/st-spored" -p "$(pidof spored | awk '{print $1}')" 2>/dev/null &
		sp=$!
		sleep 2
		t0=${EPOCHREALTIME/./}
		st -c -f -o "$work/st-sporectl" sporectl launch --attach --rm \
			--insecure-registry 10.0.2.2:5000 "$img" seq 1 "$m" >"$work/out" 2>&1 || true
		t1=${EPOCHREALTIME/./}
		kill -INT "$sp"
		wait "$sp" 2>/dev/null || true
		echo "profile (not measured): seq 1 $m under strace -c, $(secs "$t0" "$t1") s"
		for w in spored sporectl; do
			echo "  $w's system calls (strace -c -f), the top 8:"
			head -n 10 "$work/st-$w" | sed 's/^/    /'
		done
	fi
	exit 0
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/lib/common.sh"
n=${1:-200000} runs=${2:-3} strace_dir=
if [ -n "${CONBENCH_STRACE:-}" ]; then
	strace_dir=$(cd "$CONBENCH_STRACE" && pwd) || die "CONBENCH_STRACE: no such directory"
	case $strace_dir in "$root"/*) ;; *) die "CONBENCH_STRACE must be inside $root (dom0 sees only the tree)" ;; esac
	[ -x "$strace_dir/strace" ] || die "no strace in $strace_dir"
	strace_dir=/mnt/host${strace_dir#"$root"}
fi
[[ $n =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] || die "N and RUNS must be positive numbers"
kernel=$root/.cache/kernel/spore-vmlinuz
[ -e "$kernel" ] || die "spore's kernel is not built: run kernel/build.sh"
"$root/scripts/test-registry.sh" start >/dev/null || die "the test registry did not start"
echo "console throughput: seq 1 $n, attached spore launch vs an xl guest on xenconsoled, $runs runs, Xen 4.17 sandbox (QEMU TCG)"
# The sandbox's default 1200 s stops a run of N=2000000 half-way (a run of
# 200000 took 4 minutes under TCG): 3 ms a line for each run, and 10 minutes.
"$root/scripts/xen-sandbox.sh" --timeout $((600 + runs * n * 3 / 1000)) -- \
	bash tests/bench/console-throughput.sh --inside \
	"/mnt/host${kernel#"$root"}" "$n" "$runs" "$strace_dir"
