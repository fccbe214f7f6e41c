#!/bin/bash
# Boots .cache/kernel/spore-vmlinuz (or KERNEL) as a PV guest with `xl create`
# in the Xen sandbox (scripts/xen-sandbox.sh), with a busybox initrd that
# checks what spore guests need: proc/sysfs/devtmpfs, cgroup v2, namespaces
# (unshare -p -f --mount-proc), tmpfs + overlayfs, /dev/shm, and squashfs
# images in gzip, xz, zstd and lz4 on xen-blkfront disks; then powers off.
# Prints the checks and the guest uptime at init; exit 0 if all passed.
# Usage: kernel/smoke-test.sh [KERNEL]
set -euo pipefail

if [ "${1:-}" = --inside ]; then
	# In dom0: $2 kernel, $3 initrd, $4 directory of the squashfs images.
	# Two guests: one without disks (boot, console, namespaces, ...), then one
	# with the four squashfs images as xvda..xvdd (blkfront, squashfs).
	kernel=$2 initrd=$3 imgs=$4
	guest() { # NAME DISKS
		local name=$1 disks=$2 clog=/var/log/xen/console/guest-$1.log rc=0 i
		echo "=== guest $name"
		cat >/tmp/$name.cfg <<CFG
name = "$name"
type = "pv"
kernel = "$kernel"
ramdisk = "$initrd"
extra = "console=hvc0"
memory = 128
vcpus = 2
disk = [ $disks ]
on_poweroff = "destroy"
on_crash = "preserve"
CFG
		rm -f "$clog"
		xl create -q /tmp/$name.cfg || rc=$?
		if [ $rc = 0 ]; then
			for ((i = 0; i < 1200; i++)); do
				xl domid $name >/dev/null 2>&1 || break
				grep -q SMOKE-DONE "$clog" 2>/dev/null && sleep 1 && break
				sleep 0.1
			done
			xl list $name >/dev/null 2>&1 && { xl list $name; xl destroy $name; } || true
		fi
		sleep 0.5
		tr -d '\r' <"$clog" 2>/dev/null || true
		return $rc
	}
	rc=0
	guest spore-smoke-nodisk "" || rc=$?
	# Debian's /etc/xen/scripts/block times out in the sandbox's dom0: a
	# minimal hotplug script for a target that is already a loop device.
	cat >/tmp/spore-smoke-block <<'SCRIPT'
#!/bin/sh
case $1 in
add | online)
	dev=$(xenstore-read "$XENBUS_PATH/params") || exit 1
	set -- $(stat -L -c '%t %T' "$dev") || exit 1
	xenstore-write "$XENBUS_PATH/physical-device" "$1:$2" \
		"$XENBUS_PATH/physical-device-path" "$dev" || exit 1
	xenstore-write "$XENBUS_PATH/hotplug-status" connected ;;
esac
exit 0
SCRIPT
	chmod +x /tmp/spore-smoke-block
	loops=() disks=() letters=(a b c d)
	for c in gzip xz zstd lz4; do
		# dom0's losetup may be busybox's: no --show.
		l=$(losetup -f) && losetup -r "$l" "$imgs/$c.sqfs"
		disks+=("'format=raw,vdev=xvd${letters[${#loops[@]}]},access=ro,script=/tmp/spore-smoke-block,target=$l'")
		loops+=("$l")
	done
	guest spore-smoke-disks "$(
		IFS=,
		echo "${disks[*]}"
	)" || rc=$?
	losetup -d "${loops[@]}" 2>/dev/null || true
	exit $rc
fi

root=$(cd "$(dirname "$0")/.." && pwd)
kernel=$(realpath "${1:-$root/.cache/kernel/spore-vmlinuz}")
[ -s "$kernel" ] || { echo "kernel/smoke-test.sh: no kernel at $kernel (run kernel/build.sh)" >&2; exit 1; }
case $kernel in "$root"/*) ;; *) echo "kernel/smoke-test.sh: $kernel is outside the repository (the sandbox sees only it)" >&2; exit 1 ;; esac
for c in busybox cpio mksquashfs; do
	command -v $c >/dev/null || { echo "kernel/smoke-test.sh: $c missing (run scripts/setup.sh)" >&2; exit 1; }
done
work=$root/.cache/kernel/smoke
rm -rf "$work"
mkdir -p "$work/initrd/bin" "$work/img"
for c in gzip xz zstd lz4; do
	mkdir -p "$work/img/$c"
	echo "squashfs-$c-content" >"$work/img/$c/hello"
	mksquashfs "$work/img/$c" "$work/$c.sqfs" -comp $c -noappend -quiet -all-root >/dev/null
done
cp "$(command -v busybox)" "$work/initrd/bin/busybox"
cat >"$work/initrd/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp /mnt
mount -t proc proc /proc
echo "SMOKE uptime at init: $(cut -d' ' -f1 /proc/uptime) s; kernel $(uname -r)"
check() { n=$1; shift; if "$@" >/tmp/out 2>&1; then echo "SMOKE ok $n"; else echo "SMOKE FAIL $n: $(head -c 300 /tmp/out)"; fi; }
check sysfs mount -t sysfs sys /sys
check devtmpfs mount -t devtmpfs dev /dev
check cgroup2 sh -c 'mount -t cgroup2 none /sys/fs/cgroup && echo +pids +memory +cpu +cpuset >/sys/fs/cgroup/cgroup.subtree_control && mkdir /sys/fs/cgroup/t && echo $$ >/sys/fs/cgroup/t/cgroup.procs'
check unshare-pid unshare -p -f --mount-proc true
check unshare-all unshare -r -m -u -i -n -p -f --mount-proc sh -c 'hostname x && [ "$(hostname)" = x ] && [ $$ = 1 ]'
check overlay sh -c 'mkdir /ov && mount -t tmpfs t /ov && mkdir /ov/l /ov/u /ov/w /ov/m && echo a >/ov/l/f && mount -t overlay o -o lowerdir=/ov/l,upperdir=/ov/u,workdir=/ov/w /ov/m && rm /ov/m/f && [ ! -e /ov/m/f ] && mkdir /ov/m/d'
check dev-shm sh -c 'mkdir -p /dev/shm && mount -t tmpfs shm /dev/shm && echo x >/dev/shm/x'
check unix-packet-sockets sh -c '[ -e /proc/net/unix ] && [ -e /proc/net/packet ]'
check ipv6 sh -c '[ -d /proc/sys/net/ipv6 ] && ip link set lo up && ping -c1 -W2 ::1'
check netfront sh -c '[ -d /sys/bus/xen/drivers/vif ]'
i=0
for c in gzip xz zstd lz4; do
	d=/dev/xvd$(echo abcd | cut -c$((i + 1)))
	i=$((i + 1))
	[ -b /dev/xvda ] || { echo "SMOKE skip squashfs-$c (no disks in this guest)"; continue; }
	check squashfs-$c sh -c "mkdir -p /mnt/$c && mount -t squashfs -o ro $d /mnt/$c && grep -q squashfs-$c-content /mnt/$c/hello"
done
echo SMOKE-DONE
poweroff -f
INIT
chmod +x "$work/initrd/init"
(cd "$work/initrd" && find . | cpio -o -H newc --quiet | gzip -1 >"$work/initrd.cpio.gz")

out=$work/console.log
rc=0
"$root/scripts/xen-sandbox.sh" -- bash kernel/smoke-test.sh --inside "/mnt/host${kernel#"$root"}" \
	"/mnt/host${work#"$root"}/initrd.cpio.gz" "/mnt/host${work#"$root"}" >"$out" 2>&1 || rc=$?
grep -E '^SMOKE' "$out" || true
if [ $rc != 0 ] || ! grep -q SMOKE-DONE "$out" || grep -q 'SMOKE FAIL' "$out"; then
	echo "--- last lines of $out:" >&2
	tail -n 30 "$out" >&2
	echo "kernel/smoke-test.sh: FAILED (sandbox exit $rc)" >&2
	exit 1
fi
echo "kernel/smoke-test.sh: all checks passed ($kernel)"
