#!/usr/bin/env python3
"""A token-auth front for the local test registry, for spore's integration
tests: what Docker Hub does, on loopback.

  /v2/...   needs "Authorization: Bearer <token>", else 401 with a Bearer
            challenge naming /token; manifests are proxied to the registry,
            blobs are redirected (307) to a second port, the "CDN".
  /token    hands out the token; with --user U:P it wants Basic U:P.
  --basic   instead: /v2/ wants Basic U:P directly (docker-registry htpasswd)
  --cut-once  the first download of each blob over 64 KiB stops halfway
  --throttle-once  the first manifest request of each repository gets 429
  Hostile repositories (after auth): spore-test/huge (a 5 MiB manifest),
  spore-test/dupkeys (duplicate JSON keys), spore-test/liar (busybox whose
  blobs come with extra bytes), spore-test/short (busybox whose layer comes
  whole but 100 bytes short), spore-test/fakedigest (busybox's manifest with
  a Docker-Content-Digest of another), spore-test/swap (layered's manifest,
  whatever digest is asked for), spore-test/badindex (multiarch's index with
  its amd64 entry's size off by one), spore-test/stall (busybox whose layer
  stops after 100 bytes, the connection kept open), spore-test/trickle
  (busybox whose layer comes at 4 bytes/s).
  CDN port  proxies blobs and records any Authorization header it gets
            (libcurl must not forward it to another host).

Usage: auth-registry.py --upstream 127.0.0.1:5000 --ports-file F --log F [--user U:P]
Writes "REGISTRY_PORT CDN_PORT" to the ports file once listening."""
import argparse, base64, http.client, http.server, json, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--upstream", required=True)
ap.add_argument("--ports-file", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--user")
ap.add_argument("--throttle-once", action="store_true")
ap.add_argument("--cut-once", action="store_true", help="break each blob's first download halfway")
ap.add_argument("--basic", help="U:P: a htpasswd-style registry (Basic on /v2/, no tokens)")
args = ap.parse_args()
TOKEN = "spore-test-token"
throttled = set()
cut = set()
MT = "application/vnd.oci.image.manifest.v1+json"
log = open(args.log, "a", buffering=1)


def upstream(handler, path, extra=b"", edit=None, headers=()):
    c = http.client.HTTPConnection(args.upstream, timeout=30)
    hdrs = {k: v for k, v in handler.headers.items() if k.lower() in ("accept", "range")}
    c.request("GET", path, headers=hdrs)
    r = c.getresponse()
    body = r.read()
    if r.status == 200:
        body += extra
        if edit:
            body = edit(body)
    if args.cut_once and "/blobs/" in path and r.status == 200 and path not in cut and len(body) > 65536:
        cut.add(path)
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[:len(body) // 2])
        handler.wfile.flush()
        handler.close_connection = True
        return
    handler.send_response(r.status)
    for k in ("Content-Type", "Docker-Content-Digest", "Content-Range"):
        if r.getheader(k) and k not in dict(headers) and not (edit and k == "Docker-Content-Digest"):
            handler.send_header(k, r.getheader(k))
    for k, v in headers:
        handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def slow(handler, path, trickle):
    """A blob that stalls after 100 bytes, or trickles at 4 bytes/s; small
    ones (configs) come whole. Bounded: 120 s at most, and it stops when the
    client goes."""
    c = http.client.HTTPConnection(args.upstream, timeout=30)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    handler.send_response(r.status)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if r.status != 200 or len(body) <= 4096:
        handler.wfile.write(body)
        return
    handler.close_connection = True
    try:
        handler.wfile.write(body[:100])
        handler.wfile.flush()
        for i in range(480):
            time.sleep(0.25)
            if trickle:
                handler.wfile.write(body[100 + i:101 + i])
                handler.wfile.flush()
    except OSError:
        pass


class Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Cdn(Quiet):
    def do_GET(self):
        log.write("cdn %s auth=%s range=%s\n" % (self.path, self.headers.get("Authorization", "-"),
                                                  self.headers.get("Range", "-")))
        upstream(self, self.path)


class Registry(Quiet):
    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        if self.path.startswith("/token"):
            want = "Basic " + base64.b64encode(args.user.encode()).decode() if args.user else None
            log.write("token %s basic=%s\n" % (self.path, "yes" if auth.startswith("Basic ") else "no"))
            if want and auth != want:
                return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}',
                                  [("Content-Type", "application/json")])
            return self.reply(200, ('{"token":"%s","expires_in":300}' % TOKEN).encode(),
                              [("Content-Type", "application/json")])
        log.write("registry %s auth=%s\n" % (self.path, auth.split(" ")[0] or "-"))
        if args.basic:
            if auth != "Basic " + base64.b64encode(args.basic.encode()).decode():
                return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                                  [("WWW-Authenticate", 'Basic realm="spore-test"'), ("Content-Type", "application/json")])
        elif auth != "Bearer " + TOKEN:
            repo = self.path[4:].split("/manifests/")[0].split("/blobs/")[0]
            chal = 'Bearer realm="http://127.0.0.1:%d/token",service="spore-test",scope="repository:%s:pull"' % (
                self.server.server_port, repo)
            return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                              [("WWW-Authenticate", chal), ("Content-Type", "application/json")])
        repo = self.path[4:].split("/manifests/")[0].split("/blobs/")[0]
        if args.throttle_once and "/manifests/" in self.path and repo not in throttled:
            throttled.add(repo)
            return self.reply(429, b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
                              [("Retry-After", "1"), ("Content-Type", "application/json")])
        if repo == "spore-test/huge" and "/manifests/" in self.path:
            return self.reply(200, b'{"schemaVersion":2,"x":"' + b"a" * (5 << 20) + b'"}', [("Content-Type", MT)])
        if repo == "spore-test/dupkeys" and "/manifests/" in self.path:
            return self.reply(200, b'{"schemaVersion":2,"schemaVersion":1}', [("Content-Type", MT)])
        if repo == "spore-test/liar":
            return upstream(self, self.path.replace("/liar/", "/busybox/"),
                            b"trailing junk" if "/blobs/" in self.path else b"")
        if repo == "spore-test/short":
            return upstream(self, self.path.replace("/short/", "/busybox/"),
                            edit=(lambda b: b[:-100] if len(b) > 4096 else b) if "/blobs/" in self.path else None)
        if repo == "spore-test/fakedigest":
            return upstream(self, self.path.replace("/fakedigest/", "/busybox/"),
                            headers=[("Docker-Content-Digest", "sha256:" + "0" * 64)] if "/manifests/" in self.path else ())
        if repo == "spore-test/swap":
            path = self.path.replace("/swap/", "/layered/")
            return upstream(self, path.split("/manifests/")[0] + "/manifests/latest" if "/manifests/" in path else path)
        if repo == "spore-test/badindex":
            def bump(b):
                j = json.loads(b)
                for m in j.get("manifests", []):
                    if m.get("platform", {}).get("architecture") == "amd64":
                        m["size"] += 1
                return json.dumps(j).encode()
            path = self.path.replace("/badindex/", "/multiarch/")
            return upstream(self, path, edit=bump if path.endswith("/manifests/latest") else None)
        if repo in ("spore-test/stall", "spore-test/trickle"):
            path = self.path.replace(repo, "spore-test/busybox")
            return slow(self, path, repo.endswith("trickle")) if "/blobs/" in path else upstream(self, path)
        if "/blobs/" in self.path:
            return self.reply(307, b"", [("Location", "http://127.0.0.1:%d%s" % (cdn.server_port, self.path))])
        upstream(self, self.path)


cdn = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Cdn)
reg = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Registry)
threading.Thread(target=cdn.serve_forever, daemon=True).start()
with open(args.ports_file, "w") as f:
    f.write("%d %d\n" % (reg.server_port, cdn.server_port))
reg.serve_forever()
