#!/bin/bash
# Writes the fuzz targets' seed corpus, tests/fuzz/corpus/<target>/: small
# valid inputs the fuzzers start from (scripts/test.sh runs each target on
# its directory for a few seconds in every CI run). The seeds are checked
# in; run this again only to change them.
# Usage: tests/fuzz/make-corpus.sh [BUILD_DIR]  (default build: it uses
# BUILD_DIR/tests/kernel-corpus and BUILD_DIR/tests/mkbundle)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
out=$root/tests/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rm -rf "$out"
mkdir -p "$out"/{fuzz_kernel_image,fuzz_oci_manifest,fuzz_layer_merge,fuzz_net_frame,fuzz_net_ipc,fuzz_net_ring,fuzz_xs_wire,fuzz_bundle}
mkdir -p "$out"/{fuzz_docker_archive,fuzz_registry_reply,fuzz_auth_json,fuzz_oci_spec}
mkdir -p "$out"/fuzz_term_filter "$out"/fuzz_chan_proto

# spore-runc: odd first byte, a config.json; even, its state file.
printf '\001{"ociVersion":"1.0.2","process":{"terminal":false,"user":{"uid":1000,"gid":100},"args":["sh","-c","echo hi"],"env":["PATH=/bin","A=b"],"cwd":"/w"},"root":{"path":"rootfs","readonly":true},"hostname":"h","mounts":[{"destination":"/etc/hosts","type":"bind","source":"/h"},{"destination":"/proc","type":"proc","source":"proc"}],"annotations":{"io.kubernetes.cri.container-type":"sandbox"},"linux":{"resources":{"memory":{"limit":536870912},"cpu":{"quota":150000,"period":100000}},"namespaces":[{"type":"pid"}]}}' \
	>"$out/fuzz_oci_spec/config"
printf '\000{"ociVersion":"1.0.2","id":"c1","pid":42,"pidStart":7,"status":"running","bundle":"/b","rootfs":"/b/rootfs","created":"2026-12-07T13:00:00.000000000Z","uuid":"0c9f5a8e-2d7b-4c4e-9a51-7f3c2b1d0e6a","image":"/i.sqfs","imageShared":true,"annotations":{"k":"v"}}' \
	>"$out/fuzz_oci_spec/state"

# Kernels: the loader test's synthetic ELF in every wrapping.
"$build/tests/kernel-corpus" --write-corpus "$out/fuzz_kernel_image"

# Bundles: sporectl's encoder through mkbundle. fuzz_bundle takes a first
# byte whose bit 0 set means "the rest is a whole bundle".
bundle() { # NAME MKBUNDLE-ARGS...
	local name=$1
	shift
	"$build/tests/mkbundle" --out "$tmp/b" "$@"
	# mkbundle pads to a whole sector (a disk's size); the header says how
	# much is the bundle.
	python3 -c 'import struct, sys; b = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(b"\x01" + b[:struct.unpack_from("<I", b, 12)[0]])' "$tmp/b" \
		>"$out/fuzz_bundle/$name"
}
bundle minimal -- /bin/true
bundle full --env PATH=/usr/bin:/bin --env EMPTY= --user 1000:50 --workdir /srv \
	--hostname web-1 --tty --stdin --overlay-size 67108864 --ipv4 10.75.0.15/24 \
	--gw4 10.75.0.2 --ipv6 fd00::f/64 --gw6 fe80::1 --mtu 1400 --dns 10.75.0.3 \
	--volume xvdc:/data:ext4 --volume xvdd:/etc/conf:squashfs:ro --stop-timeout 3 \
	-- /bin/sh -c 'echo hello; exit 3'
bundle mounts --read-only --upper-dev xvdf --volume xvdc:/data:ext4 \
	--volume xvde:/etc/app.conf:squashfs:file --tmpfs /tmp:0:1777:14 \
	--tmpfs /run/big:67108864:700:1 -- /bin/true

python3 "$root/tests/fuzz/image-seeds.py" "$out"

python3 - "$out" <<'PY'
import io, json, os, struct, sys, tarfile

out = sys.argv[1]
def put(target, name, data):
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)

# xenstore replies as xenstored sends them: header (type, req_id, tx_id,
# len) and payload. The first byte's bit 0 picks the larger payload cap.
def msg(t, body, req=1, tx=0):
    return struct.pack("<IIII", t, req, tx, len(body)) + body
XS_DIRECTORY, XS_READ, XS_WATCH_EVENT, XS_TRANSACTION_START, XS_ERROR = 1, 2, 15, 6, 16
XS_DIRECTORY_PART = 22
put("fuzz_xs_wire", "read", msg(XS_READ, b"hello"))
put("fuzz_xs_wire", "directory", msg(XS_DIRECTORY, b"0\x00name\x00domid\x00"))
put("fuzz_xs_wire", "error", msg(XS_ERROR, b"ENOENT\x00"))
put("fuzz_xs_wire", "directory-part", msg(XS_DIRECTORY_PART, b"7\x00a\x00b\x00") +
    msg(XS_DIRECTORY_PART, b"7\x00c\x00\x00"))
put("fuzz_xs_wire", "tx-and-watch", msg(XS_TRANSACTION_START, b"17\x00") +
    msg(XS_WATCH_EVENT, b"/local/domain/3/data/spore/exit-status\x00status\x00", req=0))

# sporenet's worker-to-parent messages: records of flags, type, payload
# length (16 bits), payload. Flag 0x10 frames the payload as a message of
# that type (right size, valid header), so the seeds need not know the
# structs; 0x01 attaches an fd, 0x08 receives as the worker does.
NET_MSG_ATTACH, NET_MSG_READY, NET_MSG_STATS, NET_MSG_DOM0_ADDRS = 1, 2, 3, 7
def rec(flags, t, payload=b""):
    return struct.pack("<BBH", flags, t, len(payload)) + payload
stats = struct.pack("<II", 0, 0) + struct.pack("<7Q", 10, 1500, 8, 1200, 0, 3, 1)
put("fuzz_net_ipc", "ready-then-stats", rec(0x10, NET_MSG_READY) + rec(0x10, NET_MSG_STATS, stats))
put("fuzz_net_ipc", "stats-with-fd", rec(0x11, NET_MSG_STATS, stats))
put("fuzz_net_ipc", "parent-only-types", rec(0x10, NET_MSG_ATTACH) + rec(0x10, NET_MSG_DOM0_ADDRS))
put("fuzz_net_ipc", "raw-runt-and-lie", rec(0x00, NET_MSG_READY, struct.pack("<III", 2, 12, 0)) +
    rec(0x00, 0, b"\x02\x00\x00"))
put("fuzz_net_ipc", "worker-attach-fd", rec(0x19, NET_MSG_ATTACH) + rec(0x1b, NET_MSG_ATTACH))

# netif rings: a script of guest writes and backend steps (fuzz_net_ring.c's
# ops: 0 tx slot, 1 tx req_prod delta, 2 backend tx, 3 rx request, 5 backend
# rx, 6 final check, 7 scribble, 8 reconnect).
def txreq(gref, off, flags, id_, size):
    return b"\x00" + struct.pack("<IHHHH", gref, off, flags, id_, size)
def extra(t, fl, gso_size, gso_type):
    return b"\x00" + struct.pack("<BBHBBH", t, fl, gso_size, gso_type, 0, 0) + b"\x00" * 4
def txgo(n=8, status=0):
    return b"\x01\x00" + b"\x02" + bytes([n, status & 0xff])
def rxreq(id_, gref):
    return b"\x03" + struct.pack("<HHI", id_, 0, gref)
def rxgo(length, ok=True):
    return b"\x05" + struct.pack("<HB", length, 0 if ok else 1)
put("fuzz_net_ring", "one-slot", txreq(5, 100, 1, 7, 60) + txgo() + b"\x06")
put("fuzz_net_ring", "chain", txreq(1, 3000, 4, 10, 3000) + txreq(2, 0, 4, 11, 1500) +
    txreq(3, 96, 0, 12, 500) + txgo())
put("fuzz_net_ring", "gso-extras", txreq(1, 0, 1 | 4 | 8, 20, 5000) + extra(1, 1, 1448, 1) +
    extra(2, 0, 0, 0) + txreq(2, 0, 0, 21, 1000) + txgo())
put("fuzz_net_ring", "rx", rxreq(100, 50) + rxreq(101, 51) + rxgo(1500) + rxgo(60, False) +
    b"\x08\x01" + rxreq(1, 1) + rxreq(2, 2) + rxgo(5000))
put("fuzz_net_ring", "scribble", txreq(1, 0, 0, 1, 64) + b"\x07\x00" + struct.pack("<H", 8) +
    b"\xff" + txgo() + b"\x07\x00" + struct.pack("<H", 12) + b"\x80" + txgo())

# Registry JSON: a manifest, an index, an image config.
d = "sha256:" + "ab" * 32
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": d, "size": 600},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d,
                "size": 1234}]}
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d,
                   "size": 500, "platform": {"os": "linux", "architecture": "amd64"}},
                  {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d,
                   "size": 500, "platform": {"os": "linux", "architecture": "arm64",
                                             "variant": "v8"}}]}
config = {"architecture": "amd64", "os": "linux",
    "config": {"Env": ["PATH=/usr/bin:/bin"], "Entrypoint": ["/bin/sh"], "Cmd": ["-c", "true"],
               "WorkingDir": "/srv", "User": "1000:50"},
    "rootfs": {"type": "layers", "diff_ids": [d]}}
docker = dict(manifest, mediaType="application/vnd.docker.distribution.manifest.v2+json")
put("fuzz_oci_manifest", "manifest.json", json.dumps(manifest).encode())
put("fuzz_oci_manifest", "index.json", json.dumps(index).encode())
put("fuzz_oci_manifest", "config.json", json.dumps(config).encode())
put("fuzz_oci_manifest", "docker-manifest.json", json.dumps(docker).encode())
put("fuzz_oci_manifest", "ref", b"registry.example:5000/library/busybox:1.36@" + d.encode())

# Layer tarballs: files, a directory, links, a whiteout and an opaque dir.
def tar(members, fmt=tarfile.GNU_FORMAT):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
        for name, kind, data in members:
            i = tarfile.TarInfo(name)
            i.mtime = 1700000000
            if kind == "dir":
                i.type, i.mode = tarfile.DIRTYPE, 0o755
                t.addfile(i)
            elif kind == "sym":
                i.type, i.linkname = tarfile.SYMTYPE, data
                t.addfile(i)
            elif kind == "hard":
                i.type, i.linkname = tarfile.LNKTYPE, data
                t.addfile(i)
            else:
                i.size, i.mode = len(data), 0o644
                t.addfile(i, io.BytesIO(data))
    return b.getvalue().rstrip(b"\x00") + b"\x00" * 1024  # two end blocks, no padding record
put("fuzz_layer_merge", "files.tar", tar([("etc", "dir", None), ("etc/hosts", "file", b"127.0.0.1 localhost\n"),
    ("bin", "dir", None), ("bin/sh", "file", b"\x7fELF"), ("bin/ash", "sym", "sh"),
    ("bin/hard", "hard", "bin/sh")]))
put("fuzz_layer_merge", "whiteouts.tar", tar([("etc/.wh.hosts", "file", b""),
    ("var", "dir", None), ("var/.wh..wh..opq", "file", b""), ("var/new", "file", b"x\n")],
    fmt=tarfile.PAX_FORMAT))

# Guest frames for sporenet (guest 10.75.0.15, 52:54:00:12:34:56; gateway
# 10.75.0.2). The first byte's bit 0 says "checksum partial": 0x52 is even.
def csum(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
gw_mac, me = bytes.fromhex("525500000002"), bytes.fromhex("525400123456")
ip_me, ip_gw = bytes([10, 75, 0, 15]), bytes([10, 75, 0, 2])
def eth(t, payload, dst=gw_mac):
    return dst + me + struct.pack("!H", t) + payload
def ipv4(proto, payload, dst=ip_gw):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, 64, proto, 0, ip_me, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload
def l4(proto, seg, dst=ip_gw, at=None):
    ph = ip_me + dst + struct.pack("!BBH", 0, proto, len(seg))
    c = csum(ph + seg)
    return seg[:at] + struct.pack("!H", c) + seg[at + 2:]
arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, me, ip_me, b"\x00" * 6, ip_gw)
put("fuzz_net_frame", "arp", eth(0x0806, arp, dst=b"\xff" * 6))
icmp = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"ping"
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
put("fuzz_net_frame", "icmp-echo", eth(0x0800, ipv4(1, icmp)))
dns = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x07example\x03com\x00\x00\x01\x00\x01"
udp = struct.pack("!HHHH", 40000, 53, 8 + len(dns), 0) + dns
put("fuzz_net_frame", "udp-dns", eth(0x0800, ipv4(17, l4(17, udp, dst=bytes([10, 75, 0, 3]), at=6),
                                                dst=bytes([10, 75, 0, 3]))))
syn = struct.pack("!HHIIBBHHH", 40001, 80, 1, 0, 0x50, 0x02, 65535, 0, 0)
put("fuzz_net_frame", "tcp-syn", eth(0x0800, ipv4(6, l4(6, syn, at=16))))
ns = bytes.fromhex("fe800000000000000000000000000001")
icmp6 = struct.pack("!BBHI", 135, 0, 0, 0) + ns
ip6 = struct.pack("!IHBB", 0x60000000, len(icmp6), 58, 255) + bytes.fromhex(
    "fe800000000000005054 00ff fe12 3456".replace(" ", "")) + bytes.fromhex("ff0200000000000000000001ff000001")
put("fuzz_net_frame", "ipv6-ns", eth(0x86dd, ip6 + icmp6, dst=bytes.fromhex("3333ff000001")))
# Console output: colours, an OSC 52, a cursor move, UTF-8 and a C1 CSI;
# a log record; a spored message (ATTACH).
put("fuzz_term_filter", "mixed", b"\x05ok \x1b[1;32mgreen\x1b[0m\r\n\x1b]52;c;aGk=\x07"
    b"\x1b[2J caf\xc3\xa9 \xc2\x9b6n \x1bP1$r\x1b\\\n")
put("fuzz_term_filter", "record", b"2026-12-07T12:31:03.123456789Z stdout F hello \x1b[31mred")
put("fuzz_term_filter", "attach", struct.pack("<HHI", 3, 1, 40) +
    b"0123abcd-4567-89ef-0123-456789abcdef" + struct.pack("<I", 65536))
# Control channel frames (a piece size byte first): what sporeinit sends,
# HELLO, a session's output, its EOFs and exit; and what spored sends.
def chan(t, stream, p=b""):
    return struct.pack("<BBH", t, stream, len(p)) + p
put("fuzz_chan_proto", "guest", b"\x07" + chan(1, 0, b"\x01\x00") + chan(5, 1, b"hi\n") +
    chan(6, 1, b"oops\n") + chan(5, 1) + chan(6, 1) + chan(7, 1, b"\x03"))
put("fuzz_chan_proto", "spored", b"\x00" + chan(1, 0, b"\x01\x00") + chan(2, 2, b"aecho") +
    chan(2, 2, b"ePATH=/bin") + chan(2, 2, b"u1000") + chan(2, 2, b"w/tmp") +
    chan(3, 2, b"\x01") + chan(4, 2, b"input") + chan(4, 2) + chan(8, 2))
PY
du -sh "$out"
