# shellcheck shell=bash
# The debug build of the debug runners (scripts/sporenet-debug.sh,
# scripts/sporectl-debug.sh): build-debug/ unless $SPORE_DEBUG_BUILD.
SPORE_DEBUG_BUILD=${SPORE_DEBUG_BUILD:-$root/build-debug}

# debug_build TARGET...: sets up and builds the targets when meson and ninja
# exist; otherwise checks that they were built (e.g. in the sandbox's dom0).
debug_build() {
	local t
	if command -v meson >/dev/null && command -v ninja >/dev/null; then
		if [ ! -f "$SPORE_DEBUG_BUILD/build.ninja" ]; then
			local san=false
			[ "${SPORE_DEBUG_SANITIZE:-0}" = 1 ] && san=true
			meson setup "$SPORE_DEBUG_BUILD" "$root" --buildtype=debug \
				-Dsanitize=$san >&2 || return 1
		fi
		ninja -C "$SPORE_DEBUG_BUILD" "$@" >&2 || return 1
	fi
	for t in "$@"; do
		[ -e "$SPORE_DEBUG_BUILD/$t" ] || {
			echo "${0##*/}: $SPORE_DEBUG_BUILD/$t is not built (run this script once on the host)" >&2
			return 1
		}
	done
}
