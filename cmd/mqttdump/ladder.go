package main

import (
	"context"

	"github.com/spf13/pflag"
)

// ladderCommand is `mqttdump ladder`: the conversation as a sequence diagram.
func ladderCommand() command {
	return command{
		name:     "ladder",
		synopsis: []string{"mqttdump ladder -r FILE [--client ID] [flags]"},
		summary:  "the conversation as a sequence diagram (terminal or Mermaid)",
		about: "Draws the capture as a sequence diagram: a lane for the broker and one per client, an arrow per " +
			"MQTT packet with its type, packet id, topic, QoS and time; answers carry their latency and forwarded " +
			"messages the frame they forward; the four steps of a QoS 2 flow are bracketed; how each connection " +
			"ended is noted on its lane. -T mermaid writes a Mermaid sequenceDiagram, which GitHub and GitLab " +
			"render in markdown.",
		examples: []example{
			{"the whole capture", "mqttdump ladder -r capture.pcap"},
			{"one client, as Mermaid for a README", "mqttdump ladder -r capture.pcap --client sensor-7 -T mermaid"},
		},
		flags: func(sys stdio) *pflag.FlagSet { o := captureOpts{mode: modeLadder}; return o.flagSet(sys) },
		run: func(ctx context.Context, args []string, sys stdio) error {
			return runCaptureMode(ctx, args, sys, modeLadder)
		},
	}
}
