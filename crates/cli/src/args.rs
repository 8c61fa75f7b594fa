//! Command-line arguments, parsed by hand (a few flags do not need a parser crate).

use std::net::SocketAddr;

/// `sockeye echo` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EchoArgs {
    pub(crate) listen: SocketAddr,
    pub(crate) threads: Option<usize>,
    pub(crate) max_message: u64,
}

/// `sockeye connect` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnectArgs {
    pub(crate) url: String,
    pub(crate) binary: bool,
    pub(crate) subprotocols: Vec<String>,
}

/// Pulls the value of `--flag VALUE` or `--flag=VALUE`.
fn value<'a>(
    flag: &str,
    arg: &'a str,
    rest: &mut impl Iterator<Item = &'a String>,
) -> Result<Option<&'a str>, String> {
    if arg == flag {
        return rest
            .next()
            .map(|v| Some(v.as_str()))
            .ok_or(format!("{flag} needs a value"));
    }
    Ok(arg.strip_prefix(flag).and_then(|r| r.strip_prefix('=')))
}

impl EchoArgs {
    pub(crate) fn parse(args: &[String]) -> Result<Self, String> {
        let mut parsed = Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 9001)),
            threads: None,
            max_message: 16 << 20,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if let Some(v) = value("--listen", arg, &mut it)? {
                parsed.listen = v
                    .parse()
                    .map_err(|_| format!("--listen: not an address: {v}"))?;
            } else if let Some(v) = value("--threads", arg, &mut it)? {
                let n: usize = v
                    .parse()
                    .map_err(|_| format!("--threads: not a number: {v}"))?;
                if n == 0 {
                    return Err("--threads must be at least 1".into());
                }
                parsed.threads = Some(n);
            } else if let Some(v) = value("--max-message", arg, &mut it)? {
                parsed.max_message = v
                    .parse()
                    .map_err(|_| format!("--max-message: not a number: {v}"))?;
            } else {
                return Err(format!(
                    "echo: unknown argument `{arg}` (see sockeye --help)"
                ));
            }
        }
        Ok(parsed)
    }
}

impl ConnectArgs {
    pub(crate) fn parse(args: &[String]) -> Result<Self, String> {
        let mut url = None;
        let mut binary = false;
        let mut subprotocols = Vec::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if arg == "--binary" {
                binary = true;
            } else if let Some(v) = value("--subprotocol", arg, &mut it)? {
                subprotocols.push(v.to_owned());
            } else if arg.starts_with("--") {
                return Err(format!(
                    "connect: unknown argument `{arg}` (see sockeye --help)"
                ));
            } else if url.is_none() {
                url = Some(arg.clone());
            } else {
                return Err(format!("connect: unexpected argument `{arg}`"));
            }
        }
        let url = url.ok_or("connect: a ws:// URL is needed")?;
        Ok(Self {
            url,
            binary,
            subprotocols,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn echo_flags() {
        let a = EchoArgs::parse(&strings(&[
            "--listen",
            "0.0.0.0:80",
            "--threads=2",
            "--max-message",
            "5",
        ]))
        .unwrap();
        assert_eq!(a.listen, "0.0.0.0:80".parse().unwrap());
        assert_eq!((a.threads, a.max_message), (Some(2), 5));
        assert!(EchoArgs::parse(&strings(&["--threads", "0"])).is_err());
        assert!(EchoArgs::parse(&strings(&["--listen"])).is_err());
        assert!(EchoArgs::parse(&strings(&["--nope"])).is_err());
        assert_eq!(EchoArgs::parse(&[]).unwrap().max_message, 16 << 20);
    }

    #[test]
    fn connect_flags() {
        let a = ConnectArgs::parse(&strings(&["ws://h/p", "--binary", "--subprotocol", "chat"]))
            .unwrap();
        assert_eq!(a.url, "ws://h/p");
        assert!(a.binary);
        assert_eq!(a.subprotocols, ["chat"]);
        assert!(ConnectArgs::parse(&[]).is_err());
        assert!(ConnectArgs::parse(&strings(&["a", "b"])).is_err());
    }
}
