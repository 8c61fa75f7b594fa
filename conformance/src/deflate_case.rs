//! Sections 12 and 13 (permessage-deflate, RFC 7692) as the suite runs them
//! (`autobahntestsuite/case/case12_x_x.py`, `autobahn/websocket/compress_deflate.py`):
//! the data sets, the messages cut from them, the offers the suite makes as a client, the
//! accept functions it uses as a server, and its rules for reading offers and responses.

use sockeye_handshake::{DeflateParams, Extension};

/// One of the suite's five test files (`conformance/testdata/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataSet {
    /// `data1.json`, sent as text (12.1 and all of 13).
    Json,
    /// `lena512.bmp`, binary (12.2).
    Lena,
    /// `pg2229.txt`, Goethe's Faust I, sent as **binary** (12.3).
    Faust,
    /// `data1.html`, text (12.4).
    Html,
    /// `10.1.1.105.5439.pdf`, binary (12.5).
    Pdf,
}

impl DataSet {
    /// Section 12's order (`WS_COMPRESSION_TESTDATA_KEYS`).
    pub const SECTION_12: [Self; 5] = [Self::Json, Self::Lena, Self::Faust, Self::Html, Self::Pdf];

    /// The file's bytes.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Self::Json => include_bytes!("../testdata/data1.json"),
            Self::Lena => include_bytes!("../testdata/lena512.bmp"),
            Self::Faust => include_bytes!("../testdata/pg2229.txt"),
            Self::Html => include_bytes!("../testdata/data1.html"),
            Self::Pdf => include_bytes!("../testdata/10.1.1.105.5439.pdf"),
        }
    }

    /// Sent as text (sliced by characters) rather than binary.
    pub fn is_text(self) -> bool {
        matches!(self, Self::Json | Self::Html)
    }

    /// The suite's description of the data set.
    pub fn description(self) -> &'static str {
        match self {
            Self::Json => "Large JSON data file",
            Self::Lena => "Lena Picture, Bitmap 512x512 bw",
            Self::Faust => "Human readable text, Goethe's Faust I (German)",
            Self::Html => "Large HTML file",
            Self::Pdf => "A larger PDF",
        }
    }
}

/// Which offers and accept function a case uses: 1–7 are 13.1–13.7 (`DEFLATE_PARAMS`);
/// section 12 uses the default offer and a plain accept, which are 13.1's.
pub type ParamSet = u8;

/// One case of section 12 or 13.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeflateCase {
    /// Where the messages come from.
    pub data: DataSet,
    /// Characters (text) or bytes (binary) per message (`LEN`).
    pub len: usize,
    /// Round trips (`COUNT`).
    pub count: u32,
    /// The case's timeout (`WAITSECS`), in ms.
    pub wait_ms: u64,
    /// `autoFragmentSize` for the compressed payload (0: one frame).
    pub autofrag: usize,
    /// Offers and accept function.
    pub params: ParamSet,
}

/// The suite's `MSG_SIZES`: (LEN, COUNT, WAITSECS, AUTOFRAGSIZE), one per last id number.
pub const MSG_SIZES: [(usize, u32, u64, usize); 18] = [
    (16, 1000, 60, 0),
    (64, 1000, 60, 0),
    (256, 1000, 120, 0),
    (1024, 1000, 240, 0),
    (4096, 1000, 480, 0),
    (8192, 1000, 480, 0),
    (16384, 1000, 480, 0),
    (32768, 1000, 480, 0),
    (65536, 1000, 480, 0),
    (131072, 1000, 480, 0),
    (8192, 1000, 480, 256),
    (16384, 1000, 480, 256),
    (32768, 1000, 480, 256),
    (65536, 1000, 480, 256),
    (131072, 1000, 480, 256),
    (131072, 1000, 480, 1024),
    (131072, 1000, 480, 4096),
    (131072, 1000, 480, 32768),
];

/// A client offer (`PerMessageDeflateOffer(requestNoContextTakeover, requestMaxWindowBits)`
/// with its defaults `acceptNoContextTakeover = acceptMaxWindowBits = True`).
fn offer(request_no_context_takeover: bool, request_max_window_bits: u8) -> Extension {
    let mut s =
        String::from("permessage-deflate; client_no_context_takeover; client_max_window_bits");
    if request_no_context_takeover {
        s.push_str("; server_no_context_takeover");
    }
    if request_max_window_bits != 0 {
        s.push_str(&format!(
            "; server_max_window_bits={request_max_window_bits}"
        ));
    }
    parse_one(&s)
}

/// `name; a; b=v` as an [`Extension`]. Only for the fixed strings of this module, whose
/// names and values are tokens (which is all [`Extension::new`] and
/// [`Extension::with_param`] can refuse).
fn parse_one(s: &str) -> Extension {
    let mut parts = s.split(';').map(str::trim);
    let mut ext = Extension::new(parts.next().unwrap_or_default()).expect("a token");
    for p in parts {
        let (k, v) = match p.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (p, None),
        };
        ext = ext.with_param(k, v).expect("a token");
    }
    ext
}

/// The offers the suite sends as a client, in order (`CLIENT_OFFERS`).
pub fn client_offers(params: ParamSet) -> Vec<Extension> {
    match params {
        2 => vec![offer(true, 0)],
        3 => vec![offer(false, 9)],
        4 => vec![offer(false, 15)],
        5 => vec![offer(true, 9)],
        6 => vec![offer(true, 15)],
        7 => vec![offer(true, 9), offer(true, 0), offer(false, 0)],
        _ => vec![offer(false, 0)],
    }
}

/// Python's `int(value)` on an extension parameter value (the suite's parser): optional
/// sign, decimal digits, surrounding blanks; leading zeroes are fine.
fn py_int(value: &str) -> Option<i64> {
    let v = value.trim();
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

fn window(name: &str, value: Option<&str>) -> Result<u8, String> {
    match value.and_then(py_int) {
        Some(bits @ 8..=15) => Ok(bits as u8),
        _ => Err(format!(
            "illegal extension parameter value '{}' for parameter '{name}' of extension 'permessage-deflate'",
            value.unwrap_or("True")
        )),
    }
}

fn flag(name: &str, value: Option<&str>) -> Result<bool, String> {
    match value {
        None => Ok(true),
        Some(v) => Err(format!(
            "illegal extension parameter value '{v}' for parameter '{name}' of extension 'permessage-deflate'"
        )),
    }
}

/// A parameter list with the suite's rules: every name at most once, nothing unknown.
fn params_of(ext: &Extension) -> Result<Vec<(String, Option<&str>)>, String> {
    let mut seen: Vec<(String, Option<&str>)> = Vec::new();
    for p in ext.params() {
        let name = p.name().to_ascii_lowercase();
        if seen.iter().any(|(n, _)| *n == name) {
            return Err(format!(
                "multiple occurrence of extension parameter '{name}' for extension 'permessage-deflate'"
            ));
        }
        seen.push((name, p.value()));
    }
    Ok(seen)
}

/// What the suite reads from a client's permessage-deflate offer
/// (`PerMessageDeflateOffer.parse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    /// `acceptNoContextTakeover`: always true (the suite's "FIXME").
    pub accept_no_context_takeover: bool,
    /// `acceptMaxWindowBits`: the offer had `client_max_window_bits`.
    pub accept_max_window_bits: bool,
    /// `requestNoContextTakeover`: `server_no_context_takeover`.
    pub request_no_context_takeover: bool,
    /// `requestMaxWindowBits`: `server_max_window_bits`, 0 when absent.
    pub request_max_window_bits: u8,
}

/// Parses one offer; an error fails the opening handshake (the suite answers 400).
pub fn parse_offer(ext: &Extension) -> Result<Offer, String> {
    let mut o = Offer {
        accept_no_context_takeover: true,
        accept_max_window_bits: false,
        request_no_context_takeover: false,
        request_max_window_bits: 0,
    };
    for (name, value) in params_of(ext)? {
        match name.as_str() {
            "client_max_window_bits" => {
                if value.is_some() {
                    window(&name, value)?;
                }
                o.accept_max_window_bits = true;
            }
            "client_no_context_takeover" => o.accept_no_context_takeover = flag(&name, value)?,
            "server_max_window_bits" => o.request_max_window_bits = window(&name, value)?,
            "server_no_context_takeover" => o.request_no_context_takeover = flag(&name, value)?,
            _ => {
                return Err(format!(
                    "illegal extension parameter '{name}' for extension 'permessage-deflate'"
                ));
            }
        }
    }
    Ok(o)
}

/// `PerMessageDeflateOfferAccept(offer, requestNoContextTakeover, requestMaxWindowBits)`:
/// the parameters in force and the response element.
fn accept_offer(o: Offer, request_nct: bool, request_mwb: u8) -> (DeflateParams, Extension) {
    // getExtensionString's order.
    let mut s = String::from("permessage-deflate");
    if o.request_no_context_takeover {
        s.push_str("; server_no_context_takeover");
    }
    if o.request_max_window_bits != 0 {
        s.push_str(&format!(
            "; server_max_window_bits={}",
            o.request_max_window_bits
        ));
    }
    if request_nct {
        s.push_str("; client_no_context_takeover");
    }
    if request_mwb != 0 {
        s.push_str(&format!("; client_max_window_bits={request_mwb}"));
    }
    let ext = parse_one(&s);
    let bits = |b: u8| if b == 0 { 15 } else { b };
    let params = DeflateParams {
        server_no_context_takeover: o.request_no_context_takeover,
        client_no_context_takeover: request_nct,
        server_max_window_bits: bits(o.request_max_window_bits),
        client_max_window_bits: bits(request_mwb),
    };
    (params, ext)
}

/// The suite as a server: its accept function for `params` over the client's
/// permessage-deflate offers (already parsed, in order): `accept1` … `accept7`.
pub fn server_accept(params: ParamSet, offers: &[Offer]) -> Option<(DeflateParams, Extension)> {
    let first = |want: &dyn Fn(&Offer) -> bool| offers.iter().copied().find(|o| want(o));
    let plain = || first(&|_| true).map(|o| accept_offer(o, false, 0));
    let no_takeover = || first(&|o| o.accept_no_context_takeover).map(|o| accept_offer(o, true, 0));
    let window = |bits: u8, nct: bool| {
        first(&|o| o.accept_max_window_bits && (!nct || o.accept_no_context_takeover))
            .map(|o| accept_offer(o, nct, bits))
    };
    match params {
        2 => no_takeover(),
        3 => window(9, false),
        4 => window(15, false),
        5 => window(9, true),
        6 => window(15, true),
        7 => window(9, true).or_else(no_takeover).or_else(plain),
        _ => plain(),
    }
}

/// The suite as a client: the server's `Sec-WebSocket-Extensions` elements. `Ok(None)`:
/// nothing negotiated; `Err`: the opening handshake fails (another extension, two
/// permessage-deflate elements, a parameter the suite's parser refuses).
pub fn client_accept_response(exts: &[Extension]) -> Result<Option<DeflateParams>, String> {
    let mut agreed = None;
    for ext in exts {
        if !ext.name().eq_ignore_ascii_case("permessage-deflate") {
            return Err(format!(
                "server wants to use extension '{}' we did not request, haven't implemented or did not enable",
                ext.name()
            ));
        }
        if agreed.is_some() {
            return Err("multiple occurrence of a permessage-compress extension".into());
        }
        let mut p = DeflateParams::default();
        for (name, value) in params_of(ext)? {
            match name.as_str() {
                "client_max_window_bits" => p.client_max_window_bits = window(&name, value)?,
                "client_no_context_takeover" => p.client_no_context_takeover = flag(&name, value)?,
                "server_max_window_bits" => p.server_max_window_bits = window(&name, value)?,
                "server_no_context_takeover" => p.server_no_context_takeover = flag(&name, value)?,
                _ => {
                    return Err(format!(
                        "illegal extension parameter '{name}' for extension 'permessage-deflate'"
                    ));
                }
            }
        }
        agreed = Some(p);
    }
    Ok(agreed)
}

/// The messages of a case: the next `len` characters (text) or bytes (binary) of the data
/// set, cyclically (`sendOne`: `idxTo = (ptr + LEN) % len(payload)`, a slice, or the tail
/// and the head when it wraps).
#[derive(Debug, Clone)]
pub struct Messages {
    data: &'static [u8],
    /// Byte offset of every character, and the end (text data sets only).
    chars: Option<Vec<usize>>,
    ptr: usize,
    len: usize,
}

impl Messages {
    /// The messages of `case`.
    pub fn new(case: &DeflateCase) -> Self {
        let data = case.data.bytes();
        let chars = case.data.is_text().then(|| {
            let text = core::str::from_utf8(data).unwrap_or_default();
            let mut b: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            b.push(text.len());
            b
        });
        Self {
            data,
            chars,
            ptr: 0,
            len: case.len,
        }
    }

    /// The next message.
    pub fn next_message(&mut self) -> Vec<u8> {
        let (n, at): (usize, Box<dyn Fn(usize) -> usize>) = match &self.chars {
            Some(c) => (c.len() - 1, Box::new(move |i| c[i])),
            None => (self.data.len(), Box::new(|i| i)),
        };
        if self.len == 0 || n == 0 {
            return Vec::new();
        }
        let from = self.ptr;
        let to = (from + self.len) % n;
        self.ptr = to;
        if to > from {
            self.data[at(from)..at(to)].to_vec()
        } else {
            [&self.data[at(from)..], &self.data[..at(to)]].concat()
        }
    }

    /// The length the suite compares: characters for text, bytes for binary.
    pub fn length_of(&self, message: &[u8]) -> usize {
        match &self.chars {
            Some(_) => core::str::from_utf8(message).map_or(usize::MAX, |s| s.chars().count()),
            None => message.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suites_files() {
        let sizes: Vec<usize> = DataSet::SECTION_12
            .iter()
            .map(|d| d.bytes().len())
            .collect();
        assert_eq!(sizes, [194_056, 263_222, 222_218, 263_647, 1_042_328]);
    }

    #[test]
    fn offers_are_the_suites_strings() {
        let s: Vec<String> = client_offers(7).iter().map(ToString::to_string).collect();
        assert_eq!(
            s,
            [
                "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=9",
                "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover",
                "permessage-deflate; client_no_context_takeover; client_max_window_bits",
            ]
        );
    }

    #[test]
    fn accept_functions_follow_the_suite() {
        let bare = parse_offer(&parse_one("permessage-deflate")).unwrap();
        let cmwb = parse_offer(&parse_one("permessage-deflate; client_max_window_bits")).unwrap();
        let text = |p, o: &[Offer]| server_accept(p, o).map(|(_, e)| e.to_string());
        assert_eq!(text(1, &[bare]).as_deref(), Some("permessage-deflate"));
        assert_eq!(
            text(2, &[bare]).as_deref(),
            Some("permessage-deflate; client_no_context_takeover")
        );
        assert_eq!(text(3, &[bare]), None);
        assert_eq!(
            text(5, &[cmwb]).as_deref(),
            Some("permessage-deflate; client_no_context_takeover; client_max_window_bits=9")
        );
        assert_eq!(
            text(7, &[bare]).as_deref(),
            Some("permessage-deflate; client_no_context_takeover")
        );
        let (p, _) = server_accept(3, &[cmwb]).unwrap();
        assert_eq!(
            (p.client_max_window_bits, p.server_max_window_bits),
            (9, 15)
        );
        assert!(parse_offer(&parse_one("permessage-deflate; x=1")).is_err());
        assert!(parse_offer(&parse_one("permessage-deflate; server_max_window_bits=16")).is_err());
        // Python's int() takes leading zeroes.
        assert!(parse_offer(&parse_one("permessage-deflate; server_max_window_bits=09")).is_ok());
    }

    #[test]
    fn responses_follow_the_suite() {
        let r = |s: &str| client_accept_response(&[parse_one(s)]);
        assert_eq!(
            r("permessage-deflate").unwrap(),
            Some(DeflateParams::default())
        );
        assert!(r("permessage-deflate; client_max_window_bits").is_err());
        assert!(r("x-webkit-deflate-frame").is_err());
        assert!(
            client_accept_response(&[
                parse_one("permessage-deflate"),
                parse_one("permessage-deflate")
            ])
            .is_err()
        );
        assert_eq!(client_accept_response(&[]).unwrap(), None);
    }

    #[test]
    fn messages_are_cut_cyclically_by_characters() {
        let case = DeflateCase {
            data: DataSet::Html,
            len: 131_072,
            count: 3,
            wait_ms: 0,
            autofrag: 0,
            params: 1,
        };
        let mut m = Messages::new(&case);
        let text = core::str::from_utf8(DataSet::Html.bytes()).unwrap();
        let chars: Vec<char> = text.chars().collect();
        let mut ptr = 0;
        for _ in 0..3 {
            let msg = m.next_message();
            let to = (ptr + 131_072) % chars.len();
            let want: String = if to > ptr {
                chars[ptr..to].iter().collect()
            } else {
                chars[ptr..].iter().chain(&chars[..to]).collect()
            };
            assert_eq!(msg, want.as_bytes());
            assert_eq!(m.length_of(&msg), 131_072);
            ptr = to;
        }
    }
}
