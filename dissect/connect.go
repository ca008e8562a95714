package dissect

import (
	"encoding/hex"
	"fmt"
	"strconv"
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
		d.a.report(lvlNode, eiProtocolLevel, fmt.Sprintf("unknown protocol level %d; decoding as 3.1.1", lvl), rProtoLevel)
		p.Version = V311
	}
	want := "MQTT"
	if p.Version == V31 {
		want = "MQIsdp"
	}
	if name != want {
		d.a.report(nameNode, eiProtocolName, "protocol name \""+name+"\" does not match level "+strconv.FormatUint(lvl, 10)+" (expected \""+want+"\")", rProtoName)
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
	clean := d.a.bitChild(flags, cleanDef, fv).Value.(bool)
	if d.a.bitChild(flags, fCfReserved, fv).Value.(bool) {
		d.a.report(flags, eiConnectReserved, "reserved connect flag is set", rConnReserved)
	}
	wq := wqos.Value.(uint64)
	switch {
	case wq == 3:
		d.a.report(wqos, eiWillQoSReserved, "will QoS 3 is reserved", rWillQoS3)
	case !will && wq != 0:
		d.a.report(wqos, eiWillQoSNoWill, "will QoS must be 0 when the will flag is 0", rWillQoSNoWill)
	}
	if !will && wret {
		d.a.report(flags, eiWillRetainNoWill, "will retain must be 0 when the will flag is 0", rWillRetain)
	}
	if passwd && !uname && p.Version != V5 {
		d.a.report(flags, eiPasswordNoUser, "password flag set without user name flag", rPasswordNoUser)
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
	p.ClientID, p.hasClientID = id, true
	if id == "" && p.Version == V311 && !clean {
		d.a.report(idNode, eiEmptyIDPersist, "a zero-byte client identifier requires Clean Session 1", rEmptyIDPersist)
	}
	if id == "" && p.Version == V31 {
		d.a.report(idNode, eiClientIDRequired, "MQTT 3.1 requires a client identifier of 1 to 23 characters", rClientID31)
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
		// Binary data in 3.1.1 and 5.0: one string field (as Wireshark
		// has it) holding the bytes, shown as hex when they are not text.
		raw, n := c.prefixed(fPassLen, fPass)
		if n != nil && !c.a.noTree {
			n.Value = string(raw)
			if !utf8.Valid(raw) {
				n.Show = hex.EncodeToString(raw)
			}
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
	var flags *Node
	sp := false
	if p.Version == V31 {
		c.u8(fAckReserved31)
	} else {
		var fv uint64
		fv, flags = c.u8(fAckFlags)
		if flags == nil {
			return
		}
		if r := d.a.bitChild(flags, fAckReserved, fv); r.Value.(uint64) != 0 {
			d.a.report(r, eiConnackReserved, "reserved acknowledge flags are set", rConnackFlags)
		}
		sp = d.a.bitChild(flags, fAckSP, fv).Value.(bool)
	}
	defer func() {
		if sp && p.Reason > 0 {
			d.a.report(flags, eiSessionRefused, "session present must be 0 when the connection is refused", rSessionRefused)
		}
	}()
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
		d.a.report(n, eiReturnCode, fmt.Sprintf("return code %d is reserved", rc), rReturnCode)
	}
}

// checkReason flags a reason code the packet type does not define.
func (d *decoder) checkReason(n *Node, rc uint64) {
	if _, ok := n.Def.Label(rc); !ok {
		d.a.report(n, eiReasonCode, fmt.Sprintf("reason code 0x%02x is not defined for %s", rc, TypeName(d.p.Type)), reasonRefs[d.p.Type])
	}
}
