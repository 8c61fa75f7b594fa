//! `wss://` on tokio through the driver's TLS (feature `tls`): a tokio server with
//! `DriverConfig::tls_server`, the tokio client's `connect("wss://...")` trusting a CA made
//! at test time, messages of every size both ways, the halves over TLS, the mio server as
//! the other end, and each refusal as its own `TlsError`.

mod support;

use std::sync::Arc;
use std::time::Duration;

use sockeye_tokio::tls::TlsError;
use sockeye_tokio::tls::dev::DevPki;
use sockeye_tokio::{ClientBuilder, DriverConfig, Error, Message};
use support::{echo, listener, within};

/// A tokio echo server over TLS for `names`, on this runtime: its port.
async fn tls_echo(pki: &DevPki, names: &[&str]) -> u16 {
    let mut config = DriverConfig::default();
    config.tls_server = Some(pki.server_config(names).unwrap());
    let config = Arc::new(config);
    let (listener, addr) = listener().await;
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let config = Arc::clone(&config);
            tokio::spawn(async move {
                if let Ok(ws) = sockeye_tokio::accept_with_config(stream, config).await {
                    echo(ws).await;
                }
            });
        }
    });
    addr.port()
}

fn client(pki: &DevPki) -> ClientBuilder {
    ClientBuilder::new().tls(pki.client_config().unwrap())
}

#[tokio::test]
async fn messages_of_every_size_over_wss() {
    let pki = DevPki::new().unwrap();
    let port = tls_echo(&pki, &["localhost", "127.0.0.1"]).await;
    for host in ["localhost", "127.0.0.1"] {
        let url = format!("wss://{host}:{port}/echo");
        let (mut ws, response) = within("connect", client(&pki).connect(&url)).await.unwrap();
        assert_eq!(response.status(), 101);
        for len in [0, 1, 125, 126, 65_535, 65_536, 300_000, 4 << 20] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            ws.send(Message::binary(data.clone())).await.unwrap();
            let got = within("binary echo", ws.recv()).await.unwrap().unwrap();
            assert!(got == Message::binary(data), "{len} bytes to {host}");
            let text = "é🦀".repeat(len / 6);
            ws.send(Message::text(text.clone())).await.unwrap();
            let got = within("text echo", ws.recv()).await.unwrap().unwrap();
            assert_eq!(got, Message::text(text), "{len} bytes of text to {host}");
        }
        let closed = within("close", ws.close(None)).await.unwrap();
        assert!(closed.clean, "{closed:?}");
    }
}

#[tokio::test]
async fn the_halves_work_over_wss() {
    let pki = DevPki::new().unwrap();
    let port = tls_echo(&pki, &["localhost"]).await;
    let (ws, _) = client(&pki)
        .connect(&format!("wss://localhost:{port}/"))
        .await
        .unwrap();
    let (mut reader, mut writer) = ws.into_split();
    let sender = tokio::spawn(async move {
        for i in 0..200 {
            writer.send(Message::text(format!("m{i}"))).await.unwrap();
        }
        writer
    });
    for i in 0..200 {
        let got = within("echo", reader.recv()).await.unwrap().unwrap();
        assert_eq!(got, Message::text(format!("m{i}")));
    }
    drop(within("sender", sender).await.unwrap());
}

#[tokio::test]
async fn the_mio_server_is_the_other_end() {
    let pki = DevPki::new().unwrap();
    let mut config = sockeye_server::ServerConfig::default();
    config.threads = 1;
    config.tls = Some(pki.server_config(&["localhost"]).unwrap());
    let server =
        sockeye_server::Server::bind("127.0.0.1:0".parse().unwrap(), config, sockeye_server::Echo)
            .unwrap();
    let url = format!("wss://localhost:{}/", server.local_addr().port());
    let (mut ws, _) = client(&pki).connect(&url).await.unwrap();
    ws.send(Message::text("over rustls, twice")).await.unwrap();
    let got = within("echo", ws.recv()).await.unwrap().unwrap();
    assert_eq!(got, Message::text("over rustls, twice"));
    within("close", ws.close(None)).await.unwrap();
    server.shutdown(Duration::from_secs(1));
}

#[tokio::test]
async fn refusals_are_tls_errors() {
    let pki = DevPki::new().unwrap();
    let port = tls_echo(&pki, &["localhost"]).await;
    // Another CA.
    let stranger = DevPki::new().unwrap();
    let e = client(&stranger)
        .connect(&format!("wss://localhost:{port}/"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Tls(TlsError::UnknownIssuer)), "{e}");
    // The right CA, a name the certificate does not have (the IP address).
    let e = client(&pki)
        .connect(&format!("wss://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Tls(TlsError::NameMismatch)), "{e}");
    // A TLS client against a plain server: the 400 in the clear is not TLS.
    let plain = support::echo_server(DriverConfig::default());
    let port = plain.rsplit(':').next().unwrap();
    let e = client(&pki)
        .connect(&format!("wss://localhost:{port}/"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Tls(TlsError::NotTls)), "{e}");
    // A plain client against the TLS server: refused with 400, in the clear.
    let tls_port = tls_echo(&pki, &["localhost"]).await;
    let e = ClientBuilder::new()
        .connect(&format!("ws://127.0.0.1:{tls_port}/"))
        .await
        .unwrap_err();
    match e {
        Error::Rejected(r) => assert_eq!(r.response.status(), 400),
        other => panic!("{other}"),
    }
}
