//! The frame lines and vertical bars share: a value axis up the left with
//! round ticks and gridlines, categories along the bottom, the legend above.

use std::fmt::Write;

use super::{AXIS, Canvas, CategoryLabels, GRID, Look, MARGIN, MUTED, WIDTH, px};
use crate::Chart;
use crate::format::{Ticks, text_width};

/// Height of the area values are drawn in.
const PLOT_HEIGHT: f64 = 300.0;
const TICK_SIZE: f64 = 12.0;

/// Where values land on the canvas.
pub(crate) struct Plot {
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub ticks: Ticks,
    pub percent: bool,
    /// How many categories the width is shared by (at least one).
    slots: usize,
}

impl Plot {
    /// The height on the canvas of a value.
    pub(crate) fn y(&self, value: f64) -> f64 {
        let share = (value - self.ticks.lo) / (self.ticks.hi - self.ticks.lo);
        self.bottom - share * (self.bottom - self.top)
    }

    /// The width each category has.
    pub(crate) fn band(&self) -> f64 {
        (self.right - self.left) / self.slots as f64
    }

    /// The middle of a category's band.
    pub(crate) fn centre(&self, category: usize) -> f64 {
        self.left + (category as f64 + 0.5) * self.band()
    }
}

/// Draw the legend, the axes, the gridlines and the labels; returns the plot
/// to draw values in and the height of the whole chart.
pub(crate) fn frame(
    canvas: &mut Canvas,
    chart: &Chart,
    top: f64,
    looks: &[Look],
    as_lines: bool,
) -> (Plot, f64) {
    let legend_bottom = canvas.legend(&chart.series, looks, top, as_lines);
    let percent = chart.is_percent();
    let ticks = chart.value_ticks();

    let widest_tick = ticks
        .values()
        .map(|v| text_width(&ticks.label(v, percent), TICK_SIZE))
        .fold(0.0, f64::max);
    let mut left = MARGIN + 22.0 + widest_tick + 8.0;
    let mut right = WIDTH - MARGIN;
    let slots = chart.categories.len().max(1);

    // A turned first label reaches left of its band, a level last one may
    // reach past the edge; make room for them.
    let band = (right - left) / slots as f64;
    let labels = CategoryLabels::plan(&chart.categories, band, !as_lines);
    if labels.turned {
        left = left.max(MARGIN + labels.reach - band / 2.0 + 4.0);
    } else {
        right = right.min(WIDTH - 8.0 - labels.reach + band / 2.0);
    }
    let labels = CategoryLabels::plan(&chart.categories, (right - left) / slots as f64, !as_lines);

    let plot_top = legend_bottom + 16.0;
    let plot = Plot {
        left,
        right,
        top: plot_top,
        bottom: plot_top + PLOT_HEIGHT,
        ticks,
        percent,
        slots,
    };

    draw_value_axis(canvas, &plot);
    let centres: Vec<f64> = (0..chart.categories.len())
        .map(|c| plot.centre(c))
        .collect();
    labels.draw(canvas, &chart.categories, &centres, plot.bottom);
    canvas.vertical_title(&chart.y_label, plot.top, plot.bottom);
    let title_y = plot.bottom + labels.height + 18.0;
    canvas.horizontal_title(&chart.x_label, plot.left, plot.right, title_y);
    if chart.is_empty() {
        canvas.nothing_recorded(
            (plot.left + plot.right) / 2.0,
            (plot.top + plot.bottom) / 2.0,
        );
    }

    (plot, title_y + MARGIN - 6.0)
}

/// Gridlines at each tick with its label, the zero line darker.
fn draw_value_axis(canvas: &mut Canvas, plot: &Plot) {
    canvas.body.push_str("<g class=\"value-axis\">\n");
    for value in plot.ticks.values() {
        let y = plot.y(value);
        let colour = if value == 0.0 { AXIS } else { GRID };
        let _ = writeln!(
            canvas.body,
            "<line class=\"grid\" x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{colour}\" \
             stroke-width=\"1\"/>",
            px(plot.left),
            px(plot.right),
            y = px(y),
        );
        let label = plot.ticks.label(value, plot.percent);
        let attrs = format!("class=\"tick\" text-anchor=\"end\" fill=\"{MUTED}\"");
        canvas.text(plot.left - 8.0, y + 4.0, TICK_SIZE, &attrs, &label, WIDTH);
    }
    let _ = writeln!(
        canvas.body,
        "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"{AXIS}\" stroke-width=\"1\"/>",
        px(plot.top),
        px(plot.bottom),
        x = px(plot.left),
    );
    canvas.body.push_str("</g>\n");
}
