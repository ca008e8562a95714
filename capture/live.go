package capture

import (
	"fmt"
	"net"
	"strings"
)

// AnyInterface is the pseudo-interface that captures on all interfaces
// (Linux cooked capture, LINKTYPE_LINUX_SLL2), as tcpdump -i any does.
const AnyInterface = "any"

// Interfaces lists the network interfaces (for -D).
func Interfaces() ([]net.Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	return ifs, nil
}

// unknownInterface is the error for a name that is not an interface.
func unknownInterface(name string) error {
	ifs, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("no interface %q", name)
	}
	names := make([]string, 0, len(ifs)+1)
	for _, ifc := range ifs {
		names = append(names, ifc.Name)
	}
	names = append(names, AnyInterface)
	return fmt.Errorf("no interface %q (interfaces: %s)", name, strings.Join(names, ", "))
}
