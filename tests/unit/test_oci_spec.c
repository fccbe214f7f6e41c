/* spore-runc's config.json parser (runtime/spec/). */
#include "oci_spec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

static int parse(const char *json, struct spore_oci_spec *s, struct spore_err *e)
{
	spore_err_clear(e);
	return spore_oci_spec_parse(json, strlen(json), s, e);
}

/* A config.json as containerd's CRI plugin writes one, trimmed. */
static const char full[] =
	"{\"ociVersion\":\"1.0.2-dev\","
	"\"process\":{\"terminal\":true,\"user\":{\"uid\":1000,\"gid\":100,\"additionalGids\":[10]},"
	"\"args\":[\"sh\",\"-c\",\"echo hi\"],\"env\":[\"PATH=/bin\",\"NOVALUE\",\"A=b=c\"],"
	"\"cwd\":\"/work\",\"capabilities\":{\"bounding\":[\"CAP_KILL\"]},"
	"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],\"noNewPrivileges\":true},"
	"\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"web-1\","
	"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	"{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"/var/lib/c/hosts\",\"options\":[\"rbind\",\"ro\"]},"
	"{\"destination\":\"/etc/resolv.conf\",\"type\":\"bind\",\"source\":\"/var/lib/c/resolv.conf\"},"
	"{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv/data\"}],"
	"\"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\"},"
	"\"linux\":{\"resources\":{\"memory\":{\"limit\":536870912},\"cpu\":{\"quota\":150000,\"period\":100000,\"shares\":1024}},"
	"\"cgroupsPath\":\"/k8s/x\",\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"}],"
	"\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\"},\"maskedPaths\":[\"/proc/kcore\"]}}";

static void full_spec(void)
{
	struct spore_oci_spec s;
	struct spore_err e;

	is_int(parse(full, &s, &e), 0, "a CRI-style config.json parses");
	is_int(s.argc, 3, "three args");
	is_str(s.argv[2], "echo hi", "args in order");
	ok(s.argv[3] == NULL, "argv NULL-terminated");
	is_int(s.envc, 2, "env without '=' dropped");
	is_str(s.envp[1], "A=b=c", "values keep their '='");
	is_str(s.cwd, "/work", "cwd");
	is_str(s.user, "1000:100", "user as uid:gid");
	ok(s.terminal, "terminal");
	is_str(s.root_path, "rootfs", "root.path as written");
	ok(s.root_readonly, "root.readonly");
	is_str(s.hostname, "web-1", "hostname");
	is_int(s.nfiles, 2, "only the small file binds are kept");
	is_str(s.files[0].target, "/etc/hosts", "hosts");
	is_str(s.files[0].source, "/var/lib/c/hosts", "its source");
	is_str(s.files[1].target, "/etc/resolv.conf", "resolv.conf");
	is_int(s.memory_mib, 512, "memory limit -> guest memory");
	is_int(s.vcpus, 2, "quota 1.5 CPUs -> 2 vCPUs");
	is_int(s.cpu_cap, 150, "and a 150%% cap");
	ok(s.sandbox, "CRI sandbox annotation");
	spore_oci_spec_free(&s);
}

static void minimal(void)
{
	struct spore_oci_spec s;
	struct spore_err e;

	is_int(parse("{\"process\":{\"args\":[\"/bin/true\"]},\"root\":{\"path\":\"/r\"}}", &s, &e), 0,
	       "minimal spec");
	is_str(s.cwd, "/", "cwd defaults to /");
	is_str(s.user, "0:0", "user defaults to root");
	is_int(s.envc, 0, "no env");
	ok(s.envp && s.envp[0] == NULL, "env still an empty list");
	ok(!s.terminal && !s.root_readonly && !s.hostname && !s.sandbox && s.nfiles == 0,
	   "flags off");
	is_int(s.memory_mib, SPORE_OCI_DEF_MEMORY_MIB, "default memory");
	is_int(s.vcpus, 1, "one vCPU");
	is_int(s.cpu_cap, 0, "no cap");
	spore_oci_spec_free(&s);
}

static void sizes(void)
{
	uint64_t m;
	uint32_t v;
	uint16_t c;

	spore_oci_sizes(-1, -1, 0, &m, &v, &c);
	ok(m == SPORE_OCI_DEF_MEMORY_MIB && v == 1 && c == 0, "-1 is unlimited");
	spore_oci_sizes(1, 0, 0, &m, &v, &c);
	is_int(m, SPORE_OCI_MIN_MEMORY_MIB, "a tiny limit gets the minimum");
	spore_oci_sizes((1 << 20) + 1, 0, 0, &m, &v, &c);
	is_int(m, SPORE_OCI_MIN_MEMORY_MIB, "rounds up, then the minimum");
	spore_oci_sizes((100ll << 20) + 1, 0, 0, &m, &v, &c);
	is_int(m, 101, "a byte over 100 MiB is 101 MiB");
	spore_oci_sizes(0, 50000, 0, &m, &v, &c);
	ok(v == 1 && c == 50, "quota 50000 with the default period: half a CPU");
	spore_oci_sizes(0, 1000000, 1000000, &m, &v, &c);
	ok(v == 1 && c == 100, "one whole CPU");
	spore_oci_sizes(0, 1000000000, 1000, &m, &v, &c);
	ok(v == SPORE_OCI_MAX_VCPUS && c == SPORE_OCI_MAX_VCPUS * 100, "a huge quota is capped at 64");
}

static void rejects(void)
{
	static const struct {
		const char *json, *why;
	} bad[] = {
		{"", "empty"},
		{"[]", "not an object"},
		{"{\"root\":{\"path\":\"r\"}}", "no process"},
		{"{\"process\":{},\"root\":{\"path\":\"r\"}}", "no args"},
		{"{\"process\":{\"args\":[]},\"root\":{\"path\":\"r\"}}", "empty args"},
		{"{\"process\":{\"args\":[\"\"]},\"root\":{\"path\":\"r\"}}", "empty argv[0]"},
		{"{\"process\":{\"args\":[1]},\"root\":{\"path\":\"r\"}}", "non-string arg"},
		{"{\"process\":{\"args\":[\"a\\u0000b\"]},\"root\":{\"path\":\"r\"}}", "NUL inside an arg"},
		{"{\"process\":{\"args\":[\"a\"],\"env\":[\"A=\\u0000\"]},\"root\":{\"path\":\"r\"}}", "NUL in env"},
		{"{\"process\":{\"args\":[\"a\"],\"env\":\"A=1\"},\"root\":{\"path\":\"r\"}}", "env not an array"},
		{"{\"process\":{\"args\":[\"a\"],\"cwd\":\"rel\"},\"root\":{\"path\":\"r\"}}", "relative cwd"},
		{"{\"process\":{\"args\":[\"a\"],\"cwd\":\"/a/../b\"},\"root\":{\"path\":\"r\"}}", "cwd with .."},
		{"{\"process\":{\"args\":[\"a\"],\"user\":{\"uid\":-1}},\"root\":{\"path\":\"r\"}}", "negative uid"},
		{"{\"process\":{\"args\":[\"a\"],\"user\":{\"uid\":4294967296}},\"root\":{\"path\":\"r\"}}", "uid too large"},
		{"{\"process\":{\"args\":[\"a\"],\"terminal\":\"yes\"},\"root\":{\"path\":\"r\"}}", "terminal not bool"},
		{"{\"process\":{\"args\":[\"a\"]}}", "no root"},
		{"{\"process\":{\"args\":[\"a\"]},\"root\":{}}", "no root.path"},
		{"{\"process\":{\"args\":[\"a\"]},\"root\":{\"path\":\"\"}}", "empty root.path"},
		{"{\"process\":{\"args\":[\"a\"]},\"root\":{\"path\":\"r\"},\"hostname\":\"a b\"}", "bad hostname"},
		{"{\"process\":{\"args\":[\"a\"]},\"root\":{\"path\":\"r\"},\"mounts\":[{\"destination\":\"/etc/hosts\",\"source\":\"rel\"}]}", "relative source"},
		{"{\"process\":{\"args\":[\"a\"]},\"root\":{\"path\":\"r\"},\"mounts\":[{\"destination\":\"/etc/hosts\",\"source\":\"/a\"},{\"destination\":\"/etc/hosts\",\"source\":\"/b\"}]}", "a file bound twice"},
		{"{\"process\":{\"args\":[\"a\"]},\"root\":{\"path\":\"r\"},\"mounts\":[{\"source\":\"/a\"}]}", "mount without destination"},
		{"{\"process\":{\"args\":[\"a\"]},\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1g\"}}}}", "limit not integer"},
		{"{\"process\":{\"args\":[\"a\"]},\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":{\"cpu\":{\"quota\":1,\"period\":-5}}}}", "negative period"},
		{"{\"process\":{\"args\":[\"a\"]},\"root\":{\"path\":\"r\"},\"annotations\":[]}", "annotations not an object"},
		{"{\"process\":{\"args\":[\"a\"]},\"process\":{\"args\":[\"b\"]},\"root\":{\"path\":\"r\"}}", "duplicate key"},
	};
	struct spore_oci_spec s;
	struct spore_err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i].json, &s, &e);
		ok(r < 0 && e.code && strstr(e.msg, "config.json"), "rejected: %s (%s)", bad[i].why,
		   r < 0 ? e.msg : "accepted");
		spore_oci_spec_free(&s);
	}
}

static void many_args(void)
{
	static char buf[SPORE_OCI_MAX_ARGS * 5 + 200];
	struct spore_oci_spec s;
	struct spore_err e;
	size_t n = 0;

	n += (size_t)sprintf(buf + n, "{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[");
	for (int i = 0; i <= SPORE_OCI_MAX_ARGS; i++)
		n += (size_t)sprintf(buf + n, "%s\"a\"", i ? "," : "");
	sprintf(buf + n, "]}}");
	is_int(parse(buf, &s, &e), -E2BIG, "more than %d args is E2BIG", SPORE_OCI_MAX_ARGS);
	spore_oci_spec_free(&s);
}

int main(void)
{
	full_spec();
	minimal();
	sizes();
	rejects();
	many_args();
	return tap_done();
}
