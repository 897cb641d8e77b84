//! Xyce and LTspice: their command lines through the same trait.
//!
//! Neither simulator is in Debian, so these adapters are checked for the
//! command they build, not run here.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::text::{absolute_includes, insert_after_title};
use super::{ask_version, write_file, Prepared, SimError, SimJob, SimulatorAdapter};

fn version_of(
    name: &'static str,
    program: &Path,
    arg: &str,
    hint: &'static str,
) -> Result<String, SimError> {
    // The first line it prints says its version.
    ask_version(name, program, arg, hint, |text| {
        let line = text.lines().find(|l| !l.trim().is_empty())?.trim();
        Some(line.to_string())
    })
}

fn last_error_line(log: &str) -> Option<String> {
    log.lines()
        .map(str::trim)
        .rfind(|l| l.to_ascii_lowercase().contains("error"))
        .map(str::to_string)
}

/// Xyce: `Xyce -r out.raw job.cir`, the log is its stdout.
#[derive(Debug, Clone)]
pub struct Xyce {
    program: PathBuf,
}

impl Xyce {
    /// Xyce run as `program`.
    pub fn new(program: impl Into<PathBuf>) -> Xyce {
        Xyce {
            program: program.into(),
        }
    }
}

impl SimulatorAdapter for Xyce {
    fn name(&self) -> &'static str {
        "xyce"
    }

    fn program(&self) -> &Path {
        &self.program
    }

    fn version(&self) -> Result<String, SimError> {
        version_of(
            "xyce",
            &self.program,
            "-v",
            "see https://xyce.sandia.gov; or set SPICELAB_XYCE to its path",
        )
    }

    fn prepare(&self, job: &SimJob<'_>, work: &Path) -> Result<Prepared, SimError> {
        let netlist = work.join("job.cir");
        let raw = work.join("out.raw");
        let log = work.join("out.log");
        // Xyce takes the temperature as a device option.
        let lines: Vec<String> = job
            .temperature
            .map(|t| format!(".options device temp={t}"))
            .into_iter()
            .collect();
        write_file(
            &netlist,
            &insert_after_title(&absolute_includes(job.text, job.netlist_dir), &lines),
        )?;
        let mut command = Command::new(&self.program);
        command.arg("-r").arg(&raw).arg(&netlist).current_dir(work);
        Ok(Prepared {
            command,
            netlist,
            raw,
            log,
            log_is_stdout: true,
        })
    }

    fn failure_reason(&self, log: &str) -> Option<String> {
        last_error_line(log)
    }
}

/// LTspice: `ltspice -b -Run job.cir`; it writes `job.raw` and `job.log`
/// beside the netlist (on Linux usually a `wine` wrapper script).
#[derive(Debug, Clone)]
pub struct Ltspice {
    program: PathBuf,
}

impl Ltspice {
    /// LTspice run as `program`.
    pub fn new(program: impl Into<PathBuf>) -> Ltspice {
        Ltspice {
            program: program.into(),
        }
    }
}

impl SimulatorAdapter for Ltspice {
    fn name(&self) -> &'static str {
        "ltspice"
    }

    fn program(&self) -> &Path {
        &self.program
    }

    fn version(&self) -> Result<String, SimError> {
        version_of(
            "ltspice",
            &self.program,
            "-version",
            "set SPICELAB_LTSPICE to a script that runs LTspice (e.g. through wine)",
        )
    }

    fn prepare(&self, job: &SimJob<'_>, work: &Path) -> Result<Prepared, SimError> {
        let netlist = work.join("job.cir");
        let mut lines = Vec::new();
        if let Some(t) = job.temperature {
            lines.push(format!(".temp {t}"));
        }
        if !job.save.is_empty() {
            lines.push(format!(".save {}", job.save.join(" ")));
        }
        write_file(
            &netlist,
            &insert_after_title(&absolute_includes(job.text, job.netlist_dir), &lines),
        )?;
        let mut command = Command::new(&self.program);
        command
            .arg("-b")
            .arg("-Run")
            .arg(&netlist)
            .current_dir(work);
        Ok(Prepared {
            command,
            raw: work.join("job.raw"),
            log: work.join("job.log"),
            netlist,
            log_is_stdout: false,
        })
    }

    fn failure_reason(&self, log: &str) -> Option<String> {
        last_error_line(log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> SimJob<'static> {
        SimJob {
            text: "t\n.include m.lib\n.tran 1u 1m\n.end\n",
            netlist_dir: Path::new("/p"),
            temperature: Some(85.0),
            save: &[],
        }
    }

    #[test]
    fn xyce_command_and_netlist() {
        let dir = tempfile::tempdir().unwrap();
        let p = Xyce::new("Xyce").prepare(&job(), dir.path()).unwrap();
        let args: Vec<_> = p
            .command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "-r",
                &p.raw.display().to_string(),
                &p.netlist.display().to_string()
            ]
        );
        assert!(p.log_is_stdout);
        assert_eq!(
            std::fs::read_to_string(&p.netlist).unwrap(),
            "t\n.options device temp=85\n.include \"/p/m.lib\"\n.tran 1u 1m\n.end\n"
        );
    }

    #[test]
    fn ltspice_command_and_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let p = Ltspice::new("ltspice").prepare(&job(), dir.path()).unwrap();
        let args: Vec<_> = p
            .command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(args, ["-b", "-Run", &p.netlist.display().to_string()]);
        assert_eq!(p.raw, dir.path().join("job.raw"));
        assert_eq!(p.log, dir.path().join("job.log"));
    }
}
