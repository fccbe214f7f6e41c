#!/bin/bash
# Runs sporenet from a debug build (-O0 -g; ASan+UBSan with
# SPORE_DEBUG_SANITIZE=1) with debug logs on stderr, in the foreground:
#   scripts/sporenet-debug.sh [SPORENET ARGS...]   e.g. --attach vif3.0:...
# The build lives in build-debug/ ($SPORE_DEBUG_BUILD); it is set up and
# brought up to date when meson and ninja are at hand (on the host), else
# the existing one is used (in the sandbox's dom0, which has neither:
# build it on the host first, the tree is shared).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/debug-build.sh
. "$root/scripts/lib/debug-build.sh"
debug_build network/sporenet
SPORE_LOG=debug exec "$SPORE_DEBUG_BUILD/network/sporenet" --log debug "$@"
