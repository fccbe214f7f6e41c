/* What a guest name may be. */
#ifndef SPORE_NAME_VALID_H
#define SPORE_NAME_VALID_H

/* A guest name is 1..64 of [A-Za-z0-9_.-], not starting with '.' or '-':
 * it ends up in xenstore paths, interface names and log lines. */
int spore_name_valid(const char *name);

#endif
