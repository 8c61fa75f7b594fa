//! permessage-deflate negotiation (RFC 7692 §7.1): the server's declines, the client's
//! checks of the answer, round trips, and properties over arbitrary offers.

use proptest::prelude::*;
use sockeye_handshake::{
    DeflateClientPolicy, DeflateParams, DeflateServerPolicy, Extension, ResponseError, Side,
    negotiate_deflate,
};

/// Parameters as `(name, value)`.
type Params<'a> = &'a [(&'a str, Option<&'a str>)];

/// `permessage-deflate` with `params` as `(name, value)`.
fn pmd(params: &[(&str, Option<&str>)]) -> Extension {
    let mut ext = Extension::new("permessage-deflate").unwrap();
    for (name, value) in params {
        ext = ext.with_param(name, *value).unwrap();
    }
    ext
}

fn server(offers: &[Extension]) -> Option<(DeflateParams, String)> {
    negotiate_deflate(offers, &DeflateServerPolicy::new()).map(|(p, e)| (p, e.to_string()))
}

const fn params(snct: bool, cnct: bool, smwb: u8, cmwb: u8) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: snct,
        client_no_context_takeover: cnct,
        server_max_window_bits: smwb,
        client_max_window_bits: cmwb,
    }
}

#[test]
fn server_accepts_each_parameter_in_its_valid_forms() {
    let cases: &[(Params<'_>, DeflateParams, &str)] = &[
        (&[], params(false, false, 15, 15), "permessage-deflate"),
        (
            &[("server_no_context_takeover", None)],
            params(true, false, 15, 15),
            "permessage-deflate; server_no_context_takeover",
        ),
        (
            &[("client_no_context_takeover", None)],
            params(false, true, 15, 15),
            "permessage-deflate; client_no_context_takeover",
        ),
        (
            &[("server_max_window_bits", Some("8"))],
            params(false, false, 8, 15),
            "permessage-deflate; server_max_window_bits=8",
        ),
        (
            &[("server_max_window_bits", Some("15"))],
            params(false, false, 15, 15),
            "permessage-deflate; server_max_window_bits=15",
        ),
        (
            &[("client_max_window_bits", None)],
            params(false, false, 15, 15),
            "permessage-deflate",
        ),
        (
            &[("client_max_window_bits", Some("9"))],
            params(false, false, 15, 9),
            "permessage-deflate; client_max_window_bits=9",
        ),
        (
            // Autobahn 13.7's first offer, any order and case.
            &[
                ("Server_Max_Window_Bits", Some("9")),
                ("client_max_window_bits", None),
                ("server_no_context_takeover", None),
                ("client_no_context_takeover", None),
            ],
            params(true, true, 9, 15),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=9",
        ),
    ];
    for (offer, expected, answer) in cases {
        let (p, a) = server(&[pmd(offer)]).unwrap_or_else(|| panic!("{offer:?} declined"));
        assert_eq!((p, a.as_str()), (*expected, *answer), "{offer:?}");
    }
}

#[test]
fn server_declines_every_malformed_or_unsupported_offer() {
    let bad: &[Params<'_>] = &[
        &[("x_unknown", None)],
        &[
            ("server_no_context_takeover", None),
            ("server_no_context_takeover", None),
        ],
        &[
            ("client_no_context_takeover", None),
            ("client_no_context_takeover", None),
        ],
        &[
            ("server_max_window_bits", Some("10")),
            ("server_max_window_bits", Some("10")),
        ],
        &[
            ("client_max_window_bits", None),
            ("client_max_window_bits", None),
        ],
        &[("server_no_context_takeover", Some("1"))],
        &[("client_no_context_takeover", Some("true"))],
        &[("server_max_window_bits", None)],
        &[("server_max_window_bits", Some("7"))],
        &[("server_max_window_bits", Some("16"))],
        &[("server_max_window_bits", Some("08"))],
        &[("server_max_window_bits", Some("010"))],
        &[("server_max_window_bits", Some("+9"))],
        &[("server_max_window_bits", Some("9.0"))],
        &[("server_max_window_bits", Some(""))],
        &[("client_max_window_bits", Some("0"))],
        &[("client_max_window_bits", Some("255"))],
        &[("client_max_window_bits", Some("a"))],
        &[("client_max_window_bits", Some("09"))],
    ];
    for offer in bad {
        assert_eq!(server(&[pmd(offer)]), None, "{offer:?}");
        // Declining is not fatal: a later acceptable offer is taken.
        let (p, _) = server(&[pmd(offer), pmd(&[("server_no_context_takeover", None)])])
            .unwrap_or_else(|| panic!("fallback after {offer:?}"));
        assert!(p.server_no_context_takeover);
    }
}

#[test]
fn server_takes_the_first_acceptable_offer_among_other_extensions() {
    let offers = [
        Extension::new("x-webkit-deflate-frame").unwrap(),
        pmd(&[
            ("server_max_window_bits", Some("9")),
            ("client_no_context_takeover", None),
        ]),
        Extension::new("x-other")
            .unwrap()
            .with_param("a", Some("b"))
            .unwrap(),
        pmd(&[]),
    ];
    let (p, a) = server(&offers).unwrap();
    assert_eq!(p, params(false, true, 9, 15));
    assert_eq!(
        a,
        "permessage-deflate; client_no_context_takeover; server_max_window_bits=9"
    );
    assert_eq!(server(&offers[..1]), None, "no permessage-deflate offered");
    let mut off = DeflateServerPolicy::new();
    off.enabled = false;
    assert!(negotiate_deflate(&offers, &off).is_none());
}

#[test]
fn server_policy_applies_within_what_the_offer_allows() {
    let mut policy = DeflateServerPolicy::new();
    policy.server_no_context_takeover = true;
    policy.client_no_context_takeover = true;
    policy.server_max_window_bits = 10;
    policy.client_max_window_bits = 11;
    let answer = |offer: Extension| {
        let (p, e) = negotiate_deflate(&[offer], &policy).unwrap();
        (p, e.to_string())
    };
    // The client allowed client_max_window_bits: we ask for 11.
    assert_eq!(
        answer(pmd(&[("client_max_window_bits", None)])),
        (
            params(true, true, 10, 11),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=11"
                .into()
        )
    );
    // Not offered: it MUST NOT be in the answer; the client may use 15.
    let (p, a) = answer(pmd(&[]));
    assert_eq!(p.client_max_window_bits, 15);
    assert!(!a.contains("client_max_window_bits"));
    // A smaller window asked by the client wins over ours; its hint too.
    let (p, a) = answer(pmd(&[
        ("server_max_window_bits", Some("8")),
        ("client_max_window_bits", Some("9")),
    ]));
    assert_eq!((p.server_max_window_bits, p.client_max_window_bits), (8, 9));
    assert!(a.ends_with("server_max_window_bits=8; client_max_window_bits=9"));
}

#[test]
fn params_answer_per_side() {
    let p = params(true, false, 9, 12);
    assert_eq!(p.compress_window_bits(Side::Server), 9);
    assert_eq!(p.decompress_window_bits(Side::Server), 12);
    assert_eq!(p.compress_window_bits(Side::Client), 12);
    assert_eq!(p.decompress_window_bits(Side::Client), 9);
    assert!(p.compress_no_context_takeover(Side::Server));
    assert!(p.decompress_no_context_takeover(Side::Client));
    assert!(!p.decompress_no_context_takeover(Side::Server));
    assert_eq!(DeflateParams::default(), params(false, false, 15, 15));
}

fn client_checks(
    policy: &DeflateClientPolicy,
    answer: &str,
) -> Result<Option<DeflateParams>, ResponseError> {
    let mut exts = Vec::new();
    for part in answer.split(", ").filter(|s| !s.is_empty()) {
        let mut pieces = part.split("; ");
        let mut ext = Extension::new(pieces.next().unwrap()).unwrap();
        for p in pieces {
            let (name, value) = match p.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (p, None),
            };
            ext = ext.with_param(name, value).unwrap();
        }
        exts.push(ext);
    }
    policy.accept_response(&exts)
}

#[test]
fn client_offer_defaults_like_a_browser_and_follows_its_policy() {
    assert_eq!(
        DeflateClientPolicy::new().offer().to_string(),
        "permessage-deflate; client_max_window_bits"
    );
    let mut policy = DeflateClientPolicy::new();
    policy.server_no_context_takeover = true;
    policy.client_no_context_takeover = true;
    policy.server_max_window_bits = Some(10);
    policy.client_max_window_bits = 12;
    assert_eq!(
        policy.offer().to_string(),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=10; client_max_window_bits=12"
    );
    assert_eq!(
        DeflateClientPolicy::from_offer(&policy.offer()),
        Some(policy)
    );
    policy.offer_client_max_window_bits = false;
    assert!(!policy.offer().to_string().contains("client_max"));
}

#[test]
fn client_accepts_what_a_server_may_answer() {
    let default = DeflateClientPolicy::new();
    let ok: &[(&str, DeflateParams)] = &[
        ("permessage-deflate", params(false, false, 15, 15)),
        // §7.1.1.1 / §7.1.1.2: both no_context_takeover parameters, unasked.
        (
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            params(true, true, 15, 15),
        ),
        // §7.1.2.1: a server window unasked; §7.1.2.2: ours limited, 8 included.
        (
            "permessage-deflate; server_max_window_bits=8",
            params(false, false, 8, 15),
        ),
        (
            "permessage-deflate; client_max_window_bits=8",
            params(false, false, 15, 8),
        ),
        (
            "permessage-deflate; client_max_window_bits=9",
            params(false, false, 15, 9),
        ),
        ("x-other, permessage-deflate", params(false, false, 15, 15)),
    ];
    for (answer, expected) in ok {
        assert_eq!(
            client_checks(&default, answer),
            Ok(Some(*expected)),
            "{answer}"
        );
    }
    assert_eq!(client_checks(&default, ""), Ok(None));
    assert_eq!(client_checks(&default, "x-other"), Ok(None));
    // Our own hint holds even if the server says more.
    let mut hinted = DeflateClientPolicy::new();
    hinted.client_max_window_bits = 10;
    assert_eq!(
        client_checks(&hinted, "permessage-deflate; client_max_window_bits=12"),
        Ok(Some(params(false, false, 15, 10)))
    );
    assert_eq!(
        client_checks(&hinted, "permessage-deflate"),
        Ok(Some(params(false, false, 15, 10)))
    );
}

#[test]
fn client_fails_on_every_answer_it_did_not_allow() {
    let mut asked = DeflateClientPolicy::new();
    asked.server_max_window_bits = Some(10);
    asked.server_no_context_takeover = true;
    let mut no_cmwb = DeflateClientPolicy::new();
    no_cmwb.offer_client_max_window_bits = false;
    let default = DeflateClientPolicy::new();
    let bad: &[(&DeflateClientPolicy, &str, ResponseError)] = &[
        (
            &default,
            "permessage-deflate; x=1",
            ResponseError::DeflateUnknownParameter,
        ),
        (
            &default,
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            ResponseError::DeflateDuplicateParameter("server_no_context_takeover"),
        ),
        (
            &default,
            "permessage-deflate; client_max_window_bits=9; client_max_window_bits=9",
            ResponseError::DeflateDuplicateParameter("client_max_window_bits"),
        ),
        (
            &default,
            "permessage-deflate; server_no_context_takeover=1",
            ResponseError::DeflateInvalidValue("server_no_context_takeover"),
        ),
        (
            &default,
            "permessage-deflate; client_no_context_takeover=1",
            ResponseError::DeflateInvalidValue("client_no_context_takeover"),
        ),
        (
            &default,
            "permessage-deflate; server_max_window_bits",
            ResponseError::DeflateInvalidValue("server_max_window_bits"),
        ),
        (
            &default,
            "permessage-deflate; server_max_window_bits=16",
            ResponseError::DeflateInvalidValue("server_max_window_bits"),
        ),
        (
            &default,
            "permessage-deflate; server_max_window_bits=09",
            ResponseError::DeflateInvalidValue("server_max_window_bits"),
        ),
        // In a response client_max_window_bits needs a value.
        (
            &default,
            "permessage-deflate; client_max_window_bits",
            ResponseError::DeflateInvalidValue("client_max_window_bits"),
        ),
        (
            &default,
            "permessage-deflate; client_max_window_bits=7",
            ResponseError::DeflateInvalidValue("client_max_window_bits"),
        ),
        (
            &no_cmwb,
            "permessage-deflate; client_max_window_bits=10",
            ResponseError::DeflateNotOffered("client_max_window_bits"),
        ),
        (
            &asked,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=11",
            ResponseError::DeflateNotOffered("server_max_window_bits"),
        ),
        (
            &asked,
            "permessage-deflate; server_no_context_takeover",
            ResponseError::DeflateMissingParameter("server_max_window_bits"),
        ),
        (
            &asked,
            "permessage-deflate; server_max_window_bits=9",
            ResponseError::DeflateMissingParameter("server_no_context_takeover"),
        ),
        (
            &default,
            "permessage-deflate, permessage-deflate",
            ResponseError::DeflateAcceptedTwice,
        ),
    ];
    for (policy, answer, expected) in bad {
        assert_eq!(client_checks(policy, answer), Err(*expected), "{answer}");
        assert!(!expected.to_string().is_empty());
    }
}

#[test]
fn round_trips_agree_on_the_same_params() {
    let mut policies = Vec::new();
    for snct in [false, true] {
        for cnct in [false, true] {
            for smwb in [None, Some(8), Some(9), Some(15)] {
                for (offer_c, cmwb) in [(false, 15), (true, 15), (true, 8), (true, 12)] {
                    let mut p = DeflateClientPolicy::new();
                    p.server_no_context_takeover = snct;
                    p.client_no_context_takeover = cnct;
                    p.server_max_window_bits = smwb;
                    p.offer_client_max_window_bits = offer_c;
                    p.client_max_window_bits = cmwb;
                    policies.push(p);
                }
            }
        }
    }
    let mut servers = vec![DeflateServerPolicy::new()];
    let mut strict = DeflateServerPolicy::new();
    strict.server_no_context_takeover = true;
    strict.client_no_context_takeover = true;
    strict.server_max_window_bits = 9;
    strict.client_max_window_bits = 8;
    servers.push(strict);
    for client in &policies {
        for policy in &servers {
            let (agreed, answer) = negotiate_deflate(&[client.offer()], policy).expect("accepted");
            let seen = client.accept_response(&[answer]).expect("answer allowed");
            assert_eq!(seen, Some(agreed), "{client:?} / {policy:?}");
            assert!(agreed.server_max_window_bits <= policy.server_max_window_bits);
        }
    }
}

fn offer_strategy() -> impl Strategy<Value = Extension> {
    let name = prop_oneof![
        Just("server_no_context_takeover"),
        Just("client_no_context_takeover"),
        Just("server_max_window_bits"),
        Just("client_max_window_bits"),
        Just("x"),
    ];
    let value = prop_oneof![
        Just(None),
        (7u8..=16).prop_map(|b| Some(b.to_string())),
        Just(Some("08".to_string())),
        Just(Some("".to_string())),
        "[0-9a-z+]{1,3}".prop_map(Some),
    ];
    let ext_name = prop_oneof![4 => Just("permessage-deflate"), 1 => Just("x-other")];
    (ext_name, proptest::collection::vec((name, value), 0..5)).prop_map(|(n, params)| {
        let mut ext = Extension::new(n).unwrap();
        for (name, value) in params {
            ext = ext.with_param(name, value.as_deref()).unwrap();
        }
        ext
    })
}

proptest! {
    #[test]
    fn any_offers_never_panic_and_the_answer_is_accepted_by_their_client(
        offers in proptest::collection::vec(offer_strategy(), 0..6),
        snct: bool, cnct: bool, smwb in 6u8..17, cmwb in 6u8..17,
    ) {
        let mut policy = DeflateServerPolicy::new();
        policy.server_no_context_takeover = snct;
        policy.client_no_context_takeover = cnct;
        policy.server_max_window_bits = smwb;
        policy.client_max_window_bits = cmwb;
        let chosen = negotiate_deflate(&offers, &policy);
        // The first well-formed permessage-deflate offer is the one accepted.
        let first_ok = offers.iter().find_map(DeflateClientPolicy::from_offer);
        prop_assert_eq!(chosen.is_some(), first_ok.is_some());
        if let (Some((agreed, answer)), Some(client)) = (chosen, first_ok) {
            prop_assert!((8..=15).contains(&agreed.server_max_window_bits));
            prop_assert!((8..=15).contains(&agreed.client_max_window_bits));
            prop_assert_eq!(client.accept_response(&[answer]), Ok(Some(agreed)));
        }
    }
}
