#!/bin/bash
# The guest's network device (issue 5's vif, issue 7's launch networking):
# a launched guest sees eth0 with the address and MAC its record plans, dom0
# sees vif<domid>.0 UP with the MTU and in no bridge, `list` shows the
# addresses and ports; a destroyed or self-exited guest leaves no interface
# and no vif backend; concurrent guests get distinct addresses and MACs;
# --network none gives no vif; `boot --net --disk` gives a bare guest both.
. tests/e2e/lib.sh

need_launch "network device"
check "the test image is cached" sporectl image pull --insecure-registry "$reg" "$img"

rec() { xenstore-read "/spore/guests/$1/$2" 2>/dev/null; }
no_vif() { [ ! -e "/sys/class/net/vif$1.0" ] && ! xenstore-read "/local/domain/0/backend/vif/$1" >/dev/null 2>&1; }
gone() { [ "$(rec "$1" state)" = exited ]; }
# "Nothing left" right after a run returns: netback removes an interface,
# and the kernel a loop device, a little after spore asked; each check
# waits for it, bounded (20 s).
no_vif_backend() { [ -z "$(xenstore-list /local/domain/0/backend/vif 2>/dev/null)" ]; }
no_vifs() { [ -z "$(ls /sys/class/net | grep '^vif')" ] && no_vif_backend; }
no_loops() { [ -z "$(losetup -a)" ]; }
only_dom0() { [ "$(xenstore-list /local/domain 2>&1 | tr '\n' ' ')" = "0 " ]; }
no_backends() {
	[ -z "$(for k in $(xenstore-list /local/domain/0/backend 2>/dev/null); do
		xenstore-list "/local/domain/0/backend/$k"; done 2>/dev/null)" ]
}

# What the guest reports about its eth0, on its console.
show='echo NET-MAC=$(cat /sys/class/net/eth0/address) NET-MTU=$(cat /sys/class/net/eth0/mtu)
echo NET-DNS=$(sed -n "s/^nameserver //p" /etc/resolv.conf | tr "\n" ,)
echo NET-HOSTS=$(grep -w "$(hostname)" /etc/hosts | tr "\t\n" " ,")
ip -4 addr show eth0; ip -6 addr show eth0 scope global; ip route
dmesg | grep -o "eth0: [0-9]* TX offload features asked off: [0-9]* still on"; echo NET-READY'

# Two guests launched at once: they race for addresses.
sporectl launch --insecure-registry "$reg" --name net-a -p 8080:80 -p 127.0.0.1:5353:53/udp \
	"$img" /bin/sh -c "$show; exec sleep 1000" >"$E2E_TMP/a.id" 2>"$E2E_TMP/a.err" &
sporectl launch --insecure-registry "$reg" --name net-b --allow-dom0 \
	"$img" /bin/sh -c "$show; sleep 25" >"$E2E_TMP/b.id" 2>"$E2E_TMP/b.err" &
wait
a=$(cat "$E2E_TMP/a.id") b=$(cat "$E2E_TMP/b.id")
check_match "launch net-a (with -p) prints its UUID" "$a $(cat "$E2E_TMP/a.err")" '^[0-9a-f-]{36} $'
check_match "launch net-b (at the same time) prints its UUID" "$b $(cat "$E2E_TMP/b.err")" '^[0-9a-f-]{36} $'
da=$(rec "$a" domid) db=$(rec "$b" domid)

for g in a b; do
	u=${!g} d=$(rec "${!g}" domid) name=net-$g
	ip4=$(rec "$u" ipv4) ip6=$(rec "$u" ipv6) mac=$(rec "$u" mac)
	check_match "$name: the record plans 10.75.X.Y/16" "$ip4" '^10\.75\.[0-9]+\.[0-9]+/16$'
	check_match "$name: the record plans the IPv6 /64 derived from it" "$ip6" '^fd53:706f:7265:[0-9a-f]{1,4}::100/64$'
	check_match "$name: a locally administered MAC" "$mac" '^02(:[0-9a-f]{2}){5}$'
	check_eq "$name: gateway, DNS and MTU in the record" \
		"$(rec "$u" gateway4) $(rec "$u" dns4) $(rec "$u" mtu)" "10.75.0.1 10.75.0.3 1500"
	check_eq "$name: the record's vif is vif<domid>.0" "$(rec "$u" vif)" "vif$d.0"
	check "$name: dom0 has vif$d.0" test -e "/sys/class/net/vif$d.0"
	check_match "$name: vif$d.0 is UP with MTU 1500" "$(ip -o link show "vif$d.0" 2>&1)" '[<,]UP[,>].* mtu 1500 '
	check "$name: vif$d.0 is in no bridge (left for sporenet)" test ! -e "/sys/class/net/vif$d.0/master"
	if wait_for 90 console_says "$name" NET-READY; then
		log=$(guest_log "$name")
		check_match "$name: the guest's eth0 has the planned MAC and MTU" "$log" "NET-MAC=$mac NET-MTU=1500"
		check_match "$name: the guest's eth0 has the planned IPv4" "$log" "inet ${ip4//./\\.} "
		check_match "$name: the guest's eth0 has the planned IPv6" "$log" "inet6 ${ip6} "
		check_match "$name: the guest's default route is the gateway" "$log" 'default via 10\.75\.0\.1 dev eth0'
		check_match "$name: sporeinit turned eth0's TX offloads off (those netfront can turn off)" \
			"$log" 'eth0: [1-9][0-9]* TX offload features asked off: 0 still on'
		check_match "$name: the guest's resolv.conf names the planned DNS" "$log" \
			"NET-DNS=10\.75\.0\.3,$(rec "$u" dns6),"
		check_match "$name: the guest's /etc/hosts maps its name to its addresses" "$log" \
			"NET-HOSTS=${ip4%/*} $name,${ip6%/*} $name,"
	else
		echo "not ok - $name: the guest reports its eth0 on the console"
		guest_log "$name" | sed 's/^/#   /' | tail -n 20
	fi
	# -a: net-b may have exited by now under a loaded TCG sandbox.
	list=$(sporectl list -a)
	check_match "$name: list shows its IPv4 and IPv6" "$list" "net-$g .* ${ip4//./\\.} +${ip6}"
done
check "net-a and net-b have distinct addresses" test "$(rec "$a" ipv4)" != "$(rec "$b" ipv4)"
check "net-a and net-b have distinct MACs" test "$(rec "$a" mac)" != "$(rec "$b" mac)"
check_eq "net-a: the published ports in the record, as sporenet formats them" \
	"$(rec "$a" ports)" "0.0.0.0:8080:80/tcp 127.0.0.1:5353:53/udp"
check_eq "allow-dom0 recorded (net-a 0, net-b 1)" "$(rec "$a" allow-dom0)$(rec "$b" allow-dom0)" 01
json=$(sporectl list --json)
check_match "list --json carries the ports" "$(echo "$json" | tr -d ' \n')" \
	'"ports":\["0\.0\.0\.0:8080:80/tcp","127\.0\.0\.1:5353:53/udp"\]'
check_match "list shows the ports as docker does" "$(sporectl list)" \
	'net-a .*0\.0\.0\.0:8080->80/tcp, 127\.0\.0\.1:5353->53/udp'

# destroy frees the vif; the guest that exits by itself is freed by the reaper.
check "destroy net-a" sporectl destroy -t 5 net-a
check "after destroy: no vif$da.0 and no backend/vif/$da" wait_for 10 no_vif "$da"
check_eq "after destroy: the record's vif is cleared" "$(rec "$a" vif)" ""
check "net-b exits by itself and is reaped" wait_for 120 gone "$b"
check "after its exit: no vif$db.0 and no backend/vif/$db" wait_for 10 no_vif "$db"
claim_a=$(rec "$a" ipv4) claim_b=$(rec "$b" ipv4)
claim_a=${claim_a%/*} claim_b=${claim_b%/*}
check "rm net-b (destroy removed net-a)" sporectl rm net-b
check "their address claims are released" test -z \
	"$(xenstore-read "/spore/claims/ipv4/${claim_a//./@}" "/spore/claims/ipv4/${claim_b//./@}" 2>/dev/null)"

# --network none: no device, no addresses.
out=$(timeout 300 sporectl launch -a --rm --insecure-registry "$reg" --network none --name net-none \
	"$img" /bin/sh -c 'ls /sys/class/net; cat /etc/resolv.conf 2>&1 | head -n 1' 2>&1)
check_match "--network none: the guest has only lo" "$out" '^lo'
check "--network none: no vif backend left" wait_for 20 no_vif_backend
check_fails "--network none refuses -p" sporectl launch --network none -p 80:80 "$img"
check_fails "a bad -p spec is refused" sporectl launch -p 80:99999 "$img"

# A bare guest: boot --net --disk (issue 5: it mounts the squashfs, prints a
# file from it, and sees eth0).
sq=$(sporectl image path "$img" 2>/dev/null | awk 'NR == 1 {print $NF}')
ird=$E2E_TMP/ird
mkdir -p "$ird/bin" "$ird/proc" "$ird/sys" "$ird/dev" "$ird/mnt"
cp "$(command -v busybox)" "$ird/bin/busybox"
ln -s busybox "$ird/bin/sh"
cat >"$ird/init" <<'INIT'
#!/bin/sh
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev
$bb mount -t squashfs -o ro /dev/xvda /mnt && echo "DISK-FILE: $($bb head -n 1 /mnt/etc/passwd)"
echo "BOOT-NET: $($bb ls /sys/class/net | $bb tr '\n' ' ') mac=$($bb cat /sys/class/net/eth0/address)"
$bb poweroff -f
INIT
chmod +x "$ird/init"
(cd "$ird" && find . | cpio -o -H newc 2>/dev/null >"$E2E_TMP/boot.cpio")
if [ -f "$sq" ]; then
	out=$(timeout 300 sporectl boot $kernel --initrd "$E2E_TMP/boot.cpio" --memory 96 \
		--cmdline "console=hvc0 quiet" --name net-boot --net --disk "$sq" --attach 2>&1)
	u=$(xenstore-list /spore/guests 2>/dev/null | while read -r x; do
		[ "$(rec "$x" name)" = net-boot ] && echo "$x"; done)
	check_match "boot --disk: the guest prints a file from the squashfs" "$out" 'DISK-FILE: root:'
	check_match "boot --net: the guest sees eth0 with the planned MAC" "$out" \
		"BOOT-NET: .*eth0 .* mac=$(rec "$u" mac)"
	check_match "boot --net: list -a shows its address" "$(sporectl list -a)" "net-boot .*10\.75\."
	check "boot: no loop device left" wait_for 20 no_loops
	check "boot: no vif and no vif backend left" wait_for 20 no_vifs
	sporectl rm net-boot >/dev/null 2>&1
else
	echo "not ok - image path gives the busybox squashfs (got '$sq')"
fi

# A launch that fails once its domain exists (netback unloaded: the vif
# cannot be added, after the domain, loops and vbds are there) leaves
# nothing behind.
ko=$(grep -m1 '/xen-netback\.ko' /lib/modules/load.order 2>/dev/null)
if [ -n "$ko" ] && rmmod xen_netback 2>/dev/null; then
	out=$(timeout 300 sporectl launch --insecure-registry "$reg" --name net-nb "$img" true 2>&1)
	rc=$?
	insmod "$ko" || echo "# could not reload $ko"
	check_eq "without netback: launch fails as spore's failure (125)" "$rc" 125
	check_match "without netback: one line naming the missing backend" \
		"$(printf '%s\n' "$out" | wc -l) $out" '^1 sporectl: .*xen-netback'
	check "without netback: no record left" test -z "$(sporectl list -a | grep -w net-nb)"
	check "without netback: no domain left (only dom0 in xenstore)" wait_for 20 only_dom0
	check "without netback: no loop device left" wait_for 20 no_loops
	check "without netback: no backend nodes left" wait_for 20 no_backends
else
	skip "a launch failing at its vif leaves nothing" "xen-netback is not an unloadable module here"
fi
