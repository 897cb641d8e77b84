//! The `spicelab` command. See `spicelab --help` and docs/cli.md.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
