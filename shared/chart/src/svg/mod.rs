//! A chart as a standalone SVG 1.1 document, 800 pixels wide: the frame every
//! kind shares (title, legend, colours, labels, escaping), with the plot of
//! each kind in its own module.

mod bars;
mod categories;
mod heatmap;
mod line;
mod plot;

use std::collections::BTreeMap;
use std::fmt::Write;

pub(crate) use categories::CategoryLabels;

use crate::format::{fit, text_width};
use crate::{Chart, Kind, Series, Tone};

/// Width of every chart; the height follows from what it shows.
pub(crate) const WIDTH: f64 = 800.0;
/// Space between the canvas edge and anything drawn.
pub(crate) const MARGIN: f64 = 24.0;

const FONT: &str = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
pub(crate) const INK: &str = "#1a1a1a";
pub(crate) const MUTED: &str = "#555555";
pub(crate) const GRID: &str = "#e3e3e3";
pub(crate) const AXIS: &str = "#8c8c8c";

/// Shown instead of data when every value is zero.
pub(crate) const NOTHING_RECORDED: &str = "No behaviour recorded in this period";

/// The chart as the text of an SVG file. The same chart always gives the
/// same bytes. Series whose values do not match the categories are drawn
/// with gaps (see the crate docs).
pub fn to_svg(chart: &Chart) -> String {
    let mut canvas = Canvas::new(chart);
    let top = canvas.header(chart);
    let height = match chart.kind {
        Kind::Line => line::draw(&mut canvas, chart, top),
        Kind::Bars => bars::vertical(&mut canvas, chart, top),
        Kind::HorizontalBars => bars::horizontal(&mut canvas, chart, top),
        Kind::Heatmap => heatmap::draw(&mut canvas, chart, top),
    };
    canvas.finish(chart, height)
}

/// The drawing so far, and the definitions (patterns) it refers to.
pub(crate) struct Canvas {
    pub body: String,
    /// Prefix of every id in the document, so two charts inlined in one page
    /// do not take each other's title or patterns.
    id: String,
    defs: BTreeMap<String, String>,
}

impl Canvas {
    fn new(chart: &Chart) -> Canvas {
        Canvas {
            body: String::new(),
            id: format!("chart-{:016x}", fingerprint(chart)),
            defs: BTreeMap::new(),
        }
    }

    fn finish(self, chart: &Chart, height: f64) -> String {
        let id = &self.id;
        let height = height.ceil();
        let mut svg = String::new();
        svg.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" \
             viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
             aria-labelledby=\"{id}-title {id}-desc\" font-family=\"{FONT}\">",
            w = px(WIDTH),
            h = px(height),
        );
        let _ = writeln!(
            svg,
            "<title id=\"{id}-title\">{}</title>",
            escape(&chart.title)
        );
        let _ = writeln!(
            svg,
            "<desc id=\"{id}-desc\">{}</desc>",
            escape(&describe(chart))
        );
        if !self.defs.is_empty() {
            svg.push_str("<defs>\n");
            for definition in self.defs.values() {
                svg.push_str(definition);
            }
            svg.push_str("</defs>\n");
        }
        let _ = writeln!(
            svg,
            "<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
            px(WIDTH),
            px(height)
        );
        svg.push_str(&self.body);
        svg.push_str("</svg>\n");
        svg
    }

    /// Title and subtitle; returns where the next thing may start.
    fn header(&mut self, chart: &Chart) -> f64 {
        let room = WIDTH - 2.0 * MARGIN;
        // Bold sets about a tenth wider than the widths `fit` knows.
        let attrs = format!("class=\"chart-title\" font-weight=\"bold\" fill=\"{INK}\"");
        self.text(MARGIN, 36.0, 20.0, &attrs, &chart.title, room / 1.1);
        if chart.subtitle.trim().is_empty() {
            return 48.0;
        }
        let attrs = format!("class=\"chart-subtitle\" fill=\"{MUTED}\"");
        self.text(MARGIN, 58.0, 13.0, &attrs, &chart.subtitle, room);
        68.0
    }

    /// A line of text cut to `max_width`; the full text becomes its tooltip
    /// when it had to be cut.
    pub(crate) fn text(
        &mut self,
        x: f64,
        y: f64,
        size: f64,
        attrs: &str,
        content: &str,
        max_width: f64,
    ) {
        let (shown, cut) = fit(content, max_width, size);
        let _ = write!(
            self.body,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" {attrs}>{}",
            px(x),
            px(y),
            px(size),
            escape(&shown)
        );
        if cut {
            let _ = write!(self.body, "<title>{}</title>", escape(content.trim()));
        }
        self.body.push_str("</text>\n");
    }

    /// The fill for an area in a series' look: its colour, or a hatch of it.
    pub(crate) fn fill(&mut self, look: &Look) -> String {
        if !look.hatched {
            return look.colour.to_owned();
        }
        let name = format!("{}-hatch-{}", self.id, &look.colour[1..]);
        let definition = format!(
            "<pattern id=\"{name}\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
             patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"{c}\"/>\
             <rect width=\"2.5\" height=\"6\" fill=\"#ffffff\" fill-opacity=\"0.6\"/></pattern>\n",
            c = look.colour
        );
        self.defs.entry(name.clone()).or_insert(definition);
        format!("url(#{name})")
    }

    /// A key to the series, in rows that wrap; returns where the next thing
    /// may start.
    pub(crate) fn legend(
        &mut self,
        series: &[Series],
        looks: &[Look],
        top: f64,
        as_lines: bool,
    ) -> f64 {
        const SIZE: f64 = 12.0;
        const ROW: f64 = 20.0;
        let swatch = if as_lines { 28.0 } else { 14.0 };
        let (mut x, mut y) = (MARGIN, top + 14.0);

        for (run, look) in series.iter().zip(looks) {
            let (name, _) = fit(&run.name, 220.0, SIZE);
            let width = swatch + 6.0 + text_width(&name, SIZE);
            if x > MARGIN && x + width > WIDTH - MARGIN {
                x = MARGIN;
                y += ROW;
            }

            self.body.push_str("<g class=\"legend-entry\">");
            if as_lines {
                let dash = dash_attr(look);
                let _ = write!(
                    self.body,
                    "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" \
                     stroke-width=\"2.5\"{dash}/>",
                    px(x),
                    px(y - 4.0),
                    px(x + swatch),
                    px(y - 4.0),
                    look.colour
                );
                self.marker(look, x + swatch / 2.0, y - 4.0, 4.0, "legend-marker", None);
            } else {
                let fill = self.fill(look);
                let _ = write!(
                    self.body,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" \
                     stroke=\"{}\"/>",
                    px(x),
                    px(y - 11.0),
                    px(swatch),
                    px(swatch),
                    look.colour
                );
            }
            let attrs = format!("fill=\"{INK}\"");
            self.text(x + swatch + 6.0, y, SIZE, &attrs, &run.name, 220.0);
            self.body.push_str("</g>\n");

            x += width + 20.0;
        }
        y + 8.0
    }

    /// A point marker in the series' shape, with an optional tooltip.
    pub(crate) fn marker(
        &mut self,
        look: &Look,
        x: f64,
        y: f64,
        radius: f64,
        class: &str,
        tooltip: Option<&str>,
    ) {
        let r = radius;
        let paint = format!(
            "class=\"{class}\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"1\"",
            look.colour
        );
        let tag = match look.marker {
            Marker::Circle => {
                let _ = write!(
                    self.body,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" {paint}",
                    px(x),
                    px(y),
                    px(r)
                );
                "circle"
            }
            Marker::Square => {
                let side = r * 1.8;
                let _ = write!(
                    self.body,
                    "<rect x=\"{}\" y=\"{}\" width=\"{s}\" height=\"{s}\" {paint}",
                    px(x - side / 2.0),
                    px(y - side / 2.0),
                    s = px(side)
                );
                "rect"
            }
            Marker::Diamond | Marker::Triangle => {
                let d = if look.marker == Marker::Diamond {
                    let r = r * 1.25;
                    format!(
                        "M{} {}L{} {}L{} {}L{} {}Z",
                        px(x),
                        px(y - r),
                        px(x + r),
                        px(y),
                        px(x),
                        px(y + r),
                        px(x - r),
                        px(y)
                    )
                } else {
                    let r = r * 1.3;
                    format!(
                        "M{} {}L{} {}L{} {}Z",
                        px(x),
                        px(y - r),
                        px(x + r),
                        px(y + r * 0.8),
                        px(x - r),
                        px(y + r * 0.8)
                    )
                };
                let _ = write!(self.body, "<path d=\"{d}\" {paint}");
                "path"
            }
        };
        match tooltip {
            Some(tip) => {
                let _ = writeln!(self.body, "><title>{}</title></{tag}>", escape(tip));
            }
            None => self.body.push_str("/>\n"),
        }
    }

    /// The message for a chart with nothing in it, centred on a point.
    pub(crate) fn nothing_recorded(&mut self, x: f64, y: f64) {
        let width = text_width(NOTHING_RECORDED, 14.0) + 24.0;
        let _ = writeln!(
            self.body,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"28\" rx=\"4\" fill=\"#ffffff\" \
             fill-opacity=\"0.9\"/>",
            px(x - width / 2.0),
            px(y - 19.0),
            px(width)
        );
        let attrs = format!("class=\"empty\" text-anchor=\"middle\" fill=\"{MUTED}\"");
        self.text(x, y, 14.0, &attrs, NOTHING_RECORDED, WIDTH);
    }

    /// The title of a vertical axis, turned to read bottom to top.
    pub(crate) fn vertical_title(&mut self, title: &str, top: f64, bottom: f64) {
        if title.trim().is_empty() {
            return;
        }
        let (x, y) = (MARGIN, (top + bottom) / 2.0);
        let attrs = format!(
            "class=\"axis-title\" text-anchor=\"middle\" fill=\"{MUTED}\" \
             transform=\"rotate(-90 {} {})\"",
            px(x),
            px(y)
        );
        self.text(x, y, 12.0, &attrs, title, (bottom - top).max(60.0));
    }

    /// The title of a horizontal axis, centred under it.
    pub(crate) fn horizontal_title(&mut self, title: &str, left: f64, right: f64, y: f64) {
        if title.trim().is_empty() {
            return;
        }
        let attrs = format!("class=\"axis-title\" text-anchor=\"middle\" fill=\"{MUTED}\"");
        self.text((left + right) / 2.0, y, 12.0, &attrs, title, right - left);
    }
}

/// How a series is told apart: colour first, then a dash and a marker shape
/// (lines) or a hatch (areas) so that positive and negative never rely on
/// colour alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Look {
    pub colour: &'static str,
    pub dash: Option<&'static str>,
    pub marker: Marker,
    pub hatched: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    Circle,
    Square,
    Diamond,
    Triangle,
}

/// Okabe and Ito's colour-blind-safe colours, after the four that tones
/// take, for a second series of the same tone. Yellow is left out: it
/// cannot be read on white.
const MORE_COLOURS: [&str; 4] = ["#e69f00", "#56b4e9", "#cc79a7", "#000000"];

pub(crate) fn tone_colour(tone: Tone) -> &'static str {
    match tone {
        Tone::Positive => "#0072b2",
        Tone::Negative => "#d55e00",
        Tone::Neutral => "#767676",
        Tone::Accent => "#009e73",
    }
}

/// A look per series. Two series of one tone share its dash and marker but
/// not its colour.
pub(crate) fn looks(series: &[Series]) -> Vec<Look> {
    let mut taken: Vec<&'static str> = Vec::new();
    series
        .iter()
        .map(|run| {
            let own = tone_colour(run.tone);
            let colour = if taken.contains(&own) {
                MORE_COLOURS
                    .into_iter()
                    .find(|c| !taken.contains(c))
                    .unwrap_or(own)
            } else {
                own
            };
            taken.push(colour);
            let (dash, marker) = match run.tone {
                Tone::Positive => (None, Marker::Circle),
                Tone::Negative => (Some("7 4"), Marker::Square),
                Tone::Neutral => (Some("2 3"), Marker::Diamond),
                Tone::Accent => (None, Marker::Triangle),
            };
            Look {
                colour,
                dash,
                marker,
                hatched: run.tone == Tone::Negative,
            }
        })
        .collect()
}

pub(crate) fn dash_attr(look: &Look) -> String {
    look.dash
        .map(|d| format!(" stroke-dasharray=\"{d}\""))
        .unwrap_or_default()
}

/// A line of text for a tooltip: "category · series: value".
pub(crate) fn tooltip(category: &str, series: &str, value: &str) -> String {
    format!("{} \u{b7} {}: {value}", category.trim(), series.trim())
}

/// A coordinate or length: one decimal at most, no "-0".
pub(crate) fn px(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded == 0.0 {
        return "0".to_owned();
    }
    let text = format!("{rounded:.1}");
    text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
}

/// Text made safe for XML content and attribute values: markup characters
/// escaped, and characters XML 1.0 does not allow (control characters other
/// than tab and line breaks) dropped.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// What the chart shows in a sentence, for screen readers.
fn describe(chart: &Chart) -> String {
    let names: Vec<&str> = chart.series.iter().map(|s| s.name.trim()).collect();
    let what = match chart.kind {
        Kind::Line => "Line chart",
        Kind::Bars => "Bar chart",
        Kind::HorizontalBars => "Horizontal bar chart",
        Kind::Heatmap => "Heatmap",
    };
    let mut text = String::new();
    if !chart.subtitle.trim().is_empty() {
        text.push_str(chart.subtitle.trim());
        text.push_str(". ");
    }
    if chart.kind == Kind::Heatmap {
        let columns: Vec<&str> = chart.categories.iter().map(|c| c.trim()).collect();
        let _ = write!(
            text,
            "{what} of {} rows by {} ({}) and {} columns by {} ({})",
            names.len(),
            chart.y_label.trim(),
            names.join(", "),
            columns.len(),
            chart.x_label.trim(),
            columns.join(", ")
        );
    } else {
        let _ = write!(
            text,
            "{what} of {} by {} ({} categories)",
            names.join(", "),
            chart.x_label.trim(),
            chart.categories.len()
        );
    }
    text.push('.');
    if chart.is_empty() {
        let _ = write!(text, " {NOTHING_RECORDED}.");
    }
    text
}

/// A stable hash of everything the chart shows (FNV-1a), for its ids.
fn fingerprint(chart: &Chart) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for byte in bytes.iter().chain([&0xff]) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for text in [
        &chart.chart,
        &chart.title,
        &chart.subtitle,
        &chart.x_label,
        &chart.y_label,
    ] {
        eat(text.as_bytes());
    }
    eat(&[chart.kind as u8]);
    for category in &chart.categories {
        eat(category.as_bytes());
    }
    for run in &chart.series {
        eat(run.name.as_bytes());
        eat(&[run.tone as u8]);
        for value in &run.values {
            eat(&value.to_bits().to_le_bytes());
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_short() {
        assert_eq!(px(12.0), "12");
        assert_eq!(px(12.345), "12.3");
        assert_eq!(px(-0.01), "0");
        assert_eq!(px(-3.24), "-3.2");
    }

    #[test]
    fn markup_and_forbidden_characters_do_not_reach_the_document() {
        assert_eq!(
            escape("<b>Tom & \"Jo\" O'Neil</b>"),
            "&lt;b&gt;Tom &amp; &quot;Jo&quot; O&apos;Neil&lt;/b&gt;"
        );
        assert_eq!(escape("bell\u{7}\u{0}tab\t"), "belltab\t");
    }

    #[test]
    fn a_second_series_of_a_tone_takes_another_colour() {
        let series = [
            Series::new("This year", Tone::Positive, vec![]),
            Series::new("Last year", Tone::Positive, vec![]),
            Series::new("Sanctions", Tone::Negative, vec![]),
        ];
        let looks = looks(&series);
        assert_eq!(looks[0].colour, "#0072b2");
        assert_eq!(looks[1].colour, "#e69f00");
        assert_eq!(looks[1].marker, Marker::Circle);
        assert_eq!(looks[2].colour, "#d55e00");
        assert!(looks[2].hatched && looks[2].dash.is_some());
    }
}
