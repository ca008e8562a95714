package capture

import (
	"fmt"
	"net"
)

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
	names := ""
	for i, ifc := range ifs {
		if i > 0 {
			names += ", "
		}
		names += ifc.Name
	}
	return fmt.Errorf("no interface %q (interfaces: %s)", name, names)
}
