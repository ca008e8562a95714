# bash completion for mqttdump; load with: source <(mqttdump completion bash)
_mqttdump() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            decode|stats|ladder|completion|version|man|help) cmd="${COMP_WORDS[i]}"; break ;;
        esac
    done
    case "$prev" in
        -i|--interface) COMPREPLY=($(compgen -W "$(mqttdump -D 2>/dev/null | sed -e 's/^[0-9]*\.//' -e 's/ .*//')" -- "$cur")); return ;;
        -Y|--filter|-e|--field) COMPREPLY=($(compgen -W "$(mqttdump -G fields 2>/dev/null | cut -f3)" -- "$cur")); return ;;
        --mqtt-version) COMPREPLY=($(compgen -W "auto 3.1 3.1.1 5" -- "$cur")); return ;;
        --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
        --type) COMPREPLY=($(compgen -W "connect connack publish puback pubrec pubrel pubcomp subscribe suback unsubscribe unsuback pingreq pingresp disconnect auth" -- "$cur")); return ;;
        -t|--time-format) COMPREPLY=($(compgen -W "r a ad d dd e u ud" -- "$cur")); return ;;
        -T|--format) COMPREPLY=($(compgen -W "text json fields" -- "$cur")); return ;;
        -r|--read|-w|--write|--tls-keylog|-f|--file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        -p|--port|-c|--count|--topic|--client|--max-bytes|--decode-as|--redact|--max-decompressed|-E|--fields-option|-G|--list|-s|--snaplen|-B|--buffer-size|--max-packet|--max-buffered|--max-conns|--idle-flush|--stats-max-clients|--stats-max-topics|--max-rows) COMPREPLY=(); return ;;
    esac
    local words
    case "$cmd" in
        "") words="-r --read -i --interface -D --list-interfaces -p --port -V --verbose -c --count -w --write -q --quiet -l --line-buffered --type --topic --client -T --format --color --max-bytes -x --hex --mqtt-version --decode-as --no-payload --redact --max-decompressed -Y --filter -e --field -E --fields-option -G --list -t --time-format -s --snaplen -B --buffer-size --max-packet --max-buffered --max-conns --tls-keylog --idle-flush decode stats ladder completion version man help --version --help" ;;
        decode) words="-T --format --color --max-bytes -x --hex --mqtt-version --decode-as --no-payload --redact --max-decompressed -f --file -s --summary" ;;
        stats) words="-r --read -i --interface -D --list-interfaces -p --port -V --verbose -c --count -w --write -q --quiet -l --line-buffered --type --topic --client -T --format --color --max-bytes -x --hex --mqtt-version --decode-as --no-payload --redact --max-decompressed -Y --filter -e --field -E --fields-option -G --list -t --time-format --stats-max-clients --stats-max-topics -s --snaplen -B --buffer-size --max-packet --max-buffered --max-conns --tls-keylog --idle-flush" ;;
        ladder) words="-r --read -i --interface -D --list-interfaces -p --port -V --verbose -c --count -w --write -q --quiet -l --line-buffered --type --topic --client -T --format --color --max-bytes -x --hex --mqtt-version --decode-as --no-payload --redact --max-decompressed -Y --filter -e --field -E --fields-option -G --list -t --time-format --max-rows -s --snaplen -B --buffer-size --max-packet --max-buffered --max-conns --tls-keylog --idle-flush" ;;
        completion) words="bash zsh fish" ;;
        version) words="" ;;
        man) words="" ;;
        help) words="decode stats ladder completion version man help" ;;
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _mqttdump mqttdump
