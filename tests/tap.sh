# TAP for the cli tests (POSIX sh, sourced): `ok STATUS DESC [DETAIL]` is ok
# when STATUS is 0, else not ok with DETAIL as a diagnostic; `t DESC CMD...`
# is ok when CMD succeeds; `tap_done` prints the plan and exits 1 if any
# failed.
n=0 fails=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -z "${3:-}" ] || printf '%s\n' "$3" | sed 's/^/#   /'
		fails=$((fails + 1))
	fi
}
t() {
	_desc=$1
	shift
	"$@"
	ok $? "$_desc"
}
tap_done() {
	echo "1..$n"
	[ "$fails" -eq 0 ] && exit 0
	exit 1
}
