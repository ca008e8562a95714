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

// checkLimits flags a packet that breaks what the other side declared. Each
// finding sits on the bytes that break the limit: the Topic Alias property,
// the QoS bits or retain flag of the fixed header, the options byte of the
// subscription, the Subscription Identifier; the whole packet for its size.
func (pl *Pipeline) checkLimits(c *Conn, p *dissect.Packet, dir dissect.Direction) {
	if dir != dissect.ToServer && dir != dissect.ToClient {
		return
	}
	l := &c.lim[dir]
	if !l.set || p.Version != dissect.V5 {
		return
	}
	toServer := dir == dissect.ToServer
	other := "broker"
	if !toServer {
		other = "client"
	}
	// Each limit has its statement per direction: the broker's limit is in
	// CONNACK, the client's in CONNECT.
	rule := func(client, server *dissect.Rule) *dissect.Rule {
		if toServer {
			return client
		}
		return server
	}
	find := func(n *dissect.Node, r *dissect.Rule, name, format string, a ...any) {
		p.Flag(n, r, fmt.Sprintf(format, a...))
		pl.findings[name]++
	}
	if size := uint64(len(p.Raw) + max(p.Missing, 0)); l.maxPacket > 0 && size > l.maxPacket {
		find(nil, rule(dissect.RuleMaxPacketToServer, dissect.RuleMaxPacketToClient), "max_packet_size",
			"packet of %d bytes exceeds the %s's Maximum Packet Size %d", size, other, l.maxPacket)
	}
	switch p.Type {
	case dissect.TypePublish:
		if p.TopicAlias > 0 && uint64(p.TopicAlias) > l.topicAliasMax {
			find(propNode(p, propTopicAlias), rule(dissect.RuleTopicAliasToServer, dissect.RuleTopicAliasToClient), "topic_alias_max",
				"topic alias %d above the %s's Topic Alias Maximum %d", p.TopicAlias, other, l.topicAliasMax)
		}
		if p.QoS > 0 {
			if n := c.ex.pubs[dir] + 1; uint64(n) > l.receiveMax && !p.Dup {
				find(fieldNode(p, "mqtt.qos"), rule(dissect.RuleReceiveMaxToServer, dissect.RuleReceiveMaxToClient), "receive_max",
					"%d QoS 1/2 PUBLISH in flight, more than the %s's Receive Maximum %d", n, other, l.receiveMax)
			}
		}
		if toServer && uint64(p.QoS) > l.maxQoS && p.QoS <= 2 {
			find(fieldNode(p, "mqtt.qos"), dissect.RuleMaxQoS, "max_qos", "QoS %d above the broker's Maximum QoS %d", p.QoS, l.maxQoS)
		}
		if toServer && p.Retain && !l.retain {
			find(fieldNode(p, "mqtt.retain"), dissect.RuleRetainUnavailable, "retain_unavailable",
				"retained PUBLISH but the broker said Retain Available 0")
		}
	case dissect.TypeSubscribe:
		if !toServer {
			return
		}
		subs := subscriptions(p)
		for i, f := range p.Filters {
			var opts *dissect.Node
			if i < len(subs) {
				opts = subs[i]
			}
			if strings.HasPrefix(f, "$share/") && !l.shared {
				find(opts, dissect.RuleSharedUnavail, "shared_unavailable",
					"shared subscription %q but the broker said Shared Subscription Available 0", f)
			}
			if strings.ContainsAny(f, "+#") && !l.wildcard {
				find(opts, dissect.RuleWildcardUnavail, "wildcard_unavailable",
					"wildcard subscription %q but the broker said Wildcard Subscription Available 0", f)
			}
		}
		if n := propNode(p, propSubID); !l.subID && n != nil {
			find(n, dissect.RuleSubIDUnavail, "subid_unavailable",
				"Subscription Identifier but the broker said Subscription Identifier Available 0")
		}
	}
}

// subscriptions returns a SUBSCRIBE's subscription options nodes, one per
// topic filter in order (a filter cut short has none, and ends the list).
func subscriptions(p *dissect.Packet) []*dissect.Node {
	var out []*dissect.Node
	for _, f := range p.Fields {
		if f != nil && f.Def != nil && f.Def.Abbrev == "mqtt.subscription_options" {
			out = append(out, f)
		}
	}
	return out
}
