#!/bin/bash
# Sets everything up and runs all of spore's tests: unit and cli tests
# (ASan+UBSan), a short run of each fuzz target on its seeds, integration
# tests against the local test registry, then the end-to-end suite inside
# the Xen sandbox. Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"

usage() {
	cat <<USAGE
Usage: $spore_prog [--unit] [--no-e2e] [E2E_PATTERN]

  --unit      Unit and cli tests only (no fuzzing, registry or sandbox)
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
fuzz_secs=${SPORE_FUZZ_SECONDS:-15}
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

echo "== unit and cli tests (ASan+UBSan)"
# The kernel loader's real-kernel test uses the sandbox's Debian kernels.
if [ -z "${SPORE_TEST_KERNEL:-}" ]; then
	SPORE_TEST_KERNEL=$(ls "$SPORE_CACHE"/sandbox/pkgroot-*/boot/vmlinuz-* 2>/dev/null | paste -sd: -)
	export SPORE_TEST_KERNEL
fi
meson test -C "$SPORE_ROOT_DIR/build-san" --suite unit --suite cli --print-errorlogs \
	>"$out/unit.log" 2>&1
python3 - "$SPORE_ROOT_DIR/build-san/meson-logs/testlog.json" >"$out/unit.tap" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    n += 1
    res = t.get("result")
    name = t.get("name")
    suite = name.split(":", 1)[-1].split(" ", 1)[0]  # "spore:cli / xen_cli"
    if res == "OK":
        print(f"ok {n} - {suite}: {name}")
    elif res == "SKIP":
        print(f"ok {n} - {suite}: {name} # SKIP")
    else:
        print(f"not ok {n} - {suite}: {name} ({res})")
        for l in (t.get("stdout") or "").splitlines()[-40:]:
            print("#   " + l)
PY
cat "$out/unit.tap"
count_tap "$out/unit.tap"
[ -s "$out/unit.tap" ] || { echo "not ok - no unit test ran (see $out/unit.log)"; failed=$((failed + 1)); }

if [ $unit_only = 0 ]; then
	echo "== fuzz smoke (libFuzzer, ${fuzz_secs}s each)"
	# Each target from its checked-in seeds (tests/fuzz/corpus/<target>/) for a
	# fixed time: what it finds new goes to a scratch corpus, a crash to
	# $out/fuzz/ (crash-*, leak-*, timeout-*: pass one to the target to replay).
	rm -rf "$out/fuzz"
	mkdir -p "$out/fuzz"
	# fuzz_one N CORPUS: target N (CORPUS's name) as TAP. Two run at once
	# (one per CPU: each target is one process), their lines printed in
	# order after.
	fuzz_one() {
		local n=$1 c=$2 t f rc runs
		t=${c##*/}
		f=$SPORE_ROOT_DIR/build-fuzz/tests/fuzz/$t
		if [ ! -f "$f" ] || [ ! -x "$f" ]; then
			echo "not ok $n - fuzz: $t is not built (build-fuzz, see scripts/setup.sh)"
			return
		fi
		mkdir -p "$out/fuzz/$t.corpus"
		timeout $((fuzz_secs + 60)) "$f" -max_total_time="$fuzz_secs" -timeout=20 -rss_limit_mb=2048 \
			-artifact_prefix="$out/fuzz/$t-" "$out/fuzz/$t.corpus" "$c" >"$out/fuzz/$t.log" 2>&1
		rc=$?
		runs=$(grep -Eo 'Done [0-9]+ runs' "$out/fuzz/$t.log" | grep -Eo '[0-9]+')
		if [ $rc -eq 0 ] && [ -n "$runs" ]; then
			echo "ok $n - fuzz: $t ($runs runs)"
		else
			echo "not ok $n - fuzz: $t (exit $rc; log and input in $out/fuzz/)"
			# The error, the first frames outside libFuzzer and libc, the input.
			{
				grep -E '^==[0-9]+==.*ERROR|^SUMMARY' "$out/fuzz/$t.log"
				grep -E '^ +#[0-9]+ ' "$out/fuzz/$t.log" | grep -Ev 'fuzzer::|__sanitizer|in main |/(nptl|sysdeps|stdlib|csu)/' | head -n 6
				grep -E 'Test unit written' "$out/fuzz/$t.log"
			} | head -n 12 | sed 's/^/#   /'
		fi
	}
	n=0
	for c in "$SPORE_ROOT_DIR"/tests/fuzz/corpus/*/; do
		n=$((n + 1))
		fuzz_one "$n" "${c%/}" >"$out/fuzz/$n.tap" &
		while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
	done
	wait
	for i in $(seq "$n"); do cat "$out/fuzz/$i.tap"; done >"$out/fuzz.tap"
	cat "$out/fuzz.tap"
	count_tap "$out/fuzz.tap"
	[ -s "$out/fuzz.tap" ] || { echo "not ok - no seed corpus in tests/fuzz/corpus/"; failed=$((failed + 1)); }
fi

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
