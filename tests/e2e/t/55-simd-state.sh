#!/bin/bash
# dom0's processes keep their SSE/AVX registers while guests compute. Under
# QEMU's TCG, Xen's lazy FPU switching lost them (random crashes of unrelated
# dom0 programs); the sandbox boots Xen with spec-ctrl=eager-fpu for this.
. tests/e2e/lib.sh

reg=10.0.2.2:5000
if ! wget -q -O /dev/null "http://$reg/v2/" 2>/dev/null || [ ! -e .cache/kernel/spore-vmlinuz ]; then
	skip "SIMD state test" "needs the test registry and spore's guest kernel"
	exit 0
fi
simd=${SPORE_BUILD:-build}/tests/simdcheck
ids=
for i in 1 2; do
	id=$(timeout 600 sporectl launch --insecure-registry "$reg" --name "e2e-spin$i" \
		"$reg/spore-test/busybox:latest" /bin/sh -c 'while :; do :; done' 2>"$E2E_TMP/err") &&
		ids="$ids $id"
done
check_eq "two spinning guests are up" "$(echo $ids | wc -w)" 2
for i in 1 2 3; do "$simd" 20 >"$E2E_TMP/simd$i" 2>&1 & done
wait
check_match "dom0 SIMD loops stay correct while guests run" \
	"$(cat "$E2E_TMP"/simd[123] | tr '\n' ' ')" '^[0-9]+ runs [^,]*, 0 wrong [0-9]+ runs [^,]*, 0 wrong [0-9]+ runs [^,]*, 0 wrong $'
[ -z "$ids" ] || sporectl destroy $ids >/dev/null 2>&1
