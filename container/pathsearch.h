/* execvp-style lookup of a command in the container's PATH. */
#ifndef SPOREINIT_PATHSEARCH_H
#define SPOREINIT_PATHSEARCH_H

#include <stddef.h>

#define PATHSEARCH_DEFAULT "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Finds file: as given when it contains a '/', else in each PATH entry in
 * order (an empty entry is the current directory). Candidates that are not
 * regular files are skipped. Returns 0 with out = the executable; 126 when
 * only non-executable (X_OK as the calling user) matches exist; 127 when
 * nothing matches or the result would not fit in out. These are the docker
 * exit codes for "not executable" and "not found". */
int pathsearch(const char *file, const char *path, char *out, size_t outlen);

#endif
