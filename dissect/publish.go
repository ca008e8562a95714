package dissect

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

func (d *decoder) publish() {
	c, p := d.c, d.p
	topic, tn := c.str(fTopicLen, fTopic)
	if tn == nil {
		return
	}
	p.Topic = topic
	if strings.IndexByte(topic, '+') >= 0 || strings.IndexByte(topic, '#') >= 0 {
		d.a.report(tn, eiTopicWildcard, "topic name contains a wildcard character", rTopicWild)
	}
	if p.QoS > 0 {
		if !d.packetID() {
			return
		}
	}
	props := propResult{formatIndicator: -1}
	if p.Version == V5 {
		props = d.properties(fProps, TypePublish)
		if d.c.dead {
			return
		}
	}
	p.TopicAlias = props.topicAlias
	d.resolveAlias(tn, props.topicAlias)
	if c.dead {
		return
	}
	msg := c.rest(fMsg)
	p.Payload = msg.Length
	if props.payloadUTF8 && !utf8.Valid(msg.Value.([]byte)) {
		d.a.report(msg, eiPayloadNotUTF8, "payload format indicator says UTF-8 but the payload is not valid UTF-8", rPayloadUTF8)
	}
	d.decodePayload(msg, p.Topic, msg.Value.([]byte), msg.Offset, false, props)
}

// resolveAlias applies MQTT 5 topic aliases (5.0 §3.3.2.3.4): a topic with
// an alias sets it for this direction; an empty topic uses it.
func (d *decoder) resolveAlias(tn *Node, alias int) {
	p := d.p
	if p.Topic == "" && alias == 0 {
		d.a.report(tn, eiIllegalTopicLen, "zero-length topic name without a topic alias", rTopicEmpty)
		return
	}
	if alias == 0 {
		return
	}
	if p.Topic != "" {
		evicted, first, stored := d.s.setAlias(d.dir, uint16(alias), p.Topic)
		switch {
		case !stored:
			d.a.report(tn, eiAliasEvicted, fmt.Sprintf("topic alias %d not kept: the alias tables are full (%d bytes)", alias, d.s.aliasLimit()), nil)
		case evicted == 1:
			d.a.report(tn, eiAliasEvicted, fmt.Sprintf("alias tables full (%d bytes): topic alias %d forgotten", d.s.aliasLimit(), first), nil)
		case evicted > 1:
			d.a.report(tn, eiAliasEvicted, fmt.Sprintf("alias tables full (%d bytes): %d older topic aliases forgotten, the first %d", d.s.aliasLimit(), evicted, first), nil)
		}
		return
	}
	t, ok := d.s.aliases[d.dir][uint16(alias)]
	if !ok {
		d.a.report(tn, eiUnknownTopicAlias, fmt.Sprintf("unknown topic alias %d (its PUBLISH with the topic was not seen)", alias), nil)
		return
	}
	p.Topic = t
	gen := d.a.node(Node{Def: fAliasTopic, Offset: tn.Offset + tn.Length, Value: t, Generated: true})
	for i, n := range p.Fields {
		if n == tn {
			p.Fields = append(p.Fields[:i+1], append([]*Node{gen}, p.Fields[i+1:]...)...)
			break
		}
	}
}

// MaxFilters bounds Packet.Filters: a SUBSCRIBE of 16 MB can hold four
// million filters; the ones past this are checked but not listed.
const MaxFilters = DefaultMaxNodes

// maxAliases bounds the alias table: the protocol allows 65535 per direction,
// so this is only a guard against hostile streams.
const maxAliases = 65535

// packetID reads the two-byte packet identifier (nonzero: MQTT-2.3.1-1).
func (d *decoder) packetID() bool {
	id, n := d.c.u16(fMsgID)
	if n == nil {
		return false
	}
	d.p.PacketID = int(id)
	if id == 0 {
		ref := rPacketID
		if d.p.Type == TypePublish && d.dir == ToClient {
			ref = rPacketIDSrv // 5.0 states the broker's PUBLISH apart
		}
		d.a.report(n, eiPacketIDZero, "packet identifier 0 is not allowed", ref)
	}
	return true
}

var ackReasonDefs = map[uint8]*FieldDef{
	TypePuback: fRcPuback, TypePubrec: fRcPubrec, TypePubrel: fRcPubrel, TypePubcomp: fRcPubcomp,
}

// pubAck decodes PUBACK, PUBREC, PUBREL and PUBCOMP. In MQTT 5 the reason
// code and the properties may be left out when the remaining length says so.
func (d *decoder) pubAck() {
	if !d.packetID() {
		return
	}
	if d.p.Version != V5 || d.c.left() == 0 {
		return
	}
	d.reasonAndProps(ackReasonDefs[d.p.Type], d.p.Type)
}

// reasonAndProps reads an optional reason code and optional properties.
func (d *decoder) reasonAndProps(def *FieldDef, typ uint8) {
	c := d.c
	if c.left() == 0 {
		return
	}
	rc, n := c.u8(def)
	if n == nil {
		return
	}
	d.p.Reason = int(rc)
	d.p.v5Evidence = true
	d.checkReason(n, rc)
	if c.left() > 0 {
		d.properties(fProps, int(typ))
	}
}

func (d *decoder) subscribe() {
	d.filterList(TypeSubscribe, "SUBSCRIBE without any topic filter", rNoSubFilter)
}

func (d *decoder) unsubscribe() {
	d.filterList(TypeUnsubscribe, "UNSUBSCRIBE without any topic filter", rNoUnsubFiltr)
}

// filterList decodes SUBSCRIBE and UNSUBSCRIBE: a packet identifier, MQTT 5
// properties, then topic filters, each followed in SUBSCRIBE by its
// requested QoS (3.x) or subscription options (5.0).
func (d *decoder) filterList(typ uint8, emptyMsg string, emptyRef *specRef) {
	c, p := d.c, d.p
	if !d.packetID() {
		return
	}
	if p.Version == V5 {
		d.properties(fProps, int(typ))
	}
	count := 0
	defer d.endCut()
	for !c.dead && c.left() > 0 {
		d.checkBudget(c)
		f, fn := c.str(fTopicLen, fTopic)
		if fn == nil {
			return
		}
		d.addFilter(f, fn)
		count++
		if typ != TypeSubscribe {
			continue
		}
		ov, on := c.u8(fSubQoSFor(p.Version))
		if on == nil {
			return
		}
		if p.Version == V5 {
			d.subOptions(on, ov)
		} else if (ov&0xfc != 0 || ov&3 == 3) && !d.a.skip(eiSubQoS) {
			d.a.report(on, eiSubQoS, fmt.Sprintf("requested QoS byte 0x%02x: reserved bits set or QoS 3", ov), rSubQoS311)
		}
	}
	if count == 0 && !c.dead {
		d.a.report(d.hdr, eiNoTopicFilter, emptyMsg, emptyRef)
	}
}

func fSubQoSFor(v Version) *FieldDef {
	if v == V5 {
		return fSubOpts
	}
	return fSubQoS
}

// subOptions breaks the MQTT 5 subscription options byte into its bits.
func (d *decoder) subOptions(n *Node, v uint64) {
	if d.a.bitChild(n, fSoQoS, v).Value.(uint64) == 3 {
		d.a.report(n, eiSubQoS, "subscription QoS 3 is reserved", rSubOpts5)
	}
	d.a.bitChild(n, fSoNL, v)
	d.a.bitChild(n, fSoRAP, v)
	if d.a.bitChild(n, fSoRH, v).Value.(uint64) == 3 {
		d.a.report(n, eiRetainHandling, "retain handling 3 is reserved", rSubOpts5)
	}
	if d.a.bitChild(n, fSoRes, v).Value.(uint64) != 0 {
		d.a.report(n, eiSubOptsReserved, "reserved subscription option bits are set", rSubOptsRes)
	}
}

// addFilter records a topic filter and checks its wildcards (4.7.1).
func (d *decoder) addFilter(f string, n *Node) {
	if len(d.p.Filters) < MaxFilters {
		d.p.Filters = append(d.p.Filters, f)
	}
	if f == "" {
		d.a.report(n, eiEmptyFilter, "zero-length topic filter", rEmptyFilter)
		return
	}
	// Level by level without splitting: a SUBSCRIBE can hold millions.
	for rest := f; ; {
		l, after, more := strings.Cut(rest, "/")
		if strings.Contains(l, "#") && (l != "#" || more) {
			d.a.report(n, eiWildcardPlace, "'#' must be alone in the last level of a topic filter", rHashWildcard)
			return
		}
		if strings.Contains(l, "+") && l != "+" {
			d.a.report(n, eiWildcardPlace, "'+' must occupy a whole level of a topic filter", rPlusWildcard)
			return
		}
		if !more {
			return
		}
		rest = after
	}
}

func (d *decoder) suback() {
	c, p := d.c, d.p
	if !d.packetID() {
		return
	}
	def := fSubackQoS
	if p.Version == V5 {
		d.properties(fProps, TypeSuback)
		def = fRcSuback
	}
	count := 0
	defer d.endCut()
	for !c.dead && c.left() > 0 {
		d.checkBudget(c)
		rc, n := c.u8(def)
		if n == nil {
			return
		}
		if count == 0 {
			p.Reason = int(rc)
		}
		p.addCode(rc)
		count++
		if _, ok := def.Label(rc); (!ok || (p.Version != V5 && rc == 3)) && !d.a.skip(eiSubackCode) {
			d.a.report(n, eiSubackCode, fmt.Sprintf("return code 0x%02x is not allowed in SUBACK", rc), rSubackCode)
		}
	}
	if count == 0 && !c.dead {
		d.a.report(d.hdr, eiNoReturnCode, "SUBACK without any return code", rNoSubackCode)
	}
}

func (d *decoder) unsuback() {
	c, p := d.c, d.p
	if !d.packetID() {
		return
	}
	if p.Version != V5 {
		return
	}
	d.properties(fProps, TypeUnsuback)
	count := 0
	defer d.endCut()
	for !c.dead && c.left() > 0 {
		d.checkBudget(c)
		rc, n := c.u8(fRcUnsuback)
		if n == nil {
			return
		}
		if count == 0 {
			p.Reason = int(rc)
		}
		p.addCode(rc)
		count++
		d.checkReason(n, rc)
	}
	if count == 0 && !c.dead {
		d.a.report(d.hdr, eiNoReturnCode, "UNSUBACK without any reason code", rNoUnsubCode)
	}
}

func (d *decoder) disconnect() {
	if d.p.Version == V5 {
		d.reasonAndProps(fRcDisconn, TypeDisconnect)
	}
}

func (d *decoder) auth() {
	d.reasonAndProps(fRcAuth, TypeAuth)
}
