package pcapgen

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/gopacket/gopacket"
)

// CutNext makes the next frame a record cut mid-way: its header claims the
// whole frame but only keep bytes of it follow, as when a capture is copied
// while still being written. The file ends there; later writes fail with
// ErrFinished (Flush still succeeds).
func (w *Writer) CutNext(keep int) {
	if keep < 0 {
		w.fail(fmt.Errorf("cut next: negative keep %d", keep))
		return
	}
	w.cut = keep
}

// WriteOversizedRecord writes a record header that claims claim captured
// bytes (0xffffffff for the classic 4 GB lie) followed by data only. It ends
// the file like CutNext.
func (w *Writer) WriteOversizedRecord(claim uint32, data []byte) {
	if w.err != nil {
		return
	}
	if w.done {
		w.fail(ErrFinished)
		return
	}
	w.frames++
	w.done = true
	if w.ng != nil {
		w.writeRawEPB(0, w.now, claim, claim, data)
	} else {
		w.putPcapRecordHeader(w.now, claim, claim)
		w.writeRaw(w.rec[:], data)
	}
	w.now = w.now.Add(w.opt.Step)
}

// writeCut writes the record pending from CutNext.
func (w *Writer) writeCut(ci gopacket.CaptureInfo, data []byte) {
	keep := min(w.cut, len(data))
	w.cut = -1
	w.done = true
	if w.ng != nil {
		w.writeRawEPB(ci.InterfaceIndex, ci.Timestamp, uint32(ci.CaptureLength), uint32(ci.Length), data[:keep])
		return
	}
	w.putPcapRecordHeader(ci.Timestamp, uint32(ci.CaptureLength), uint32(ci.Length))
	w.writeRaw(w.rec[:], data[:keep])
}

// writeRawEPB writes the head of a pcapng Enhanced Packet Block whose
// lengths are taken from capLen, followed by data, bypassing pcapgo so the
// block can lie.
func (w *Writer) writeRawEPB(ifc int, ts time.Time, capLen, origLen uint32, data []byte) {
	if err := w.ng.Flush(); err != nil {
		w.fail(fmt.Errorf("flush pcapng: %w", err))
		return
	}
	blockLen := uint64(capLen) + 32
	blockLen += (4 - blockLen%4) % 4
	blockLen = min(blockLen, 0xfffffffc)
	var h [28]byte
	nanos := uint64(ts.UnixNano())
	binary.LittleEndian.PutUint32(h[0:], 6) // Enhanced Packet Block
	binary.LittleEndian.PutUint32(h[4:], uint32(blockLen))
	binary.LittleEndian.PutUint32(h[8:], uint32(ifc))
	binary.LittleEndian.PutUint32(h[12:], uint32(nanos>>32))
	binary.LittleEndian.PutUint32(h[16:], uint32(nanos))
	binary.LittleEndian.PutUint32(h[20:], capLen)
	binary.LittleEndian.PutUint32(h[24:], origLen)
	w.writeRaw(h[:], data)
}

func (w *Writer) writeRaw(head, data []byte) {
	if _, err := w.out.Write(head); err != nil {
		w.fail(fmt.Errorf("frame %d: %w", w.frames, err))
		return
	}
	if _, err := w.out.Write(data); err != nil {
		w.fail(fmt.Errorf("frame %d: %w", w.frames, err))
	}
}
