#!/bin/bash
# Runs sporectl from a debug build (-O0 -g; ASan+UBSan with
# SPORE_DEBUG_SANITIZE=1) with debug logs:
#   scripts/sporectl-debug.sh COMMAND [ARGS...]   e.g. launch -a IMAGE
# See scripts/sporenet-debug.sh for where the build lives.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/debug-build.sh
. "$root/scripts/lib/debug-build.sh"
debug_build controller/sporectl container/sporeinit.cpio
# The debug build's sporeinit initrd, unless one is chosen.
export SPORE_INITRD=${SPORE_INITRD:-$SPORE_DEBUG_BUILD/container/sporeinit.cpio}
SPORE_LOG=debug exec "$SPORE_DEBUG_BUILD/controller/sporectl" --log debug "$@"
