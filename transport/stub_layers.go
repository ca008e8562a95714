//go:build !chainlayers

package transport

// Placeholder until the tlsdec layer is wired in.

type tlsLayer struct{ c *Chain }

func (t *tlsLayer) describe() string { return describeTLS(t.c.info.TLS) }

func newTLSLayer(c *Chain, r *router) layer { return nil }
