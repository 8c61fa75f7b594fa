//! Selecting cases by id: `--cases 6.4.*,1.1.1,9.*`.

/// Comma-separated patterns over case ids, as wstest reads its spec's `cases`: a pattern
/// with `*` (which matches anything, dots included) selects the ids that *start* with a
/// match (`12.*.1` selects 12.1.1 and 12.1.10–12.1.18, as in the suite); a pattern without
/// `*` selects that id (and, here, the ids under it: `6.4` is 6.4.1–6.4.4). A pattern
/// starting with `-` excludes. Empty: every case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    include: Vec<String>,
    exclude: Vec<String>,
}

impl CaseFilter {
    /// Every case.
    pub fn all() -> Self {
        Self::default()
    }

    /// Parses `6.4.*,1.1.1,-9.*`.
    pub fn parse(spec: &str) -> Self {
        let mut f = Self::default();
        for p in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match p.strip_prefix('-') {
                Some(x) => f.exclude.push(x.to_owned()),
                None => f.include.push(p.to_owned()),
            }
        }
        f
    }

    /// Whether `id` is selected.
    pub fn matches(&self, id: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|p| glob(p, id)))
            && !self.exclude.iter().any(|p| glob(p, id))
    }
}

/// `*` matches any run of characters and the pattern needs to match only a prefix of the
/// id (wstest compiles `p.replace('*', '.*')` and uses `re.match`); a pattern without `*`
/// matches the id exactly or as a prefix up to a dot (`6.4` selects `6.4.1`).
fn glob(pattern: &str, id: &str) -> bool {
    if !pattern.contains('*') {
        return id == pattern || id.starts_with(&format!("{pattern}."));
    }
    let with_rest = format!("{pattern}*");
    let parts: Vec<&str> = with_rest.split('*').collect();
    let mut rest = id;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let f = CaseFilter::parse("6.4.*,1.1.1,-6.4.3");
        assert!(f.matches("6.4.1"));
        assert!(!f.matches("6.4.3"));
        assert!(f.matches("1.1.1"));
        assert!(!f.matches("1.1.10"));
        assert!(!f.matches("6.5.1"));
        assert!(CaseFilter::parse("9").matches("9.1.1"));
        assert!(!CaseFilter::parse("9").matches("10.1.1"));
        assert!(CaseFilter::parse("*.1").matches("7.13.1"));
        assert!(CaseFilter::all().matches("2.1"));
        // wstest's prefix rule.
        assert!(CaseFilter::parse("12.*.1").matches("12.1.10"));
        assert!(CaseFilter::parse("1.*").matches("1.2.8"));
        assert!(!CaseFilter::parse("1.*").matches("10.1.1"));
        assert!(!CaseFilter::parse("12.1.1").matches("12.1.10"));
    }
}
