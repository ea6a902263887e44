//! Every kind of chart is a well-formed SVG that says what it shows, keeps
//! hostile names as text, and keeps crowded labels apart.

mod common;

use chart::{Chart, Kind, Series, Tone, to_svg};
use common::*;
use roxmltree::{Document, Node};

const SVG: &str = "http://www.w3.org/2000/svg";

fn parse(svg: &str) -> Document<'_> {
    Document::parse(svg).unwrap_or_else(|e| panic!("not well-formed: {e}\n{svg}"))
}

fn with_class<'a>(document: &'a Document, tag: &str, class: &str) -> Vec<Node<'a, 'a>> {
    document
        .descendants()
        .filter(|n| n.has_tag_name(tag))
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split(' ').any(|c| c == class))
        })
        .collect()
}

fn number(node: &Node, attribute: &str) -> f64 {
    node.attribute(attribute)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{attribute} on {node:?}"))
}

/// The text a person sees in an element, without its tooltip.
fn shown(node: &Node) -> String {
    node.children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

fn tooltip(node: &Node) -> Option<String> {
    node.children()
        .find(|n| n.has_tag_name("title"))
        .and_then(|t| t.text())
        .map(str::to_owned)
}

#[test]
fn every_sample_is_a_titled_described_svg_document() {
    for (name, chart) in samples() {
        let svg = to_svg(&chart);
        let document = parse(&svg);
        let root = document.root_element();
        assert_eq!(root.tag_name().namespace(), Some(SVG), "{name}");
        assert_eq!(root.tag_name().name(), "svg", "{name}");
        assert_eq!(root.attribute("role"), Some("img"), "{name}");
        assert_eq!(root.attribute("width"), Some("800"), "{name}");
        assert!(
            root.attribute("viewBox").unwrap().starts_with("0 0 800 "),
            "{name}"
        );

        let mut children = root.children().filter(Node::is_element);
        let title = children.next().unwrap();
        assert!(title.has_tag_name("title"), "{name}");
        assert_eq!(title.text(), Some(chart.title.as_str()), "{name}");
        let desc = children.next().unwrap();
        assert!(desc.has_tag_name("desc"), "{name}");

        let labelled_by: Vec<&str> = root
            .attribute("aria-labelledby")
            .unwrap()
            .split(' ')
            .collect();
        assert_eq!(
            labelled_by,
            [
                title.attribute("id").unwrap(),
                desc.attribute("id").unwrap()
            ]
        );
    }
}

#[test]
fn there_is_a_legend_entry_per_series() {
    for (name, chart) in samples() {
        let svg = to_svg(&chart);
        let document = parse(&svg);
        if chart.kind == Kind::Heatmap {
            let rows: Vec<String> = with_class(&document, "text", "row")
                .iter()
                .map(shown)
                .collect();
            let names: Vec<&str> = chart.series.iter().map(|s| s.name.as_str()).collect();
            assert_eq!(rows, names, "{name}");
            assert_eq!(with_class(&document, "g", "scale").len(), 1, "{name}");
            continue;
        }
        let entries = with_class(&document, "g", "legend-entry");
        assert_eq!(entries.len(), chart.series.len(), "{name}");
        for (entry, series) in entries.iter().zip(&chart.series) {
            let text = entry
                .descendants()
                .find(|n| n.has_tag_name("text"))
                .unwrap();
            let full = tooltip(&text).unwrap_or_else(|| shown(&text));
            assert_eq!(full, series.name, "{name}");
        }
    }
}

#[test]
fn a_line_has_a_point_per_value() {
    let chart = positives_negatives();
    let svg = to_svg(&chart);
    let document = parse(&svg);
    assert_eq!(with_class(&document, "polyline", "line").len(), 2);
    let points: Vec<Node> = document
        .descendants()
        .filter(|n| n.attribute("class") == Some("point"))
        .collect();
    assert_eq!(points.len(), 2 * 15);
    assert_eq!(
        points.iter().filter(|p| p.has_tag_name("circle")).count(),
        15
    );
    assert_eq!(points.iter().filter(|p| p.has_tag_name("rect")).count(), 15);
    let dashed = with_class(&document, "polyline", "line")
        .iter()
        .filter(|l| l.attribute("stroke-dasharray").is_some())
        .count();
    assert_eq!(dashed, 1, "the negative line is dashed, the positive solid");
    assert_eq!(
        tooltip(&points[0]).unwrap(),
        format!("2026-09-07 \u{b7} Positive: {}", chart.series[0].values[0])
    );
}

#[test]
fn bars_are_grouped_and_negative_ones_hatched() {
    let chart = year_groups();
    let svg = to_svg(&chart);
    let document = parse(&svg);
    let bars = with_class(&document, "rect", "bar");
    assert_eq!(bars.len(), 5 * 2);
    let hatched = bars
        .iter()
        .filter(|b| b.attribute("fill").unwrap().starts_with("url(#"))
        .count();
    assert_eq!(hatched, 5);
    let pattern = document
        .descendants()
        .find(|n| n.has_tag_name("pattern"))
        .unwrap();
    assert!(
        bars[1]
            .attribute("fill")
            .unwrap()
            .contains(pattern.attribute("id").unwrap())
    );

    // Taller bars for larger values.
    let height = |i: usize| number(&bars[i], "height");
    assert!(
        height(0) > height(1),
        "412 positives stand above 35 negatives"
    );
}

#[test]
fn horizontal_bars_have_a_row_per_category_and_value_labels() {
    let chart = top_pupils();
    let svg = to_svg(&chart);
    let document = parse(&svg);
    let bars = with_class(&document, "rect", "bar");
    assert_eq!(bars.len(), 12);
    let names: Vec<String> = with_class(&document, "text", "category")
        .iter()
        .map(|t| tooltip(t).unwrap_or_else(|| shown(t)))
        .collect();
    assert_eq!(names, PUPILS);
    let values: Vec<String> = with_class(&document, "text", "value")
        .iter()
        .map(shown)
        .collect();
    assert_eq!(values[0], "480");
    assert_eq!(values.len(), 12);
    let widths: Vec<f64> = bars.iter().map(|b| number(b, "width")).collect();
    assert!(widths.windows(2).all(|w| w[0] > w[1]), "{widths:?}");
}

#[test]
fn a_heatmap_has_a_cell_per_value_each_labelled() {
    let chart = when_incidents_happen();
    let svg = to_svg(&chart);
    let document = parse(&svg);
    assert_eq!(with_class(&document, "rect", "cell").len(), 5 * 8);
    let labels: Vec<String> = with_class(&document, "text", "cell-value")
        .iter()
        .map(shown)
        .collect();
    assert_eq!(labels.len(), 5 * 8);
    assert_eq!(labels[0], chart.series[0].values[0].to_string());
    let columns: Vec<String> = with_class(&document, "text", "category")
        .iter()
        .map(shown)
        .collect();
    assert_eq!(columns, chart.categories);
}

#[test]
fn a_heatmap_shades_larger_values_darker() {
    let mut chart = when_incidents_happen();
    chart.categories.truncate(2);
    chart.series = vec![Series::new("Monday", Tone::Negative, vec![1.0, 20.0])];
    let svg = to_svg(&chart);
    let document = parse(&svg);
    let cells = with_class(&document, "rect", "cell");
    let red = |node: &Node| u8::from_str_radix(&node.attribute("fill").unwrap()[3..5], 16).unwrap();
    assert!(
        red(&cells[0]) > red(&cells[1]),
        "green falls as vermillion deepens"
    );
}

#[test]
fn hostile_names_stay_text() {
    for kind in [Kind::Line, Kind::Bars, Kind::HorizontalBars, Kind::Heatmap] {
        let chart = hostile(kind);
        let svg = to_svg(&chart);
        let document = parse(&svg);

        for tag in ["script", "img", "b", "foreignObject", "image", "a"] {
            assert!(
                !document.descendants().any(|n| n.has_tag_name(tag)),
                "{kind:?} <{tag}>"
            );
        }
        assert!(!svg.contains("<script"), "{kind:?}");
        assert!(
            !document
                .descendants()
                .any(|n| n.attribute("onload").is_some()),
            "{kind:?}"
        );

        let texts: Vec<&str> = document.descendants().filter_map(|n| n.text()).collect();
        assert_eq!(
            document
                .root_element()
                .first_element_child()
                .unwrap()
                .text(),
            Some(chart.title.as_str())
        );
        for name in chart
            .categories
            .iter()
            .chain(chart.series.iter().map(|s| &s.name))
        {
            let found =
                texts.iter().any(|t| t == name) || texts.iter().any(|t| t.contains(name.as_str()));
            assert!(found, "{kind:?} lost {name}");
        }
    }
}

#[test]
fn characters_xml_forbids_are_dropped() {
    let mut chart = year_groups();
    chart.categories[0] = "Year\u{1} 7\u{0}".into();
    let svg = to_svg(&chart);
    parse(&svg);
    assert!(svg.contains(">Year 7<"));
}

#[test]
fn sixty_weeks_of_labels_are_thinned_apart() {
    let chart = a_year_of_weeks();
    let svg = to_svg(&chart);
    let document = parse(&svg);
    let labels = with_class(&document, "text", "category");
    assert!(labels.len() < 60, "thinned: {}", labels.len());
    assert!(
        labels.len() >= 6,
        "still a label every few weeks: {}",
        labels.len()
    );
    assert!(labels.iter().all(|l| l.attribute("transform").is_none()));
    let xs: Vec<f64> = labels.iter().map(|l| number(l, "x")).collect();
    // A date label is at most ten characters at 12px: well under 70px wide.
    assert!(xs.windows(2).all(|w| w[1] - w[0] >= 70.0), "{xs:?}");
    assert_eq!(with_class(&document, "circle", "point").len(), 60);
}

#[test]
fn forty_long_names_under_bars_are_turned_cut_and_kept_as_tooltips() {
    let chart = many_pupils(Kind::Bars);
    let svg = to_svg(&chart);
    let document = parse(&svg);
    let labels = with_class(&document, "text", "category");
    assert!(
        labels
            .iter()
            .all(|l| l.attribute("transform").unwrap().starts_with("rotate(-45"))
    );
    let xs: Vec<f64> = labels.iter().map(|l| number(l, "x")).collect();
    // Turned 45 degrees, labels 12px high need about 17px between them.
    assert!(xs.windows(2).all(|w| w[1] - w[0] >= 17.0), "{xs:?}");
    assert!(
        labels.len() >= 20,
        "at least every other name: {}",
        labels.len()
    );
    for label in &labels {
        let text = shown(label);
        assert!(text.ends_with('\u{2026}'), "{text}");
        let full = tooltip(label).unwrap();
        assert!(chart.categories.contains(&full), "{full}");
        assert!(full.starts_with(text.trim_end_matches('\u{2026}')));
    }
    assert!(
        xs[0] > 100.0,
        "the first turned name stays on the canvas: {}",
        xs[0]
    );
}

#[test]
fn forty_long_names_in_rows_grow_the_chart() {
    let chart = many_pupils(Kind::HorizontalBars);
    let svg = to_svg(&chart);
    let document = parse(&svg);
    let height = number(&document.root_element(), "height");
    assert!(height > 40.0 * 30.0, "{height}");
    let labels = with_class(&document, "text", "category");
    assert_eq!(labels.len(), 40);
    let ys: Vec<f64> = labels.iter().map(|l| number(l, "y")).collect();
    assert!(ys.windows(2).all(|w| w[1] - w[0] >= 16.0), "{ys:?}");
    assert_eq!(with_class(&document, "rect", "bar").len(), 80);
}

#[test]
fn empty_charts_keep_their_axes_and_say_nothing_was_recorded() {
    for kind in [Kind::Line, Kind::Bars, Kind::HorizontalBars, Kind::Heatmap] {
        let chart = empty(kind);
        let svg = to_svg(&chart);
        let document = parse(&svg);
        let message = with_class(&document, "text", "empty");
        assert_eq!(message.len(), 1, "{kind:?}");
        assert_eq!(shown(&message[0]), "No behaviour recorded in this period");
        assert!(with_class(&document, "rect", "bar").is_empty(), "{kind:?}");
        assert!(!svg.contains("class=\"point\""), "{kind:?}");
        if kind == Kind::Heatmap {
            assert!(with_class(&document, "text", "cell-value").is_empty());
        } else {
            let ticks: Vec<String> = with_class(&document, "text", "tick")
                .iter()
                .map(shown)
                .collect();
            assert_eq!(ticks, ["0", "1", "2", "3", "4", "5"], "{kind:?}");
        }
    }
}

#[test]
fn a_chart_with_no_categories_or_series_still_renders() {
    for kind in [Kind::Line, Kind::Bars, Kind::HorizontalBars, Kind::Heatmap] {
        let bare = chart(kind, "", "", Vec::new());
        let svg = to_svg(&bare);
        let document = parse(&svg);
        assert_eq!(with_class(&document, "text", "empty").len(), 1, "{kind:?}");
    }
}

#[test]
fn negative_bars_hang_below_the_zero_line() {
    let chart = net_points_by_class();
    let svg = to_svg(&chart);
    let document = parse(&svg);
    let ticks: Vec<String> = with_class(&document, "text", "tick")
        .iter()
        .map(shown)
        .collect();
    assert_eq!(ticks, ["\u{2212}40", "\u{2212}20", "0", "20", "40", "60"]);
    let bars = with_class(&document, "rect", "bar");
    let zero = number(&bars[4], "y");
    assert_eq!(number(&bars[4], "height"), 0.0);
    assert_eq!(
        number(&bars[1], "y"),
        zero,
        "-12 starts at zero and goes down"
    );
    assert!(number(&bars[0], "y") + number(&bars[0], "height") - zero < 0.2);
    let values: Vec<String> = with_class(&document, "text", "value")
        .iter()
        .map(shown)
        .collect();
    assert!(values.contains(&"\u{2212}12".to_owned()));
    assert!(values.contains(&"8.5".to_owned()));
}

#[test]
fn negative_values_on_every_kind_render() {
    for kind in [Kind::Line, Kind::Bars, Kind::HorizontalBars, Kind::Heatmap] {
        let mut chart = net_points_by_pupil();
        chart.kind = kind;
        let svg = to_svg(&chart);
        let document = parse(&svg);
        let text: String = document.descendants().filter_map(|n| n.text()).collect();
        assert!(text.contains("\u{2212}42"), "{kind:?}");
    }
}

#[test]
fn percentages_are_labelled_as_such() {
    let chart = types_breakdown();
    let svg = to_svg(&chart);
    let document = parse(&svg);
    let ticks: Vec<String> = with_class(&document, "text", "tick")
        .iter()
        .map(shown)
        .collect();
    assert!(ticks.iter().all(|t| t.ends_with('%')), "{ticks:?}");
    let values: Vec<String> = with_class(&document, "text", "value")
        .iter()
        .map(shown)
        .collect();
    assert!(values.contains(&"9.5%".to_owned()), "{values:?}");
}

#[test]
fn large_numbers_are_separated() {
    let chart = a_year_of_weeks();
    let svg = to_svg(&chart);
    let document = parse(&svg);
    let ticks: Vec<String> = with_class(&document, "text", "tick")
        .iter()
        .map(shown)
        .collect();
    assert!(ticks.contains(&"1,000".to_owned()), "{ticks:?}");
}

#[test]
fn mismatched_series_are_drawn_with_gaps() {
    let mut chart = year_groups();
    chart.series[0].values.truncate(3);
    chart.series[1].values.push(99.0);
    chart.series[1].values[0] = f64::NAN;
    assert!(chart.validate().is_err());
    let svg = to_svg(&chart);
    let document = parse(&svg);
    assert_eq!(with_class(&document, "rect", "bar").len(), 3 + 4);

    chart.kind = Kind::Line;
    let svg = to_svg(&chart);
    let document = parse(&svg);
    assert_eq!(with_class(&document, "polyline", "line").len(), 2);
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
}

#[test]
fn the_same_chart_gives_the_same_bytes_and_another_other_ids() {
    let first = to_svg(&year_groups());
    assert_eq!(first, to_svg(&year_groups()));
    let other = to_svg(&net_points_by_class());
    let id = |svg: &str| {
        let document = parse(svg);
        document
            .root_element()
            .first_element_child()
            .unwrap()
            .attribute("id")
            .unwrap()
            .to_owned()
    };
    assert_ne!(id(&first), id(&other));
}

#[test]
fn nothing_is_fetched_or_run() {
    for (name, chart) in samples()
        .into_iter()
        .chain([("hostile", hostile(Kind::Bars))])
    {
        let svg = to_svg(&chart);
        let document = parse(&svg);
        assert_eq!(svg.matches("http").count(), 1, "{name}: only the namespace");
        for node in document.descendants() {
            for attribute in node.attributes() {
                assert!(
                    !attribute.name().starts_with("on"),
                    "{name}: {}",
                    attribute.name()
                );
                assert_ne!(attribute.name(), "href", "{name}");
                assert_ne!(attribute.name(), "style", "{name}");
            }
        }
    }
}

#[test]
fn a_long_title_is_cut_but_kept_whole_for_screen_readers() {
    let mut chart: Chart = positives_negatives();
    chart.title =
        "Positive and negative behaviours for every pupil in Year 9 across the whole autumn term"
            .into();
    let svg = to_svg(&chart);
    let document = parse(&svg);
    let heading = with_class(&document, "text", "chart-title");
    assert!(shown(&heading[0]).ends_with('\u{2026}'));
    assert_eq!(tooltip(&heading[0]).as_deref(), Some(chart.title.as_str()));
    assert_eq!(
        document
            .root_element()
            .first_element_child()
            .unwrap()
            .text(),
        Some(chart.title.as_str())
    );
}
