#!/bin/bash
# sporenet throughput and memory, without Xen: a "guest" network namespace
# sends N MiB over one TCP stream to a server in a "dom0" namespace,
#   bridge    the guest's veth on a Linux bridge in dom0 (the kernel path an
#             xl-style vif-bridge setup takes)
#   sporenet  the guest's veth as vif1.0, NATed by sporenet to dom0's
#             address on another interface, at MTU 1500 with the guest's
#             TSO off (as sporeinit sets it), with TSO on, and at MTU 65520
# and reports Mbit/s, the ratio to the bridge, and the worker's memory
# (Rss and Pss: Pss is what one more guest costs). veth is much faster than
# netback, so the ratio here is a lower bound of the one under Xen; the
# acceptance benchmark is the same measurement in the Xen sandbox.
# Usage: tests/bench/net.sh [MIB]   (default 256; root)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mib=${1:-256}
bin=${SPORENET:-$root/${SPORE_BUILD_DIR:-build}/network/sporenet}
[ "$(id -u)" = 0 ] || { echo "net.sh: needs root" >&2; exit 2; }
[ -x "$bin" ] || { echo "net.sh: no sporenet at $bin (build, or set SPORENET)" >&2; exit 2; }
for c in ip socat ethtool; do
	command -v $c >/dev/null || { echo "net.sh: needs $c" >&2; exit 2; }
done

D=spnb-dom0-$$ G=spnb-guest-$$ I=spnb-inet-$$
tmp=$(mktemp -d)
spn=
cleanup() {
	[ -n "$spn" ] && kill "$spn" 2>/dev/null && wait "$spn" 2>/dev/null
	for ns in $D $G $I; do ip netns del $ns 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# send_mbps SINK_NS NS ADDR: one TCP stream of $mib MiB to a sink; 0 if it
# did not get through.
send_mbps() {
	: >"$tmp/n"
	nsx "$1" timeout 120 socat -u TCP-LISTEN:9999,reuseaddr SYSTEM:"wc -c >$tmp/n" &
	local sink=$! t0 t1
	sleep 0.3
	t0=$(date +%s%N)
	head -c $((mib << 20)) /dev/zero | nsx "$2" timeout 110 socat -u - "TCP:$3:9999,connect-timeout=3"
	t1=$(date +%s%N)
	wait $sink 2>/dev/null
	if [ "$(cat "$tmp/n")" != $((mib << 20)) ]; then
		echo 0
	else
		echo $((mib * 8 * 1048576 / ((t1 - t0) / 1000)))
	fi
}

fresh() {
	local ns
	for ns in $D $G $I; do
		ip netns del $ns 2>/dev/null
		ip netns add $ns && ip -n $ns link set lo up
	done
	ip link add vif1.0 netns $D type veth peer name eth0 netns $G
	ip -n $G link set eth0 address 52:54:00:00:00:01
}

# bridge
fresh
ip -n $D link add br0 type bridge
ip -n $D link set vif1.0 master br0 up
ip -n $D addr add 10.75.0.1/24 dev br0
ip -n $D link set br0 up
ip -n $G addr add 10.75.0.15/24 dev eth0
ip -n $G link set eth0 up
bridge=$(send_mbps $D $G 10.75.0.1)

# sporenet: the sink sits one veth hop beyond dom0 (dom0's own addresses are
# refused to guests), so this path has one extra kernel hop.
run_sporenet() { # MTU TSO(on|off)
	fresh
	ip link add up0 netns $D type veth peer name up0 netns $I
	ip -n $D addr add 10.99.0.1/24 dev up0
	ip -n $D link set up0 up
	ip -n $I addr add 10.99.0.2/24 dev up0
	ip -n $I link set up0 up
	ip -n $I route add default via 10.99.0.1
	ip -n $G link set eth0 mtu "$1" up
	nsx $G ethtool -K eth0 tso "$2" gso "$2" >/dev/null 2>&1
	ip -n $G addr add 10.75.0.15/24 dev eth0
	ip -n $G route add default via 10.75.0.2
	ip netns exec $D "$bin" --control "$tmp/control" \
		--attach vif1.0:10.75.0.15/24:10.75.0.2:52:54:00:00:00:01 --mtu "$1" \
		2>>"$tmp/log" &
	spn=$!
	for i in $(seq 50); do
		nsx $D "$bin" status --control "$tmp/control" 2>/dev/null | grep -q running && break
		sleep 0.1
	done
	send_mbps $I $G 10.99.0.2
	local w
	w=$(nsx $D "$bin" status --control "$tmp/control" | sed -n 's/.*worker \([0-9]*\).*/\1/p')
	awk '/^Rss:/{r=$2} /^Pss:/{p=$2} END{printf "%d %d\n", r, p}' "/proc/$w/smaps_rollup" >"$tmp/mem"
	kill "$spn"
	wait "$spn"
	spn=
}
s1500=$(run_sporenet 1500 off)
read -r rss pss <"$tmp/mem"
s1500tso=$(run_sporenet 1500 on)
s65520=$(run_sporenet 65520 off)

ratio() { awk -v a="$1" -v b="$bridge" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
echo "one TCP stream, guest -> dom0, $mib MiB (network namespaces, no Xen)"
printf '%-28s %10s %8s\n' path Mbit/s x_bridge
printf '%-28s %10d %8s\n' "bridge (kernel)" "$bridge" 1.00
printf '%-28s %10d %8s\n' "sporenet mtu 1500" "$s1500" "$(ratio "$s1500")"
printf '%-28s %10d %8s\n' "sporenet mtu 1500, TSO on" "$s1500tso" "$(ratio "$s1500tso")"
printf '%-28s %10d %8s\n' "sporenet mtu 65520" "$s65520" "$(ratio "$s65520")"
echo "sporenet worker memory after the transfer: Rss $rss kB, Pss $pss kB"
[ -s "$tmp/log" ] && sed 's/^/# /' "$tmp/log"
exit 0
