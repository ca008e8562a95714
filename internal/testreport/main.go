// Command testreport reads `go test -json` on standard input and prints what
// a person wants from CI: the output of failed tests, a line per package and
// a closing "N passed, N failed, N skipped" line. CI uses the JSON stream so
// it can also check that no required test was skipped.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	out := map[string][]string{} // package/test -> output lines
	var pkgs []string
	pkgResult := map[string]string{}
	passed, failed, skipped := 0, 0, 0
	var failures, skips []string
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Println(sc.Text()) // build errors come as plain text
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			if len(out[key]) < 400 {
				out[key] = append(out[key], e.Output)
			}
		case "pass", "fail", "skip":
			if e.Test == "" {
				if _, ok := pkgResult[e.Package]; !ok {
					pkgs = append(pkgs, e.Package)
				}
				pkgResult[e.Package] = fmt.Sprintf("%s %s (%.1fs)", e.Action, e.Package, e.Elapsed)
				if e.Action == "fail" {
					failures = append(failures, e.Package+" ")
				}
				continue
			}
			if strings.Contains(e.Test, "/") {
				continue // count top-level tests only
			}
			switch e.Action {
			case "pass":
				passed++
			case "fail":
				failed++
				failures = append(failures, key)
			case "skip":
				skipped++
				skips = append(skips, key)
			}
		}
	}
	for _, k := range failures {
		fmt.Printf("--- FAIL %s\n%s\n", k, strings.Join(out[k], ""))
	}
	sort.Strings(skips)
	for _, k := range skips {
		lines := out[k]
		fmt.Printf("--- SKIP %s: %s", k, strings.Join(lines[max(0, len(lines)-2):], ""))
	}
	for _, p := range pkgs {
		fmt.Println(pkgResult[p])
	}
	fmt.Printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped)
}
