//! A fake Wonde API on `127.0.0.1`, for tests and the local stack. It
//! serves one generated school under `/v1.0/schools/{id}` (the school
//! record with its region, and `students`, `employees`, `classes`, `groups`
//! and `deletions`) the way Wonde does: a bearer token or 401, pages with
//! absolute `next` links and `per_page` up to 200, `include=` of related
//! records wrapped as `{"data": ...}`, `updated_after`, and timestamps,
//! dates of birth and missing records in each of the shapes Wonde writes.
//!
//! Between syncs a test changes the school (rename, move, delete, restore,
//! re-enrol, add staff) and the deltas show it. At a chosen request it can
//! go wrong ([`Fault`]): a rate limit, a server error, a slow answer, a
//! broken page, or a `next` link to a foreign host. It records every
//! request, with whether it carried an `Authorization` header.

mod names;
mod render;
mod school;
mod server;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use school::{
    FakeClass, FakeDeletion, FakeEmployee, FakeGroup, FakePupil, FakeSubject, SchoolSpec,
};
pub use server::{Fault, SeenRequest};

use school::SchoolData;
use server::{Shared, State};

/// A running fake Wonde. It stops when dropped.
pub struct FakeWonde {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept: JoinHandle<()>,
}

impl FakeWonde {
    /// Serves the school on a free port of `127.0.0.1`, answering only
    /// `Authorization: Bearer {token}`.
    pub async fn start(token: &str, spec: SchoolSpec) -> Self {
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        Self::start_on(any_port, token, spec)
            .await
            .expect("binding the fake Wonde to a free port of 127.0.0.1")
    }

    /// Serves the school on a given address (the local stack's fixed port).
    pub async fn start_on(addr: SocketAddr, token: &str, spec: SchoolSpec) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(State {
            token: token.to_owned(),
            authority: addr.to_string(),
            school: SchoolData::generate(&spec),
            seen: Vec::new(),
            faults: Default::default(),
        }));
        let accept = tokio::spawn(accept(listener, shared.clone()));
        Ok(Self {
            shared,
            addr,
            accept,
        })
    }

    /// The API root, such as `http://127.0.0.1:41234/v1.0/`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1.0/", self.addr)
    }

    /// The host and port, as a school's `region.domain` names it.
    pub fn domain(&self) -> String {
        self.addr.to_string()
    }

    pub fn school_id(&self) -> String {
        self.shared.state().school.id.clone()
    }

    /// The fake's clock. Each change to the school moves it on a minute and
    /// stamps the change with it, so `Query::updated_after(fake.now())`
    /// taken before a change finds it.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.state().school.clock
    }

    /// Requests served so far, faults and refusals included.
    pub fn requests_served(&self) -> u64 {
        self.shared.state().seen.len() as u64
    }

    /// Every request served so far, in order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.shared.state().seen.clone()
    }

    /// The pupils Wonde would list now, by id.
    pub fn pupils(&self) -> Vec<FakePupil> {
        self.shared
            .state()
            .school
            .pupils
            .values()
            .cloned()
            .collect()
    }

    pub fn pupil(&self, id: &str) -> Option<FakePupil> {
        self.shared.state().school.pupils.get(id).cloned()
    }

    pub fn staff(&self) -> Vec<FakeEmployee> {
        self.shared.state().school.staff.values().cloned().collect()
    }

    pub fn classes(&self) -> Vec<FakeClass> {
        self.shared
            .state()
            .school
            .classes
            .values()
            .cloned()
            .collect()
    }

    /// Year groups, houses and registration groups.
    pub fn groups(&self) -> Vec<FakeGroup> {
        self.shared
            .state()
            .school
            .groups
            .values()
            .cloned()
            .collect()
    }

    pub fn subjects(&self) -> Vec<FakeSubject> {
        self.shared
            .state()
            .school
            .subjects
            .values()
            .cloned()
            .collect()
    }

    pub fn deletions(&self) -> Vec<FakeDeletion> {
        self.shared.state().school.deletions.clone()
    }

    /// Says the school's data is on another host (`region.domain`).
    pub fn set_region_domain(&self, domain: &str) {
        self.shared.state().school.region_domain = Some(domain.to_owned());
    }

    /// Gives a pupil new (preferred) names.
    pub fn rename_pupil(&self, id: &str, forename: &str, surname: &str) {
        let found = self
            .shared
            .state()
            .school
            .rename_pupil(id, forename, surname);
        assert!(found, "the fake Wonde has no pupil {id}");
    }

    /// Moves a pupil to another form, such as `8B`, and to its classes.
    pub fn move_pupil(&self, id: &str, form: &str) {
        let moved = self.shared.state().school.move_pupil(id, form);
        assert!(moved, "the fake Wonde has no pupil {id} or no form {form}");
    }

    /// Deletes a pupil, member of staff or class; it leaves its list and
    /// joins the deletions.
    pub fn delete(&self, id: &str) {
        let found = self.shared.state().school.delete(id);
        assert!(found, "the fake Wonde has nothing to delete with id {id}");
    }

    /// Brings a deleted record back under its id, with `restored_at` on the
    /// record and on its deletion.
    pub fn restore(&self, id: &str) {
        let found = self.shared.state().school.restore(id);
        assert!(found, "the fake Wonde has no deleted record {id}");
    }

    /// The pupil leaves and is enrolled again under a new id with the same
    /// `upi`; returns the new id.
    pub fn reenrol_pupil(&self, id: &str) -> String {
        let new_id = self.shared.state().school.reenrol_pupil(id);
        new_id.unwrap_or_else(|| panic!("the fake Wonde has no pupil {id}"))
    }

    /// A new teacher with a work email at the school's domain; returns the id.
    pub fn add_staff(&self, forename: &str, surname: &str) -> String {
        self.shared
            .state()
            .school
            .add_staff(forename, surname, true)
    }

    /// Makes request number `at` (1 for the first this fake serves) go wrong.
    pub fn inject(&self, at: u64, fault: Fault) {
        self.shared.state().faults.insert(at, fault);
    }

    /// Makes the next request go wrong.
    pub fn inject_next(&self, fault: Fault) {
        self.inject_next_n(1, fault);
    }

    /// Makes each of the next `count` requests go wrong the same way.
    pub fn inject_next_n(&self, count: u64, fault: Fault) {
        let mut state = self.shared.state();
        let next = state.seen.len() as u64 + 1;
        for at in next..next + count {
            state.faults.insert(at, fault.clone());
        }
    }
}

impl Drop for FakeWonde {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| server::answer(shared.clone(), request));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
