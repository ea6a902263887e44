//! The names along a horizontal axis: level when they fit, cut, turned or
//! thinned when they do not, so that no two ever overlap.

use std::fmt::Write;

use super::{Canvas, INK, escape, px};
use crate::format::{fit, text_width};

/// How the labels of a horizontal category axis are set so they never
/// overlap: every `step`th label, level or turned 45 degrees.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CategoryLabels {
    pub labels: Vec<String>,
    pub cut: Vec<bool>,
    pub turned: bool,
    pub step: usize,
    /// Height the labels take below the axis.
    pub height: f64,
    /// How far a turned label reaches left of its category's centre.
    pub reach: f64,
}

const LABEL_SIZE: f64 = 12.0;
/// Gap between two level labels.
const LABEL_GAP: f64 = 10.0;
/// How far apart turned labels must be so they do not touch.
const TURNED_PITCH: f64 = 20.0;
/// The longest a turned label may be before it is cut.
const TURNED_MAX: f64 = 150.0;
/// Room enough for a level label cut short to still say something.
const LEVEL_CUT_MIN: f64 = 70.0;

impl CategoryLabels {
    /// Plan labels `spacing` pixels apart. Lines thin their labels, which
    /// suits time; others turn them first, so every name can be shown.
    pub(crate) fn plan(categories: &[String], spacing: f64, may_turn: bool) -> CategoryLabels {
        let level_room = (spacing - LABEL_GAP).max(0.0);
        let widest_of = |labels: &[(String, bool)]| {
            labels
                .iter()
                .map(|(l, _)| text_width(l, LABEL_SIZE))
                .fold(0.0, f64::max)
        };
        let cut_to = |room: f64| -> Vec<(String, bool)> {
            categories
                .iter()
                .map(|c| fit(c, room, LABEL_SIZE))
                .collect()
        };

        let mut fitted = cut_to(TURNED_MAX);
        let mut widest = widest_of(&fitted);
        let (turned, step) = if widest <= level_room || categories.is_empty() {
            (false, 1)
        } else if level_room >= LEVEL_CUT_MIN {
            // Wide bands read better with level names cut short than turned.
            fitted = cut_to(level_room);
            widest = widest_of(&fitted);
            (false, 1)
        } else if may_turn {
            (true, (TURNED_PITCH / spacing).ceil().max(1.0) as usize)
        } else {
            (
                false,
                ((widest + LABEL_GAP) / spacing).ceil().max(1.0) as usize,
            )
        };

        let (labels, cut) = fitted.into_iter().unzip();
        let diagonal = std::f64::consts::FRAC_1_SQRT_2;
        let (height, reach) = if turned {
            (widest * diagonal + LABEL_SIZE + 8.0, widest * diagonal)
        } else {
            (LABEL_SIZE + 8.0, widest / 2.0)
        };
        CategoryLabels {
            labels,
            cut,
            turned,
            step,
            height,
            reach,
        }
    }

    /// Draw the planned labels under the axis at `y`, one per centre.
    pub(crate) fn draw(&self, canvas: &mut Canvas, categories: &[String], centres: &[f64], y: f64) {
        for (i, centre) in centres.iter().enumerate() {
            if i % self.step != 0 {
                continue;
            }
            let (Some(label), Some(full)) = (self.labels.get(i), categories.get(i)) else {
                continue;
            };
            let _ = if self.turned {
                let (x, y) = (centre + 4.0, y + 10.0);
                write!(
                    canvas.body,
                    "<text class=\"category\" x=\"{}\" y=\"{}\" font-size=\"{}\" \
                     text-anchor=\"end\" fill=\"{INK}\" transform=\"rotate(-45 {} {})\">{}",
                    px(x),
                    px(y),
                    px(LABEL_SIZE),
                    px(x),
                    px(y),
                    escape(label)
                )
            } else {
                write!(
                    canvas.body,
                    "<text class=\"category\" x=\"{}\" y=\"{}\" font-size=\"{}\" \
                     text-anchor=\"middle\" fill=\"{INK}\">{}",
                    px(*centre),
                    px(y + 16.0),
                    px(LABEL_SIZE),
                    escape(label)
                )
            };
            if self.cut[i] {
                let _ = write!(canvas.body, "<title>{}</title>", escape(full.trim()));
            }
            canvas.body.push_str("</text>\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_stay_level_when_they_fit() {
        let weeks: Vec<String> = (1..=6).map(|w| format!("Week {w}")).collect();
        let plan = CategoryLabels::plan(&weeks, 100.0, true);
        assert!(!plan.turned);
        assert_eq!(plan.step, 1);
    }

    #[test]
    fn long_labels_in_wide_bands_are_cut_level() {
        let types = ["Disruption of learning during the lesson".to_owned()];
        let plan = CategoryLabels::plan(&types, 120.0, true);
        assert!(!plan.turned);
        assert!(plan.cut[0]);
        assert!(text_width(&plan.labels[0], LABEL_SIZE) <= 110.0);
    }

    #[test]
    fn crowded_labels_turn_or_thin() {
        let weeks: Vec<String> = (0..60).map(|w| format!("2026-{w:02}-07")).collect();
        let thinned = CategoryLabels::plan(&weeks, 11.0, false);
        assert!(!thinned.turned);
        assert!(thinned.step as f64 * 11.0 >= text_width("2026-00-07", 12.0) + LABEL_GAP);
        let turned = CategoryLabels::plan(&weeks, 11.0, true);
        assert!(turned.turned);
        assert_eq!(turned.step, 2);
    }
}
