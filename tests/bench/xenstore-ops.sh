#!/bin/bash
# xenstore round trips in the Xen sandbox: N writes + N reads of one key
#   spore     spore's own client (spore-xen-probe xs-loop), one connection
#   libxenstore  Debian's libxenstore in a 10-line C loop, one connection
#   tools     Debian's xenstore-write/xenstore-read, a process per op
# reported as ops/s side by side (an op is one write or one read).
# Usage: tests/bench/xenstore-ops.sh [N [TOOLS_N]]  (defaults 10000, and N
# for the tools loop, which is slow: two processes per iteration)
# Extra sandbox options via SPORE_SANDBOX_OPTS (e.g. "--xenstored xenstored").
set -euo pipefail

if [ "${1:-}" = --inside ]; then
	probe=$2 loop=$3 n=$4 tn=$5
	ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
	rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%d", (ms > 0 ? 2 * n * 1000 / ms : 0) }'; }
	xsd=$(sed -n 's/.*spore\.xenstored=\([a-z]*\).*/\1/p' /proc/cmdline)
	k=/spore-bench/k
	xenstore-write $k 0
	s=$("$probe" xs-loop $k "$n")
	l=$("$loop" $k "$n")
	t0=$(ms)
	for i in $(seq 1 "$tn"); do xenstore-write $k "$i"; xenstore-read $k >/dev/null; done
	t=$(($(ms) - t0))
	xenstore-rm /spore-bench
	echo "xenstored: $xsd (Xen sandbox under QEMU TCG: compare columns, not absolutes)"
	printf '%-12s %8s %10s %10s\n' client n ms ops_per_s
	printf '%-12s %8d %10d %10s\n' spore "$n" "$s" "$(rate "$n" "$s")"
	printf '%-12s %8d %10d %10s\n' libxenstore "$n" "$l" "$(rate "$n" "$l")"
	printf '%-12s %8d %10d %10s\n' tools "$tn" "$t" "$(rate "$tn" "$t")"
	exit 0
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/lib/common.sh"
n=${1:-10000}
tn=${2:-$n}
[[ $n =~ ^[1-9][0-9]*$ && $tn =~ ^[1-9][0-9]*$ ]] || die "N and TOOLS_N must be positive numbers"
build=$SPORE_ROOT_DIR/$SPORE_BUILD_DIR
[ -x "$build/tests/spore-xen-probe" ] || die "build $SPORE_BUILD_DIR first (no tests/spore-xen-probe)"

# The libxenstore peer: linked against Debian's library here only, never
# into spore.
bench=$SPORE_CACHE/bench
mkdir -p "$bench"
src=$bench/xs-libxenstore-loop.c
cat >"$src" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>
int main(int argc, char **argv)
{
	struct xs_handle *h = xs_open(0);
	struct timespec a, b;
	unsigned len;
	char v[24];
	long n = argc > 2 ? atol(argv[2]) : 0;
	if (!h) { perror("xs_open"); return 1; }
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		snprintf(v, sizeof(v), "%ld", i);
		if (!xs_write(h, XBT_NULL, argv[1], v, strlen(v))) { perror("xs_write"); return 1; }
		free(xs_read(h, XBT_NULL, argv[1], &len));
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%ld\n", (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000);
	xs_close(h);
	return 0;
}
C
cc -O2 -o "$bench/xs-libxenstore-loop" "$src" -lxenstore || die "cannot build the libxenstore loop (libxen-dev installed?)"

rel() { echo "/mnt/host/${1#"$SPORE_ROOT_DIR"/}"; }
# shellcheck disable=SC2086
"$root/scripts/xen-sandbox.sh" --timeout 3000 ${SPORE_SANDBOX_OPTS:-} -- \
	bash tests/bench/xenstore-ops.sh --inside "$(rel "$build/tests/spore-xen-probe")" \
	"$(rel "$bench/xs-libxenstore-loop")" "$n" "$tn"
