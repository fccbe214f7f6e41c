#!/bin/sh
# Host-side checks of the Xen access layer's CLI (TAP): no libxen* linked
# (nor the libraries sporectl loads lazily),
# and, off Xen, one clear error line and a non-zero exit for each failure.
# Usage: xen_cli.sh SPORECTL SPORENET
sporectl=$1 sporenet=$2
. "$(dirname "$0")/tap.sh"
# expect_one_line DESC REGEX CMD...: CMD fails with exactly one stderr line
# matching REGEX.
expect_one_line() {
	desc=$1 re=$2
	shift 2
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	lines=$(printf '%s\n' "$err" | grep -c .)
	if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && printf '%s' "$err" | grep -Eq -- "$re"; then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		echo "#   exit $rc, stderr: $err"
	fi
}

for exe in "$sporectl" "$sporenet"; do
	if ldd "$exe" | grep -q 'libxen'; then
		ok 1 "${exe##*/} links no libxen* library"
		ldd "$exe" | sed 's/^/#   /'
	else
		ok 0 "${exe##*/} links no libxen* library"
	fi
done

# lazy_libs.c loads these when an image is pulled; a libarchive or libcurl
# function missing from its lists would silently bring the library (and
# its closure) back into every start, since spore's static parts carry the
# full link line.
need=$(readelf -d "$sporectl" 2>&1 | grep NEEDED | grep -E 'libcurl|libarchive|libisal')
ok $([ -z "$need" ] && echo 0 || echo 1) "sporectl links neither libcurl, libarchive nor libisal at exec" "$need"

long=/$(head -c 3100 /dev/zero | tr '\0' a)
expect_one_line "a path over the protocol limit is refused before connecting" \
	'over the protocol limit of 3072' "$sporectl" xs read "$long"
expect_one_line "a path with a bad character is refused" 'not allowed' \
	"$sporectl" xs write '/a b' v

if [ -e /dev/xen/privcmd ]; then
	echo "# /dev/xen/privcmd exists: the off-Xen checks need a host without Xen"
else
	expect_one_line "xen-info off Xen: one clear line" 'privcmd.*not running in a Xen dom0' \
		"$sporectl" xen-info
	expect_one_line "xs off Xen: one clear line" 'cannot reach xenstore' \
		"$sporectl" xs read /local/domain/0/name
fi
XENSTORED_PATH=/nonexistent/socket expect_one_line \
	"xs with no xenstored at XENSTORED_PATH: one clear line" \
	'cannot connect to xenstored at /nonexistent/socket' "$sporectl" xs ls /
tap_done
