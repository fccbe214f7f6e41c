#!/bin/bash
# spored --metrics: the Prometheus page (service/metrics/) with a guest
# burning CPU and an idle one, and the restarts of one that crashes with
# --restart on-failure:2. The page parses strictly as the text format
# 0.0.4 (dom0 has no python3 nor promtool: an awk parser of this test's);
# the busy guest's CPU counter grows faster; memory is plausible; only GET
# /metrics is served; and clients that send slowly, send garbage or take
# every slot do not stall spored's loop (its socket still answers, a
# guest's console is still logged, sporectl list and logs work).
# dom0's spored is restarted with --metrics for this test (it keeps nothing
# a restart loses) and restarted as dom0-init starts it at the end.
. tests/e2e/lib.sh

need_launch "metrics tests"

PORT=9101
URL=http://127.0.0.1:$PORT/metrics
L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }
domains() { xl list | awk 'NR > 1 && $1 != "Domain-0"' | wc -l; }
start_spored() { # ARGS...
	spored --log info "$@" >>/var/log/spored.log 2>&1 &
	wait_for 10 spored --ping
}
stop_spored() {
	local p
	p=$(pidof spored) || return 0
	kill -TERM $p
	wait_for 10 sh -c "! pidof spored"
}
cleanup() {
	for fd in 3 4 5 6 7; do eval "exec $fd>&-" 2>/dev/null; done
	sporectl destroy -t 0 e2e-mbusy e2e-midle e2e-mfail >/dev/null 2>&1
	stop_spored
	start_spored
	rm -rf "$E2E_TMP"
}
trap cleanup EXIT

stop_spored
start_spored --metrics 127.0.0.1:$PORT
check "spored --metrics 127.0.0.1:$PORT answers on its socket" spored --ping

# strict FILE: the text format 0.0.4, strictly (the unit test's rules):
# HELP then TYPE (counter, gauge or histogram) before a family's samples,
# which are contiguous and carry its name (a histogram's with _bucket, whose
# last label is le, _sum or _count), a family once, label names valid, values
# escaped with only \\ \" \n, values floats, a series once, nothing outside
# printable ASCII, a final newline. Prints the first bad line.
strict() {
	[ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] ||
		{ echo "empty or no final newline"; return 1; }
	LC_ALL=C awk '
	function bad(why) { print "line " NR ": " why ": " $0; err = 1; exit 1 }
	/[^ -~]/ { bad("a byte outside printable ASCII") }
	/^# HELP / {
		if (help != "") bad("HELP twice")
		name = $3
		if (name !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) bad("a bad family name")
		if (name in seen) bad("a family twice")
		rest = substr($0, length("# HELP " name) + 2)
		gsub(/\\\\|\\n/, "", rest)
		if (rest ~ /\\/) bad("a bad escape in HELP")
		help = name; next
	}
	/^# TYPE / {
		if (help == "" || $3 != help || NF != 4 || ($4 != "counter" && $4 != "gauge" && $4 != "histogram"))
			bad("TYPE not after its HELP, or not counter/gauge/histogram")
		fam = help; seen[fam] = $4; help = ""; next
	}
	/^#/ { bad("another comment") }
	{
		if (help != "" || fam == "") bad("a sample outside a family")
		s = $0
		if (!match(s, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) bad("no metric name")
		sname = substr(s, 1, RLENGTH)
		if (seen[fam] == "histogram") {
			if (sname != fam "_bucket" && sname != fam "_sum" && sname != fam "_count")
				bad("a sample of another family")
		} else if (sname != fam) bad("a sample of another family")
		s = substr(s, RLENGTH + 1)
		series = sname
		lastlabel = ""
		if (substr(s, 1, 1) == "{") {
			s = substr(s, 2)
			for (;;) {
				if (!match(s, /^[a-zA-Z_][a-zA-Z0-9_]*="/)) bad("a bad label")
				series = series "," substr(s, 1, RLENGTH)
				lastlabel = substr(s, 1, RLENGTH - 2)
				s = substr(s, RLENGTH + 1)
				if (!match(s, /^([^"\\]|\\\\|\\"|\\n)*"/)) bad("a bad label value")
				series = series substr(s, 1, RLENGTH)
				s = substr(s, RLENGTH + 1)
				if (substr(s, 1, 1) == "}") { s = substr(s, 2); break }
				if (substr(s, 1, 1) != ",") bad("no , or } after a label")
				s = substr(s, 2)
			}
		}
		if ((sname == fam "_bucket" && seen[fam] == "histogram") != (lastlabel == "le"))
			bad("a histogram bucket without le last, or le elsewhere")
		if (s !~ /^ ([-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[-+]Inf)$/) bad("a bad value")
		if (series in got) bad("a series twice")
		got[series] = 1; n++
	}
	END { if (!err && help != "") { print "HELP without TYPE at the end"; exit 1 }
	      if (!err) print n " samples" }' "$1"
}
# val FILE METRIC NAME: the value of METRIC for guest NAME.
val() { grep "^$2{name=\"$3\"," "$1" | awk '{print $2}'; }
# fam_type FILE METRIC
fam_type() { awk -v m="$2" '$1 == "#" && $2 == "TYPE" && $3 == m {print $4}' "$1"; }
# sec_gt A B: seconds A > B (decimals).
sec_gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }

# hist FILE SUFFIX STEP RESULT [LE]: a launch-histogram sample (0 if none).
hist() {
	local v
	v=$(grep "^spore_launch_duration_seconds_$2{step=\"$3\",result=\"$4\"${5:+,le=\"$5\"}}" "$1" |
		awk '{print $2}')
	echo "${v:-0}"
}
# The launch histogram goes on from what earlier tests' launches left (its
# file, kept by spored): counts are compared with this page's.
curl -s -o "$E2E_TMP/m0" "$URL"
ok0=$(hist "$E2E_TMP/m0" count total ok)
failed0=$(hist "$E2E_TMP/m0" count total failed)

L -d --name e2e-mbusy -m 96m "$img" /bin/sh -c 'while :; do :; done' >/dev/null 2>"$E2E_TMP/err"
L -d --name e2e-midle "$img" /bin/sh -c 'while :; do echo tick; sleep 0.2; done' >/dev/null 2>>"$E2E_TMP/err"
[ -s "$E2E_TMP/err" ] && sed 's/^/#   launch: /' "$E2E_TMP/err" | head -n 5

curl -s -D "$E2E_TMP/h1" -o "$E2E_TMP/m1" "$URL"
check_match "GET /metrics: 200, the text format's content type" \
	"$(tr -d '\r' <"$E2E_TMP/h1" | tr '\n' ' ')" \
	'^HTTP/1.1 200 OK .*Content-Type: text/plain; version=0.0.4; charset=utf-8'
check "the page parses strictly as the text format 0.0.4" strict "$E2E_TMP/m1"
sed -n '1,60p' "$E2E_TMP/m1" | grep -v '^#' | sed 's/^/# page: /' | head -n 24
check_eq "CPU seconds is a counter, memory a gauge" \
	"$(fam_type "$E2E_TMP/m1" spore_guest_cpu_seconds_total) $(fam_type "$E2E_TMP/m1" spore_guest_memory_bytes)" \
	"counter gauge"
check_eq "guests running: the two" "$(awk '$1 == "spore_guests_running" {print $2}' "$E2E_TMP/m1")" 2
check_match "the busy guest has labels name and id (its UUID)" \
	"$(grep '^spore_guest_cpu_seconds_total{name="e2e-mbusy"' "$E2E_TMP/m1")" \
	'^spore_guest_cpu_seconds_total\{name="e2e-mbusy",id="[0-9a-f-]{36}"\} [0-9]+\.[0-9]{9}$'
check_eq "memory limit is launch's -m" "$(val "$E2E_TMP/m1" spore_guest_memory_limit_bytes e2e-mbusy)" \
	"$((96 << 20))"
mem=$(val "$E2E_TMP/m1" spore_guest_memory_bytes e2e-mbusy)
check "memory use is within it, above 0 (${mem:-?})" \
	test "${mem:-0}" -gt 0 -a "${mem:-0}" -le $(((96 + 1) << 20))
check_match "block bytes read: the image was read (blkback's counters)" \
	"$(val "$E2E_TMP/m1" spore_guest_block_read_bytes_total e2e-mbusy)" '^[1-9][0-9]*$'
check_match "network counters are there (netback's)" \
	"$(val "$E2E_TMP/m1" spore_guest_network_receive_bytes_total e2e-midle)" '^[0-9]+$'

# Launches and their duration: a histogram by step (sporectl's phases) and
# in total, with the result.
check_eq "launch durations are a histogram" \
	"$(fam_type "$E2E_TMP/m1" spore_launch_duration_seconds)" histogram
ok1=$(hist "$E2E_TMP/m1" count total ok)
check_eq "the two launches counted, as ok ($ok0 -> $ok1)" "$((ok1 - ok0))" 2
check_eq "... in the +Inf bucket too" "$(hist "$E2E_TMP/m1" bucket total ok +Inf)" "$ok1"
check "the total's buckets never decrease" sh -c "grep '^spore_launch_duration_seconds_bucket{step=\"total\",result=\"ok\"' '$E2E_TMP/m1' |
	awk '{ if (\$2 + 0 < last + 0) exit 1; last = \$2 }'"
mean=$(awk -v s="$(hist "$E2E_TMP/m1" sum total ok)" -v n="$ok1" 'BEGIN { printf "%.3f", s / n }')
check "a launch's mean time is plausible: 50 ms..300 s ($mean s)" \
	awk -v m="$mean" 'BEGIN { exit !(m >= 0.05 && m <= 300) }'
for step in image record bundle disks build devices boot running; do
	check "step $step has launches" test "$(hist "$E2E_TMP/m1" count "$step" ok)" -ge 2
done
grep '^spore_launch_duration_seconds_\(sum\|count\)' "$E2E_TMP/m1" | sed 's/^/# page: /'
L -d --name e2e-mnope "${img%/*}/no-such-image:latest" >/dev/null 2>&1
check_eq "a launch of an image that does not exist fails (125)" "$?" 125
curl -s -o "$E2E_TMP/m1b" "$URL"
check_eq "... counted as failed" "$(($(hist "$E2E_TMP/m1b" count total failed) - failed0))" 1
check "... at its image step" test "$(hist "$E2E_TMP/m1b" count image failed)" -ge 1
check_eq "... and not as ok" "$(hist "$E2E_TMP/m1b" count total ok)" "$ok1"

# Clients that hold every slot: one sends half a request line, one
# garbage without an end, two connect and say nothing; a fifth waits in
# the backlog. spored's loop must go on meanwhile.
exec 3<>/dev/tcp/127.0.0.1/$PORT && printf 'GET /metr' >&3
exec 4<>/dev/tcp/127.0.0.1/$PORT && printf '\001\002garbage\377' >&4
exec 5<>/dev/tcp/127.0.0.1/$PORT
exec 6<>/dev/tcp/127.0.0.1/$PORT
exec 7<>/dev/tcp/127.0.0.1/$PORT
ticks0=$(guest_log e2e-midle | grep -c tick)
sleep 2
c1=$(val "$E2E_TMP/m1" spore_guest_cpu_seconds_total e2e-mbusy)
i1=$(val "$E2E_TMP/m1" spore_guest_cpu_seconds_total e2e-midle)
check "with every slot held: spored still answers on its socket" timeout 30 spored --ping
check "... sporectl list works" timeout 30 sporectl list
ticks1=$(guest_log e2e-midle | grep -c tick)
check "... a guest's console is still logged (ticks $ticks0 -> $ticks1)" test "$ticks1" -gt "$ticks0"
exec 3>&- 4>&- 5>&- 6>&- 7>&-

# A second page once the slots are free (the backlog's client is served or
# dropped; curl waits for the next).
sleep 1
curl -s -o "$E2E_TMP/m2" "$URL"
check "a second page parses strictly" strict "$E2E_TMP/m2"
c2=$(val "$E2E_TMP/m2" spore_guest_cpu_seconds_total e2e-mbusy)
i2=$(val "$E2E_TMP/m2" spore_guest_cpu_seconds_total e2e-midle)
db=$(awk -v a="$c2" -v b="$c1" 'BEGIN { printf "%.3f", a - b }')
di=$(awk -v a="$i2" -v b="$i1" 'BEGIN { printf "%.3f", a - b }')
echo "# CPU seconds over the interval: busy $db, idle $di"
check "the busy guest's CPU counter grows faster than the ticking one's ($db vs $di)" \
	sec_gt "$db" "$di"
check_match "console bytes of the ticking guest grow" \
	"$(val "$E2E_TMP/m2" spore_guest_console_bytes_total e2e-midle)" '^[1-9][0-9]*$'

check_match "another path: 404" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" '^404$'
check_match "POST /metrics: 405" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL")" '^405$'
check "garbage then a blank line: 400" sh -c \
	"printf 'hello\r\n\r\n' | timeout 10 nc 127.0.0.1 $PORT | head -n 1 | grep -q '^HTTP/1.1 400 '"

check_fails "spored refuses a bad --metrics address" spored --metrics localhost:$PORT --socket /run/e2e-x.sock
out=$(spored --metrics 1.2.3.4.5:1 --socket /run/e2e-x.sock 2>&1)
check_eq "... with one line (and the help hint)" "$(printf '%s\n' "$out" | head -n 1)" \
	"spored: --metrics: '1.2.3.4.5:1' is not IPv4:PORT or [IPv6]:PORT"

sporectl destroy -t 0 e2e-mbusy e2e-midle >/dev/null 2>&1

# Restarts per guest: a container crashing with --restart on-failure:2 is
# relaunched twice by spored's restarter, then stays exited; its counter
# says 2 (an exited guest keeps its series), and still does after a kill -9
# of spored (the count is the record's, not spored's memory).
L -d --name e2e-mfail --restart on-failure:2 "$img" /bin/sh -c 'exit 3' >/dev/null 2>&1
gave_up() { [ "$(sporectl inspect -f '{{.state}} {{.RestartCount}}' e2e-mfail 2>/dev/null)" = "exited 2" ]; }
check "a guest with --restart on-failure:2 is relaunched twice, then stays exited" wait_for 300 gave_up
curl -s -o "$E2E_TMP/m3" "$URL"
check "the page with restarts parses strictly" strict "$E2E_TMP/m3"
check_eq "restarts are a counter" "$(fam_type "$E2E_TMP/m3" spore_guest_restarts_total)" counter
check_eq "its restarts: 2" "$(val "$E2E_TMP/m3" spore_guest_restarts_total e2e-mfail)" 2
grep '^spore_guest_restarts_total' "$E2E_TMP/m3" | sed 's/^/# page: /'
kill9_spored() { local p; p=$(pidof spored) && kill -KILL $p; wait_for 10 sh -c "! pidof spored"; }
kill9_spored
start_spored --metrics 127.0.0.1:$PORT
curl -s -o "$E2E_TMP/m4" "$URL"
check_eq "... still 2 after a kill -9 of spored and its restart" \
	"$(val "$E2E_TMP/m4" spore_guest_restarts_total e2e-mfail)" 2
check_eq "... and the exited guest has no CPU sample" \
	"$(val "$E2E_TMP/m4" spore_guest_cpu_seconds_total e2e-mfail)" ""
ok3=$(hist "$E2E_TMP/m3" count total ok)
check_eq "its launch and 2 restarts counted as launches ($ok1 -> $ok3)" "$((ok3 - ok1))" 3
check_eq "the launch histogram is the same after spored's kill -9 and restart" \
	"$(grep '^spore_launch' "$E2E_TMP/m4")" "$(grep '^spore_launch' "$E2E_TMP/m3")"

sporectl destroy -t 0 e2e-mfail >/dev/null 2>&1
check_eq "destroy leaves no domain" "$(domains)" 0
