/* libFuzzer target for credential files (auth.json, ~/.docker/config.json):
 * the input is the file ($REGISTRY_AUTH_FILE), looked up for Docker Hub
 * (its aliases) and a registry with a port; inline "auth" entries are
 * base64 "user:password", checked on the way. Seeds:
 * tests/fuzz/corpus/fuzz_auth_json (make-corpus.sh). */
#include "oci_auth.h"
#include <spore/log.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[PATH_MAX];

static void cleanup(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	spore_log_set_level(SPORE_LOG_ERROR);
	const char *t = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/fuzz-auth-XXXXXX", t && *t ? t : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);
	atexit(cleanup);
	setenv("REGISTRY_AUTH_FILE", path, 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const domains[] = {"docker.io", "127.0.0.1:5000", "registry.example"};
	struct spore_err err = {0};
	char from[PATH_MAX];
	FILE *f = fopen(path, "we");

	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		char *b64 = NULL;
		spore_auth_lookup(domains[i], &b64, from, sizeof(from), &err);
		free(b64);
	}
	return 0;
}
