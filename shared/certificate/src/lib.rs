//! A pupil's certificate as a one-page PDF, and the email that carries it.
//! Pure: a certificate's record and its school go in, bytes come out;
//! nothing here reads the table or talks to AWS.
//!
//! The PDF uses the standard fonts every reader has (Helvetica and Times),
//! so no font is embedded and a certificate is a few kilobytes. Text is
//! written in the Windows-1252 encoding those fonts read; a character
//! outside it (rare in names on a UK roster) is shown as `?`.

mod layout;
mod mail;

use chrono::{Datelike, NaiveDate};

pub use mail::{Letter, MailError, letter_bytes};

/// How a certificate looks. Each school picks one per certificate rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Template {
    /// A white page with a double border and a serif title.
    Classic,
    /// Bands of the school's colours, bold sans-serif lettering.
    Bright,
    /// A cream page, a thin rule and a seal in the accent colour.
    Formal,
}

impl Template {
    pub const ALL: [Template; 3] = [Template::Classic, Template::Bright, Template::Formal];
}

/// Everything a certificate shows.
#[derive(Clone, PartialEq, Eq)]
pub struct Sheet {
    pub pupil_name: String,
    /// What it is for, such as "100 House Points" or "Star of the Week".
    pub award: String,
    pub school_name: String,
    /// The school's colours as CSS hex (`#1d4ed8`); anything else falls
    /// back to navy and gold.
    pub primary: String,
    pub accent: String,
    pub awarded_on: NaiveDate,
    /// Who gave it: a member of staff's name, or the school for one earned
    /// automatically.
    pub awarded_by: String,
    pub template: Template,
}

impl std::fmt::Debug for Sheet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sheet")
            .field("template", &self.template)
            .finish_non_exhaustive()
    }
}

impl Sheet {
    /// What a certificate shows, from its record and the school: its date
    /// is the day it was awarded in the school's own zone.
    pub fn of(
        certificate: &store::Certificate,
        school_name: &str,
        zone: chrono_tz::Tz,
        colours: &domain::SchoolColours,
    ) -> Sheet {
        Sheet {
            pupil_name: certificate.pupil_name.clone(),
            award: certificate.name.clone(),
            school_name: school_name.to_owned(),
            primary: colours.primary.clone(),
            accent: colours.accent.clone(),
            awarded_on: certificate.awarded_at.with_timezone(&zone).date_naive(),
            awarded_by: match &certificate.awarded_by {
                store::AwardedBy::Staff { name, .. } => name.clone(),
                store::AwardedBy::Automatic => school_name.to_owned(),
            },
            template: match certificate.template {
                domain::CertificateTemplate::Classic => Template::Classic,
                domain::CertificateTemplate::Bright => Template::Bright,
                domain::CertificateTemplate::Formal => Template::Formal,
            },
        }
    }
}

/// The certificate as the bytes of a PDF file.
pub fn render(sheet: &Sheet) -> Vec<u8> {
    layout::render(sheet)
}

/// A date the way UK schools write it: `4 December 2026`.
pub fn uk_date(date: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    format!(
        "{} {} {}",
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
}

/// A file name for the certificate: plain ASCII letters, digits and
/// hyphens, ending `.pdf`.
pub fn file_name(pupil_name: &str, award: &str) -> String {
    let slug: String = format!("{pupil_name} {award}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-");
    let slug: String = slug.chars().take(80).collect();
    if slug.is_empty() {
        "certificate.pdf".to_owned()
    } else {
        format!("certificate-{slug}.pdf")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_the_uk_way() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        assert_eq!(uk_date(date), "4 December 2026");
        let date = NaiveDate::from_ymd_opt(2027, 1, 31).unwrap();
        assert_eq!(uk_date(date), "31 January 2027");
    }

    #[test]
    fn file_names_are_plain() {
        assert_eq!(
            file_name("Zoë O'Neil", "100 Points!"),
            "certificate-zo-o-neil-100-points.pdf"
        );
        assert_eq!(file_name("", "???"), "certificate.pdf");
    }

    fn earned_at(awarded_at: &str) -> store::Certificate {
        store::Certificate {
            id: "01JCERTIFICATE".into(),
            pupil_id: domain::PupilId::parse("p-amelia").unwrap(),
            pupil_name: "Amelia Smith".into(),
            year_group: "7".into(),
            rule_id: Some("bronze".into()),
            name: "Bronze award".into(),
            cycle: "2026-27".into(),
            template: domain::CertificateTemplate::Formal,
            awarded_at: awarded_at.parse().unwrap(),
            awarded_by: store::AwardedBy::Automatic,
            notify: Vec::new(),
            email_status: store::EmailStatus::Pending,
            emailed_at: None,
        }
    }

    #[test]
    fn a_certificate_is_dated_the_day_it_was_earned_where_the_school_is() {
        let colours = domain::SchoolColours::default();
        // Half past midnight on 2 July in London is still 1 July in UTC.
        let summer = earned_at("2026-07-01T23:30:00Z");
        let sheet = Sheet::of(&summer, "Riverside", chrono_tz::Europe::London, &colours);
        assert_eq!(
            sheet.awarded_on,
            NaiveDate::from_ymd_opt(2026, 7, 2).unwrap()
        );
        assert_eq!(sheet.awarded_by, "Riverside");
        assert_eq!(sheet.template, Template::Formal);

        let sheet = Sheet::of(&summer, "Riverside", chrono_tz::UTC, &colours);
        assert_eq!(
            sheet.awarded_on,
            NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()
        );
    }
}
