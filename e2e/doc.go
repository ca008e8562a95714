// Package e2e holds the end-to-end tests of mqttdump: the real binary
// against a real mosquitto broker and real mosquitto clients on the
// loopback interface, live (-i lo) and from a tcpdump capture (-r), plus
// the sample captures in samples/.
//
// The live tests need root (packet capture), mosquitto, mosquitto_pub,
// mosquitto_sub and tcpdump; they skip without them unless
// MQTTDUMP_REQUIRE_E2E=1 is set, which turns every skip into a failure
// (CI sets it). Only 127.0.0.1 is used.
//
// Run: go test ./e2e/ (as root for the live tests; -v to see the steps).
package e2e
