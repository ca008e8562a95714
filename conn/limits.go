package conn

import (
	"fmt"
	"strings"

	"github.com/mqttdump/mqttdump/dissect"
)

// limits is what one side agreed to accept (MQTT 5): they bound what the
// other direction may send.
type limits struct {
	set           bool
	maxPacket     uint64 // 0: no limit
	topicAliasMax uint64
	receiveMax    uint64
	maxQoS        uint64
	retain        bool
	wildcard      bool
	subID         bool
	shared        bool
}

// limitsFrom reads the limits a CONNECT (on what the server sends) or a
// CONNACK (on what the client sends) declares; absent properties take the
// spec's defaults.
func limitsFrom(p *dissect.Packet) limits {
	l := limits{receiveMax: 65535, maxQoS: 2, retain: true, wildcard: true, subID: true, shared: true}
	if p.Version != dissect.V5 {
		return l
	}
	l.set = true
	if v, ok := propUint(p, propMaxPacket); ok {
		l.maxPacket = v
	}
	if v, ok := propUint(p, propTopicAliasMax); ok {
		l.topicAliasMax = v
	}
	if v, ok := propUint(p, propReceiveMax); ok && v > 0 {
		l.receiveMax = v
	}
	if p.Type == dissect.TypeConnack {
		if v, ok := propUint(p, propMaxQoS); ok {
			l.maxQoS = v
		}
		if v, ok := propUint(p, propRetainAvail); ok {
			l.retain = v != 0
		}
		if v, ok := propUint(p, propWildcardAvail); ok {
			l.wildcard = v != 0
		}
		if v, ok := propUint(p, propSubIDAvail); ok {
			l.subID = v != 0
		}
		if v, ok := propUint(p, propSharedAvail); ok {
			l.shared = v != 0
		}
	}
	return l
}

// checkLimits flags a packet that breaks what the other side declared.
func (pl *Pipeline) checkLimits(c *Conn, p *dissect.Packet, dir dissect.Direction) {
	if dir != dissect.ToServer && dir != dissect.ToClient {
		return
	}
	l := &c.lim[dir]
	if !l.set || p.Version != dissect.V5 {
		return
	}
	// Sections of the property that set the limit, per side: CONNACK's
	// for the client, CONNECT's for the server.
	sec := func(connack, connect string) string {
		if dir == dissect.ToServer {
			return "5.0 §3.2.2.3." + connack
		}
		return "5.0 §3.1.2.11." + connect
	}
	other := "broker"
	if dir == dissect.ToClient {
		other = "client"
	}
	find := func(rule, spec, format string, a ...any) {
		p.AddFinding(nil, &dissect.Expert{Severity: dissect.SevProtocol, Spec: spec, Message: fmt.Sprintf(format, a...)})
		pl.findings[rule]++
	}
	if size := uint64(len(p.Raw) + max(p.Missing, 0)); l.maxPacket > 0 && size > l.maxPacket {
		find("max_packet_size", sec("6", "4"), "packet of %d bytes exceeds the %s's Maximum Packet Size %d", size, other, l.maxPacket)
	}
	switch p.Type {
	case dissect.TypePublish:
		if p.TopicAlias > 0 && uint64(p.TopicAlias) > l.topicAliasMax {
			find("topic_alias_max", sec("8", "5"), "topic alias %d above the %s's Topic Alias Maximum %d", p.TopicAlias, other, l.topicAliasMax)
		}
		if p.QoS > 0 {
			if n := c.ex.pubs[dir] + 1; uint64(n) > l.receiveMax && !p.Dup {
				find("receive_max", sec("3", "3"), "%d QoS 1/2 PUBLISH in flight, more than the %s's Receive Maximum %d", n, other, l.receiveMax)
			}
		}
		if dir == dissect.ToServer && uint64(p.QoS) > l.maxQoS && p.QoS <= 2 {
			find("max_qos", sec("4", ""), "QoS %d above the broker's Maximum QoS %d", p.QoS, l.maxQoS)
		}
		if dir == dissect.ToServer && p.Retain && !l.retain {
			find("retain_unavailable", sec("5", ""), "retained PUBLISH but the broker said Retain Available 0")
		}
	case dissect.TypeSubscribe:
		if dir != dissect.ToServer {
			return
		}
		for _, f := range p.Filters {
			shared := strings.HasPrefix(f, "$share/")
			if shared && !l.shared {
				find("shared_unavailable", sec("13", ""), "shared subscription %q but the broker said Shared Subscription Available 0", f)
			}
			if strings.ContainsAny(f, "+#") && !l.wildcard {
				find("wildcard_unavailable", sec("11", ""), "wildcard subscription %q but the broker said Wildcard Subscription Available 0", f)
			}
		}
		if !l.subID && propNode(p, propSubID) != nil {
			find("subid_unavailable", sec("12", ""), "Subscription Identifier but the broker said Subscription Identifier Available 0")
		}
	}
}
