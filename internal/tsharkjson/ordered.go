package tsharkjson

import (
	"encoding/json"
	"errors"
	"fmt"
)

// value is one JSON value with object members kept in order and duplicate
// keys kept: tshark -T json repeats keys for repeated fields (several
// mqtt.property_id in one properties object, several "mqtt" layers in one
// frame), which encoding/json's maps would collapse to the last one.
type value struct {
	kind    valueKind
	str     string   // kindString, also the text of numbers, booleans and null
	members []member // kindObject, in document order
	items   []value  // kindArray
}

type member struct {
	key string
	val value
}

type valueKind uint8

const (
	kindString valueKind = iota
	kindOther            // number, bool or null (tshark prints none of these for fields)
	kindObject
	kindArray
)

// maxDepth bounds nesting so a hostile document cannot exhaust the stack.
const maxDepth = 64

var errDepth = errors.New("json nested too deeply")

// readValue reads the next whole value from the token stream.
func readValue(dec *json.Decoder, depth int) (value, error) {
	if depth > maxDepth {
		return value{}, errDepth
	}
	tok, err := dec.Token()
	if err != nil {
		return value{}, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			return readObject(dec, depth)
		case '[':
			return readArray(dec, depth)
		}
		return value{}, fmt.Errorf("unexpected %q", t)
	case string:
		return value{kind: kindString, str: t}, nil
	case json.Number:
		return value{kind: kindOther, str: t.String()}, nil
	case bool:
		return value{kind: kindOther, str: fmt.Sprint(t)}, nil
	case nil:
		return value{kind: kindOther, str: "null"}, nil
	}
	return value{}, fmt.Errorf("unexpected token %v", tok)
}

func readObject(dec *json.Decoder, depth int) (value, error) {
	v := value{kind: kindObject}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return value{}, err
		}
		key, ok := tok.(string)
		if !ok {
			return value{}, fmt.Errorf("object key is %v", tok)
		}
		val, err := readValue(dec, depth+1)
		if err != nil {
			return value{}, fmt.Errorf("%s: %w", key, err)
		}
		v.members = append(v.members, member{key: key, val: val})
	}
	if _, err := dec.Token(); err != nil { // '}'
		return value{}, err
	}
	return v, nil
}

func readArray(dec *json.Decoder, depth int) (value, error) {
	v := value{kind: kindArray}
	for dec.More() {
		item, err := readValue(dec, depth+1)
		if err != nil {
			return value{}, err
		}
		v.items = append(v.items, item)
	}
	if _, err := dec.Token(); err != nil { // ']'
		return value{}, err
	}
	return v, nil
}

// get returns every member named key, in order.
func (v value) get(key string) []value {
	var out []value
	for _, m := range v.members {
		if m.key == key {
			out = append(out, m.val)
		}
	}
	return out
}

// first returns the first member named key.
func (v value) first(key string) (value, bool) {
	for _, m := range v.members {
		if m.key == key {
			return m.val, true
		}
	}
	return value{}, false
}
