#!/bin/bash
# Sets everything up and runs all of spore's tests: unit tests (ASan+UBSan),
# integration tests against the local test registry, then the end-to-end
# suite inside the Xen sandbox. Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"

usage() {
	cat <<USAGE
Usage: $spore_prog [--unit] [--no-e2e] [E2E_PATTERN]

  --unit      Unit tests only (no registry, no sandbox)
  --no-e2e    Skip the end-to-end suite in the sandbox
  -h, --help  Show this help
USAGE
}
unit_only=0 e2e=1 pattern=
while [ $# -gt 0 ]; do
	case $1 in
	--unit) unit_only=1 ;;
	--no-e2e) e2e=0 ;;
	-h | --help) usage; exit 0 ;;
	-*) echo "$spore_prog: unknown option '$1'" >&2; exit 2 ;;
	*) pattern=$1 ;;
	esac
	shift
done

setup_opts=()
[ $unit_only = 0 ] && [ $e2e = 1 ] || setup_opts+=(--no-sandbox --no-kernel)
"$SPORE_ROOT_DIR/scripts/setup.sh" "${setup_opts[@]}" || die "setup failed"

passed=0 failed=0 skipped=0
# count_tap FILE: adds FILE's TAP results to the totals.
count_tap() {
	local p f s
	p=$(grep -Ec '^ok ' "$1")
	s=$(grep -Ec '^ok .*# *SKIP' "$1")
	f=$(grep -Ec '^not ok ' "$1")
	passed=$((passed + p - s)) skipped=$((skipped + s)) failed=$((failed + f))
}

out=$SPORE_CACHE/test-results
mkdir -p "$out"

echo "== unit tests (ASan+UBSan)"
# The kernel loader's real-kernel test uses the sandbox's Debian kernels.
if [ -z "${SPORE_TEST_KERNEL:-}" ]; then
	SPORE_TEST_KERNEL=$(ls "$SPORE_CACHE"/sandbox/pkgroot-*/boot/vmlinuz-* 2>/dev/null | paste -sd: -)
	export SPORE_TEST_KERNEL
fi
meson test -C "$SPORE_ROOT_DIR/build-san" --suite unit --print-errorlogs >"$out/unit.log" 2>&1
python3 - "$SPORE_ROOT_DIR/build-san/meson-logs/testlog.json" >"$out/unit.tap" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    n += 1
    res = t.get("result")
    name = t.get("name")
    if res == "OK":
        print(f"ok {n} - unit: {name}")
    elif res == "SKIP":
        print(f"ok {n} - unit: {name} # SKIP")
    else:
        print(f"not ok {n} - unit: {name} ({res})")
        for l in (t.get("stdout") or "").splitlines()[-40:]:
            print("#   " + l)
PY
cat "$out/unit.tap"
count_tap "$out/unit.tap"

if [ $unit_only = 0 ]; then
	for t in "$SPORE_ROOT_DIR"/tests/integration/*.sh; do
		[ -e "$t" ] || continue
		echo "== integration: ${t##*/}"
		bash "$t" >"$out/int.tap" 2>&1
		rc=$?
		cat "$out/int.tap"
		count_tap "$out/int.tap"
		if [ $rc -ne 0 ] && ! grep -q '^not ok' "$out/int.tap"; then
			echo "not ok - ${t##*/} exited with status $rc"
			failed=$((failed + 1))
		fi
	done
fi

if [ $unit_only = 0 ] && [ $e2e = 1 ]; then
	echo "== end-to-end (Xen sandbox)"
	# Launch tests pull from the test registry (10.0.2.2:5000 from dom0).
	"$SPORE_ROOT_DIR/scripts/test-registry.sh" start >"$out/registry.log" 2>&1 ||
		echo "# the test registry did not start: $(tail -n 1 "$out/registry.log")"
	"$SPORE_ROOT_DIR/tests/e2e/run.sh" "$pattern" >"$out/e2e.tap" 2>"$out/e2e.err"
	cat "$out/e2e.tap"
	[ -s "$out/e2e.err" ] && sed 's/^/# /' "$out/e2e.err"
	count_tap "$out/e2e.tap"
	[ $((passed + failed)) -gt 0 ] || failed=$((failed + 1))
	if [ -z "$pattern" ]; then
		# Debian ships both xenstoreds: the xenstore tests again on the C one.
		echo "== end-to-end, C xenstored (xenstore tests)"
		SPORE_SANDBOX_OPTS="--xenstored xenstored" "$SPORE_ROOT_DIR/tests/e2e/run.sh" xen \
			>"$out/e2e-cxs.tap" 2>"$out/e2e-cxs.err"
		sed 's/^\(not \)\{0,1\}ok [0-9]* - /&C xenstored: /' "$out/e2e-cxs.tap"
		[ -s "$out/e2e-cxs.err" ] && sed 's/^/# /' "$out/e2e-cxs.err"
		count_tap "$out/e2e-cxs.tap"
	fi
fi

echo
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
