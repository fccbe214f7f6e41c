/* libcurl, libarchive and libisal, loaded on first use instead of at exec.
 *
 * Only pulling an image needs them (registry client, layer merge, docker
 * archives), yet with what they pull in (gnutls, krb5, ldap, libxml2, ICU,
 * libstdc++...) they are 35 of the 45 libraries a linked sporectl maps and
 * relocates at every start: in the TCG sandbox that is ~95 ms of the ~180 ms
 * `sporectl --help` took (`scripts/xen-sandbox.sh -- bash -c 'time sporectl
 * --help'`, linked and not), paid again by every boot, launch and list. So
 * sporectl does not link them; this file defines the functions spore calls,
 * each forwarding to the real one, resolved with dlopen()/dlsym() the first
 * time either library is used (once per process, thread-safe: layers are
 * fetched by several threads). The unit tests link the libraries directly.
 *
 * A library that cannot be loaded ends the process with one line and exit
 * status 127, as the dynamic loader does for a missing library at exec.
 * A newly used libcurl, libarchive or libisal function needs its line in the lists
 * below: until then sporectl links the library at exec again (the static
 * parts carry the full link line), which tests/xen_cli.sh refuses. */
#define CURL_DISABLE_TYPECHECK /* curl.h would make curl_easy_setopt a macro */
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <isa-l/igzip_lib.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Sonames of the ABIs spore is built against (stable since 2006 and 2012). */
#define CURL_SONAME "libcurl.so.4"
#define ARCHIVE_SONAME "libarchive.so.13"
#define ISAL_SONAME "libisal.so.2" /* ISA-L: gzip layers (controller/image/gzip_read.c) */

static void *open_lib(const char *soname)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "sporectl: cannot load %s: %s\n", soname, dlerror());
		_exit(127);
	}
	return h;
}

/* Stores the address of name into *slot (a function pointer). */
static void resolve(void *h, const char *soname, const char *name, void *slot, size_t size)
{
	void *p = dlsym(h, name);
	if (!p) {
		fprintf(stderr, "sporectl: %s has no %s: %s\n", soname, name, dlerror());
		_exit(127);
	}
	memcpy(slot, &p, size); /* POSIX: a dlsym'd object pointer is the function's */
}

/* X(return type, name, parameters, arguments); V(...) for void functions. */
#define CURL_FNS(X, V)                                                                             \
	X(CURLcode, curl_global_init, (long flags), (flags))                                         \
	X(CURL *, curl_easy_init, (void), ())                                                        \
	X(CURLcode, curl_easy_perform, (CURL * curl), (curl))                                        \
	V(curl_easy_cleanup, (CURL * curl), (curl))                                                  \
	V(curl_easy_reset, (CURL * curl), (curl))                                                    \
	X(const char *, curl_easy_strerror, (CURLcode code), (code))                                 \
	X(char *, curl_easy_escape, (CURL * curl, const char *s, int len), (curl, s, len))           \
	V(curl_free, (void *p), (p))                                                                 \
	X(struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s), (l, s))    \
	V(curl_slist_free_all, (struct curl_slist * l), (l))
/* and the variadic curl_easy_setopt and curl_easy_getinfo, written out below */

#define ARCHIVE_FNS(X, V)                                                                          \
	X(struct archive *, archive_read_new, (void), ())                                            \
	X(int, archive_read_support_filter_gzip, (struct archive * a), (a))                          \
	X(int, archive_read_support_filter_xz, (struct archive * a), (a))                            \
	X(int, archive_read_support_filter_zstd, (struct archive * a), (a))                          \
	X(int, archive_read_support_format_tar, (struct archive * a), (a))                           \
	X(int, archive_read_support_format_raw, (struct archive * a), (a))                           \
	X(int, archive_read_open,                                                                    \
	  (struct archive * a, void *d, archive_open_callback *o, archive_read_callback *r,          \
	   archive_close_callback *c),                                                               \
	  (a, d, o, r, c))                                                                           \
	X(int, archive_read_open_fd, (struct archive * a, int fd, size_t bs), (a, fd, bs))           \
	X(int, archive_read_open_filename, (struct archive * a, const char *f, size_t bs),          \
	  (a, f, bs))                                                                                \
	X(int, archive_read_next_header, (struct archive * a, struct archive_entry * *e), (a, e))    \
	X(la_ssize_t, archive_read_data, (struct archive * a, void *b, size_t n), (a, b, n))         \
	X(int, archive_read_free, (struct archive * a), (a))                                         \
	X(const char *, archive_error_string, (struct archive * a), (a))                             \
	X(struct archive *, archive_write_new, (void), ())                                           \
	X(int, archive_write_set_format_pax_restricted, (struct archive * a), (a))                   \
	X(int, archive_write_set_bytes_in_last_block, (struct archive * a, int n), (a, n))           \
	X(int, archive_write_set_bytes_per_block, (struct archive * a, int n), (a, n))              \
	X(int, archive_write_open_fd, (struct archive * a, int fd), (a, fd))                         \
	X(int, archive_write_header, (struct archive * a, struct archive_entry * e), (a, e))         \
	X(la_ssize_t, archive_write_data, (struct archive * a, const void *b, size_t n), (a, b, n))  \
	X(int, archive_write_close, (struct archive * a), (a))                                       \
	X(int, archive_write_free, (struct archive * a), (a))                                        \
	X(struct archive_entry *, archive_entry_clone, (struct archive_entry * e), (e))             \
	V(archive_entry_free, (struct archive_entry * e), (e))                                       \
	X(__LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e))                      \
	X(const char *, archive_entry_pathname, (struct archive_entry * e), (e))                     \
	X(const char *, archive_entry_hardlink, (struct archive_entry * e), (e))                     \
	X(const char *, archive_entry_symlink, (struct archive_entry * e), (e))                      \
	X(la_int64_t, archive_entry_size, (struct archive_entry * e), (e))                           \
	X(int, archive_entry_size_is_set, (struct archive_entry * e), (e))                           \
	V(archive_entry_set_pathname, (struct archive_entry * e, const char *s), (e, s))             \
	V(archive_entry_set_hardlink, (struct archive_entry * e, const char *s), (e, s))             \
	V(archive_entry_set_uname, (struct archive_entry * e, const char *s), (e, s))                \
	V(archive_entry_set_gname, (struct archive_entry * e, const char *s), (e, s))                \
	V(archive_entry_set_size, (struct archive_entry * e, la_int64_t n), (e, n))                  \
	V(archive_entry_set_dev, (struct archive_entry * e, dev_t d), (e, d))                        \
	V(archive_entry_set_ino, (struct archive_entry * e, la_int64_t n), (e, n))

#define ISAL_FNS(X, V)                                                                             \
	V(isal_inflate_init, (struct inflate_state * st), (st))                                      \
	V(isal_inflate_reset, (struct inflate_state * st), (st))                                     \
	X(int, isal_inflate, (struct inflate_state * st), (st))

#define FIELD(ret, name, params, args) ret(*name) params;
#define VFIELD(name, params, args) void(*name) params;
#define LOAD(ret, name, params, args) resolve(h, SONAME, #name, &T.name, sizeof(T.name));
#define VLOAD(name, params, args) LOAD(void, name, params, args)

static struct {
	CURL_FNS(FIELD, VFIELD)
	CURLcode (*curl_easy_setopt)(CURL *curl, CURLoption opt, ...);
	CURLcode (*curl_easy_getinfo)(CURL *curl, CURLINFO info, ...);
} C;
static struct {
	ARCHIVE_FNS(FIELD, VFIELD)
} A;
static struct {
	ISAL_FNS(FIELD, VFIELD)
} I;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT, archive_once = PTHREAD_ONCE_INIT,
		      isal_once = PTHREAD_ONCE_INIT;

static void load_curl(void)
{
#define T C
#define SONAME CURL_SONAME
	void *h = open_lib(SONAME);
	CURL_FNS(LOAD, VLOAD)
	LOAD(CURLcode, curl_easy_setopt, , )
	LOAD(CURLcode, curl_easy_getinfo, , )
#undef T
#undef SONAME
}

static void load_archive(void)
{
#define T A
#define SONAME ARCHIVE_SONAME
	void *h = open_lib(SONAME);
	ARCHIVE_FNS(LOAD, VLOAD)
#undef T
#undef SONAME
}

static void load_isal(void)
{
#define T I
#define SONAME ISAL_SONAME
	void *h = open_lib(SONAME);
	ISAL_FNS(LOAD, VLOAD)
#undef T
#undef SONAME
}

/* A forwarder: load the library once (ONCE, LOAD), then call through its
 * table (TAB). */
#define WRAP(once, load, tab, ret, name, params, args)                                             \
	ret name params                                                                            \
	{                                                                                          \
		pthread_once(&once, load);                                                         \
		return tab.name args;                                                              \
	}
#define VWRAP(once, load, tab, name, params, args)                                                 \
	void name params                                                                           \
	{                                                                                          \
		pthread_once(&once, load);                                                         \
		tab.name args;                                                                     \
	}
#define CURL_WRAP(r, n, p, a) WRAP(curl_once, load_curl, C, r, n, p, a)
#define CURL_VWRAP(n, p, a) VWRAP(curl_once, load_curl, C, n, p, a)
#define ARCHIVE_WRAP(r, n, p, a) WRAP(archive_once, load_archive, A, r, n, p, a)
#define ARCHIVE_VWRAP(n, p, a) VWRAP(archive_once, load_archive, A, n, p, a)
#define ISAL_WRAP(r, n, p, a) WRAP(isal_once, load_isal, I, r, n, p, a)
#define ISAL_VWRAP(n, p, a) VWRAP(isal_once, load_isal, I, n, p, a)
CURL_FNS(CURL_WRAP, CURL_VWRAP)
ARCHIVE_FNS(ARCHIVE_WRAP, ARCHIVE_VWRAP)
ISAL_FNS(ISAL_WRAP, ISAL_VWRAP)

/* The option's number says the type of its one argument (curl.h's
 * CURLOPTTYPE_* ranges); it is passed on as that type. */
CURLcode curl_easy_setopt(CURL *curl, CURLoption opt, ...)
{
	va_list ap;
	CURLcode r;

	pthread_once(&curl_once, load_curl);
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT) {
		r = C.curl_easy_setopt(curl, opt, va_arg(ap, long));
	} else if (opt < CURLOPTTYPE_FUNCTIONPOINT) {
		r = C.curl_easy_setopt(curl, opt, va_arg(ap, void *));
	} else if (opt < CURLOPTTYPE_OFF_T) {
		void (*fn)(void) = va_arg(ap, void (*)(void));
		r = C.curl_easy_setopt(curl, opt, fn);
	} else if (opt < CURLOPTTYPE_BLOB) {
		r = C.curl_easy_setopt(curl, opt, va_arg(ap, curl_off_t));
	} else {
		r = C.curl_easy_setopt(curl, opt, va_arg(ap, struct curl_blob *));
	}
	va_end(ap);
	return r;
}

/* Every CURLINFO takes a pointer to where the value goes. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	va_list ap;
	CURLcode r;

	pthread_once(&curl_once, load_curl);
	va_start(ap, info);
	r = C.curl_easy_getinfo(curl, info, va_arg(ap, void *));
	va_end(ap);
	return r;
}
