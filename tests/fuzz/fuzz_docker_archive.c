/* libFuzzer target for `docker save` archives (docker-archive:FILE): the
 * input is the archive; its manifest.json, the path rules for the files it
 * names (cleaning, symlinked layers, traversal) and the copies into an OCI
 * layout, which is then read back as a pull would. Seeds:
 * tests/fuzz/corpus/fuzz_docker_archive (make-corpus.sh). */
#include "oci_docker_archive.h"
#include "oci_layout.h"
#include "statedir.h"
#include <spore/log.h>

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[PATH_MAX];

static void cleanup(void)
{
	spore_state_rm_tree(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	spore_log_set_level(SPORE_LOG_ERROR);
	const char *t = getenv("TMPDIR");
	snprintf(base, sizeof(base), "%s/fuzz-docker-archive-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(base))
		abort();
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spore_err err = {0};
	struct spore_oci_layout l = {.dirfd = -1};
	char dir[PATH_MAX + 16], digest[SPORE_DIGEST_LEN + 1], ct[128];
	char *body = NULL;
	size_t len;
	int fd = memfd_create("archive", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(dir, sizeof(dir), "%s/layout", base);
	if (mkdir(dir, 0700) < 0)
		abort();
	if (spore_docker_archive_to_layout(fd, "fuzz.tar", dir, &err) == 0 &&
	    spore_oci_layout_open(&l, dir, &err) == 0 &&
	    spore_oci_layout_manifest(&l, "", &body, &len, ct, sizeof(ct), digest, &err) == 0)
		free(body);
	spore_oci_layout_close(&l);
	close(fd);
	spore_state_rm_tree(dir);
	return 0;
}
