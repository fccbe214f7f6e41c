/* libFuzzer target for the layer merger: the input is used as a layer on its
 * own and as both layers of a two-layer image, so whiteouts and replacements
 * meet themselves. Seeds: any small tar, gzip'd or not (e.g. the layers in
 * .cache/test-images/oci/blobs). */
#include "layer_merge.h"
#include <spore/log.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int out_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	spore_log_set_level(SPORE_LOG_ERROR);
	out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	return 0;
}

static int layer(const uint8_t *data, size_t size)
{
	int fd = memfd_create("layer", MFD_CLOEXEC);
	if (fd >= 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	if (fd >= 0)
		lseek(fd, 0, SEEK_SET);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Small caps keep decompression bombs fast. */
	struct spore_merge_limits lim = {64u << 20, 100000, 0};
	struct spore_err err = {0};
	int fds[2] = {layer(data, size), layer(data, size)};
	if (fds[0] >= 0 && fds[1] >= 0) {
		spore_layer_merge(fds, 1, NULL, out_fd, &lim, NULL, &err);
		lseek(fds[0], 0, SEEK_SET);
		/* With diff_ids: the whole stream is hashed and drained. */
		static const char ids[2][SPORE_DIGEST_LEN + 1] = {
			"sha256:0000000000000000000000000000000000000000000000000000000000000000",
			"sha256:0000000000000000000000000000000000000000000000000000000000000000"};
		spore_layer_merge(fds, 2, ids, out_fd, &lim, NULL, &err);
	}
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}
