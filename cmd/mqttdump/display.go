package main

import (
	"strings"

	"github.com/spf13/pflag"

	dfilter "github.com/mqttdump/mqttdump/filter"
	"github.com/mqttdump/mqttdump/render"
)

// displayOpts are tshark's display flags: -Y, -T fields with -e and -E,
// -G fields and -t.
type displayOpts struct {
	expr      string
	fieldsE   []string
	fieldsOpt []string
	list      string
	timeFmt   string
}

func (d *displayOpts) register(fs *pflag.FlagSet) {
	fs.StringVarP(&d.expr, "filter", "Y", "", "display filter in Wireshark's syntax: show only MQTT packets it selects (mqtt.qos == 1 && mqtt.topic matches \"^sensors/\")")
	fs.StringArrayVarP(&d.fieldsE, "field", "e", nil, "with -T fields: a field to print (repeat: -e frame.number -e mqtt.topic)")
	fs.StringArrayVarP(&d.fieldsOpt, "fields-option", "E", nil, "with -T fields: header=y|n, separator=/t|/s|C, occurrence=f|l|a, aggregator=C, quote=d|s|n")
	fs.StringVarP(&d.list, "list", "G", "", "list the vocabulary and exit: fields (tshark -G fields format)")
	fs.StringVarP(&d.timeFmt, "time-format", "t", "r", "time column: r (since the first frame), a, ad (local), d, dd (delta), e (epoch), u, ud (UTC)")
}

// display is the checked form of displayOpts.
type display struct {
	filter   *dfilter.Filter // nil: none
	fields   []*dfilter.Field
	fieldsOK bool // -T fields
	fopts    render.FieldsOptions
	timeFmt  render.TimeFormat
}

// check compiles the filter and the fields; format is the -T value and
// given says whether -Y was on the command line (-Y "" is an error).
func (d *displayOpts) check(format string, given bool) (display, error) {
	out := display{fopts: render.DefaultFieldsOptions()}
	tf, ok := render.ParseTimeFormat(d.timeFmt)
	if !ok {
		return out, usagef("-t %s: want r, a, ad, d, dd, e, u or ud", d.timeFmt)
	}
	out.timeFmt = tf
	if given {
		f, err := dfilter.Compile(d.expr)
		if err != nil {
			return out, usagef("-Y: %v", err)
		}
		out.filter = f
	}
	out.fieldsOK = format == "fields"
	switch {
	case out.fieldsOK && len(d.fieldsE) == 0:
		return out, usagef("-T fields needs at least one -e FIELD")
	case !out.fieldsOK && (len(d.fieldsE) > 0 || len(d.fieldsOpt) > 0):
		return out, usagef("-e and -E need -T fields")
	}
	for _, name := range d.fieldsE {
		f, err := dfilter.ParseField(strings.TrimSpace(name))
		if err != nil {
			if fe, ok := err.(*dfilter.Error); ok {
				return out, usagef("-e %s: %s", name, fe.Msg)
			}
			return out, usagef("-e %s: %v", name, err)
		}
		out.fields = append(out.fields, f)
	}
	for _, kv := range d.fieldsOpt {
		if err := out.fopts.Set(kv); err != nil {
			return out, usageError{err.Error()}
		}
	}
	return out, nil
}

// fieldsNeedTree reports whether some -e field reads the field tree.
func (d *display) fieldsNeedTree() bool {
	for _, f := range d.fields {
		if f.NeedsTree() {
			return true
		}
	}
	return false
}

// listVocabulary is -G: only "fields" is known.
func listVocabulary(what string, sys stdio) error {
	if what != "fields" {
		return usagef("-G %s: only -G fields is supported", what)
	}
	return render.WriteFieldList(sys.out, dfilter.Vocabulary())
}
