#compdef mqttdump
# zsh completion for mqttdump; install with: mqttdump completion zsh > "${fpath[1]}/_mqttdump"

_mqttdump_ifaces() { local -a i; i=(${(f)"$(mqttdump -D 2>/dev/null | sed -e 's/^[0-9]*\.//' -e 's/ .*//')"}); _describe interface i }
_mqttdump_fields() { local -a f; f=(${(f)"$(mqttdump -G fields 2>/dev/null | cut -f3)"}); _describe field f }

_mqttdump() {
    local -a cmds
    cmds=(
        'decode:decode MQTT packets from pasted hex, or a whole pasted frame'
        'stats:statistics\: packets, clients, topics, latency, fan-out, findings'
        'ladder:the conversation as a sequence diagram (terminal or Mermaid)'
        'completion:print a shell completion script'
        'version:print the version, the Go version and the commit'
        'man:print the manual page (roff)'
        'help:help for mqttdump or one of its commands'
    )
    if (( CURRENT > 2 )); then
        case $words[2] in
            decode) shift words; (( CURRENT-- )); _arguments -s \
                '(-T --format)'{-T,--format}'[output format\: text, json (NDJSON, one object per MQTT packet) or fields (-e, as tshark)]:value:(text json fields)' \
                '--color[colour\: auto (only on a terminal, honours NO_COLOR), always or never]:value:(auto always never)' \
                '--max-bytes[cut long values after this many bytes in the breakdown (0 = show all)]:value: ' \
                '(-x --hex)'{-x,--hex}'[also print each packet'\''s bytes as an annotated hex dump]' \
                '--mqtt-version[MQTT version when no CONNECT is seen\: auto (guess), 3.1, 3.1.1 or 5]:value:(auto 3.1 3.1.1 5)' \
                '--decode-as[`FILTER=DECODER`\: decode the payloads of topics matching the MQTT topic FILTER as DECODER (repeatable, first match wins)\: json, sparkplug, protobuf, text, hex, gzip, zlib]:value: ' \
                '--no-payload[leave the payload preview off PUBLISH summary lines]' \
                '--redact[--redact hides credentials (password, authentication data) in every output and in -w]:value: ' \
                '--max-decompressed[bytes a gzip or zlib payload may unpack to]:value: ' \
                '(-f --file)'{-f,--file}'[read the hex from FILE (- for standard input)]:file:_files' \
                '(-s --summary)'{-s,--summary}'[print only the one-line summary of each packet]'; return ;;
            stats) shift words; (( CURRENT-- )); _arguments -s \
                '(-r --read)'{-r,--read}'[read packets from a pcap or pcapng FILE (- for standard input)]:file:_files' \
                '(-i --interface)'{-i,--interface}'[capture live on IFACE]:interface:_mqttdump_ifaces' \
                '(-D --list-interfaces)'{-D,--list-interfaces}'[list the interfaces -i can use (any\: all of them), and exit]' \
                '(-p --port)'{-p,--port}'[more MQTT TCP ports besides 1883 and 8883\: repeat or comma-separate (files find MQTT on any port by content)]:value: ' \
                '(-V --verbose)'{-V,--verbose}'[print the annotated byte-by-byte breakdown under each summary line]' \
                '(-c --count)'{-c,--count}'[stop after N MQTT packets have been shown]:value: ' \
                '(-w --write)'{-w,--write}'[write the frames that carried the shown MQTT packets to a pcap FILE]:file:_files' \
                '(-q --quiet)'{-q,--quiet}'[print only the end-of-run counts]' \
                '(-l --line-buffered)'{-l,--line-buffered}'[flush standard output after every packet (as tcpdump -l), for pipes into other programs]' \
                '--type[show only these packet types\: names or numbers, comma-separated (publish,subscribe or 3,8)]:value:(connect connack publish puback pubrec pubrel pubcomp subscribe suback unsubscribe unsuback pingreq pingresp disconnect auth)' \
                '--topic[show only PUBLISH topics and SUBSCRIBE/UNSUBSCRIBE filters matching this MQTT filter (+ and # wildcards)]:value: ' \
                '--client[show only the connection whose CONNECT carried this client id (both directions)]:value: ' \
                '(-T --format)'{-T,--format}'[output format\: text, json (NDJSON, one object per MQTT packet) or fields (-e, as tshark)]:value:(text json fields)' \
                '--color[colour\: auto (only on a terminal, honours NO_COLOR), always or never]:value:(auto always never)' \
                '--max-bytes[cut long values after this many bytes in the breakdown (0 = show all)]:value: ' \
                '(-x --hex)'{-x,--hex}'[also print each packet'\''s bytes as an annotated hex dump]' \
                '--mqtt-version[MQTT version when no CONNECT is seen\: auto (guess), 3.1, 3.1.1 or 5]:value:(auto 3.1 3.1.1 5)' \
                '--decode-as[`FILTER=DECODER`\: decode the payloads of topics matching the MQTT topic FILTER as DECODER (repeatable, first match wins)\: json, sparkplug, protobuf, text, hex, gzip, zlib]:value: ' \
                '--no-payload[leave the payload preview off PUBLISH summary lines]' \
                '--redact[--redact hides credentials (password, authentication data) in every output and in -w]:value: ' \
                '--max-decompressed[bytes a gzip or zlib payload may unpack to]:value: ' \
                '(-Y --filter)'{-Y,--filter}'[display filter in Wireshark'\''s syntax\: show only MQTT packets it selects (mqtt.qos == 1 && mqtt.topic matches "^sensors/")]:field:_mqttdump_fields' \
                '(-e --field)'{-e,--field}'[with -T fields\: a field to print (repeat\: -e frame.number -e mqtt.topic)]:field:_mqttdump_fields' \
                '(-E --fields-option)'{-E,--fields-option}'[with -T fields\: header=y|n, separator=/t|/s|C, occurrence=f|l|a, aggregator=C, quote=d|s|n]:value: ' \
                '(-G --list)'{-G,--list}'[list the vocabulary and exit\: fields (tshark -G fields format)]:value: ' \
                '(-t --time-format)'{-t,--time-format}'[time column\: r (since the first frame), a, ad (local), d, dd (delta), e (epoch), u, ud (UTC)]:value:(r a ad d dd e u ud)' \
                '--stats-max-clients[stats\: distinct client ids reported]:value: ' \
                '--stats-max-topics[stats\: distinct topics reported]:value: ' \
                '(-s --snaplen)'{-s,--snaplen}'[live capture\: bytes kept of each frame]:value: ' \
                '(-B --buffer-size)'{-B,--buffer-size}'[live capture\: kernel buffer in KiB (frames arriving while it is full are dropped)]:value: ' \
                '--max-packet[largest MQTT packet buffered whole]:value: ' \
                '--max-buffered[bytes buffered across all connections]:value: ' \
                '--max-conns[TCP connections tracked at once]:value: ' \
                '--tls-keylog[decrypt TLS with the secrets of this NSS key log FILE (SSLKEYLOGFILE)]:file:_files' \
                '--idle-flush[flush connections idle this long in capture time]:value: '; return ;;
            ladder) shift words; (( CURRENT-- )); _arguments -s \
                '(-r --read)'{-r,--read}'[read packets from a pcap or pcapng FILE (- for standard input)]:file:_files' \
                '(-i --interface)'{-i,--interface}'[capture live on IFACE]:interface:_mqttdump_ifaces' \
                '(-D --list-interfaces)'{-D,--list-interfaces}'[list the interfaces -i can use (any\: all of them), and exit]' \
                '(-p --port)'{-p,--port}'[more MQTT TCP ports besides 1883 and 8883\: repeat or comma-separate (files find MQTT on any port by content)]:value: ' \
                '(-V --verbose)'{-V,--verbose}'[print the annotated byte-by-byte breakdown under each summary line]' \
                '(-c --count)'{-c,--count}'[stop after N MQTT packets have been shown]:value: ' \
                '(-w --write)'{-w,--write}'[write the frames that carried the shown MQTT packets to a pcap FILE]:file:_files' \
                '(-q --quiet)'{-q,--quiet}'[print only the end-of-run counts]' \
                '(-l --line-buffered)'{-l,--line-buffered}'[flush standard output after every packet (as tcpdump -l), for pipes into other programs]' \
                '--type[show only these packet types\: names or numbers, comma-separated (publish,subscribe or 3,8)]:value:(connect connack publish puback pubrec pubrel pubcomp subscribe suback unsubscribe unsuback pingreq pingresp disconnect auth)' \
                '--topic[show only PUBLISH topics and SUBSCRIBE/UNSUBSCRIBE filters matching this MQTT filter (+ and # wildcards)]:value: ' \
                '--client[show only the connection whose CONNECT carried this client id (both directions)]:value: ' \
                '(-T --format)'{-T,--format}'[output format\: text, json (NDJSON, one object per MQTT packet) or fields (-e, as tshark)]:value:(text json fields)' \
                '--color[colour\: auto (only on a terminal, honours NO_COLOR), always or never]:value:(auto always never)' \
                '--max-bytes[cut long values after this many bytes in the breakdown (0 = show all)]:value: ' \
                '(-x --hex)'{-x,--hex}'[also print each packet'\''s bytes as an annotated hex dump]' \
                '--mqtt-version[MQTT version when no CONNECT is seen\: auto (guess), 3.1, 3.1.1 or 5]:value:(auto 3.1 3.1.1 5)' \
                '--decode-as[`FILTER=DECODER`\: decode the payloads of topics matching the MQTT topic FILTER as DECODER (repeatable, first match wins)\: json, sparkplug, protobuf, text, hex, gzip, zlib]:value: ' \
                '--no-payload[leave the payload preview off PUBLISH summary lines]' \
                '--redact[--redact hides credentials (password, authentication data) in every output and in -w]:value: ' \
                '--max-decompressed[bytes a gzip or zlib payload may unpack to]:value: ' \
                '(-Y --filter)'{-Y,--filter}'[display filter in Wireshark'\''s syntax\: show only MQTT packets it selects (mqtt.qos == 1 && mqtt.topic matches "^sensors/")]:field:_mqttdump_fields' \
                '(-e --field)'{-e,--field}'[with -T fields\: a field to print (repeat\: -e frame.number -e mqtt.topic)]:field:_mqttdump_fields' \
                '(-E --fields-option)'{-E,--fields-option}'[with -T fields\: header=y|n, separator=/t|/s|C, occurrence=f|l|a, aggregator=C, quote=d|s|n]:value: ' \
                '(-G --list)'{-G,--list}'[list the vocabulary and exit\: fields (tshark -G fields format)]:value: ' \
                '(-t --time-format)'{-t,--time-format}'[time column\: r (since the first frame), a, ad (local), d, dd (delta), e (epoch), u, ud (UTC)]:value:(r a ad d dd e u ud)' \
                '--max-rows[ladder\: arrows drawn at most]:value: ' \
                '(-s --snaplen)'{-s,--snaplen}'[live capture\: bytes kept of each frame]:value: ' \
                '(-B --buffer-size)'{-B,--buffer-size}'[live capture\: kernel buffer in KiB (frames arriving while it is full are dropped)]:value: ' \
                '--max-packet[largest MQTT packet buffered whole]:value: ' \
                '--max-buffered[bytes buffered across all connections]:value: ' \
                '--max-conns[TCP connections tracked at once]:value: ' \
                '--tls-keylog[decrypt TLS with the secrets of this NSS key log FILE (SSLKEYLOGFILE)]:file:_files' \
                '--idle-flush[flush connections idle this long in capture time]:value: '; return ;;
            completion) shift words; (( CURRENT-- )); _arguments -s \
                '1:argument:(bash zsh fish)'; return ;;
            version) shift words; (( CURRENT-- )); _arguments -s; return ;;
            man) shift words; (( CURRENT-- )); _arguments -s; return ;;
            help) shift words; (( CURRENT-- )); _arguments -s \
                '1:command:(decode stats ladder completion version man help)'; return ;;
        esac
    fi
    _arguments -s \
        '(-r --read)'{-r,--read}'[read packets from a pcap or pcapng FILE (- for standard input)]:file:_files' \
        '(-i --interface)'{-i,--interface}'[capture live on IFACE]:interface:_mqttdump_ifaces' \
        '(-D --list-interfaces)'{-D,--list-interfaces}'[list the interfaces -i can use (any\: all of them), and exit]' \
        '(-p --port)'{-p,--port}'[more MQTT TCP ports besides 1883 and 8883\: repeat or comma-separate (files find MQTT on any port by content)]:value: ' \
        '(-V --verbose)'{-V,--verbose}'[print the annotated byte-by-byte breakdown under each summary line]' \
        '(-c --count)'{-c,--count}'[stop after N MQTT packets have been shown]:value: ' \
        '(-w --write)'{-w,--write}'[write the frames that carried the shown MQTT packets to a pcap FILE]:file:_files' \
        '(-q --quiet)'{-q,--quiet}'[print only the end-of-run counts]' \
        '(-l --line-buffered)'{-l,--line-buffered}'[flush standard output after every packet (as tcpdump -l), for pipes into other programs]' \
        '--type[show only these packet types\: names or numbers, comma-separated (publish,subscribe or 3,8)]:value:(connect connack publish puback pubrec pubrel pubcomp subscribe suback unsubscribe unsuback pingreq pingresp disconnect auth)' \
        '--topic[show only PUBLISH topics and SUBSCRIBE/UNSUBSCRIBE filters matching this MQTT filter (+ and # wildcards)]:value: ' \
        '--client[show only the connection whose CONNECT carried this client id (both directions)]:value: ' \
        '(-T --format)'{-T,--format}'[output format\: text, json (NDJSON, one object per MQTT packet) or fields (-e, as tshark)]:value:(text json fields)' \
        '--color[colour\: auto (only on a terminal, honours NO_COLOR), always or never]:value:(auto always never)' \
        '--max-bytes[cut long values after this many bytes in the breakdown (0 = show all)]:value: ' \
        '(-x --hex)'{-x,--hex}'[also print each packet'\''s bytes as an annotated hex dump]' \
        '--mqtt-version[MQTT version when no CONNECT is seen\: auto (guess), 3.1, 3.1.1 or 5]:value:(auto 3.1 3.1.1 5)' \
        '--decode-as[`FILTER=DECODER`\: decode the payloads of topics matching the MQTT topic FILTER as DECODER (repeatable, first match wins)\: json, sparkplug, protobuf, text, hex, gzip, zlib]:value: ' \
        '--no-payload[leave the payload preview off PUBLISH summary lines]' \
        '--redact[--redact hides credentials (password, authentication data) in every output and in -w]:value: ' \
        '--max-decompressed[bytes a gzip or zlib payload may unpack to]:value: ' \
        '(-Y --filter)'{-Y,--filter}'[display filter in Wireshark'\''s syntax\: show only MQTT packets it selects (mqtt.qos == 1 && mqtt.topic matches "^sensors/")]:field:_mqttdump_fields' \
        '(-e --field)'{-e,--field}'[with -T fields\: a field to print (repeat\: -e frame.number -e mqtt.topic)]:field:_mqttdump_fields' \
        '(-E --fields-option)'{-E,--fields-option}'[with -T fields\: header=y|n, separator=/t|/s|C, occurrence=f|l|a, aggregator=C, quote=d|s|n]:value: ' \
        '(-G --list)'{-G,--list}'[list the vocabulary and exit\: fields (tshark -G fields format)]:value: ' \
        '(-t --time-format)'{-t,--time-format}'[time column\: r (since the first frame), a, ad (local), d, dd (delta), e (epoch), u, ud (UTC)]:value:(r a ad d dd e u ud)' \
        '(-s --snaplen)'{-s,--snaplen}'[live capture\: bytes kept of each frame]:value: ' \
        '(-B --buffer-size)'{-B,--buffer-size}'[live capture\: kernel buffer in KiB (frames arriving while it is full are dropped)]:value: ' \
        '--max-packet[largest MQTT packet buffered whole]:value: ' \
        '--max-buffered[bytes buffered across all connections]:value: ' \
        '--max-conns[TCP connections tracked at once]:value: ' \
        '--tls-keylog[decrypt TLS with the secrets of this NSS key log FILE (SSLKEYLOGFILE)]:file:_files' \
        '--idle-flush[flush connections idle this long in capture time]:value: ' \
        '--version[print the version]' \
        '1: :{_describe command cmds}'
}

_mqttdump "$@"
