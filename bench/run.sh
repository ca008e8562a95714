#!/usr/bin/env bash
# Speed and memory benchmark (issue #3): mqttdump against tshark on a
# synthetic capture from bench/gencap.
#
#   bench/run.sh [SIZE] [--full] [--tshark-size SIZE] [--tshark-timeout SECONDS]
#
# SIZE (default 200MB) is the capture mqttdump is timed on. tshark is timed on
# a smaller capture (default 50MB, at most SIZE) because it is slow and its
# throughput is linear in the file size; both tools are timed on that file
# too, so the ratios compare like with like. Peak RSS of mqttdump is shown at
# two sizes (the tshark size and SIZE; 100MB and 1GB with --full) to show memory stays
# flat. Needs /usr/bin/time (Debian package "time"); tshark is optional.
set -euo pipefail

size=200MB
full=0
tshark_size=50MB
tshark_timeout=600
while [ $# -gt 0 ]; do
	case "$1" in
	--full) full=1 ;;
	--tshark-size) tshark_size=$2; shift ;;
	--tshark-timeout) tshark_timeout=$2; shift ;;
	-h | --help) sed -n '2,13p' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) size=$1 ;;
	esac
	shift
done

cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/time ]; then
	echo "run.sh: /usr/bin/time is missing (apt-get install time)" >&2
	exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mqttdump-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# bytes SIZE: the byte count of 200MB, 1GB, ... (powers of 1024, as gencap)
bytes() {
	local s=${1^^}
	case "$s" in
	*GB) echo $((${s%GB} << 30)) ;;
	*MB) echo $((${s%MB} << 20)) ;;
	*KB) echo $((${s%KB} << 10)) ;;
	*) echo "$s" ;;
	esac
}
if [ "$(bytes "$tshark_size")" -gt "$(bytes "$size")" ]; then
	tshark_size=$size
fi
mem_small=$tshark_size mem_big=$size
if [ "$full" = 1 ]; then
	mem_small=100MB mem_big=1GB
fi

echo "building mqttdump and gencap"
CGO_ENABLED=0 go build -o "$tmp/mqttdump" ./cmd/mqttdump
CGO_ENABLED=0 go build -o "$tmp/gencap" ./bench/gencap

# capture SIZE: path of the capture of that size, generated once.
capture() {
	local f="$tmp/cap-$1.pcap"
	if [ ! -f "$f" ]; then
		"$tmp/gencap" -o "$f" -size "$1" -seed 1 >&2
	fi
	echo "$f"
}

# measure NAME CMD...: runs CMD with stdout to /dev/null; sets wall (seconds,
# or "timeout"), rss (KB) and prints one line.
measure() {
	local name=$1 rc=0
	shift
	/usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/stderr" || rc=$?
	# The last line; a failing command adds "Command exited with ..." above.
	read -r wall rss < <(tail -n 1 "$tmp/time") || { wall=?; rss=?; }
	if [ "$rc" = 124 ]; then
		wall=timeout
	elif [ "$rc" != 0 ]; then
		echo "  $name: exit status $rc: $(tail -n 3 "$tmp/stderr" | tr '\n' ' ')" >&2
	fi
	printf '  %-44s %10s s  %8s MB peak RSS\n' "$name" "$wall" "$([ "$rss" = ? ] && echo ? || echo $((rss / 1024)))"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.1fx", a / b; else print "n/a" }'; }
mbps() { awk -v n="$1" -v t="$2" 'BEGIN { if (t+0 > 0) printf "%.0f MB/s", n / 1048576 / t; else print "n/a" }'; }

big=$(capture "$size")
echo
echo "mqttdump on $size ($(stat -c %s "$big") bytes), $(nproc) CPUs"
measure "mqttdump -r FILE" "$tmp/mqttdump" -r "$big"
t_text=$wall
measure "mqttdump -r FILE -T json" "$tmp/mqttdump" -r "$big" -T json
t_json=$wall
echo "  throughput: text $(mbps "$(stat -c %s "$big")" "$t_text"), json $(mbps "$(stat -c %s "$big")" "$t_json")"

if command -v tshark >/dev/null; then
	small=$(capture "$tshark_size")
	n=$(stat -c %s "$small")
	echo
	echo "tshark vs mqttdump on $tshark_size ($n bytes; tshark limited to ${tshark_timeout}s; $(tshark --version 2>/dev/null | head -n 1))"
	measure "mqttdump -r FILE" "$tmp/mqttdump" -r "$small"
	m_text=$wall
	measure "tshark -r FILE -Y mqtt" timeout "$tshark_timeout" tshark -r "$small" -Y mqtt
	s_text=$wall
	measure "mqttdump -r FILE -T json" "$tmp/mqttdump" -r "$small" -T json
	m_json=$wall
	measure "tshark -r FILE -Y mqtt -T json" timeout "$tshark_timeout" tshark -r "$small" -Y mqtt -T json
	s_json=$wall
	echo "  text: tshark/mqttdump = $(ratio "$s_text" "$m_text") (tshark $(mbps "$n" "$s_text"))"
	echo "  json: tshark/mqttdump = $(ratio "$s_json" "$m_json") (tshark $(mbps "$n" "$s_json"))"
	# Sanity: both tools must see the same MQTT packets.
	n_m=$("$tmp/mqttdump" -r "$small" -T json 2>/dev/null | wc -l)
	n_s=$(tshark -r "$small" -Y mqtt -T fields -e mqtt.msgtype 2>/dev/null | tr ',' '\n' | grep -c . || true)
	echo "  MQTT packets seen: mqttdump $n_m, tshark $n_s"
	echo "  (tshark's time grows linearly with size: on $size expect about $(awk -v t="$s_text" -v a="$(stat -c %s "$big")" -v b="$n" 'BEGIN { if (t+0 > 0) printf "%.0f", t * a / b; else print "?" }') s for text)"
else
	echo
	echo "tshark not installed: comparison skipped"
fi

echo
echo "mqttdump peak memory at two sizes (should stay flat)"
for s in "$mem_small" "$mem_big"; do
	f=$(capture "$s")
	measure "mqttdump -r FILE -T json ($s)" "$tmp/mqttdump" -r "$f" -T json
done
