//! Each chart's numbers against what was logged (see `common` for the
//! three weeks of behaviour), by every interval and scope, and each chart
//! as CSV and SVG.

mod common;

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use common::{Harness, categories, series};
use domain::charts::week_of;
use serde_json::{Value, json};

fn readable(date: NaiveDate) -> String {
    format!("{} {}", date.day(), date.format("%b %Y"))
}

/// The three weeks as query parameters, and more.
fn q<'a>(range: &'a [String; 2], more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut query = vec![("from", range[0].as_str()), ("to", range[1].as_str())];
    query.extend_from_slice(more);
    query
}

#[tokio::test]
async fn behaviour_over_time_counts_each_week_day_and_month_of_the_school() {
    let h = Harness::new("charts-over-time").await;
    let range = h.range();

    let weekly = h.chart("behaviour-over-time", &q(&range, &[])).await;
    assert_eq!(weekly["kind"], "line");
    assert_eq!(weekly["title"], "Behaviour over time");
    assert_eq!(
        weekly["subtitle"],
        format!(
            "Riverside Academy · {} to {} · by week",
            readable(h.day(0)),
            readable(h.day(20))
        )
    );
    assert_eq!(weekly["xLabel"], "Week");
    assert_eq!(weekly["yLabel"], "Behaviours");
    assert_eq!(
        (&weekly["scope"], &weekly["id"], &weekly["interval"]),
        (&json!("school"), &Value::Null, &json!("week"))
    );
    assert_eq!(weekly["from"], h.day(0).to_string());
    assert_eq!(weekly["to"], h.day(20).to_string());
    assert_eq!(
        categories(&weekly),
        [h.day(0), h.day(7), h.day(14)].map(|d| d.to_string())
    );
    assert_eq!(series(&weekly, "Positives"), [1.0, 3.0, 0.0]);
    // Ava's withdrawn disruption counts nowhere.
    assert_eq!(series(&weekly, "Negatives"), [3.0, 1.0, 3.0]);
    assert_eq!(weekly["series"][0]["tone"], "positive");
    assert_eq!(weekly["series"][1]["tone"], "negative");

    let daily = h
        .chart("behaviour-over-time", &q(&range, &[("interval", "day")]))
        .await;
    let days: Vec<String> = (0..21).map(|n| h.day(n).to_string()).collect();
    assert_eq!(categories(&daily), days);
    let mut positives = vec![0.0; 21];
    let mut negatives = vec![0.0; 21];
    for (day, n) in [(2, 1.0), (8, 2.0), (12, 1.0)] {
        positives[day] = n;
    }
    for (day, n) in [(0, 3.0), (7, 1.0), (14, 2.0), (15, 1.0)] {
        negatives[day] = n;
    }
    assert_eq!(series(&daily, "Positives"), positives);
    assert_eq!(series(&daily, "Negatives"), negatives);
    assert!(daily["subtitle"].as_str().unwrap().ends_with("· by day"));

    // By month: each day in its own month.
    let monthly = h
        .chart("behaviour-over-time", &q(&range, &[("interval", "month")]))
        .await;
    let mut months: Vec<String> = Vec::new();
    let mut expected: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for n in 0..21 {
        let month = h.day(n).format("%b %Y").to_string();
        if !months.contains(&month) {
            months.push(month.clone());
        }
        let entry = expected.entry(month).or_default();
        entry.0 += positives[n as usize];
        entry.1 += negatives[n as usize];
    }
    assert_eq!(categories(&monthly), months);
    let by_month: Vec<(f64, f64)> = months.iter().map(|m| expected[m]).collect();
    assert_eq!(
        series(&monthly, "Positives"),
        by_month.iter().map(|p| p.0).collect::<Vec<_>>()
    );
    assert_eq!(
        series(&monthly, "Negatives"),
        by_month.iter().map(|p| p.1).collect::<Vec<_>>()
    );

    // By term: one term or two, adding up to everything.
    let termly = h
        .chart("behaviour-over-time", &q(&range, &[("interval", "term")]))
        .await;
    assert_eq!(series(&termly, "Positives").iter().sum::<f64>(), 4.0);
    assert_eq!(series(&termly, "Negatives").iter().sum::<f64>(), 7.0);
    assert!(categories(&termly)[0].contains(" 20"), "{termly}");
}

#[tokio::test]
async fn the_default_range_is_twelve_weeks_to_today_and_empty_weeks_are_zero() {
    let h = Harness::new("charts-default-range").await;
    let chart = h.chart("behaviour-over-time", &[]).await;
    let today = domain::calendar::school_date(chrono::Utc::now(), chrono_tz::Europe::London);
    let this_monday = week_of(today);
    assert_eq!(this_monday, h.day(21));
    let first = this_monday - Duration::weeks(11);
    assert_eq!(chart["from"], first.to_string());
    assert_eq!(chart["to"], today.to_string());
    let labels = categories(&chart);
    assert_eq!(labels.len(), 12);
    assert_eq!(labels[0], first.to_string());
    assert_eq!(labels[11], this_monday.to_string());
    let negatives = series(&chart, "Negatives");
    assert_eq!(&negatives[8..11], [3.0, 1.0, 3.0]);
    assert_eq!(negatives.iter().sum::<f64>(), 7.0);
    assert_eq!(negatives[..8], [0.0; 8]);
}

#[tokio::test]
async fn points_and_behaviour_of_one_pupil_class_year_house_and_member_of_staff() {
    let h = Harness::new("charts-scopes").await;
    let range = h.range();
    let weeks = [h.day(0), h.day(7), h.day(14)].map(|d| d.to_string());

    let school_points = h.chart("points-over-time", &q(&range, &[])).await;
    assert_eq!(school_points["kind"], "bars");
    assert_eq!(school_points["title"], "Points over time");
    assert_eq!(series(&school_points, "Points"), [-1.0, 1.0, -1.0]);

    // (scope, id, positives, negatives, points) per week
    type Weeks<'a> = (&'a str, &'a str, [f64; 3], [f64; 3], [f64; 3]);
    let cases: [Weeks; 8] = [
        (
            "pupil",
            "p-amelia",
            [1.0, 1.0, 0.0],
            [1.0, 0.0, 0.0],
            [1.0, 1.0, 0.0],
        ),
        (
            "pupil",
            "p-isla",
            [0.0, 1.0, 0.0],
            [1.0, 0.0, 1.0],
            [-1.0, 1.0, -1.0],
        ),
        (
            "class",
            "9A-ma",
            [1.0, 3.0, 0.0],
            [3.0, 0.0, 1.0],
            [-1.0, 3.0, -1.0],
        ),
        (
            "year",
            "9",
            [1.0, 3.0, 0.0],
            [3.0, 1.0, 1.0],
            [-1.0, 1.0, -1.0],
        ),
        (
            "year",
            "10",
            [0.0, 0.0, 0.0],
            [0.0, 0.0, 2.0],
            [0.0, 0.0, 0.0],
        ),
        (
            "house",
            "Ash",
            [1.0, 2.0, 0.0],
            [2.0, 0.0, 2.0],
            [0.0, 2.0, -1.0],
        ),
        (
            "staff",
            "staff-tess",
            [1.0, 3.0, 0.0],
            [3.0, 0.0, 1.0],
            [-1.0, 3.0, -1.0],
        ),
        (
            "staff",
            "staff-omar",
            [0.0, 0.0, 0.0],
            [0.0, 1.0, 2.0],
            [0.0, -2.0, 0.0],
        ),
    ];
    for (scope, id, positives, negatives, points) in cases {
        let more = [("scope", scope), ("id", id)];
        let behaviour = h.chart("behaviour-over-time", &q(&range, &more)).await;
        assert_eq!(categories(&behaviour), weeks, "{scope} {id}");
        assert_eq!(series(&behaviour, "Positives"), positives, "{scope} {id}");
        assert_eq!(series(&behaviour, "Negatives"), negatives, "{scope} {id}");
        assert_eq!(
            (&behaviour["scope"], &behaviour["id"]),
            (&json!(scope), &json!(id))
        );
        let points_chart = h.chart("points-over-time", &q(&range, &more)).await;
        assert_eq!(series(&points_chart, "Points"), points, "{scope} {id}");
    }

    let names = [
        ("pupil", "p-amelia", "Amelia Smith"),
        ("class", "9A-ma", "9A Maths"),
        ("year", "9", "Year 9"),
        ("house", "Ash", "Ash house"),
        ("staff", "staff-omar", "Omar Haddad"),
    ];
    for (scope, id, name) in names {
        let chart = h
            .chart(
                "behaviour-over-time",
                &q(&range, &[("scope", scope), ("id", id)]),
            )
            .await;
        assert!(
            chart["subtitle"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{name} · ")),
            "{}",
            chart["subtitle"]
        );
    }
}

#[tokio::test]
async fn weeks_are_counted_whole_and_fall_in_the_month_of_their_thursday() {
    let h = Harness::new("charts-whole-weeks").await;
    // From the Wednesday of week 1 to the Monday of week 3: a pupil's weeks
    // are counted whole, and the answer says so.
    let (from, to) = (h.day(2).to_string(), h.day(14).to_string());
    let query = [
        ("scope", "pupil"),
        ("id", "p-isla"),
        ("from", &from),
        ("to", &to),
    ];
    let chart = h.chart("behaviour-over-time", &query).await;
    assert_eq!(chart["from"], h.day(0).to_string());
    assert_eq!(chart["to"], h.day(20).to_string());
    assert_eq!(series(&chart, "Negatives"), [1.0, 0.0, 1.0]);

    let monthly = h
        .chart(
            "behaviour-over-time",
            &[
                ("scope", "pupil"),
                ("id", "p-isla"),
                ("from", &from),
                ("to", &to),
                ("interval", "month"),
            ],
        )
        .await;
    let mut months: Vec<String> = Vec::new();
    let mut negatives: Vec<f64> = Vec::new();
    for (week, n) in [(0, 1.0), (7, 0.0), (14, 1.0)] {
        let month = (h.day(week) + Duration::days(3))
            .format("%b %Y")
            .to_string();
        if months.last() != Some(&month) {
            months.push(month);
            negatives.push(0.0);
        }
        *negatives.last_mut().unwrap() += n;
    }
    assert_eq!(categories(&monthly), months);
    assert_eq!(series(&monthly, "Negatives"), negatives);
}

#[tokio::test]
async fn behaviour_types_are_named_by_the_policy_most_logged_first() {
    let h = Harness::new("charts-types").await;
    let range = h.range();
    let chart = h.chart("behaviour-types", &q(&range, &[])).await;
    assert_eq!(chart["kind"], "horizontalBars");
    assert_eq!(chart["xLabel"], "Type");
    assert_eq!(
        categories(&chart),
        [
            "Disrupting learning",
            "Kindness",
            "Off task",
            "Excellent focus",
            "Outstanding work",
            "Refusing instructions"
        ]
    );
    assert_eq!(
        series(&chart, "Times logged"),
        [4.0, 2.0, 2.0, 1.0, 1.0, 1.0]
    );

    let class = h
        .chart(
            "behaviour-types",
            &q(&range, &[("scope", "class"), ("id", "9A-ma")]),
        )
        .await;
    assert_eq!(
        categories(&class),
        [
            "Disrupting learning",
            "Kindness",
            "Excellent focus",
            "Outstanding work"
        ]
    );
    assert_eq!(series(&class, "Times logged"), [4.0, 2.0, 1.0, 1.0]);

    // An archived type keeps its name; a type the policy no longer has
    // shows its id.
    let store = &h.table.store;
    let (settings, mut policy) = store.school(&h.school).await.unwrap().unwrap();
    for kind in &mut policy.behaviour_types {
        if kind.id.as_str() == "off-task" {
            kind.archived = true;
            kind.name = "Off task (old)".into();
        }
    }
    policy
        .behaviour_types
        .retain(|t| t.id.as_str() != "kindness");
    store
        .put_school(&h.school, &settings, &policy)
        .await
        .unwrap();
    let later = h.chart("behaviour-types", &q(&range, &[])).await;
    assert_eq!(
        categories(&later)[..3],
        ["Disrupting learning", "Off task (old)", "kindness"]
    );
}

#[tokio::test]
async fn the_heatmap_counts_each_weekday_and_lesson() {
    let h = Harness::new("charts-heatmap").await;
    let range = h.range();
    let periods = [
        "Before school",
        "Period 1",
        "Period 2",
        "Break",
        "Period 3",
        "Period 4",
        "Lunch",
        "Period 5",
        "After school",
    ];
    let row = |cells: &[(usize, f64)]| {
        let mut row = vec![0.0; 9];
        for (period, n) in cells {
            row[*period] = *n;
        }
        row
    };

    let negatives = h.chart("heatmap", &q(&range, &[])).await;
    assert_eq!(negatives["kind"], "heatmap");
    assert_eq!(negatives["title"], "Negative behaviour by day and lesson");
    assert_eq!(categories(&negatives), periods);
    let days: Vec<&str> = negatives["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        days,
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    );
    assert_eq!(
        series(&negatives, "Monday"),
        row(&[(2, 3.0), (6, 1.0), (7, 2.0)])
    );
    assert_eq!(series(&negatives, "Tuesday"), row(&[(2, 1.0)]));
    assert_eq!(series(&negatives, "Friday"), row(&[]));

    let positives = h
        .chart("heatmap", &q(&range, &[("measure", "positives")]))
        .await;
    assert_eq!(positives["series"].as_array().unwrap().len(), 6);
    assert_eq!(series(&positives, "Tuesday"), row(&[(4, 2.0)]));
    assert_eq!(series(&positives, "Wednesday"), row(&[(1, 1.0)]));
    assert_eq!(series(&positives, "Saturday"), row(&[(2, 1.0)]));
    assert_eq!(positives["series"][5]["tone"], "positive");

    let amelia = h
        .chart(
            "heatmap",
            &q(
                &range,
                &[
                    ("measure", "positives"),
                    ("scope", "pupil"),
                    ("id", "p-amelia"),
                ],
            ),
        )
        .await;
    assert_eq!(series(&amelia, "Wednesday"), row(&[(1, 1.0)]));
    assert_eq!(series(&amelia, "Saturday"), row(&[(2, 1.0)]));
    assert_eq!(series(&amelia, "Tuesday"), row(&[]));
}

#[tokio::test]
async fn top_and_bottom_rank_pupils_and_classes_with_the_roster_at_the_bottom() {
    let h = Harness::new("charts-top").await;
    let range = h.range();
    // (query, title, labels, values)
    type Ranking<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a [&'a str], &'a [f64]);
    let cases: [Ranking; 6] = [
        (
            &[
                ("scope", "year"),
                ("id", "9"),
                ("measure", "negatives"),
                ("limit", "4"),
            ],
            "Top 4 pupils by negatives",
            &["Isla Khan", "Amelia Smith", "Noah Evans", "Oliver Jones"],
            &[2.0, 1.0, 1.0, 1.0],
        ),
        (
            // Ava has nothing logged (her one behaviour was withdrawn) but
            // is in the class.
            &[("scope", "class"), ("id", "9A-ma"), ("order", "bottom")],
            "Bottom 10 pupils by points",
            &["Isla Khan", "Ava Brown", "Oliver Jones", "Amelia Smith"],
            &[-1.0, 0.0, 0.0, 2.0],
        ),
        (
            &[
                ("scope", "year"),
                ("id", "9"),
                ("order", "bottom"),
                ("measure", "negatives"),
                ("limit", "2"),
            ],
            "Bottom 2 pupils by negatives",
            &["Ava Brown", "Amelia Smith"],
            &[0.0, 1.0],
        ),
        (
            &[("scope", "house"), ("id", "Oak"), ("measure", "positives")],
            "Top 10 pupils by positives",
            &["Oliver Jones", "Leo Ali", "Noah Evans"],
            &[1.0, 0.0, 0.0],
        ),
        (
            &[("members", "classes"), ("measure", "negatives")],
            "Top 10 classes by negatives",
            &["9A Maths", "10X English", "9B Science"],
            &[4.0, 2.0, 1.0],
        ),
        (
            // 10Y Drama has nothing logged.
            &[
                ("members", "classes"),
                ("scope", "year"),
                ("id", "10"),
                ("measure", "negatives"),
                ("order", "bottom"),
            ],
            "Bottom 10 classes by negatives",
            &["10Y Drama", "10X English"],
            &[0.0, 2.0],
        ),
    ];
    for (more, title, names, values) in cases {
        let chart = h.chart("top", &q(&range, more)).await;
        assert_eq!(chart["title"], title, "{more:?}");
        assert_eq!(chart["kind"], "horizontalBars");
        assert_eq!(categories(&chart), names, "{more:?}");
        let measure = chart["yLabel"].as_str().unwrap().to_owned();
        assert_eq!(series(&chart, &measure), values, "{more:?}");
    }
}

#[tokio::test]
async fn staff_ratio_and_groups_compare_staff_and_pupil_groups() {
    let h = Harness::new("charts-compare").await;
    let range = h.range();

    let ratio = h.chart("staff-ratio", &q(&range, &[])).await;
    assert_eq!(ratio["yLabel"], "%");
    assert_eq!(ratio["kind"], "horizontalBars");
    assert_eq!(categories(&ratio), ["Tess Brown", "Omar Haddad"]);
    assert_eq!(ratio["series"][0]["values"], json!([50.0, 0.0]));

    let groups = h.chart("groups", &q(&range, &[])).await;
    assert_eq!(groups["kind"], "bars");
    assert_eq!(groups["yLabel"], "%");
    assert_eq!(
        categories(&groups),
        [
            "Girls",
            "Boys",
            "SEN support",
            "EHC plan",
            "No SEN",
            "Pupil premium",
            "Not pupil premium",
            "EAL",
            "Not EAL"
        ]
    );
    // Seven pupils on roll; seven negatives and four positives.
    assert_eq!(
        series(&groups, "Share of pupils"),
        [57.1, 42.9, 14.3, 14.3, 71.4, 28.6, 71.4, 14.3, 85.7]
    );
    assert_eq!(
        series(&groups, "Share of negatives"),
        [57.1, 42.9, 14.3, 14.3, 71.4, 28.6, 71.4, 28.6, 71.4]
    );
    assert_eq!(
        series(&groups, "Share of positives"),
        [75.0, 25.0, 50.0, 0.0, 50.0, 50.0, 50.0, 25.0, 75.0]
    );
    let tones: Vec<&str> = groups["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["tone"].as_str().unwrap())
        .collect();
    assert_eq!(tones, ["neutral", "negative", "positive"]);

    // A school that switches group analysis off gets no groups chart.
    h.table
        .store
        .set_group_analysis(&h.school, false)
        .await
        .unwrap();
    let off = h.call("groups", &h.slt(), &[], None).await;
    assert_eq!(off.status, 409, "{}", off.text);
    assert_eq!(
        off.json()["detail"],
        "group analysis is off for this school"
    );
}

#[tokio::test]
async fn charts_come_as_csv_and_svg_when_asked() {
    let h = Harness::new("charts-formats").await;
    let range = h.range();
    let query = q(&range, &[]);

    let csv = h
        .call("behaviour-over-time", &h.slt(), &query, Some("text/csv"))
        .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    assert_eq!(
        csv.headers["content-disposition"],
        format!(
            "attachment; filename=\"behaviour-over-time-school-{}-{}.csv\"",
            h.day(0),
            h.day(20)
        )
    );
    assert_eq!(csv.headers["cache-control"], "private, max-age=60");
    assert_eq!(
        csv.text,
        format!(
            "Week,Positives,Negatives\r\n{},1,3\r\n{},3,1\r\n{},0,3\r\n",
            h.day(0),
            h.day(7),
            h.day(14)
        )
    );

    let heatmap_csv = h
        .call(
            "heatmap",
            &h.slt(),
            &query,
            Some("text/csv;q=0.9, application/json;q=0.1"),
        )
        .await;
    let lines: Vec<&str> = heatmap_csv.text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "Day,Before school,Period 1,Period 2,Break,Period 3,Period 4,Lunch,Period 5,After school"
    );
    assert_eq!(lines[1], "Monday,0,0,3,0,0,0,1,2,0");
    assert_eq!(
        lines.len(),
        7,
        "five weekdays, a header and the last line end"
    );

    let svg = h
        .call("heatmap", &h.slt(), &query, Some("image/svg+xml"))
        .await;
    assert_eq!(svg.status, 200);
    assert_eq!(svg.content_type, "image/svg+xml");
    assert_eq!(svg.headers["cache-control"], "private, max-age=60");
    let document = roxmltree::Document::parse(&svg.text).expect("the SVG is XML");
    assert_eq!(document.root_element().tag_name().name(), "svg");
    let title = document
        .descendants()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text());
    assert_eq!(title, Some("Negative behaviour by day and lesson"));

    // A browser's <img> gets SVG; `format` wins over the header.
    let browser = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
    let img = h.call("top", &h.slt(), &query, Some(browser)).await;
    assert_eq!(img.content_type, "image/svg+xml");
    let mut linked = query.clone();
    linked.push(("format", "svg"));
    let forced = h
        .call("groups", &h.slt(), &linked, Some("application/json"))
        .await;
    assert_eq!(forced.content_type, "image/svg+xml");
    roxmltree::Document::parse(&forced.text).expect("the SVG is XML");
    linked.pop();
    linked.push(("format", "csv"));
    let forced = h.call("staff-ratio", &h.slt(), &linked, None).await;
    assert_eq!(forced.content_type, "text/csv; charset=utf-8");
    assert!(
        forced
            .text
            .starts_with("Staff,Positive share\r\nTess Brown,50\r\n")
    );

    let json = h
        .call("behaviour-types", &h.slt(), &query, Some("*/*"))
        .await;
    assert_eq!(json.content_type, "application/json");
    assert_eq!(json.headers["cache-control"], "private, max-age=60");

    let refused = h
        .call(
            "behaviour-over-time",
            &h.slt(),
            &query,
            Some("application/xml"),
        )
        .await;
    assert_eq!(refused.status, 406, "{}", refused.text);
    assert_eq!(
        refused.json()["type"],
        "https://classlights.app/problems/not-acceptable"
    );
}
