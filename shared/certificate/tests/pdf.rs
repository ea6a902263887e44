//! Certificates parse as PDF and say what they should, whatever the template.

use certificate::{Sheet, Template, render};
use chrono::NaiveDate;

fn sheet(template: Template) -> Sheet {
    Sheet {
        pupil_name: "Ava Okonkwo-Brown".into(),
        award: "100 House Points".into(),
        school_name: "Riverside Academy".into(),
        primary: "#1d4ed8".into(),
        accent: "#f59e0b".into(),
        awarded_on: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
        awarded_by: "Ms Brown".into(),
        template,
    }
}

fn text_of(pdf: &[u8]) -> String {
    let document = lopdf::Document::load_mem(pdf).expect("a valid PDF");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    assert_eq!(pages.len(), 1, "one page");
    document.extract_text(&pages).expect("text to extract")
}

#[test]
fn every_template_names_the_pupil_the_award_the_school_and_the_date() {
    for template in Template::ALL {
        let pdf = render(&sheet(template));
        assert!(pdf.starts_with(b"%PDF-"), "{template:?}");
        let text = text_of(&pdf);
        for expected in [
            "Ava Okonkwo-Brown",
            "100 House Points",
            "Riverside Academy",
            "4 December 2026",
            "Ms Brown",
        ] {
            assert!(
                text.contains(expected),
                "{template:?} lacks {expected}: {text}"
            );
        }
    }
}

#[test]
fn the_three_templates_look_different() {
    let pages: Vec<Vec<u8>> = Template::ALL.iter().map(|t| render(&sheet(*t))).collect();
    assert_ne!(pages[0], pages[1]);
    assert_ne!(pages[1], pages[2]);
    assert_ne!(pages[0], pages[2]);
    assert!(text_of(&pages[0]).contains("Certificate of Achievement"));
    assert!(text_of(&pages[1]).contains("Well done!"));
}

#[test]
fn accented_names_survive_and_long_ones_still_render() {
    let mut accented = sheet(Template::Formal);
    accented.pupil_name = "Zoë Núñez".into();
    assert!(text_of(&render(&accented)).contains("Zoë Núñez"));

    let mut long = sheet(Template::Bright);
    long.pupil_name = "Maximilian-Alexander ".repeat(6);
    assert!(text_of(&render(&long)).contains("Maximilian-Alexander"));
}

#[test]
fn the_same_certificate_renders_to_the_same_bytes() {
    assert_eq!(
        render(&sheet(Template::Classic)),
        render(&sheet(Template::Classic))
    );
}

#[test]
fn bad_colours_fall_back_rather_than_fail() {
    let mut odd = sheet(Template::Bright);
    odd.primary = "blue".into();
    odd.accent = String::new();
    assert!(text_of(&render(&odd)).contains("Ava Okonkwo-Brown"));
}
