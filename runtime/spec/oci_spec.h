/* The OCI runtime spec's config.json, as spore-runc uses it (pure: no Xen,
 * no files but the one read by spore_oci_spec_load).
 *
 * What a guest honours: process (args, env, cwd, user uid:gid, terminal),
 * root (path, readonly), hostname, the small file mounts a caller binds
 * (/etc/hosts, /etc/resolv.conf, /etc/hostname), linux.resources' memory
 * limit (the guest's memory) and CPU quota/period (vCPUs and a cap, as
 * docker's --cpus), and the CRI's container-type annotation. What a VM
 * boundary replaces is accepted and ignored: namespaces, cgroupsPath,
 * seccomp, capabilities, rlimits, devices, masked/readonly paths, sysctl,
 * hooks, other mounts (proc, sysfs, tmpfs, cgroup: the guest's own). Every
 * string a guest gets is checked here (no NUL inside, bounded counts). */
#ifndef SPORE_OCI_SPEC_H
#define SPORE_OCI_SPEC_H

#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPORE_OCI_MAX_ARGS 2048
#define SPORE_OCI_MAX_ENV  2048
#define SPORE_OCI_MAX_FILES 3
#define SPORE_OCI_MAX_SIZE (4u << 20) /* bytes of config.json */

/* Guest sizes without a limit in the spec (sporectl launch's defaults). */
#define SPORE_OCI_DEF_MEMORY_MIB 256
#define SPORE_OCI_MIN_MEMORY_MIB 64
#define SPORE_OCI_MAX_VCPUS 64

/* A bind of one small host file on one of the files a guest accepts. */
struct spore_oci_file {
	const char *target; /* "/etc/hosts", "/etc/resolv.conf" or "/etc/hostname" */
	const char *source; /* host path, absolute */
};

struct spore_oci_spec {
	void *json;                /* owns every string below */
	const char **argv;         /* NULL-terminated, argc >= 1 */
	size_t argc;
	const char **envp;         /* NULL-terminated; entries without '=' dropped */
	size_t envc;
	const char *cwd;           /* absolute; "/" when absent */
	char user[24];             /* "uid:gid" */
	bool terminal;
	const char *root_path;     /* as written (relative to the bundle, or absolute) */
	bool root_readonly;
	const char *hostname;      /* NULL: none */
	struct spore_oci_file files[SPORE_OCI_MAX_FILES];
	size_t nfiles;
	uint64_t memory_mib;       /* the guest's memory */
	uint32_t vcpus;            /* >= 1 */
	uint16_t cpu_cap;          /* percent of one CPU, 0: none */
	bool sandbox;              /* io.kubernetes.cri.container-type=sandbox */
};

/* Parses config.json's bytes into *spec (zeroed first). 0, or -EINVAL with
 * err naming the field ("process.args[2]: not a string"). Free with
 * spore_oci_spec_free() either way. */
int spore_oci_spec_parse(const char *buf, size_t len, struct spore_oci_spec *spec,
			 struct spore_err *err);
/* Reads BUNDLE/config.json (at most SPORE_OCI_MAX_SIZE) and parses it. */
int spore_oci_spec_load(const char *bundle, struct spore_oci_spec *spec, struct spore_err *err);
void spore_oci_spec_free(struct spore_oci_spec *spec);

/* The guest's sizes from a memory limit in bytes (<= 0: none) and a CPU
 * quota/period in microseconds (quota <= 0: none; period 0: 100000). */
void spore_oci_sizes(int64_t mem_limit, int64_t quota, uint64_t period, uint64_t *memory_mib,
		     uint32_t *vcpus, uint16_t *cpu_cap);

#endif
