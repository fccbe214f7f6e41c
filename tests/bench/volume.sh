#!/bin/bash
# A managed volume (`sporectl launch -v bench:/data`) against the same file
# attached by Debian's `xl` as a disk (`disk = [ "...,target=FILE" ]`, xl's
# block hotplug script: a loop device) to an xl guest, in one sandbox boot.
# Both guests run spore's kernel with 256 MiB and one vCPU, mount the ext4
# at /data (nodev, as sporeinit does), and run the same workload:
#   write   dd of 256 MiB of zeros, 1 MiB blocks, conv=fsync
#   read    the same file after dropping the page cache
#   untar   tar -x of 3000 files of 2 KiB in 30 directories (the archive
#           made in the guest's RAM first, untimed), then sync
# timed in the guest (/proc/uptime), each guest RUNS times alternated after
# one warm-up each, the files removed (and fstrim'd) between runs. Prints per
# run and the medians, and the ratios spore/xl (throughput: > 1 is spore
# faster). A pair of runs takes about 4 minutes of TCG on a loaded host.
# Figures are printed, never asserted. Needs the test registry
# (scripts/test-registry.sh start) and spore's kernel (kernel/build.sh).
# Usage: tests/bench/volume.sh [RUNS]   (default 3)
set -euo pipefail

. "$(dirname "$0")/lib.sh"

# The guest's workload (busybox sh; /data mounted): prints one RESULT line.
workload() {
	cat <<'SH'
now() { cut -d' ' -f1 /proc/uptime; }
fail() { echo "FAIL: $*"; exit 1; }
drop() { sync && echo 3 >/proc/sys/vm/drop_caches || fail "dropping the page cache"; }
p=0123456789abcdef; p=$p$p$p$p; p=$p$p$p$p; p=$p$p # 2 KiB
mkdir -p /tmp/src && cd /tmp/src || fail "mkdir /tmp/src"
i=0
while [ $i -lt 3000 ]; do
	[ $((i % 100)) = 0 ] && mkdir d$((i / 100))
	echo "$p" >d$((i / 100))/f$i
	i=$((i + 1))
done
tar -cf /tmp/small.tar -C /tmp src && cd / && rm -rf /tmp/src || fail "making the archive"
rm -rf /data/big /data/small && mkdir /data/small || fail "cleaning /data"
drop
t0=$(now); dd if=/dev/zero of=/data/big bs=1M count=256 conv=fsync 2>/dev/null || fail write; t1=$(now)
drop
t2=$(now); dd if=/data/big of=/dev/null bs=1M 2>/dev/null || fail read; t3=$(now)
t4=$(now); tar -xf /tmp/small.tar -C /data/small && sync || fail untar; t5=$(now)
[ "$(find /data/small -type f | wc -l)" = 3000 ] || fail "counting the files untarred"
rm -rf /data/big /data/small /tmp/small.tar && sync
# Give the freed blocks back to the volume's file (the guests take turns on
# it, and dom0's memory holds it): untimed.
fstrim /data || echo "WARN: fstrim /data failed"
echo "RESULT $t0 $t1 $t2 $t3 $t4 $t5"
SH
}

if [ "${1:-}" = --inside ]; then
	kernel=$2 initrd=$3 runs=$4 reg=10.0.2.2:5000
	img=$reg/spore-test/busybox:latest
	work=$(mktemp -d /tmp/volbench.XXXXXX)
	cp "$kernel" "$work/vmlinuz" && cp "$initrd" "$work/initrd"
	export SPORE_KERNEL=$work/vmlinuz
	vol=benchvol
	sporectl volume rm -f "$vol" >/dev/null 2>&1 || true
	sporectl volume create --size 1g "$vol" >/dev/null
	disk=$(sporectl volume inspect "$vol" | sed -n 's/.*"Mountpoint": *"\([^"]*\)".*/\1/p')
	[ -f "$disk" ] || { echo "no volume file ($disk)" >&2; exit 1; }
	sporectl image pull --insecure-registry "$reg" "$img" >/dev/null
	script=$(workload)
	# figures "RESULT t0..t5" -> "write_MiB/s read_MiB/s untar_s"
	figures() {
		awk '{ printf "%.1f %.1f %.2f\n", 256 / ($3 - $2), 256 / ($5 - $4), $7 - $6 }'
	}
	run_spore() {
		local out
		out=$(sporectl launch --attach --rm --insecure-registry "$reg" -m 256m --vcpus 1 \
			--tmpfs /tmp -v "$vol:/data" "$img" /bin/sh -c "$script" 2>&1 | tr -d '\r')
		grep '^RESULT ' <<<"$out" | figures | grep . ||
			{ echo "spore's guest printed: $(tail -n 5 <<<"$out")" >&2; return 1; }
	}
	run_xl() {
		local name=$1 cfg=/tmp/$1.cfg clog=/var/log/xen/console/guest-$1.log i
		printf 'name="%s"\ntype="pv"\nkernel="%s"\nramdisk="%s"\nextra="console=hvc0 quiet panic=1"\nmemory=256\nvcpus=1\non_poweroff="destroy"\non_reboot="destroy"\non_crash="destroy"\n' \
			"$name" "$work/vmlinuz" "$work/initrd" >"$cfg"
		printf 'disk=[ "format=raw,vdev=xvdb,access=rw,target=%s" ]\n' "$disk" >>"$cfg"
		# xl's block script refuses a file another loop device holds
		# read-write: spore's guest's must be gone.
		for i in $(seq 1 300); do [ -z "$(losetup -j "$disk")" ] && break; sleep 0.2; done
		xl create -q "$cfg" >"$work/xl.out" 2>&1 || { cat "$work/xl.out" >&2; return 1; }
		for i in $(seq 1 3000); do
			grep -q '^RESULT ' "$clog" 2>/dev/null && break
			xl domid "$name" >/dev/null 2>&1 || break
			sleep 0.2
		done
		for i in $(seq 1 300); do xl domid "$name" >/dev/null 2>&1 || break; sleep 0.2; done
		# xl's block script frees the loop device after the domain is gone.
		for i in $(seq 1 300); do [ -z "$(losetup -j "$disk")" ] && break; sleep 0.2; done
		tr -d '\r' <"$clog" | grep '^RESULT ' | figures | grep . || {
			echo "xl's guest printed: $(tail -n 5 "$clog")" >&2
			xl dmesg | tail -n 5 >&2
			tail -n 5 /var/log/xen/xen-hotplug.log "$work/xl.out" >&2
			return 1
		}
	}
	run_spore >/dev/null
	run_xl volx-warm >/dev/null
	printf '%-4s %14s %14s %13s %13s %12s %12s\n' run spore_wr_MiBs xl_wr_MiBs spore_rd_MiBs xl_rd_MiBs spore_untar_s xl_untar_s
	sw=() xw=() sr=() xr=() su=() xu=()
	for i in $(seq 1 "$runs"); do
		read -r a b c <<<"$(run_spore)"
		read -r d e f <<<"$(run_xl "volx-$i")"
		printf '%-4s %14s %14s %13s %13s %12s %12s\n' "$i" "$a" "$d" "$b" "$e" "$c" "$f"
		sw+=("$a") xw+=("$d") sr+=("$b") xr+=("$e") su+=("$c") xu+=("$f")
	done
	m=()
	for v in sw xw sr xr su xu; do
		all="${v}[@]"
		m+=("$(bench_median "${!all}")")
	done
	printf '%-4s %14s %14s %13s %13s %12s %12s\n' med "${m[@]}"
	awk -v sw="${m[0]}" -v xw="${m[1]}" -v sr="${m[2]}" -v xr="${m[3]}" -v su="${m[4]}" -v xu="${m[5]}" 'BEGIN {
		printf "ratio spore/xl (throughput, target >= 0.9x): write %.2fx, read %.2fx, untar %.2fx\n",
			sw / xw, sr / xr, xu / su }'
	sporectl volume rm -f "$vol" >/dev/null
	exit 0
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/lib/common.sh"
runs=${1:-3}
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number"
kernel=$root/.cache/kernel/spore-vmlinuz
[ -e "$kernel" ] || die "spore's kernel is not built: run kernel/build.sh"
"$root/scripts/test-registry.sh" start >/dev/null || die "the test registry did not start"

# The xl guest's initrd: busybox-static; its init mounts the disk as
# sporeinit mounts a volume and runs the workload.
bench=$SPORE_CACHE/bench
initrd=$bench/volume-initrd.cpio.gz
if [ ! -s "$initrd" ] || [ "$0" -nt "$initrd" ]; then
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage/bin" "$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/data" "$bench"
	cp /bin/busybox "$stage/bin/busybox"
	for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$stage/bin/$a"; done
	workload >"$stage/workload.sh"
	cat >"$stage/init" <<'INIT'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
i=0
until [ -b /dev/xvdb ] || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
echo "VOLBENCH: init; xvdb: $(ls /dev | grep xvd)"
mount -t ext4 -o nodev /dev/xvdb /data && sh /workload.sh
umount /data
# xenconsoled drains the ring of a live domain only: time to read RESULT.
sleep 5
poweroff -f
INIT
	chmod 0755 "$stage/init"
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.tmp" && mv "$initrd.tmp" "$initrd"
fi
echo "managed volume vs xl disk: spore's kernel, 256 MiB, 1 vCPU, $runs runs each, Xen 4.17 sandbox (QEMU TCG)"
# The volume's file is in dom0's root (memory): 2 GiB of it leaves room.
"$root/scripts/xen-sandbox.sh" --dom0-memory 2048 --timeout $((900 + runs * 600)) -- \
	bash tests/bench/volume.sh --inside \
	"/mnt/host${kernel#"$root"}" "/mnt/host${initrd#"$root"}" "$runs"
