// Package bench holds the speed and memory benchmarks of issue #3:
// bench_test.go measures the capture package (and the dissector behind it)
// on a synthetic capture built in memory with internal/pcapgen; run.sh and
// gencap compare the mqttdump binary with tshark on large files.
package bench
