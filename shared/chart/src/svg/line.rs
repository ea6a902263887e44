//! Lines: one per series across the categories, a marker at each value, a
//! break where a value is missing.

use std::fmt::Write;

use super::{Canvas, dash_attr, looks, plot, px, tooltip};
use crate::Chart;
use crate::format::label_number;

/// Draw a line chart below `top`; returns the chart's height.
pub(crate) fn draw(canvas: &mut Canvas, chart: &Chart, top: f64) -> f64 {
    let looks = looks(&chart.series);
    let (plot, height) = plot::frame(canvas, chart, top, &looks, true);
    if chart.is_empty() {
        return height;
    }
    let radius = if plot.band() < 9.0 { 2.5 } else { 3.5 };

    for (s, (run, look)) in chart.series.iter().zip(&looks).enumerate() {
        let points: Vec<Option<(f64, f64)>> = (0..chart.categories.len())
            .map(|c| chart.value(s, c).map(|v| (plot.centre(c), plot.y(v))))
            .collect();

        canvas.body.push_str("<g class=\"series\">\n");
        for stretch in points.split(Option::is_none) {
            if stretch.len() < 2 {
                continue;
            }
            let coordinates: Vec<String> = stretch
                .iter()
                .flatten()
                .map(|(x, y)| format!("{},{}", px(*x), px(*y)))
                .collect();
            let _ = writeln!(
                canvas.body,
                "<polyline class=\"line\" points=\"{}\" fill=\"none\" stroke=\"{}\" \
                 stroke-width=\"2.5\" stroke-linejoin=\"round\"{}/>",
                coordinates.join(" "),
                look.colour,
                dash_attr(look)
            );
        }
        for (c, point) in points.iter().enumerate() {
            let (Some((x, y)), Some(value)) = (point, chart.value(s, c)) else {
                continue;
            };
            let value = label_number(value, plot.percent);
            let tip = tooltip(&chart.categories[c], &run.name, &value);
            canvas.marker(look, *x, *y, radius, "point", Some(&tip));
        }
        canvas.body.push_str("</g>\n");
    }
    height
}
