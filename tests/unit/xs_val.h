/* The value a planned xenstore write list gives path, or NULL: for the tests
 * of what the toolstack writes (devices, skeleton). */
#ifndef SPORE_TEST_XS_VAL_H
#define SPORE_TEST_XS_VAL_H

#include <spore/xenstore.h>

static inline const char *val(const struct xs_node_list *l, const char *p)
{
	const struct xs_node *n = xs_node_find(l, p);
	return n ? n->value : NULL;
}

#endif
