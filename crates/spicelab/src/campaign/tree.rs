//! A TOML document as a tree that keeps every key's and value's byte span
//! and the order of the file, so each error can name its line.

use std::fmt;
use std::ops::Range;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

/// One TOML value with the spans of everything inside it.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Str(String),
    Int(i64),
    Float(f64),
    Bool,
    Array(Vec<Spanned<Node>>),
    /// Entries in file order.
    Table(Vec<Entry>),
}

/// A key with its span and its value.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: Spanned<String>,
    pub value: Spanned<Node>,
}

impl Entry {
    pub fn name(&self) -> &str {
        self.key.get_ref()
    }

    pub fn key_span(&self) -> Range<usize> {
        self.key.span()
    }
}

impl Node {
    /// What a user calls this kind of value, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Str(_) => "a string",
            Node::Int(_) => "an integer",
            Node::Float(_) => "a float",
            Node::Bool => "a boolean",
            Node::Array(_) => "an array",
            Node::Table(_) => "a table",
        }
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Node, E> {
        let _ = v;
        Ok(Node::Bool)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Node, E> {
        i64::try_from(v)
            .map(Node::Int)
            .map_err(|_| E::custom("integer out of range"))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<Spanned<Node>>()? {
            out.push(v);
        }
        Ok(Node::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            out.push(Entry { key, value });
        }
        Ok(Node::Table(out))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// The 1-based line of a byte offset in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let b = text.as_bytes();
    let end = offset.min(b.len());
    b[..end].iter().filter(|&&c| c == b'\n').count() + 1
}
