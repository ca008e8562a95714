package main

const statsUsage = `Usage: mqttdump stats -r FILE [flags]
       mqttdump stats -i IFACE [flags]   (the report is printed on Ctrl-C)

Reads the capture and prints one report: capture span, MQTT packets by
type, QoS and reason code; each client (address, version, keep alive,
connect latency, packets and bytes each way, how it ended); each topic;
request/answer latency per exchange kind (count, min, p50, p90, p99, max,
unanswered; nearest-rank percentiles); broker fan-out latency; findings by
rule. -T json prints it as one JSON object. --type, --topic and --client
select the packets counted.

Flags:
`

func usageOf(md mode) string {
	switch md {
	case modeStats:
		return statsUsage
	case modeLadder:
		return ladderUsage
	}
	return captureUsage
}
