package main

const ladderUsage = `Usage: mqttdump ladder -r FILE [--client ID] [flags]

Draws the conversation as a sequence diagram: a lane for the broker and
one per client, an arrow per MQTT packet with its type, packet id, topic,
QoS and time; answers carry their latency; the four steps of a QoS 2 flow
are bracketed together. -T mermaid writes a Mermaid sequenceDiagram (it
renders in GitHub and GitLab markdown).

Flags:
`
