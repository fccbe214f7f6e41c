/* Manifest, index and config parsing; the WWW-Authenticate parser; digests. */
#include <errno.h>
#include "oci_manifest.h"
#include "oci_registry.h"

#include <stdio.h>
#include <stdlib.h>

#include "tap.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static const char oci_manifest[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1 "\",\"size\":100},"
	"\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" D2 "\",\"size\":2000},"
	"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"" D3 "\",\"size\":3}]}";

static const char index_json[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1 "\",\"size\":10,"
	"\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D3 "\",\"size\":12,"
	"\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"},"
	"\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D2 "\",\"size\":11,"
	"\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}";

static int kind(const char *ct, const char *body, struct spore_err *err)
{
	return spore_manifest_kind(ct, body, strlen(body), err);
}

int main(void)
{
	struct spore_err err = {0};
	struct spore_manifest m;
	struct spore_descriptor d;
	char buf[8192];

	is_int(kind(NULL, oci_manifest, &err), SPORE_MANIFEST_IMAGE, "OCI manifest by its mediaType");
	is_int(kind(NULL, index_json, &err), SPORE_MANIFEST_INDEX, "OCI index by its mediaType");
	is_int(kind(SPORE_MT_DOCKER_LIST, "{\"schemaVersion\":2,\"manifests\":[]}", &err),
	       SPORE_MANIFEST_INDEX, "Docker list by Content-Type");
	is_int(kind("application/vnd.docker.distribution.manifest.v2+json; charset=x",
		    "{\"schemaVersion\":2,\"layers\":[]}", &err),
	       SPORE_MANIFEST_IMAGE, "Docker v2s2 by Content-Type with parameters");
	is_int(kind(NULL, "{\"schemaVersion\":2,\"layers\":[]}", &err), SPORE_MANIFEST_IMAGE,
	       "no mediaType: an image manifest by shape");
	ok(kind(NULL, "{\"schemaVersion\":1,\"fsLayers\":[]}", &err) == -ENOTSUP &&
		   strstr(err.msg, "schema 2"),
	   "schema 1 refused: %s", err.msg);
	ok(kind(NULL, "{\"schemaVersion\":2,\"schemaVersion\":2}", &err) == -EBADMSG,
	   "duplicate keys refused: %s", err.msg);
	ok(kind(NULL, "{\"schemaVersion\":2,\"mediaType\":\"text/html\"}", &err) == -ENOTSUP,
	   "unknown media type refused: %s", err.msg);
	ok(kind(NULL, "[1,2]", &err) == -EBADMSG, "a non-object refused: %s", err.msg);
	ok(spore_manifest_kind(NULL, "{\"schemaVersion\":2}", SPORE_MANIFEST_MAX + 1, &err) == -EFBIG,
	   "oversized manifest refused: %s", err.msg);

	ok(spore_manifest_parse(oci_manifest, strlen(oci_manifest), &m, &err) == 0, "manifest parses");
	is_int(m.n_layers, 2, "two layers");
	is_str(m.config.digest, D1, "config digest");
	is_int(m.layers[0].size, 2000, "layer 1 size");
	is_str(m.layers[1].media_type, "application/vnd.oci.image.layer.v1.tar+zstd", "layer 2 type");
	spore_manifest_free(&m);

#define MAN(cfg, layers) "{\"schemaVersion\":2,\"config\":" cfg ",\"layers\":[" layers "]}"
#define CFG "{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"" D1 "\",\"size\":5}"
	static const struct {
		const char *json, *why;
	} bad[] = {
		{MAN(CFG, "{\"mediaType\":\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"digest\":\"" D2 "\",\"size\":1}"), "foreign"},
		{MAN(CFG, "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:../../etc\",\"size\":1}"), "invalid digest"},
		{MAN(CFG, "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" D2 "\",\"size\":-1}"), "size"},
		{MAN(CFG, ""), "no layers"},
		{MAN("{\"mediaType\":\"application/vnd.cncf.helm.config.v1+json\",\"digest\":\"" D1 "\",\"size\":5}",
		     "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" D2 "\",\"size\":1}"), "not a container image"},
		{MAN("{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1 "\",\"size\":99999999}",
		     "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" D2 "\",\"size\":1}"), "limit"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = spore_manifest_parse(bad[i].json, strlen(bad[i].json), &m, &err);
		ok(rc < 0 && strstr(err.msg, bad[i].why), "bad manifest %zu refused: %s", i, err.msg);
	}

	ok(spore_index_select(index_json, strlen(index_json), "linux", "amd64", &d, &err) == 0 &&
		   !strcmp(d.digest, D2) && d.size == 11,
	   "index: linux/amd64 picked, attestation skipped");
	ok(spore_index_select(index_json, strlen(index_json), "linux", "s390x", &d, &err) == -ENOENT &&
		   strstr(err.msg, "linux/arm64") && strstr(err.msg, "linux/amd64"),
	   "index without the platform names what it has: %s", err.msg);

	const char *cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
			  "\"diff_ids\":[\"" D1 "\",\"" D2 "\"]}}";
	spore_manifest_parse(oci_manifest, strlen(oci_manifest), &m, &err);
	ok(spore_image_config_check(cfg, strlen(cfg), &m, "linux", "amd64", NULL, &err) == 0, "config matches");
	char ids[2][SPORE_DIGEST_LEN + 1] = {"", ""};
	ok(spore_image_config_check(cfg, strlen(cfg), &m, "linux", "amd64", ids, &err) == 0 &&
		   !strcmp(ids[0], D1) && !strcmp(ids[1], D2),
	   "config's diff_ids handed out in layer order");
	snprintf(buf, sizeof(buf), "{\"rootfs\":{\"diff_ids\":[\"" D1 "\",\"sha512:abc\"]}}");
	ok(spore_image_config_check(buf, strlen(buf), &m, "linux", "amd64", ids, &err) == -EBADMSG &&
		   strstr(err.msg, "diff_ids[1] is not a sha256 digest"),
	   "a diff_id that is not a sha256 digest refused: %s", err.msg);
	snprintf(buf, sizeof(buf), "{\"rootfs\":{\"diff_ids\":[\"" D1 "\",7]}}");
	ok(spore_image_config_check(buf, strlen(buf), &m, "linux", "amd64", NULL, &err) == -EBADMSG,
	   "a diff_id that is not a string refused: %s", err.msg);
	ok(spore_image_config_check(cfg, strlen(cfg), &m, "linux", "arm64", NULL, &err) == -ENOEXEC,
	   "config for another arch refused: %s", err.msg);
	snprintf(buf, sizeof(buf), "{\"rootfs\":{\"diff_ids\":[\"" D1 "\"]}}");
	ok(spore_image_config_check(buf, strlen(buf), &m, "linux", "amd64", NULL, &err) == -EBADMSG,
	   "diff_ids count mismatch refused: %s", err.msg);
	spore_manifest_free(&m);

	struct spore_image_config ic;
	const char *full = "{\"architecture\":\"amd64\",\"config\":{\"Entrypoint\":[\"/bin/sh\",\"-c\"],"
			   "\"Cmd\":[\"echo hi\"],\"Env\":[\"PATH=/bin\",\"A=b=c\"],\"WorkingDir\":\"/w\","
			   "\"User\":\"1000:1000\",\"StopSignal\":\"SIGINT\"}}";
	ok(spore_image_config_parse(full, strlen(full), &ic, &err) == 0 && ic.n_entrypoint == 2 &&
		   !strcmp(ic.entrypoint[1], "-c") && !ic.entrypoint[2] && ic.n_cmd == 1 &&
		   !strcmp(ic.cmd[0], "echo hi") && ic.n_env == 2 && !strcmp(ic.env[1], "A=b=c") &&
		   !strcmp(ic.working_dir, "/w") && !strcmp(ic.user, "1000:1000") &&
		   !strcmp(ic.stop_signal, "SIGINT"),
	   "image config: Entrypoint, Cmd, Env, WorkingDir, User, StopSignal");
	spore_image_config_free(&ic);
	const char *vols = "{\"config\":{\"Volumes\":{\"/data\":{},\"/var/cache\":{}}}}";
	ok(spore_image_config_parse(vols, strlen(vols), &ic, &err) == 0 && ic.n_volumes == 2 &&
		   !strcmp(ic.volumes[0], "/data") && !strcmp(ic.volumes[1], "/var/cache") && !ic.volumes[2],
	   "image config: Volumes' keys, in order");
	spore_image_config_free(&ic);
	const char *empty = "{\"config\":{\"Cmd\":null}}";
	ok(spore_image_config_parse(empty, strlen(empty), &ic, &err) == 0 && !ic.cmd && !ic.entrypoint &&
		   !ic.env && !ic.user && !ic.volumes && !ic.n_volumes,
	   "image config: absent and null fields are empty");
	spore_image_config_free(&ic);
	static const char *const badcfg[] = {
		"{\"config\":{\"Cmd\":\"sh\"}}", "{\"config\":{\"Cmd\":[\"sh\",1]}}",
		"{\"config\":{\"Env\":[\"NOEQUALS\"]}}", "{\"config\":{\"Env\":[\"=x\"]}}",
		"{\"config\":{\"User\":0}}", "{\"config\":[]}", "{\"config\":{\"Cmd\":[\"a\\u0000b\"]}}",
		"{\"config\":{\"Volumes\":[\"/data\"]}}",
	};
	for (size_t i = 0; i < sizeof(badcfg) / sizeof(badcfg[0]); i++)
		ok(spore_image_config_parse(badcfg[i], strlen(badcfg[i]), &ic, &err) < 0,
		   "bad image config %zu refused: %s", i, err.msg);

	struct spore_challenge ch;
	ok(spore_challenge_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
				 "scope=\"repository:library/busybox:pull,push\"", &ch) == 0 &&
		   !strcmp(ch.scheme, "Bearer") && !strcmp(ch.realm, "https://auth.docker.io/token") &&
		   !strcmp(ch.service, "registry.docker.io") &&
		   !strcmp(ch.scope, "repository:library/busybox:pull,push"),
	   "Bearer challenge with a quoted comma");
	ok(spore_challenge_parse("Basic realm=\"basic-realm\"", &ch) == 0 && !strcmp(ch.scheme, "Basic") &&
		   !strcmp(ch.realm, "basic-realm"),
	   "Basic challenge");
	ok(spore_challenge_parse("Bearer realm=\"unterminated", &ch) < 0, "unterminated quote refused");
	ok(spore_registry_is_loopback("127.0.0.1:5000") && spore_registry_is_loopback("localhost") &&
		   !spore_registry_is_loopback("docker.io") && !spore_registry_is_loopback("127x.example") &&
		   !spore_registry_is_loopback("127.0.0.1.example.com") && !spore_registry_is_loopback("127.evil") &&
		   spore_registry_is_loopback("127.1.2.3:80"),
	   "loopback detection");

	char dg[SPORE_DIGEST_LEN + 1];
	spore_digest_buf("abc", 3, dg, &err);
	is_str(dg, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 of 'abc'");
	ok(spore_digest_valid(dg) && !spore_digest_valid("sha256:BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") &&
		   !spore_digest_valid("sha256:ba78") && !spore_digest_valid("sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	   "digest validation");
	return tap_done();
}
