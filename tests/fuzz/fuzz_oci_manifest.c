/* libFuzzer target for what a registry sends: manifest/index classification,
 * platform selection, manifest and config parsing, and (as a string) the
 * reference parser. Seeds: any manifests, e.g. from .cache/test-images. */
#include "oci_manifest.h"
#include "oci_ref.h"
#include <spore/log.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	spore_log_set_level(SPORE_LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spore_err err = {0};
	struct spore_descriptor d;
	struct spore_manifest m;
	const char *body = (const char *)data;

	spore_manifest_kind(NULL, body, size, &err);
	spore_index_select(body, size, "linux", "amd64", &d, &err);
	if (spore_manifest_parse(body, size, &m, &err) == 0) {
		spore_image_config_check(body, size, &m, "linux", "amd64", NULL, &err);
		spore_manifest_free(&m);
	}
	if (size < 4096) {
		char *s = strndup(body, size);
		struct spore_ref ref;
		char buf[2048];
		if (s && spore_ref_parse(s, &ref, &err) == 0)
			spore_ref_str(&ref, buf, sizeof(buf));
		free(s);
	}
	return 0;
}
