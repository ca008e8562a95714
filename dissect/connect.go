package dissect

import (
	"fmt"
	"unicode/utf8"
)

func (d *decoder) connect() {
	c, p := d.c, d.p
	name, nameNode := c.str(fProtoLen, fProtoName)
	if nameNode == nil {
		return
	}
	lvl, lvlNode := c.u8(fVer)
	if lvlNode == nil {
		return
	}
	switch Version(lvl) {
	case V31, V311, V5:
		p.Version = Version(lvl)
	default:
		d.a.protocol(lvlNode, fmt.Sprintf("unknown protocol level %d; decoding as 3.1.1", lvl), "MQTT-3.1.2-2")
		p.Version = V311
	}
	want := "MQTT"
	if p.Version == V31 {
		want = "MQIsdp"
	}
	if name != want {
		d.a.protocol(nameNode, fmt.Sprintf("protocol name %q does not match level %d (expected %q)", name, lvl, want), "MQTT-3.1.2-1")
	}

	fv, flags := c.u8(fConFlags)
	if flags == nil {
		return
	}
	uname := d.a.bitChild(flags, fCfUname, fv).Value.(bool)
	passwd := d.a.bitChild(flags, fCfPasswd, fv).Value.(bool)
	wret := d.a.bitChild(flags, fCfRetain, fv).Value.(bool)
	wqos := d.a.bitChild(flags, fCfQoS, fv)
	will := d.a.bitChild(flags, fCfWill, fv).Value.(bool)
	cleanDef := fCfClean
	if p.Version == V5 {
		cleanDef = fCfClean5
	}
	d.a.bitChild(flags, cleanDef, fv)
	if d.a.bitChild(flags, fCfReserved, fv).Value.(bool) {
		d.a.protocol(flags, "reserved connect flag is set", "MQTT-3.1.2-3")
	}
	wq := wqos.Value.(uint64)
	switch {
	case wq == 3:
		d.a.protocol(wqos, "will QoS 3 is reserved", "MQTT-3.1.2-14")
	case !will && wq != 0:
		d.a.protocol(wqos, "will QoS must be 0 when the will flag is 0", "MQTT-3.1.2-13")
	}
	if !will && wret {
		d.a.protocol(flags, "will retain must be 0 when the will flag is 0", "MQTT-3.1.2-15")
	}
	if passwd && !uname && p.Version != V5 {
		d.a.protocol(flags, "password flag set without user name flag", "MQTT-3.1.2-22")
	}
	flags.Show = fmt.Sprintf("0x%02x%s", fv, setFlagNames(flags))

	c.u16(fKeepAlive)
	if p.Version == V5 {
		d.properties(fProps, TypeConnect)
	}
	id, idNode := c.str(fClientIDLen, fClientID)
	if idNode == nil {
		return
	}
	p.ClientID = id
	if id == "" && p.Version == V31 {
		d.a.protocol(idNode, "MQTT 3.1 requires a client identifier of 1 to 23 characters", "3.1 §3.1")
	}
	if will {
		wprops := propResult{formatIndicator: -1}
		if p.Version == V5 {
			wprops = d.properties(fWillProps, willPacket)
		}
		wt, n := c.str(fWillTopicLn, fWillTopic)
		if n == nil {
			return
		}
		wm, n := c.prefixed(fWillMsgLen, fWillMsg)
		if n == nil {
			return
		}
		d.decodePayload(n, wt, wm, n.Offset, true, wprops)
	}
	if uname {
		if _, n := c.str(fUserLen, fUser); n == nil {
			return
		}
	}
	if passwd {
		// Binary data in 3.1.1 and 5.0; shown as text when it is text.
		raw, n := c.prefixed(fPassLen, fPassBin)
		if n != nil && utf8.Valid(raw) {
			n.Def, n.Value = fPass, string(raw)
		}
	}
}

// setFlagNames lists the set flags of a flag byte, Wireshark style:
// ", User Name Flag, Password Flag, Clean Session Flag".
func setFlagNames(n *Node) string {
	s := ""
	for _, ch := range n.Children {
		if b, ok := ch.Value.(bool); ok && b && ch.Def.Abbrev != "mqtt.conflag.reserved" {
			s += ", " + ch.Def.Name
		}
	}
	return s
}

func (d *decoder) connack() {
	c, p := d.c, d.p
	if p.Version == V31 {
		c.u8(fAckReserved31)
	} else {
		fv, flags := c.u8(fAckFlags)
		if flags == nil {
			return
		}
		if r := d.a.bitChild(flags, fAckReserved, fv); r.Value.(uint64) != 0 {
			d.a.protocol(r, "reserved acknowledge flags are set", "MQTT-3.2.2-1")
		}
		d.a.bitChild(flags, fAckSP, fv)
	}
	if p.Version == V5 {
		rc, n := c.u8(fRcConnack)
		if n == nil {
			return
		}
		p.Reason = int(rc)
		p.v5Evidence = true
		d.checkReason(n, rc)
		d.properties(fProps, TypeConnack)
		return
	}
	rc, n := c.u8(fAckVal)
	if n == nil {
		return
	}
	p.Reason = int(rc)
	if rc > 5 {
		d.a.protocol(n, fmt.Sprintf("return code %d is reserved", rc), "MQTT-3.2.2-6")
	}
}

// checkReason flags a reason code the packet type does not define.
func (d *decoder) checkReason(n *Node, rc uint64) {
	if _, ok := n.Def.Label(rc); !ok {
		d.a.protocol(n, fmt.Sprintf("reason code 0x%02x is not defined for this packet type", rc), "5.0 §2.4")
	}
}
