package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// What a flag's value is, for completion. Flags not named here complete
// nothing special (bash falls back to file names).
var (
	fileFlags  = map[string]bool{"read": true, "write": true, "file": true, "tls-keylog": true}
	ifaceFlags = map[string]bool{"interface": true}
	fieldFlags = map[string]bool{"filter": true, "display-filter": true, "field": true, "e": true}
	flagValues = map[string][]string{
		"format":       {"text", "json", "fields"},
		"color":        {"auto", "always", "never"},
		"mqtt-version": {"auto", "3.1", "3.1.1", "5"},
		"type": {"connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp", "subscribe",
			"suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect", "auth"},
		"time-format": {"r", "a", "ad", "d", "dd", "e", "u", "ud"},
	}
)

// Shell commands the scripts run to list interfaces (any included: -D
// lists it) and field names.
const (
	listIfaces = `mqttdump -D 2>/dev/null | sed -e 's/^[0-9]*\.//' -e 's/ .*//'`
	listFields = `mqttdump -G fields 2>/dev/null | cut -f3`
)

func runCompletion(_ context.Context, args []string, sys stdio) error {
	if len(args) != 1 {
		return usagef("completion: name the shell: bash, zsh or fish")
	}
	var err error
	switch args[0] {
	case "bash":
		err = writeBash(sys.out)
	case "zsh":
		err = writeZsh(sys.out)
	case "fish":
		err = writeFish(sys.out)
	default:
		return usagef("completion %s: want bash, zsh or fish", args[0])
	}
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// cmdFlags is one command's flags, described once for every shell.
type cmdFlags struct {
	cmd   command
	flags []*pflag.Flag
}

func allFlags() []cmdFlags {
	var out []cmdFlags
	for _, c := range commands() {
		cf := cmdFlags{cmd: c}
		if c.flags != nil {
			c.flags(quietStdio(stdio{})).VisitAll(func(f *pflag.Flag) {
				if !f.Hidden {
					cf.flags = append(cf.flags, f)
				}
			})
		}
		out = append(out, cf)
	}
	return out
}

// valueKind says how a flag's value completes: "file", "iface", "field",
// "enum", "" (no value: a boolean) or "any".
func valueKind(f *pflag.Flag) string {
	switch {
	case f.Value.Type() == "bool":
		return ""
	case fileFlags[f.Name]:
		return "file"
	case ifaceFlags[f.Name]:
		return "iface"
	case fieldFlags[f.Name] || fieldFlags[f.Shorthand]:
		return "field"
	case flagValues[f.Name] != nil:
		return "enum"
	}
	return "any"
}

func writeBash(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# bash completion for mqttdump; load with: source <(mqttdump completion bash)\n")
	b.WriteString("_mqttdump() {\n")
	b.WriteString("    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" cmd=\"\" i\n")
	b.WriteString("    for ((i = 1; i < COMP_CWORD; i++)); do\n        case \"${COMP_WORDS[i]}\" in\n")
	fmt.Fprintf(&b, "            %s) cmd=\"${COMP_WORDS[i]}\"; break ;;\n", strings.Join(commandNames(), "|"))
	b.WriteString("        esac\n    done\n")
	// Values of the flag before the cursor.
	b.WriteString("    case \"$prev\" in\n")
	cases := map[string][]string{}
	for _, cf := range allFlags() {
		for _, f := range cf.flags {
			var action string
			switch valueKind(f) {
			case "file":
				action = `COMPREPLY=($(compgen -f -- "$cur"))`
			case "iface":
				action = `COMPREPLY=($(compgen -W "$(` + listIfaces + `)" -- "$cur"))`
			case "field":
				action = `COMPREPLY=($(compgen -W "$(` + listFields + `)" -- "$cur"))`
			case "enum":
				action = `COMPREPLY=($(compgen -W "` + strings.Join(flagValues[f.Name], " ") + `" -- "$cur"))`
			case "any":
				action = `COMPREPLY=()`
			default:
				continue
			}
			for _, n := range flagNames(f) {
				cases[action] = appendOnce(cases[action], n)
			}
		}
	}
	actions := make([]string, 0, len(cases))
	for a := range cases {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	for _, a := range actions {
		fmt.Fprintf(&b, "        %s) %s; return ;;\n", strings.Join(cases[a], "|"), a)
	}
	b.WriteString("    esac\n")
	// Flags and subcommands of the command being typed.
	b.WriteString("    local words\n    case \"$cmd\" in\n")
	for _, cf := range allFlags() {
		var words []string
		for _, f := range cf.flags {
			words = append(words, flagNames(f)...)
		}
		if cf.cmd.name == "" {
			words = append(words, commandNames()...)
			words = append(words, "--version", "--help")
			b.WriteString("        \"\")")
		} else {
			words = append(words, cf.cmd.args...)
			if cf.cmd.name == "help" {
				words = append(words, commandNames()...)
			}
			fmt.Fprintf(&b, "        %s)", cf.cmd.name)
		}
		fmt.Fprintf(&b, " words=\"%s\" ;;\n", strings.Join(words, " "))
	}
	b.WriteString("    esac\n")
	b.WriteString("    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n}\n")
	b.WriteString("complete -o default -F _mqttdump mqttdump\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func flagNames(f *pflag.Flag) []string {
	names := []string{"--" + f.Name}
	if f.Shorthand != "" {
		names = append([]string{"-" + f.Shorthand}, names...)
	}
	return names
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func writeZsh(w io.Writer) error {
	var b strings.Builder
	b.WriteString("#compdef mqttdump\n# zsh completion for mqttdump; install with: mqttdump completion zsh > \"${fpath[1]}/_mqttdump\"\n\n")
	b.WriteString("_mqttdump_ifaces() { local -a i; i=(${(f)\"$(" + listIfaces + ")\"}); _describe interface i }\n")
	b.WriteString("_mqttdump_fields() { local -a f; f=(${(f)\"$(" + listFields + ")\"}); _describe field f }\n\n")
	b.WriteString("_mqttdump() {\n    local -a cmds\n    cmds=(\n")
	for _, c := range commands() {
		if c.name != "" {
			fmt.Fprintf(&b, "        '%s:%s'\n", c.name, zshQuote(c.summary))
		}
	}
	b.WriteString("    )\n    if (( CURRENT > 2 )); then\n        case $words[2] in\n")
	for _, cf := range allFlags() {
		if cf.cmd.name == "" {
			continue
		}
		fmt.Fprintf(&b, "            %s) shift words; (( CURRENT-- )); _arguments -s", cf.cmd.name)
		for _, f := range cf.flags {
			b.WriteString(" \\\n                " + zshSpec(f))
		}
		switch {
		case len(cf.cmd.args) > 0:
			fmt.Fprintf(&b, " \\\n                '1:argument:(%s)'", strings.Join(cf.cmd.args, " "))
		case cf.cmd.name == "help":
			fmt.Fprintf(&b, " \\\n                '1:command:(%s)'", strings.Join(commandNames(), " "))
		}
		b.WriteString("; return ;;\n")
	}
	b.WriteString("        esac\n    fi\n    _arguments -s")
	for _, f := range allFlags()[0].flags {
		b.WriteString(" \\\n        " + zshSpec(f))
	}
	b.WriteString(" \\\n        '--version[print the version]' \\\n        '1: :{_describe command cmds}'\n}\n\n_mqttdump \"$@\"\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// zshSpec is one _arguments spec: '(-r --read)'{-r,--read}'[help]:file:_files'.
func zshSpec(f *pflag.Flag) string {
	help := zshQuote(firstSentence(f.Usage))
	var action string
	switch valueKind(f) {
	case "file":
		action = ":file:_files"
	case "iface":
		action = ":interface:_mqttdump_ifaces"
	case "field":
		action = ":field:_mqttdump_fields"
	case "enum":
		action = ":value:(" + strings.Join(flagValues[f.Name], " ") + ")"
	case "any":
		action = ":value: "
	}
	if f.Shorthand == "" {
		return fmt.Sprintf("'--%s[%s]%s'", f.Name, help, action)
	}
	return fmt.Sprintf("'(-%s --%s)'{-%s,--%s}'[%s]%s'", f.Shorthand, f.Name, f.Shorthand, f.Name, help, action)
}

func zshQuote(s string) string {
	r := strings.NewReplacer("'", `'\''`, "[", `\[`, "]", `\]`, ":", `\:`)
	return r.Replace(s)
}

func writeFish(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# fish completion for mqttdump; install with: mqttdump completion fish > ~/.config/fish/completions/mqttdump.fish\n")
	fmt.Fprintf(&b, "set -l mqttdump_cmds %s\n", strings.Join(commandNames(), " "))
	b.WriteString("complete -c mqttdump -f\n")
	for _, c := range commands() {
		if c.name != "" {
			fmt.Fprintf(&b, "complete -c mqttdump -n \"not __fish_seen_subcommand_from $mqttdump_cmds\" -a %s -d '%s'\n", c.name, fishQuote(c.summary))
		}
	}
	for _, cf := range allFlags() {
		cond := "not __fish_seen_subcommand_from $mqttdump_cmds"
		if cf.cmd.name != "" {
			cond = "__fish_seen_subcommand_from " + cf.cmd.name
			if len(cf.cmd.args) > 0 {
				fmt.Fprintf(&b, "complete -c mqttdump -n \"%s\" -a '%s'\n", cond, strings.Join(cf.cmd.args, " "))
			}
			if cf.cmd.name == "help" {
				fmt.Fprintf(&b, "complete -c mqttdump -n \"%s\" -a \"$mqttdump_cmds\"\n", cond)
			}
		}
		for _, f := range cf.flags {
			fmt.Fprintf(&b, "complete -c mqttdump -n \"%s\" -l %s", cond, f.Name)
			if f.Shorthand != "" {
				fmt.Fprintf(&b, " -s %s", f.Shorthand)
			}
			switch valueKind(f) {
			case "file":
				b.WriteString(" -r -F")
			case "iface":
				b.WriteString(" -x -a \"(" + listIfaces + ")\"")
			case "field":
				b.WriteString(" -x -a \"(" + listFields + ")\"")
			case "enum":
				b.WriteString(" -x -a '" + strings.Join(flagValues[f.Name], " ") + "'")
			case "any":
				b.WriteString(" -x")
			}
			fmt.Fprintf(&b, " -d '%s'\n", fishQuote(firstSentence(f.Usage)))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fishQuote(s string) string { return strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) }

// firstSentence keeps completion descriptions short.
func firstSentence(s string) string {
	if i := strings.Index(s, "; "); i > 0 {
		s = s[:i]
	}
	return s
}
