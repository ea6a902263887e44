//! Certificates earned by points. Whatever adds points to pupils (a
//! behaviour logged, points awarded by hand) then asks [`earn_for_points`]
//! to earn each points certificate a pupil has reached and does not hold,
//! and to put it on the `certificates` queue to be emailed.

use std::sync::Arc;

use chrono::{SubsecRound, Utc};
use domain::{CertificateTrigger, Policy, PupilId, SchoolId, StaffId};
use store::{CertificateMessage, Store};

use crate::queue::EventQueue;

/// Earns the points certificates that `pupils` reached in `cycle`, with
/// `earned_through` (the member of staff whose request added the points)
/// told of each. A failure here never fails the request that added the
/// points: they are written, and the pupil's next points check again.
pub async fn earn_for_points(
    store: &Store,
    queue: &EventQueue,
    school: &SchoolId,
    earned_through: &StaffId,
    policy: &Policy,
    cycle: &str,
    pupils: &[PupilId],
) {
    let Some(lowest) = lowest_threshold(policy) else {
        return;
    };
    let points = match store.cycle_points(school, pupils, cycle).await {
        Ok(points) => points,
        Err(error) => {
            tracing::warn!(error = %error, "certificates not checked; the next points check again");
            return;
        }
    };

    let policy = Arc::new(policy.clone());
    let mut checks = tokio::task::JoinSet::new();
    for (pupil, this_cycle) in points.into_iter().filter(|(_, p)| *p >= lowest) {
        let (store, policy) = (store.clone(), policy.clone());
        let (school, staff, cycle) = (school.clone(), earned_through.clone(), cycle.to_owned());
        checks.spawn(async move {
            let now = Utc::now().trunc_subsecs(3);
            store
                .earn_points_certificates(&school, &policy, &pupil, this_cycle, &cycle, &staff, now)
                .await
        });
    }
    while let Some(done) = checks.join_next().await {
        match done {
            Ok(Ok(earned)) => {
                for certificate in earned {
                    tracing::info!(school = %school, certificate = %certificate.id, "certificate earned");
                    queue_certificate(store, queue, school, &certificate.id).await;
                }
            }
            Ok(Err(error)) => {
                tracing::warn!(error = %error, "certificates not checked; the next points check again")
            }
            Err(error) => tracing::error!(error = %error, "a certificate check stopped"),
        }
    }
}

/// The lowest points threshold of the policy's live rules: below it no
/// pupil's points are worth reading.
fn lowest_threshold(policy: &Policy) -> Option<i64> {
    policy
        .certificate_rules
        .iter()
        .filter(|rule| !rule.archived)
        .filter_map(|rule| match rule.trigger {
            CertificateTrigger::Points { threshold } => Some(i64::from(threshold)),
            CertificateTrigger::GreenStreak { .. } => None,
        })
        .min()
}

/// Puts a new certificate on the queue at once; if that fails it stays on
/// the outbox index and the send-certificate sweep queues it.
async fn queue_certificate(store: &Store, queue: &EventQueue, school: &SchoolId, id: &str) {
    let message = CertificateMessage {
        school_id: school.clone(),
        certificate_id: id.to_owned(),
    };
    match queue.send(message.body()).await {
        Ok(()) => {
            if let Err(error) = store.mark_certificate_queued(school, id).await {
                tracing::warn!(error = %error, "certificate queued but left for the sweep");
            }
        }
        Err(error) => tracing::warn!(error = %error, "certificate left for the sweep to queue"),
    }
}
