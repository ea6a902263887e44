//! A heatmap: a row per series, a column per category, each cell shaded by
//! its value and labelled with it.
//!
//! One scale serves the whole grid, in the colour of the first series' tone;
//! negative values, should there be any, take vermillion (or blue, when the
//! grid is already vermillion) so the two sides of zero cannot be confused.

use std::fmt::Write;

use super::{Canvas, CategoryLabels, INK, MARGIN, WIDTH, escape, px, tone_colour, tooltip};
use crate::format::{Ticks, fit, label_number, text_width};
use crate::{Chart, Tone};

const CELL_HEIGHT: f64 = 34.0;
const WIDEST_CELL: f64 = 96.0;
const ROW_LABEL_MAX: f64 = 180.0;
const VALUE_SIZE: f64 = 12.0;
/// The shade of a zero cell, light enough to read as nothing but still show
/// the grid.
const ZERO: Rgb = Rgb(0xf2, 0xf2, 0xf2);

/// Draw the heatmap below `top`; returns the chart's height.
pub(crate) fn draw(canvas: &mut Canvas, chart: &Chart, top: f64) -> f64 {
    let shade = Shade::new(chart, chart.value_ticks());
    let legend_bottom = shade.legend(canvas, top);

    let widest_name = chart
        .series
        .iter()
        .map(|s| text_width(&fit(&s.name, ROW_LABEL_MAX, 12.0).0, 12.0))
        .fold(40.0, f64::max);
    let left = MARGIN + 22.0 + widest_name + 10.0;
    let columns = chart.categories.len();
    let cell = ((WIDTH - MARGIN - left) / columns.max(1) as f64).min(WIDEST_CELL);
    let grid_top = legend_bottom + 14.0;
    // With no rows at all, room for the message that says so.
    let rows = if chart.series.is_empty() {
        3
    } else {
        chart.series.len()
    };
    let grid_bottom = grid_top + CELL_HEIGHT * rows as f64;
    let grid_right = left + cell * columns as f64;
    let empty = chart.is_empty();

    for r in 0..chart.series.len() {
        let y = grid_top + r as f64 * CELL_HEIGHT;
        draw_row(canvas, chart, &shade, r, (left, y, cell), empty);
    }

    let labels = CategoryLabels::plan(&chart.categories, cell, true);
    let centres: Vec<f64> = (0..columns)
        .map(|c| left + (c as f64 + 0.5) * cell)
        .collect();
    labels.draw(canvas, &chart.categories, &centres, grid_bottom);
    canvas.vertical_title(&chart.y_label, grid_top, grid_bottom);
    let title_y = grid_bottom + labels.height + 18.0;
    canvas.horizontal_title(&chart.x_label, left, grid_right.max(left + 200.0), title_y);
    if empty {
        let centre = ((left + grid_right) / 2.0).clamp(MARGIN + 150.0, WIDTH - MARGIN - 150.0);
        canvas.nothing_recorded(centre, (grid_top + grid_bottom) / 2.0 + 5.0);
    }
    title_y + MARGIN - 6.0
}

/// A series' name, then its cells from `(left, y)`, each `cell` wide.
fn draw_row(
    canvas: &mut Canvas,
    chart: &Chart,
    shade: &Shade,
    r: usize,
    (left, y, cell): (f64, f64, f64),
    empty: bool,
) {
    let run = &chart.series[r];
    let attrs = format!("class=\"row\" text-anchor=\"end\" fill=\"{INK}\"");
    let baseline = y + CELL_HEIGHT / 2.0 + 4.0;
    canvas.text(
        left - 10.0,
        baseline,
        12.0,
        &attrs,
        &run.name,
        ROW_LABEL_MAX,
    );

    for (c, category) in chart.categories.iter().enumerate() {
        let x = left + c as f64 * cell;
        let value = chart.value(r, c);
        let shown = value.map_or("no value".to_owned(), |v| label_number(v, false));
        let tip = tooltip(category, &run.name, &shown);
        draw_cell(canvas, shade, (x, y, cell), value, &tip, empty);
    }
}

/// One cell: its shade, a tooltip, and its value where it fits.
fn draw_cell(
    canvas: &mut Canvas,
    shade: &Shade,
    (x, y, width): (f64, f64, f64),
    value: Option<f64>,
    tip: &str,
    empty: bool,
) {
    let (fill, border) = match value {
        Some(v) => (
            shade.colour(v),
            "stroke=\"#ffffff\" stroke-width=\"2\"".to_owned(),
        ),
        None => (
            Rgb(0xff, 0xff, 0xff),
            "stroke=\"#bbbbbb\" stroke-width=\"1\" stroke-dasharray=\"3 2\"".to_owned(),
        ),
    };
    let _ = writeln!(
        canvas.body,
        "<rect class=\"cell\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" \
         {border}><title>{}</title></rect>",
        px(x),
        px(y),
        px(width),
        px(CELL_HEIGHT),
        escape(tip)
    );

    let Some(value) = value.filter(|_| !empty) else {
        return;
    };
    let label = label_number(value, false);
    if text_width(&label, VALUE_SIZE) + 6.0 > width {
        return;
    }
    let attrs = format!(
        "class=\"cell-value\" text-anchor=\"middle\" fill=\"{}\"",
        fill.ink()
    );
    canvas.text(
        x + width / 2.0,
        y + CELL_HEIGHT / 2.0 + 4.0,
        VALUE_SIZE,
        &attrs,
        &label,
        width,
    );
}

/// How values map to colours.
struct Shade {
    ticks: Ticks,
    above: Rgb,
    below: Rgb,
}

impl Shade {
    fn new(chart: &Chart, ticks: Ticks) -> Shade {
        let tone = chart.series.first().map_or(Tone::Negative, |s| s.tone);
        let above = Rgb::parse(tone_colour(tone));
        let below = if tone == Tone::Negative {
            Rgb::parse(tone_colour(Tone::Positive))
        } else {
            Rgb::parse(tone_colour(Tone::Negative))
        };
        Shade {
            ticks,
            above,
            below,
        }
    }

    /// Zero is pale grey, the scale's ends are the full colour, and any other
    /// value is at least a tint so it does not pass for zero.
    fn colour(&self, value: f64) -> Rgb {
        let (end, full) = if value < 0.0 {
            (self.ticks.lo, self.below)
        } else {
            (self.ticks.hi, self.above)
        };
        if value == 0.0 || end == 0.0 {
            return ZERO;
        }
        let share = (value / end).clamp(0.0, 1.0);
        ZERO.mix(full, 0.15 + 0.85 * share)
    }

    /// A swatch per round value across the top; returns where the next thing
    /// may start.
    fn legend(&self, canvas: &mut Canvas, top: f64) -> f64 {
        const SWATCH: f64 = 36.0;
        canvas.body.push_str("<g class=\"scale\">\n");
        for (i, value) in self.ticks.values().enumerate() {
            let x = MARGIN + i as f64 * SWATCH;
            let _ = writeln!(
                canvas.body,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\" fill=\"{}\"/>",
                px(x),
                px(top + 6.0),
                px(SWATCH),
                self.colour(value)
            );
            let attrs = format!("text-anchor=\"middle\" fill=\"{INK}\"");
            let label = self.ticks.label(value, false);
            canvas.text(x + SWATCH / 2.0, top + 32.0, 11.0, &attrs, &label, SWATCH);
        }
        canvas.body.push_str("</g>\n");
        top + 38.0
    }
}

/// A colour in sRGB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rgb(u8, u8, u8);

impl Rgb {
    /// `#rrggbb`, as the palette writes them.
    fn parse(hex: &str) -> Rgb {
        let part = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
        Rgb(part(1), part(3), part(5))
    }

    /// Part way from this colour to another.
    fn mix(self, other: Rgb, share: f64) -> Rgb {
        let blend =
            |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * share).round() as u8;
        Rgb(
            blend(self.0, other.0),
            blend(self.1, other.1),
            blend(self.2, other.2),
        )
    }

    /// Relative luminance, as WCAG defines it.
    fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }

    /// The text colour that contrasts more with this one: ink or white.
    fn ink(self) -> &'static str {
        let background = self.luminance();
        let on_ink = (background + 0.05) / (Rgb::parse(INK).luminance() + 0.05);
        let on_white = 1.05 / (background + 0.05);
        if on_white > on_ink { "#ffffff" } else { INK }
    }
}

impl std::fmt::Display for Rgb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_round_trip_through_hex() {
        assert_eq!(Rgb::parse("#d55e00").to_string(), "#d55e00");
    }

    #[test]
    fn text_contrasts_with_its_cell() {
        assert_eq!(ZERO.ink(), INK);
        assert_eq!(Rgb::parse("#0072b2").ink(), "#ffffff");
        assert_eq!(Rgb::parse("#d55e00").ink(), INK);
        assert_eq!(Rgb(0xff, 0xff, 0xff).ink(), INK);
    }
}
