package render

import (
	"strconv"
	"time"

	"github.com/mqttdump/mqttdump/filter"
)

// Analysis is what the connection stage's analyzers found about a packet.
// Zero fields are absent.
type Analysis struct {
	ClientID string // client id of the packet's connection (from its CONNECT)

	// Generated are the answers, flows and forwards the analyzers paired
	// the packet with; display filters and -e read them as the generated
	// fields mqtt.response_to, mqtt.latency, ...
	filter.Generated
}

// appendAnalysis writes the summary-line suffix: " [answers 34, 0.212 ms]".
func appendAnalysis(dst []byte, a *Analysis) []byte {
	if a == nil {
		return dst
	}
	if a.ResponseTo > 0 {
		dst = append(dst, " [answers "...)
		dst = strconv.AppendInt(dst, int64(a.ResponseTo), 10)
		dst = append(dst, ", "...)
		dst = appendMillis(dst, a.Latency)
		if a.FlowStart > 0 {
			dst = append(dst, "; flow from "...)
			dst = strconv.AppendInt(dst, int64(a.FlowStart), 10)
			dst = append(dst, ", "...)
			dst = appendMillis(dst, a.FlowTime)
		}
		dst = append(dst, ']')
	}
	switch {
	case a.WillOf > 0:
		dst = append(dst, " [will of "...)
		dst = strconv.AppendInt(dst, int64(a.WillOf), 10)
		dst = append(dst, ", "...)
		dst = appendMillis(dst, a.ForwardLatency)
		dst = append(dst, ']')
	case a.ForwardedFrom > 0:
		if a.Retained {
			dst = append(dst, " [retained copy of "...)
		} else {
			dst = append(dst, " [forwards "...)
		}
		dst = strconv.AppendInt(dst, int64(a.ForwardedFrom), 10)
		dst = append(dst, ", "...)
		dst = appendMillis(dst, a.ForwardLatency)
		dst = append(dst, ']')
	case a.Retained:
		dst = append(dst, " [retained copy]"...)
	}
	return dst
}

// appendMillis writes d as milliseconds with three decimals: "0.212 ms".
func appendMillis(dst []byte, d time.Duration) []byte {
	if d >= 0 && d%time.Microsecond == 0 {
		// Whole microseconds (pcap's resolution): exact in integers, the
		// same digits as the float path, without its cost.
		us := int64(d / time.Microsecond)
		dst = strconv.AppendInt(dst, us/1000, 10)
		frac := us % 1000
		dst = append(dst, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
		return append(dst, " ms"...)
	}
	dst = strconv.AppendFloat(dst, float64(d)/float64(time.Millisecond), 'f', 3, 64)
	return append(dst, " ms"...)
}

// appendJSONAnalysis writes the analysis keys, each after a comma.
func appendJSONAnalysis(b []byte, a *Analysis) []byte {
	if a == nil {
		return b
	}
	if a.ResponseTo > 0 {
		b = append(b, `,"response_to":`...)
		b = strconv.AppendInt(b, int64(a.ResponseTo), 10)
		b = append(b, `,"latency":`...)
		b = appendJSONSeconds(b, a.Latency)
	}
	if a.FlowStart > 0 {
		b = append(b, `,"flow_start":`...)
		b = strconv.AppendInt(b, int64(a.FlowStart), 10)
		b = append(b, `,"flow_time":`...)
		b = appendJSONSeconds(b, a.FlowTime)
	}
	if a.ForwardedFrom > 0 {
		b = append(b, `,"forwarded_from":`...)
		b = strconv.AppendInt(b, int64(a.ForwardedFrom), 10)
		b = append(b, `,"forward_latency":`...)
		b = appendJSONSeconds(b, a.ForwardLatency)
	}
	if a.Retained {
		b = append(b, `,"retained_copy":true`...)
	}
	if a.WillOf > 0 {
		b = append(b, `,"will_of":`...)
		b = strconv.AppendInt(b, int64(a.WillOf), 10)
	}
	return b
}

// appendJSONSeconds writes d in seconds as a JSON number, exactly.
func appendJSONSeconds(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, d.Seconds(), 'f', -1, 64)
}
