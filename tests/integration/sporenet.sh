#!/bin/bash
# sporenet end to end without Xen: three network namespaces stand in for
# dom0 (runs sporenet; "vifN.0" is one end of a veth), a guest (the other
# end as eth0) and "the internet" (routed from dom0). Asserts what a guest
# user sees: NAT to the internet (TCP, UDP, IPv6, ICMP, DNS), dom0 refused
# unless allowed, published ports, the sandbox, and restarts. Prints TAP.
# Needs root, iproute2, socat, python3, ping, ethtool. Traffic only ever goes
# to addresses inside the namespaces created here.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }

[ "$(id -u)" = 0 ] || skip_all "needs root"
for c in ip socat python3 ping ethtool; do
	command -v $c >/dev/null || skip_all "needs $c"
done

# The binary: $SPORENET, else the first build directory that builds it.
bin=${SPORENET:-}
if [ -z "$bin" ]; then
	for d in build-san build build-net; do
		[ -f "$root/$d/build.ninja" ] || continue
		if ninja -C "$root/$d" network/sporenet >/dev/null 2>&1; then
			bin=$root/$d/network/sporenet
			break
		fi
	done
fi
[ -n "$bin" ] && [ -x "$bin" ] || { echo "Bail out! no sporenet binary (set SPORENET)"; exit 1; }

id=$$
D=spn-dom0-$id G=spn-guest-$id G2=spn-guest2-$id G3=spn-guest3-$id I=spn-inet-$id
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "${spn:-}" ] && kill "$spn" 2>/dev/null
	[ -n "${spn3:-}" ] && kill "$spn3" 2>/dev/null
	wait 2>/dev/null
	for ns in $D $G $G2 $G3 $I; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "/etc/netns/$D" "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
bg() { local ns=$1; shift; ip netns exec "$ns" "$@" >/dev/null 2>&1 & pids+=($!); }

setup() {
	local ns
	for ns in $D $G $G2 $G3 $I; do
		ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	done
	# dom0 <-> internet, routed, IPv4 and IPv6.
	ip link add up0 netns $D type veth peer name up0 netns $I || return 1
	ip -n $D addr add 10.99.0.1/24 dev up0
	ip -n $D addr add fd00:99::1/64 dev up0 nodad
	ip -n $D link set up0 up
	ip -n $I addr add 10.99.0.2/24 dev up0
	ip -n $I addr add fd00:99::2/64 dev up0 nodad
	ip -n $I link set up0 up
	nsx $D sysctl -qw net.ipv4.conf.all.rp_filter=0
	# Unprivileged ICMP echo sockets for the workers (per namespace).
	nsx $D sysctl -qw net.ipv4.ping_group_range="0 2147483647"
	# Guest 1 behind vif7.0, guest 2 behind vif8.0. Checksum offload stays
	# on (partial checksums, as from netfront); guest 1 sends MTU-sized
	# frames, guest 2 keeps TSO/GSO and sends 64 KiB super-frames.
	local g i net
	for i in 7 8; do
		if [ $i = 7 ]; then g=$G net=75; else g=$G2 net=78; fi
		ip link add vif$i.0 netns $D type veth peer name eth0 netns $g || return 1
		ip -n $g link set eth0 address 52:54:00:00:00:0$i
		ip -n $g addr add 10.$net.0.15/24 dev eth0
		ip -n $g link set eth0 up
		[ $i = 7 ] && nsx $g ethtool -K eth0 tso off gso off >/dev/null 2>&1
		ip -n $g route add default via 10.$net.0.2
	done
	ip -n $G2 link set eth0 mtu 9000
	ip -n $G addr add fd53:706f:7265:f::a4b:f/64 dev eth0 nodad
	ip -n $G -6 route add default via fd53:706f:7265:f::2
	# dom0's resolver, as libslirp reads it, is a DNS server "outside".
	mkdir -p "/etc/netns/$D"
	echo "nameserver 10.99.0.2" >"/etc/netns/$D/resolv.conf"
}

start_sporenet() {
	ip netns exec $D "$bin" --log "${SPORENET_LOG:-info}" --control "$tmp/control" \
		--attach vif7.0:10.75.0.15/24:10.75.0.2:52:54:00:00:00:07 \
		-p 127.0.0.1:18080:80 -p 18081:80 -p 18053:7/udp \
		--attach vif8.0:10.78.0.15/24:10.78.0.2:52:54:00:00:00:08 --allow-dom0 --mtu 9000 \
		>>"$tmp/sporenet.log" 2>&1 &
	spn=$!
	# Up when both workers are running.
	local i
	for i in $(seq 50); do
		[ "$(status | grep -c ': running')" = 2 ] && return 0
		sleep 0.1
	done
	return 1
}
status() { nsx $D "$bin" status --control "$tmp/control" 2>&1; }
worker_pid() { status | sed -n "s/^$1: running, worker \([0-9]*\).*/\1/p"; }
# tcp NS HOST PORT: prints what the server says.
tcp() { nsx "$1" timeout 5 socat -T2 - "TCP:$2:$3,connect-timeout=2" </dev/null 2>/dev/null; }
udp() { echo "$4" | nsx "$1" timeout 5 socat -T2 - "UDP:$2:$3" 2>/dev/null; }

if ! setup; then echo "Bail out! namespace setup failed"; exit 1; fi

# Servers: "the internet", dom0 (loopback only, and all addresses), guest.
bg $I socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:'echo hello-inet'
bg $I socat TCP6-LISTEN:8086,fork,reuseaddr SYSTEM:'echo hello-inet6'
bg $I socat UDP4-RECVFROM:5353,fork EXEC:cat
bg $D socat TCP-LISTEN:9000,bind=127.0.0.1,fork,reuseaddr SYSTEM:'echo dom0-loopback'
bg $D socat TCP-LISTEN:9001,fork,reuseaddr SYSTEM:'echo dom0-any'
bg $D socat -u UDP4-RECV:9002 OPEN:"$tmp/dom0-udp",creat,append
bg $G socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo hello-guest'
bg $G socat UDP4-RECVFROM:7,fork EXEC:cat
cat >"$tmp/dns.py" <<'PY'
# A one-name DNS server: inet.spore.test A 10.99.0.2, NXDOMAIN otherwise.
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.0.2", 53))
while True:
    q, peer = s.recvfrom(512)
    if len(q) < 12:
        continue
    end = 12
    while end < len(q) and q[end] != 0:
        end += q[end] + 1
    question = q[12:end + 5]
    name = q[12:end].lower()
    if name == b"\x04inet\x05spore\x04test":
        ans = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([10, 99, 0, 2])
        hdr = q[:2] + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00"
    else:
        ans = b""
        hdr = q[:2] + b"\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00"
    s.sendto(hdr + question + ans, peer)
PY
bg $I python3 "$tmp/dns.py"
cat >"$tmp/resolve.py" <<'PY'
# Asks the DNS server given for an A record, prints the address.
import socket, sys, struct
server, name = sys.argv[1], sys.argv[2]
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
for label in name.split("."):
    q += bytes([len(label)]) + label.encode()
q += b"\x00\x00\x01\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(q, (server, 53))
r = s.recv(512)
if r[:2] != b"\x12\x34" or struct.unpack("!H", r[6:8])[0] < 1:
    sys.exit(1)
print(".".join(str(b) for b in r[-4:]))
PY
cat >"$tmp/syn.py" <<'PY'
# Sends a hand-made TCP SYN from the guest's eth0 to DST:PORT through the
# gateway's MAC, bypassing the guest's routing (as a hostile guest would),
# and exits 0 if a SYN-ACK comes back within 3 s.
import socket, struct, sys, time, random
ifname, gw_mac, src, dst, port = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
sport = random.randint(20000, 60000)
tcp = struct.pack("!HHIIBBHHH", sport, port, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0,
                 socket.inet_aton(src), socket.inet_aton(dst))
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((ifname, 0))
my_mac = s.getsockname()[4]
s.send(bytes.fromhex(gw_mac.replace(":", "")) + my_mac + b"\x08\x00" + ip + tcp)
s.settimeout(0.2)
end = time.time() + 3
while time.time() < end:
    try:
        f = s.recv(2048)
    except socket.timeout:
        continue
    if len(f) < 54 or f[12:14] != b"\x08\x00" or f[23] != 6:
        continue
    ihl = (f[14] & 15) * 4
    sp, dp = struct.unpack("!HH", f[14 + ihl:18 + ihl])
    flags = f[14 + ihl + 13]
    if f[26:30] == socket.inet_aton(dst) and sp == port and dp == sport and flags & 0x12 == 0x12:
        sys.exit(0)
sys.exit(1)
PY

# The command line, as a user meets it.
"$bin" --attach nonsense >/dev/null 2>"$tmp/err"
ok $([ $? = 2 ] && [ "$(wc -l <"$tmp/err")" -le 2 ] && grep -q "bad attach spec 'nonsense'" "$tmp/err"; echo $?) \
	"a bad --attach is a usage error naming the spec"
"$bin" -p 80:80 >/dev/null 2>"$tmp/err"
ok $([ $? = 2 ] && grep -q 'must follow an --attach' "$tmp/err"; echo $?) "-p before --attach is a usage error"
"$bin" status --control "$tmp/none" >/dev/null 2>"$tmp/err"
ok $([ $? = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q 'is it running' "$tmp/err"; echo $?) \
	"status without a running sporenet: one clear line, exit 1"

if ! start_sporenet; then
	echo "Bail out! sporenet did not come up"
	sed 's/^/# /' "$tmp/sporenet.log"
	exit 1
fi

# Debugging aid: SPORENET_TEST_PAUSE=SECONDS keeps everything up to poke at.
[ -n "${SPORENET_TEST_PAUSE:-}" ] && echo "# namespaces $D $G $G2 $I" && sleep "$SPORENET_TEST_PAUSE"

# --- the sandbox
w=$(worker_pid vif7.0)
st=/proc/$w/status
ok $([ -n "$w" ] && [ "$(awk '/^Uid:/{print $2}' "$st")" != 0 ]; echo $?) \
	"the worker runs as non-root (uid $(awk '/^Uid:/{print $2 "/" $3 "/" $4}' "$st" 2>/dev/null))"
ok $([ "$(awk '/^NoNewPrivs:/{print $2}' "$st")" = 1 ]; echo $?) "the worker has NoNewPrivs"
ok $([ "$(awk '/^Seccomp:/{print $2}' "$st")" = 2 ]; echo $?) "the worker is under a seccomp filter"
ok $([ "$(awk '/^CapEff:/{print $2}' "$st")" = 0000000000000000 ] &&
	[ "$(awk '/^CapBnd:/{print $2}' "$st")" = 0000000000000000 ]; echo $?) \
	"the worker has no capabilities, not even in its bounding set"
ok $([ "$(awk '/^Groups:/{print $2}' "$st")" = "" ]; echo $?) "the worker has no supplementary groups"

# --- what the guest can reach
ok $(nsx $G ping -c 2 -W 2 10.75.0.2 >/dev/null; echo $?) "ping the gateway"
ok $(nsx $G ping -c 2 -W 2 10.99.0.2 >/dev/null; echo $?) "ping a host on the internet"
ok $([ "$(tcp $G 10.99.0.2 8080)" = hello-inet ]; echo $?) "TCP to the internet through the NAT"
ok $([ "$(udp $G 10.99.0.2 5353 udp-echo)" = udp-echo ]; echo $?) "UDP echo round-trips"
ok $([ "$(tcp $G '[fd00:99::2]' 8086)" = hello-inet6 ]; echo $?) "TCP over IPv6 (ULA /64) to the internet"
ok $(nsx $G ping -6 -c 2 -W 2 fd53:706f:7265:f::2 >/dev/null; echo $?) "ping6 the IPv6 gateway"
ok $([ "$(nsx $G python3 "$tmp/resolve.py" 10.75.0.3 inet.spore.test)" = 10.99.0.2 ]; echo $?) \
	"DNS through the alias reaches dom0's resolver"
head -c 4000000 /dev/urandom >"$tmp/big"
bg $I socat TCP-LISTEN:8090,reuseaddr,fork SYSTEM:"cat $tmp/big"
sleep 0.2
got=$(nsx $G timeout 20 socat -u TCP:10.99.0.2:8090,connect-timeout=2 - 2>/dev/null | sha256sum)
ok $([ "$got" = "$(sha256sum <"$tmp/big")" ]; echo $?) "a 4 MB download arrives intact (sha256)"
ok $(status | grep -q 'partial checksums completed' && [ "$(status | sed -n '1,/^vif8/s/.* \([0-9]*\) partial checksums.*/\1/p')" -gt 0 ]; echo $?) \
	"partial checksums from the offloading guest were completed"

# --- what it cannot
gwmac=$(ip -n $G neigh show 10.75.0.2 | awk '{print $5}')
ok $(nsx $G python3 "$tmp/syn.py" eth0 "$gwmac" 10.75.0.15 10.99.0.2 8080; echo $?) \
	"a crafted SYN to the internet gets a SYN-ACK (the probe works)"
ok $(! nsx $G python3 "$tmp/syn.py" eth0 "$gwmac" 10.75.0.15 127.0.0.1 9000; echo $?) \
	"a crafted SYN to dom0's 127.0.0.1 is dropped"
# Spoofed sources: another guest's address, dom0's, the gateway's.
for src in 10.78.0.15 10.99.0.1 10.75.0.2; do
	nsx $G python3 "$tmp/syn.py" eth0 "$gwmac" $src 10.99.0.2 8080 >/dev/null 2>&1
done
ok $(status | awk '/^vif7.0/ {p = 1; next} /^[^ ]/ {p = 0} p' | grep -q 'source-ip 3'; echo $?) \
	"SYNs from another guest's, dom0's and the gateway's address are dropped (source-ip)"
ok $([ -z "$(tcp $G 10.99.0.1 9001)" ]; echo $?) "dom0's own address is not reachable"
ok $([ -z "$(tcp $G 10.75.0.2 9000)" ]; echo $?) "the gateway does not lead to dom0's loopback"
ok $([ -z "$(tcp $G 10.75.0.3 9001)" ]; echo $?) "the DNS alias serves port 53 only"
ok $(! nsx $G ping -c 1 -W 1 169.254.169.254 >/dev/null 2>&1; echo $?) "link-local 169.254/16 is refused"
ip -n $D addr add 10.99.0.7/24 dev up0
sleep 0.3
ok $([ -z "$(tcp $G 10.99.0.7 9001)" ] && [ "$(tcp $G2 10.99.0.7 9001)" = dom0-any ]; echo $?) \
	"an address dom0 gains while running is refused too (and reachable with --allow-dom0)"
ok $(status | awk '/^vif7.0/ {p = 1; next} /^[^ ]/ {p = 0} p' | grep -q 'destination [1-9]'; echo $?) \
	"status counts the dropped destinations"
# dom0's kernel must not take frames addressed to the vif itself.
vifmac=$(ip -n $D link show vif7.0 | awk '/link\/ether/{print $2}')
ip -n $G neigh replace 10.99.0.1 lladdr "$vifmac" dev eth0 nud permanent
ip -n $G route add 10.99.0.1/32 dev eth0
echo kernel-path | nsx $G socat -u - UDP4:10.99.0.1:9002 2>/dev/null
sleep 0.5
ok $([ ! -s "$tmp/dom0-udp" ]; echo $?) "a frame sent to the vif's own MAC does not reach dom0's stack"
ip -n $G route del 10.99.0.1/32 dev eth0

# --- the guest allowed to reach dom0 (--allow-dom0)
ok $([ "$(tcp $G2 10.78.0.2 9000)" = dom0-loopback ]; echo $?) \
	"with --allow-dom0 the gateway reaches dom0's loopback"
ok $([ "$(tcp $G2 10.99.0.1 9001)" = dom0-any ]; echo $?) "with --allow-dom0 dom0's address is reachable"
gwmac2=$(ip -n $G2 neigh show 10.78.0.2 | awk '{print $5}')
ok $(nsx $G2 python3 "$tmp/syn.py" eth0 "$gwmac2" 10.78.0.15 127.0.0.1 9000; echo $?) \
	"with --allow-dom0 a SYN to 127.0.0.1 is answered"
got=$(nsx $G2 timeout 20 socat -u TCP:10.99.0.2:8090,connect-timeout=2 - 2>/dev/null | sha256sum)
ok $([ "$got" = "$(sha256sum <"$tmp/big")" ] && [ "$(ip -n $D link show vif8.0 | grep -o 'mtu [0-9]*')" = "mtu 9000" ]; echo $?) \
	"with --mtu 9000 the backend link gets that MTU and a download arrives intact"
bg $I socat -u TCP-LISTEN:8091,reuseaddr OPEN:"$tmp/up",creat,trunc
sleep 0.2
nsx $G2 timeout 20 socat -u OPEN:"$tmp/big" TCP:10.99.0.2:8091,connect-timeout=2 2>/dev/null
sleep 0.5
ok $([ "$(sha256sum <"$tmp/up")" = "$(sha256sum <"$tmp/big")" ]; echo $?) \
	"a 4 MB upload in TSO super-frames arrives intact"
ok $([ "$(status | grep -c '^vif[78].0: running')" = 2 ]; echo $?) \
	"status shows both guests, each with its own stack"

# --- published ports
ok $([ "$(tcp $D 127.0.0.1 18080)" = hello-guest ]; echo $?) "a published TCP port reaches the guest's server"
# UDP from the outside: a reply to dom0's own loopback would need libslirp's
# gateway-to-loopback mapping, which only --allow-dom0 guests get.
ok $([ "$(udp $I 10.99.0.1 18053 udp-published)" = udp-published ]; echo $?) \
	"a published UDP port reaches the guest from outside"
ok $([ "$(tcp $I 10.99.0.1 18081)" = hello-guest ]; echo $?) \
	"a port published on all addresses is reachable from outside"
ok $(status | grep -q 'port  127.0.0.1:18080:80/tcp'; echo $?) "status lists the published ports"

# --- restarts
kill -9 "$w"
sleep 1.5
w2=$(worker_pid vif7.0)
ok $([ -n "$w2" ] && [ "$w2" != "$w" ] && [ "$(tcp $G 10.99.0.2 8080)" = hello-inet ]; echo $?) \
	"a killed worker is restarted and the guest connects again"
{ kill -9 "$spn"; wait "$spn"; } 2>/dev/null
sleep 0.3
# Dead or a zombie (nothing may reap orphans promptly in a container).
ok $(! grep -Eqs '^State:[[:space:]]+[^Z[:space:]]' "/proc/$w2/status"; echo $?) "workers die with a SIGKILLed parent"
start_sporenet
t0=$(date +%s%N)
reply=
for i in $(seq 20); do
	reply=$(tcp $G 10.99.0.2 8080) && [ "$reply" = hello-inet ] && break
	sleep 0.1
done
t=$((($(date +%s%N) - t0) / 1000000))
ok $([ "$reply" = hello-inet ] && [ $t -lt 2000 ]; echo $?) \
	"after a restart the guest's next connection works (${t} ms)"
kill "$spn"
wait "$spn"
ok $? "sporenet exits 0 on SIGTERM"
spn=

# --- an interface that appears after start-up, then goes away
ip netns exec $D "$bin" --log info --control "$tmp/control3" \
	--attach vif9.0:10.79.0.15/24:10.79.0.2:52:54:00:00:00:09 --no-dhcp >>"$tmp/sporenet.log" 2>&1 &
spn3=$!
sleep 0.5
st3() { nsx $D "$bin" status --control "$tmp/control3" 2>&1; }
ok $(st3 | grep -q "^vif9.0: restarting.*no DHCP"; echo $?) "a missing interface waits (status: restarting)"
ip link add vif9.0 netns $D type veth peer name eth0 netns $G3
ip -n $G3 link set eth0 address 52:54:00:00:00:09
ip -n $G3 addr add 10.79.0.15/24 dev eth0
ip -n $G3 link set eth0 up
ip -n $G3 route add default via 10.79.0.2
for i in $(seq 50); do st3 | grep -q '^vif9.0: running' && break; sleep 0.1; done
ok $(st3 | grep -q '^vif9.0: running' && [ "$(tcp $G3 10.99.0.2 8080)" = hello-inet ]; echo $?) \
	"it is attached once it exists, and its guest reaches the internet"
ip -n $D link del vif9.0
for i in $(seq 30); do st3 | grep -q '^vif9.0: restarting' && break; sleep 0.1; done
ok $(st3 | grep -q '^vif9.0: restarting' && kill -0 "$spn3"; echo $?) \
	"when the interface goes, its worker ends and sporenet keeps running"
ok $([ "$(grep -c 'vif9.0: .*No such device' "$tmp/sporenet.log")" -le 2 ]; echo $?) \
	"waiting for an interface is logged once, not on every retry"
kill "$spn3"
wait "$spn3"
spn3=
ok $(! grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error|seccomp refused' "$tmp/sporenet.log" >/dev/null; echo $?) \
	"no sanitizer or seccomp reports in the log"
echo "1..$n"
[ -n "${VERBOSE:-}" ] && sed 's/^/# /' "$tmp/sporenet.log"
exit 0
