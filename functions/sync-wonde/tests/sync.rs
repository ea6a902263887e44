//! The sync against the emulator's DynamoDB and a fake Wonde.

mod common;

use std::time::Duration;

use common::World;
use domain::{ClassId, Email, StaffId};
use store::{RunOutcome, SyncKind};
use testkit::wonde::Fault;

#[tokio::test]
async fn a_full_sync_writes_the_whole_small_school() {
    let world = World::start().await;

    let run = world.sync(SyncKind::Full).await;

    let pupils = world.fake.pupils();
    let current_staff = world.fake.staff().into_iter().filter(|s| s.current).count();
    assert_eq!(run.outcome, RunOutcome::Completed);
    assert_eq!(run.counts.pupils_written as usize, pupils.len());
    assert_eq!(run.counts.staff_written as usize, current_staff);
    assert_eq!(
        run.counts.classes_written as usize,
        world.fake.classes().len()
    );
    assert_eq!(
        run.counts.groups_written as usize,
        world.fake.groups().len()
    );
    assert!(run.wonde_requests > 5, "pages of ten take several requests");

    let fake_pupil = &pupils[0];
    let (pupil, left) = world
        .store()
        .roster_pupil(&world.school, &world.pupil_id(&fake_pupil.id))
        .await
        .unwrap()
        .expect("the pupil is stored");
    assert_eq!(left, None);
    assert_eq!(Some(pupil.first_name.clone()), fake_pupil.forename.clone());
    assert_eq!(pupil.year_group, fake_pupil.year.to_string());
    assert_eq!(
        pupil.registration_group.as_deref(),
        Some(fake_pupil.form.as_str())
    );
    assert_eq!(pupil.house, fake_pupil.house);
    assert_eq!(pupil.group_flags, None, "group analysis is off by default");

    let fake_class = world.fake.classes().into_iter().next().unwrap();
    let class_id = ClassId::parse(&fake_class.id).unwrap();
    let roster = world
        .store()
        .class(&world.school, &class_id)
        .await
        .unwrap()
        .expect("the behaviour function can read the class");
    assert_eq!(roster.members.len(), fake_class.pupil_ids.len());
    assert!(roster.members.iter().all(|m| !m.display_name.is_empty()));
    let teachers: Vec<StaffId> = fake_class
        .teachers
        .iter()
        .map(|(id, _)| StaffId::parse(id).unwrap())
        .collect();
    assert_eq!(roster.teacher_ids, teachers);
    let class = world
        .store()
        .roster_class(&world.school, &class_id)
        .await
        .unwrap()
        .unwrap();
    let main = fake_class
        .teachers
        .iter()
        .find(|(_, main)| *main)
        .map(|(id, _)| id.clone());
    assert_eq!(class.main_teacher_id.map(|t| t.to_string()), main);
    assert!(class.subject.is_some());

    let teacher = world
        .fake
        .staff()
        .into_iter()
        .find(|s| s.current && s.work_email.is_some())
        .unwrap();
    let email = Email::parse(teacher.work_email.as_deref().unwrap()).unwrap();
    let found = world.store().staff_by_email(&email).await.unwrap();
    assert_eq!(found.len(), 1, "sign-up finds the work address");
    assert_eq!(found[0].0, world.school);
    let staff = world
        .store()
        .roster_staff(&world.school, &StaffId::parse(&teacher.id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(staff.teaching, teacher.teaching_staff);
}

#[tokio::test]
async fn a_sync_with_nothing_new_writes_nothing() {
    let world = World::start().await;
    world.sync(SyncKind::Full).await;
    world.writes.take();

    let delta = world.sync(SyncKind::Delta).await;
    assert_eq!(delta.kind, SyncKind::Delta);
    assert!(delta.counts.is_empty(), "{:?}", delta.counts);
    assert_eq!(world.roster_writes().len(), 0);

    let full = world.sync(SyncKind::Full).await;
    assert_eq!(full.kind, SyncKind::Full);
    assert!(full.counts.is_empty(), "{:?}", full.counts);
    assert_eq!(full.table_writes, 0);
    assert_eq!(world.roster_writes().len(), 0);
}

#[tokio::test]
async fn a_delta_writes_exactly_what_changed() {
    let world = World::start().await;
    world.sync(SyncKind::Full).await;
    let pupils = world.fake.pupils();
    let renamed = pupils[0].clone();
    let moved = pupils
        .iter()
        .find(|p| p.form != "8A" && p.id != renamed.id)
        .unwrap()
        .clone();
    let classes_of_renamed = world
        .fake
        .classes()
        .into_iter()
        .filter(|c| c.pupil_ids.contains(&renamed.id))
        .count();
    world.fake.rename_pupil(&renamed.id, "Rowan", "Hart");
    world.fake.move_pupil(&moved.id, "8A");
    let new_teacher = world.fake.add_staff("Nina", "Shah");
    world.writes.take();

    let run = world.sync(SyncKind::Delta).await;

    assert_eq!(run.counts.pupils_written, 2);
    assert_eq!(run.counts.staff_written, 1);
    assert_eq!(run.counts.pupils_left, 0);
    assert_eq!(run.counts.classes_removed, 0);
    assert_eq!(run.counts.staff_removed, 0);
    let moved_classes_now = world
        .fake
        .classes()
        .into_iter()
        .filter(|c| c.pupil_ids.contains(&moved.id))
        .count();
    assert_eq!(
        run.counts.members_written as usize,
        classes_of_renamed + moved_classes_now,
        "the renamed pupil's member items and the moved pupil's new ones"
    );
    assert!(
        run.counts.members_removed >= 1,
        "the moved pupil leaves old classes"
    );
    assert!(!world.roster_writes().is_empty());

    let (pupil, _) = world
        .store()
        .roster_pupil(&world.school, &world.pupil_id(&renamed.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (pupil.first_name.as_str(), pupil.last_name.as_str()),
        ("Rowan", "Hart")
    );
    let (pupil, _) = world
        .store()
        .roster_pupil(&world.school, &world.pupil_id(&moved.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pupil.registration_group.as_deref(), Some("8A"));
    assert_eq!(pupil.year_group, "8");
    for class in world.fake.classes() {
        let roster = world
            .store()
            .class(&world.school, &ClassId::parse(&class.id).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            roster.members.len(),
            class.pupil_ids.len(),
            "class {}",
            class.id
        );
        if let Some(m) = roster
            .members
            .iter()
            .find(|m| m.pupil_id == world.pupil_id(&renamed.id))
        {
            assert_eq!(m.display_name, "Rowan Hart");
        }
    }
    let staff = world
        .store()
        .roster_staff(&world.school, &StaffId::parse(&new_teacher).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(staff.teaching && staff.email.is_some());

    let again = world.sync(SyncKind::Delta).await;
    assert!(again.counts.is_empty(), "{:?}", again.counts);
}

#[tokio::test]
async fn deletions_mark_pupils_as_left_and_restorations_bring_them_back() {
    let world = World::start().await;
    world.sync(SyncKind::Full).await;
    let pupil = world.fake.pupils()[3].clone();
    let pupil_id = world.pupil_id(&pupil.id);
    let class = world
        .fake
        .classes()
        .into_iter()
        .find(|c| c.pupil_ids.contains(&pupil.id))
        .unwrap();
    let class_id = ClassId::parse(&class.id).unwrap();
    let other_class = world
        .fake
        .classes()
        .into_iter()
        .find(|c| !c.pupil_ids.contains(&pupil.id))
        .unwrap();
    let leaver = world.fake.staff().into_iter().find(|s| s.current).unwrap();
    world.fake.delete(&pupil.id);
    world.fake.delete(&other_class.id);
    world.fake.delete(&leaver.id);

    let run = world.sync(SyncKind::Delta).await;

    assert_eq!(run.counts.pupils_left, 1);
    assert_eq!(run.counts.classes_removed, 1);
    assert_eq!(run.counts.staff_removed, 1);
    let (stored, left) = world
        .store()
        .roster_pupil(&world.school, &pupil_id)
        .await
        .unwrap()
        .expect("a pupil who left keeps their item");
    assert!(left.is_some());
    assert_eq!(stored.wonde_id, pupil.id);
    let roster = world
        .store()
        .class(&world.school, &class_id)
        .await
        .unwrap()
        .unwrap();
    assert!(!roster.has_pupil(&pupil_id));
    let gone = ClassId::parse(&other_class.id).unwrap();
    assert!(
        world
            .store()
            .class(&world.school, &gone)
            .await
            .unwrap()
            .is_none()
    );
    let leaver_id = StaffId::parse(&leaver.id).unwrap();
    assert!(
        world
            .store()
            .staff_member(&world.school, &leaver_id)
            .await
            .unwrap()
            .is_none()
    );

    world.fake.restore(&pupil.id);
    world.fake.restore(&other_class.id);
    let run = world.sync(SyncKind::Delta).await;

    assert_eq!(run.counts.pupils_written, 1);
    assert_eq!(run.counts.pupils_left, 0);
    let (_, left) = world
        .store()
        .roster_pupil(&world.school, &pupil_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(left, None);
    let roster = world
        .store()
        .class(&world.school, &class_id)
        .await
        .unwrap()
        .unwrap();
    assert!(roster.has_pupil(&pupil_id));
    assert!(
        world
            .store()
            .class(&world.school, &gone)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_re_enrolled_pupil_keeps_their_id_and_history() {
    let world = World::start().await;
    world.sync(SyncKind::Full).await;
    let pupil = world.fake.pupils()[5].clone();
    let before = world.pupil_id(&pupil.id);
    let class = world
        .fake
        .classes()
        .into_iter()
        .find(|c| c.pupil_ids.contains(&pupil.id))
        .unwrap();

    let new_id = world.fake.reenrol_pupil(&pupil.id);
    let run = world.sync(SyncKind::Delta).await;

    assert_eq!(world.pupil_id(&new_id), before);
    assert_eq!(
        run.counts.pupils_left, 0,
        "the pupil is back under a new Wonde id"
    );
    let (stored, left) = world
        .store()
        .roster_pupil(&world.school, &before)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.wonde_id, new_id);
    assert_eq!(left, None);
    let roster = world
        .store()
        .class(&world.school, &ClassId::parse(&class.id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(roster.has_pupil(&before));

    let full = world.sync(SyncKind::Full).await;
    assert!(full.counts.is_empty(), "{:?}", full.counts);
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried() {
    let world = World::start().await;
    world.sync(SyncKind::Full).await;
    let pupil = world.fake.pupils()[1].clone();
    world.fake.rename_pupil(&pupil.id, "Kit", "Lane");
    world.fake.inject_next(Fault::TooManyRequests {
        retry_after_secs: 0,
    });
    world
        .fake
        .inject(world.fake.requests_served() + 4, Fault::ServerError);

    let run = world.sync(SyncKind::Delta).await;

    assert_eq!(run.counts.pupils_written, 1);
    let (stored, _) = world
        .store()
        .roster_pupil(&world.school, &world.pupil_id(&pupil.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.first_name, "Kit");
}

#[tokio::test]
async fn a_delta_that_keeps_failing_removes_nothing_and_keeps_its_watermark() {
    let world = World::start().await;
    world.sync(SyncKind::Full).await;
    let state = world.store().sync_state(&world.school).await.unwrap();
    let pupil = world.fake.pupils()[2].clone();
    let pupil_id = world.pupil_id(&pupil.id);
    world.fake.delete(&pupil.id);
    world.writes.take();

    for fault in [Fault::ServerError, Fault::Slow(Duration::from_secs(2))] {
        world
            .fake
            .inject(world.fake.requests_served() + 3, fault.clone());
        world
            .fake
            .inject(world.fake.requests_served() + 4, fault.clone());
        world.fake.inject(world.fake.requests_served() + 5, fault);
        let failed = sync_wonde::sync_school(&world.app, &world.school, SyncKind::Delta).await;
        assert!(failed.is_err(), "{failed:?}");
        assert_eq!(world.roster_writes().len(), 0);
        assert_eq!(
            world.store().sync_state(&world.school).await.unwrap(),
            state
        );
    }
    let (_, left) = world
        .store()
        .roster_pupil(&world.school, &pupil_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(left, None);
    let runs = world.store().sync_runs(&world.school).await.unwrap();
    let failed: Vec<_> = runs
        .iter()
        .filter(|r| r.outcome == RunOutcome::Failed)
        .collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0].error.as_deref(), Some("wonde-server-error"));
    assert_eq!(failed[1].error.as_deref(), Some("wonde-timeout"));

    let run = world.sync(SyncKind::Delta).await;
    assert_eq!(run.counts.pupils_left, 1, "the next run catches up");
}

#[tokio::test]
async fn a_full_sync_that_fails_on_a_later_page_deletes_nothing() {
    let world = World::start().await;
    world.sync(SyncKind::Full).await;
    let pupil = world.fake.pupils()[7].clone();
    let pupil_id = world.pupil_id(&pupil.id);
    let class = world.fake.classes()[0].clone();
    world.fake.delete(&pupil.id);
    world.fake.delete(&class.id);
    world.writes.take();

    // The school, two pages of groups, one of staff, then pupils: the
    // fourth pupil page fails on every try.
    let first_pupil_page = world.fake.requests_served() + 5;
    for at in first_pupil_page + 3..first_pupil_page + 6 {
        world.fake.inject(at, Fault::ServerError);
    }
    let failed = sync_wonde::sync_school(&world.app, &world.school, SyncKind::Full).await;

    assert!(failed.is_err(), "{failed:?}");
    let failed_at = world.fake.requests()[(first_pupil_page + 2) as usize].clone();
    assert!(failed_at.path.ends_with("/students"), "{failed_at:?}");
    assert_eq!(failed_at.param("page"), Some("4"), "{failed_at:?}");
    assert_eq!(world.roster_writes().len(), 0);
    let (_, left) = world
        .store()
        .roster_pupil(&world.school, &pupil_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(left, None);
    let class_id = ClassId::parse(&class.id).unwrap();
    assert!(
        world
            .store()
            .class(&world.school, &class_id)
            .await
            .unwrap()
            .is_some()
    );

    let run = world.sync(SyncKind::Full).await;
    assert_eq!(run.counts.pupils_left, 1);
    assert_eq!(run.counts.classes_removed, 1);
    assert!(
        world
            .store()
            .class(&world.school, &class_id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn group_analysis_flags_only_while_the_school_has_it_on() {
    let world = World::start().await;
    world.sync(SyncKind::Full).await;
    let pupil_id = world.pupil_id(&world.fake.pupils()[0].id);

    world
        .store()
        .set_group_analysis(&world.school, true)
        .await
        .unwrap();
    let on = world.sync(SyncKind::Delta).await;
    assert_eq!(
        on.kind,
        SyncKind::Full,
        "switching it on needs every pupil again"
    );
    assert_eq!(on.counts.pupils_written as usize, world.fake.pupils().len());
    let (pupil, _) = world
        .store()
        .roster_pupil(&world.school, &pupil_id)
        .await
        .unwrap()
        .unwrap();
    let flags = pupil.group_flags.expect("flags while group analysis is on");
    assert!(flags.gender.is_some() && flags.sen_status.is_some());

    let again = world.sync(SyncKind::Delta).await;
    assert_eq!(again.kind, SyncKind::Delta);
    assert!(again.counts.is_empty());

    world
        .store()
        .set_group_analysis(&world.school, false)
        .await
        .unwrap();
    let off = world.sync(SyncKind::Delta).await;
    assert_eq!(off.kind, SyncKind::Full);
    let (pupil, _) = world
        .store()
        .roster_pupil(&world.school, &pupil_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        pupil.group_flags, None,
        "switched off, the flags are removed"
    );
    let raw = world
        .table
        .client()
        .get_item()
        .table_name(&world.table.name)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(store::keys::pupil(
                &world.school,
                &pupil_id,
            )),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("PUPIL".to_owned()),
        )
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    for name in ["gender", "senStatus", "pupilPremium", "eal", "groupFlags"] {
        assert!(!raw.contains_key(name), "{name} is still stored");
    }
}

#[tokio::test]
async fn two_syncs_of_one_school_never_run_at_once() {
    let world = World::start().await;
    world.sync(SyncKind::Full).await;
    world
        .fake
        .inject_next(Fault::Slow(Duration::from_millis(300)));

    let (first, second) = tokio::join!(
        sync_wonde::sync_school(&world.app, &world.school, SyncKind::Delta),
        async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            sync_wonde::sync_school(&world.app, &world.school, SyncKind::Delta).await
        }
    );

    assert!(
        matches!(first, Ok(sync_wonde::SyncOutcome::Completed(_))),
        "{first:?}"
    );
    assert!(
        matches!(
            second,
            Ok(sync_wonde::SyncOutcome::Declined {
                running: SyncKind::Delta
            })
        ),
        "{second:?}"
    );
    let after = sync_wonde::sync_school(&world.app, &world.school, SyncKind::Delta).await;
    assert!(
        matches!(after, Ok(sync_wonde::SyncOutcome::Completed(_))),
        "the lease was released"
    );
}

#[tokio::test]
async fn every_form_keeps_its_tutors_so_a_pupil_s_tutor_can_be_found() {
    let world = World::start().await;

    world.sync(SyncKind::Full).await;

    let pupil = world.fake.pupils().remove(0);
    let form = world
        .fake
        .groups()
        .into_iter()
        .find(|g| g.kind == "REGISTRATION" && g.name == pupil.form)
        .expect("the pupil's form is a group");
    assert_eq!(form.tutors.len(), 1, "every form of the fake has a tutor");
    let tutor = world
        .fake
        .staff()
        .into_iter()
        .find(|e| e.id == form.tutors[0])
        .unwrap();

    let found = world
        .store()
        .tutors_of(&world.school, &form.name)
        .await
        .unwrap();

    assert_eq!(
        found.iter().map(|t| t.id.to_string()).collect::<Vec<_>>(),
        vec![tutor.id]
    );
    assert_eq!(
        found[0].email.as_ref().map(|e| e.as_str().to_owned()),
        tutor.work_email,
        "the tutor's work address comes with them"
    );
    assert!(
        world
            .store()
            .tutors_of(&world.school, "no such form")
            .await
            .unwrap()
            .is_empty()
    );
}
