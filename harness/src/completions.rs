//! `collaudo completions SHELL`: the shell completion script, generated from the clap
//! definition of [`Cli`] so it can never fall behind the real commands and flags.

use crate::cli::Cli;
use clap::CommandFactory as _;
use std::io::Write;

pub use clap_complete::Shell;

/// How to install the script, shown by `collaudo completions --help`.
pub const AFTER_HELP: &str = "\
Install (once; open a new shell afterwards):
  bash        collaudo completions bash > ~/.local/share/bash-completion/completions/collaudo
  zsh         collaudo completions zsh > ~/.zfunc/_collaudo
              (with `fpath+=~/.zfunc; autoload -Uz compinit; compinit` in ~/.zshrc)
  fish        collaudo completions fish > ~/.config/fish/completions/collaudo.fish
  powershell  collaudo completions powershell >> $PROFILE";

/// Write the completion script for `shell` to `out` and return the exit code.
pub fn write(shell: Shell, out: &mut dyn Write) -> i32 {
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_string();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut buf);
    match out.write_all(&buf).and_then(|()| out.flush()) {
        Ok(()) => crate::exit::OK,
        Err(e) => {
            eprintln!("error: cannot write the completion script: {e}");
            crate::exit::HARNESS
        }
    }
}
