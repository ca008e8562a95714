#!/usr/bin/env bash
# Speed and memory targets of issue #12, measured side by side in one run on
# the machine at hand, each as the median of PAIRS paired runs (mqttdump and
# its yardstick one after the other, so a slow moment of the machine hits
# both):
#
#   bench/run.sh [--size 100MB] [--pairs 3] [--mem 1GB] [--mem-big 10GB] [--no-tshark]
#
# Captures come from bench/gencap: "mixed" (thousands of connections,
# payloads from bytes to 64 KB, segments split and bundled) and "telemetry"
# (small messages, about 1.2 MQTT packets per data frame). The yardsticks are
# tshark (-Y mqtt, -V, -T json) and bench/bare (gopacket's bare reassembly of
# the same file). Peak memory is the peak RSS of the real process
# (/usr/bin/time -v) on a --mem capture file and on a --mem-big capture piped
# from gencap into `mqttdump -r -` (no disk needed); --mem-big 0 skips it.
# Needs /usr/bin/time (Debian package "time"); tshark for the ratios.
set -euo pipefail

size=100MB pairs=3 mem=1GB membig=10GB use_tshark=1
while [ $# -gt 0 ]; do
	case "$1" in
	--size) size=$2; shift ;;
	--pairs) pairs=$2; shift ;;
	--mem) mem=$2; shift ;;
	--mem-big) membig=$2; shift ;;
	--no-tshark) use_tshark=0 ;;
	-h | --help) sed -n '2,16p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
if [ "$use_tshark" = 1 ] && ! command -v tshark >/dev/null; then
	echo "run.sh: tshark is not installed (or give --no-tshark)" >&2
	exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mqttdump-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "go: $(go version | cut -d' ' -f3)  tshark: $([ "$use_tshark" = 1 ] && tshark --version 2>/dev/null | head -n 1 | sed 's/^TShark (Wireshark) //' || echo none)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo ?)$(git diff --quiet 2>/dev/null || echo ' (modified)')  date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
CGO_ENABLED=0 go build -o "$tmp/mqttdump" ./cmd/mqttdump
CGO_ENABLED=0 go build -o "$tmp/gencap" ./bench/gencap
CGO_ENABLED=0 go build -o "$tmp/bare" ./bench/bare
md=$tmp/mqttdump

gen() { # gen NAME SIZE [gencap flags]: a capture file, made once
	local f="$tmp/$1-$2.pcap"
	[ -f "$f" ] || "$tmp/gencap" -o "$f" -size "$2" -seed 1 "${@:3}" 2>"$tmp/gencap.log"
	echo "$f"
}
mixed=$(gen mixed "$size")
tele=$(gen telemetry "$size" -telemetry)
echo "captures: mixed $(stat -c %s "$mixed") bytes, telemetry $(stat -c %s "$tele") bytes (bench/gencap -seed 1)"

# run CMD...: wall seconds of CMD (stdout and stderr discarded) in $t and
# peak RSS KB in $rss.
run() {
	/usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/stderr" || {
		echo "run.sh: failed: $* ($(tail -n 2 "$tmp/stderr" | tr '\n' ' '))" >&2
		exit 1
	}
	read -r t rss < <(tail -n 1 "$tmp/time")
}

# pair NAME: runs "A" and "B" commands (arrays A and B) $pairs times each,
# alternating, and prints both median times and the median of the per-pair
# ratios B/A in $ratio.
pair() {
	local name=$1 i ratios=() ta=() tb=()
	for ((i = 0; i < pairs; i++)); do
		run "${A[@]}"; ta+=("$t")
		run "${B[@]}"; tb+=("$t")
		ratios+=("$(awk -v a="${ta[i]}" -v b="$t" 'BEGIN { printf "%.3f", (a > 0 ? b / a : 0) }')")
	done
	median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
	ratio=$(median "${ratios[@]}")
	printf '  %-46s %7.2f s  %-24s %7.2f s  ratio %6.2f\n' "$name" "$(median "${ta[@]}")" "$3" "$(median "${tb[@]}")" "$ratio"
}

declare -a results
# target TEXT RATIO OP LIMIT: records whether RATIO OP LIMIT holds.
target() {
	local ok
	ok=$(awk -v r="$2" -v l="$4" -v op="$3" 'BEGIN { print ((op == ">=" ? r >= l : r <= l) ? "met" : "NOT met") }')
	results+=("$(printf '%-62s %8s (want %s %s)  %s' "$1" "$2" "$3" "$4" "$ok")")
}

echo
echo "speed (median of $pairs pairs; ratio = right / left)"
if [ "$use_tshark" = 1 ]; then
	A=("$md" -r "$mixed") B=(tshark -r "$mixed" -Y mqtt)
	pair "mqttdump -r mixed" x "tshark -Y mqtt"; target "summary vs tshark -Y mqtt, mixed" "$ratio" ">=" 20
	A=("$md" -r "$tele") B=(tshark -r "$tele" -Y mqtt)
	pair "mqttdump -r telemetry" x "tshark -Y mqtt"; target "summary vs tshark -Y mqtt, telemetry" "$ratio" ">=" 20
	A=("$md" -r "$mixed" -V) B=(tshark -r "$mixed" -Y mqtt -V)
	pair "mqttdump -r mixed -V" x "tshark -Y mqtt -V"; target "breakdown vs tshark -Y mqtt -V, mixed" "$ratio" ">=" 20
	A=("$md" -r "$mixed" -T json) B=(tshark -r "$mixed" -Y mqtt -T json)
	pair "mqttdump -r mixed -T json" x "tshark -Y mqtt -T json"; target "JSON vs tshark -Y mqtt -T json, mixed" "$ratio" ">=" 30
fi
A=("$md" -r "$mixed") B=("$md" -r "$mixed" -Y 'mqtt.msgtype == 3 && mqtt.qos >= 1')
pair "mqttdump -r mixed" x "... -Y 'msgtype==3&&qos>=1'"; target "-Y filter / summary, mixed" "$ratio" "<=" 1.3
A=("$md" -r "$mixed") B=("$md" stats -r "$mixed")
pair "mqttdump -r mixed" x "mqttdump stats"; target "stats / summary, mixed" "$ratio" "<=" 1.3
A=("$tmp/bare" "$mixed") B=("$md" -r "$mixed")
pair "bench/bare (gopacket reassembly), mixed" x "mqttdump -r mixed"; target "summary / bare gopacket reassembly, mixed" "$ratio" "<=" 2
A=("$tmp/bare" "$tele") B=("$md" -r "$tele")
pair "bench/bare (gopacket reassembly), telemetry" x "mqttdump -r telemetry"; target "summary / bare gopacket reassembly, telemetry" "$ratio" "<=" 2

echo
echo "start-up (median of 21 runs of mqttdump -r samples/mqtt311-session.pcap -c 1: start, read, decode and print one packet, exit)"
ts=()
for ((i = 0; i < 21; i++)); do
	s=$EPOCHREALTIME; "$md" -r samples/mqtt311-session.pcap -c 1 >/dev/null 2>&1; e=$EPOCHREALTIME
	ts+=("$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f", (e - s) * 1000 }')")
done
startup=$(printf '%s\n' "${ts[@]}" | sort -g | sed -n 11p)
echo "  $startup ms"
target "start-up, ms" "$startup" "<=" 20

echo
echo "peak memory (peak RSS of the process, /usr/bin/time)"
maxrss=0
memrun() { # memrun LABEL CMD...
	run "$@"
	printf '  %-46s %7.2f s  %6d MiB\n' "$label" "$t" $((rss / 1024))
	[ "$rss" -gt "$maxrss" ] && maxrss=$rss
	return 0
}
f=$(gen mixed "$mem")
for v in "" "-V" "-x" "-T json" "stats"; do
	label="$mem file: mqttdump ${v:-(summary)}"
	if [ "$v" = stats ]; then memrun "$md" stats -r "$f"; else memrun "$md" -r "$f" $v; fi
done
rm -f "$f"
if [ "$membig" != 0 ]; then
	for v in "" "-T json"; do
		label="$membig piped: mqttdump -r - ${v:-(summary)}"
		memrun "$md" -r <("$tmp/gencap" -o - -size "$membig" -seed 2 2>/dev/null) $v
	done
fi
target "peak RSS, MiB (every run above)" "$((maxrss / 1024))" "<=" 64

echo
echo "live capture on lo (bench/loadgen through mosquitto; QoS 0, 32-byte payloads, 4 publishers, 1 subscriber)"
if [ "$(id -u)" = 0 ] && command -v mosquitto >/dev/null; then
	CGO_ENABLED=0 go build -o "$tmp/loadgen" ./bench/loadgen
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" >"$tmp/mosq.conf"
	mosquitto -c "$tmp/mosq.conf" >/dev/null 2>&1 &
	mosq=$!
	sleep 0.5
	best=0
	for rate in 100000 200000 300000; do
		"$md" -i lo --port "$port" -q >/dev/null 2>"$tmp/live.err" &
		cap=$!
		sleep 0.5
		read -r _ sent _ recv _ secs _ achieved _ < <("$tmp/loadgen" -addr "127.0.0.1:$port" -rate "$rate" -duration 5s)
		sleep 0.5
		kill -INT "$cap"
		wait "$cap" || true
		shown=$(sed -n 's/.* \([0-9]*\) MQTT packets decoded.*/\1/p' "$tmp/live.err" | tail -n 1)
		drops=$(sed -n 's/.* \([0-9]*\) dropped by kernel.*/\1/p' "$tmp/live.err" | tail -n 1)
		# every PUBLISH in and every one delivered, and the 17 others:
		# CONNECT, CONNACK, DISCONNECT of each of 4 publishers; CONNECT,
		# CONNACK, SUBSCRIBE, SUBACK, DISCONNECT of the subscriber
		want=$((sent + recv + 17))
		printf '  offered %6d msg/s: achieved %6.0f msg/s, %d MQTT packets on the wire, %d shown, %d lost, %s dropped by kernel\n' \
			"$rate" "$achieved" "$want" "${shown:-0}" $((want - ${shown:-0})) "${drops:-?}"
		if [ "${shown:-0}" = "$want" ]; then best=${achieved%.*}; fi
	done
	kill "$mosq" 2>/dev/null || true
	wait "$mosq" 2>/dev/null || true
	target "live msg/s shown with no loss" "$best" ">=" 300000
else
	echo "  skipped: needs root (capture on lo) and mosquitto"
	live_result="live: not measured (needs root and mosquitto)"
fi

echo
echo "targets"
printf '  %s\n' "${results[@]}"
if [ -n "${live_result:-}" ]; then echo "  $live_result"; fi
