package main

import (
	"context"

	"github.com/spf13/pflag"
)

// statsCommand is `mqttdump stats`: one report over a capture.
func statsCommand() command {
	return command{
		name:     "stats",
		synopsis: []string{"mqttdump stats -r FILE [flags]", "mqttdump stats -i IFACE [flags]"},
		summary:  "statistics: packets, clients, topics, latency, fan-out, findings",
		about: "Reads a capture (or captures live until Ctrl-C) and prints one report in the manner of tshark -z: " +
			"capture span, MQTT packets by type, QoS and reason code; each client (address, version, keep alive, " +
			"connect latency, packets and bytes each way, how it ended); each topic; the latency of each exchange " +
			"kind (count, min, p50, p90, p99, max and unanswered; nearest-rank percentiles, exact up to 131072 " +
			"samples, then from a histogram with 1% buckets); broker fan-out latency; findings by rule. " +
			"-T json prints one JSON object. --type, --topic, --client and -Y select the packets counted.",
		examples: []example{
			{"the report of a capture", "mqttdump stats -r capture.pcap"},
			{"as JSON: the connect latency percentiles", "mqttdump stats -r capture.pcap -T json | jq .exchanges.connect"},
			{"one client only", "mqttdump stats -r capture.pcap --client sensor-7"},
			{"live, printed on Ctrl-C", "sudo mqttdump stats -i lo"},
		},
		flags: func(sys stdio) *pflag.FlagSet { o := captureOpts{mode: modeStats}; return o.flagSet(sys) },
		run: func(ctx context.Context, args []string, sys stdio) error {
			return runCaptureMode(ctx, args, sys, modeStats)
		},
	}
}
