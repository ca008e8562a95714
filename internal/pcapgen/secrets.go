package pcapgen

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// SecretsTLS is the Decryption Secrets Block type of a TLS key log
// ("TLSK"), what editcap --inject-secrets tls,FILE writes.
const SecretsTLS = 0x544c534b

// WriteSecrets writes a pcapng Decryption Secrets Block (block type 0x0A)
// carrying data of the given secrets type, between the frames written so
// far and the next ones.
func (w *Writer) WriteSecrets(secretsType uint32, data []byte) {
	if w.err != nil {
		return
	}
	if w.ng == nil {
		w.fail(errors.New("decryption secrets need pcapng"))
		return
	}
	if err := w.ng.Flush(); err != nil {
		w.fail(fmt.Errorf("flush pcapng: %w", err))
		return
	}
	pad := (4 - len(data)%4) % 4
	total := 8 + 8 + len(data) + pad + 4
	var h [16]byte
	binary.LittleEndian.PutUint32(h[0:], 0x0A)
	binary.LittleEndian.PutUint32(h[4:], uint32(total))
	binary.LittleEndian.PutUint32(h[8:], secretsType)
	binary.LittleEndian.PutUint32(h[12:], uint32(len(data)))
	tail := make([]byte, pad+4)
	binary.LittleEndian.PutUint32(tail[pad:], uint32(total))
	w.writeRaw(h[:], data)
	w.writeRaw(nil, tail)
}
