//! The data model as a reader or writer of RAW files relies on it: every
//! variable kind's unit, the short analysis names, single-precision complex
//! columns read as f64, and a plot that does not hold one column per
//! variable refused with both counts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use waveform::{
    Column, Complex32, Complex64, ParamValue, Plot, PlotHeader, Steps, ValueType, VarKind, Variable,
};

#[test]
fn every_kind_has_the_si_unit_of_its_type_words() {
    // (type word as simulators write it, kind, unit)
    let cases = [
        ("time", VarKind::Time, "s"),
        ("frequency", VarKind::Frequency, "Hz"),
        ("voltage", VarKind::Voltage, "V"),
        ("device_current", VarKind::Current, "A"),
        ("noise", VarKind::VoltageDensity, "V/sqrt(Hz)"),
        ("A/sqrt(Hz)", VarKind::CurrentDensity, "A/sqrt(Hz)"),
        ("current-density", VarKind::CurrentDensity, "A/sqrt(Hz)"),
        ("impedance", VarKind::Impedance, "Ohm"),
        ("transfer", VarKind::Gain, ""),
        ("temp-sweep", VarKind::Temperature, "degC"),
        ("TEMPERATURE", VarKind::Temperature, "degC"),
        ("power", VarKind::Power, "W"),
        ("something-else", VarKind::Other, ""),
    ];
    for (word, kind, unit) in cases {
        let k = VarKind::from_type_name(word);
        assert_eq!(k, kind, "{word}");
        assert_eq!(k.unit(), unit, "{word}");
        // a variable of that type reports the same unit
        assert_eq!(Variable::new(1, "x", word).unit(), unit, "{word}");
    }
    assert_eq!(VarKind::CurrentDensity.name(), "current-density");
    assert_eq!(VarKind::Temperature.name(), "temperature");
    assert_eq!(VarKind::Power.name(), "power");
    assert!(!VarKind::Temperature.is_scale() && !VarKind::Power.is_scale());
}

#[test]
fn analysis_names_come_from_the_plot_name_and_default_to_plot() {
    let name = |plotname: &str| {
        PlotHeader {
            plotname: plotname.into(),
            ..PlotHeader::default()
        }
        .analysis()
    };
    assert_eq!(name("Transient Analysis"), "tran");
    assert_eq!(name("AC Analysis"), "ac");
    assert_eq!(name("DC transfer characteristic"), "dc");
    assert_eq!(name("Noise Spectral Density Curves"), "noise");
    assert_eq!(name("Operating Point"), "op");
    assert_eq!(name("Transfer Function"), "tf");
    // names no simulator analysis has: the neutral "plot"
    assert_eq!(name("Pole-Zero Analysis"), "plot");
    assert_eq!(name(""), "plot");
    assert_eq!(name("S-Parameter Analysis"), "plot");
}

#[test]
fn single_precision_complex_columns_widen_exactly() {
    let values = [
        Complex32 { re: 0.1, im: -3.5 },
        Complex32 {
            re: f32::MAX,
            im: f32::MIN_POSITIVE,
        },
        Complex32 {
            re: -0.0,
            im: 1e-40,
        },
    ];
    let c = Column::C32(values.to_vec());
    assert_eq!(c.value_type(), ValueType::C32);
    assert!(c.is_complex());
    for (i, v) in values.iter().enumerate() {
        // f32 -> f64 is exact: the same number, not a rounded decimal
        assert_eq!(c.get_f64(i), Some(f64::from(v.re)));
        assert_eq!(
            c.get_complex(i),
            Some(Complex64 {
                re: f64::from(v.re),
                im: f64::from(v.im)
            })
        );
    }
    assert_eq!(c.get_f64(3), None);
    assert_eq!(c.get_complex(3), None);
    assert_eq!(c.get_f64(0), Some(0.10000000149011612));
    assert_eq!(c.get_f64(2).map(f64::to_bits), Some((-0.0f64).to_bits()));
    assert_eq!(
        c.to_f64(),
        vec![f64::from(0.1f32), f64::from(f32::MAX), -0.0]
    );

    // appending keeps every value in order; another type is refused
    let mut a = Column::C32(vec![values[0]]);
    assert!(a.extend_from(&Column::C32(values[1..].to_vec())));
    assert!(a.same_bits(&c));
    assert!(!a.extend_from(&Column::C64(vec![Complex64::default()])));
    assert_eq!(a.len(), 3);
}

fn header(n_vars: usize) -> PlotHeader {
    PlotHeader {
        plotname: "Transient Analysis".into(),
        n_points: 2,
        variables: (0..n_vars)
            .map(|i| Variable::new(i, format!("v{i}"), "voltage"))
            .collect(),
        ..PlotHeader::default()
    }
}

#[test]
fn a_plot_must_have_one_column_per_variable() {
    let plot = Plot {
        header: header(3),
        columns: vec![Column::F64(vec![0.0, 1.0]), Column::F64(vec![2.0, 3.0])],
        steps: Steps::single(2),
    };
    assert_eq!(plot.check(), Err("2 columns for 3 variables".to_string()));
    let plot = Plot {
        header: header(1),
        columns: vec![Column::F64(vec![0.0, 1.0]), Column::F64(vec![2.0, 3.0])],
        steps: Steps::single(2),
    };
    assert_eq!(plot.check(), Err("2 columns for 1 variables".to_string()));
    let plot = Plot {
        header: header(2),
        columns: vec![Column::F64(vec![0.0, 1.0]), Column::F64(vec![2.0, 3.0])],
        steps: Steps::single(2),
    };
    assert_eq!(plot.check(), Ok(()));
}

#[test]
fn an_owned_string_is_a_text_parameter() {
    let corner = String::from("ff_125C");
    let v = ParamValue::from(corner.clone());
    assert_eq!(v, ParamValue::Text(corner));
    assert_eq!(v.as_text(), Some("ff_125C"));
    assert_eq!(v.as_f64(), None);
    assert_eq!(v.to_string(), "ff_125C");
    // a number written as text stays text: no silent conversion
    let v = ParamValue::from(String::from("1k"));
    assert_eq!(v.as_f64(), None);
    assert_eq!(serde_json::to_string(&v).unwrap(), "\"1k\"");
}
