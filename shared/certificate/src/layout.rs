//! The page: A4 landscape, one content stream, the standard fonts.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::{Sheet, Template, uk_date};

const WIDTH: f32 = 842.0;
const HEIGHT: f32 = 595.0;

/// The standard fonts a certificate uses, by resource name.
#[derive(Clone, Copy)]
enum Font {
    Sans,
    SansBold,
    Serif,
    SerifBold,
    SerifItalic,
}

impl Font {
    const ALL: [Font; 5] = [
        Font::Sans,
        Font::SansBold,
        Font::Serif,
        Font::SerifBold,
        Font::SerifItalic,
    ];

    fn resource(self) -> Name<'static> {
        Name(match self {
            Font::Sans => b"F1",
            Font::SansBold => b"F2",
            Font::Serif => b"F3",
            Font::SerifBold => b"F4",
            Font::SerifItalic => b"F5",
        })
    }

    fn base(self) -> Name<'static> {
        Name(match self {
            Font::Sans => b"Helvetica",
            Font::SansBold => b"Helvetica-Bold",
            Font::Serif => b"Times-Roman",
            Font::SerifBold => b"Times-Bold",
            Font::SerifItalic => b"Times-Italic",
        })
    }

    /// Roughly how much wider or narrower than Helvetica this font sets.
    fn scale(self) -> f32 {
        match self {
            Font::Sans => 1.0,
            Font::SansBold => 1.06,
            Font::Serif | Font::SerifItalic => 0.9,
            Font::SerifBold => 0.95,
        }
    }
}

/// An RGB colour with components from 0 to 1.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Colour(f32, f32, f32);

impl Colour {
    const NAVY: Colour = Colour(0.12, 0.16, 0.35);
    const GOLD: Colour = Colour(0.83, 0.63, 0.09);
    const INK: Colour = Colour(0.13, 0.13, 0.15);
    const CREAM: Colour = Colour(0.99, 0.97, 0.91);
    const WHITE: Colour = Colour(1.0, 1.0, 1.0);

    /// `#rgb` or `#rrggbb`.
    fn parse(css: &str) -> Option<Colour> {
        let hex = css.trim().strip_prefix('#')?;
        let digits: Vec<u8> = match hex.len() {
            3 => hex
                .chars()
                .map(|c| c.to_digit(16).map(|d| (d * 17) as u8))
                .collect::<Option<_>>()?,
            6 => (0..3)
                .map(|i| u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok())
                .collect::<Option<_>>()?,
            _ => return None,
        };
        let [r, g, b] = digits[..] else { return None };
        Some(Colour(
            f32::from(r) / 255.0,
            f32::from(g) / 255.0,
            f32::from(b) / 255.0,
        ))
    }

    /// Mixed towards white: `amount` 0 keeps the colour, 1 is white.
    fn tint(self, amount: f32) -> Colour {
        let mix = |c: f32| c + (1.0 - c) * amount;
        Colour(mix(self.0), mix(self.1), mix(self.2))
    }
}

/// The content stream with the few drawing steps a certificate needs.
struct Page {
    content: Content,
}

impl Page {
    fn fill(&mut self, colour: Colour) -> &mut Self {
        self.content.set_fill_rgb(colour.0, colour.1, colour.2);
        self
    }

    fn stroke(&mut self, colour: Colour, width: f32) -> &mut Self {
        self.content
            .set_stroke_rgb(colour.0, colour.1, colour.2)
            .set_line_width(width);
        self
    }

    fn filled_rect(&mut self, colour: Colour, x: f32, y: f32, w: f32, h: f32) {
        self.fill(colour);
        self.content.rect(x, y, w, h).fill_nonzero();
    }

    fn framed_rect(&mut self, colour: Colour, width: f32, inset: f32) {
        self.stroke(colour, width);
        self.content
            .rect(inset, inset, WIDTH - 2.0 * inset, HEIGHT - 2.0 * inset)
            .stroke();
    }

    fn line(&mut self, colour: Colour, width: f32, from: (f32, f32), to: (f32, f32)) {
        self.stroke(colour, width);
        self.content
            .move_to(from.0, from.1)
            .line_to(to.0, to.1)
            .stroke();
    }

    /// A filled circle, drawn with four Bézier quarters.
    fn disc(&mut self, colour: Colour, cx: f32, cy: f32, r: f32) {
        let k = 0.552_284_8 * r;
        self.fill(colour);
        self.content
            .move_to(cx + r, cy)
            .cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r)
            .cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy)
            .cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r)
            .cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy)
            .fill_nonzero();
    }

    /// One line of text centred on the page at height `y`, made smaller
    /// until it fits `max_width`.
    fn centred(
        &mut self,
        text: &str,
        font: Font,
        size: f32,
        colour: Colour,
        y: f32,
        max_width: f32,
    ) {
        let bytes = winansi(text);
        let mut size = size;
        while text_width(&bytes, font, size) > max_width && size > 8.0 {
            size -= 1.0;
        }
        let x = (WIDTH - text_width(&bytes, font, size)) / 2.0;
        self.fill(colour);
        self.content
            .begin_text()
            .set_font(font.resource(), size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }
}

/// How the parts of one template are dressed.
struct Style {
    title: &'static str,
    title_font: Font,
    name_font: Font,
    body_font: Font,
    small_font: Font,
    title_colour: Colour,
    name_colour: Colour,
}

pub fn render(sheet: &Sheet) -> Vec<u8> {
    let primary = Colour::parse(&sheet.primary).unwrap_or(Colour::NAVY);
    let accent = Colour::parse(&sheet.accent).unwrap_or(Colour::GOLD);
    let mut page = Page {
        content: Content::new(),
    };
    let style = decorate(&mut page, sheet.template, primary, accent);
    write_words(&mut page, sheet, &style);
    document(sheet, page.content.finish().to_vec())
}

/// Draws the template's background and frame, and says how to letter it.
fn decorate(page: &mut Page, template: Template, primary: Colour, accent: Colour) -> Style {
    match template {
        Template::Classic => {
            page.framed_rect(primary, 6.0, 24.0);
            page.framed_rect(accent, 1.5, 36.0);
            page.line(accent, 1.0, (300.0, 318.0), (542.0, 318.0));
            Style {
                title: "Certificate of Achievement",
                title_font: Font::SerifBold,
                name_font: Font::SerifBold,
                body_font: Font::Serif,
                small_font: Font::SerifItalic,
                title_colour: primary,
                name_colour: Colour::INK,
            }
        }
        Template::Bright => {
            page.filled_rect(primary.tint(0.85), 0.0, 0.0, WIDTH, HEIGHT);
            page.filled_rect(primary, 0.0, HEIGHT - 110.0, WIDTH, 110.0);
            page.filled_rect(accent, 0.0, 0.0, WIDTH, 40.0);
            for (x, y, r) in [
                (70.0, 120.0, 28.0),
                (770.0, 140.0, 22.0),
                (110.0, 380.0, 14.0),
            ] {
                page.disc(accent, x, y, r);
            }
            page.disc(primary.tint(0.5), 730.0, 360.0, 18.0);
            Style {
                title: "Well done!",
                title_font: Font::SansBold,
                name_font: Font::SansBold,
                body_font: Font::Sans,
                small_font: Font::Sans,
                title_colour: Colour::WHITE,
                name_colour: primary,
            }
        }
        Template::Formal => {
            page.filled_rect(Colour::CREAM, 0.0, 0.0, WIDTH, HEIGHT);
            page.framed_rect(primary, 0.75, 30.0);
            page.line(primary, 0.75, (220.0, 440.0), (622.0, 440.0));
            page.disc(accent, WIDTH - 110.0, 110.0, 42.0);
            page.disc(accent.tint(0.35), WIDTH - 110.0, 110.0, 32.0);
            Style {
                title: "Certificate",
                title_font: Font::Serif,
                name_font: Font::SerifItalic,
                body_font: Font::Serif,
                small_font: Font::Serif,
                title_colour: Colour::INK,
                name_colour: primary,
            }
        }
    }
}

fn write_words(page: &mut Page, sheet: &Sheet, style: &Style) {
    let wide = WIDTH - 160.0;
    let (title_y, school_y) = match sheet.template {
        Template::Bright => (HEIGHT - 75.0, 60.0),
        _ => (HEIGHT - 120.0, 80.0),
    };
    page.centred(
        style.title,
        style.title_font,
        40.0,
        style.title_colour,
        title_y,
        wide,
    );
    page.centred(
        "This is awarded to",
        style.body_font,
        16.0,
        Colour::INK,
        380.0,
        wide,
    );
    page.centred(
        &sheet.pupil_name,
        style.name_font,
        44.0,
        style.name_colour,
        328.0,
        wide,
    );
    page.centred("for", style.body_font, 16.0, Colour::INK, 282.0, wide);
    page.centred(
        &sheet.award,
        style.title_font,
        26.0,
        Colour::INK,
        246.0,
        wide,
    );
    let given = format!(
        "Awarded by {} on {}",
        sheet.awarded_by,
        uk_date(sheet.awarded_on)
    );
    page.centred(&given, style.small_font, 13.0, Colour::INK, 170.0, wide);
    let school_colour = match sheet.template {
        Template::Bright => Colour::INK,
        _ => Colour::INK.tint(0.2),
    };
    page.centred(
        &sheet.school_name,
        style.body_font,
        15.0,
        school_colour,
        school_y,
        wide,
    );
}

/// Wraps the page's content stream into a PDF file.
fn document(sheet: &Sheet, content: Vec<u8>) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let page_id = Ref::new(3);
    let content_id = Ref::new(4);
    let info = Ref::new(5);
    let first_font = 6;

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page_id]).count(1);
    let mut page = pdf.page(page_id);
    page.parent(tree)
        .media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT))
        .contents(content_id);
    let mut resources = page.resources();
    let mut fonts = resources.fonts();
    for (i, font) in Font::ALL.into_iter().enumerate() {
        fonts.pair(font.resource(), Ref::new(first_font + i as i32));
    }
    fonts.finish();
    resources.finish();
    page.finish();
    for (i, font) in Font::ALL.into_iter().enumerate() {
        pdf.type1_font(Ref::new(first_font + i as i32))
            .base_font(font.base())
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.stream(content_id, &content);
    let title = format!("Certificate: {}", sheet.award);
    pdf.document_info(info)
        .title(TextStr(&title))
        .creator(TextStr("Classlights"))
        .producer(TextStr("Classlights"));
    pdf.set_file_id((file_id(sheet), file_id(sheet)));
    pdf.finish()
}

/// A stable id, so one certificate renders to the same bytes every time.
fn file_id(sheet: &Sheet) -> Vec<u8> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let text = format!(
        "{}\n{}\n{}\n{}",
        sheet.pupil_name, sheet.award, sheet.school_name, sheet.awarded_on
    );
    for byte in text.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash.to_be_bytes().repeat(2)
}

/// Text in Windows-1252, which the standard fonts read through
/// `WinAnsiEncoding`; characters it lacks become `?`.
fn winansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{ff}' => c as u8,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201c}' => 0x93,
            '\u{201d}' => 0x94,
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            '\u{20ac}' => 0x80,
            '\u{152}' => 0x8c,
            '\u{153}' => 0x9c,
            '\u{160}' => 0x8a,
            '\u{161}' => 0x9a,
            '\u{17d}' => 0x8e,
            '\u{17e}' => 0x9e,
            '\u{178}' => 0x9f,
            _ => b'?',
        })
        .collect()
}

/// Helvetica's advance widths (thousandths of an em) for ASCII 32 to 126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// About how wide the text sets, in points: close enough to centre it.
fn text_width(bytes: &[u8], font: Font, size: f32) -> f32 {
    let units: u32 = bytes
        .iter()
        .map(|&b| match b {
            32..=126 => u32::from(HELVETICA[usize::from(b - 32)]),
            _ => 580,
        })
        .sum();
    units as f32 / 1000.0 * size * font.scale()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_come_from_css_hex() {
        assert_eq!(Colour::parse("#ffffff"), Some(Colour::WHITE));
        assert_eq!(Colour::parse("#fff"), Some(Colour::WHITE));
        assert_eq!(Colour::parse("navy"), None);
        assert_eq!(Colour::parse("#12345"), None);
        assert_eq!(Colour::parse("#gggggg"), None);
    }

    #[test]
    fn names_are_written_in_windows_1252() {
        assert_eq!(winansi("Zoë O’Neil"), b"Zo\xeb O\x92Neil");
        assert_eq!(winansi("李"), b"?");
    }
}
