package dissect

import "strconv"

// InfoText is the one-line description in the style of Wireshark's Info
// column, "Publish Message (id=1) [test/a]": Wireshark's wording, plus the
// facts a reader looks for first (client id, reason code names).
func (p *Packet) InfoText() string { return string(p.AppendInfo(nil)) }

// AppendInfo appends InfoText to b: the summary writes it in place (a
// string per packet was a fifth of what a run allocated). A packet built
// by hand has its Info field instead; one that is neither has none.
func (p *Packet) AppendInfo(b []byte) []byte {
	if p.Info != "" || !p.collected {
		return append(b, p.Info...)
	}
	b = append(b, TypeName(p.Type)...)
	if p.PacketID >= 0 {
		b = append(b, " (id="...)
		b = strconv.AppendInt(b, int64(p.PacketID), 10)
		b = append(b, ')')
	}
	switch p.Type {
	case TypeConnect:
		if p.hasClientID { // a CONNECT cut before its id has none to show
			b = append(b, " [client id: "...)
			b = append(b, p.ClientID...)
			b = append(b, ']')
		}
	case TypeSuback, TypeUnsuback:
		if p.codesDiffer {
			return p.appendCodes(b)
		}
	case TypePublish:
		b = append(b, " ["...)
		b = append(b, p.Topic...)
		b = append(b, ']')
	case TypeSubscribe, TypeUnsubscribe:
		if len(p.Filters) > 0 {
			b = append(b, " ["...)
			for i, f := range p.Filters {
				if i > 0 {
					b = append(b, ", "...)
				}
				b = append(b, f...)
			}
			b = append(b, ']')
		}
	}
	if r := p.reasonText(); r != "" {
		b = append(b, " ("...)
		b = append(b, r...)
		b = append(b, ')')
	}
	return b
}

// maxInfoCodes is how many return codes an Info lists before "…".
const maxInfoCodes = 16

func (p *Packet) addCode(rc uint64) {
	if p.nCodes > 0 && uint8(rc) != p.codes[0] {
		p.codesDiffer = true
	}
	if p.nCodes < maxInfoCodes {
		p.codes[p.nCodes] = uint8(rc)
	}
	p.nCodes++
}

// appendCodes ends the Info of a SUBACK or UNSUBACK whose return codes
// differ with each of them, failures named: " [0x00, 0x01, 0x80 Failure]".
func (p *Packet) appendCodes(b []byte) []byte {
	b = append(b, " ["...)
	for i, rc := range p.codes[:min(p.nCodes, maxInfoCodes)] {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, "0x"...)
		b = append(b, hexDigit[rc>>4], hexDigit[rc&0xf])
		if rc >= 0x80 {
			b = append(b, ' ')
			b = append(b, p.codeName(rc)...)
		}
	}
	if p.nCodes > maxInfoCodes {
		b = append(b, ", … "...)
		b = strconv.AppendInt(b, int64(p.nCodes-maxInfoCodes), 10)
		b = append(b, " more"...)
	}
	return append(b, ']')
}

const hexDigit = "0123456789abcdef"

// codeName names a failure code of the packet's SUBACK or UNSUBACK.
func (p *Packet) codeName(rc uint8) string {
	if p.Version != V5 {
		if l, ok := subackV3Labels[uint64(rc)]; ok {
			return l
		}
	} else if l, ok := reasonNames[uint64(rc)]; ok {
		return l
	}
	return "reason 0x" + strconv.FormatUint(uint64(rc), 16)
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
