//! Sections 12 and 13, permessage-deflate (`case12_x_x.py`): 1,000 compressed round
//! trips per case, 18 message sizes and fragmentations (`MSG_SIZES`) for each of the
//! five data sets (12.1–12.5, the default offer) and of the seven parameter sets
//! (13.1–13.7, JSON data). UNIMPLEMENTED when permessage-deflate is not negotiated.

use super::{Profile, case};
use crate::case::{Case, Step};
use crate::deflate_case::{DataSet, DeflateCase, MSG_SIZES};
use crate::expect::{Expect, Rule};

/// The suite's descriptions of the parameter sets, as (client offers, server accept).
const PARAMS: [&str; 7] = [
    "[(False, 0)] / [(False, 0)]",
    "[(True, 0)] / [(True, 0)]",
    "[(False, 9)] / [(False, 9)]",
    "[(False, 15)] / [(False, 15)]",
    "[(True, 9)] / [(True, 9)]",
    "[(True, 15)] / [(True, 15)]",
    "[(True, 9), (True, 0), (False, 0)] / [(True, 9), (True, 0), (False, 0)]",
];

fn deflate_case(id: String, d: DeflateCase, what: String) -> Case {
    let description = format!(
        "Send {} compressed messages each of payload size {}, auto-fragment to {} octets. {what}",
        d.count, d.len, d.autofrag
    );
    let steps = vec![Step::AutoFragment(d.autofrag)];
    case(
        id,
        description,
        steps,
        Expect::with_rule(Rule::Deflate(Box::new(d))),
    )
}

pub(super) fn cases(out: &mut Vec<Case>, profile: Profile) {
    let rows = |data: DataSet, params: u8| {
        MSG_SIZES
            .iter()
            .map(move |&(len, count, secs, autofrag)| DeflateCase {
                data,
                len,
                count: profile.count(count, 2),
                wait_ms: secs * 1000,
                autofrag,
                params,
            })
    };
    for (j, data) in DataSet::SECTION_12.into_iter().enumerate() {
        for (i, d) in rows(data, 1).enumerate() {
            let what = format!(
                "Use default permessage-deflate offer. Data: {}.",
                data.description()
            );
            out.push(deflate_case(format!("12.{}.{}", j + 1, i + 1), d, what));
        }
    }
    for (j, desc) in PARAMS.iter().enumerate() {
        let params = j as u8 + 1;
        for (i, d) in rows(DataSet::Json, params).enumerate() {
            let what = format!(
                "Use permessage-deflate client offers (requestNoContextTakeover, requestMaxWindowBits) / server accept: {desc}."
            );
            out.push(deflate_case(format!("13.{}.{}", j + 1, i + 1), d, what));
        }
    }
}
