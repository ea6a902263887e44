//! Bars: grouped columns over the categories, or a row per category for long
//! names, each bar from zero to its value.

use std::fmt::Write;

use super::{
    AXIS, Canvas, GRID, INK, Look, MARGIN, MUTED, WIDTH, escape, looks, plot, px, tooltip,
};
use crate::Chart;
use crate::format::{Ticks, fit, label_number, text_width};

const VALUE_SIZE: f64 = 11.0;
/// More bars than this and vertical bars carry no value labels: they would
/// be too small to read, and the axis says enough.
const MOST_LABELLED_BARS: usize = 48;
/// The longest a category's name may be in a row of horizontal bars.
const ROW_LABEL_MAX: f64 = 220.0;

/// Draw grouped vertical bars below `top`; returns the chart's height.
pub(crate) fn vertical(canvas: &mut Canvas, chart: &Chart, top: f64) -> f64 {
    let looks = looks(&chart.series);
    let (plot, height) = plot::frame(canvas, chart, top, &looks, false);
    if chart.is_empty() {
        return height;
    }

    let per_group = chart.series.len().max(1) as f64;
    let band = plot.band();
    let group = band * if band > 24.0 { 0.78 } else { 0.9 };
    let gap = if group / per_group > 8.0 { 2.0 } else { 0.0 };
    let width = ((group - gap * (per_group - 1.0)) / per_group).max(0.5);
    let labelled = chart.values().count() <= MOST_LABELLED_BARS;

    for (c, category) in chart.categories.iter().enumerate() {
        let start = plot.centre(c) - group / 2.0;
        for (s, run) in chart.series.iter().enumerate() {
            let Some(value) = chart.value(s, c) else {
                continue;
            };
            let x = start + s as f64 * (width + gap);
            let (high, low) = (plot.y(value.max(0.0)), plot.y(value.min(0.0)));
            let label = label_number(value, plot.percent);
            let tip = tooltip(category, &run.name, &label);
            bar(canvas, &looks[s], (x, high, width, low - high), &tip);

            if labelled && width >= text_width(&label, VALUE_SIZE) + 2.0 {
                let y = if value < 0.0 { low + 13.0 } else { high - 4.0 };
                let attrs = format!("class=\"value\" text-anchor=\"middle\" fill=\"{INK}\"");
                canvas.text(x + width / 2.0, y, VALUE_SIZE, &attrs, &label, width + 4.0);
            }
        }
    }
    height
}

/// Draw a row of bars per category below `top`, the value axis along the
/// bottom; returns the chart's height, which grows with the categories.
pub(crate) fn horizontal(canvas: &mut Canvas, chart: &Chart, top: f64) -> f64 {
    let looks = looks(&chart.series);
    let legend_bottom = canvas.legend(&chart.series, &looks, top, false);
    let rows = Rows::new(chart, legend_bottom + 12.0);

    rows.draw_value_axis(canvas);
    canvas.vertical_title(&chart.x_label, rows.top, rows.bottom);
    canvas.horizontal_title(&chart.y_label, rows.start, rows.end, rows.bottom + 38.0);

    let empty = chart.is_empty();
    for c in 0..chart.categories.len() {
        rows.draw_row(canvas, chart, &looks, c, empty);
    }
    if empty {
        let centre = (rows.start + rows.end) / 2.0;
        canvas.nothing_recorded(centre, (rows.top + rows.bottom) / 2.0 + 5.0);
    }
    rows.bottom + 38.0 + MARGIN - 6.0
}

/// Where the rows of horizontal bars go.
struct Rows {
    ticks: Ticks,
    percent: bool,
    /// Right edge of the names.
    names_end: f64,
    /// Where the value axis starts and ends: inside it, room is kept for
    /// the labels past the ends of the bars.
    start: f64,
    end: f64,
    top: f64,
    bottom: f64,
    /// Height of a category's row, and of each bar in it.
    row: f64,
    bar: f64,
    per_row: usize,
}

impl Rows {
    fn new(chart: &Chart, top: f64) -> Rows {
        let percent = chart.is_percent();
        let widest_name = chart
            .categories
            .iter()
            .map(|c| text_width(&fit(c, ROW_LABEL_MAX, 12.0).0, 12.0))
            .fold(40.0, f64::max);
        let names_end = MARGIN + 22.0 + widest_name;
        let widest_value = |negative: bool| {
            chart
                .values()
                .filter(|v| (*v < 0.0) == negative)
                .map(|v| text_width(&label_number(v, percent), VALUE_SIZE) + 8.0)
                .fold(0.0, f64::max)
        };

        let per_row = chart.series.len().max(1);
        let row = if per_row == 1 {
            26.0
        } else {
            12.0 * per_row as f64 + 12.0
        };
        Rows {
            ticks: chart.value_ticks(),
            percent,
            names_end,
            start: names_end + 10.0 + widest_value(true),
            end: WIDTH - MARGIN - widest_value(false).max(12.0),
            top,
            bottom: top + (row * chart.categories.len() as f64).max(120.0),
            row,
            bar: row * 0.72 / per_row as f64,
            per_row,
        }
    }

    fn x(&self, value: f64) -> f64 {
        let share = (value - self.ticks.lo) / (self.ticks.hi - self.ticks.lo);
        self.start + share * (self.end - self.start)
    }

    /// Upright gridlines at each tick, labelled below the rows.
    fn draw_value_axis(&self, canvas: &mut Canvas) {
        canvas.body.push_str("<g class=\"value-axis\">\n");
        for value in self.ticks.values() {
            let colour = if value == 0.0 { AXIS } else { GRID };
            let _ = writeln!(
                canvas.body,
                "<line class=\"grid\" x1=\"{at}\" y1=\"{}\" x2=\"{at}\" y2=\"{}\" \
                 stroke=\"{colour}\" stroke-width=\"1\"/>",
                px(self.top),
                px(self.bottom),
                at = px(self.x(value)),
            );
            let attrs = format!("class=\"tick\" text-anchor=\"middle\" fill=\"{MUTED}\"");
            let label = self.ticks.label(value, self.percent);
            canvas.text(
                self.x(value),
                self.bottom + 16.0,
                12.0,
                &attrs,
                &label,
                WIDTH,
            );
        }
        canvas.body.push_str("</g>\n");
    }

    /// A category's name, then its bars each with its value at the end.
    fn draw_row(&self, canvas: &mut Canvas, chart: &Chart, looks: &[Look], c: usize, empty: bool) {
        let category = &chart.categories[c];
        let row_top = self.top + c as f64 * self.row;
        let attrs = format!("class=\"category\" text-anchor=\"end\" fill=\"{INK}\"");
        let baseline = row_top + self.row / 2.0 + 4.0;
        canvas.text(
            self.names_end,
            baseline,
            12.0,
            &attrs,
            category,
            ROW_LABEL_MAX,
        );
        if empty {
            return;
        }

        let first = row_top + (self.row - self.bar * self.per_row as f64) / 2.0;
        for (s, run) in chart.series.iter().enumerate() {
            let Some(value) = chart.value(s, c) else {
                continue;
            };
            let y = first + s as f64 * self.bar;
            let (from, to) = (self.x(value.min(0.0)), self.x(value.max(0.0)));
            let label = label_number(value, self.percent);
            let tip = tooltip(category, &run.name, &label);
            bar(
                canvas,
                &looks[s],
                (from, y, to - from, self.bar - 1.0),
                &tip,
            );

            let (at, anchor) = if value < 0.0 {
                (from - 4.0, "end")
            } else {
                (to + 4.0, "start")
            };
            let attrs = format!("class=\"value\" text-anchor=\"{anchor}\" fill=\"{INK}\"");
            let size = VALUE_SIZE.min(self.bar + 2.0);
            canvas.text(at, y + self.bar / 2.0 + 3.5, size, &attrs, &label, WIDTH);
        }
    }
}

/// One bar, `(x, y, width, height)`, in its series' look, with a tooltip.
fn bar(canvas: &mut Canvas, look: &Look, (x, y, width, height): (f64, f64, f64, f64), tip: &str) {
    let fill = canvas.fill(look);
    let _ = writeln!(
        canvas.body,
        "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" \
         stroke=\"{}\" stroke-width=\"1\"><title>{}</title></rect>",
        px(x),
        px(y),
        px(width),
        px(height),
        look.colour,
        escape(tip)
    );
}
