#!/bin/bash
# The network on the userspace path (issue 21): every guest launched here
# gets --net-backend userspace (through SPORE_NET_BACKEND, launch's
# host-wide default), with xen-netback unloaded from dom0 first: sporenet
# serves the guests' rings itself. First what only this path has (no dom0
# interface, the backend directory outside backend/, Connected once the
# worker maps the rings; a destroy leaves no zombie domain behind), then
# tests/e2e/t/60-network.sh as it is, on this path.
. tests/e2e/lib.sh
export SPORE_NET_BACKEND=userspace

need_launch "userspace network"
check "the test image is cached" sporectl image pull --insecure-registry "$reg" "$img"
rec() { xenstore-read "/spore/guests/$1/$2" 2>/dev/null; }
says() { console_says "$1" "$2"; } # spored's log of the guest (lib.sh)

# The tests after this one need netback back. dom0 has no module index
# (modprobe fails there): its initramfs loads modules by path from
# /lib/modules/load.order.
netback_back() {
	grep -q '^xen_netback ' /proc/modules ||
		insmod "$(grep -m 1 '/xen-netback\.ko' /lib/modules/load.order)" 2>/dev/null ||
		modprobe xen-netback 2>/dev/null || true
}
trap 'netback_back; rm -rf "$E2E_TMP"' EXIT
rmmod xen_netback 2>/dev/null
check "xen-netback is not loaded in dom0" sh -c '! grep -q "^xen_netback " /proc/modules'

cmd='echo NB-UP; ping -c 2 -W 5 10.75.0.1 >/dev/null && echo NB-PING-OK
wget -q -O /dev/null http://10.0.2.2:5000/v2/ && echo NB-HTTP-OK; exec sleep 1000'
u=$(sporectl launch --insecure-registry "$reg" --name nb-a "$img" /bin/sh -c "$cmd" 2>"$E2E_TMP/err")
check_match "launch --net-backend userspace (by default) prints the UUID" "$u $(cat "$E2E_TMP/err")" \
	'^[0-9a-f-]{36} $'
d=$(rec "$u" domid) be=/local/domain/0/spore-net/vif/$(rec "$u" domid)/0
check_eq "the record says net-backend userspace" "$(rec "$u" net-backend)" userspace
check "no vif$d.0 in dom0" test ! -e "/sys/class/net/vif$d.0"
check_fails "nothing under backend/vif/$d (netback's)" xenstore-read "/local/domain/0/backend/vif/$d/0/state"
check "sporenet's worker maps the rings: backend Connected" \
	wait_for 60 sh -c "[ \"\$(xenstore-read $be/state)\" = 4 ]"
check_eq "the frontend is Connected" "$(xenstore-read "/local/domain/$d/device/vif/0/state")" 4
check "the guest pings its gateway" wait_for 90 says nb-a NB-PING-OK
check "the guest fetches over HTTP from outside" wait_for 60 says nb-a NB-HTTP-OK
st=$(sporenet status | tr '\n' ' ')
check_match "sporenet status lists it running" "$st" "vif$d\\.0: running"
check "destroy" sporectl destroy -t 1 nb-a
check "no zombie: domain $d is gone (no mapping kept it)" \
	wait_for 20 sh -c "! xl list | awk 'NR > 1 { print \$2 }' | grep -qx $d"
check_fails "its backend directory is gone" xenstore-read "$be/state"
sporectl rm nb-a >/dev/null 2>&1

# The whole network suite on this path.
. tests/e2e/t/60-network.sh
# (60-network.sh replaced the EXIT trap with its own.)
netback_back
check "xen-netback is loaded again for the tests after this one" grep -q '^xen_netback ' /proc/modules
