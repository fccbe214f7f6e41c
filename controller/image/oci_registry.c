/* Registry client: GET manifests and blobs, with the token dance.
 *
 * Every transfer goes through one sink that hashes what it keeps and refuses
 * to keep more than it was told to expect, so a lying or hostile registry
 * costs at most the descriptor's size in bytes. Bodies of non-2xx responses
 * never reach the sink; a bounded prefix is kept for the error message. */
#include "oci_auth.h"
#include "oci_registry.h"
#include <spore/log.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define ERRBODY_MAX 4096
#define TOKEN_MAX   (64u << 10)
#define CA_FILE_MAX (4u << 20)

struct spore_registry {
	CURL *curl;
	char base[300];   /* scheme://host[:port] */
	char domain[256];
	char repo[256];
	char *basic;      /* base64 user:password, or NULL */
	char basic_from[4096]; /* the auth file it came from */
	char auth[TOKEN_MAX + 32]; /* "Authorization: ..." or "" */
	/* CAs to trust: the system's plus the registry's certs.d *.crt, when
	 * it has any; else NULL (libcurl's default). Clones share the
	 * original's, which outlives them. */
	char *ca;
	size_t ca_len;
	bool owns_ca;
	char ca_dir[4096];
	spore_progress_fn progress;
	void *progress_arg;
};

/* Where a transfer's body goes. */
struct sink {
	struct spore_registry *r;
	char *mem;            /* memory mode: grows up to limit */
	size_t len;
	int fd;               /* file mode when >= 0 */
	uint64_t base;        /* file mode: bytes already in fd, asked for with Range */
	bool started, bad_range;
	uint64_t limit;
	bool over;
	struct spore_hasher h;
	char errbody[ERRBODY_MAX + 1];
	size_t errlen;
	struct spore_reply_headers hdr;
};

static void hdr_value(char *dst, size_t n, const char *v, size_t vlen)
{
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	if (vlen >= n)
		vlen = n - 1;
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
}

/* A transfer slower than STALL_RATE bytes/s for stall_seconds() is given up
 * (what arrived stays, for the next pull to resume): a registry that stalls
 * or trickles must not hold a pull, and the cache lock, forever. */
#define STALL_RATE 1024L

static long stall_seconds(void)
{
	const char *v = getenv("SPORE_REGISTRY_TIMEOUT");
	char *end;
	long s = v && *v ? strtol(v, &end, 10) : 0;
	return v && *v && !*end && s >= 1 && s <= 3600 ? s : 30;
}

void spore_reply_header(struct spore_reply_headers *h, const char *buf, size_t n)
{
	static const struct {
		const char *name;
		size_t off, len;
	} want[] = {
#define H(name, field) {name, offsetof(struct spore_reply_headers, field), \
			 sizeof(((struct spore_reply_headers *)0)->field)}
		H("content-type:", content_type),
		H("docker-content-digest:", dcd),
		H("www-authenticate:", www_auth),
		H("retry-after:", retry_after),
		H("content-range:", content_range),
#undef H
	};
	if (n >= 5 && !strncmp(buf, "HTTP/", 5)) { /* a new response: forget the last one's */
		memset(h, 0, sizeof(*h));
		return;
	}
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		size_t k = strlen(want[i].name);
		if (n > k && !strncasecmp(buf, want[i].name, k))
			hdr_value((char *)h + want[i].off, want[i].len, buf + k, n - k);
	}
}

static size_t on_header(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;
	spore_reply_header(&s->hdr, buf, n);
	return n;
}

static size_t on_body(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;
	long code = 0;
	curl_easy_getinfo(s->r->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		size_t k = n < ERRBODY_MAX - s->errlen ? n : ERRBODY_MAX - s->errlen;
		memcpy(s->errbody + s->errlen, buf, k);
		s->errlen += k;
		s->errbody[s->errlen] = '\0';
		return n;
	}
	if (!s->started) {
		s->started = true;
		if (s->base && code == 200) { /* Range ignored: start over */
			if (ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0)
				return 0;
			spore_hasher_free(&s->h);
			if (spore_hasher_init(&s->h, NULL) < 0)
				return 0;
			s->base = 0;
		} else if (s->base) {
			char want[40];
			snprintf(want, sizeof(want), "bytes %llu-", (unsigned long long)s->base);
			if (code != 206 || strncmp(s->hdr.content_range, want, strlen(want))) {
				s->bad_range = true;
				return 0;
			}
		}
	}
	if (s->h.bytes + n > s->limit) {
		s->over = true;
		return 0; /* aborts the transfer */
	}
	if (s->fd >= 0) {
		for (size_t off = 0; off < n;) {
			ssize_t w = write(s->fd, buf + off, n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return 0;
			off += (size_t)w;
		}
	} else {
		char *m = realloc(s->mem, s->len + n + 1);
		if (!m)
			return 0;
		s->mem = m;
		memcpy(s->mem + s->len, buf, n);
		s->len += n;
		s->mem[s->len] = '\0';
	}
	spore_hasher_update(&s->h, buf, n);
	if (s->fd >= 0 && s->r->progress)
		s->r->progress(s->r->progress_arg, s->h.bytes);
	return n;
}

int spore_challenge_parse(const char *hdr, struct spore_challenge *c)
{
	memset(c, 0, sizeof(*c));
	const char *p = hdr;
	size_t n = strcspn(p, " \t");
	if (n == 0 || n >= sizeof(c->scheme))
		return -EINVAL;
	memcpy(c->scheme, p, n);
	p += n;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		const char *key = p;
		size_t klen = strcspn(p, "= \t,");
		p += klen;
		if (*p != '=')
			return -EINVAL;
		p++;
		char val[1024];
		size_t vlen = 0;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (vlen + 1 < sizeof(val))
					val[vlen++] = *p;
			}
			if (*p != '"')
				return -EINVAL;
			p++;
		} else {
			for (; *p && *p != ',' && *p != ' '; p++)
				if (vlen + 1 < sizeof(val))
					val[vlen++] = *p;
		}
		val[vlen] = '\0';
		char *dst = NULL;
		size_t dn = 0;
		if (klen == 5 && !strncasecmp(key, "realm", 5))
			dst = c->realm, dn = sizeof(c->realm);
		else if (klen == 7 && !strncasecmp(key, "service", 7))
			dst = c->service, dn = sizeof(c->service);
		else if (klen == 5 && !strncasecmp(key, "scope", 5))
			dst = c->scope, dn = sizeof(c->scope);
		if (dst)
			snprintf(dst, dn, "%s", val);
	}
	return 0;
}

bool spore_registry_is_loopback(const char *domain)
{
	char host[256];
	snprintf(host, sizeof(host), "%s", domain);
	char *colon = strrchr(host, ':');
	if (colon)
		*colon = '\0';
	/* A numeric 127/8 address only: "127.example.com" could resolve anywhere. */
	struct in_addr a;
	return !strcmp(host, "localhost") ||
	       (inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127);
}

static bool listed(const char *domain, const char *list)
{
	size_t n = strlen(domain);
	for (const char *p = list; p && *p;) {
		size_t k = strcspn(p, ", ");
		if (k == n && !strncmp(p, domain, n))
			return true;
		p += k;
		p += strspn(p, ", ");
	}
	return false;
}

/* Appends a file's bytes (at most CA_FILE_MAX) and a newline to *buf. */
static int append_file(const char *path, char **buf, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), r = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CA_FILE_MAX) {
		r = -EINVAL;
		goto out;
	}
	char *b = realloc(*buf, *len + (size_t)st.st_size + 2);
	if (!b) {
		r = -ENOMEM;
		goto out;
	}
	*buf = b;
	ssize_t n = pread(fd, b + *len, (size_t)st.st_size, 0);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	*len += (size_t)n;
	b[(*len)++] = '\n';
	b[*len] = '\0';
out:
	close(fd);
	return r;
}

/* The certs.d directory for domain: $SPORE_CERTS_DIR/<domain> alone when
 * set, else the first of /etc/spore, /etc/containers and /etc/docker's
 * certs.d/<domain> that exists (the layout docker and podman use). */
static bool certs_dir(const char *domain, char *dir, size_t n)
{
	static const char *const roots[] = {"/etc/spore/certs.d", "/etc/containers/certs.d",
					    "/etc/docker/certs.d"};
	const char *env = getenv("SPORE_CERTS_DIR");
	struct stat st;
	if (!*domain || strchr(domain, '/') || domain[0] == '.')
		return false;
	for (size_t i = 0; i < (env && *env ? 1 : sizeof(roots) / sizeof(roots[0])); i++) {
		int w = snprintf(dir, n, "%s/%s", env && *env ? env : roots[i], domain);
		if (w > 0 && (size_t)w < n && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			return true;
	}
	return false;
}

/* Where a private CA for domain goes, for messages. */
static const char *certs_hint(const char *domain, char *buf, size_t n)
{
	const char *env = getenv("SPORE_CERTS_DIR");
	snprintf(buf, n, "%s/%s/ca.crt", env && *env ? env : "/etc/spore/certs.d", domain);
	return buf;
}

/* Loads the system's CAs plus the *.crt files of the registry's certs.d
 * directory into r->ca, if that directory has any. */
static int load_cas(struct spore_registry *r, struct spore_err *err)
{
	char path[4400];
	struct dirent *de;
	size_t extra = 0;
	int e = 0;
	if (!certs_dir(r->domain, r->ca_dir, sizeof(r->ca_dir)))
		return 0;
	DIR *d = opendir(r->ca_dir);
	if (!d)
		return spore_err_set(err, errno, "reading %s", r->ca_dir);
	while ((de = readdir(d)) && e == 0) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".crt") || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", r->ca_dir, de->d_name);
		e = append_file(path, &r->ca, &r->ca_len);
		extra++;
	}
	closedir(d);
	if (e < 0)
		return spore_err_set(err, e, "reading the CA certificate %s", path);
	if (!extra)
		return 0;
	/* A blob replaces libcurl's CA file: put the system's back in. */
	char *sys = NULL;
	if (curl_easy_getinfo(r->curl, CURLINFO_CAINFO, &sys) != CURLE_OK || !sys)
		sys = "/etc/ssl/certs/ca-certificates.crt";
	if (append_file(sys, &r->ca, &r->ca_len) < 0)
		log_debug("no system CA bundle at %s; trusting %s only", sys, r->ca_dir);
	r->owns_ca = true;
	log_debug("trusting the CAs in %s for %s", r->ca_dir, r->domain);
	return 0;
}

int spore_registry_open(struct spore_registry **out, const struct spore_ref *ref,
			const struct spore_registry_opts *opts, struct spore_err *err)
{
	static bool inited;
	struct spore_registry *r;
	const char *ep = spore_ref_endpoint(ref);
	char cdir[4096];
	/* Loopback means plain HTTP, unless the registry has a certs.d entry. */
	bool plain = (spore_registry_is_loopback(ep) && !certs_dir(ref->domain, cdir, sizeof(cdir))) ||
		     listed(ref->domain, getenv("SPORE_INSECURE_REGISTRIES"));

	for (size_t i = 0; opts && i < opts->n_insecure; i++)
		plain = plain || !strcmp(opts->insecure[i], ref->domain);
	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			return spore_err_setx(err, EIO, "initialising libcurl failed");
		inited = true;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return spore_err_set(err, ENOMEM, "opening registry %s", ref->domain);
	snprintf(r->base, sizeof(r->base), "%s://%s", plain ? "http" : "https", ep);
	snprintf(r->domain, sizeof(r->domain), "%s", ref->domain);
	snprintf(r->repo, sizeof(r->repo), "%s", ref->repo);
	int e = spore_auth_lookup(ref->domain, &r->basic, r->basic_from, sizeof(r->basic_from), err);
	if (e < 0) {
		free(r);
		return e;
	}
	r->curl = curl_easy_init();
	if (!r->curl) {
		free(r->basic);
		free(r);
		return spore_err_setx(err, EIO, "initialising libcurl failed");
	}
	e = plain ? 0 : load_cas(r, err);
	if (e < 0) {
		spore_registry_close(r);
		return e;
	}
	*out = r;
	return 0;
}

void spore_registry_set_progress(struct spore_registry *r, spore_progress_fn fn, void *arg)
{
	r->progress = fn;
	r->progress_arg = arg;
}

int spore_registry_clone(struct spore_registry *r, struct spore_registry **out,
			 struct spore_err *err)
{
	struct spore_registry *c = malloc(sizeof(*c));
	if (!c)
		return spore_err_set(err, ENOMEM, "opening registry %s", r->domain);
	memcpy(c, r, sizeof(*c));
	c->owns_ca = false;
	c->basic = r->basic ? strdup(r->basic) : NULL;
	c->curl = curl_easy_init();
	if (!c->curl || (r->basic && !c->basic)) {
		spore_registry_close(c);
		return spore_err_setx(err, ENOMEM, "opening registry %s: out of memory", r->domain);
	}
	*out = c;
	return 0;
}

void spore_registry_close(struct spore_registry *r)
{
	if (!r)
		return;
	curl_easy_cleanup(r->curl);
	free(r->basic);
	if (r->owns_ca)
		free(r->ca);
	explicit_bzero(r->auth, sizeof(r->auth));
	free(r);
}

/* The registry's own words for a failure: its first error code and message. */
static void registry_says(const struct sink *s, char *buf, size_t n)
{
	json_t *j = s->errlen ? json_loadb(s->errbody, s->errlen, 0, NULL) : NULL;
	json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
	const char *code = json_string_value(json_object_get(e0, "code"));
	const char *msg = json_string_value(json_object_get(e0, "message"));
	buf[0] = '\0';
	if (code)
		snprintf(buf, n, ": %s%s%s", code, msg ? ": " : "", msg ? msg : "");
	json_decref(j);
}

/* Readies s for an attempt: empty, or (resuming) hashing the base bytes
 * already in the file. */
static int sink_start(struct sink *s, struct spore_err *err)
{
	char buf[65536];
	s->len = 0;
	s->over = s->started = s->bad_range = false;
	s->errlen = 0;
	s->errbody[0] = '\0';
	int e = spore_hasher_init(&s->h, err);
	if (e < 0 || s->fd < 0)
		return e;
	for (uint64_t off = 0; off < s->base;) {
		size_t want = s->base - off < sizeof(buf) ? (size_t)(s->base - off) : sizeof(buf);
		ssize_t n = pread(s->fd, buf, want, (off_t)off);
		if (n <= 0) { /* shorter than we thought: start over */
			s->base = 0;
			spore_hasher_free(&s->h);
			return sink_start(s, err);
		}
		spore_hasher_update(&s->h, buf, (size_t)n);
		off += (uint64_t)n;
	}
	if (ftruncate(s->fd, (off_t)s->base) < 0 || lseek(s->fd, (off_t)s->base, SEEK_SET) < 0) {
		spore_hasher_free(&s->h);
		return spore_err_set(err, errno, "preparing a download");
	}
	return 0;
}

static int perform(struct spore_registry *r, const char *url, const char *accept,
		   const char *auth, struct sink *s, long *code, struct spore_err *err)
{
	struct curl_slist *h = NULL;
	char acc[512], range[64];
	CURL *c = r->curl;
	curl_easy_reset(c);
	if (accept) {
		snprintf(acc, sizeof(acc), "Accept: %s", accept);
		h = curl_slist_append(h, acc);
	}
	if (auth && *auth)
		h = curl_slist_append(h, auth);
	if (s->fd >= 0 && s->base) {
		snprintf(range, sizeof(range), "Range: bytes=%llu-", (unsigned long long)s->base);
		h = curl_slist_append(h, range);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, STALL_RATE);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall_seconds());
	curl_easy_setopt(c, CURLOPT_USERAGENT, "spore");
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	struct curl_blob ca = {r->ca, r->ca_len, CURL_BLOB_NOCOPY};
	if (r->ca && curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca) != CURLE_OK) {
		curl_slist_free_all(h);
		return spore_err_setx(err, ENOTSUP, "%s: this libcurl cannot use the CAs of %s (no CAINFO_BLOB)",
				      url, r->ca_dir);
	}
	CURLcode cr = curl_easy_perform(c);
	curl_slist_free_all(h);
	*code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	if (s->over)
		return spore_err_setx(err, EFBIG, "%s: the registry sent more than the expected %llu bytes",
				      url, (unsigned long long)s->limit);
	if (s->bad_range)
		return spore_err_setx(err, EPROTO, "%s: the server answered a Range request with the wrong range",
				      url);
	/* ECONNABORTED: the transfer broke; what arrived may be resumed. */
	char hint[4400];
	if (cr == CURLE_PEER_FAILED_VERIFICATION)
		return spore_err_setx(err, EPROTO, "%s: %s%s%s%s", url, curl_easy_strerror(cr),
				      r->ca ? " (with the CAs of " : "; to trust a private CA put it in ",
				      r->ca ? r->ca_dir : certs_hint(r->domain, hint, sizeof(hint)),
				      r->ca ? ")" : "");
	if (cr == CURLE_OPERATION_TIMEDOUT)
		return spore_err_setx(err, ECONNABORTED,
				      "%s: the registry sent less than %ld bytes/s for %ld s (stalled or trickling; $SPORE_REGISTRY_TIMEOUT sets the wait)",
				      url, STALL_RATE, stall_seconds());
	if (cr != CURLE_OK)
		return spore_err_setx(err, ECONNABORTED, "%s: %s", url, curl_easy_strerror(cr));
	return 0;
}

static int spore_registry_authenticate(struct spore_registry *r, const char *hdr,
				       struct spore_err *err);

/* GET /v2/<repo>/<path> with authentication; the 2xx body lands in s. */
static int get(struct spore_registry *r, const char *path, const char *accept, struct sink *s,
	       struct spore_err *err)
{
	char url[1024];
	long code;
	bool tried_auth = false;
	int throttled = 0;
	snprintf(url, sizeof(url), "%s/v2/%s/%s", r->base, r->repo, path);
	for (;;) {
		int e = sink_start(s, err);
		if (e < 0)
			return e;
		e = perform(r, url, accept, r->auth, s, &code, err);
		if (e < 0) {
			spore_hasher_free(&s->h);
			return e;
		}
		if (code >= 200 && code <= 299)
			return 0;
		spore_hasher_free(&s->h);
		if (code == 401 && !tried_auth && s->hdr.www_auth[0]) {
			tried_auth = true;
			e = spore_registry_authenticate(r, s->hdr.www_auth, err);
			if (e < 0)
				return e;
			continue;
		}
		if (code == 429 && throttled < 3) {
			/* Back off as told (capped), else 1, 2, 4 s. */
			long wait = atol(s->hdr.retry_after);
			if (wait <= 0 || wait > 30)
				wait = 1L << throttled;
			throttled++;
			log_info("%s: rate limited (HTTP 429); retrying in %ld s", r->domain, wait);
			sleep((unsigned)wait);
			continue;
		}
		char why[512];
		registry_says(s, why, sizeof(why));
		if (code == 401 && tried_auth && !strncmp(r->auth, "Authorization: Basic ", 21))
			return spore_err_setx(err, EACCES, "%s: the registry refused the credentials from %s (HTTP 401%s)",
					      r->domain, r->basic_from, why);
		if (code == 401 || code == 403)
			return spore_err_setx(err, EACCES, "%s/%s: access denied (HTTP %ld%s)%s", r->domain,
					      r->repo, code, why,
					      r->basic ? "" : "; add credentials to ~/.docker/config.json");
		if (code == 404)
			return spore_err_setx(err, ENOENT, "%s/%s: %s not found (HTTP 404%s)", r->domain,
					      r->repo, path, why);
		if (code == 429)
			return spore_err_setx(err, EAGAIN, "%s: rate limited (HTTP 429%s%s)", r->domain,
					      s->hdr.retry_after[0] ? ", retry after " : "", s->hdr.retry_after);
		char hint[4500] = "", where[4400];
		if (code == 400 && strstr(s->errbody, "HTTPS server"))
			snprintf(hint, sizeof(hint), "; it speaks HTTPS: put its CA in %s",
				 certs_hint(r->domain, where, sizeof(where)));
		return spore_err_setx(err, EIO, "%s: HTTP %ld%s%s", url, code, why, hint);
	}
}

static int url_escape(CURL *c, const char *in, char *out, size_t n)
{
	char *e = curl_easy_escape(c, in, 0);
	if (!e)
		return -ENOMEM;
	int w = snprintf(out, n, "%s", e);
	curl_free(e);
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

/* Answers a 401's challenge: Basic with the stored credentials, or Bearer
 * with a token fetched from the realm. */
static int spore_registry_authenticate(struct spore_registry *r, const char *hdr,
				       struct spore_err *err)
{
	struct spore_challenge ch;
	if (spore_challenge_parse(hdr, &ch) < 0)
		return spore_err_setx(err, EPROTO, "%s: unparsable WWW-Authenticate header", r->domain);
	if (!strcasecmp(ch.scheme, "Basic")) {
		if (!r->basic)
			return spore_err_setx(err, EACCES,
					      "%s requires a login; add credentials for it to ~/.docker/config.json",
					      r->domain);
		snprintf(r->auth, sizeof(r->auth), "Authorization: Basic %s", r->basic);
		return 0;
	}
	if (strcasecmp(ch.scheme, "Bearer"))
		return spore_err_setx(err, ENOTSUP, "%s: unsupported authentication scheme '%s'", r->domain,
				      ch.scheme);
	if (strncmp(ch.realm, "https://", 8) && strncmp(ch.realm, "http://", 7))
		return spore_err_setx(err, EPROTO, "%s: token realm '%s' is not an http(s) URL", r->domain,
				      ch.realm);
	/* A plain-HTTP realm is only fine when the registry itself is plain. */
	if (!strncmp(ch.realm, "http://", 7) && strncmp(r->base, "http://", 7))
		return spore_err_setx(err, EPROTO, "%s: refusing a token realm over plain HTTP: %s", r->domain,
				      ch.realm);
	char scope[600], esc_service[600], esc_scope[1200], url[3000], basic[8300] = "";
	if (ch.scope[0])
		snprintf(scope, sizeof(scope), "%s", ch.scope);
	else
		snprintf(scope, sizeof(scope), "repository:%s:pull", r->repo);
	if (url_escape(r->curl, ch.service, esc_service, sizeof(esc_service)) < 0 ||
	    url_escape(r->curl, scope, esc_scope, sizeof(esc_scope)) < 0)
		return spore_err_setx(err, ENAMETOOLONG, "%s: token request too long", r->domain);
	snprintf(url, sizeof(url), "%s%sservice=%s&scope=%s", ch.realm, strchr(ch.realm, '?') ? "&" : "?",
		 esc_service, esc_scope);
	if (r->basic)
		snprintf(basic, sizeof(basic), "Authorization: Basic %s", r->basic);

	struct sink s = {.r = r, .fd = -1, .limit = TOKEN_MAX};
	long code;
	int e = spore_hasher_init(&s.h, err);
	if (e < 0)
		return e;
	e = perform(r, url, "application/json", basic, &s, &code, err);
	spore_hasher_free(&s.h);
	if (e < 0) {
		free(s.mem);
		return spore_err_wrap(err, "getting a token for %s", r->domain);
	}
	if (code != 200) {
		char why[512];
		registry_says(&s, why, sizeof(why));
		free(s.mem);
		return spore_err_setx(err, EACCES, "getting a token for %s/%s: HTTP %ld%s%s%s%s", r->domain,
				      r->repo, code, why, r->basic ? " (credentials from " : "",
				      r->basic ? r->basic_from : "", r->basic ? ")" : "");
	}
	json_t *j = s.mem ? json_loadb(s.mem, s.len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	free(s.mem);
	const char *tok = json_string_value(json_object_get(j, "token"));
	if (!tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	bool bad = !tok || !*tok || strlen(tok) > TOKEN_MAX || strpbrk(tok, "\r\n");
	if (!bad)
		snprintf(r->auth, sizeof(r->auth), "Authorization: Bearer %s", tok);
	json_decref(j);
	if (bad)
		return spore_err_setx(err, EPROTO, "getting a token for %s: the reply has no usable token",
				      r->domain);
	return 0;
}

int spore_registry_manifest(struct spore_registry *r, const char *which, char **body,
			    size_t *len, char *content_type, size_t ct_len,
			    char digest[SPORE_DIGEST_LEN + 1], struct spore_err *err)
{
	char path[300];
	struct sink s = {.r = r, .fd = -1, .limit = SPORE_MANIFEST_MAX};
	bool pinned = spore_digest_valid(which);
	if (!pinned && !spore_ref_tag_valid(which))
		return spore_err_setx(err, EINVAL, "invalid tag '%s'", which);
	snprintf(path, sizeof(path), "manifests/%s", which);
	int e = get(r, path, SPORE_MANIFEST_ACCEPT, &s, err);
	if (e < 0) {
		free(s.mem);
		if (e == -EFBIG)
			return spore_err_setx(err, EFBIG, "%s/%s:%s: the manifest is over the %u-byte limit",
					      r->domain, r->repo, which, SPORE_MANIFEST_MAX);
		return e;
	}
	spore_hasher_final(&s.h, digest);
	if (!s.mem) {
		return spore_err_setx(err, EBADMSG, "%s/%s:%s: the registry sent an empty manifest", r->domain,
				      r->repo, which);
	}
	if ((pinned && strcmp(digest, which)) ||
	    (spore_digest_valid(s.hdr.dcd) && strcmp(digest, s.hdr.dcd))) {
		free(s.mem);
		return spore_err_setx(err, EBADMSG,
				      "%s/%s:%s: the manifest's digest is %s, not the %s the registry promised",
				      r->domain, r->repo, which, digest, pinned ? which : s.hdr.dcd);
	}
	*body = s.mem;
	*len = s.len;
	if (content_type)
		snprintf(content_type, ct_len, "%s", s.hdr.content_type);
	return 0;
}

int spore_registry_blob(struct spore_registry *r, const struct spore_descriptor *d, int fd,
			uint64_t offset, struct spore_err *err)
{
	char path[300], got[SPORE_DIGEST_LEN + 1];
	struct sink s = {.r = r, .fd = fd, .limit = d->size, .base = offset < d->size ? offset : 0};
	if (!spore_digest_valid(d->digest))
		return spore_err_setx(err, EINVAL, "invalid blob digest '%s'", d->digest);
	snprintf(path, sizeof(path), "blobs/%s", d->digest);
	int e = get(r, path, NULL, &s, err);
	if (e < 0) {
		if (e == -EFBIG)
			return spore_err_setx(err, EFBIG, "blob %s from %s: larger than the %llu bytes its descriptor says",
					      d->digest, r->domain, (unsigned long long)d->size);
		return e;
	}
	uint64_t n = s.h.bytes;
	spore_hasher_final(&s.h, got);
	if (n != d->size)
		return spore_err_setx(err, EBADMSG, "blob %s from %s: got %llu bytes, want %llu", d->digest,
				      r->domain, (unsigned long long)n, (unsigned long long)d->size);
	if (strcmp(got, d->digest))
		return spore_err_setx(err, EBADMSG, "blob %s from %s: content has digest %s (corrupt or tampered)",
				      d->digest, r->domain, got);
	return 0;
}
