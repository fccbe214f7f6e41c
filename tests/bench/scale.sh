#!/bin/bash
# Creation time of one more guest with 1, 10 and 30 guests already running,
# spore against xl, in one sandbox boot. The running guests are idle spore
# containers (busybox `sleep`, 64 MiB each). At each level:
#   spore  `sporectl launch` (detached: returns once the guest is unpaused)
#          of the cached busybox image, 64 MiB, with its block devices and vif
#   xl     `xl create` of spore's kernel + a busybox initrd, 64 MiB, with a
#          read-only disk (loop, through xl's block script) and a vif on a
#          bridge (xl's vif-bridge script): the same devices spore sets up
# each RUNS times (the extra guest destroyed after each run; before each
# level, every running container has started, so none is still booting);
# medians, spore's and xl's growth from 1 to 30 running guests (spore's
# target <= 1.1x), and where spore's launch goes at each level: its steps
# (SPORE_LOG=debug "step NAME at T ms") and the CPU time that dom0's
# reaper, sporenet, xenstored, xenconsoled and the kernel's xenwatch (the
# backend drivers) spend meanwhile, which shows work growing with the number
# of guests better than wall time on a shared machine. The host's load
# average is printed before and after.
# Figures are printed, never asserted. Needs the test registry
# (scripts/test-registry.sh start) and spore's kernel (kernel/build.sh).
# Usage: tests/bench/scale.sh [RUNS] [LEVELS]   (defaults 3 and "1 10 30")
set -euo pipefail

. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --inside ]; then
	kernel=$2 initrd=$3 runs=$4 levels=$5
	reg=10.0.2.2:5000 img=10.0.2.2:5000/spore-test/busybox:latest
	work=/tmp/scale
	rm -rf $work && mkdir -p $work
	now() { echo "${EPOCHREALTIME/./}"; }
	secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'; }
	launch() { sporectl launch -m 64 --insecure-registry "$reg" --name "$1" "$img" sleep 1000000 >/dev/null; }
	# CPU time (ms) of what in dom0 reacts to a launch, and of dom0 as a
	# whole: "reaper (spored) sporenet xenstored xenconsoled xenwatch dom0".
	daemons() {
		local d line comm t f
		declare -A sum=([reaper]=0 [sporenet]=0 [xenstored]=0 [xenconsoled]=0 [xenwatch]=0)
		for d in /proc/[0-9]*; do
			read -r line 2>/dev/null <"$d/stat" || continue
			comm=${line#*\(} comm=${comm%%\)*}
			case $comm in
			spored) t=reaper ;; # spored, the reaper's home since issue 19
			sporenet) t=sporenet ;;
			oxenstored | xenstored) t=xenstored ;;
			xenconsoled) t=xenconsoled ;;
			xenwatch | xenbus) t=xenwatch ;; # the kernel's backend drivers run here
			*) continue ;;
			esac
			read -r -a f <<<"${line##*) }"
			sum[$t]=$((sum[$t] + f[11] + f[12]))
		done
		read -r -a f </proc/stat
		echo "${sum[reaper]} ${sum[sporenet]} ${sum[xenstored]} ${sum[xenconsoled]}" \
			"${sum[xenwatch]} $((f[1] + f[2] + f[3] + f[6] + f[7]))"
	}
	# Every running guest's container has started (sporeinit's state), so
	# no guest is still booting while the next one is measured.
	settle() {
		local d deadline=$((SECONDS + 300))
		for d in $(sporectl list --json | grep -o '"domid": *[0-9]*' | grep -o '[0-9]*$'); do
			until [ "$(sporectl xs read "/local/domain/$d/data/spore/state" 2>/dev/null)" = running ]; do
				[ $SECONDS -lt $deadline ] || { echo "guest $d did not start its container" >&2; return 1; }
				sleep 0.2
			done
		done
		sleep 2
	}
	run_spore() { # run_spore LEVEL I -> seconds; steps and CPU in $work
		local t0 t1 c0 c1
		c0=$(daemons)
		t0=$(now)
		SPORE_LOG=debug launch scale-x 2>"$work/spore-$1-$2.err"
		t1=$(now)
		c1=$(daemons)
		echo "$c0 $c1" >"$work/cpu-$1-$2"
		sporectl destroy scale-x >/dev/null
		echo "$t0 $t1" >"$work/wall-$1-$2.err"
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
		# On a loaded machine xl's hotplug scripts can time out: counted
		# as a failure, not a figure.
		if ! xl create -q "$cfg" >/tmp/scale-xl.out 2>&1; then
			sed 's/^/  xl: /' /tmp/scale-xl.out | tail -n 3 >&2
			xl destroy scale-xl >/dev/null 2>&1
			echo fail
			return 0
		fi
		t1=$(now)
		xl destroy scale-xl >/dev/null 2>&1
		secs "$t0" "$t1"
	}
	# Where a launch's time goes at one level: the median per step (time
	# from its "step NAME at T ms" to the next step's), over the runs.
	steps() {
		local f
		for f in "$work"/spore-"$1"-*.err; do
			sed -n 's/.*: step \([a-z0-9-]*\) at \([0-9.]*\) ms$/\1 \2/p' "$f" |
				awk -v wall="$(awk '{ print ($2 - $1) / 1000 }' "${f/spore-/wall-}")" '
					NR > 1 { printf "%s %.1f\n", name, $2 - at }
					{ name = $1; at = $2 }
					END { printf "%s+exec %.1f\n", name, wall - at }'
		done | awk '{ v[$1] = v[$1] " " $2; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
			END { for (i = 1; i <= n; i++) print order[i], v[order[i]] }' |
			while read -r step vals; do
				# shellcheck disable=SC2086
				printf '%s=%s ' "$step" "$(bench_median $vals)"
			done
		echo
	}
	cpu() { # median CPU ms per launch, as daemons() lists them
		local f k
		for k in 1 2 3 4 5 6; do
			for f in "$work"/cpu-"$1"-*; do
				awk -v k=$k '{ print ($(k + 6) - $k) * 10 }' "$f"
			done | sort -g | awk '{ a[NR] = $1 } END { printf "%s ", a[int((NR + 1) / 2)] }'
		done
		echo
	}
	sporectl image pull --insecure-registry "$reg" "$img" >/dev/null
	run_spore 0 0 >/dev/null && run_xl >/dev/null # warm caches
	running=0
	printf '%-8s %10s %10s %8s\n' running spore_s xl_s ratio
	for level in $levels; do
		while [ $running -lt "$level" ]; do
			running=$((running + 1))
			launch "scale-$running" || { echo "could not start guest $running" >&2; exit 1; }
		done
		settle
		s=() x=()
		for i in $(seq 1 "$runs"); do s+=("$(run_spore "$level" "$i")") x+=("$(run_xl)"); done
		mapfile -t x < <(printf '%s\n' "${x[@]}" | grep -v '^fail$')
		ms=$(bench_median "${s[@]}") mx=$([ ${#x[@]} -gt 0 ] && bench_median "${x[@]}" || echo nan)
		printf '%-8s %10s %10s %7.2fx\n' "$level" "$ms" "$mx" "$(awk -v a="$ms" -v b="$mx" 'BEGIN { print (b + 0 > 0) ? a / b : "nan" }')"
		echo "$level $ms $mx" >>$work/res
		echo "$level $(steps "$level")" >>$work/steps
		echo "$level $(cpu "$level")" >>$work/cpu
	done
	awk 'NR == 1 { a = $2; x = $3; l = $1 } { b = $2; y = $3; n = $1 }
		END { printf "spore at %d running / at %d: %.2fx (target <= 1.1x); xl: %s\n", n, l, b / a, (x + 0 > 0 && y + 0 > 0) ? sprintf("%.2fx", y / x) : "nan" }' $work/res
	echo "spore's launch by step, ms (median; a step runs from its start to the next's):"
	while read -r level rest; do echo "  $level running: $rest"; done <$work/steps
	echo "CPU ms during one launch (median): reaper sporenet xenstored xenconsoled xenwatch dom0-total"
	while read -r level rest; do echo "  $level running: $rest"; done <$work/cpu
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
echo "host load before: $(uptime)"
"$root/scripts/xen-sandbox.sh" --memory "$mem" --timeout 3600 -- bash tests/bench/scale.sh --inside \
	"/mnt/host${kernel#"$root"}" "/mnt/host${initrd#"$root"}" "$runs" "$levels"
echo "host load after: $(uptime)"
