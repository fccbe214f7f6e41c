#!/bin/bash
# spore's PV builder against Debian's `xl create`, in one sandbox boot: the
# same kernel, busybox initrd (prints a marker, powers off) and 128 MiB;
# `sporectl boot --attach` and `xl create` alternated RUNS times each, after
# one unmeasured warm-up of each (spore's first launch decompresses the kernel
# into its cache, xl's warms its own files). Prints per run and the medians,
# and the ratios spore/xl, of:
#   toolstack  command start -> guest unpaused. xl: until `xl create`
#              returns. spore: the "unpaused domain" debug line (wall clock)
#              sporectl logs right after the unpause hypercall, which with
#              --attach comes after xenconsoled has published the console pty
#   marker     command start -> the marker on the console. spore: on
#              sporectl's stdout; xl: in xenconsoled's guest log
# and where spore's toolstack time goes (its per-step "build step" timings).
# Figures are printed, never asserted.
# Usage: tests/bench/boot-vs-xl.sh [--kernel cloud|spore] [RUNS]  (default cloud, 5)
set -euo pipefail

if [ "${1:-}" = --inside ]; then
	kernel=$2 initrd=$3 runs=$4
	work=$(mktemp -d /tmp/bootbench.XXXXXX)
	export SPORE_ROOT=$work/spore # a fresh kernel cache: the warm-up fills it
	# sporectl runs from dom0's own memory, as xl does (the initramfs), not
	# from the 9p share /mnt/host: on a host it is installed on a local disk.
	sporectl=$work/sporectl
	cp "$(command -v sporectl)" "$sporectl"
	# Kernel and initrd too, for both toolstacks: 9p reads and stats under
	# TCG cost tens of ms.
	cp "$kernel" "$work/vmlinuz"
	cp "$initrd" "$work/initrd"
	kernel=$work/vmlinuz initrd=$work/initrd
	mkfifo "$work/never"
	exec {never}<>"$work/never"
	nap() { read -r -t 0.005 -u "$never" _ || true; } # a 5 ms sleep without a fork
	# Times are bash 5's $EPOCHREALTIME in µs, read without forking.

	# wait_marker FILE T0_USEC LIMIT_S: waits until FILE holds the marker;
	# prints the time of sight in µs since T0. Reads only what was appended.
	wait_marker() {
		local file=$1 t0=$2 limit=$((${EPOCHREALTIME/./} + $3 * 1000000)) fd part='' line
		until [ -e "$file" ]; do
			[ "${EPOCHREALTIME/./}" -lt $limit ] || return 1
			nap
		done
		exec {fd}<"$file"
		while :; do
			while IFS= read -r -u $fd line; do
				part+=$line
				[[ $part == *SPORE-BENCH-MARKER* ]] && { echo $((${EPOCHREALTIME/./} - t0)); exec {fd}<&-; return 0; }
				part=''
			done
			part+=$line # a partial last line: keep it for the next round
			[[ $part == *SPORE-BENCH-MARKER* ]] && { echo $((${EPOCHREALTIME/./} - t0)); exec {fd}<&-; return 0; }
			[ "${EPOCHREALTIME/./}" -lt $limit ] || { exec {fd}<&-; return 1; }
			nap
		done
	}
	gone() { # gone NAME: waits until no domain is named NAME
		local i
		for i in $(seq 1 2000); do
			xl domid "$1" >/dev/null 2>&1 || return 0
			nap
		done
		echo "domain $1 is still there" >&2
		return 1
	}

	run_xl() { # run_xl NAME -> "toolstack_us marker_us"
		local name=$1 cfg=$work/$1.cfg clog=/var/log/xen/console/guest-$1.log t0 t1 tm
		cat >"$cfg" <<CFG
name = "$name"
type = "pv"
kernel = "$kernel"
ramdisk = "$initrd"
extra = "console=hvc0 quiet"
memory = 128
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
CFG
		rm -f "$clog"
		t0=${EPOCHREALTIME/./}
		xl create -q "$cfg" >"$work/$name.out" 2>&1 || { cat "$work/$name.out" >&2; return 1; }
		t1=${EPOCHREALTIME/./}
		tm=$(wait_marker "$clog" "$t0" 120) || { echo "$name: no marker after 120 s" >&2; return 1; }
		gone "$name"
		echo "$((t1 - t0)) $tm"
	}
	run_spore() { # run_spore NAME -> "toolstack_us marker_us"; steps in $work/NAME.err
		local name=$1 out=$work/$1.out errf=$work/$1.err t0 tm tu pid rc=0
		: >"$out"
		t0=${EPOCHREALTIME/./}
		SPORE_LOG=debug "$sporectl" boot "$kernel" --initrd "$initrd" --cmdline "console=hvc0 quiet" \
			--memory 128 --vcpus 1 --name "$name" --attach </dev/null >"$out" 2>"$errf" &
		pid=$!
		tm=$(wait_marker "$out" "$t0" 120) || { echo "$name: no marker after 120 s" >&2; kill "$pid"; cat "$errf" >&2; return 1; }
		wait "$pid" || rc=$?
		[ $rc -eq 0 ] || { echo "$name: sporectl exited $rc" >&2; cat "$errf" >&2; return 1; }
		tu=$(sed -n 's/.*unpaused domain [0-9]* at \([0-9]*\)\.\([0-9]*\) .*/\1\2/p' "$errf")
		[ -n "$tu" ] || { echo "$name: no 'unpaused' debug line" >&2; cat "$errf" >&2; return 1; }
		gone "$name"
		echo "$((tu - t0)) $tm"
	}
	ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
	median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

	ws=$(run_spore bwarm-spore)
	wx=$(run_xl bwarm-xl)
	echo "warm-up, not counted (toolstack/marker): spore $(echo "$ws" | awk '{ printf "%.1f/%.1f ms", $1 / 1000, $2 / 1000 }')" \
		"(decompresses the kernel into its cache), xl $(echo "$wx" | awk '{ printf "%.1f/%.1f ms", $1 / 1000, $2 / 1000 }')"
	grep -E 'bzImage:|kernel cache' "$work/bwarm-spore.err" | sed 's/^/  warm-up: /' || true
	printf '%-4s %16s %16s %14s %14s\n' run spore_toolstack xl_toolstack spore_marker xl_marker
	st=() xt=() sm=() xm=()
	for i in $(seq 1 "$runs"); do
		r1=$(run_spore "bspore$i")
		r2=$(run_xl "bxl$i")
		read -r a b <<<"$r1"
		read -r c d <<<"$r2"
		st+=("$a") sm+=("$b") xt+=("$c") xm+=("$d")
		printf '%-4s %13s ms %13s ms %11s ms %11s ms\n' "$i" "$(ms "$a")" "$(ms "$c")" "$(ms "$b")" "$(ms "$d")"
	done
	mst=$(printf '%s\n' "${st[@]}" | median) mxt=$(printf '%s\n' "${xt[@]}" | median)
	msm=$(printf '%s\n' "${sm[@]}" | median) mxm=$(printf '%s\n' "${xm[@]}" | median)
	printf '%-4s %13s ms %13s ms %11s ms %11s ms\n' median "$(ms "$mst")" "$(ms "$mxt")" "$(ms "$msm")" "$(ms "$mxm")"
	awk -v a="$mst" -v b="$mxt" -v c="$msm" -v d="$mxm" 'BEGIN {
		printf "ratio spore/xl: toolstack %.3fx (target <= 0.10x), marker %.3fx (target <= 1x)\n", a / b, c / d }'

	# Where spore's toolstack time goes: median per build step over the runs,
	# and what is outside the builder (exec, hypervisor and xenstore handles,
	# name check, waiting for xenconsoled's pty, the unpause itself).
	echo "spore's toolstack time by step (median over the $runs runs):"
	for f in "$work"/bspore*.err; do
		sed -n 's/.*build step \([a-z-]*\) *\([0-9.]*\) ms.*/\1 \2/p' "$f"
		sed -n 's/.*console: pty .* after \([0-9]*\) ms.*/wait-console-pty \1/p' "$f"
	done | awk '{ v[$1] = v[$1] " " $2; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
		END { for (i = 1; i <= n; i++) print order[i], v[order[i]] }' |
		while read -r step vals; do
			# shellcheck disable=SC2086
			m=$(printf '%s\n' $vals | median)
			printf '  %-18s %8.1f ms\n' "$step" "$m"
			echo "$m" >>"$work/steps"
		done
	awk -v t="$mst" '{ s += $1 } END { printf "  %-18s %8.1f ms (rest of the median total: exec, handles, name check, guest record writes, unpause)\n", "other", t / 1000 - s }' "$work/steps"
	rm -rf "$work"
	exit 0
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/lib/common.sh"
. "$root/scripts/lib/sandbox.sh"
which=cloud
if [ "${1:-}" = --kernel ]; then
	which=${2:-}
	shift 2 || die "--kernel needs cloud or spore"
fi
runs=${1:-5}
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number"

sandbox_fetch
case $which in
cloud) kernel=$SANDBOX_PKGROOT/boot/vmlinuz-$SANDBOX_ABI-cloud-amd64 ;;
spore) kernel=$root/.cache/kernel/spore-vmlinuz ;;
*) die "--kernel: cloud or spore, not '$which'" ;;
esac
[ -e "$kernel" ] || die "kernel missing: $kernel"
[ -x "$root/build/controller/sporectl" ] || die "build/controller/sporectl is missing (ninja -C build)"

# The guest's initrd, as in xl-baseline.sh: busybox-static and an init that
# prints the marker.
bench=$SPORE_CACHE/bench
initrd=$bench/marker-initrd.cpio.gz
if [ ! -s "$initrd" ]; then
	stage=$(mktemp -d)
	mkdir -p "$stage/bin" "$stage/proc"
	cp /bin/busybox "$stage/bin/busybox"
	ln -s busybox "$stage/bin/sh"
	cat >"$stage/init" <<'INIT'
#!/bin/sh
/bin/busybox mount -t proc proc /proc
echo "SPORE-BENCH-MARKER uptime $(/bin/busybox cat /proc/uptime)"
/bin/busybox poweroff -f
INIT
	chmod +x "$stage/init"
	mkdir -p "$bench"
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1 >"$initrd.tmp")
	mv "$initrd.tmp" "$initrd"
	rm -rf "$stage"
fi

echo "sporectl boot vs xl create: Xen 4.17 sandbox (QEMU TCG), kernel ${kernel##*/}, 128 MiB, 1 vCPU, $runs runs each, alternated"
"$root/scripts/xen-sandbox.sh" -- bash tests/bench/boot-vs-xl.sh --inside \
	"/mnt/host${kernel#"$root"}" "/mnt/host${initrd#"$root"}" "$runs"
