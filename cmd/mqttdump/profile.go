package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile to cpuPath and, at the end, a heap
// profile to heapPath, when they are set (MQTTDUMP_CPUPROFILE,
// MQTTDUMP_HEAPPROFILE), for the benchmark work; the returned function
// stops and writes them.
func startProfile(cpuPath, heapPath string) func() {
	stopCPU := startCPU(cpuPath)
	return func() {
		stopCPU()
		if heapPath == "" {
			return
		}
		f, err := os.Create(heapPath)
		if err == nil {
			err = pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "mqttdump: heap profile: %v\n", err)
		}
	}
}

func startCPU(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "mqttdump: cpu profile: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
