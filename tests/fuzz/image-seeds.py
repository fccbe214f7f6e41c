"""Seeds for the image fuzzers without a registry: docker save archives
(fuzz_docker_archive), reply header blocks (fuzz_registry_reply) and
credential files (fuzz_auth_json). make-corpus.sh runs it; so can you:
python3 tests/fuzz/image-seeds.py tests/fuzz/corpus"""
import base64, gzip, hashlib, io, json, os, sys, tarfile

out = sys.argv[1]


def put(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


def tar(members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, kind, data in members:
            i = tarfile.TarInfo(name)
            i.mtime = 1700000000
            if kind == "dir":
                i.type, i.mode = tarfile.DIRTYPE, 0o755
                t.addfile(i)
            elif kind == "sym":
                i.type, i.linkname = tarfile.SYMTYPE, data
                t.addfile(i)
            else:
                i.size, i.mode = len(data), 0o644
                t.addfile(i, io.BytesIO(data))
    return b.getvalue()


def sha(b):
    return hashlib.sha256(b).hexdigest()


layer = tar([("etc", "dir", None), ("etc/hostname", "file", b"fuzz\n")])
config = json.dumps({"architecture": "amd64", "os": "linux",
                     "config": {"Cmd": ["/bin/sh"]},
                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(layer)]}}).encode()


def archive(manifest, files, gz=False):
    """A docker save tar: manifest.json plus (name, bytes or symlink target)."""
    members = [("manifest.json", "file", json.dumps(manifest).encode())]
    for name, data in files:
        members.append((name, "sym", data) if isinstance(data, str) else (name, "file", data))
    t = tar(members)
    return gzip.compress(t, mtime=0) if gz else t


cfg_name = sha(config) + ".json"
config2 = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(layer)] * 2}}).encode()
cfg2_name = sha(config2) + ".json"
# Newer docker: layers by digest under blobs/sha256 (as OCI).
put("fuzz_docker_archive", "modern.tar",
    archive([{"Config": "blobs/sha256/" + sha(config), "RepoTags": ["fuzz:1"],
              "Layers": ["blobs/sha256/" + sha(layer)]}],
            [("blobs/sha256/" + sha(config), config), ("blobs/sha256/" + sha(layer), layer)]))
# Older docker: <id>/layer.tar, one symlinked to another entry.
put("fuzz_docker_archive", "legacy-symlink.tar",
    archive([{"Config": cfg2_name, "RepoTags": None, "Layers": ["a1/layer.tar", "b2/layer.tar"]}],
            [(cfg2_name, config2), ("a1/layer.tar", layer), ("b2/layer.tar", "../a1/layer.tar")]))
put("fuzz_docker_archive", "gzip.tar.gz",
    archive([{"Config": cfg_name, "Layers": ["l/layer.tar"]}],
            [(cfg_name, config), ("l/layer.tar", layer)], gz=True))
# Paths the rules refuse: traversal, absolute, a link out of the archive.
put("fuzz_docker_archive", "traversal.tar",
    archive([{"Config": "../" + cfg_name, "Layers": ["/etc/passwd", "./x/../l/layer.tar"]}],
            [(cfg_name, config), ("l/layer.tar", "/etc/shadow")]))

# Reply header blocks as a registry sends them (one line per header).
put("fuzz_registry_reply", "bearer",
    b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
    b"Www-Authenticate: Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
    b"scope=\"repository:library/busybox:pull\"\r\n\r\n")
put("fuzz_registry_reply", "basic-then-200",
    b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"spore-test\"\r\n\r\n"
    b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n"
    b"Docker-Content-Digest: sha256:" + sha(b"x").encode() + b"\r\nContent-Length: 1\r\n\r\n")
put("fuzz_registry_reply", "retry-range",
    b"HTTP/2 429\r\nretry-after: 2\r\n\r\nHTTP/2 206\r\ncontent-range: bytes 100-199/200\r\n\r\n")
put("fuzz_registry_reply", "quoted-commas",
    b"WWW-Authenticate: Bearer realm=\"https://a.example/t?x=1,2\", scope=\"a,b\", error=\"insufficient_scope\"\n")

# Credential files: containers' auth.json and docker's config.json.
def auth(user, pw):
    return base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
put("fuzz_auth_json", "auth.json", json.dumps({"auths": {
    "127.0.0.1:5000": {"auth": auth("spore", "s3cret")},
    "https://index.docker.io/v1/": {"auth": auth("me", "pw")}}}).encode())
put("fuzz_auth_json", "docker-config.json", json.dumps({"auths": {
    "https://registry.example": {"auth": auth("a", "b:c")}, "docker.io": {"auth": "bm9jb2xvbg=="}},
    "credsStore": "desktop"}).encode())
put("fuzz_auth_json", "helpers.json", json.dumps({"credHelpers": {"registry.example": "ecr-login"},
                                                  "auths": {"registry.example": {}}}).encode())
