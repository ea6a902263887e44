//! Charts like the ones the charts function builds, for the tests and the
//! samples a reviewer looks at.

#![allow(dead_code)]

use chart::{Chart, Kind, Series, Tone};

pub fn chart(kind: Kind, x_label: &str, y_label: &str, categories: Vec<String>) -> Chart {
    Chart {
        chart: "sample".into(),
        title: "Sample".into(),
        subtitle: "Year 9 \u{b7} 1 Sep 2026 to 18 Dec 2026 \u{b7} by week".into(),
        kind,
        x_label: x_label.into(),
        y_label: y_label.into(),
        categories,
        series: Vec::new(),
    }
}

/// Monday of each week from 7 September 2026, as ISO dates.
pub fn weeks(count: usize) -> Vec<String> {
    const DAYS: [u32; 12] = [30, 31, 30, 31, 31, 28, 31, 30, 31, 30, 31, 31];
    let (mut year, mut month, mut day) = (2026, 9, 7);
    let mut weeks = Vec::new();
    for _ in 0..count {
        weeks.push(format!("{year}-{month:02}-{day:02}"));
        day += 7;
        let length = DAYS[(month as usize + 2) % 12];
        if day > length {
            day -= length;
            month += 1;
            if month > 12 {
                month = 1;
                year += 1;
            }
        }
    }
    weeks
}

/// A made-up but steady run of counts.
pub fn counts(count: usize, seed: u64, scale: f64) -> Vec<f64> {
    (0..count)
        .map(|i| {
            let wobble = ((i as u64 * 7 + seed * 13) % 11) as f64;
            (scale * (0.6 + 0.4 * (i as f64 / 3.0).sin()) + wobble).round()
        })
        .collect()
}

pub fn positives_negatives() -> Chart {
    let mut chart = chart(Kind::Line, "Week", "Behaviours", weeks(15));
    chart.chart = "positives-negatives".into();
    chart.title = "Positive and negative behaviours".into();
    chart.series = vec![
        Series::new("Positive", Tone::Positive, counts(15, 1, 120.0)),
        Series::new("Negative", Tone::Negative, counts(15, 2, 30.0)),
    ];
    chart
}

pub fn a_year_of_weeks() -> Chart {
    let mut chart = chart(Kind::Line, "Week", "Behaviours", weeks(60));
    chart.title = "Behaviours over sixty weeks".into();
    chart.series = vec![
        Series::new("Positive", Tone::Positive, counts(60, 3, 1400.0)),
        Series::new("Negative", Tone::Negative, counts(60, 4, 300.0)),
        Series::new("All behaviours", Tone::Neutral, counts(60, 5, 1700.0)),
    ];
    chart
}

pub fn year_groups() -> Chart {
    let years = (7..=11).map(|y| format!("Year {y}")).collect();
    let mut chart = chart(Kind::Bars, "Year group", "Behaviours", years);
    chart.title = "Behaviours by year group".into();
    chart.series = vec![
        Series::new(
            "Positive",
            Tone::Positive,
            vec![412.0, 388.0, 301.0, 266.0, 190.0],
        ),
        Series::new(
            "Negative",
            Tone::Negative,
            vec![35.0, 61.0, 88.0, 72.0, 40.0],
        ),
    ];
    chart
}

pub fn net_points_by_class() -> Chart {
    let classes = ["9A/Ma1", "9B/Ma2", "9C/Ma3", "9D/Ma4", "9E/Ma5", "9F/Ma6"];
    let mut chart = chart(
        Kind::Bars,
        "Class",
        "Net points",
        classes.map(String::from).to_vec(),
    );
    chart.title = "Net points by class".into();
    chart.series = vec![Series::new(
        "Net points",
        Tone::Accent,
        vec![34.0, -12.0, 8.5, -27.0, 0.0, 41.0],
    )];
    chart
}

pub const PUPILS: [&str; 12] = [
    "Ava Okonkwo-Brown",
    "Mohammed Al-Rashid",
    "Zoë Núñez",
    "Oliver Smith",
    "Amelia Wright",
    "Jack O'Neil",
    "Isla Featherstonehaugh-Montgomery",
    "Noah Patel",
    "Sofia Kowalczyk",
    "Harry Evans",
    "Grace Li",
    "Leo Nakamura-Thompson",
];

pub fn top_pupils() -> Chart {
    let names = PUPILS.map(String::from).to_vec();
    let mut chart = chart(Kind::HorizontalBars, "Pupil", "Points", names);
    chart.title = "Most points this term".into();
    chart.series = vec![Series::new(
        "Points",
        Tone::Positive,
        (0..12).map(|i| 480.0 - 31.0 * i as f64).collect(),
    )];
    chart
}

/// Forty pupils with long double-barrelled names.
pub fn long_names(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            format!(
                "{} Featherstonehaugh-Cholmondeley {}",
                PUPILS[i % PUPILS.len()]
                    .split(' ')
                    .next()
                    .unwrap_or("Pupil"),
                i + 1
            )
        })
        .collect()
}

pub fn many_pupils(kind: Kind) -> Chart {
    let mut chart = chart(kind, "Pupil", "Points", long_names(40));
    chart.title = "Points by pupil".into();
    chart.series = vec![
        Series::new("Positive", Tone::Positive, counts(40, 6, 60.0)),
        Series::new("Negative", Tone::Negative, counts(40, 7, 12.0)),
    ];
    chart
}

pub fn types_breakdown() -> Chart {
    let types = [
        "Excellent effort in class",
        "Helping others",
        "Homework above and beyond",
        "Disruption of learning during the lesson",
        "Late to lesson",
        "Equipment",
    ];
    let mut chart = chart(
        Kind::HorizontalBars,
        "Type",
        "%",
        types.map(String::from).to_vec(),
    );
    chart.title = "Share of behaviours by type".into();
    chart.series = vec![
        Series::new(
            "This term",
            Tone::Neutral,
            vec![31.0, 22.0, 9.5, 18.0, 12.0, 7.5],
        ),
        Series::new(
            "Last term",
            Tone::Neutral,
            vec![28.0, 20.0, 12.0, 21.0, 13.0, 6.0],
        ),
    ];
    chart
}

pub fn net_points_by_pupil() -> Chart {
    let names = PUPILS[..8].iter().map(|s| s.to_string()).collect();
    let mut chart = chart(Kind::HorizontalBars, "Pupil", "Net points", names);
    chart.title = "Net points, lowest first".into();
    chart.series = vec![Series::new(
        "Net points",
        Tone::Accent,
        vec![-42.0, -30.0, -18.0, -6.0, 0.0, 12.0, 25.0, 1234.0],
    )];
    chart
}

pub const DAYS: [&str; 5] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];

pub fn when_incidents_happen() -> Chart {
    let periods = ["P1", "P2", "Break", "P3", "P4", "Lunch", "P5", "P6"];
    let mut chart = chart(
        Kind::Heatmap,
        "Lesson",
        "Day",
        periods.map(String::from).to_vec(),
    );
    chart.title = "When negative behaviours happen".into();
    chart.series = DAYS
        .iter()
        .enumerate()
        .map(|(d, day)| Series::new(*day, Tone::Negative, counts(8, d as u64, 14.0)))
        .collect();
    chart
}

/// Net points by class and week: a heatmap either side of zero.
pub fn net_points_heatmap() -> Chart {
    let mut chart = chart(Kind::Heatmap, "Week", "Class", weeks(14));
    chart.title = "Net points by class and week".into();
    chart.series = ["9A", "9B", "9C"]
        .iter()
        .enumerate()
        .map(|(i, class)| {
            let values = counts(14, i as u64, 10.0)
                .iter()
                .map(|v| v - 14.0)
                .collect();
            Series::new(*class, Tone::Positive, values)
        })
        .collect();
    chart
}

/// A chart whose builder got it wrong: one series stops short.
pub fn short_series() -> Chart {
    let mut chart = positives_negatives();
    chart.title = "A series that stops short".into();
    chart.series[1].values.truncate(9);
    chart
}

/// Every sample, each with a file name.
pub fn samples() -> Vec<(&'static str, Chart)> {
    let mut all = vec![
        ("line-positives-negatives", positives_negatives()),
        ("line-sixty-weeks", a_year_of_weeks()),
        ("bars-year-groups", year_groups()),
        ("bars-net-points", net_points_by_class()),
        ("bars-forty-pupils", many_pupils(Kind::Bars)),
        ("hbars-top-pupils", top_pupils()),
        ("hbars-types-percent", types_breakdown()),
        ("hbars-net-points", net_points_by_pupil()),
        ("hbars-forty-pupils", many_pupils(Kind::HorizontalBars)),
        ("heatmap-incidents", when_incidents_happen()),
        ("heatmap-net-points", net_points_heatmap()),
        ("line-short-series", short_series()),
        ("hostile-bars", hostile(Kind::Bars)),
        ("hostile-heatmap", hostile(Kind::Heatmap)),
    ];
    for (name, kind) in [
        ("empty-line", Kind::Line),
        ("empty-bars", Kind::Bars),
        ("empty-hbars", Kind::HorizontalBars),
        ("empty-heatmap", Kind::Heatmap),
    ] {
        all.push((name, empty(kind)));
    }
    all
}

/// A chart of the kind with every value zero.
pub fn empty(kind: Kind) -> Chart {
    let mut chart = match kind {
        Kind::Heatmap => when_incidents_happen(),
        Kind::HorizontalBars => top_pupils(),
        _ => positives_negatives(),
    };
    chart.kind = kind;
    for run in &mut chart.series {
        run.values.iter_mut().for_each(|v| *v = 0.0);
    }
    chart.title = "Nothing yet".into();
    chart
}

/// Names a pupil or a member of staff could type, meant to break markup.
pub fn hostile(kind: Kind) -> Chart {
    let mut chart = chart(
        kind,
        "<x> & \"y\"",
        "'values'",
        vec![
            "<script>alert(1)</script>".into(),
            "Tom & \"Jerry\" O'Neil".into(),
            "]]><!--".into(),
        ],
    );
    chart.title = "Title with <b>markup</b> & \"quotes\"".into();
    chart.subtitle = "</svg><svg onload=alert(1)>".into();
    chart.series = vec![
        Series::new(
            "<img src=x onerror=alert(1)>",
            Tone::Positive,
            vec![1.0, 2.0, 3.0],
        ),
        Series::new("A & B's \"class\"", Tone::Negative, vec![3.0, 1.0, 2.0]),
    ];
    chart
}
