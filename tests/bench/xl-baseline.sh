#!/bin/bash
# Baseline for spore's launch benchmarks: Debian's `xl create` (the peer spore
# replaces) in the Xen sandbox. Boots a 128 MiB PV guest with Debian's cloud
# kernel and a busybox initrd that prints a marker and powers off, RUNS times
# in one sandbox boot, and prints per run and the median:
#   create  time for `xl create` to return
#   marker  time from the start of `xl create` to the marker on the console
#   gone    time from the start of `xl create` until the domain no longer exists
# Usage: tests/bench/xl-baseline.sh [RUNS]   (default 5)
set -euo pipefail

if [ "${1:-}" = --inside ]; then
	kernel=$2 initrd=$3 runs=$4
	ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
	results=()
	printf '%-4s %10s %10s %10s\n' run create_ms marker_ms gone_ms
	for i in $(seq 1 "$runs"); do
		name=xlbase$i
		cfg=/tmp/$name.cfg
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
		clog=/var/log/xen/console/guest-$name.log
		rm -f "$clog"
		t0=$(ms)
		xl create -q "$cfg" >/tmp/$name.out 2>&1 || { cat /tmp/$name.out >&2; exit 1; }
		t1=$(ms)
		limit=$((t0 + 120000))
		until grep -q SPORE-BENCH-MARKER "$clog" 2>/dev/null; do
			[ "$(ms)" -lt $limit ] || { echo "run $i: no marker after 120 s" >&2; exit 1; }
			sleep 0.01
		done
		t2=$(ms)
		while xl domid "$name" >/dev/null 2>&1; do
			[ "$(ms)" -lt $limit ] || { echo "run $i: domain still there after 120 s" >&2; exit 1; }
			sleep 0.01
		done
		t3=$(ms)
		printf '%-4s %10d %10d %10d\n' "$i" $((t1 - t0)) $((t2 - t0)) $((t3 - t0))
		results+=("$((t1 - t0)) $((t2 - t0)) $((t3 - t0))")
	done
	median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
	printf '%-4s %10d %10d %10d\n' median \
		"$(printf '%s\n' "${results[@]}" | cut -d' ' -f1 | median)" \
		"$(printf '%s\n' "${results[@]}" | cut -d' ' -f2 | median)" \
		"$(printf '%s\n' "${results[@]}" | cut -d' ' -f3 | median)"
	exit 0
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/lib/common.sh"
. "$root/scripts/lib/sandbox.sh"
runs=${1:-5}
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number"

sandbox_fetch
kernel=$SANDBOX_PKGROOT/boot/vmlinuz-$SANDBOX_ABI-cloud-amd64
[ -e "$kernel" ] || die "Debian's cloud kernel is missing: $kernel"

# The guest's initrd: busybox-static and an init that prints the marker.
bench=$SPORE_CACHE/bench
initrd=$bench/marker-initrd.cpio.gz
if [ ! -s "$initrd" ] || [ "$0" -nt "$initrd" ]; then
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

echo "xl create baseline: Xen 4.17 sandbox (QEMU TCG), Debian cloud kernel $SANDBOX_ABI, 128 MiB, $runs runs"
"$root/scripts/xen-sandbox.sh" -- bash tests/bench/xl-baseline.sh --inside \
	"/mnt/host${kernel#"$root"}" "/mnt/host${initrd#"$root"}" "$runs"
