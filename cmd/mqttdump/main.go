// Command mqttdump is a Wireshark-style MQTT dissector for the command line:
// it reads captures or live interfaces, or pasted hex (`mqttdump decode`),
// and prints every MQTT packet as a summary line, an annotated byte-by-byte
// breakdown, a hex dump or NDJSON.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// SIGINT/SIGTERM cancel the context: captures stop reading, flush what
	// is in flight and print the end-of-run counts, as tcpdump does.
	stopProfile := startProfile(os.Getenv("MQTTDUMP_CPUPROFILE"), os.Getenv("MQTTDUMP_HEAPPROFILE"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal lets a live capture read what the kernel has queued;
	// a second one ends the process at once (the default action).
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr, env: os.Getenv})
	stop()
	stopProfile()
	os.Exit(code)
}
