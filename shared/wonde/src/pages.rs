//! A list read one page at a time, following Wonde's `next` links, so a
//! sync holds one page in memory however large the school.

use futures_util::Stream;
use reqwest::Url;

use crate::client::{Client, same_origin};
use crate::error::Error;
use crate::records::PageReader;

/// One page of records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// 1 for the first page.
    pub number: u32,
    pub records: Vec<T>,
}

/// The pages of one list, read on demand. After the last page, or after an
/// error, it yields nothing more.
#[derive(Debug)]
pub struct Pages<T> {
    client: Client,
    root: Url,
    next: Next,
    read_so_far: u32,
    read: PageReader<T>,
}

/// Where the list goes from here.
#[derive(Debug)]
enum Next {
    Page(Url),
    /// The page read last was good but its link onward was not: the page
    /// was handed out, the error comes with the next call.
    Failed(Error),
    Done,
}

impl<T> Pages<T> {
    pub(crate) fn new(client: Client, root: Url, first: Url, read: PageReader<T>) -> Self {
        Self {
            client,
            root,
            next: Next::Page(first),
            read_so_far: 0,
            read,
        }
    }

    /// Pages read so far.
    pub fn pages_read(&self) -> u32 {
        self.read_so_far
    }

    /// The next page, or `None` after the last. A page that says there is
    /// more without saying where, or whose `next` link leaves the school's
    /// host, is handed out, and the call after it is the error; nothing is
    /// sent to a foreign host.
    pub async fn next_page(&mut self) -> Result<Option<Page<T>>, Error> {
        let url = match std::mem::replace(&mut self.next, Next::Done) {
            Next::Page(url) => url,
            Next::Failed(error) => return Err(error),
            Next::Done => return Ok(None),
        };
        let body = self.client.fetch(&url).await?;
        let page = (self.read)(&body).map_err(|problem| Error::BrokenPage {
            path: url.path().to_owned(),
            at: problem.at,
            reason: problem.reason,
        })?;
        drop(body);

        self.next = match self.follow(&url, page.next, page.more) {
            Ok(Some(next)) => Next::Page(next),
            Ok(None) => Next::Done,
            Err(error) => Next::Failed(error),
        };
        self.read_so_far += 1;
        tracing::debug!(
            path = url.path(),
            page = self.read_so_far,
            records = page.records.len(),
            more = matches!(self.next, Next::Page(_)),
            "read a Wonde page"
        );
        Ok(Some(Page {
            number: self.read_so_far,
            records: page.records,
        }))
    }

    /// The pages as a stream, which ends after the last page or the first
    /// error.
    pub fn into_stream(self) -> impl Stream<Item = Result<Page<T>, Error>> {
        futures_util::stream::unfold(Some(self), |pages| async move {
            let mut pages = pages?;
            match pages.next_page().await {
                Ok(Some(page)) => Some((Ok(page), Some(pages))),
                Ok(None) => None,
                Err(error) => Some((Err(error), None)),
            }
        })
    }

    fn follow(
        &self,
        current: &Url,
        next: Option<String>,
        more: Option<bool>,
    ) -> Result<Option<Url>, Error> {
        let path = || current.path().to_owned();
        let link = match (more, next) {
            (Some(false), _) | (None, None) => return Ok(None),
            (Some(true), None) => return Err(Error::MissingNext { path: path() }),
            (_, Some(link)) => link,
        };
        let url = current.join(&link).map_err(|_| Error::BrokenPage {
            path: path(),
            at: "meta.pagination.next".to_owned(),
            reason: "not a URL".to_owned(),
        })?;
        if !same_origin(&self.root, &url) {
            return Err(Error::ForeignHost {
                origin: url.origin().ascii_serialization(),
            });
        }
        if url == *current {
            return Err(Error::PageLoop { path: path() });
        }
        Ok(Some(url))
    }
}
