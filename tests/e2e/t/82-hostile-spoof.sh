#!/bin/bash
# A hostile guest spoofs: from inside its container (root in the guest) it
# takes another guest's MAC, then another guest's IPv4 address, then dom0's,
# and pings the gateway with each. sporenet must drop those frames (a
# foreign MAC never reaches the worker: the packet socket's BPF filter; a
# foreign source address is the worker's "source-ip" drop), while the same
# guest with its own addresses is served before and after.
. tests/e2e/lib.sh

need_launch "hostile spoofing"
L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }

L --attach --rm "$img" true >/dev/null 2>&1 # warm the image cache
before=$(leak_baseline)
echo "# before: $(dom0_usage)"

victim=$(L --name e2e-spoof-victim "$img" /bin/sh -c 'sleep 1000' 2>"$E2E_TMP/err")
vmac=$(xenstore-read "/spore/guests/$victim/mac" 2>/dev/null)
vip=$(xenstore-read "/spore/guests/$victim/ipv4" 2>/dev/null)
vip=${vip%/*}
dom0ip=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -n 1)
if [ -z "$vmac" ] || [ -z "$vip" ] || [ -z "$dom0ip" ]; then
	echo "not ok - a victim guest and dom0's address (mac '$vmac', ip '$vip', dom0 '$dom0ip')"
	sed 's/^/#   /' "$E2E_TMP/err"
	exit 0
fi
echo "# victim $vip $vmac, dom0 $dom0ip"

# The attacker. Each probe: two pings of the gateway, two seconds each.
script='
gw=$(ip route | awk "/^default/ {print \$3}")
own=$(cat /sys/class/net/eth0/address)
probe() { if ping -c 2 -W 2 "$@" "$gw" >/dev/null 2>&1; then echo "$P:passed"; else echo "$P:dropped"; fi; }
up() { ip link set eth0 up; i=0; while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; ip route replace default via "$gw" dev eth0; }
P=BASE probe
ip link set eth0 down
if ip link set eth0 address "$VMAC"; then up; P=MAC probe; else echo MAC:unchangeable; up; fi
ip link set eth0 down; ip link set eth0 address "$own"; up
P=RESTORED-MAC probe
ip addr add "$VIP/32" dev eth0; P=OTHER-IP probe -I "$VIP"; ip addr del "$VIP/32" dev eth0
ip addr add "$DOM0IP/32" dev eth0; P=DOM0-IP probe -I "$DOM0IP"; ip addr del "$DOM0IP/32" dev eth0
P=RESTORED probe
echo SPOOF-DONE
'
out=$(L --attach --rm --name e2e-spoofer -e "VMAC=$vmac" -e "VIP=$vip" -e "DOM0IP=$dom0ip" \
	"$img" /bin/sh -c "$script" 2>&1 | tr -d '\r')
check_match "the spoofing guest ran its probes" "$out" SPOOF-DONE
check_match "its own addresses reach the gateway" "$out" 'BASE:passed'
if grep -q MAC:unchangeable <<<"$out"; then
	skip "another guest's MAC is dropped" "netfront refused the MAC change"
else
	check_match "another guest's MAC is dropped" "$out" 'MAC:dropped'
fi
check_match "... and its own works again" "$out" 'RESTORED-MAC:passed'
check_match "another guest's IPv4 as source is dropped" "$out" 'OTHER-IP:dropped'
check_match "dom0's IPv4 as source is dropped" "$out" 'DOM0-IP:dropped'
check_match "its own address works again afterwards" "$out" 'RESTORED:passed'
grep -E '^[A-Z0-9-]+:' <<<"$out" | tr '\n' ' ' | sed 's/^/# /'
echo

check_match "the victim is still served" "$(sporenet status 2>&1)" \
	"vif$(xenstore-read "/spore/guests/$victim/domid").0: running"
sporectl destroy -t 0 e2e-spoof-victim >/dev/null 2>&1
check_no_leak "nothing of either guest is left" "$before"
echo "# after: $(dom0_usage)"
