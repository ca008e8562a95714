package dissect

import (
	"sort"
	"strconv"
)

// The field registry: every field the dissector can put in a tree, by its
// abbreviation. Display filters, -T fields, -G fields and shell completion
// read it, so a name that works in one works in all. It is built once from
// the field table and never changes.

// fieldTable lists every definition the decoders use. Where two
// definitions share an abbreviation (the 3.1 and 3.1.1 forms of a field, a
// topic resolved from an alias) they share its kind; the first is the one
// the registry shows.
var fieldTable = []*FieldDef{
	fHdrFlags, fMsgType, fHdrReserved, fDup, fQoS, fRetain, fRetainReserved, fLen,
	fProtoLen, fProtoName, fVer, fConFlags, fCfUname, fCfPasswd, fCfRetain, fCfQoS,
	fCfWill, fCfClean, fCfClean5, fCfReserved, fKeepAlive, fClientIDLen, fClientID,
	fWillTopicLn, fWillTopic, fWillMsgLen, fWillMsg, fUserLen, fUser, fPassLen, fPass,
	fAckFlags, fAckReserved, fAckSP, fAckReserved31, fAckVal,
	fRcConnack, fRcPuback, fRcPubrec, fRcPubrel, fRcPubcomp, fRcSuback, fRcUnsuback, fRcDisconn, fRcAuth,
	fMsgID, fTopicLen, fTopic, fAliasTopic, fMsg, fSubQoS, fSubackQoS,
	fSubOpts, fSoQoS, fSoNL, fSoRAP, fSoRH, fSoRes,
	fProps, fWillProps, fPropLen, fPropID, fPropNum, fPropStrLn, fPropStr, fPropBinLn, fPropBin,
	fPropKeyLn, fPropKey, fPropValLn, fPropVal, fPropUnk,
	fUndecoded, fTruncated,
}

// registry is the read-only index built from fieldTable and the property
// definitions.
type registry struct {
	byAbbrev map[string]*FieldDef
	all      []*FieldDef // one per abbreviation, in table order
}

var fieldRegistry = func() *registry {
	r := &registry{byAbbrev: map[string]*FieldDef{}}
	add := func(d *FieldDef) {
		if _, ok := r.byAbbrev[d.Abbrev]; ok {
			return
		}
		r.byAbbrev[d.Abbrev] = d
		r.all = append(r.all, d)
	}
	for _, d := range fieldTable {
		add(d)
	}
	ids := make([]int, 0, len(propSpecs))
	for id := range propSpecs {
		ids = append(ids, int(id))
	}
	sort.Ints(ids)
	for _, id := range ids {
		add(propSpecs[uint8(id)].def)
	}
	return r
}()

// Lookup returns the definition of a field by its abbreviation
// ("mqtt.topic", "mqtt.property.topic_alias").
func Lookup(abbrev string) (*FieldDef, bool) {
	d, ok := fieldRegistry.byAbbrev[abbrev]
	return d, ok
}

// Fields returns every registered field, one per abbreviation, in the
// order of the field table (fixed header, CONNECT, ..., properties). The
// slice is the caller's.
func Fields() []*FieldDef {
	return append([]*FieldDef(nil), fieldRegistry.all...)
}

// Protocol is the part of the abbreviation before the first dot: "mqtt",
// "data", "_ws".
func (d *FieldDef) Protocol() string {
	for i := 0; i < len(d.Abbrev); i++ {
		if d.Abbrev[i] == '.' {
			return d.Abbrev[:i]
		}
	}
	return d.Abbrev
}

// TypeName is the field's type as tshark -G fields names it: FT_UINT8,
// FT_UINT64 (a variable byte integer), FT_BOOLEAN, FT_STRING, FT_BYTES,
// FT_NONE.
func (d *FieldDef) TypeName() string {
	switch d.Kind {
	case KindUint:
		switch d.Width {
		case 8:
			return "FT_UINT8"
		case 16:
			return "FT_UINT16"
		case 32:
			return "FT_UINT32"
		}
		return "FT_UINT64"
	case KindBool:
		return "FT_BOOLEAN"
	case KindString:
		return "FT_STRING"
	case KindBytes:
		return "FT_BYTES"
	}
	return "FT_NONE"
}

// BaseName is tshark -G fields' base column: BASE_DEC or BASE_HEX for
// integers, the width of the flag byte for booleans, empty otherwise.
func (d *FieldDef) BaseName() string {
	switch d.Kind {
	case KindUint:
		if d.Base == BaseHex {
			return "BASE_HEX"
		}
		return "BASE_DEC"
	case KindBool:
		if d.Bits > 0 {
			return strconv.Itoa(d.Bits)
		}
		return "8"
	}
	return ""
}

// RegisterFields adds the fields of a payload decoder package to the
// registry, so filters, -T fields and -G fields know them. Call it only
// from a package's init (the registry is read without locks afterwards);
// an abbreviation already registered keeps its first definition.
func RegisterFields(defs ...*FieldDef) {
	for _, d := range defs {
		if d == nil || d.Abbrev == "" {
			continue
		}
		if _, ok := fieldRegistry.byAbbrev[d.Abbrev]; ok {
			continue
		}
		fieldRegistry.byAbbrev[d.Abbrev] = d
		fieldRegistry.all = append(fieldRegistry.all, d)
	}
}
