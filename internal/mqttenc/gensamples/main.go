// Command gensamples rewrites samples/hex from mqttenc.Samples: every .hex
// file and README.md. Run it from the module root:
//
//	go run ./internal/mqttenc/gensamples
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mqttdump/mqttdump/internal/mqttenc"
)

func main() {
	dir := flag.String("dir", filepath.Join("samples", "hex"), "directory to rewrite")
	flag.Parse()
	if err := write(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gensamples:", err)
		os.Exit(1)
	}
}

// write removes the old .hex files (so renamed samples do not linger) and
// writes the current set.
func write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.hex"))
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("remove %s: %w", f, err)
		}
	}
	samples := mqttenc.Samples()
	for _, s := range samples {
		path := filepath.Join(dir, s.Name+".hex")
		if err := os.WriteFile(path, []byte(s.HexFile()), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	readme := filepath.Join(dir, "README.md")
	if err := os.WriteFile(readme, []byte(mqttenc.SamplesReadme(samples)), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", readme, err)
	}
	return nil
}
