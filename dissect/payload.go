package dissect

// PayloadDecoder looks inside application messages: PUBLISH payloads and
// CONNECT will messages. Package payload implements it; dissect knows no
// payload format and only offers the hook (Session.Payload).
type PayloadDecoder interface {
	// DecodePayload adds nodes under pl.Node, findings, data sources and
	// the summary preview. It must not keep pl or its nodes.
	DecodePayload(pl *Payload)
}

// Payload is one application message handed to a PayloadDecoder.
type Payload struct {
	Topic string // the PUBLISH topic (after alias resolution) or the will topic
	Data  []byte // the payload bytes (a view of the packet: do not change)
	// Node is the payload's node (mqtt.msg or mqtt.willmsg); nil in
	// FactsOnly mode. Its Offset is where Data starts in the packet.
	Node *Node
	// Offset of Data in the packet.
	Offset int
	Will   bool // a CONNECT will message, not a PUBLISH
	Dir    Direction
	// ContentType and FormatIndicator are the MQTT 5 properties of the
	// message; FormatIndicator is -1 when absent.
	ContentType     string
	FormatIndicator int
	Packet          *Packet
	a               *alloc
}

// Tree reports whether nodes are wanted (false in FactsOnly mode: the
// decoder should still make its findings and preview, cheaply).
func (pl *Payload) Tree() bool { return !pl.a.noTree && pl.Node != nil }

// Add appends a node under parent (nil: under the payload node) and returns
// it; in FactsOnly mode it returns nil and keeps nothing.
func (pl *Payload) Add(parent *Node, n Node) *Node {
	if !pl.Tree() {
		return nil
	}
	if parent == nil {
		parent = pl.Node
	}
	nn := pl.a.node(n)
	pl.a.child(parent, nn)
	return nn
}

// Finding records a finding of kind info (one of PayloadExperts: its id
// and severity) on n (nil: the payload node) over the given bytes (of n's
// data source). In FactsOnly mode only the packet's list gets it, so
// findings are the same in both modes.
func (pl *Payload) Finding(n *Node, off, length int, info *ExpertInfo, msg, spec string) {
	e := &Expert{ID: info.ID, Severity: info.Severity, Message: msg, Spec: spec, Offset: off, Length: length}
	if n == nil {
		n = pl.Node
	}
	if pl.Tree() && n != nil {
		n.Expert = append(n.Expert, e)
	}
	pl.a.experts = append(pl.a.experts, e)
}

// AddSource registers bytes the decoder unpacked as a new data source of
// the packet; nodes that point into it set Node.Source to it.
func (pl *Payload) AddSource(name string, data []byte) *DataSource {
	ds := &DataSource{Name: name, Data: data}
	pl.Packet.Sources = append(pl.Packet.Sources, ds)
	return ds
}

// SetPreview sets the packet's payload preview for the summary line.
func (pl *Payload) SetPreview(s string) {
	if !pl.Will {
		pl.Packet.Preview = s
	}
}

// decodePayload runs the session's payload decoder, if any, on a message
// whose bytes are raw[off:off+len(data)].
func (d *decoder) decodePayload(n *Node, topic string, data []byte, off int, will bool, props propResult) {
	if d.s.Payload == nil {
		return
	}
	pl := &d.a.pl
	*pl = Payload{Topic: topic, Data: data, Offset: off, Will: will, Dir: d.dir,
		ContentType: props.contentType, FormatIndicator: props.formatIndicator, Packet: d.p, a: d.a}
	if !d.a.noTree {
		pl.Node = n
	}
	d.s.Payload.DecodePayload(pl)
	*pl = Payload{} // the decoder may not keep it
}
