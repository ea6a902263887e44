//! The email that carries a certificate: a short note and the PDF as an
//! attachment, as a raw MIME message ready for SES.

use mail_builder::MessageBuilder;

/// What the email says, and to whom.
#[derive(Clone)]
pub struct Letter {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub file_name: String,
    pub pdf: Vec<u8>,
}

impl std::fmt::Debug for Letter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Letter")
            .field("recipients", &self.to.len())
            .field("pdf_bytes", &self.pdf.len())
            .finish_non_exhaustive()
    }
}

/// Why a letter could not be written.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("a certificate email needs at least one recipient")]
    NoRecipients,
    #[error("the message could not be written: {0}")]
    Write(#[from] std::io::Error),
}

/// The letter as a MIME message (headers, a text part and the PDF).
pub fn letter_bytes(letter: &Letter) -> Result<Vec<u8>, MailError> {
    if letter.to.is_empty() {
        return Err(MailError::NoRecipients);
    }
    let to: Vec<&str> = letter.to.iter().map(String::as_str).collect();
    Ok(MessageBuilder::new()
        .from(letter.from.as_str())
        .to(to)
        .subject(letter.subject.as_str())
        .text_body(letter.text.as_str())
        .attachment(
            "application/pdf",
            letter.file_name.as_str(),
            letter.pdf.as_slice(),
        )
        .write_to_vec()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pdf_travels_as_an_attachment() {
        let letter = Letter {
            from: "no-reply@classlights.test".into(),
            to: vec!["tutor@school.test".into()],
            subject: "A certificate for Ava".into(),
            text: "Ava has earned a certificate.".into(),
            file_name: "certificate-ava.pdf".into(),
            pdf: b"%PDF-1.7 test".to_vec(),
        };
        let raw = String::from_utf8(letter_bytes(&letter).unwrap()).unwrap();
        assert!(raw.contains("To: <tutor@school.test>"));
        assert!(raw.contains("Content-Type: application/pdf"));
        assert!(raw.contains("filename=\"certificate-ava.pdf\""));
    }

    #[test]
    fn a_letter_needs_a_recipient() {
        let letter = Letter {
            from: "a@b.test".into(),
            to: vec![],
            subject: String::new(),
            text: String::new(),
            file_name: "x.pdf".into(),
            pdf: vec![],
        };
        assert!(matches!(
            letter_bytes(&letter),
            Err(MailError::NoRecipients)
        ));
    }
}
