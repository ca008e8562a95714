//go:build !chainlayers

package transport

// Placeholders until the websocket and tlsdec layers are wired in.

type tlsLayer struct{ c *Chain }

func (t *tlsLayer) describe() string { return describeTLS(t.c.info.TLS) }

func newWSLayer(c *Chain, r *router) layer  { return nil }
func newTLSLayer(c *Chain, r *router) layer { return nil }
