/* Reference normalisation, as Docker does it, and the refusals. */
#include <errno.h>
#include "oci_ref.h"

#include "tap.h"

static void canon(const char *in, const char *want)
{
	struct spore_ref r;
	struct spore_err err = {0};
	char buf[1024] = "";
	int rc = spore_ref_parse(in, &r, &err);
	if (rc == 0)
		spore_ref_str(&r, buf, sizeof(buf));
	is_str(rc == 0 ? buf : err.msg, want, "'%s' -> %s", in, want);
}

static void bad(const char *in, const char *why)
{
	struct spore_ref r;
	struct spore_err err = {0};
	int rc = spore_ref_parse(in, &r, &err);
	ok(rc == -EINVAL && strstr(err.msg, why), "'%s' rejected: %s", in, err.msg);
}

int main(void)
{
	const char *dg = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char pinned[200], both[200];
	struct spore_ref r;
	struct spore_err err = {0};

	canon("busybox", "docker.io/library/busybox:latest");
	canon("busybox:1.36", "docker.io/library/busybox:1.36");
	canon("library/busybox", "docker.io/library/busybox:latest");
	canon("user/app:v1", "docker.io/user/app:v1");
	canon("docker.io/busybox", "docker.io/library/busybox:latest");
	canon("index.docker.io/busybox", "docker.io/library/busybox:latest");
	canon("docker://alpine:3.19", "docker.io/library/alpine:3.19");
	canon("127.0.0.1:5000/spore-test/busybox", "127.0.0.1:5000/spore-test/busybox:latest");
	canon("localhost/app:x", "localhost/app:x");
	canon("localhost:5000/a/b/c:1.0-rc_1", "localhost:5000/a/b/c:1.0-rc_1");
	canon("ghcr.io/owner/img", "ghcr.io/owner/img:latest");
	canon("a__b/c-d--e/f.g", "docker.io/a__b/c-d--e/f.g:latest");
	snprintf(pinned, sizeof(pinned), "busybox@%s", dg);
	snprintf(both, sizeof(both), "docker.io/library/busybox@%s", dg);
	canon(pinned, both);
	snprintf(pinned, sizeof(pinned), "busybox:1@%s", dg);
	snprintf(both, sizeof(both), "docker.io/library/busybox:1@%s", dg);
	canon(pinned, both);
	canon("oci:/tmp/layout", "oci:/tmp/layout");
	canon("oci:/tmp/layout:v2", "oci:/tmp/layout:v2");
	canon("oci:/tmp/a:b/dir", "oci:/tmp/a:b/dir");
	canon("docker-archive:/tmp/x.tar", "docker-archive:/tmp/x.tar");

	ok(spore_ref_parse(pinned, &r, &err) == 0 && !strcmp(r.digest, dg) && !strcmp(r.tag, "1"),
	   "tag and digest both kept; the digest is what gets pulled");
	ok(spore_ref_parse("127.0.0.1:5000/x", &r, &err) == 0 &&
		   !strcmp(spore_ref_endpoint(&r), "127.0.0.1:5000"),
	   "a registry's endpoint is itself");
	ok(spore_ref_parse("busybox", &r, &err) == 0 &&
		   !strcmp(spore_ref_endpoint(&r), "registry-1.docker.io"),
	   "Docker Hub's API is registry-1.docker.io");

	bad("", "empty");
	bad("BusyBox", "bad repository name");
	bad("busybox:", "bad tag");
	bad("busybox:-x", "bad tag");
	bad("busy//box", "bad repository name");
	bad("busybox@sha256:abc", "digest");
	bad("busybox@md5:0123456789abcdef0123456789abcdef", "digest");
	bad("a/../b", "bad repository name");
	bad("ex ample.com/x", "bad registry");
	bad("example.com:port/x", "bad registry");
	bad("oci:", "no directory");
	bad("docker-archive:", "no file");
	ok(spore_ref_tag_valid("_a.B-1") && !spore_ref_tag_valid(".a") && !spore_ref_tag_valid(""),
	   "tag grammar");
	return tap_done();
}
