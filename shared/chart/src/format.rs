//! Numbers as people read them, round axis ticks, and how wide a line of text
//! is likely to be.

/// A value for a chart label: thousands separated, at most two decimals, a
/// true minus sign, and "%" where the chart is of percentages.
pub(crate) fn label_number(value: f64, percent: bool) -> String {
    let decimals = if value.fract() == 0.0 || value.abs() >= 1000.0 {
        0
    } else {
        2
    };
    let text = fixed(value, decimals);
    if percent { format!("{text}%") } else { text }
}

/// A value with exactly `decimals` decimals, then trailing zeros dropped:
/// `fixed(1234.5, 2)` is "1,234.5".
pub(crate) fn fixed(value: f64, decimals: usize) -> String {
    let rounded = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = rounded.split_once('.').unwrap_or((&rounded, ""));
    let fraction = fraction.trim_end_matches('0');

    let mut text = String::new();
    if value < 0.0 && rounded.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        text.push('\u{2212}');
    }
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            text.push(',');
        }
        text.push(digit);
    }
    if !fraction.is_empty() {
        text.push('.');
        text.push_str(fraction);
    }
    text
}

/// A value for a CSV cell: plain digits a spreadsheet reads as a number, an
/// ASCII minus, no separators, integers without ".0".
pub(crate) fn csv_number(value: f64) -> String {
    // Display for f64 never uses an exponent and prints 3.0 as "3".
    format!("{}", value + 0.0)
}

/// Round steps for a value axis: 1, 2 or 5 times a power of ten.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Ticks {
    pub lo: f64,
    pub hi: f64,
    step: f64,
    first: i64,
    count: usize,
}

impl Ticks {
    /// About five steps covering `min..=max` and zero. Counts (`whole`) are
    /// never split into fractions.
    pub(crate) fn covering(min: f64, max: f64, whole: bool) -> Ticks {
        let min = min.min(0.0);
        let max = max.max(0.0);
        if max - min <= f64::EPSILON * max.abs().max(1.0) {
            return Ticks {
                lo: 0.0,
                hi: 5.0,
                step: 1.0,
                first: 0,
                count: 6,
            };
        }

        let raw = (max - min) / 5.0;
        let magnitude = 10f64.powf(raw.log10().floor());
        let mut step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw * (1.0 - 1e-9))
            .unwrap_or(10.0 * magnitude);
        if whole {
            step = step.max(1.0);
        }

        let mut first = (min / step + 1e-9).floor() as i64;
        let mut last = (max / step - 1e-9).ceil() as i64;
        let (mut lo, mut hi) = (first as f64 * step, last as f64 * step);

        // A small dip below zero (or rise above it) on a chart that is mostly
        // the other side gets room for its bars, not a whole empty step.
        let slight = |value: f64, other: f64| value.abs() < step / 2.0 && value.abs() < other.abs();
        if min < 0.0 && slight(min, max) {
            first = 0;
            lo = min - (hi - min) * 0.08;
        } else if max > 0.0 && slight(max, min) {
            last = 0;
            hi = max + (max - lo) * 0.08;
        }

        Ticks {
            lo,
            hi,
            step,
            first,
            count: (last - first) as usize + 1,
        }
    }

    /// The tick values from lowest to highest.
    pub(crate) fn values(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.count).map(|i| (self.first + i as i64) as f64 * self.step)
    }

    /// How many decimals a tick label needs.
    pub(crate) fn decimals(&self) -> usize {
        (-self.step.log10().floor()).max(0.0) as usize
    }

    /// A tick value as its label.
    pub(crate) fn label(&self, value: f64, percent: bool) -> String {
        let text = fixed(value, self.decimals());
        if percent { format!("{text}%") } else { text }
    }
}

/// Roughly how wide `text` sets in a sans-serif system font at `size`
/// pixels. It errs wide (DejaVu Sans, the widest of the usual fallbacks,
/// is what it is measured against), so labels sized by it do not collide.
pub(crate) fn text_width(text: &str, size: f64) -> f64 {
    text.chars().map(char_width).sum::<f64>() * size
}

/// Width of a character in ems, by class of character.
fn char_width(c: char) -> f64 {
    match c {
        'i' | 'j' | 'l' | '\'' | '|' | '!' | '.' | ',' | ':' | ';' => 0.3,
        'f' | 't' | 'r' | 'I' | ' ' | '(' | ')' | '[' | ']' | '-' | '/' => 0.4,
        'm' | 'w' => 0.86,
        'M' | 'W' => 0.92,
        '0'..='9' => 0.64,
        'A'..='Z' => 0.72,
        '\u{2014}' | '@' | '%' => 0.9,
        c if c.is_ascii() => 0.6,
        // CJK, Hangul, fullwidth forms and emoji set about a full em.
        '\u{1100}'..='\u{115F}'
        | '\u{2E80}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7A3}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FF00}'..='\u{FF60}'
        | '\u{1F300}'..='\u{1FAFF}' => 1.0,
        _ => 0.62,
    }
}

/// `text` cut to fit `max_width` at `size`, with an ellipsis where it was
/// cut. The second part says whether it was.
pub(crate) fn fit(text: &str, max_width: f64, size: f64) -> (String, bool) {
    let text = text.trim();
    if text_width(text, size) <= max_width {
        return (text.to_owned(), false);
    }

    let room = max_width - text_width("\u{2026}", size);
    let mut used = 0.0;
    let mut kept = String::new();
    for c in text.chars() {
        used += char_width(c) * size;
        if used > room {
            break;
        }
        kept.push(c);
    }
    let mut kept = kept.trim_end().to_owned();
    kept.push('\u{2026}');
    (kept, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_compact() {
        assert_eq!(label_number(1234.0, false), "1,234");
        assert_eq!(label_number(1234567.0, false), "1,234,567");
        assert_eq!(label_number(1.5, false), "1.5");
        assert_eq!(label_number(2.0 / 3.0, false), "0.67");
        assert_eq!(label_number(-12.0, false), "\u{2212}12");
        assert_eq!(label_number(-0.001, false), "0");
        assert_eq!(label_number(12.0, true), "12%");
        assert_eq!(label_number(0.0, false), "0");
        assert_eq!(label_number(999.999, false), "1,000");
    }

    #[test]
    fn csv_numbers_are_plain() {
        assert_eq!(csv_number(3.0), "3");
        assert_eq!(csv_number(-3.0), "-3");
        assert_eq!(csv_number(-0.0), "0");
        assert_eq!(csv_number(1.25), "1.25");
        assert_eq!(csv_number(1234567.0), "1234567");
        assert_eq!(csv_number(1e21), "1000000000000000000000");
    }

    fn ticks(min: f64, max: f64, whole: bool) -> Vec<f64> {
        Ticks::covering(min, max, whole).values().collect()
    }

    #[test]
    fn ticks_are_round_and_cover_zero() {
        assert_eq!(
            ticks(0.0, 42.0, true),
            vec![0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
        );
        assert_eq!(ticks(3.0, 9.0, true), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(
            ticks(-7.0, 12.0, true),
            vec![-10.0, -5.0, 0.0, 5.0, 10.0, 15.0]
        );
        assert_eq!(ticks(-30.0, 0.0, true), vec![-30.0, -20.0, -10.0, 0.0]);
        assert_eq!(ticks(0.0, 2.0, true), vec![0.0, 1.0, 2.0]);
        assert_eq!(ticks(0.0, 100.0, true).last(), Some(&100.0));
    }

    #[test]
    fn a_slight_dip_below_zero_takes_no_whole_step() {
        let net = Ticks::covering(-42.0, 1234.0, true);
        assert_eq!(
            net.values().collect::<Vec<_>>(),
            vec![0.0, 500.0, 1000.0, 1500.0]
        );
        assert!(net.lo < -42.0 && net.lo > -500.0, "{}", net.lo);
        let mostly_down = Ticks::covering(-1234.0, 42.0, true);
        assert_eq!(mostly_down.values().last(), Some(0.0));
        assert!(mostly_down.hi > 42.0 && mostly_down.hi < 500.0);
    }

    #[test]
    fn nothing_to_show_gets_a_small_axis() {
        assert_eq!(ticks(0.0, 0.0, true), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    }

    #[test]
    fn tick_labels_show_the_decimals_the_step_needs() {
        let fine = Ticks::covering(0.0, 1.0, false);
        let labels: Vec<String> = fine.values().map(|v| fine.label(v, false)).collect();
        assert_eq!(labels, ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        let big = Ticks::covering(0.0, 4200.0, true);
        assert_eq!(big.label(4000.0, false), "4,000");
        assert_eq!(big.label(40.0, true), "40%");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(fit("Ava", 100.0, 12.0), ("Ava".to_owned(), false));
        let (cut, was_cut) = fit("Bartholomew Featherstonehaugh-Smythe", 100.0, 12.0);
        assert!(was_cut);
        assert!(cut.ends_with('\u{2026}'));
        assert!(text_width(&cut, 12.0) <= 100.0);
    }
}
