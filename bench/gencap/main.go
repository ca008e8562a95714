// Command gencap writes a large synthetic MQTT capture for the speed and
// memory benchmark (bench/run.sh):
//
//	go run ./bench/gencap -o big.pcap -size 500MB -seed 1
//
// The same flags always give the same file.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/mqttdump/mqttdump/internal/pcapgen"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gencap:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("gencap", flag.ContinueOnError)
	out := fs.String("o", "", "output file (required)")
	size := fs.String("size", "100MB", "approximate file size (KB, MB, GB are powers of 1024)")
	seed := fs.Uint64("seed", 1, "random seed")
	conc := fs.Int("conns", 300, "connections open at once")
	format := fs.String("format", "pcap", "pcap or pcapng")
	splitVarint := fs.Bool("split-varint", false, "also end segments inside a remaining length (tshark mis-frames these)")
	telemetry := fs.Bool("telemetry", false, "small telemetry messages only (about 1.2 MQTT packets per frame)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		return errors.New("usage: gencap -o FILE [-size 500MB] [-seed 1] [-conns 300] [-format pcap|pcapng] [-split-varint] [-telemetry]")
	}
	n, err := parseSize(*size)
	if err != nil {
		return err
	}
	cfg := Config{Size: n, Seed: *seed, Concurrency: *conc, SplitVarint: *splitVarint, Telemetry: *telemetry}
	switch *format {
	case "pcap":
	case "pcapng":
		cfg.Format = pcapgen.PCAPNG
	default:
		return fmt.Errorf("unknown format %q", *format)
	}
	f := os.Stdout // "-o -": piped into mqttdump -r -, for captures larger than the disk wants
	if *out != "-" {
		var err error
		if f, err = os.Create(*out); err != nil {
			return fmt.Errorf("create %s: %w", *out, err)
		}
	}
	st, err := Generate(f, cfg)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", *out, cerr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gencap: %s: %d bytes, %d frames, %d connections, %d MQTT packets\n",
		*out, st.Bytes, st.Frames, st.Connections, st.Packets)
	return nil
}

// parseSize reads "500MB", "1GB", "64KB" or a plain byte count.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	u := strings.ToUpper(strings.TrimSpace(s))
	for _, suf := range []struct {
		s string
		m int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(u, suf.s) {
			u, mult = strings.TrimSuffix(u, suf.s), suf.m
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(u), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q: want e.g. 500MB", s)
	}
	return n * mult, nil
}
