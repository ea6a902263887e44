//! Which rendering of a chart a request gets: JSON, CSV or SVG, from the
//! `format` parameter when there is one, else from the `Accept` header with
//! its q-values (RFC 9110 §12.5.1). The most specific range that matches a
//! type gives its weight; the best weight wins, then the more specific
//! match, and between equals JSON before SVG before CSV, except that an
//! `Accept` naming image types (a browser's `<img>` request) prefers SVG.

use lambda_http::Request;
use platform::Problem;

/// A rendering of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Svg,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Json, Format::Csv, Format::Svg];

    /// The name a `format` parameter gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Svg => "svg",
        }
    }

    fn media_type(self) -> (&'static str, &'static str) {
        match self {
            Format::Json => ("application", "json"),
            Format::Csv => ("text", "csv"),
            Format::Svg => ("image", "svg+xml"),
        }
    }
}

/// One media range of an `Accept` header, lower-cased, with its weight in
/// thousandths.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Range {
    kind: String,
    subtype: String,
    weight: u16,
}

impl Range {
    /// How specifically the range names a type: 2 exactly, 1 by its
    /// top-level type, 0 as `*/*`; none if it does not match.
    fn specificity(&self, (kind, subtype): (&str, &str)) -> Option<u8> {
        match (self.kind.as_str(), self.subtype.as_str()) {
            ("*", "*") => Some(0),
            (k, "*") if k == kind => Some(1),
            (k, s) if k == kind && s == subtype => Some(2),
            _ => None,
        }
    }
}

/// The rendering the request asks for; 406 when the `Accept` header takes
/// none of them.
pub fn negotiate(request: &Request, format: Option<Format>) -> Result<Format, Problem> {
    if let Some(format) = format {
        return Ok(format);
    }
    let header: Vec<&str> = request
        .headers()
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    choose(&header.join(",")).ok_or_else(not_acceptable)
}

/// The best rendering for an `Accept` header's value; JSON when it says
/// nothing readable.
fn choose(header: &str) -> Option<Format> {
    let ranges = parse(header);
    if ranges.is_empty() {
        return Some(Format::Json);
    }
    let images = ranges.iter().any(|r| r.kind == "image" && r.weight > 0);
    let preference = if images {
        [Format::Svg, Format::Json, Format::Csv]
    } else {
        [Format::Json, Format::Svg, Format::Csv]
    };
    preference
        .into_iter()
        .enumerate()
        .filter_map(|(rank, format)| {
            let (weight, specificity) = weigh(&ranges, format)?;
            (weight > 0).then_some(((weight, specificity, std::cmp::Reverse(rank)), format))
        })
        .max_by_key(|(standing, _)| *standing)
        .map(|(_, format)| format)
}

/// The weight the most specific matching range gives a rendering, and how
/// specific that range is; none if no range matches it.
fn weigh(ranges: &[Range], format: Format) -> Option<(u16, u8)> {
    let media = format.media_type();
    let best = ranges
        .iter()
        .filter_map(|r| r.specificity(media).map(|s| (s, r.weight)))
        .max_by_key(|(specificity, _)| *specificity)?;
    Some((best.1, best.0))
}

/// The media ranges of an `Accept` value. Ranges that cannot be read are
/// left out, as are media-type parameters other than `q`.
fn parse(header: &str) -> Vec<Range> {
    header
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let media = pieces.next()?.trim().to_ascii_lowercase();
            let (kind, subtype) = media.split_once('/')?;
            let token = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic());
            if !token(kind) || !token(subtype) || (kind == "*" && subtype != "*") {
                return None;
            }
            let mut weight = 1000;
            for parameter in pieces {
                let Some((name, value)) = parameter.split_once('=') else {
                    continue;
                };
                if name.trim().eq_ignore_ascii_case("q") {
                    weight = q_value(value.trim())?;
                }
            }
            Some(Range {
                kind: kind.to_owned(),
                subtype: subtype.to_owned(),
                weight,
            })
        })
        .collect()
}

/// A q-value (`0`, `0.5`, `1.000`) in thousandths.
fn q_value(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// 406: the client takes none of the renderings.
fn not_acceptable() -> Problem {
    Problem {
        kind: "https://classlights.app/problems/not-acceptable".to_owned(),
        title: "Not acceptable",
        status: 406,
        detail: "a chart comes as application/json, text/csv or image/svg+xml; accept one of \
                 them, or ask with format=json, format=csv or format=svg"
            .to_owned(),
        errors: Vec::new(),
        retry_after_seconds: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_accept_or_anything_gets_json() {
        assert_eq!(choose(""), Some(Format::Json));
        assert_eq!(choose("*/*"), Some(Format::Json));
        assert_eq!(choose("application/json"), Some(Format::Json));
        assert_eq!(choose("nonsense"), Some(Format::Json));
    }

    #[test]
    fn exact_types_get_their_rendering() {
        assert_eq!(choose("text/csv"), Some(Format::Csv));
        assert_eq!(choose("image/svg+xml"), Some(Format::Svg));
        assert_eq!(choose("TEXT/CSV; charset=utf-8"), Some(Format::Csv));
    }

    #[test]
    fn q_values_decide() {
        assert_eq!(
            choose("application/json;q=0.5, text/csv;q=0.9"),
            Some(Format::Csv)
        );
        assert_eq!(choose("text/csv;q=0, */*;q=0.1"), Some(Format::Json));
        assert_eq!(
            choose("application/json;q=0, image/svg+xml;q=0.2, text/*"),
            Some(Format::Csv)
        );
        // A range that names the type more specifically overrides `*/*`.
        assert_eq!(
            choose("*/*;q=0.9, application/json;q=0.1"),
            Some(Format::Svg)
        );
    }

    #[test]
    fn browsers_get_what_they_expect() {
        let img = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
        assert_eq!(choose(img), Some(Format::Svg));
        let old_img = "image/webp,*/*";
        assert_eq!(choose(old_img), Some(Format::Svg));
        let page = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(choose(page), Some(Format::Json));
    }

    #[test]
    fn nothing_acceptable_is_refused() {
        assert_eq!(choose("application/xml"), None);
        assert_eq!(choose("application/json;q=0"), None);
        assert_eq!(choose("image/png"), None);
    }

    #[test]
    fn unreadable_q_values_drop_their_range() {
        assert_eq!(choose("text/csv;q=2, application/xml"), None);
        assert_eq!(q_value("0.25"), Some(250));
        assert_eq!(q_value("1.000"), Some(1000));
        assert_eq!(q_value("1.5"), None);
        assert_eq!(q_value(".5"), None);
    }
}
