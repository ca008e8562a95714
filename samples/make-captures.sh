#!/usr/bin/env bash
# Re-makes the sample captures in this directory from real mosquitto clients
# talking to a private mosquitto broker on the loopback interface.
#
# Needs root (packet capture and a private network namespace), mosquitto,
# mosquitto-clients, tcpdump and dumpcap (Debian: apt-get install mosquitto
# mosquitto-clients tcpdump tshark).
#
# The script re-executes itself inside a fresh network namespace
# (unshare -n), so port 1883 is always free and nothing but the traffic made
# here lands in the captures. Only 127.0.0.1 and ::1 are ever used.
#
# Usage: samples/make-captures.sh [OUTDIR]   (default: the script's directory)
# Re-running gives the same packets; ports, timestamps and the TCP
# sequence numbers differ from run to run.
set -euo pipefail

outdir=$(cd "${1:-$(dirname "$0")}" && pwd)

if [[ -z "${MQTTDUMP_CAPTURE_NETNS:-}" ]]; then
	if [[ $(id -u) -ne 0 ]]; then
		echo "make-captures.sh: needs root (packet capture, unshare -n)" >&2
		exit 1
	fi
	for tool in mosquitto mosquitto_pub mosquitto_sub tcpdump dumpcap unshare; do
		command -v "$tool" >/dev/null || {
			echo "make-captures.sh: $tool not found" >&2
			exit 1
		}
	done
	exec unshare -n env MQTTDUMP_CAPTURE_NETNS=1 "$0" "$outdir"
fi

# Inside the private namespace: only lo exists, and it starts down.
ip link set lo up

work=$(mktemp -d)
broker_pid=""
capture_pid=""
# KEEP=1 keeps the temp dir (broker and capture logs) for debugging.
cleanup() {
	[[ -n "$capture_pid" ]] && kill -INT "$capture_pid" 2>/dev/null || true
	[[ -n "$broker_pid" ]] && kill "$broker_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	[[ -n "${KEEP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/mosquitto.conf" <<EOF
# Private broker: loopback only, no persistence, anonymous (user names and
# passwords are sent by the clients but not checked).
per_listener_settings false
allow_anonymous true
persistence false
log_dest stderr
log_type all
listener 1883 127.0.0.1
listener 1883 ::1
EOF

# wait_for FILE TEXT: poll (max 10 s) until FILE contains TEXT.
wait_for() {
	local i
	for i in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "make-captures.sh: timed out waiting for '$2' in $1" >&2
	cat "$1" >&2 || true
	exit 1
}

# A fresh broker for every capture, so retained messages never leak between
# files.
start_broker() {
	mosquitto -c "$work/mosquitto.conf" 2>"$work/broker.log" &
	broker_pid=$!
	local i
	for i in $(seq 100); do
		mosquitto_pub -h 127.0.0.1 -p 1883 -t probe -n --quiet 2>/dev/null && return 0
		sleep 0.1
	done
	echo "make-captures.sh: mosquitto did not start:" >&2
	cat "$work/broker.log" >&2
	exit 1
}

stop_broker() {
	kill "$broker_pid"
	wait "$broker_pid" 2>/dev/null || true
	broker_pid=""
}

# start_capture FILE [pcapng]: capture port 1883 on lo, unbuffered (-U,
# --immediate-mode: TPACKET_V3 otherwise holds packets in a ring block;
# -B: immediate mode's ring has few slots at full snap length) so
# nothing is lost when stopped. The broker is started (and probed) before the
# capture, so the readiness probe is not recorded.
start_capture() {
	: >"$work/capture.log"
	if [[ "${2:-}" == pcapng ]]; then
		dumpcap -q -B 16 -i lo -f 'tcp port 1883' -w "$1" 2>"$work/capture.log" &
		capture_pid=$!
		wait_for "$work/capture.log" "Capturing on"
	else
		tcpdump -U --immediate-mode -B 16384 -Z root -i lo -w "$1" 'tcp port 1883' 2>"$work/capture.log" &
		capture_pid=$!
		wait_for "$work/capture.log" "listening on"
	fi
}

stop_capture() {
	sleep 0.3 # let the last FIN/ACKs arrive
	kill -INT "$capture_pid"
	wait "$capture_pid" 2>/dev/null || true
	capture_pid=""
	chmod 0644 "$1"
	# A file with lost packets is no sample: fail loudly instead.
	if ! grep -Eq '^0 packets dropped by kernel|/0 \(pcap:0/dumpcap:0/' "$work/capture.log"; then
		echo "make-captures.sh: $1: capture dropped packets or did not report:" >&2
		cat "$work/capture.log" >&2
		exit 1
	fi
}

# wait_subscribed CLIENTID: the broker logs (unbuffered) when it has
# accepted the subscription; publishing earlier could miss it.
wait_subscribed() {
	wait_for "$work/broker.log" "Sending SUBACK to $1"
}

# ---------------------------------------------------------------------------
# mqtt311-session.pcap: the README's main example. A subscriber (user name,
# password, will) subscribes at QoS 2 and unsubscribes from a second filter;
# three publishers send QoS 0, QoS 1 retained and QoS 2; the subscriber
# disconnects after the third message.
make_311() {
	local f="$outdir/mqtt311-session.pcap"
	start_broker
	start_capture "$f"
	mosquitto_sub -V mqttv311 -h 127.0.0.1 -i demo-sub -u alice -P secret \
		-k 30 --will-topic demo/status --will-payload offline --will-qos 1 --will-retain \
		-q 2 -t 'demo/#' -U demo/old -C 3 -W 10 >"$work/sub.log" 2>&1 &
	local sub=$!
	wait_subscribed demo-sub
	mosquitto_pub -V mqttv311 -h 127.0.0.1 -i demo-pub0 -q 0 -t demo/a -m 'hello qos0'
	mosquitto_pub -V mqttv311 -h 127.0.0.1 -i demo-pub1 -q 1 -r -t demo/b -m 'hello qos1 retained'
	mosquitto_pub -V mqttv311 -h 127.0.0.1 -i demo-pub2 -q 2 -t demo/c -m 'hello qos2'
	wait "$sub"
	stop_capture "$f"
	stop_broker
}

# mqtt5-properties.pcap: MQTT 5.0 with properties in CONNECT, will, PUBLISH,
# SUBSCRIBE, UNSUBSCRIBE and DISCONNECT; QoS 1 and QoS 2.
make_5() {
	local f="$outdir/mqtt5-properties.pcap"
	start_broker
	start_capture "$f"
	mosquitto_sub -V mqttv5 -h 127.0.0.1 -i v5-sub -q 2 -t 'v5/#' -U v5/old -C 2 -W 10 \
		-D connect session-expiry-interval 60 \
		-D connect receive-maximum 20 \
		-D connect maximum-packet-size 65536 \
		-D connect topic-alias-maximum 10 \
		-D connect user-property app mqttdump-sample \
		-D subscribe user-property purpose sample \
		-D unsubscribe user-property purpose cleanup \
		-D disconnect session-expiry-interval 0 \
		>"$work/sub.log" 2>&1 &
	local sub=$!
	wait_subscribed v5-sub
	mosquitto_pub -V mqttv5 -h 127.0.0.1 -i v5-pub1 -u bob -P hunter2 -q 1 \
		-t v5/sensor/temp -m '{"celsius":21.5}' \
		--will-topic v5/status --will-payload 'v5-pub1 gone' --will-qos 1 \
		-D will will-delay-interval 5 \
		-D will content-type text/plain \
		-D will user-property reason will \
		-D connect session-expiry-interval 30 \
		-D publish payload-format-indicator 1 \
		-D publish content-type application/json \
		-D publish response-topic v5/reply \
		-D publish correlation-data req-42 \
		-D publish message-expiry-interval 300 \
		-D publish topic-alias 1 \
		-D publish user-property unit celsius \
		-D publish user-property sensor kitchen
	mosquitto_pub -V mqttv5 -h 127.0.0.1 -i v5-pub2 -q 2 -t v5/cmd -m 'reboot' \
		-D publish user-property k v \
		-D disconnect user-property bye now
	wait "$sub"
	stop_capture "$f"
	stop_broker
}

# mqtt31-session.pcap: MQTT 3.1 ("MQIsdp") with user name and password,
# QoS 0/1/2 publishes, a retained message, subscribe and unsubscribe.
make_31() {
	local f="$outdir/mqtt31-session.pcap"
	start_broker
	start_capture "$f"
	mosquitto_sub -V mqttv31 -h 127.0.0.1 -i v31-sub -u carol -P s3cret \
		-q 2 -t 'v31/#' -U v31/old -C 3 -W 10 >"$work/sub.log" 2>&1 &
	local sub=$!
	wait_subscribed v31-sub
	mosquitto_pub -V mqttv31 -h 127.0.0.1 -i v31-pub0 -q 0 -t v31/a -m 'three-one qos0'
	mosquitto_pub -V mqttv31 -h 127.0.0.1 -i v31-pub1 -q 1 -r -t v31/b -m 'three-one qos1 retained' \
		--will-topic v31/status --will-payload gone --will-qos 2
	mosquitto_pub -V mqttv31 -h 127.0.0.1 -i v31-pub2 -u carol -P s3cret -q 2 -t v31/c -m 'three-one qos2'
	wait "$sub"
	stop_capture "$f"
	stop_broker
}

# mqtt5-ipv6.pcapng: pcapng written by dumpcap; MQTT 5.0 over ::1, a QoS 2
# publish with a payload repeated three times on one connection.
make_pcapng() {
	local f="$outdir/mqtt5-ipv6.pcapng"
	start_broker
	start_capture "$f" pcapng
	mosquitto_sub -V mqttv5 -h ::1 -i v6-sub -q 2 -t 'v6/#' -C 3 -W 10 >"$work/sub.log" 2>&1 &
	local sub=$!
	wait_subscribed v6-sub
	mosquitto_pub -V mqttv5 -h ::1 -i v6-pub -q 2 -t v6/counter -m 'tick' --repeat 3 \
		-D publish user-property via ipv6
	wait "$sub"
	stop_capture "$f"
	stop_broker
}

make_311
make_5
make_31
make_pcapng

for f in mqtt311-session.pcap mqtt5-properties.pcap mqtt31-session.pcap mqtt5-ipv6.pcapng; do
	printf '%s %s bytes\n' "$f" "$(stat -c %s "$outdir/$f")"
done
