//! A few `--flag VALUE` arguments, parsed by hand for the bench binaries.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::str::FromStr;

/// Command-line flags: `--name VALUE`, `--name=VALUE` or a bare `--name`.
#[derive(Debug, Clone)]
pub struct Args {
    rest: Vec<String>,
}

impl Args {
    /// This process's arguments, without the program name.
    pub fn from_env() -> Self {
        Self::new(std::env::args().skip(1).collect())
    }

    /// Arguments from a list (without the program name).
    pub fn new(rest: Vec<String>) -> Self {
        Self { rest }
    }

    /// Removes `--name` and reports whether it was there.
    pub fn flag(&mut self, name: &str) -> bool {
        let before = self.rest.len();
        self.rest.retain(|a| a != name);
        self.rest.len() != before
    }

    /// Removes `--name VALUE` (or `--name=VALUE`) and parses the value.
    ///
    /// # Errors
    /// The flag has no value or the value does not parse.
    pub fn value<T: FromStr>(&mut self, name: &str) -> Result<Option<T>, String> {
        let prefix = format!("{name}=");
        let Some(at) = self
            .rest
            .iter()
            .position(|a| a == name || a.starts_with(&prefix))
        else {
            return Ok(None);
        };
        let arg = self.rest.remove(at);
        let raw = match arg.strip_prefix(&prefix) {
            Some(v) => v.to_owned(),
            None => {
                if at >= self.rest.len() {
                    return Err(format!("{name} needs a value"));
                }
                self.rest.remove(at)
            }
        };
        raw.parse()
            .map(Some)
            .map_err(|_| format!("{name}: cannot parse `{raw}`"))
    }

    /// Like [`Args::value`], with a default.
    ///
    /// # Errors
    /// As [`Args::value`].
    pub fn value_or<T: FromStr>(&mut self, name: &str, default: T) -> Result<T, String> {
        Ok(self.value(name)?.unwrap_or(default))
    }

    /// Fails if any argument was not taken.
    ///
    /// # Errors
    /// The first unknown argument.
    pub fn finish(self) -> Result<(), String> {
        match self.rest.first() {
            Some(a) => Err(format!("unknown argument `{a}`")),
            None => Ok(()),
        }
    }
}

/// The `main` of an echo server whose one option is `--listen ADDR` (default `default`):
/// parses it, calls `run`, and prints a failure of either on stderr after `name`.
#[allow(clippy::print_stderr)]
pub fn listen_main(
    name: &str,
    default: SocketAddr,
    run: impl FnOnce(SocketAddr) -> std::io::Result<()>,
) -> ExitCode {
    let mut args = Args::from_env();
    let listen = match args
        .value_or("--listen", default)
        .and_then(|l| args.finish().map(|()| l))
    {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run(listen) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_values() {
        let mut a = Args::new(
            ["--quick", "--n", "5", "--listen=1.2.3.4:5"]
                .map(String::from)
                .to_vec(),
        );
        assert!(a.flag("--quick"));
        assert_eq!(a.value::<u32>("--n").unwrap(), Some(5));
        assert_eq!(
            a.value::<String>("--listen").unwrap().as_deref(),
            Some("1.2.3.4:5")
        );
        assert_eq!(a.value::<u32>("--m").unwrap(), None);
        a.finish().unwrap();
        assert!(Args::new(vec!["--n".into()]).value::<u32>("--n").is_err());
    }
}
