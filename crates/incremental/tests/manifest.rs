//! The run manifest on disk: a first run has none, a damaged or newer one
//! is refused by name, one that cannot be written says where.

use incremental::{Manifest, ManifestError, Reason};

#[test]
fn missing_damaged_newer_and_unwritable_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // none yet: a first run
    assert!(Manifest::load(&d.join("none.json")).unwrap().is_none());
    // a round trip
    let path = d.join("m.json");
    let m = Manifest::new("rc");
    m.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.ends_with("}\n") && text.contains("\"manifest_version\": 1"),
        "{text}"
    );
    assert!(Manifest::load(&path).unwrap().unwrap().entry("j").is_none());
    // a directory where the file should be
    let e = Manifest::load(d).unwrap_err();
    assert!(matches!(e, ManifestError::Read { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with(&format!("cannot read manifest {}", d.display())),
        "{e}"
    );
    // not JSON, and JSON that is not a manifest
    for (name, body) in [
        ("junk.json", "not json"),
        ("odd.json", "{\"manifest_version\": 1, \"campaign\": 5}"),
    ] {
        let p = d.join(name);
        std::fs::write(&p, body).unwrap();
        let e = Manifest::load(&p).unwrap_err();
        assert!(matches!(e, ManifestError::Parse { .. }), "{name}: {e:?}");
        assert!(
            e.to_string()
                .starts_with(&format!("manifest {} is not valid: ", p.display())),
            "{e}"
        );
    }
    // a newer spicelab's manifest
    let p = d.join("new.json");
    std::fs::write(
        &p,
        "{\"manifest_version\": 2, \"campaign\": \"rc\", \"jobs\": {}}",
    )
    .unwrap();
    let e = Manifest::load(&p).unwrap_err();
    assert!(
        matches!(e, ManifestError::Version { found: 2, .. }),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "manifest {} has version 2; this spicelab reads version 1",
            p.display()
        )
    );
    // a directory that cannot be made: a file is in the way
    std::fs::write(d.join("file"), "x").unwrap();
    let e = m.save(&d.join("file/m.json")).unwrap_err();
    assert!(matches!(e, ManifestError::Write(_)), "{e:?}");
    assert!(e.to_string().starts_with("cannot write manifest: "), "{e}");
}

#[test]
fn every_reason_says_why_in_words() {
    assert_eq!(
        Reason::NetlistChanged.to_string(),
        "run: the netlist changed (more than comments, spacing or case)"
    );
    assert_eq!(
        Reason::SettingsChanged.to_string(),
        "run: the analysis or save settings changed"
    );
    assert_eq!(
        Reason::IncludeChanged {
            file: "models/nmos.inc".into()
        }
        .to_string(),
        "run: included file models/nmos.inc changed"
    );
    assert!(!Reason::Unchanged.must_run());
    assert!(Reason::NetlistChanged.must_run());
}
