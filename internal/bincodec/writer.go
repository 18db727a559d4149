package bincodec

import "encoding/binary"

// Writer appends encodings to B. It cannot fail.
type Writer struct{ B []byte }

// U8 appends one byte.
func (w *Writer) U8(v byte) { w.B = append(w.B, v) }

// Bool appends 1 for true, 0 for false.
func (w *Writer) Bool(v bool) {
	if v {
		w.B = append(w.B, 1)
	} else {
		w.B = append(w.B, 0)
	}
}

// U32 appends v big-endian in 4 bytes.
func (w *Writer) U32(v uint32) { w.B = binary.BigEndian.AppendUint32(w.B, v) }

// U64 appends v big-endian in 8 bytes.
func (w *Writer) U64(v uint64) { w.B = binary.BigEndian.AppendUint64(w.B, v) }

// Uvarint appends v as an unsigned LEB128 varint in its shortest form.
func (w *Writer) Uvarint(v uint64) { w.B = binary.AppendUvarint(w.B, v) }

// Varint appends v as a zigzag varint in its shortest form.
func (w *Writer) Varint(v int64) { w.B = binary.AppendVarint(w.B, v) }

// Raw appends p with no length: for fields whose size the format fixes.
func (w *Writer) Raw(p []byte) { w.B = append(w.B, p...) }

// Bytes appends p after its length as a uvarint.
func (w *Writer) Bytes(p []byte) { w.Uvarint(uint64(len(p))); w.B = append(w.B, p...) }

// String appends s after its length as a uvarint.
func (w *Writer) String(s string) { w.Uvarint(uint64(len(s))); w.B = append(w.B, s...) }

// Strings appends a uvarint count, then each string as String does.
func (w *Writer) Strings(v []string) {
	w.Uvarint(uint64(len(v)))
	for _, s := range v {
		w.String(s)
	}
}
