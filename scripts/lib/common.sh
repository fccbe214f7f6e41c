# Shared shell helpers for spore's scripts. Source it; do not run it.
# shellcheck shell=bash

SPORE_ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SPORE_CACHE=${SPORE_CACHE:-$SPORE_ROOT_DIR/.cache}
SPORE_BUILD_DIR=${SPORE_BUILD_DIR:-build}

spore_prog=$(basename "$0")

die() {
	echo "$spore_prog: $*" >&2
	exit 1
}

note() {
	[ -n "${SPORE_QUIET:-}" ] || echo "$spore_prog: $*" >&2
}

# run_logged LOGFILE CMD...: runs CMD with its output in LOGFILE; on failure
# prints the log's tail so the reason is visible, and returns the status.
run_logged() {
	local log=$1 rc=0
	shift
	"$@" >"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "$spore_prog: '$*' failed (exit $rc); last lines of $log:" >&2
		tail -n 25 "$log" | sed 's/^/    /' >&2
	fi
	return "$rc"
}

# Debian packages the host needs: build, tests, QEMU, the test registry.
# Xen itself is never installed on the host: see sandbox_debs below.
SPORE_HOST_PKGS=(
	build-essential meson ninja-build pkg-config musl-tools
	libxen-dev libcurl4-openssl-dev libjansson-dev libarchive-dev libisal-dev libssl-dev
	libslirp-dev libglib2.0-dev zlib1g-dev liblzma-dev liblz4-dev libzstd-dev libbz2-dev
	squashfs-tools squashfs-tools-ng
	linux-source-6.1 bc flex bison libelf-dev patch
	qemu-system-x86 busybox-static cpio kmod file xz-utils zstd gzip curl
	docker-registry apache2-utils umoci skopeo socat iputils-ping ethtool iproute2 python3 jq time
	groff-base bash-completion
)

# missing_pkgs PKG...: prints the packages that are not installed.
missing_pkgs() {
	local p st
	for p in "$@"; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[ "$st" = installed ] || echo "$p"
	done
}

# apt_install PKG...: installs what is missing, quietly; updates the lists
# once when a package cannot be found.
apt_install() {
	local missing
	missing=$(missing_pkgs "$@")
	[ -n "$missing" ] || return 0
	[ "$(id -u)" = 0 ] || die "missing packages (run as root to install): $(echo $missing)"
	note "installing: $(echo $missing)"
	mkdir -p "$SPORE_CACHE"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	if ! apt-get install -y -qq --no-install-recommends $missing >"$SPORE_CACHE/apt.log" 2>&1; then
		run_logged "$SPORE_CACHE/apt-update.log" apt-get update -qq || die "apt-get update failed"
		# shellcheck disable=SC2086
		run_logged "$SPORE_CACHE/apt.log" apt-get install -y -qq --no-install-recommends $missing \
			|| die "could not install: $(echo $missing)"
	fi
}
