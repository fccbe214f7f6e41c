#!/bin/bash
# sporeinit as the PID 1 of a PV guest, without `sporectl launch`: xl boots
# the guest with spore's initrd, a busybox squashfs image as xvda and a
# launch bundle (tests/tools/mkbundle) as xvdb. Asserts the container's
# output on the console and the exit status sporeinit writes to xenstore.
# Kernel: .cache/kernel/spore-vmlinuz (drivers built in) if present, else
# Debian's cloud kernel with its modules added to the initrd.
. tests/e2e/lib.sh

build=${SPORE_BUILD:-build}
init=$build/container/sporeinit
mkbundle=$build/tests/mkbundle
for f in "$init" "$mkbundle"; do
	[ -x "$f" ] || { echo "not ok - $f is built (run ninja -C $build)"; exit 0; }
done

initrd=$E2E_TMP/initrd.cpio
if [ -e .cache/kernel/spore-vmlinuz ]; then
	kernel=.cache/kernel/spore-vmlinuz
	kname="spore kernel"
	container/mkinitrd.sh "$initrd" "$init"
else
	kernel=$(ls .cache/sandbox/pkgroot-*/boot/vmlinuz-*-cloud-amd64 2>/dev/null | head -n 1)
	[ -n "$kernel" ] || { skip "sporeinit boots" "no guest kernel"; exit 0; }
	kver=${kernel##*/vmlinuz-}
	mods=${kernel%/boot/*}/lib/modules/$kver/kernel
	kname="Debian cloud kernel $kver + modules"
	container/mkinitrd.sh "$initrd" "$init" --modules \
		"$mods/drivers/block/xen-blkfront.ko" "$mods/drivers/net/xen-netfront.ko" \
		"$mods/fs/squashfs/squashfs.ko" "$mods/fs/overlayfs/overlay.ko"
fi
echo "# kernel: $kname"

# The image: busybox-static, a user with groups, a non-executable file.
root=$E2E_TMP/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/home/app"
cp "$(command -v busybox)" "$root/bin/busybox"
for a in sh echo id pwd env sleep cat true ip ping; do ln -s busybox "$root/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nwheel:x:10:root,app\napp:x:1000:\nstaff:x:50:\n' >"$root/etc/group"
printf '#!/bin/sh\necho never\n' >"$root/bin/noexec"
chmod 0644 "$root/bin/noexec"
image=$E2E_TMP/image.squashfs
mksquashfs "$root" "$image" -noappend -quiet -all-root >/dev/null

# Progress with timestamps on the host share, for diagnosing hangs.
progress=.cache/e2e-sporeinit/progress.log
mkdir -p "${progress%/*}"
: >"$progress"
note() { echo "$(cut -d' ' -f1 /proc/uptime) $*" >>"$progress"; }

# loop_ro FILE: a read-only loop device for FILE (busybox losetup: no --show).
loop_ro() {
	local dev
	dev=$(losetup -f) && losetup -r "$dev" "$1" && echo "$dev"
}

# run NAME TIMEOUT [mkbundle options] -- ARGV: boots a guest and waits for
# it to shut down. on_poweroff=preserve keeps its xenstore keys readable
# (xl renames a preserved domain, so it is followed by domid); a poller reads
# the exit status meanwhile too, in case xl's monitor dies (it has, under
# heavy host load) and the domain goes away.
# Sets: console, status (data/spore/exit-status), reason (shutdown reason).
run_once() {
	local id=$1 name=spore-e2e-$1 limit=$2 bundle=$E2E_TMP/$1.bundle domid i
	shift 2
	"$mkbundle" --out "$bundle" --hostname "$name" "$@" || return 1
	local limg lbun
	limg=$(loop_ro "$image") || return 1
	lbun=$(loop_ro "$bundle") || return 1
	cat >"$E2E_TMP/$name.cfg" <<CFG
name = "$name"
type = "pv"
kernel = "$PWD/$kernel"
ramdisk = "$initrd"
extra = "console=hvc0"
memory = 256
vcpus = 1
disk = [ 'format=raw,vdev=xvda,access=ro,script=$PWD/tests/e2e/sporeinit-hotplug.sh,target=$limg',
	'format=raw,vdev=xvdb,access=ro,script=$PWD/tests/e2e/sporeinit-hotplug.sh,target=$lbun' ]
$([ -n "${RUN_VIF:-}" ] && echo "vif = [ 'mac=00:16:3e:5e:00:02,script=$PWD/tests/e2e/sporeinit-hotplug.sh' ]")
on_poweroff = "preserve"
on_crash = "preserve"
on_reboot = "preserve"
CFG
	local clog=/var/log/xen/console/guest-$name.log
	rm -f "$clog"
	console= status= reason=
	note "$name: xl create"
	if ! timeout 120 xl create -q "$E2E_TMP/$name.cfg" >"$E2E_TMP/$name.xl" 2>&1 </dev/null; then
		note "$name: xl create failed: $(cat "$E2E_TMP/$name.xl")"
		console=$(cat "$E2E_TMP/$name.xl")
		losetup -d "$limg"
		losetup -d "$lbun"
		return 1
	fi
	domid=$(xl domid "$name")
	echo "$domid" >"$E2E_TMP/$id.domid"
	if [ -n "${RUN_VIF:-}" ]; then
		ip addr add 10.99.0.1/24 dev "vif$domid.0"
		ip -6 addr add fd99::1/64 dev "vif$domid.0"
	fi
	local key=/local/domain/$domid/data/spore/exit-status sf=$E2E_TMP/$id.status
	rm -f "$sf"
	note "$name: domid $domid"
	(while xenstore-exists "/local/domain/$domid" 2>/dev/null; do
		v=$(xenstore-read "$key" 2>/dev/null) && [ -n "$v" ] && { echo "$v" >"$sf"; exit 0; }
	done) >/dev/null 2>&1 </dev/null &
	local poller=$!
	local end=$((SECONDS + limit))
	while [ $SECONDS -lt $end ]; do
		reason=$(xl list "$domid" 2>/dev/null | awk 'NR == 2 && $5 ~ /[sc]/ { print $5 }')
		[ -n "$reason" ] && break
		# xl list fails now and then under load: ask xenstore if it is gone.
		xenstore-exists "/local/domain/$domid" 2>/dev/null || { reason=gone; break; }
		sleep 0.2
	done
	kill "$poller" 2>/dev/null
	wait "$poller" 2>/dev/null
	status=$(xenstore-read "$key" 2>/dev/null) || status=$(cat "$sf" 2>/dev/null)
	note "$name: ${reason:-still running}, status '$status'"
	# sporeinit's last line (it waits for the console to take it before
	# powering off): once xenconsoled logged it, it logged all before it.
	wait_for 10 grep -q 'sporeinit: exit-status' "$clog"
	console=$(tr -d '\r' <"$clog" 2>/dev/null)
	mkdir -p .cache/e2e-sporeinit && cp "$clog" ".cache/e2e-sporeinit/$name.log" 2>/dev/null
	timeout 60 xl destroy "$domid" >/dev/null 2>&1 </dev/null
	losetup -d "$limg" 2>/dev/null
	losetup -d "$lbun" 2>/dev/null
	[ -n "$reason" ]
}

# The emulated guest kernel occasionally dies before running init (under
# TCG and heavy host load): that says nothing about sporeinit, so retry once.
run() {
	local args=("$@")
	run_once "${args[@]}"
	local rc=$?
	if [ -z "$status" ] && ! printf '%s' "$console" | grep -q 'sporeinit: started'; then
		echo "# ${args[0]}: the guest kernel did not reach init; retrying once"
		note "${args[0]}: retry"
		run_once "${args[@]}"
		rc=$?
	fi
	return $rc
}

# SPORE_SPOREINIT_CASES="stop net" runs only those cases (default: all).
case_on() {
	[ -z "${SPORE_SPOREINIT_CASES:-}" ] || [[ " $SPORE_SPOREINIT_CASES " == *" $1 "* ]]
}

show_console() {
	printf '%s\n' "$console" | grep -v '^\[' | tail -n 15 | sed 's/^/#   /'
}

if case_on hello; then
if run hello 120 -- /bin/sh -c 'echo hello; exit 3'; then
	echo "ok - guest with sporeinit boots and shuts down ($kname)"
else
	echo "not ok - guest with sporeinit boots and shuts down ($kname)"
	show_console
fi
check_match "the container's output reaches the console" "$console" '(^|[^a-z])hello'
check_eq "sporeinit reports 'exited 3' in xenstore" "$status" "exited 3"
check_match "sporeinit logs the exit status on the console" "$console" 'sporeinit: exit-status exited 3'
[ "$status" = "exited 3" ] || show_console
printf '%s' "$console" | grep -q 'sporeinit: started' || exit 0 # the rest would only time out
fi

if case_on ident; then
run ident 120 --user app --workdir /srv/work --env 'FOO=a b=c"q' -- \
	/bin/sh -c 'echo "ID[$(id)]"; echo "PWD[$(pwd)]"; echo "FOO[$FOO]"; echo "HOME[$HOME]"; echo "HOST[$(cat /etc/hostname 2>/dev/null; cat /proc/sys/kernel/hostname)]"'
check_eq "user, workdir and env run: exit 0" "$status" "exited 0"
check_match "user resolved with supplementary groups" "$console" \
	'ID\[uid=1000\(app\) gid=1000\(app\) groups=(1000\(app\),)?10\(wheel\)'
check_match "WorkingDir created and used" "$console" 'PWD\[/srv/work\]'
check_match "env value with spaces, '=' and quotes kept" "$console" 'FOO\[a b=c"q\]'
check_match "HOME from passwd" "$console" 'HOME\[/home/app\]'
check_match "hostname set" "$console" 'HOST\[spore-e2e-ident\]'
[ "$status" = "exited 0" ] || show_console
fi

if case_on stop; then
# Graceful stop: dom0 writes control/shutdown while the container traps TERM.
(
	end=$((SECONDS + 200))
	while [ $SECONDS -lt $end ]; do
		d=$(cat "$E2E_TMP/stop.domid" 2>/dev/null) && [ -n "$d" ] &&
			grep -q STOP-READY "/var/log/xen/console/guest-spore-e2e-stop.log" 2>/dev/null &&
			{ xenstore-write "/local/domain/$d/control/shutdown" poweroff; note "stop: wrote control/shutdown of $d: $?"; exit 0; }
		sleep 0.1
	done
) >/dev/null 2>&1 </dev/null &
stopper=$!
run stop 150 --stop-timeout 30 -- /bin/sh -c 'trap "echo TRAPPED; exit 7" TERM; echo STOP-READY; while :; do sleep 1; done'
kill $stopper 2>/dev/null
wait $stopper 2>/dev/null
check_match "a stop request reaches the container's TERM trap" "$console" 'TRAPPED'
check_eq "...and its exit status is reported" "$status" "exited 7"
[ "$status" = "exited 7" ] || show_console
fi

if case_on notfound; then
run notfound 120 -- nosuchcmd arg
check_eq "a command not in PATH exits 127" "$status" "exited 127"
check_match "...with one clear line" "$console" 'sporeinit: exec: "nosuchcmd": executable file not found in \$PATH'
fi

if case_on noexec; then
run noexec 120 -- /bin/noexec
check_eq "a non-executable command exits 126" "$status" "exited 126"
fi

if case_on net; then
# Network: addresses, routes and MTU through rtnetlink; dom0 answers pings.
RUN_VIF=1 run net 150 --ipv4 10.99.0.2/24 --gw4 10.99.0.1 --ipv6 fd99::2/64 --gw6 fd99::1 \
	--mtu 1400 --dns 10.99.0.1 --dns fd99::1 -- /bin/sh -c \
	'ip addr show eth0; ip route; ip -6 route; cat /etc/resolv.conf; ping -c 1 -W 10 10.99.0.1'
check_eq "network container: exit 0 (dom0 answered a ping)" "$status" "exited 0"
check_match "IPv4 address and MTU on eth0" "$console" 'eth0: .*mtu 1400'
check_match "...inet 10.99.0.2/24" "$console" 'inet 10\.99\.0\.2/24'
check_match "...inet6 fd99::2/64" "$console" 'inet6 fd99::2/64'
check_match "IPv4 default route" "$console" 'default via 10\.99\.0\.1 dev eth0'
check_match "IPv6 default route" "$console" 'default via fd99::1 dev eth0'
check_match "resolv.conf from the bundle" "$console" 'nameserver fd99::1'
[ "$status" = "exited 0" ] || show_console
fi
