//! Helpers over hdf5-metno: typed datasets with the chosen filters,
//! dimension scales, string attributes, names, the temporary-then-rename file.

use crate::error::{Hdf5Error, Result};
use crate::{Compression, Options};
use hdf5::types::VarLenUnicode;
use hdf5::{Dataset, Group, H5Type, Location};
use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use waveform::{Column, ValueType};

/// HDF5 filter id of zstd (registered with The HDF Group; the plugin is `libh5zstd`).
pub const ZSTD_FILTER_ID: i32 = 32015;

/// A complex value of f64 parts as stored: the compound `{r, i}` that h5py
/// and xarray read as `complex128`.
#[derive(H5Type, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Cx64 {
    /// Real part.
    pub r: f64,
    /// Imaginary part.
    pub i: f64,
}

/// A complex value of f32 parts (`complex64` in numpy).
#[derive(H5Type, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Cx32 {
    /// Real part.
    pub r: f32,
    /// Imaginary part.
    pub i: f32,
}

#[allow(unsafe_code)]
mod ffi {
    use hdf5_sys::h5::herr_t;
    use hdf5_sys::h5i::hid_t;
    use std::os::raw::{c_char, c_uint};

    // libhdf5_hl is linked by hdf5-sys's `hl` feature; the sys crate has no
    // bindings for the dimension-scale API (DESIGN.md section 9).
    extern "C" {
        fn H5DSset_scale(dsid: hid_t, dimname: *const c_char) -> herr_t;
        fn H5DSattach_scale(did: hid_t, dsid: hid_t, idx: c_uint) -> herr_t;
    }

    /// Marks `ds` as a dimension scale named `name`.
    pub fn set_scale(ds: hid_t, name: &std::ffi::CStr) -> bool {
        hdf5::sync::sync(|| {
            // SAFETY: `ds` is a live dataset id held by the caller's `Dataset`,
            // `name` a NUL-terminated string that outlives the call; the
            // library lock is held by `sync`.
            unsafe { H5DSset_scale(ds, name.as_ptr()) >= 0 }
        })
    }

    /// Attaches the scale `scale` to dimension `idx` of `ds`.
    pub fn attach_scale(ds: hid_t, scale: hid_t, idx: u32) -> bool {
        hdf5::sync::sync(|| {
            // SAFETY: both ids are live datasets held by the caller's
            // `Dataset`s; the library lock is held by `sync`.
            unsafe { H5DSattach_scale(ds, scale, idx) >= 0 }
        })
    }

    /// Stores `data`, a chunk already passed through every filter of the
    /// dataset's pipeline (filter mask 0), as the chunk of `ds` that starts
    /// at `offset` (one coordinate per axis of `ds`).
    pub fn write_chunk(ds: &hdf5::Dataset, offset: &[u64], data: &[u8]) -> hdf5::Result<()> {
        if offset.len() != ds.ndim() {
            return Err(hdf5::Error::from(format!(
                "chunk offset of {} coordinates for a dataset of {} axes",
                offset.len(),
                ds.ndim()
            )));
        }
        hdf5::sync::sync(|| {
            // SAFETY: `ds.id()` is a live dataset id (borrowed `Dataset`);
            // `offset` holds exactly one coordinate per axis of `ds` (checked
            // above) and `data` is `data.len()` readable bytes, both alive
            // for the call, which only reads them; the library lock is held
            // by `sync`.
            let r = unsafe {
                hdf5_sys::h5d::H5Dwrite_chunk(
                    ds.id(),
                    hdf5_sys::h5p::H5P_DEFAULT,
                    0,
                    offset.as_ptr(),
                    data.len(),
                    data.as_ptr().cast(),
                )
            };
            hdf5::h5check(r).map(|_| ())
        })
    }
}

pub(crate) use ffi::write_chunk;

/// The file being written: its final path (named in errors) and the options.
pub(crate) struct Ctx<'a> {
    pub path: &'a Path,
    pub opts: &'a Options,
    /// The compression actually used (zstd falls back to deflate when the
    /// plugin is missing).
    pub compression: Compression,
}

impl<'a> Ctx<'a> {
    pub fn new(path: &'a Path, opts: &'a Options) -> (Ctx<'a>, Option<String>) {
        let (compression, note) = match opts.compression {
            Compression::Zstd(level) if !zstd_available() => (
                Compression::Deflate(1),
                Some(format!(
                    "zstd (level {level}) asked but the HDF5 zstd filter plugin (id {ZSTD_FILTER_ID}) \
                     is not installed (HDF5_PLUGIN_PATH): wrote shuffle + deflate level 1 instead"
                )),
            ),
            c => (c, None),
        };
        (
            Ctx {
                path,
                opts,
                compression,
            },
            note,
        )
    }

    pub fn h5<T>(&self, what: &'static str, object: &str, r: hdf5::Result<T>) -> Result<T> {
        r.map_err(|source| Hdf5Error::Hdf5 {
            path: self.path.to_path_buf(),
            what,
            object: object.to_string(),
            source,
        })
    }

    pub fn invalid(&self, message: impl Into<String>) -> Hdf5Error {
        Hdf5Error::Invalid {
            path: self.path.to_path_buf(),
            message: message.into(),
        }
    }

    /// A chunked, compressed dataset of `T` of fixed `shape`, chunks of
    /// `chunk`, filled with `fill` where nothing is written.
    pub fn dataset<T: H5Type>(
        &self,
        g: &Group,
        name: &str,
        shape: &[usize],
        chunk: &[usize],
        fill: T,
    ) -> Result<Dataset> {
        let object = format!("{}/{name}", g.name());
        let mut b = g.new_dataset_builder();
        let empty = shape.contains(&0);
        if !empty {
            let chunk: Vec<usize> = chunk
                .iter()
                .zip(shape)
                .map(|(&c, &n)| c.clamp(1, n))
                .collect();
            b = b.chunk(chunk);
            if self.opts.shuffle && !matches!(self.compression, Compression::None) {
                b = b.shuffle();
            }
            match self.compression {
                Compression::None => {}
                Compression::Deflate(level) => b = b.deflate(level.min(9)),
                Compression::Zstd(level) => b = b.add_filter(ZSTD_FILTER_ID, &[level as u32]),
            }
        }
        let b = b.fill_value(fill).empty::<T>().shape(shape.to_vec());
        self.h5("creating dataset", &object, b.create(name))
    }

    /// A small dataset written whole (coordinates along `run` or `step`).
    pub fn small<T: H5Type>(&self, g: &Group, name: &str, data: &[T]) -> Result<Dataset> {
        let object = format!("{}/{name}", g.name());
        let ds = self.h5(
            "creating dataset",
            &object,
            g.new_dataset::<T>().shape([data.len()]).create(name),
        )?;
        if !data.is_empty() {
            self.h5("writing", &object, ds.write_raw(data))?;
        }
        Ok(ds)
    }

    /// A 1-D text dataset.
    pub fn strings(&self, g: &Group, name: &str, data: &[String]) -> Result<Dataset> {
        let v: Vec<VarLenUnicode> = data.iter().map(|s| vlen(s)).collect();
        self.small(g, name, &v)
    }

    /// Makes `ds` the dimension scale `name`.
    pub fn set_scale(&self, ds: &Dataset, name: &str) -> Result<()> {
        let c = std::ffi::CString::new(name.replace('\0', ""))
            .map_err(|_| self.invalid("NUL in a name"))?;
        if ffi::set_scale(ds.id(), &c) {
            Ok(())
        } else {
            Err(self.invalid(format!("cannot make {} a dimension scale", ds.name())))
        }
    }

    /// Attaches the scales `dims` (one per axis, in order) to `ds`.
    pub fn attach(&self, ds: &Dataset, dims: &[&Dataset]) -> Result<()> {
        for (i, d) in dims.iter().enumerate() {
            if !ffi::attach_scale(ds.id(), d.id(), i as u32) {
                return Err(self.invalid(format!(
                    "cannot attach the dimension scale {} to axis {i} of {}",
                    d.name(),
                    ds.name()
                )));
            }
        }
        Ok(())
    }

    /// A text attribute.
    pub fn attr(&self, loc: &Location, name: &str, value: &str) -> Result<()> {
        let object = format!("{}@{name}", loc.name());
        let a = self.h5(
            "creating attribute",
            &object,
            loc.new_attr::<VarLenUnicode>().shape(()).create(name),
        )?;
        self.h5("writing attribute", &object, a.write_scalar(&vlen(value)))
    }

    /// A numeric attribute.
    pub fn attr_num<T: H5Type>(&self, loc: &Location, name: &str, value: T) -> Result<()> {
        let object = format!("{}@{name}", loc.name());
        let a = self.h5(
            "creating attribute",
            &object,
            loc.new_attr::<T>().shape(()).create(name),
        )?;
        self.h5("writing attribute", &object, a.write_scalar(&value))
    }

    /// Creates a group.
    pub fn group(&self, parent: &Group, name: &str) -> Result<Group> {
        self.h5(
            "creating group",
            &format!("{}/{name}", parent.name().trim_end_matches('/')),
            parent.create_group(name),
        )
    }

    /// Writes `col[src]` at `dst` of axis `axis` (the last) of `ds`, in row
    /// `row` of a 2-D dataset when given.
    pub fn write_col(
        &self,
        ds: &Dataset,
        col: &Column,
        src: Range<usize>,
        row: Option<usize>,
        dst: usize,
    ) -> Result<()> {
        let n = src.end - src.start;
        if n == 0 {
            return Ok(());
        }
        let r = match col {
            Column::F64(v) => put(ds, &v[src], row, dst),
            Column::F32(v) => put(ds, &v[src], row, dst),
            Column::C64(v) => {
                let c: Vec<Cx64> = v[src].iter().map(|z| Cx64 { r: z.re, i: z.im }).collect();
                put(ds, &c, row, dst)
            }
            Column::C32(v) => {
                let c: Vec<Cx32> = v[src].iter().map(|z| Cx32 { r: z.re, i: z.im }).collect();
                put(ds, &c, row, dst)
            }
        };
        self.h5("writing", &ds.name(), r)
    }

    /// A dataset for values of type `t`: real types as they are, complex as
    /// the compound; NaN where nothing is written.
    pub fn typed(
        &self,
        g: &Group,
        name: &str,
        t: ValueType,
        shape: &[usize],
        chunk: &[usize],
    ) -> Result<Dataset> {
        match t {
            ValueType::F64 => self.dataset::<f64>(g, name, shape, chunk, f64::NAN),
            ValueType::F32 => self.dataset::<f32>(g, name, shape, chunk, f32::NAN),
            ValueType::C64 => self.dataset::<Cx64>(
                g,
                name,
                shape,
                chunk,
                Cx64 {
                    r: f64::NAN,
                    i: f64::NAN,
                },
            ),
            ValueType::C32 => self.dataset::<Cx32>(
                g,
                name,
                shape,
                chunk,
                Cx32 {
                    r: f32::NAN,
                    i: f32::NAN,
                },
            ),
        }
    }
}

fn put<T: H5Type>(ds: &Dataset, v: &[T], row: Option<usize>, dst: usize) -> hdf5::Result<()> {
    let range = dst..dst + v.len();
    match row {
        Some(r) => ds.write_slice(v, (r, range)),
        None => ds.write_slice(v, range),
    }
}

/// A text as an HDF5 variable-length UTF-8 string (NUL bytes dropped).
pub fn vlen(s: &str) -> VarLenUnicode {
    let clean: String = s.chars().filter(|&c| c != '\0').collect();
    clean.parse().unwrap_or_default()
}

/// True when the zstd filter plugin can encode here.
pub fn zstd_available() -> bool {
    let info = hdf5::filters::Filter::get_info(ZSTD_FILTER_ID);
    info.is_available && info.encode_enabled
}

/// Dataset names: a vector name with `/` (and `%`) escaped as `%2F` (`%25`),
/// `.` and empty names spelled out, and a suffix `_1`, `_2` for repeats.
#[derive(Default)]
pub(crate) struct Names {
    used: HashSet<String>,
}

impl Names {
    pub fn reserve(&mut self, name: &str) {
        self.used.insert(name.to_string());
    }

    pub fn take(&mut self, raw: &str) -> String {
        let mut base = raw.replace('%', "%25").replace('/', "%2F");
        if base.is_empty() || base == "." || base == ".." {
            base = format!("var{}", self.used.len());
        }
        let mut name = base.clone();
        let mut k = 1;
        while self.used.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.used.insert(name.clone());
        name
    }
}

/// The file under a temporary name beside the target; renamed over the
/// target by [`Staged::commit`], removed when dropped without it.
///
/// The temporary name is `.NAME.PID.XXXXXX.part` (PID: the writer's process
/// id). A writer killed with SIGKILL cannot remove it; the next write to the
/// same target removes such a file when it is stale (see [`sweep_stale`])
/// and reports every one it finds.
pub(crate) struct Staged {
    target: PathBuf,
    /// The mode the file gets: the replaced file's, else 0644.
    mode: u32,
    temp: Option<tempfile::TempPath>,
    /// Temporary files of earlier writes found beside the target.
    pub stale: Vec<crate::StaleTemp>,
}

impl Staged {
    pub fn new(target: &Path) -> Result<Staged> {
        let started = std::time::SystemTime::now();
        let io = |what, source| Hdf5Error::Io {
            path: target.to_path_buf(),
            what,
            source,
        };
        let mut mode = 0o644;
        if let Ok(m) = std::fs::metadata(target) {
            use std::os::unix::fs::PermissionsExt;
            mode = m.permissions().mode() & 0o7777;
            if !m.is_file() {
                return Err(Hdf5Error::Invalid {
                    path: target.to_path_buf(),
                    message: "not a regular file: an HDF5 file is written to a temporary name and renamed, \
                              which cannot replace a device, FIFO or directory"
                        .into(),
                });
            }
        }
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let stem = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out.h5".into());
        let stale = sweep_stale(&dir, &stem, started);
        for s in &stale {
            if s.removed {
                tracing::warn!(
                    "{}: removed {}, a temporary file left by an earlier write ({})",
                    target.display(),
                    s.path.display(),
                    s.why
                );
            } else {
                tracing::warn!(
                    "{}: left {} as it is, a temporary file of another write to it ({}); \
                     remove it by hand when no write to this target is running",
                    target.display(),
                    s.path.display(),
                    s.why
                );
            }
        }
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{stem}.{}.", std::process::id()))
            .rand_bytes(TEMP_RAND)
            .suffix(".part")
            .tempfile_in(&dir)
            .map_err(|e| io("cannot create a temporary file in its directory", e))?
            .into_temp_path();
        Ok(Staged {
            target: target.to_path_buf(),
            mode,
            temp: Some(temp),
            stale,
        })
    }

    /// The temporary path HDF5 writes.
    pub fn temp(&self) -> &Path {
        self.temp.as_deref().unwrap_or(&self.target)
    }

    /// Syncs the written file and renames it over the target.
    pub fn commit(mut self) -> Result<()> {
        let io = |what, source| Hdf5Error::Io {
            path: self.target.clone(),
            what,
            source,
        };
        let Some(temp) = self.temp.take() else {
            return Ok(());
        };
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(self.mode))
                .map_err(|e| io("setting the file's mode", e))?;
        }
        std::fs::File::open(&temp)
            .and_then(|f| f.sync_all())
            .map_err(|e| io("syncing the written file", e))?;
        temp.persist(&self.target)
            .map_err(|e| io("renaming the temporary file over the target", e.error))?;
        if let Some(dir) = self.target.parent().filter(|p| !p.as_os_str().is_empty()) {
            // Best effort: the rename is durable once the directory is synced.
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

/// Random characters in a temporary name.
const TEMP_RAND: usize = 6;

/// The writer's process id in a temporary name `.NAME.REST.part` of ours:
/// `Some(Some(pid))` for `PID.XXXXXX`, `Some(None)` for the `XXXXXX` of
/// earlier versions (no pid), `None` when REST is not of our pattern.
fn temp_pid(rest: &str) -> Option<Option<u32>> {
    let rand_ok = |r: &str| r.len() == TEMP_RAND && r.bytes().all(|b| b.is_ascii_alphanumeric());
    match rest.split('.').collect::<Vec<_>>().as_slice() {
        [r] if rand_ok(r) => Some(None),
        [p, r] if rand_ok(r) && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse().ok().map(Some)
        }
        _ => None,
    }
}

/// True when process `pid` exists (on this host).
fn process_alive(pid: u32) -> bool {
    let Some(p) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    // EPERM: it exists but belongs to someone else.
    !matches!(
        rustix::process::test_kill_process(p),
        Err(rustix::io::Errno::SRCH)
    )
}

/// True when another open file holds a lock on `path` (libhdf5 locks the
/// files it writes, when file locking is on, and a killed writer's lock
/// goes with it, on any host sharing the directory).
fn locked(path: &Path) -> bool {
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    matches!(
        rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive),
        Err(rustix::io::Errno::WOULDBLOCK)
    )
}

/// Finds the temporary files of earlier writes to the target `stem` in
/// `dir` and removes the stale ones. Only regular files named by our
/// pattern (`.STEM.PID.XXXXXX.part`) are considered; one is removed when
/// all of these hold: its writer's process is gone, it was last modified
/// before this write started (`started`), and no one holds a lock on it.
/// Any other file of the pattern (its writer still running, or a name of
/// an earlier version without the pid) is reported and left alone.
pub(crate) fn sweep_stale(
    dir: &Path,
    stem: &str,
    started: std::time::SystemTime,
) -> Vec<crate::StaleTemp> {
    let prefix = format!(".{stem}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let Some(pid) = name
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".part"))
            .and_then(temp_pid)
        else {
            continue;
        };
        let path = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let old = meta.modified().is_ok_and(|m| m < started);
        let keep = match pid {
            None => Some("its name has no writer process id: an earlier spicelab's?".to_string()),
            Some(p) if process_alive(p) => Some(format!("its writer, process {p}, is running")),
            Some(_) if !old => Some("modified after this write started".to_string()),
            Some(_) if locked(&path) => Some("another process holds a lock on it".to_string()),
            Some(_) => None,
        };
        let stale = match keep {
            Some(why) => crate::StaleTemp {
                path,
                removed: false,
                why,
            },
            None => {
                let why = format!(
                    "its writer, process {}, is gone",
                    pid.map(|p| p.to_string()).unwrap_or_default()
                );
                match std::fs::remove_file(&path) {
                    Ok(()) => crate::StaleTemp {
                        path,
                        removed: true,
                        why,
                    },
                    Err(err) => crate::StaleTemp {
                        path,
                        removed: false,
                        why: format!("{why}, but removing it failed: {err}"),
                    },
                }
            }
        };
        found.push(stale);
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn temp_names_of_our_pattern_are_recognised() {
        assert_eq!(temp_pid("123.aB9xYz"), Some(Some(123)));
        assert_eq!(temp_pid("aB9xYz"), Some(None));
        assert_eq!(temp_pid("123.aB9xY"), None);
        assert_eq!(temp_pid("1.123.aB9xYz"), None);
        assert_eq!(temp_pid("x1.aB9xYz"), None);
        assert_eq!(temp_pid(""), None);
    }

    /// The pid of a process that just ended.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_alive(pid));
        pid
    }

    #[test]
    fn stale_temps_are_removed_and_live_or_unknown_ones_reported() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let dead = dead_pid();
        let me = std::process::id();
        let names = [
            format!(".x.h5.{dead}.AAAAAA.part"),   // stale: removed
            format!(".x.h5.{me}.BBBBBB.part"),     // writer alive: kept
            ".x.h5.CCCCCC.part".to_string(),       // no pid: kept
            format!(".y.h5.{dead}.DDDDDD.part"),   // another target: ignored
            format!(".x.h5.1.{dead}.EEEEEE.part"), // target x.h5.1: ignored
            "x.h5".to_string(),
        ];
        for n in &names {
            std::fs::write(d.join(n), b"partial").unwrap();
        }
        let found = sweep_stale(d, "x.h5", SystemTime::now() + Duration::from_secs(1));
        let got: Vec<(String, bool)> = found
            .iter()
            .map(|s| {
                (
                    s.path.file_name().unwrap().to_string_lossy().into_owned(),
                    s.removed,
                )
            })
            .collect();
        let mut want = vec![
            (names[0].clone(), true),
            (names[1].clone(), false),
            (names[2].clone(), false),
        ];
        want.sort();
        assert_eq!(got, want);
        assert!(!d.join(&names[0]).exists());
        for n in &names[1..] {
            assert!(d.join(n).exists(), "{n}");
        }
        let why = |n: &str| {
            found
                .iter()
                .find(|s| s.path.file_name().is_some_and(|f| f == n))
                .map(|s| s.why.clone())
                .unwrap()
        };
        assert!(why(&names[0]).contains("gone"));
        assert!(why(&names[1]).contains(&format!("process {me}, is running")));
        assert!(why(&names[2]).contains("no writer process id"));
    }

    #[test]
    fn a_temp_newer_than_the_write_or_locked_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let dead = dead_pid();
        let newer = d.join(format!(".x.h5.{dead}.AAAAAA.part"));
        std::fs::write(&newer, b"partial").unwrap();
        let found = sweep_stale(d, "x.h5", SystemTime::now() - Duration::from_secs(60));
        assert_eq!(found.len(), 1);
        assert!(!found[0].removed);
        assert!(found[0].why.contains("after this write started"));
        assert!(newer.exists());

        let f = std::fs::File::open(&newer).unwrap();
        rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap();
        let found = sweep_stale(d, "x.h5", SystemTime::now() + Duration::from_secs(1));
        assert_eq!(found.len(), 1);
        assert!(!found[0].removed, "{:?}", found[0].why);
        assert!(found[0].why.contains("lock"));
        drop(f);
        let found = sweep_stale(d, "x.h5", SystemTime::now() + Duration::from_secs(1));
        assert!(found[0].removed);
        assert!(!newer.exists());
    }
}
