package tsharkjson

import (
	"encoding/json"
	"testing"
)

func TestCanon(t *testing.T) {
	tests := []struct {
		kind    Kind
		raw     string
		want    string
		wantErr bool
	}{
		{KindUint, "17", "17", false},
		{KindUint, "0x00000011", "17", false},
		{KindUint, "010", "10", false}, // decimal, never octal
		{KindUint, "-1", "", true},
		{KindUint, "", "", true},
		{KindBool, "1", "1", false},
		{KindBool, "True", "1", false},
		{KindBool, "False", "0", false},
		{KindBool, "2", "", true},
		{KindBytes, "74:65:73:74", "74657374", false},
		{KindBytes, "AB:cd", "abcd", false},
		{KindBytes, "", "", false},
		{KindBytes, "7g", "", true},
		{KindBytes, "abc", "", true},
		{KindString, "0x10", "0x10", false},
		{KindUnknown, " a ", " a ", false},
	}
	for _, tt := range tests {
		got, err := Canon(tt.kind, tt.raw)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Canon(%d, %q) = %q, %v; want %q, err %v", tt.kind, tt.raw, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestCanonJSON(t *testing.T) {
	tests := []struct {
		kind    Kind
		v       any
		want    string
		wantErr bool
	}{
		{KindUint, json.Number("49"), "49", false},
		{KindUint, float64(65535), "65535", false},
		{KindUint, json.Number("1.5"), "", true},
		{KindBool, true, "1", false},
		{KindBool, false, "0", false},
		{KindBool, json.Number("0"), "0", false},
		{KindBool, json.Number("127"), "1", false}, // reserved bits as a number
		{KindUint, true, "1", false},
		{KindBytes, "7465 7374", "74657374", false},
		{KindBytes, "zz", "", true},
		{KindString, "caf\u00e9", "caf\u00e9", false},
		{KindUint, "0x1f", "31", false},
		{KindString, nil, "", false},
		{KindString, []any{}, "", true},
	}
	for _, tt := range tests {
		got, err := CanonJSON(tt.kind, tt.v)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("CanonJSON(%d, %#v) = %q, %v; want %q, err %v", tt.kind, tt.v, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestKindOf(t *testing.T) {
	for abbrev, want := range map[string]Kind{
		"mqtt.len": KindUint, "mqtt.retain": KindBool, "mqtt.topic": KindString,
		"mqtt.msg": KindBytes, "mqtt.properties": KindNone, "mqtt.property.session_expiry_interval": KindUnknown,
	} {
		if got := KindOf(abbrev); got != want {
			t.Errorf("KindOf(%s) = %d, want %d", abbrev, got, want)
		}
	}
}
