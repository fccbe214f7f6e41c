#!/bin/bash
# Sets up a Debian 12 machine for spore: installs the Debian packages it
# needs, fetches and unpacks the sandbox's Xen/dom0 packages into .cache/
# (never installed on the host), builds the tree and the guest kernel.
# Idempotent and quiet on success. See --help.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/sandbox.sh"
. "$(dirname "$0")/lib/sandbox-peers.sh"

usage() {
	cat <<USAGE
Usage: $spore_prog [--no-sandbox] [--no-kernel]

Installs spore's build and test dependencies from Debian, builds the tree
(meson, in $SPORE_BUILD_DIR/, the sanitizer build in build-san/ and the fuzz
targets in build-fuzz/), the guest kernel
(kernel/build.sh) and the Xen sandbox's artefacts under .cache/sandbox/
(with Debian's containerd, podman and runc, unpacked for the tests that
run spore-runc under them).

  --no-sandbox   Skip the sandbox artefacts (Xen/dom0 packages, initramfs)
  --no-kernel    Skip the guest kernel build
  -h, --help     Show this help
USAGE
}

do_sandbox=1 do_kernel=1
while [ $# -gt 0 ]; do
	case $1 in
	--no-sandbox) do_sandbox=0 ;;
	--no-kernel) do_kernel=0 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "$spore_prog: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

# clang and libFuzzer (Debian ships it in libclang-rt-14-dev) for the fuzz
# targets that test.sh runs.
apt_install "${SPORE_HOST_PKGS[@]}" clang libclang-rt-14-dev
mkdir -p "$SPORE_CACHE"

# The build dom0 runs (plain) and the one unit tests run with ASan+UBSan.
# build_tree DIR [MESON-OPTION...] [-- NINJA-TARGET...]
build_tree() {
	local dir=$1 opts=() targets=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ $# -eq 0 ] || { shift; targets=("$@"); }
	if [ ! -e "$SPORE_ROOT_DIR/$dir/build.ninja" ]; then
		run_logged "$SPORE_CACHE/meson-$dir.log" meson setup "$SPORE_ROOT_DIR/$dir" "$SPORE_ROOT_DIR" "${opts[@]}" ||
			die "meson setup of $dir failed"
	fi
	run_logged "$SPORE_CACHE/ninja-$dir.log" ninja -C "$SPORE_ROOT_DIR/$dir" "${targets[@]}" ||
		die "build in $dir failed"
}
build_tree "$SPORE_BUILD_DIR"
build_tree build-san -Dsanitize=true
# The fuzz targets, with clang: everything instrumented, only they built.
CC=clang build_tree build-fuzz -Dfuzz=true -Dsporeinit=disabled -- fuzzers

if [ $do_kernel = 1 ] && [ -x "$SPORE_ROOT_DIR/kernel/build.sh" ]; then
	"$SPORE_ROOT_DIR/kernel/build.sh" || die "guest kernel build failed"
fi

if [ $do_sandbox = 1 ]; then
	mkdir -p "$SANDBOX_DIR"
	exec 9>"$SANDBOX_DIR/.lock"
	flock 9
	sandbox_prepare
	# containerd, podman and runc for the tests that run spore-runc under
	# them; unpacked beside the initramfs, not in it.
	sandbox_peers_prepare
fi
