#!/usr/bin/env python3
"""Writes hostile images as OCI layouts (oci:DIR:latest), for
tests/integration/image-hostile.sh: what a malicious registry could serve,
without one. Each layout is DIR/NAME; the layer's config diff_id is right,
so what stops a pull is the content itself.

  bomb-header    a 37-byte-ish gzip layer whose tar entry says 1 TiB
  bomb-zstd      zstd: 2 GiB of zeros in 32 files, a few KiB compressed
  pax-huge       a PAX extended header of 32 MiB (a 'comment' record)
  longlink-huge  a GNU long name of 1 MiB
  long-name      a file name of 300 bytes (over NAME_MAX)
  long-path      a path of 5000 bytes (over PATH_MAX), 40-byte components
  deep           a file under 1500 nested directories (3000-byte path)
  many           100000 empty files

Usage: hostile-images.py DIR [NAME...]"""
import gzip, hashlib, io, json, os, subprocess, sys, tarfile

out = sys.argv[1]
only = set(sys.argv[2:])


def sha(b):
    return hashlib.sha256(b).hexdigest()


def layout(name, layer_tar, layer_blob, media):
    if only and name not in only:
        return
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "blobs", "sha256"), exist_ok=True)

    def blob(b):
        with open(os.path.join(d, "blobs", "sha256", sha(b)), "wb") as f:
            f.write(b)
        return {"digest": "sha256:" + sha(b), "size": len(b)}

    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_tar]}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": dict(blob(config), mediaType="application/vnd.oci.image.config.v1+json"),
                           "layers": [dict(blob(layer_blob), mediaType=media)]}).encode()
    index = {"schemaVersion": 2, "manifests": [dict(blob(manifest), mediaType="application/vnd.oci.image.manifest.v1+json",
                                                     annotations={"org.opencontainers.image.ref.name": "latest"})]}
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(d, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


def gz(name, tar_bytes):
    layout(name, sha(tar_bytes), gzip.compress(tar_bytes, 1, mtime=0),
           "application/vnd.oci.image.layer.v1.tar+gzip")


def info(name, size=0, kind=tarfile.REGTYPE, pax=None):
    i = tarfile.TarInfo(name)
    i.size, i.type, i.mtime, i.mode = size, kind, 1700000000, 0o755 if kind == tarfile.DIRTYPE else 0o644
    if pax:
        i.pax_headers = pax
    return i


def tar(members, fmt=tarfile.GNU_FORMAT):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
        for i in members:
            t.addfile(i, io.BytesIO(b"\0" * i.size) if i.size else None)
    return b.getvalue()


# A header claiming 1 TiB, and no data: the merge must stop at the header.
hdr = info("etc/huge", 1 << 40).tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
gz("bomb-header", hdr + b"\0" * 1024)

# 2 GiB of zeros as a zstd stream, made by the zstd tool (Debian's zstd):
# the merge must stop at --max-size having read no more than that.
if not only or "bomb-zstd" in only:
    blocks = []
    for k in range(32):
        blocks.append(info("zero/%02d" % k, 64 << 20).tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape"))
    # The tar, streamed: header, 64 MiB of zeros, ... then two end blocks.
    h = hashlib.sha256()
    z = subprocess.Popen(["zstd", "-q", "-3", "-c"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    import threading
    res = []
    th = threading.Thread(target=lambda: res.append(z.stdout.read()))
    th.start()
    zero = b"\0" * (1 << 20)
    for b in blocks:
        z.stdin.write(b)
        h.update(b)
        for _ in range(64):
            z.stdin.write(zero)
            h.update(zero)
    end = b"\0" * 1024
    z.stdin.write(end)
    h.update(end)
    z.stdin.close()
    th.join()
    z.wait()
    layout("bomb-zstd", h.hexdigest(), res[0], "application/vnd.oci.image.layer.v1.tar+zstd")

gz("pax-huge", tar([info("etc/x", pax={"comment": "c" * (32 << 20)})], fmt=tarfile.PAX_FORMAT))
gz("longlink-huge", tar([info("d/" * (1 << 19) + "f")]))
gz("long-name", tar([info("etc", kind=tarfile.DIRTYPE), info("etc/" + "n" * 300)]))
gz("long-path", tar([info(("p" * 39 + "/") * 125 + "f")]))
deep = ["d/" * k for k in range(1, 1501)]
gz("deep", tar([info(p.rstrip("/"), kind=tarfile.DIRTYPE) for p in deep] + [info(deep[-1] + "f")]))
gz("many", tar([info("m", kind=tarfile.DIRTYPE)] + [info("m/%06d" % k) for k in range(100000)]))
