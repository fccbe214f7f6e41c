/* config.json for spore-runc (oci_spec.h). */
#include "oci_spec.h"

#include <spore/bundle.h>
#include <spore/log.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A string with no NUL inside (jansson keeps \u0000 in the length). */
static const char *clean_str(json_t *v)
{
	const char *s = json_string_value(v);

	if (!s || strlen(s) != json_string_length(v))
		return NULL;
	return s;
}

/* Optional string at key: 0 (absent: *out untouched) or -EINVAL. */
static int opt_str(json_t *obj, const char *key, const char *where, const char **out,
		   struct spore_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!(*out = clean_str(v)))
		return spore_err_setx(err, EINVAL, "config.json: %s%s: not a string", where, key);
	return 0;
}

static int opt_bool(json_t *obj, const char *key, const char *where, bool *out,
		    struct spore_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return spore_err_setx(err, EINVAL, "config.json: %s%s: not a boolean", where, key);
	*out = json_is_true(v);
	return 0;
}

static int opt_int(json_t *obj, const char *key, const char *where, int64_t *out,
		   struct spore_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return spore_err_setx(err, EINVAL, "config.json: %s%s: not an integer", where, key);
	*out = json_integer_value(v);
	return 0;
}

/* An optional object: NULL when absent, -EINVAL when not an object. */
static int opt_obj(json_t *obj, const char *key, const char *where, json_t **out,
		   struct spore_err *err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return spore_err_setx(err, EINVAL, "config.json: %s%s: not an object", where, key);
	*out = v;
	return 0;
}

/* A NULL-terminated array of the strings of arr (at most max); env drops
 * entries without '=' as docker does with an image's Env. */
static int str_array(json_t *arr, const char *what, size_t max, bool env, const char ***out,
		     size_t *n, struct spore_err *err)
{
	size_t i, k = 0;
	json_t *v;
	const char **a;

	if (!json_is_array(arr))
		return spore_err_setx(err, EINVAL, "config.json: %s: not an array", what);
	if (json_array_size(arr) > max)
		return spore_err_setx(err, E2BIG, "config.json: %s: more than %zu entries", what,
				      max);
	if (!(a = calloc(json_array_size(arr) + 1, sizeof(*a))))
		return spore_err_set(err, ENOMEM, "config.json: %s", what);
	json_array_foreach(arr, i, v) {
		const char *s = clean_str(v);

		if (!s) {
			free(a);
			return spore_err_setx(err, EINVAL, "config.json: %s[%zu]: not a string", what, i);
		}
		if (env && (!strchr(s, '=') || *s == '=')) {
			log_info("config.json: %s[%zu] has no name=value: dropped", what, i);
			continue;
		}
		a[k++] = s;
	}
	*out = a;
	*n = k;
	return 0;
}

void spore_oci_sizes(int64_t mem_limit, int64_t quota, uint64_t period, uint64_t *memory_mib,
		     uint32_t *vcpus, uint16_t *cpu_cap)
{
	*memory_mib = SPORE_OCI_DEF_MEMORY_MIB;
	*vcpus = 1;
	*cpu_cap = 0;
	if (mem_limit > 0) {
		/* The limit is the guest's whole memory: a VM has no host-side
		 * overcommit to fall back on, so round up, never down. */
		uint64_t mib = ((uint64_t)mem_limit + (1u << 20) - 1) >> 20;
		*memory_mib = mib < SPORE_OCI_MIN_MEMORY_MIB ? SPORE_OCI_MIN_MEMORY_MIB : mib;
	}
	if (quota > 0) {
		uint64_t p = period ? period : 100000;
		uint64_t q = (uint64_t)quota;
		uint64_t max = (uint64_t)SPORE_OCI_MAX_VCPUS * p;

		if (q > max)
			q = max;
		*vcpus = (uint32_t)((q + p - 1) / p);
		*cpu_cap = (uint16_t)((q * 100 + p - 1) / p);
	}
}

/* The bind mounts of the small files a guest takes; the rest are the
 * guest's own (proc, sysfs, dev, tmpfs, cgroup) or not supported yet. */
static int parse_mounts(json_t *mounts, struct spore_oci_spec *s, struct spore_err *err)
{
	static const char *const small[] = {"/etc/hosts", "/etc/resolv.conf", "/etc/hostname"};
	size_t i;
	json_t *m;

	if (!mounts)
		return 0;
	if (!json_is_array(mounts))
		return spore_err_setx(err, EINVAL, "config.json: mounts: not an array");
	json_array_foreach(mounts, i, m) {
		const char *dst = NULL, *src = NULL, *type = NULL;
		char where[32];
		bool is_small = false;

		snprintf(where, sizeof(where), "mounts[%zu].", i);
		if (!json_is_object(m))
			return spore_err_setx(err, EINVAL, "config.json: mounts[%zu]: not an object", i);
		if (opt_str(m, "destination", where, &dst, err) < 0 ||
		    opt_str(m, "source", where, &src, err) < 0 || opt_str(m, "type", where, &type, err) < 0)
			return -EINVAL;
		if (!dst)
			return spore_err_setx(err, EINVAL, "config.json: mounts[%zu]: no destination", i);
		for (size_t k = 0; k < sizeof(small) / sizeof(small[0]); k++)
			is_small |= !strcmp(dst, small[k]);
		if (!is_small || (type && strcmp(type, "bind") && strcmp(type, "none"))) {
			log_info("config.json: mount on %s ignored (the guest's own or unsupported)", dst);
			continue;
		}
		if (!src || src[0] != '/')
			return spore_err_setx(err, EINVAL, "config.json: mounts[%zu]: %s: source not absolute",
					      i, dst);
		for (size_t k = 0; k < s->nfiles; k++)
			if (!strcmp(s->files[k].target, dst))
				return spore_err_setx(err, EINVAL, "config.json: mounts: %s twice", dst);
		s->files[s->nfiles].target = dst;
		s->files[s->nfiles].source = src;
		s->nfiles++;
	}
	return 0;
}

static int parse_process(json_t *proc, struct spore_oci_spec *s, struct spore_err *err)
{
	json_t *user, *args, *env;
	int64_t uid = 0, gid = 0;
	int r;

	if (!proc)
		return spore_err_setx(err, EINVAL, "config.json: no process");
	if (!json_is_object(proc))
		return spore_err_setx(err, EINVAL, "config.json: process: not an object");
	if (!(args = json_object_get(proc, "args")))
		return spore_err_setx(err, EINVAL, "config.json: process.args: missing");
	if ((r = str_array(args, "process.args", SPORE_OCI_MAX_ARGS, false, &s->argv, &s->argc, err)) < 0)
		return r;
	if (s->argc == 0 || !*s->argv[0])
		return spore_err_setx(err, EINVAL, "config.json: process.args: empty");
	if ((env = json_object_get(proc, "env"))) {
		if ((r = str_array(env, "process.env", SPORE_OCI_MAX_ENV, true, &s->envp, &s->envc, err)) < 0)
			return r;
	} else if (!(s->envp = calloc(1, sizeof(*s->envp)))) {
		return spore_err_set(err, ENOMEM, "config.json: process.env");
	}
	s->cwd = "/";
	if (opt_str(proc, "cwd", "process.", &s->cwd, err) < 0 ||
	    opt_bool(proc, "terminal", "process.", &s->terminal, err) < 0 ||
	    opt_obj(proc, "user", "process.", &user, err) < 0)
		return -EINVAL;
	if (!spore_bundle_path_ok(s->cwd))
		return spore_err_setx(err, EINVAL, "config.json: process.cwd: not an absolute path without . or ..");
	if (user && (opt_int(user, "uid", "process.user.", &uid, err) < 0 ||
		     opt_int(user, "gid", "process.user.", &gid, err) < 0))
		return -EINVAL;
	if (uid < 0 || uid > UINT32_MAX - 1 || gid < 0 || gid > UINT32_MAX - 1)
		return spore_err_setx(err, EINVAL, "config.json: process.user: uid or gid out of range");
	snprintf(s->user, sizeof(s->user), "%lld:%lld", (long long)uid, (long long)gid);
	/* capabilities, rlimits, noNewPrivileges, apparmor, selinux, oom score:
	 * inside a guest of its own the container is root of nothing else. */
	return 0;
}

static int parse_linux(json_t *lx, struct spore_oci_spec *s, struct spore_err *err)
{
	json_t *res = NULL, *mem = NULL, *cpu = NULL;
	int64_t limit = 0, quota = 0, period = 0;

	if (lx && !json_is_object(lx))
		return spore_err_setx(err, EINVAL, "config.json: linux: not an object");
	if (lx && (opt_obj(lx, "resources", "linux.", &res, err) < 0 ||
		   (res && (opt_obj(res, "memory", "linux.resources.", &mem, err) < 0 ||
			    opt_obj(res, "cpu", "linux.resources.", &cpu, err) < 0)) ||
		   (mem && opt_int(mem, "limit", "linux.resources.memory.", &limit, err) < 0) ||
		   (cpu && (opt_int(cpu, "quota", "linux.resources.cpu.", &quota, err) < 0 ||
			    opt_int(cpu, "period", "linux.resources.cpu.", &period, err) < 0))))
		return -EINVAL;
	if (period < 0)
		return spore_err_setx(err, EINVAL, "config.json: linux.resources.cpu.period: negative");
	spore_oci_sizes(limit, quota, (uint64_t)period, &s->memory_mib, &s->vcpus, &s->cpu_cap);
	/* namespaces, cgroupsPath, seccomp, devices, maskedPaths, readonlyPaths,
	 * sysctl, the other resources: a VM boundary replaces them. */
	return 0;
}

int spore_oci_spec_parse(const char *buf, size_t len, struct spore_oci_spec *s,
			 struct spore_err *err)
{
	json_error_t jerr;
	json_t *root, *rootfs, *ann;
	const char *ctype = NULL;
	int r = -EINVAL;

	memset(s, 0, sizeof(*s));
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	s->json = root;
	if (!root) {
		spore_err_setx(err, EINVAL, "config.json: line %d: %s", jerr.line, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		spore_err_setx(err, EINVAL, "config.json: not an object");
		goto out;
	}
	if ((r = parse_process(json_object_get(root, "process"), s, err)) < 0)
		goto out;
	r = -EINVAL;
	if (opt_obj(root, "root", "", &rootfs, err) < 0)
		goto out;
	if (!rootfs || opt_str(rootfs, "path", "root.", &s->root_path, err) < 0 ||
	    opt_bool(rootfs, "readonly", "root.", &s->root_readonly, err) < 0)
		goto out_root;
	if (!s->root_path || !*s->root_path)
		goto out_root;
	if (opt_str(root, "hostname", "", &s->hostname, err) < 0)
		goto out;
	if (s->hostname && !*s->hostname)
		s->hostname = NULL;
	if (s->hostname && !spore_bundle_hostname_ok(s->hostname)) {
		spore_err_setx(err, EINVAL, "config.json: hostname: not [A-Za-z0-9.-], 1..64");
		goto out;
	}
	if (parse_mounts(json_object_get(root, "mounts"), s, err) < 0)
		goto out;
	if (parse_linux(json_object_get(root, "linux"), s, err) < 0)
		goto out;
	if (opt_obj(root, "annotations", "", &ann, err) < 0)
		goto out;
	if (ann && opt_str(ann, "io.kubernetes.cri.container-type", "annotations.", &ctype, err) < 0)
		goto out;
	s->sandbox = ctype && !strcmp(ctype, "sandbox");
	r = 0;
	goto out;
out_root:
	if (!err || !err->code)
		spore_err_setx(err, EINVAL, "config.json: root.path: missing");
out:
	return r;
}

int spore_oci_spec_load(const char *bundle, struct spore_oci_spec *s, struct spore_err *err)
{
	char path[PATH_MAX];
	char *buf = NULL;
	struct stat st;
	ssize_t n = 0;
	int fd = -1, r;

	memset(s, 0, sizeof(*s));
	if ((size_t)snprintf(path, sizeof(path), "%s/config.json", bundle) >= sizeof(path)) {
		r = spore_err_setx(err, ENAMETOOLONG, "bundle %s: path too long", bundle);
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		r = spore_err_set(err, errno, "%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SPORE_OCI_MAX_SIZE) {
		r = spore_err_setx(err, EINVAL, "%s: not a regular file of at most %u bytes", path,
				   SPORE_OCI_MAX_SIZE);
		goto out;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		r = spore_err_set(err, ENOMEM, "%s", path);
		goto out;
	}
	while (n < st.st_size) {
		ssize_t k = read(fd, buf + n, (size_t)(st.st_size - n));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = spore_err_set(err, k < 0 ? errno : EIO, "%s: read", path);
			goto out;
		}
		n += k;
	}
	r = spore_oci_spec_parse(buf, (size_t)n, s, err);
	if (r < 0)
		spore_err_wrap(err, "%s", bundle);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

void spore_oci_spec_free(struct spore_oci_spec *s)
{
	if (!s)
		return;
	free(s->argv);
	free(s->envp);
	json_decref(s->json);
	memset(s, 0, sizeof(*s));
}
