// Command loadgen publishes MQTT 3.1.1 QoS 0 messages through a real broker
// at a set rate, with one subscriber reading them back, for the live
// capture benchmark (bench/run.sh): what mqttdump -i lo must show is then
// known exactly, every PUBLISH the publishers sent plus every one the
// subscriber received.
//
//	loadgen -addr 127.0.0.1:1883 -rate 300000 -duration 5s
//
// It prints one line: sent, received, seconds and the achieved rates.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:1883", "broker address (loopback)")
	rate := flag.Int("rate", 100000, "messages per second, all publishers together")
	dur := flag.Duration("duration", 5*time.Second, "how long to publish")
	pubs := flag.Int("pubs", 4, "publisher connections")
	size := flag.Int("size", 32, "payload bytes")
	flag.Parse()
	if err := run(*addr, *rate, *dur, *pubs, *size); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(addr string, rate int, dur time.Duration, pubs, size int) error {
	if rate <= 0 || pubs <= 0 || size < 0 {
		return errors.New("-rate and -pubs must be positive, -size not negative")
	}
	sub, err := dial(addr, "loadgen-sub")
	if err != nil {
		return err
	}
	defer sub.Close()
	if err := subscribe(sub, "load/#"); err != nil {
		return err
	}
	var received atomic.Int64
	readDone := make(chan error, 1)
	go func() { readDone <- countPublishes(sub, &received) }()

	var sent atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, pubs)
	start := time.Now()
	for i := range pubs {
		c, err := dial(addr, fmt.Sprintf("loadgen-pub-%d", i))
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			if err := publish(c, fmt.Sprintf("load/%d", i), size, rate/pubs, start, dur, &sent); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	elapsed := time.Since(start)
	// Let the broker deliver what it queued, then stop reading.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for last := int64(-1); ctx.Err() == nil; {
		time.Sleep(200 * time.Millisecond)
		n := received.Load()
		if n == sent.Load() || n == last {
			break
		}
		last = n
	}
	sub.Write([]byte{0xe0, 0}) // DISCONNECT
	sub.Close()
	<-readDone
	s, r := sent.Load(), received.Load()
	fmt.Printf("sent %d received %d seconds %.3f rate %.0f msg/s delivered %.0f msg/s\n",
		s, r, elapsed.Seconds(), float64(s)/elapsed.Seconds(), float64(r)/elapsed.Seconds())
	return nil
}

// dial connects and completes CONNECT/CONNACK.
func dial(addr, id string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	body := append(str("MQTT"), 4, 0x02, 0, 60) // 3.1.1, clean session, keep alive 60
	body = append(body, str(id)...)
	if _, err := c.Write(packet(0x10, body)); err != nil {
		c.Close()
		return nil, fmt.Errorf("send CONNECT: %w", err)
	}
	ack := make([]byte, 4)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, ack); err != nil || ack[0] != 0x20 || ack[3] != 0 {
		c.Close()
		return nil, fmt.Errorf("CONNACK from %s: % x %v", addr, ack, err)
	}
	c.SetReadDeadline(time.Time{})
	return c, nil
}

func subscribe(c net.Conn, filter string) error {
	body := append([]byte{0, 1}, str(filter)...)
	body = append(body, 0) // QoS 0
	if _, err := c.Write(packet(0x82, body)); err != nil {
		return fmt.Errorf("send SUBSCRIBE: %w", err)
	}
	ack := make([]byte, 5)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, ack); err != nil || ack[0] != 0x90 {
		return fmt.Errorf("SUBACK: % x %v", ack, err)
	}
	c.SetReadDeadline(time.Time{})
	return nil
}

// publish sends QoS 0 PUBLISHes at rate per second until dur has passed,
// in batches each millisecond so the pace holds at high rates.
func publish(c net.Conn, topic string, size, rate int, start time.Time, dur time.Duration, sent *atomic.Int64) error {
	msg := packet(0x30, append(str(topic), make([]byte, size)...))
	w := bufio.NewWriterSize(c, 1<<16)
	written := int64(0)
	for el := time.Since(start); el < dur; el = time.Since(start) {
		due := int64(el.Seconds() * float64(rate))
		batch := int64(0)
		for ; written < due; written++ {
			if _, err := w.Write(msg); err != nil {
				return fmt.Errorf("publish: %w", err)
			}
			batch++
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		sent.Add(batch)
		time.Sleep(time.Millisecond)
	}
	w.Write([]byte{0xe0, 0}) // DISCONNECT
	return w.Flush()
}

// countPublishes reads the subscriber's stream and counts PUBLISH packets.
func countPublishes(c net.Conn, n *atomic.Int64) error {
	r := bufio.NewReaderSize(c, 1<<16)
	for {
		h, err := r.ReadByte()
		if err != nil {
			return err
		}
		l, err := binary.ReadUvarint(r) // MQTT's remaining length is the same LEB128
		if err != nil {
			return err
		}
		if _, err := r.Discard(int(l)); err != nil {
			return err
		}
		if h>>4 == 3 {
			n.Add(1)
		}
	}
}

func str(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }

func packet(first byte, body []byte) []byte {
	out := []byte{first}
	out = binary.AppendUvarint(out, uint64(len(body)))
	return append(out, body...)
}
