//! `cargo xtask bench`.
use crate::util::Workspace;
use std::process::ExitCode;

/// Options of `cargo xtask bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {}

/// Runs `cargo xtask bench`.
pub fn run(_ws: &Workspace, _args: &BenchArgs) -> anyhow::Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
