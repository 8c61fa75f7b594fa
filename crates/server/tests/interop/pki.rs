//! The TLS side of the interop tests: a CA made for this test run (never committed), a
//! server certificate it signs for `127.0.0.1` and `localhost`, written as PEM files the
//! peers read, and the certificate's SPKI pin for Chromium.

use std::path::{Path, PathBuf};
use std::process::Command;

use sockeye_server::tls::dev::DevPki;
use sockeye_server::tls::{TlsClientConfig, TlsServerConfig};

use crate::support;

/// A directory of its own under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(what: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "sockeye-interop-{what}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The test CA and one server certificate, in memory and as files.
pub struct Pki {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    _dir: TempDir,
}

impl Pki {
    pub fn new() -> Self {
        let pki = DevPki::new().unwrap();
        let dir = TempDir::new("pki");
        let [ca, cert, key] = pki
            .write_files(dir.path(), &["127.0.0.1", "localhost"])
            .unwrap();
        Self {
            ca,
            cert,
            key,
            _dir: dir,
        }
    }

    /// What our server serves: the certificate and key files, as `sockeye echo
    /// --tls-cert --tls-key` reads them.
    pub fn server_config(&self) -> TlsServerConfig {
        TlsServerConfig::from_pem_files(&self.cert, &self.key).unwrap()
    }

    /// What our client trusts: the CA file alone.
    pub fn client_config(&self) -> TlsClientConfig {
        TlsClientConfig::with_ca_file(&self.ca).unwrap()
    }

    /// base64(SHA-256(SubjectPublicKeyInfo)) of the server certificate: what Chromium's
    /// `--ignore-certificate-errors-spki-list` takes. Computed with the `openssl` command
    /// (the recipe Chromium's documentation gives), so that the pin does not depend on
    /// our own parsing of the certificate.
    pub fn spki_pin(&self) -> Option<String> {
        let script = format!(
            "openssl x509 -in '{}' -pubkey -noout | openssl pkey -pubin -outform der \
             | openssl dgst -sha256 -binary | openssl enc -base64",
            self.cert.display()
        );
        let out = Command::new("bash")
            .args(["-o", "pipefail", "-c", &script])
            .output();
        match out {
            Ok(out) if out.status.success() => {
                Some(String::from_utf8(out.stdout).unwrap().trim().to_owned())
            }
            Ok(out) => support::missing(
                "openssl (Chromium's SPKI pin)",
                &String::from_utf8_lossy(&out.stderr),
            ),
            Err(e) => support::missing("openssl (Chromium's SPKI pin)", &e.to_string()),
        }
    }
}
