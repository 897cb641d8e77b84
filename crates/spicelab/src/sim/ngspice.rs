//! ngspice: `ngspice -b -r out.raw -o out.log job.cir` in the job's directory.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::text::{absolute_includes, insert_after_title};
use super::{ask_version, write_file, Prepared, SimError, SimJob, SimulatorAdapter};

/// The ngspice adapter.
#[derive(Debug, Clone)]
pub struct Ngspice {
    program: PathBuf,
}

impl Ngspice {
    /// ngspice run as `program` (`ngspice` to look it up on `PATH`).
    pub fn new(program: impl Into<PathBuf>) -> Ngspice {
        Ngspice {
            program: program.into(),
        }
    }
}

/// The job's netlist as ngspice gets it: `.temp` and `.save` after the
/// title, relative includes made absolute.
pub(crate) fn netlist_text(job: &SimJob<'_>) -> String {
    let mut lines = Vec::new();
    if let Some(t) = job.temperature {
        lines.push(format!(".temp {t}"));
    }
    if !job.save.is_empty() {
        lines.push(format!(".save {}", job.save.join(" ")));
    }
    insert_after_title(&absolute_includes(job.text, job.netlist_dir), &lines)
}

/// The version in `ngspice --version` output (`** ngspice-39 : ...` -> `39`).
fn parse_version(out: &str) -> Option<String> {
    let at = out.find("ngspice-")? + "ngspice-".len();
    let v: String = out[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ':')
        .collect();
    (!v.is_empty()).then_some(v)
}

impl SimulatorAdapter for Ngspice {
    fn name(&self) -> &'static str {
        "ngspice"
    }

    fn program(&self) -> &Path {
        &self.program
    }

    fn version(&self) -> Result<String, SimError> {
        ask_version(
            "ngspice",
            &self.program,
            "--version",
            "on Debian or Ubuntu: sudo apt-get install -y ngspice; or set SPICELAB_NGSPICE to its path",
            parse_version,
        )
    }

    fn prepare(&self, job: &SimJob<'_>, work: &Path) -> Result<Prepared, SimError> {
        let netlist = work.join("job.cir");
        let raw = work.join("out.raw");
        let log = work.join("out.log");
        write_file(&netlist, &netlist_text(job))?;
        let mut command = Command::new(&self.program);
        command
            .arg("-b")
            .arg("-r")
            .arg(&raw)
            .arg("-o")
            .arg(&log)
            .arg(&netlist)
            .current_dir(work);
        Ok(Prepared {
            command,
            netlist,
            raw,
            log,
            log_is_stdout: false,
        })
    }

    fn failure_reason(&self, log: &str) -> Option<String> {
        // ngspice's error lines: "Error on line 4 ...", "Error: ...",
        // "singular matrix", "Timestep too small", "could not find ...".
        let lines: Vec<&str> = log.lines().map(str::trim).collect();
        let interesting = |l: &&str| {
            let lower = l.to_ascii_lowercase();
            lower.contains("error")
                || lower.contains("singular matrix")
                || lower.contains("timestep too small")
                || lower.contains("could not")
                || lower.contains("fatal")
                || lower.contains("aborted")
        };
        let i = lines
            .iter()
            .rposition(|l| {
                interesting(l) && !l.eq_ignore_ascii_case("simulation interrupted due to error!")
            })
            .or_else(|| lines.iter().rposition(interesting))?;
        // "Error on line N": the next lines say what was wrong.
        let mut reason = lines[i].to_string();
        for next in lines.iter().skip(i + 1).take(2) {
            if next.is_empty() || next.eq_ignore_ascii_case("simulation interrupted due to error!")
            {
                break;
            }
            if !reason.ends_with(':') {
                reason.push(':');
            }
            reason.push(' ');
            // ngspice pads the echoed netlist line with runs of spaces.
            reason.push_str(&next.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        Some(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_from_banner() {
        let out = "******\n** ngspice-39 : Circuit level simulation program\n";
        assert_eq!(parse_version(out).as_deref(), Some("39"));
        assert_eq!(
            parse_version("** ngspice-44.2 : x").as_deref(),
            Some("44.2")
        );
        assert_eq!(parse_version("nothing"), None);
    }

    #[test]
    fn reasons_from_real_logs() {
        let n = Ngspice::new("ngspice");
        let broken = "\nCircuit: broken\n\nError on line 4 or its substitute:\n  q1 foo\ncould not find a valid modelname\n    Simulation interrupted due to error!\n";
        assert_eq!(
            n.failure_reason(broken).as_deref(),
            Some("could not find a valid modelname")
        );
        let sing = "Warning: singular matrix:  check node v1#branch\nNote: Starting dynamic gmin stepping\nWarning: Further gmin increment\n";
        assert_eq!(
            n.failure_reason(sing).as_deref(),
            Some("Warning: singular matrix:  check node v1#branch: Note: Starting dynamic gmin stepping: Warning: Further gmin increment")
        );
        assert_eq!(
            n.failure_reason("Circuit: ok\nNo. of Data Rows : 339\n"),
            None
        );
    }

    #[test]
    fn the_job_netlist_has_temp_save_and_absolute_includes() {
        let job = SimJob {
            text: "t\n.include m.lib\nR1 a 0 1\n",
            netlist_dir: Path::new("/p"),
            temperature: Some(-40.0),
            save: &["v(a)".to_string(), "i(v1)".to_string()],
        };
        assert_eq!(
            netlist_text(&job),
            "t\n.temp -40\n.save v(a) i(v1)\n.include \"/p/m.lib\"\nR1 a 0 1\n"
        );
    }
}
