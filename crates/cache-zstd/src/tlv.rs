//! Tagged fields: the encoding of every record of an entry's footer and
//! block headers (format v4).
//!
//! A record is a sequence of fields, each `number | length | value`:
//! `number` and `length` are LEB128 varints (at most 10 bytes, no bits past
//! 64), `value` is `length` bytes. Values are
//!
//! | kind | bytes |
//! |---|---|
//! | unsigned | a varint |
//! | signed | a zigzag varint |
//! | f64 | 8 bytes, little-endian (bit pattern kept) |
//! | bool | a varint, 0 or 1 |
//! | text | UTF-8 |
//! | bytes | as they are |
//! | record | a nested record |
//! | packed unsigned | varints, one after the other |
//!
//! **How fields are added** (the rule that lets two spicelab versions share
//! a cache): a field's number is never reused for anything else. A record's
//! fields may come in any order; a repeated field keeps its order. A field
//! that is absent takes its default (0, empty, false, none). A reader skips
//! a field it does not know when its number is even; when the number is odd
//! the field is *required*: a reader that does not know it must not use the
//! entry (it is a miss left in place, counted as another version). So a new
//! field that old readers may ignore gets a new even number; one that
//! changes the meaning of the rest gets a new odd number; neither needs a
//! new format version.

use std::fmt;

/// A problem found while reading tagged fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// Byte offset (absolute, as given to [`Fields::new`]) where it was found.
    pub offset: u64,
    /// What is wrong.
    pub what: String,
    /// True when the bytes are well formed but use something this reader
    /// does not know (a required field, a codec): not corruption.
    pub unsupported: bool,
}

impl WireError {
    /// A corrupt-bytes error.
    pub fn corrupt(offset: u64, what: impl Into<String>) -> WireError {
        WireError {
            offset,
            what: what.into(),
            unsupported: false,
        }
    }

    /// An unknown-feature error.
    pub fn unsupported(offset: u64, what: impl Into<String>) -> WireError {
        WireError {
            offset,
            what: what.into(),
            unsupported: true,
        }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (byte {})", self.what, self.offset)
    }
}

/// Appends the LEB128 varint of `v`.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Writes `v` as a LEB128 varint into `out` at `at`; returns the end.
fn varint_into(out: &mut [u8; 20], mut at: usize, mut v: u64) -> usize {
    while v >= 0x80 {
        out[at] = (v as u8) | 0x80;
        v >>= 7;
        at += 1;
    }
    out[at] = v as u8;
    at + 1
}

/// Reads a LEB128 varint at the start of `b`: the value and its length.
pub fn get_varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        let bits = u64::from(byte & 0x7f);
        if i == 9 && bits > 1 {
            return None; // past 64 bits
        }
        v |= bits << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Builds a record.
#[derive(Debug, Clone, Default)]
pub struct RecordWriter {
    buf: Vec<u8>,
}

impl RecordWriter {
    /// An empty record.
    pub fn new() -> RecordWriter {
        RecordWriter::default()
    }

    fn head(&mut self, field: u32, len: usize) {
        put_varint(&mut self.buf, u64::from(field));
        put_varint(&mut self.buf, len as u64);
    }

    /// An unsigned field.
    pub fn uint(&mut self, field: u32, v: u64) -> &mut Self {
        // the value's length first (7 bits a byte), then the value: no
        // buffer in between
        let len = (64 - (v | 1).leading_zeros()).div_ceil(7) as usize;
        self.head(field, len);
        put_varint(&mut self.buf, v);
        self
    }

    /// A signed field (zigzag).
    pub fn int(&mut self, field: u32, v: i64) -> &mut Self {
        self.uint(field, zigzag(v))
    }

    /// An f64 field (its bit pattern, little-endian).
    pub fn f64(&mut self, field: u32, v: f64) -> &mut Self {
        self.bytes(field, &v.to_bits().to_le_bytes())
    }

    /// A bool field.
    pub fn bool(&mut self, field: u32, v: bool) -> &mut Self {
        self.uint(field, u64::from(v))
    }

    /// A text field.
    pub fn str(&mut self, field: u32, v: &str) -> &mut Self {
        self.bytes(field, v.as_bytes())
    }

    /// A bytes field.
    pub fn bytes(&mut self, field: u32, v: &[u8]) -> &mut Self {
        self.head(field, v.len());
        self.buf.extend_from_slice(v);
        self
    }

    /// A nested record field.
    pub fn record(&mut self, field: u32, r: &RecordWriter) -> &mut Self {
        self.bytes(field, &r.buf)
    }

    /// A nested record field, built by `f`.
    pub fn with_record(&mut self, field: u32, f: impl FnOnce(&mut RecordWriter)) -> &mut Self {
        // The nested fields are written in place, at the end of this
        // record's buffer, and the field's head (number, length) is put in
        // front of them once their length is known: no buffer per record.
        let start = self.buf.len();
        let mut inner = RecordWriter {
            buf: std::mem::take(&mut self.buf),
        };
        f(&mut inner);
        self.buf = inner.buf;
        let len = self.buf.len() - start;
        let mut head = [0u8; 20];
        let n = varint_into(&mut head, 0, u64::from(field));
        let n = varint_into(&mut head, n, len as u64);
        self.buf.splice(start..start, head[..n].iter().copied());
        self
    }
    /// A packed field of unsigned varints.
    pub fn packed(&mut self, field: u32, vs: impl IntoIterator<Item = u64>) -> &mut Self {
        let mut tmp = Vec::new();
        for v in vs {
            put_varint(&mut tmp, v);
        }
        self.bytes(field, &tmp)
    }

    /// Appends already encoded fields (another record's bytes).
    pub fn raw(&mut self, fields: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(fields);
        self
    }

    /// Bytes so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when no field was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The record's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The record's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// The fields of a record, in order (an iterator of `Result<Field>`).
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    bytes: &'a [u8],
    at: usize,
    base: u64,
}

impl<'a> Fields<'a> {
    /// The fields of `bytes`, whose first byte is at absolute offset `base`
    /// (for error messages).
    pub fn new(bytes: &'a [u8], base: u64) -> Fields<'a> {
        Fields { bytes, at: 0, base }
    }
}

/// A varint at `b[at..]`, with a fast path for one byte.
#[inline]
fn varint_at(b: &[u8], at: usize) -> Option<(u64, usize)> {
    match b.get(at) {
        Some(&x) if x < 0x80 => Some((u64::from(x), 1)),
        Some(_) => get_varint(&b[at..]),
        None => None,
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.bytes;
        let start = self.at;
        if start >= b.len() {
            return None;
        }
        let offset = self.base + start as u64;
        // On any error the iterator stops.
        self.at = b.len();
        let Some((number, n1)) = varint_at(b, start) else {
            return Some(Err(WireError::corrupt(offset, "bad field number varint")));
        };
        let Ok(number) = u32::try_from(number) else {
            return Some(Err(WireError::corrupt(
                offset,
                format!("field number {number}"),
            )));
        };
        let Some((len, n2)) = varint_at(b, start + n1) else {
            return Some(Err(WireError::corrupt(offset, "bad field length varint")));
        };
        let value_at = start + n1 + n2;
        let left = (b.len() - value_at) as u64;
        if len > left {
            return Some(Err(WireError::corrupt(
                offset,
                format!("field {number} of {len} bytes runs past its record ({left} left)"),
            )));
        }
        let end = value_at + len as usize;
        self.at = end;
        Some(Ok(Field {
            number,
            offset,
            value_offset: self.base + value_at as u64,
            value: &b[value_at..end],
        }))
    }
}

/// One field of a record.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    /// The field's number.
    pub number: u32,
    /// Absolute offset of the field's first byte.
    pub offset: u64,
    /// Absolute offset of the value's first byte.
    pub value_offset: u64,
    /// The value's bytes.
    pub value: &'a [u8],
}

impl<'a> Field<'a> {
    fn bad(&self, what: &str) -> WireError {
        WireError::corrupt(
            self.offset,
            format!("field {}: {what} ({} bytes)", self.number, self.value.len()),
        )
    }

    /// The value as an unsigned varint filling it exactly.
    pub fn uint(&self) -> Result<u64, WireError> {
        match varint_at(self.value, 0) {
            Some((v, n)) if n == self.value.len() => Ok(v),
            _ => Err(self.bad("not one varint")),
        }
    }

    /// The value as a zigzag signed varint.
    pub fn int(&self) -> Result<i64, WireError> {
        self.uint().map(unzigzag)
    }

    /// The value as an f64 (8 bytes).
    pub fn f64(&self) -> Result<f64, WireError> {
        let b: [u8; 8] = self.value.try_into().map_err(|_| self.bad("not 8 bytes"))?;
        Ok(f64::from_bits(u64::from_le_bytes(b)))
    }

    /// The value as a bool (0 or 1).
    pub fn bool(&self) -> Result<bool, WireError> {
        match self.uint()? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(self.bad(&format!("bool {v}"))),
        }
    }

    /// The value as UTF-8 text.
    pub fn str(&self) -> Result<&'a str, WireError> {
        std::str::from_utf8(self.value).map_err(|_| self.bad("not UTF-8"))
    }

    /// The value as owned text.
    pub fn string(&self) -> Result<String, WireError> {
        self.str().map(str::to_string)
    }

    /// The value as a nested record.
    pub fn record(&self) -> Fields<'a> {
        Fields::new(self.value, self.value_offset)
    }

    /// The value as packed unsigned varints.
    pub fn packed(&self) -> Packed<'a> {
        Packed {
            bytes: self.value,
            at: 0,
            base: self.value_offset,
        }
    }

    /// For a field the reader does not know: `Ok` (skip it) when its
    /// number is even, an unsupported-feature error when it is odd
    /// (required).
    pub fn unknown(&self, record: &str) -> Result<(), WireError> {
        if self.number & 1 == 1 {
            Err(WireError::unsupported(
                self.offset,
                format!("required field {} of the {record} record", self.number),
            ))
        } else {
            Ok(())
        }
    }
}

/// The varints of a packed field.
#[derive(Debug, Clone)]
pub struct Packed<'a> {
    bytes: &'a [u8],
    at: usize,
    base: u64,
}

impl Iterator for Packed<'_> {
    type Item = Result<u64, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.bytes.len() {
            return None;
        }
        match get_varint(&self.bytes[self.at..]) {
            Some((v, n)) => {
                self.at += n;
                Some(Ok(v))
            }
            None => {
                let off = self.base + self.at as u64;
                self.at = self.bytes.len();
                Some(Err(WireError::corrupt(off, "bad packed varint")))
            }
        }
    }
}

/// Tracks the fields of a record already seen, to reject a repeated
/// single field.
#[derive(Debug, Default, Clone, Copy)]
pub struct Seen(u64);

impl Seen {
    /// Notes `f`; an error when a field of its number (below 64) was seen before.
    pub fn once(&mut self, f: &Field<'_>, record: &str) -> Result<(), WireError> {
        if f.number < 64 {
            let bit = 1u64 << f.number;
            if self.0 & bit != 0 {
                return Err(WireError::corrupt(
                    f.offset,
                    format!("field {} of the {record} record appears twice", f.number),
                ));
            }
            self.0 |= bit;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fields_round_trip_and_unknown_ones_are_skipped_or_refused() {
        let mut inner = RecordWriter::new();
        inner.str(1, "v(out)").f64(2, -0.0);
        let mut r = RecordWriter::new();
        r.uint(1, 300)
            .int(2, -5)
            .bool(3, true)
            .record(4, &inner)
            .packed(6, [0, 1, u64::MAX])
            .str(8, "skip me");
        let bytes = r.into_bytes();
        let fields: Vec<Field<'_>> = Fields::new(&bytes, 100).map(Result::unwrap).collect();
        assert_eq!(fields.len(), 6);
        assert_eq!(fields[0].uint(), Ok(300));
        assert_eq!(fields[0].offset, 100);
        assert_eq!(fields[1].int(), Ok(-5));
        assert_eq!(fields[2].bool(), Ok(true));
        let inn: Vec<_> = fields[3].record().map(Result::unwrap).collect();
        assert_eq!(inn[0].str(), Ok("v(out)"));
        assert_eq!(inn[1].f64().map(f64::to_bits), Ok((-0.0f64).to_bits()));
        let p: Vec<u64> = fields[4].packed().map(Result::unwrap).collect();
        assert_eq!(p, vec![0, 1, u64::MAX]);
        assert!(fields[5].unknown("test").is_ok());
        let mut odd = RecordWriter::new();
        odd.uint(7, 1);
        let odd = odd.into_bytes();
        let f = Fields::new(&odd, 0).next().unwrap().unwrap();
        assert!(f.unknown("test").unwrap_err().unsupported);
        // Wrong kinds are errors, not panics.
        assert!(fields[5].uint().is_err() && fields[5].f64().is_err());
        let mut seen = Seen::default();
        assert!(seen.once(&fields[0], "t").is_ok());
        assert!(seen.once(&fields[0], "t").is_err());
    }

    #[test]
    fn overlong_and_truncated_varints_are_errors() {
        assert_eq!(get_varint(&[0xff; 11]), None);
        assert_eq!(get_varint(&[0x80]), None);
        let mut max = Vec::new();
        put_varint(&mut max, u64::MAX);
        assert_eq!(max.len(), 10);
        assert_eq!(get_varint(&max), Some((u64::MAX, 10)));
        let mut over = max.clone();
        over[9] = 2;
        assert_eq!(get_varint(&over), None);
        // A length past the record.
        let bytes = [1u8, 5, 0];
        let e = Fields::new(&bytes, 10).next().unwrap().unwrap_err();
        assert_eq!(e.offset, 10);
        assert!(e.what.contains("past its record"), "{e}");
    }

    /// A record written in place (`with_record`) is the same bytes as one
    /// built apart and added (`record`), nested, and past 127 bytes (a
    /// two-byte length).
    #[test]
    fn records_written_in_place_equal_records_added() {
        let long = "x".repeat(300);
        let mut a = RecordWriter::new();
        a.uint(1, 5)
            .with_record(2, |r| {
                r.str(1, &long).with_record(2, |q| {
                    q.uint(3, 300);
                });
            })
            .with_record(3, |_| {})
            .uint(9, 1);
        let mut q = RecordWriter::new();
        q.uint(3, 300);
        let mut r = RecordWriter::new();
        r.str(1, &long).record(2, &q);
        let mut b = RecordWriter::new();
        b.uint(1, 5)
            .record(2, &r)
            .record(3, &RecordWriter::new())
            .uint(9, 1);
        assert_eq!(a.into_bytes(), b.into_bytes());
    }

    proptest! {
        #[test]
        fn varints_round_trip(v in any::<u64>(), s in any::<i64>()) {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            prop_assert_eq!(get_varint(&b), Some((v, b.len())));
            prop_assert_eq!(unzigzag(zigzag(s)), s);
            // an integer field (its length written before the value) reads back
            let mut w = RecordWriter::new();
            w.uint(3, v).int(4, s);
            let bytes = w.into_bytes();
            let got: Vec<(u32, u64)> = Fields::new(&bytes, 0)
                .map(|f| f.map(|f| (f.number, f.uint().unwrap_or(u64::MAX))))
                .collect::<Result<_, _>>()
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(got, vec![(3, v), (4, zigzag(s))]);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            for f in Fields::new(&bytes, 0) {
                let Ok(f) = f else { break };
                let _ = (f.uint(), f.int(), f.f64(), f.bool(), f.str());
                for _ in f.record() {}
                for _ in f.packed() {}
            }
        }
    }
}
