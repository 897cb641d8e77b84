//! The spicelab data model: what a SPICE simulation produced, with no I/O.
//!
//! A RAW file holds one or more [`Plot`]s. Each plot has a [`PlotHeader`]
//! (title, analysis name, [`Flags`], the [`Variable`]s with their names,
//! [`VarKind`]s and units, the number of points) and one [`Column`] per
//! variable. Stepped runs (LTspice `.step`) keep all steps in one plot; the
//! [`Steps`] index says where each step starts and which parameters it had.
//!
//! Readers (`raw-stream`), the cache (`cache-zstd`) and writers all speak
//! these types; nothing here reads or writes files.
//!
//! ```
//! use waveform::{Column, Flags, Plot, PlotHeader, Steps, Variable, VarKind};
//!
//! let header = PlotHeader {
//!     plotname: "Transient Analysis".into(),
//!     flags: Flags::parse("real"),
//!     n_points: 3,
//!     variables: vec![
//!         Variable::new(0, "time", "time"),
//!         Variable::new(1, "v(out)", "voltage"),
//!     ],
//!     ..PlotHeader::default()
//! };
//! assert_eq!(header.variables[1].kind, VarKind::Voltage);
//! assert_eq!(header.variables[1].unit(), "V");
//!
//! let plot = Plot {
//!     header,
//!     columns: vec![
//!         Column::F64(vec![0.0, 1e-3, 2e-3]),
//!         Column::F64(vec![0.0, 0.5, 0.75]),
//!     ],
//!     steps: Steps::single(3),
//! };
//! assert_eq!(plot.column("v(out)").map(|c| c.get_f64(2)), Some(Some(0.75)));
//! assert!(plot.check().is_ok());
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which simulator wrote a RAW file. It decides the binary layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// ngspice (any version): every value f64, complex as two f64 for every variable.
    #[default]
    Ngspice,
    /// Xyce: laid out as ngspice.
    Xyce,
    /// LTspice (IV, XVII, 24, 26): scale f64, other variables f32 unless `double`.
    Ltspice,
    /// QSPICE: like LTspice, but a complex plot stores its scale as one f64.
    Qspice,
}

impl Dialect {
    /// The lowercase name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Ngspice => "ngspice",
            Dialect::Xyce => "xyce",
            Dialect::Ltspice => "ltspice",
            Dialect::Qspice => "qspice",
        }
    }

    /// Parses a dialect name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Dialect> {
        match name.to_ascii_lowercase().as_str() {
            "ngspice" => Some(Dialect::Ngspice),
            "xyce" => Some(Dialect::Xyce),
            "ltspice" => Some(Dialect::Ltspice),
            "qspice" => Some(Dialect::Qspice),
            _ => None,
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the data section of a plot is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// After a `Binary:` line.
    #[default]
    Binary,
    /// After a `Values:` line.
    Ascii,
}

impl Encoding {
    /// `"binary"` or `"ascii"`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Binary => "binary",
            Encoding::Ascii => "ascii",
        }
    }
}

/// The words of a plot's `Flags:` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Flags {
    /// `complex`: values are (re, im) pairs.
    pub complex: bool,
    /// `forward`.
    pub forward: bool,
    /// `log`: the scale is logarithmic.
    pub log: bool,
    /// `stepped`: several runs concatenated in one plot (LTspice).
    pub stepped: bool,
    /// `fastaccess`: column-major data (LTspice).
    pub fastaccess: bool,
    /// `double`: every variable stored as f64 (LTspice).
    pub double: bool,
    /// Every word as written, in order (unknown words are kept here).
    pub words: Vec<String>,
}

impl Flags {
    /// Parses the text after `Flags:`.
    pub fn parse(text: &str) -> Flags {
        let mut f = Flags::default();
        for w in text.split_whitespace() {
            match w.to_ascii_lowercase().as_str() {
                "complex" => f.complex = true,
                "forward" => f.forward = true,
                "log" => f.log = true,
                "stepped" => f.stepped = true,
                "fastaccess" => f.fastaccess = true,
                "double" => f.double = true,
                _ => {}
            }
            f.words.push(w.to_string());
        }
        f
    }

    /// The flags as the words of a `Flags:` line.
    pub fn to_line(&self) -> String {
        if !self.words.is_empty() {
            return self.words.join(" ");
        }
        let mut w = vec![if self.complex { "complex" } else { "real" }];
        for (on, name) in [
            (self.double, "double"),
            (self.forward, "forward"),
            (self.log, "log"),
            (self.stepped, "stepped"),
            (self.fastaccess, "fastaccess"),
        ] {
            if on {
                w.push(name);
            }
        }
        w.join(" ")
    }
}

/// What a variable measures, from the type field of its `Variables:` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VarKind {
    /// `time` (s).
    Time,
    /// `frequency` (Hz).
    Frequency,
    /// `voltage` (V).
    Voltage,
    /// `current` (A).
    Current,
    /// `voltage-density` / `noise` spectral density in V/√Hz.
    VoltageDensity,
    /// `current-density` in A/√Hz.
    CurrentDensity,
    /// `impedance` (Ω).
    Impedance,
    /// `gain`, `transfer` and other dimensionless quantities.
    Gain,
    /// `temp-sweep` / `temperature` (°C).
    Temperature,
    /// `power` (W).
    Power,
    /// Any other type word; its text is in [`Variable::type_name`].
    Other,
    /// `parameter`: the stepped parameter of a QSPICE stepped `.op`, one
    /// value per point (no unit). Last, as the cache stores kinds by position.
    Parameter,
}

impl VarKind {
    /// Classifies a type word of a `Variables:` line.
    pub fn from_type_name(t: &str) -> VarKind {
        // Case-insensitive, without allocating (called per variable on
        // every header parse and cache decode).
        const NAMES: [(&str, VarKind); 20] = [
            ("time", VarKind::Time),
            ("frequency", VarKind::Frequency),
            ("voltage", VarKind::Voltage),
            ("current", VarKind::Current),
            ("device_current", VarKind::Current),
            ("device_voltage", VarKind::Voltage),
            ("voltage-density", VarKind::VoltageDensity),
            ("noise", VarKind::VoltageDensity),
            ("v/sqrt(hz)", VarKind::VoltageDensity),
            ("current-density", VarKind::CurrentDensity),
            ("a/sqrt(hz)", VarKind::CurrentDensity),
            ("impedance", VarKind::Impedance),
            ("gain", VarKind::Gain),
            ("transfer", VarKind::Gain),
            ("temp-sweep", VarKind::Temperature),
            ("temperature", VarKind::Temperature),
            ("temp", VarKind::Temperature),
            ("power", VarKind::Power),
            ("other", VarKind::Other),
            ("parameter", VarKind::Parameter),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(t))
            .map(|(_, k)| k.clone())
            .unwrap_or(VarKind::Other)
    }

    /// The kind's name as reported by `info --json`.
    pub fn name(&self) -> &'static str {
        match self {
            VarKind::Time => "time",
            VarKind::Frequency => "frequency",
            VarKind::Voltage => "voltage",
            VarKind::Current => "current",
            VarKind::VoltageDensity => "voltage-density",
            VarKind::CurrentDensity => "current-density",
            VarKind::Impedance => "impedance",
            VarKind::Gain => "gain",
            VarKind::Temperature => "temperature",
            VarKind::Power => "power",
            VarKind::Other => "other",
            VarKind::Parameter => "parameter",
        }
    }

    /// The SI unit of the kind (`""` when dimensionless or unknown).
    pub fn unit(&self) -> &'static str {
        match self {
            VarKind::Time => "s",
            VarKind::Frequency => "Hz",
            VarKind::Voltage => "V",
            VarKind::Current => "A",
            VarKind::VoltageDensity => "V/sqrt(Hz)",
            VarKind::CurrentDensity => "A/sqrt(Hz)",
            VarKind::Impedance => "Ohm",
            VarKind::Gain => "",
            VarKind::Temperature => "degC",
            VarKind::Power => "W",
            VarKind::Other => "",
            VarKind::Parameter => "",
        }
    }

    /// True for kinds that are a sweep axis (time, frequency).
    pub fn is_scale(&self) -> bool {
        matches!(self, VarKind::Time | VarKind::Frequency)
    }
}

/// One variable (vector) of a plot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variable {
    /// Position in the plot (0-based).
    pub index: usize,
    /// The name as written, e.g. `v(out)`, `I(R1)`.
    pub name: String,
    /// The type word as written, e.g. `voltage`.
    pub type_name: String,
    /// The classified kind.
    pub kind: VarKind,
    /// Further tab-separated fields of the variable line (`grid=3`, `dims=...`).
    pub extra: Vec<String>,
}

impl Variable {
    /// A variable with its kind classified from `type_name`.
    pub fn new(index: usize, name: impl Into<String>, type_name: impl Into<String>) -> Variable {
        let type_name = type_name.into();
        Variable {
            index,
            name: name.into(),
            kind: VarKind::from_type_name(&type_name),
            type_name,
            extra: Vec::new(),
        }
    }

    /// The SI unit of the variable's kind.
    pub fn unit(&self) -> &'static str {
        self.kind.unit()
    }
}

/// Everything a plot's header says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PlotHeader {
    /// `Title:` (the netlist's first line).
    pub title: String,
    /// `Date:`.
    pub date: String,
    /// `Plotname:` (the analysis, e.g. `Transient Analysis`).
    pub plotname: String,
    /// `Flags:`.
    pub flags: Flags,
    /// `Command:` when present.
    pub command: Option<String>,
    /// Number of points the header declares (`No. Points:`).
    pub n_points: u64,
    /// The variables, in file order (`No. Variables:` of them).
    pub variables: Vec<Variable>,
    /// Other header lines (`Offset:`, `Backannotation:`, `Version:`, `.param ...`), in order.
    pub extra: Vec<(String, String)>,
}

impl PlotHeader {
    /// Index of the variable named `name` (exact match first, then case-insensitive).
    pub fn find(&self, name: &str) -> Option<usize> {
        self.variables
            .iter()
            .position(|v| v.name == name)
            .or_else(|| {
                self.variables
                    .iter()
                    .position(|v| v.name.eq_ignore_ascii_case(name))
            })
    }

    /// True when variable 0 is a sweep axis (time, frequency or a DC sweep source).
    ///
    /// Operating-point and transfer-function plots have no axis.
    pub fn has_scale(&self) -> bool {
        let name = self.plotname.to_ascii_lowercase();
        !(name.contains("operating point") || name.contains("transfer function"))
            && self.n_points > 1
            && !self.variables.is_empty()
    }

    /// A short, file-safe name for the analysis: `tran`, `ac`, `dc`, `noise`, `op`, `tf` or `plot`.
    pub fn analysis(&self) -> &'static str {
        let p = self.plotname.to_ascii_lowercase();
        if p.contains("transient") {
            "tran"
        } else if p.contains("ac analysis") {
            "ac"
        } else if p.contains("dc transfer") {
            "dc"
        } else if p.contains("noise") {
            "noise"
        } else if p.contains("operating point") {
            "op"
        } else if p.contains("transfer function") {
            "tf"
        } else {
            "plot"
        }
    }
}

/// A complex value of f64 parts.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Complex64 {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

/// A complex value of f32 parts.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Complex32 {
    /// Real part.
    pub re: f32,
    /// Imaginary part.
    pub im: f32,
}

/// How one value of a column is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    /// 4-byte float.
    F32,
    /// 8-byte float.
    F64,
    /// Two 4-byte floats.
    C32,
    /// Two 8-byte floats.
    C64,
}

impl ValueType {
    /// Bytes per value.
    pub fn size(self) -> usize {
        match self {
            ValueType::F32 => 4,
            ValueType::F64 | ValueType::C32 => 8,
            ValueType::C64 => 16,
        }
    }

    /// True for the complex types.
    pub fn is_complex(self) -> bool {
        matches!(self, ValueType::C32 | ValueType::C64)
    }
}

/// The values of one variable, kept in the type they were stored in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Column {
    /// Real f32 values (LTspice's non-scale variables).
    F32(Vec<f32>),
    /// Real f64 values.
    F64(Vec<f64>),
    /// Complex f32 values.
    C32(Vec<Complex32>),
    /// Complex f64 values.
    C64(Vec<Complex64>),
}

impl Column {
    /// An empty column of the given type with room for `cap` values.
    pub fn with_capacity(t: ValueType, cap: usize) -> Column {
        match t {
            ValueType::F32 => Column::F32(Vec::with_capacity(cap)),
            ValueType::F64 => Column::F64(Vec::with_capacity(cap)),
            ValueType::C32 => Column::C32(Vec::with_capacity(cap)),
            ValueType::C64 => Column::C64(Vec::with_capacity(cap)),
        }
    }

    /// The stored type.
    pub fn value_type(&self) -> ValueType {
        match self {
            Column::F32(_) => ValueType::F32,
            Column::F64(_) => ValueType::F64,
            Column::C32(_) => ValueType::C32,
            Column::C64(_) => ValueType::C64,
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Column::F32(v) => v.len(),
            Column::F64(v) => v.len(),
            Column::C32(v) => v.len(),
            Column::C64(v) => v.len(),
        }
    }

    /// True when the column holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True for complex columns.
    pub fn is_complex(&self) -> bool {
        self.value_type().is_complex()
    }

    /// Value `i` as f64 (the real part of a complex value).
    pub fn get_f64(&self, i: usize) -> Option<f64> {
        match self {
            Column::F32(v) => v.get(i).map(|&x| f64::from(x)),
            Column::F64(v) => v.get(i).copied(),
            Column::C32(v) => v.get(i).map(|c| f64::from(c.re)),
            Column::C64(v) => v.get(i).map(|c| c.re),
        }
    }

    /// Value `i` as a complex f64 (imaginary part 0 for real columns).
    pub fn get_complex(&self, i: usize) -> Option<Complex64> {
        match self {
            Column::F32(v) => v.get(i).map(|&x| Complex64 {
                re: f64::from(x),
                im: 0.0,
            }),
            Column::F64(v) => v.get(i).map(|&re| Complex64 { re, im: 0.0 }),
            Column::C32(v) => v.get(i).map(|c| Complex64 {
                re: f64::from(c.re),
                im: f64::from(c.im),
            }),
            Column::C64(v) => v.get(i).copied(),
        }
    }

    /// The values as f64 (real parts of complex values), copied.
    pub fn to_f64(&self) -> Vec<f64> {
        (0..self.len()).filter_map(|i| self.get_f64(i)).collect()
    }

    /// Appends the values of `other` (same type) to this column; false when the types differ.
    pub fn extend_from(&mut self, other: &Column) -> bool {
        match (self, other) {
            (Column::F32(a), Column::F32(b)) => a.extend_from_slice(b),
            (Column::F64(a), Column::F64(b)) => a.extend_from_slice(b),
            (Column::C32(a), Column::C32(b)) => a.extend_from_slice(b),
            (Column::C64(a), Column::C64(b)) => a.extend_from_slice(b),
            _ => return false,
        }
        true
    }

    /// The bit patterns of the stored values (complex: re, im interleaved;
    /// f32 widened as integers, not as floats). Two columns with the same type
    /// and the same patterns are equal bit for bit, NaN payloads and -0.0 included.
    pub fn bit_patterns(&self) -> Vec<u64> {
        match self {
            Column::F32(v) => v.iter().map(|x| u64::from(x.to_bits())).collect(),
            Column::F64(v) => v.iter().map(|x| x.to_bits()).collect(),
            Column::C32(v) => v
                .iter()
                .flat_map(|z| [u64::from(z.re.to_bits()), u64::from(z.im.to_bits())])
                .collect(),
            Column::C64(v) => v
                .iter()
                .flat_map(|z| [z.re.to_bits(), z.im.to_bits()])
                .collect(),
        }
    }

    /// Same type and same bits (see [`Column::bit_patterns`]).
    pub fn same_bits(&self, other: &Column) -> bool {
        self.value_type() == other.value_type() && self.bit_patterns() == other.bit_patterns()
    }

    /// Removes every value, keeping the type and the allocation.
    pub fn clear(&mut self) {
        match self {
            Column::F32(v) => v.clear(),
            Column::F64(v) => v.clear(),
            Column::C32(v) => v.clear(),
            Column::C64(v) => v.clear(),
        }
    }
}

/// Where each run of a stepped plot starts, and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Steps {
    /// Point index (within the plot) where each step starts; the first is 0.
    /// A plot that is not stepped has one step starting at 0.
    pub starts: Vec<u64>,
    /// Total number of points of the plot.
    pub total: u64,
    /// Parameters of each step (`.step` lines of the LTspice `.log`), when known:
    /// one list of (name, value) per step, or empty.
    pub params: Vec<Vec<(String, f64)>>,
}

impl Steps {
    /// One step covering `total` points.
    pub fn single(total: u64) -> Steps {
        Steps {
            starts: vec![0],
            total,
            params: Vec::new(),
        }
    }

    /// Number of steps.
    pub fn count(&self) -> usize {
        self.starts.len()
    }

    /// The point range of step `k`.
    pub fn range(&self, k: usize) -> Option<std::ops::Range<u64>> {
        let start = *self.starts.get(k)?;
        let end = self.starts.get(k + 1).copied().unwrap_or(self.total);
        Some(start..end.max(start))
    }

    /// Number of points of each step.
    pub fn lengths(&self) -> Vec<u64> {
        (0..self.count())
            .filter_map(|k| self.range(k).map(|r| r.end - r.start))
            .collect()
    }

    /// The step that point `p` belongs to.
    pub fn step_of(&self, p: u64) -> usize {
        match self.starts.binary_search(&p) {
            Ok(k) => k,
            Err(k) => k.saturating_sub(1),
        }
    }
}

/// A whole plot in memory: header, one column per variable, steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plot {
    /// The header.
    pub header: PlotHeader,
    /// One column per variable, all of the same length.
    pub columns: Vec<Column>,
    /// The step index.
    pub steps: Steps,
}

impl Plot {
    /// The column of the variable named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.header.find(name).and_then(|i| self.columns.get(i))
    }

    /// Number of points held (the length of the columns).
    pub fn len(&self) -> usize {
        self.columns.first().map(Column::len).unwrap_or(0)
    }

    /// True when the plot holds no point.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks that there is one column per variable and that all columns
    /// have the same length, and that the steps fit in it.
    pub fn check(&self) -> Result<(), String> {
        if self.columns.len() != self.header.variables.len() {
            return Err(format!(
                "{} columns for {} variables",
                self.columns.len(),
                self.header.variables.len()
            ));
        }
        let n = self.len();
        if let Some((i, c)) = self.columns.iter().enumerate().find(|(_, c)| c.len() != n) {
            return Err(format!(
                "column {i} has {} values, column 0 has {n}",
                c.len()
            ));
        }
        if self.steps.starts.windows(2).any(|w| w[0] > w[1])
            || self.steps.starts.iter().any(|&s| s > n as u64)
        {
            return Err("step starts are not increasing within the plot".into());
        }
        Ok(())
    }
}

/// The value of a job parameter: a number (`r1 = 1k` is 1000) or a text
/// (a corner name such as `tt`, a model file).
///
/// ```
/// use waveform::ParamValue;
/// assert_eq!(ParamValue::Number(1e3).to_string(), "1000");
/// assert_eq!(ParamValue::from("ss").to_string(), "ss");
/// assert_eq!(ParamValue::Number(2.5e-9).as_f64(), Some(2.5e-9));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A number.
    Number(f64),
    /// A text.
    Text(String),
}

impl ParamValue {
    /// The number, when it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ParamValue::Number(x) => Some(*x),
            ParamValue::Text(_) => None,
        }
    }

    /// The text, when it is one.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ParamValue::Number(_) => None,
            ParamValue::Text(s) => Some(s),
        }
    }
}

/// A number prints as Rust prints an f64 (the shortest text that reads back
/// to the same value); a text as it is.
impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Number(x) => write!(f, "{x}"),
            ParamValue::Text(s) => f.write_str(s),
        }
    }
}

impl From<f64> for ParamValue {
    fn from(x: f64) -> Self {
        ParamValue::Number(x)
    }
}

impl From<&str> for ParamValue {
    fn from(s: &str) -> Self {
        ParamValue::Text(s.to_string())
    }
}

impl From<String> for ParamValue {
    fn from(s: String) -> Self {
        ParamValue::Text(s)
    }
}

/// A whole simulation result in memory: the plots of one RAW file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SimResult {
    /// The dialect of the source file.
    pub dialect: Dialect,
    /// The data encoding of the source file.
    pub encoding: Encoding,
    /// The plots, in file order.
    pub plots: Vec<Plot>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip() {
        let f = Flags::parse("complex forward log stepped");
        assert!(f.complex && f.forward && f.log && f.stepped && !f.fastaccess);
        assert_eq!(f.to_line(), "complex forward log stepped");
        let g = Flags {
            double: true,
            ..Flags::default()
        };
        assert_eq!(g.to_line(), "real double");
    }

    #[test]
    fn kinds_and_units() {
        assert_eq!(VarKind::from_type_name("Time"), VarKind::Time);
        assert_eq!(VarKind::from_type_name("current").unit(), "A");
        assert_eq!(VarKind::from_type_name("weird"), VarKind::Other);
        assert!(VarKind::Frequency.is_scale());
        let p = VarKind::from_type_name("parameter");
        assert_eq!(p, VarKind::Parameter);
        assert_eq!((p.name(), p.unit(), p.is_scale()), ("parameter", "", false));
        assert_eq!(
            serde_json::to_string(&p).ok().as_deref(),
            Some("\"parameter\"")
        );
    }

    /// The cache stores a kind by its position in the enum: the kinds that
    /// existed before `Parameter` keep theirs, `Parameter` comes last.
    #[test]
    fn kind_positions_are_stable() {
        assert_eq!(VarKind::Time as u8, 0);
        assert_eq!(VarKind::Power as u8, 9);
        assert_eq!(VarKind::Other as u8, 10);
        assert_eq!(VarKind::Parameter as u8, 11);
    }

    #[test]
    fn steps_ranges() {
        let s = Steps {
            starts: vec![0, 45, 93, 106],
            total: 120,
            params: vec![],
        };
        assert_eq!(s.lengths(), vec![45, 48, 13, 14]);
        assert_eq!(s.step_of(0), 0);
        assert_eq!(s.step_of(44), 0);
        assert_eq!(s.step_of(45), 1);
        assert_eq!(s.step_of(119), 3);
        assert_eq!(s.range(4), None);
    }

    #[test]
    fn column_access() {
        let c = Column::C64(vec![Complex64 { re: 1.0, im: -2.0 }]);
        assert_eq!(c.get_f64(0), Some(1.0));
        assert_eq!(c.get_complex(0).map(|z| z.im), Some(-2.0));
        assert_eq!(c.get_f64(1), None);
        let mut a = Column::F32(vec![1.0]);
        assert!(a.extend_from(&Column::F32(vec![2.0])));
        assert!(!a.extend_from(&Column::F64(vec![2.0])));
        assert_eq!(a.to_f64(), vec![1.0, 2.0]);
        let nan = Column::F64(vec![f64::from_bits(0x7ff8_0000_0000_0001), -0.0]);
        let other_nan = Column::F64(vec![f64::NAN, -0.0]);
        assert!(nan.same_bits(&nan.clone()));
        assert!(!nan.same_bits(&other_nan));
        assert!(!Column::F64(vec![0.0]).same_bits(&Column::F64(vec![-0.0])));
        assert!(!Column::F32(vec![1.0]).same_bits(&Column::F64(vec![1.0])));
    }

    #[test]
    fn param_values() {
        let n = ParamValue::Number(-1.5e-12);
        assert_eq!(n.to_string(), "-0.0000000000015");
        assert_eq!(n.to_string().parse::<f64>().ok(), n.as_f64());
        assert_eq!(n.as_text(), None);
        let t = ParamValue::from("ff_hot");
        assert_eq!((t.as_text(), t.as_f64()), (Some("ff_hot"), None));
        assert_eq!(serde_json::to_string(&t).unwrap_or_default(), "\"ff_hot\"");
        assert_eq!(
            serde_json::to_string(&ParamValue::from(1e3)).unwrap_or_default(),
            "1000.0"
        );
        let back: Vec<ParamValue> = serde_json::from_str("[2.5, \"tt\"]").unwrap_or_default();
        assert_eq!(back, vec![ParamValue::Number(2.5), ParamValue::from("tt")]);
    }

    #[test]
    fn plot_check_finds_ragged_columns() {
        let p = Plot {
            header: PlotHeader {
                variables: vec![
                    Variable::new(0, "a", "time"),
                    Variable::new(1, "b", "voltage"),
                ],
                ..PlotHeader::default()
            },
            columns: vec![Column::F64(vec![1.0, 2.0]), Column::F64(vec![1.0])],
            steps: Steps::single(2),
        };
        assert!(p.check().is_err());
        let json = serde_json::to_string(&p.header.variables[0]).unwrap_or_default();
        assert!(json.contains("\"kind\":\"time\""));
    }
}

pub mod stats;
pub mod units;
