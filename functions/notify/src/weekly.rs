//! The weekly summary as an email: the week's positives, negatives and
//! points beside last week's, a bar for each school day, the most logged
//! behaviour types, and each year group's and house's week.
//!
//! The HTML is tables with inline styles and nothing else, because that is
//! what email clients show alike: no SVG, no images, no style sheet. Every
//! text that came with the notification (the school's name, behaviour
//! types, year groups and houses) is escaped before it goes in.

use chrono::{Datelike, NaiveDate};
use domain::notification::{Change, DayFigures, GroupFigures, TypeFigures, WeeklySummary};
use std::fmt::Write;

use crate::Email;

const GOOD: &str = "#1b7a3d";
const BAD: &str = "#b3261e";
const QUIET: &str = "#5f6368";
const INK: &str = "#202124";
const RULE: &str = "#e0e0e0";

/// How to stop the email, for its footer.
const SWITCH_OFF: &str = "To stop these emails, switch off \"Weekly summary\" under \
     Notifications in your Classlights settings (the app calls \
     PUT /v1/admin/me/notifications with {\"weeklySummary\": false}).";

/// The email for one weekly summary.
pub fn email(summary: &WeeklySummary) -> Email {
    Email {
        subject: subject(summary),
        text: text(summary),
        html: html(summary),
    }
}

/// `Riverside Academy: behaviour this week (w/c 30 Nov 2026)`.
pub fn subject(summary: &WeeklySummary) -> String {
    format!(
        "{}: behaviour this week (w/c {})",
        one_line(&summary.school_name),
        short_date(summary.week_start)
    )
}

/// The plain-text part.
pub fn text(summary: &WeeklySummary) -> String {
    let mut out = String::new();
    let this = &summary.this_week;
    let last = &summary.previous_week;
    let _ = writeln!(
        out,
        "{}: behaviour in the week beginning {}\n",
        one_line(&summary.school_name),
        short_date(summary.week_start)
    );
    let _ = writeln!(
        out,
        "{:<12}{:>10}{:>11}   change",
        "", "this week", "last week"
    );
    for (name, now, then, change) in [
        (
            "Positives",
            count(this.positives),
            count(last.positives),
            Change::of_counts(last.positives, this.positives),
        ),
        (
            "Negatives",
            count(this.negatives),
            count(last.negatives),
            Change::of_counts(last.negatives, this.negatives),
        ),
        (
            "Points",
            signed(this.points),
            signed(last.points),
            Change::between(last.points, this.points),
        ),
    ] {
        let _ = writeln!(
            out,
            "{name:<12}{now:>10}{then:>11}   {}",
            change_text(change)
        );
    }

    if !summary.days.is_empty() {
        out.push_str("\nDay by day (positives / negatives)\n");
        for day in &summary.days {
            let _ = writeln!(
                out,
                "  {:<12}{:>8} / {}",
                day_name(day.date),
                count(day.positives),
                count(day.negatives)
            );
        }
    }
    if !summary.top_types.is_empty() {
        out.push_str("\nMost logged behaviour\n");
        for kind in &summary.top_types {
            let _ = writeln!(
                out,
                "  {} ({}): {}",
                one_line(&kind.name),
                if kind.positive {
                    "positive"
                } else {
                    "negative"
                },
                count(kind.count)
            );
        }
    }
    for (title, groups) in [("Year groups", &summary.years), ("Houses", &summary.houses)] {
        if groups.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title} (positives / negatives)");
        for group in groups {
            let _ = writeln!(
                out,
                "  {}: {} / {}",
                one_line(&group.name),
                count(group.positives),
                count(group.negatives)
            );
        }
    }
    let _ = write!(
        out,
        "\n--\nYou get this email as a senior leader at {}.\n{SWITCH_OFF}\n",
        one_line(&summary.school_name)
    );
    out
}

/// The HTML part.
pub fn html(summary: &WeeklySummary) -> String {
    let school = escape(&summary.school_name);
    let week = short_date(summary.week_start);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{school}: behaviour this week</title></head>\
         <body style=\"margin:0;padding:0;background:#f6f7f9;\">\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" \
         style=\"background:#f6f7f9;\"><tr><td align=\"center\" style=\"padding:24px 12px;\">\
         <table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" \
         style=\"max-width:600px;width:100%;background:#ffffff;border:1px solid {RULE};\
         font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.4;color:{INK};\">\
         <tr><td style=\"padding:20px 24px 8px;\">\
         <h1 style=\"margin:0;font-size:20px;\">{school}</h1>\
         <p style=\"margin:4px 0 0;color:{QUIET};\">Behaviour in the week beginning {week}</p>\
         </td></tr>"
    );
    section(&mut out, "The week", &totals(summary));
    if !summary.days.is_empty() {
        section(&mut out, "Day by day", &days(&summary.days));
    }
    if !summary.top_types.is_empty() {
        section(
            &mut out,
            "Most logged behaviour",
            &top_types(&summary.top_types),
        );
    }
    if !summary.years.is_empty() {
        section(
            &mut out,
            "Year groups",
            &groups("Year group", &summary.years),
        );
    }
    if !summary.houses.is_empty() {
        section(&mut out, "Houses", &groups("House", &summary.houses));
    }
    let _ = writeln!(
        out,
        "<tr><td style=\"padding:16px 24px 20px;border-top:1px solid {RULE};\
         color:{QUIET};font-size:12px;\">You get this email as a senior leader at {school}. \
         {}</td></tr></table></td></tr></table></body></html>",
        escape(SWITCH_OFF)
    );
    out
}

fn section(out: &mut String, title: &str, body: &str) {
    let _ = write!(
        out,
        "<tr><td style=\"padding:16px 24px 4px;\">\
         <h2 style=\"margin:0 0 8px;font-size:16px;\">{}</h2>{body}</td></tr>",
        escape(title)
    );
}

/// This week, last week and the change, for each of the three figures.
fn totals(summary: &WeeklySummary) -> String {
    let this = &summary.this_week;
    let last = &summary.previous_week;
    let mut rows = String::new();
    // Whether a rise is good news: more positives and points are, more
    // negatives are not.
    for (name, now, then, change, rise_is_good) in [
        (
            "Positives",
            count(this.positives),
            count(last.positives),
            Change::of_counts(last.positives, this.positives),
            true,
        ),
        (
            "Negatives",
            count(this.negatives),
            count(last.negatives),
            Change::of_counts(last.negatives, this.negatives),
            false,
        ),
        (
            "Points",
            signed(this.points),
            signed(last.points),
            Change::between(last.points, this.points),
            true,
        ),
    ] {
        let colour = match change {
            Change::Same => QUIET,
            Change::Up { .. } if rise_is_good => GOOD,
            Change::Down { .. } if !rise_is_good => GOOD,
            _ => BAD,
        };
        let _ = write!(
            rows,
            "<tr><td style=\"{CELL}\">{name}</td>\
             <td align=\"right\" style=\"{CELL}font-size:18px;font-weight:bold;\">{now}</td>\
             <td align=\"right\" style=\"{CELL}color:{QUIET};\">{then}</td>\
             <td align=\"right\" style=\"{CELL}color:{colour};font-weight:bold;\">{}</td></tr>",
            change_text(change)
        );
    }
    table(
        &[
            ("", "left"),
            ("This week", "right"),
            ("Last week", "right"),
            ("Change", "right"),
        ],
        &rows,
    )
}

const CELL: &str = "padding:6px 8px;border-bottom:1px solid #eeeeee;";

/// A bar for each day, green for positives then red for negatives, the
/// busiest day the full width.
fn days(days: &[DayFigures]) -> String {
    let busiest = days
        .iter()
        .map(|day| day.positives.saturating_add(day.negatives))
        .max()
        .unwrap_or(0);
    let mut rows = String::new();
    for day in days {
        let positive = share(day.positives, busiest);
        let negative = share(day.negatives, busiest).min(100 - positive);
        let rest = 100 - positive - negative;
        let mut bar = String::new();
        for (width, colour) in [(positive, GOOD), (negative, BAD), (rest, "#f1f3f4")] {
            if width > 0 {
                let _ = write!(
                    bar,
                    "<td width=\"{width}%\" style=\"width:{width}%;background:{colour};\
                     height:14px;font-size:0;line-height:0;\">&nbsp;</td>"
                );
            }
        }
        let _ = write!(
            rows,
            "<tr><td style=\"padding:4px 8px 4px 0;white-space:nowrap;\">{}</td>\
             <td width=\"100%\" style=\"padding:4px 0;\">\
             <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" \
             style=\"border-collapse:collapse;\"><tr>{bar}</tr></table></td>\
             <td align=\"right\" style=\"padding:4px 0 4px 8px;white-space:nowrap;\">\
             <span style=\"color:{GOOD};\">{}</span> / <span style=\"color:{BAD};\">{}</span>\
             </td></tr>",
            day_name(day.date),
            count(day.positives),
            count(day.negatives)
        );
    }
    format!(
        "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\">{rows}</table>\
         <p style=\"margin:4px 0 0;color:{QUIET};font-size:12px;\">\
         <span style=\"color:{GOOD};\">&#9632;</span> positives \
         <span style=\"color:{BAD};\">&#9632;</span> negatives</p>"
    )
}

/// The percentage of the busiest day's total that `part` is, rounded.
fn share(part: u64, busiest: u64) -> u64 {
    if busiest == 0 {
        return 0;
    }
    let scaled = (u128::from(part) * 100 + u128::from(busiest) / 2) / u128::from(busiest);
    u64::try_from(scaled).unwrap_or(100).min(100)
}

fn top_types(types: &[TypeFigures]) -> String {
    let mut rows = String::new();
    for kind in types {
        let (label, colour) = if kind.positive {
            ("positive", GOOD)
        } else {
            ("negative", BAD)
        };
        let _ = write!(
            rows,
            "<tr><td style=\"{CELL}\">{}</td><td style=\"{CELL}color:{colour};\">{label}</td>\
             <td align=\"right\" style=\"{CELL}\">{}</td></tr>",
            escape(&kind.name),
            count(kind.count)
        );
    }
    table(
        &[("Behaviour", "left"), ("", "left"), ("Times", "right")],
        &rows,
    )
}

fn groups(heading: &str, groups: &[GroupFigures]) -> String {
    let mut rows = String::new();
    for group in groups {
        let _ = write!(
            rows,
            "<tr><td style=\"{CELL}\">{}</td>\
             <td align=\"right\" style=\"{CELL}color:{GOOD};\">{}</td>\
             <td align=\"right\" style=\"{CELL}color:{BAD};\">{}</td></tr>",
            escape(&group.name),
            count(group.positives),
            count(group.negatives)
        );
    }
    table(
        &[
            (heading, "left"),
            ("Positives", "right"),
            ("Negatives", "right"),
        ],
        &rows,
    )
}

/// A small table with a heading row.
fn table(headings: &[(&str, &str)], rows: &str) -> String {
    let mut head = String::new();
    for (heading, align) in headings {
        let _ = write!(
            head,
            "<th align=\"{align}\" style=\"padding:4px 8px;border-bottom:2px solid {RULE};\
             color:{QUIET};font-size:12px;font-weight:normal;\">{}</th>",
            escape(heading)
        );
    }
    format!(
        "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" \
         style=\"border-collapse:collapse;\"><tr>{head}</tr>{rows}</table>"
    )
}

/// `▲ 20%`, `▼ 3`, `no change`: the percentage where last week's figure
/// was not zero, the difference where it was.
pub fn change_text(change: Change) -> String {
    match change {
        Change::Same => "no change".to_owned(),
        Change::Up {
            percent: Some(p), ..
        } => format!("▲ {}%", count(p)),
        Change::Up { by, percent: None } => format!("▲ {}", count(by)),
        Change::Down {
            percent: Some(p), ..
        } => format!("▼ {}%", count(p)),
        Change::Down { by, percent: None } => format!("▼ {}", count(by)),
    }
}

/// Text made safe for HTML, in element content and in quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text on one line: a name with a line break or a control character in it
/// cannot start a new header or a new line of the text part.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `30 Nov 2026`.
pub fn short_date(date: NaiveDate) -> String {
    format!(
        "{} {} {}",
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
}

/// `Mon 30 Nov`.
fn day_name(date: NaiveDate) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    format!(
        "{} {} {}",
        DAYS[date.weekday().num_days_from_monday() as usize],
        date.day(),
        MONTHS[date.month0() as usize]
    )
}

/// `1,234`.
fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `-1,234`, `56`.
fn signed(n: i64) -> String {
    let magnitude = count(n.unsigned_abs());
    if n < 0 {
        format!("-{magnitude}")
    } else {
        magnitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::notification::WeekFigures;

    fn summary(school: &str, type_name: &str) -> WeeklySummary {
        let date = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let day = |d, positives, negatives| DayFigures {
            date: date(d),
            positives,
            negatives,
        };
        WeeklySummary {
            school_name: school.into(),
            week_start: date(30),
            this_week: WeekFigures {
                positives: 1200,
                negatives: 30,
                points: 2410,
            },
            previous_week: WeekFigures {
                positives: 1000,
                negatives: 40,
                points: 0,
            },
            days: vec![day(30, 300, 10), day(30, 0, 0), day(30, 150, 5)],
            top_types: vec![
                TypeFigures {
                    name: type_name.into(),
                    positive: true,
                    count: 50,
                },
                TypeFigures {
                    name: "Disruption".into(),
                    positive: false,
                    count: 12,
                },
            ],
            years: vec![GroupFigures {
                name: "Year 7".into(),
                positives: 600,
                negatives: 10,
            }],
            houses: vec![],
        }
    }

    #[test]
    fn the_subject_names_the_school_and_the_week() {
        assert_eq!(
            subject(&summary("Riverside Academy", "Great work")),
            "Riverside Academy: behaviour this week (w/c 30 Nov 2026)"
        );
        assert_eq!(
            subject(&summary("Evil\r\nBcc: x@y.test", "x")),
            "Evil Bcc: x@y.test: behaviour this week (w/c 30 Nov 2026)"
        );
    }

    #[test]
    fn both_parts_show_the_figures_and_how_they_moved() {
        let summary = summary("Riverside Academy", "Great work");
        let email = email(&summary);
        for part in [&email.text, &email.html] {
            assert!(part.contains("1,200"), "{part}");
            assert!(part.contains("▲ 20%"), "{part}");
            assert!(part.contains("▼ 25%"), "{part}");
            // Points from zero: the difference, not a percentage.
            assert!(part.contains("▲ 2,410"), "{part}");
            assert!(part.contains("Mon 30 Nov"), "{part}");
            assert!(part.contains("Great work"), "{part}");
            assert!(part.contains("Year 7"), "{part}");
            assert!(part.contains("/v1/admin/me/notifications"), "{part}");
        }
        assert!(!email.text.contains("Houses"));
        assert!(!email.html.contains("<svg") && !email.html.contains("<img"));
    }

    #[test]
    fn the_busiest_day_fills_the_bar() {
        let html = html(&summary("Riverside Academy", "Great work"));
        // 300 + 10 of 310, then 150 + 5 of 310; an empty day is all track.
        assert!(html.contains("width=\"97%\""), "{html}");
        assert!(html.contains("width=\"3%\""), "{html}");
        assert!(html.contains("width=\"48%\""), "{html}");
        assert!(html.contains("width=\"100%\" style=\"width:100%;background:#f1f3f4"));
        assert_eq!(share(5, 0), 0);
        assert_eq!(share(u64::MAX, u64::MAX), 100);
    }

    #[test]
    fn text_from_the_data_is_escaped_in_the_html() {
        let html = html(&summary(
            "<script>alert(1)</script> & Co",
            "\"><img src=x onerror=alert(1)>",
        ));
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"));
        assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    }

    #[test]
    fn numbers_are_grouped_in_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(signed(-1234), "-1,234");
        assert_eq!(signed(i64::MIN), "-9,223,372,036,854,775,808");
    }
}
