/* `docker save` tarballs (`docker-archive:FILE`): converted into an OCI
 * image layout in a directory, which is then pulled like `oci:DIR`. The
 * archive has no registry manifest, so one is written (OCI, deterministic)
 * from manifest.json's config and layer list; its digest names the image.
 *
 * Only the files manifest.json lists are read, by exact name, and written
 * under names derived from their digests: entry names never become paths. */
#ifndef SPORE_OCI_DOCKER_ARCHIVE_H
#define SPORE_OCI_DOCKER_ARCHIVE_H

#include <spore/err.h>

/* fd: the archive (read from its start, twice: it must be seekable), file:
 * its name for messages; dir: an existing empty directory for the layout. */
int spore_docker_archive_to_layout(int fd, const char *file, const char *dir,
				   struct spore_err *err);

#endif
