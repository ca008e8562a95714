package dissect

import (
	"strconv"
	"strings"
)

// info builds the Info-column text: Wireshark's wording, plus the facts a
// reader looks for first (client id, reason code names).
func (p *Packet) info() string {
	var b strings.Builder
	b.WriteString(TypeName(p.Type))
	if p.PacketID >= 0 {
		b.WriteString(" (id=")
		b.WriteString(strconv.Itoa(p.PacketID))
		b.WriteString(")")
	}
	switch p.Type {
	case TypeConnect:
		b.WriteString(" [client id: ")
		b.WriteString(p.ClientID)
		b.WriteString("]")
	case TypePublish:
		b.WriteString(" [")
		b.WriteString(p.Topic)
		b.WriteString("]")
	case TypeSubscribe, TypeUnsubscribe:
		if len(p.Filters) > 0 {
			b.WriteString(" [")
			b.WriteString(strings.Join(p.Filters, ", "))
			b.WriteString("]")
		}
	}
	if r := p.reasonText(); r != "" {
		b.WriteString(" (")
		b.WriteString(r)
		b.WriteString(")")
	}
	return b.String()
}

// reasonText names the packet's return or reason code, if it has one worth
// showing: always for CONNACK, otherwise only when it is not success.
func (p *Packet) reasonText() string {
	if p.Reason < 0 {
		return ""
	}
	if p.Type != TypeConnack && p.Reason == 0 {
		return ""
	}
	if p.Type == TypeSuback && p.Version != V5 {
		if l, ok := subackV3Labels[uint64(p.Reason)]; ok && p.Reason == 0x80 {
			return l
		}
		return ""
	}
	var tbl map[uint64]string
	switch {
	case p.Type == TypeConnack && p.Version != V5:
		tbl = connackV3Labels
	default:
		tbl = reasonNames
	}
	if l, ok := tbl[uint64(p.Reason)]; ok {
		return l
	}
	return "reason 0x" + strconv.FormatUint(uint64(p.Reason), 16)
}
