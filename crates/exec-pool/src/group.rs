//! Process groups (Unix): signal a whole group, and ask whether any process
//! of a group is still alive. Safe wrappers over `rustix`.
//!
//! "Alive" leaves zombies out: a process that has exited but was not reaped
//! yet (the group leader the pool has not waited for, or an orphan whose new
//! parent does not reap, as some container init processes do) runs no code
//! and holds no resources but its process table entry. On Linux this is read
//! from `/proc/<pid>/stat`; elsewhere `kill(-pgid, 0)` answers, which counts
//! zombies as members.

use std::io;

use rustix::process::{kill_process_group, test_kill_process_group, Pid, Signal};

/// A signal to send to a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupSignal {
    /// SIGTERM: asks the processes to end.
    Term,
    /// SIGKILL: ends them.
    Kill,
}

fn pid(pgid: u32) -> io::Result<Pid> {
    i32::try_from(pgid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a process group id"))
}

/// Sends `signal` to every process of group `pgid` (`kill(-pgid, sig)`).
/// A group with no member at all is an error whose `raw_os_error` is ESRCH.
pub fn signal_group(pgid: u32, signal: GroupSignal) -> io::Result<()> {
    let sig = match signal {
        GroupSignal::Term => Signal::TERM,
        GroupSignal::Kill => Signal::KILL,
    };
    kill_process_group(pid(pgid)?, sig).map_err(io::Error::from)
}

/// Whether group `pgid` has any member at all, zombies included
/// (`kill(-pgid, 0)` succeeds).
pub fn group_exists(pgid: u32) -> bool {
    pid(pgid).is_ok_and(|p| test_kill_process_group(p).is_ok())
}

/// The pids of the processes of group `pgid` that are not zombies (Linux:
/// from `/proc`; elsewhere the group is reported as `[pgid]` while
/// [`group_exists`] holds).
pub fn live_members(pgid: u32) -> Vec<u32> {
    #[cfg(target_os = "linux")]
    {
        linux_live_members(pgid).unwrap_or_else(|_| fallback_members(pgid))
    }
    #[cfg(not(target_os = "linux"))]
    {
        fallback_members(pgid)
    }
}

/// Whether any process of group `pgid` is alive (not a zombie).
pub fn group_alive(pgid: u32) -> bool {
    !live_members(pgid).is_empty()
}

fn fallback_members(pgid: u32) -> Vec<u32> {
    if group_exists(pgid) {
        vec![pgid]
    } else {
        Vec::new()
    }
}

#[cfg(target_os = "linux")]
fn linux_live_members(pgid: u32) -> io::Result<Vec<u32>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        // The process may be gone by now: skip it.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some((state, group)) = parse_stat(&stat) {
            if group == pgid && state != 'Z' && state != 'X' {
                found.push(pid);
            }
        }
    }
    Ok(found)
}

/// `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses,
/// so the fields start after the last `)`.
#[cfg(target_os = "linux")]
fn parse_stat(stat: &str) -> Option<(char, u32)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_comm() {
        let line = "1234 (a) b (c) S 1 4321 4321 0 -1 4194560 0";
        assert_eq!(parse_stat(line), Some(('S', 4321)));
        assert_eq!(parse_stat("1 (init) Z 0 1 1"), Some(('Z', 1)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn own_group_is_alive() {
        let own = std::process::id();
        // This test process is alive; its group may be led by another
        // process, so look it up through /proc.
        let stat = std::fs::read_to_string(format!("/proc/{own}/stat")).unwrap();
        let (_, pgrp) = parse_stat(&stat).unwrap();
        assert!(live_members(pgrp).contains(&own));
        assert!(group_exists(pgrp));
    }
}

/// User + system CPU time of process `pid` and of the children it has
/// reaped, from `/proc/PID/stat` (fields 14 to 17, in clock ticks, usually
/// 10 ms); `None` where that cannot be read (not Linux, no such process).
/// For a job's command it is read when the command has exited but is not
/// yet reaped; for `std::process::id()` it is this process and every
/// command it has waited for.
pub fn cpu_time(pid: u32) -> Option<std::time::Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let mut ticks = 0u64;
    for i in 11..=14 {
        ticks = ticks.checked_add(fields.get(i)?.parse::<u64>().ok()?)?;
    }
    let per_s = rustix::param::clock_ticks_per_second();
    if per_s == 0 {
        return None;
    }
    Some(std::time::Duration::from_secs_f64(
        ticks as f64 / per_s as f64,
    ))
}
