// Package payload looks inside MQTT application messages (PUBLISH payloads
// and CONNECT will messages): JSON, Sparkplug B, schema-less protobuf,
// gzip and zlib, text and hex. It plugs into dissect through
// dissect.Session.Payload and adds nodes with byte spans under the
// payload's node, findings, decompressed data sources and the short
// preview the summary line ends with.
package payload

import (
	"fmt"
	"strings"

	"github.com/mqttdump/mqttdump/dissect"
)

// Decoder names, as --decode-as takes them.
const (
	JSON      = "json"
	Sparkplug = "sparkplug"
	Protobuf  = "protobuf"
	Text      = "text"
	Hex       = "hex"
	Gzip      = "gzip"
	Zlib      = "zlib"
)

// Names lists the decoder names --decode-as accepts.
var Names = []string{JSON, Sparkplug, Protobuf, Text, Hex, Gzip, Zlib}

// Defaults for Options fields left at zero.
const (
	DefaultMaxDecompressed = 1 << 20
	DefaultMaxPreview      = 256
	DefaultMaxNodes        = 8192
	DefaultMaxDepth        = 64
)

// Rule is one --decode-as TOPIC_FILTER=DECODER.
type Rule struct {
	Filter  string
	Decoder string
}

// ParseRule reads "TOPIC_FILTER=DECODER".
func ParseRule(s string) (Rule, error) {
	i := strings.LastIndexByte(s, '=')
	if i < 0 {
		return Rule{}, fmt.Errorf("%q: want TOPIC_FILTER=DECODER", s)
	}
	r := Rule{Filter: s[:i], Decoder: strings.ToLower(strings.TrimSpace(s[i+1:]))}
	if !dissect.ValidTopicFilter(r.Filter) {
		return Rule{}, fmt.Errorf("%q: %q is not a valid MQTT topic filter", s, r.Filter)
	}
	for _, n := range Names {
		if n == r.Decoder {
			return r, nil
		}
	}
	return Rule{}, fmt.Errorf("%q: unknown decoder %q (want one of %s)", s, r.Decoder, strings.Join(Names, ", "))
}

// Options configure the decoders.
type Options struct {
	Rules []Rule // first match wins
	// MaxDecompressed caps the bytes unpacked from one gzip or zlib payload.
	MaxDecompressed int
	// MaxPreview is how many bytes of preview text are kept per payload.
	MaxPreview int
	// MaxNodes bounds the nodes one payload adds; MaxDepth its nesting.
	MaxNodes, MaxDepth int
	// Sparkplug state bounds (0: defaults).
	MaxEdgeNodes, MaxAliases, MaxSeqStates int
}

func (o Options) withDefaults() Options {
	if o.MaxDecompressed <= 0 {
		o.MaxDecompressed = DefaultMaxDecompressed
	}
	if o.MaxPreview <= 0 {
		o.MaxPreview = DefaultMaxPreview
	}
	if o.MaxNodes <= 0 {
		o.MaxNodes = DefaultMaxNodes
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxEdgeNodes <= 0 {
		o.MaxEdgeNodes = 4096
	}
	if o.MaxAliases <= 0 {
		o.MaxAliases = 65536
	}
	if o.MaxSeqStates <= 0 {
		o.MaxSeqStates = 16384
	}
	return o
}

// Stats counts what the bounded Sparkplug state had to let go.
type Stats struct {
	EdgeNodesEvicted int // edge nodes forgotten (oldest first) to stay under MaxEdgeNodes
	AliasesDropped   int // aliases not kept because MaxAliases were held
	SeqStatesEvicted int // per-connection seq counters forgotten
}

// Set is the payload decoding of one capture: the options and the
// Sparkplug state shared by its connections (an edge node's NBIRTH on one
// connection resolves aliases of NCMDs on another). Not safe for
// concurrent use.
type Set struct {
	o     Options
	sp    *spState
	conns int
}

// New returns a Set.
func New(o Options) *Set {
	o = o.withDefaults()
	return &Set{o: o, sp: newSpState(o)}
}

// Stats reports the state's evictions so far.
func (s *Set) Stats() Stats { return s.sp.stats }

// ForConnection returns the decoder for one MQTT connection's Session
// (sequence numbers are checked per connection).
func (s *Set) ForConnection() *Decoder {
	s.conns++
	return &Decoder{set: s, conn: s.conns}
}

// Decoder decodes the payloads of one connection; it implements
// dissect.PayloadDecoder.
type Decoder struct {
	set  *Set
	conn int
	buf  []byte // the preview under construction, reused between payloads
	run  run    // the state of the payload being decoded, reused between payloads
}

// DecodePayload chooses a decoder for the message and runs it.
func (d *Decoder) DecodePayload(pl *dissect.Payload) {
	r := &d.run // decoders never decode a payload from inside another
	*r = run{d: d, o: &d.set.o, pl: pl, tree: pl.Tree(), root: pl.Node, preview: d.buf[:0]}
	name, asked := d.choose(pl)
	r.decode(name, asked, pl.Node, nil, pl.Data, pl.Offset, 0)
	if n := pl.Node; n != nil && len(n.Children) > 0 && !ownsBytes(n) {
		// only generated nodes (a failed Sparkplug decode's topic parts):
		// the bytes are still shown
		r.add(n, dissect.Node{Def: fCompRest, Offset: pl.Offset, Length: len(pl.Data), Value: pl.Data})
	}
	if n := pl.Node; n != nil && len(n.Children) > 0 && n.Show == "" {
		// the decoded nodes say what the bytes are; the hex would only repeat them
		n.Show = fmt.Sprintf("%d bytes", len(pl.Data))
	}
	if len(r.preview) > 0 {
		pl.SetPreview(string(r.preview))
	}
	if cap(r.preview) <= 4*d.set.o.MaxPreview {
		d.buf = r.preview[:0]
	}
	*r = run{} // keep nothing of this message
}

// choose picks the decoder: --decode-as, else the MQTT 5 content type and
// payload format indicator, else "" (by content). asked says a named
// decoder was chosen, so failing to decode is a finding.
func (d *Decoder) choose(pl *dissect.Payload) (string, bool) {
	for _, r := range d.set.o.Rules {
		if dissect.TopicMatches(r.Filter, pl.Topic) {
			return r.Decoder, true
		}
	}
	if n := byContentType(pl.ContentType); n != "" {
		return n, true
	}
	if pl.FormatIndicator == 1 {
		return "utf8", false // text, or JSON when it parses
	}
	return "", false
}

// byContentType maps common MIME types to decoders.
func byContentType(ct string) string {
	ct = strings.ToLower(strings.TrimSpace(ct))
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	switch {
	case ct == "":
		return ""
	case ct == "application/json" || strings.HasSuffix(ct, "+json") || ct == "text/json":
		return JSON
	case ct == "application/x-protobuf" || ct == "application/protobuf" || ct == "application/vnd.google.protobuf" || ct == "application/x-google-protobuf":
		return Protobuf
	case ct == "application/gzip" || ct == "application/x-gzip":
		return Gzip
	case ct == "application/zlib":
		return Zlib
	case strings.HasPrefix(ct, "text/"):
		return Text
	case ct == "application/octet-stream":
		return Hex
	}
	return ""
}

// run is the state of one payload's decode.
type run struct {
	d       *Decoder
	o       *Options
	pl      *dissect.Payload
	tree    bool
	root    *dissect.Node
	nodes   int
	preview []byte
}

// add appends a node under parent; nil when no tree is built or parent is
// nil (not built). Decoders count their nodes themselves (in every mode,
// so budget findings do not depend on the mode) and check over() at field
// boundaries, so that what they start they can finish.
func (r *run) add(parent *dissect.Node, n dissect.Node) *dissect.Node {
	if !r.tree || parent == nil {
		return nil
	}
	return r.pl.Add(parent, n)
}

// over reports whether the node budget is spent.
func (r *run) over() bool { return r.nodes >= r.o.MaxNodes }

func (r *run) finding(n *dissect.Node, off, length int, info *dissect.ExpertInfo, msg, spec string) {
	r.pl.Finding(n, off, length, info, msg, spec)
}

// setLen closes a container node at end.
func setLen(n *dissect.Node, end int) {
	if n != nil {
		n.Length = end - n.Offset
	}
}

// decode runs decoder name ("" = by content) on data, which starts at
// offset base of src (nil: the packet), adding nodes under parent.
func (r *run) decode(name string, asked bool, parent *dissect.Node, src *dissect.DataSource, data []byte, base, depth int) {
	if depth > 3 {
		name = Hex // compressed inside compressed inside compressed: stop
	}
	var err error
	switch name {
	case "":
		r.sniff(parent, src, data, base, depth, false)
		return
	case "utf8":
		r.sniff(parent, src, data, base, depth, true)
		return
	case JSON:
		err = r.json(parent, src, data, base, true)
	case Sparkplug:
		err = r.sparkplug(parent, src, data, base)
	case Protobuf:
		err = r.protobuf(parent, src, data, base)
	case Text:
		err = r.text(parent, data, true)
	case Hex:
		r.hex(data)
	case Gzip, Zlib:
		err = r.compressed(name, parent, src, data, base, depth)
	}
	if err != nil && asked {
		r.finding(parent, base, len(data), failExpert[name], fmt.Sprintf("payload does not decode as %s: %v", name, err), "")
		if len(r.preview) == 0 {
			r.fallbackPreview(data)
		}
	}
}

// sniff chooses by content: Sparkplug on spBv1.0/ topics, gzip and zlib
// by their headers, JSON when it parses, UTF-8 text, else hex. Only the
// Sparkplug namespace makes a failure a finding: the topic says what the
// payload must be.
func (r *run) sniff(parent *dissect.Node, src *dissect.DataSource, data []byte, base, depth int, utf8Only bool) {
	if !utf8Only && depth == 0 && strings.HasPrefix(r.pl.Topic, "spBv1.0/") {
		if err := r.sparkplug(parent, src, data, base); err != nil {
			r.finding(parent, base, len(data), dissect.EISpMalformed, "Sparkplug B payload: "+err.Error(), "")
			if len(r.preview) == 0 {
				r.fallbackPreview(data)
			}
		}
		return
	}
	if !utf8Only && isGzip(data) && r.compressed(Gzip, parent, src, data, base, depth) == nil {
		return
	}
	if !utf8Only && isZlib(data) && r.compressed(Zlib, parent, src, data, base, depth) == nil {
		return
	}
	if looksJSON(data) && r.json(parent, src, data, base, false) == nil {
		return
	}
	if r.text(parent, data, false) == nil {
		return
	}
	r.hex(data)
}

// fallbackPreview is the preview of bytes no decoder understood.
func (r *run) fallbackPreview(data []byte) {
	if r.text(nil, data, false) != nil {
		r.hex(data)
	}
}

// ownsBytes reports whether one of n's children covers bytes.
func ownsBytes(n *dissect.Node) bool {
	for _, c := range n.Children {
		if !c.Generated {
			return true
		}
	}
	return false
}

// failExpert is the finding of a decoder asked for that fails.
var failExpert = map[string]*dissect.ExpertInfo{
	JSON: dissect.EIJSONMalformed, Sparkplug: dissect.EISpMalformed, Protobuf: dissect.EIProtobufBad,
	Text: dissect.EITextMalformed, Gzip: dissect.EIGzipMalformed, Zlib: dissect.EIZlibMalformed,
}
