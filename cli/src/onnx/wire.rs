//! The protobuf wire format, as far as ONNX's files need it: a message is a sequence of fields, each a key
//! (`field_number << 3 | wire_type`, a varint) and a payload — a varint (type 0), 8 little-endian bytes (type 1),
//! a length-prefixed run of bytes (type 2: strings, sub-messages, packed repeated numbers) or 4 little-endian
//! bytes (type 5). Groups (types 3 and 4) are deprecated and never written by ONNX; they are refused.

use super::OnnxError;

/// One field's payload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Payload<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1.
    Fixed64(u64),
    /// Wire type 2.
    Bytes(&'a [u8]),
    /// Wire type 5.
    Fixed32(u32),
}

/// Reads the fields of one message in order.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// What is read, for error messages ("TensorProto").
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over the bytes of one `what` message.
    pub(crate) fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader { buf, pos: 0, what }
    }

    fn err(&self, message: impl Into<String>) -> OnnxError {
        OnnxError::Malformed {
            what: self.what,
            offset: self.pos,
            message: message.into(),
        }
    }

    fn varint(&mut self) -> Result<u64, OnnxError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(self.err("truncated varint"));
            };
            self.pos += 1;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.err("varint longer than 10 bytes"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], OnnxError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| {
                self.err(format!(
                    "a field of {n} bytes runs past the end ({} bytes left)",
                    self.buf.len() - self.pos
                ))
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The next field (its number and payload), or `None` at the end of the message.
    pub(crate) fn field(&mut self) -> Result<Option<(u32, Payload<'a>)>, OnnxError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = u32::try_from(key >> 3).map_err(|_| self.err("field number too large"))?;
        if number == 0 {
            return Err(self.err("field number 0"));
        }
        let payload = match key & 7 {
            0 => Payload::Varint(self.varint()?),
            1 => {
                let b = self.take(8)?;
                Payload::Fixed64(u64::from_le_bytes(b.try_into().unwrap_or_default()))
            }
            2 => {
                let n = self.varint()?;
                let n = usize::try_from(n).map_err(|_| self.err("length too large"))?;
                Payload::Bytes(self.take(n)?)
            }
            5 => {
                let b = self.take(4)?;
                Payload::Fixed32(u32::from_le_bytes(b.try_into().unwrap_or_default()))
            }
            t => {
                return Err(self.err(format!(
                    "wire type {t} (field {number}): groups and unknown types are not protobuf 3"
                )))
            }
        };
        Ok(Some((number, payload)))
    }
}

/// A repeated varint field's values from one occurrence: unpacked (one varint) or packed (a run of them).
pub(crate) fn push_varints(
    p: Payload<'_>,
    what: &'static str,
    out: &mut Vec<u64>,
) -> Result<(), OnnxError> {
    match p {
        Payload::Varint(v) => out.push(v),
        Payload::Bytes(b) => {
            let mut r = Reader::new(b, what);
            while r.pos < b.len() {
                out.push(r.varint()?);
            }
        }
        other => return Err(wrong_type(what, other)),
    }
    Ok(())
}

/// A repeated 4-byte field's values (`float`): unpacked (one) or packed (a multiple of 4 bytes).
pub(crate) fn push_fixed32(
    p: Payload<'_>,
    what: &'static str,
    out: &mut Vec<u32>,
) -> Result<(), OnnxError> {
    match p {
        Payload::Fixed32(v) => out.push(v),
        Payload::Bytes(b) if b.len() % 4 == 0 => out.extend(
            b.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        ),
        other => return Err(wrong_type(what, other)),
    }
    Ok(())
}

/// A repeated 8-byte field's values (`double`): unpacked (one) or packed (a multiple of 8 bytes).
pub(crate) fn push_fixed64(
    p: Payload<'_>,
    what: &'static str,
    out: &mut Vec<u64>,
) -> Result<(), OnnxError> {
    match p {
        Payload::Fixed64(v) => out.push(v),
        Payload::Bytes(b) if b.len() % 8 == 0 => out.extend(b.chunks_exact(8).map(|c| {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            u64::from_le_bytes(a)
        })),
        other => return Err(wrong_type(what, other)),
    }
    Ok(())
}

/// A string field's value (UTF-8; invalid bytes replaced, as names are only compared and printed).
pub(crate) fn string(p: Payload<'_>, what: &'static str) -> Result<String, OnnxError> {
    match p {
        Payload::Bytes(b) => Ok(String::from_utf8_lossy(b).into_owned()),
        other => Err(wrong_type(what, other)),
    }
}

/// A sub-message's bytes.
pub(crate) fn bytes<'a>(p: Payload<'a>, what: &'static str) -> Result<&'a [u8], OnnxError> {
    match p {
        Payload::Bytes(b) => Ok(b),
        other => Err(wrong_type(what, other)),
    }
}

/// A scalar varint field's value.
pub(crate) fn varint(p: Payload<'_>, what: &'static str) -> Result<u64, OnnxError> {
    match p {
        Payload::Varint(v) => Ok(v),
        other => Err(wrong_type(what, other)),
    }
}

fn wrong_type(what: &'static str, p: Payload<'_>) -> OnnxError {
    let kind = match p {
        Payload::Varint(_) => "a varint",
        Payload::Fixed64(_) => "8 fixed bytes",
        Payload::Bytes(_) => "length-delimited bytes",
        Payload::Fixed32(_) => "4 fixed bytes",
    };
    OnnxError::Malformed {
        what,
        offset: 0,
        message: format!("unexpected wire type: {kind}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_keys() {
        // Field 1 varint 300 (0xac 0x02), field 2 bytes "hi", field 3 fixed32 1.0f, field 4 fixed64.
        let mut buf = vec![0x08, 0xac, 0x02, 0x12, 2, b'h', b'i', 0x1d];
        buf.extend(1f32.to_le_bytes());
        buf.push(0x21);
        buf.extend(7u64.to_le_bytes());
        let mut r = Reader::new(&buf, "test");
        assert_eq!(r.field().unwrap(), Some((1, Payload::Varint(300))));
        assert_eq!(r.field().unwrap(), Some((2, Payload::Bytes(b"hi"))));
        assert_eq!(
            r.field().unwrap(),
            Some((3, Payload::Fixed32(1f32.to_bits())))
        );
        assert_eq!(r.field().unwrap(), Some((4, Payload::Fixed64(7))));
        assert_eq!(r.field().unwrap(), None);
    }

    #[test]
    fn packed_and_unpacked_varints() {
        let mut out = Vec::new();
        push_varints(Payload::Varint(5), "t", &mut out).unwrap();
        // 1, 300, and -1 as an int64 (ten bytes).
        let packed = [
            1, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ];
        push_varints(Payload::Bytes(&packed), "t", &mut out).unwrap();
        assert_eq!(out, [5, 1, 300, u64::MAX]);
    }

    #[test]
    fn truncated_input_is_an_error() {
        // A length of 5 with 2 bytes behind it; a varint cut in the middle; a group.
        for bad in [&[0x12u8, 5, 1, 2][..], &[0x08, 0x80], &[0x0b]] {
            let mut r = Reader::new(bad, "test");
            let e = r.field().unwrap_err().to_string();
            assert!(e.contains("test"), "{e}");
        }
    }
}
