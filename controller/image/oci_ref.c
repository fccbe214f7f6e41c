/* Image reference parsing: Docker's normalisation rules, written from the
 * grammar in docker/distribution's reference package. */
#include "oci_ref.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int spore_ref_tag_valid(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > SPORE_REF_TAG_MAX)
		return 0;
	if (!(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)t[i]) || strchr("._-", t[i])))
			return 0;
	return 1;
}

/* One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static int component_valid(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !is_lower_alnum(s[0]))
		return 0;
	while (i < n) {
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return 1;
		size_t sep = i;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		if (i == sep || i == n || !is_lower_alnum(s[i]))
			return 0;
	}
	return 1;
}

static int repo_valid(const char *s)
{
	const char *p = s;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (!component_valid(p, n))
			return 0;
		if (!slash)
			return 1;
		p = slash + 1;
	}
}

/* host[:port]: letters, digits, '.', '-'; a numeric port. IPv6 literals are
 * not supported. */
static int domain_valid(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t hn = colon ? (size_t)(colon - s) : strlen(s);
	if (hn == 0)
		return 0;
	for (size_t i = 0; i < hn; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '.' || s[i] == '-'))
			return 0;
	if (colon) {
		const char *p = colon + 1;
		if (!*p || strlen(p) > 5)
			return 0;
		for (; *p; p++)
			if (!isdigit((unsigned char)*p))
				return 0;
	}
	return 1;
}

static int copy(char *dst, size_t n, const char *src, size_t len)
{
	if (len >= n)
		return -1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

static int parse_local(const char *s, struct spore_ref *ref, struct spore_err *err)
{
	const char *arg;
	if (!strncmp(s, "oci:", 4)) {
		ref->kind = SPORE_REF_OCI_DIR;
		arg = s + 4;
		/* A trailing ":TAG" with no '/' after it is a tag; DIR may contain ':'. */
		const char *colon = strrchr(arg, ':');
		size_t n = strlen(arg);
		if (colon && !strchr(colon, '/') && spore_ref_tag_valid(colon + 1)) {
			strcpy(ref->tag, colon + 1);
			n = (size_t)(colon - arg);
		}
		if (n == 0)
			return spore_err_setx(err, EINVAL, "invalid reference '%s': no directory after 'oci:'", s);
		if (copy(ref->path, sizeof(ref->path), arg, n))
			return spore_err_setx(err, EINVAL, "invalid reference '%s': path too long", s);
		return 0;
	}
	ref->kind = SPORE_REF_DOCKER_ARCHIVE;
	arg = s + strlen("docker-archive:");
	if (!*arg)
		return spore_err_setx(err, EINVAL, "invalid reference '%s': no file after 'docker-archive:'", s);
	if (copy(ref->path, sizeof(ref->path), arg, strlen(arg)))
		return spore_err_setx(err, EINVAL, "invalid reference '%s': path too long", s);
	return 0;
}

int spore_ref_parse(const char *s, struct spore_ref *ref, struct spore_err *err)
{
	char name[512];
	memset(ref, 0, sizeof(*ref));
	if (!s || !*s)
		return spore_err_setx(err, EINVAL, "invalid reference: empty");
	if (!strncmp(s, "oci:", 4) || !strncmp(s, "docker-archive:", 15))
		return parse_local(s, ref, err);
	const char *orig = s;
	if (!strncmp(s, "docker://", 9))
		s += 9;
	ref->kind = SPORE_REF_REGISTRY;
	if (strlen(s) >= sizeof(name))
		return spore_err_setx(err, EINVAL, "invalid reference '%s': too long", orig);
	strcpy(name, s);

	char *at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (!spore_digest_valid(at + 1))
			return spore_err_setx(err, EINVAL,
					      "invalid reference '%s': the digest must be sha256: and 64 lowercase hex digits",
					      orig);
		strcpy(ref->digest, at + 1);
	}
	char *slash = strchr(name, '/');
	char *rest = name;
	if (slash && (memchr(name, '.', slash - name) || memchr(name, ':', slash - name) ||
		      !strncmp(name, "localhost/", 10))) {
		*slash = '\0';
		if (!domain_valid(name) || strlen(name) >= sizeof(ref->domain))
			return spore_err_setx(err, EINVAL, "invalid reference '%s': bad registry '%s'", orig, name);
		if (!strcmp(name, "index.docker.io"))
			strcpy(ref->domain, "docker.io");
		else
			strcpy(ref->domain, name);
		rest = slash + 1;
	} else {
		strcpy(ref->domain, "docker.io");
	}
	char *lastslash = strrchr(rest, '/');
	char *colon = strrchr(lastslash ? lastslash : rest, ':');
	if (colon) {
		*colon = '\0';
		if (!spore_ref_tag_valid(colon + 1))
			return spore_err_setx(err, EINVAL,
					      "invalid reference '%s': bad tag '%s' (letters, digits, '_', '.', '-'; at most 128)",
					      orig, colon + 1);
		strcpy(ref->tag, colon + 1);
	}
	if (!repo_valid(rest))
		return spore_err_setx(err, EINVAL,
				      "invalid reference '%s': bad repository name '%s' (lowercase letters, digits, separators)",
				      orig, rest);
	int w;
	if (!strcmp(ref->domain, "docker.io") && !strchr(rest, '/'))
		w = snprintf(ref->repo, sizeof(ref->repo), "library/%s", rest);
	else
		w = snprintf(ref->repo, sizeof(ref->repo), "%s", rest);
	if (w < 0 || (size_t)w >= sizeof(ref->repo) || strlen(ref->domain) + 1 + strlen(ref->repo) > 255)
		return spore_err_setx(err, EINVAL, "invalid reference '%s': name longer than 255 characters", orig);
	if (!ref->tag[0] && !ref->digest[0])
		strcpy(ref->tag, "latest");
	return 0;
}

int spore_ref_str(const struct spore_ref *ref, char *buf, size_t n)
{
	int w;
	switch (ref->kind) {
	case SPORE_REF_OCI_DIR:
		w = snprintf(buf, n, "oci:%s%s%s", ref->path, ref->tag[0] ? ":" : "", ref->tag);
		break;
	case SPORE_REF_DOCKER_ARCHIVE:
		w = snprintf(buf, n, "docker-archive:%s", ref->path);
		break;
	default:
		w = snprintf(buf, n, "%s/%s%s%s%s%s", ref->domain, ref->repo, ref->tag[0] ? ":" : "",
			     ref->tag, ref->digest[0] ? "@" : "", ref->digest);
	}
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

const char *spore_ref_endpoint(const struct spore_ref *ref)
{
	return strcmp(ref->domain, "docker.io") ? ref->domain : "registry-1.docker.io";
}

int spore_ref_absolute(struct spore_ref *ref, struct spore_err *err)
{
	char abs[PATH_MAX];
	if (ref->kind == SPORE_REF_REGISTRY)
		return 0;
	if (!realpath(ref->path, abs))
		return spore_err_set(err, errno, "%s", ref->path);
	snprintf(ref->path, sizeof(ref->path), "%s", abs);
	return 0;
}
