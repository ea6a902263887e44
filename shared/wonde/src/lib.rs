//! The Wonde API client. Wonde relays each school's roster from its MIS:
//! pupils, staff, classes with their members, year groups, houses,
//! registration groups, and the records deleted (and restored) since a
//! given time.
//!
//! The client keeps only what the service needs (names, groups, class
//! memberships, a work email, teaching status) and drops the rest of each
//! record as it reads it: contacts, addresses, phone numbers, dates of
//! birth and parents' details never leave the parser. Group-analysis flags
//! (gender, SEN, pupil premium, EAL) are read only when asked for.
//!
//! Lists come one page at a time ([`Pages`]), so a sync holds a single page
//! in memory. The token goes only to the configured host and to the region
//! hosts the caller allows; a `next` link to any other host is refused
//! before anything is sent.
//!
//! ```no_run
//! # async fn sync() -> Result<(), wonde::Error> {
//! use wonde::{Client, Config, Query, Token, WondeId};
//!
//! let client = Client::new(Config::wonde(Token::new("secret")?))?;
//! let school = client.open_school(&WondeId::parse("A1930499544")?).await?;
//! let mut pages = school.pupils(&Query::all());
//! while let Some(page) = pages.next_page().await? {
//!     for pupil in page.records {
//!         let _ = pupil.id;
//!     }
//! }
//! # Ok(())
//! # }
//! ```

mod client;
mod config;
mod error;
mod pages;
mod records;
mod time;
mod wire;

pub use client::{Client, Query, SchoolApi};
pub use config::{Config, RetryPolicy, Token, WONDE_BASE_URL, WONDE_REGION_BASE_URLS};
pub use error::Error;
pub use pages::{Page, Pages};
pub use records::{
    Class, ClassTeacher, Deletion, DeletionKind, Employee, Gender, Group, GroupFlags, GroupKind,
    Pupil, School, SenStatus, Subject, WondeId,
};
pub use time::{TimeError, parse_timestamp};
