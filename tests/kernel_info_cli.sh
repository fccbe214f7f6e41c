#!/bin/sh
# sporectl kernel-info on synthetic kernels (TAP): every wrapping parses, the
# cache is used on the second run, bad input gives one clear error line.
# Usage: kernel_info_cli.sh SPORECTL KERNEL-CORPUS-WRITER
sporectl=$1
corpus=$2
dir=$(mktemp -d /tmp/spore-kinfo.XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT
. "$(dirname "$0")/tap.sh"

"$corpus" --write-corpus "$dir" || { echo "1..0 # SKIP corpus writer failed"; exit 0; }
for f in vmlinux vmlinux-shnotes bzImage-gzip bzImage-bzip2 bzImage-xz bzImage-lzma \
	bzImage-lz4 bzImage-zstd vmlinux.gzip vmlinux.zstd; do
	out=$("$sporectl" kernel-info "$dir/$f" 2>&1)
	t "$f parses" [ $? -eq 0 ]
	t "$f entry" sh -c 'printf "%s\n" "$1" | grep -q "^entry: *0xffffffff81000100$"' - "$out"
done
out=$("$sporectl" kernel-info "$dir/bzImage-xz")
t "bzImage-xz: format and compression" sh -c \
	'printf "%s\n" "$1" | grep -q "^format: *bzImage$" && printf "%s\n" "$1" | grep -q "^compression: *xz$"' - "$out"
"$sporectl" kernel-info --cache "$dir/cache" "$dir/bzImage-lz4" >/dev/null
out=$("$sporectl" kernel-info --cache "$dir/cache" "$dir/bzImage-lz4")
t "second run with --cache is a hit" sh -c 'printf "%s\n" "$1" | grep -q "^from cache: *yes$"' - "$out"

echo "#!/bin/sh" >"$dir/text"
err=$("$sporectl" kernel-info "$dir/text" 2>&1 >/dev/null)
rc=$?
t "text file: exit 1" [ $rc -eq 1 ]
t "text file: one clear line" sh -c '[ $(printf "%s\n" "$1" | wc -l) -eq 1 ] && printf "%s\n" "$1" | grep -q "not a kernel image"' - "$err"
head -c 1200 "$dir/bzImage-xz" >"$dir/truncated"
err=$("$sporectl" kernel-info "$dir/truncated" 2>&1 >/dev/null)
t "truncated bzImage rejected" sh -c 'printf "%s\n" "$1" | grep -q "truncated"' - "$err"
err=$("$sporectl" kernel-info "$dir/missing" 2>&1 >/dev/null)
t "missing file rejected" sh -c 'printf "%s\n" "$1" | grep -q "No such file"' - "$err"
"$sporectl" kernel-info >/dev/null 2>&1
t "no argument: usage, exit 2" [ $? -eq 2 ]
tap_done
