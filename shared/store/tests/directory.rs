//! The pupil and class directories against the emulator: rows the roster
//! sync writes and rows seeding writes are both found, a pupil who leaves
//! stays findable as left, and a class that loses a pupil is counted again.

use chrono::Utc;
use domain::{ClassId, PupilId, SchoolId, StaffId};
use store::roster::plan_writes;
use store::{
    ClassQuery, ClassRoster, Member, Pupil, PupilQuery, RosterClass, RosterLedger, RosterPupil,
    RosterUpdate,
};
use testkit::TestTable;

fn pupil(id: &str, first: &str, last: &str) -> RosterPupil {
    RosterPupil {
        id: PupilId::parse(id).unwrap(),
        wonde_id: format!("W{id}"),
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        year_group: "7".to_owned(),
        house: None,
        registration_group: None,
        group_flags: None,
    }
}

fn query(limit: usize) -> PupilQuery {
    PupilQuery {
        limit,
        ..PupilQuery::default()
    }
}

#[tokio::test]
async fn synced_pupils_stay_in_the_directory_when_they_leave() {
    let table = TestTable::create().await;
    let store = &table.store;
    let school = SchoolId::parse("s1").unwrap();
    let pupils = vec![
        pupil("p1", "Ava", "Zed"),
        pupil("p2", "Ben", "Able"),
        pupil("p3", "Cat", "Moss"),
    ];
    let teacher = StaffId::parse("t1").unwrap();
    let class = RosterClass {
        id: ClassId::parse("c1").unwrap(),
        name: "7A Maths".to_owned(),
        year_group: "7".to_owned(),
        subject: None,
        teacher_ids: vec![teacher.clone()],
        main_teacher_id: None,
        members: pupils
            .iter()
            .map(|p| Member {
                pupil_id: p.id.clone(),
                display_name: p.display_name(),
            })
            .collect(),
    };
    let full = RosterUpdate {
        pupils,
        classes: vec![class],
        ..RosterUpdate::default()
    };
    let writes = plan_writes(&school, &RosterLedger::default(), &full).unwrap();
    store
        .write_roster(&school, writes, Utc::now())
        .await
        .unwrap();

    let (page, next) = store.pupils(&school, &query(2)).await.unwrap();
    let names: Vec<&str> = page.iter().map(|p| p.last_name.as_str()).collect();
    assert_eq!(names, ["Able", "Moss"]);
    let (rest, end) = store
        .pupils(
            &school,
            &PupilQuery {
                after: next,
                ..query(2)
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(end, None);

    let mut delta = RosterUpdate::default();
    delta.removed.pupils.insert(PupilId::parse("p3").unwrap());
    let ledger = store.roster_ledger(&school).await.unwrap();
    let writes = plan_writes(&school, &ledger, &delta).unwrap();
    store
        .write_roster(&school, writes, Utc::now())
        .await
        .unwrap();

    let (current, _) = store.pupils(&school, &query(10)).await.unwrap();
    assert_eq!(current.len(), 2);
    let everyone = PupilQuery {
        include_left: true,
        ..query(10)
    };
    let (all, _) = store.pupils(&school, &everyone).await.unwrap();
    let moss = all
        .iter()
        .find(|p| p.last_name == "Moss")
        .expect("still listed");
    assert!(moss.left_at.is_some());

    let mine = ClassQuery {
        teacher: Some(teacher),
        limit: 10,
        after: None,
    };
    let (classes, _) = store.classes(&school, &mine).await.unwrap();
    assert_eq!(classes.len(), 1);
    assert_eq!(
        classes[0].pupil_count, 2,
        "counted again without the leaver"
    );
    let ava = PupilId::parse("p1").unwrap();
    let of_ava = store.classes_of_pupil(&school, &ava).await.unwrap();
    assert_eq!(of_ava.len(), 1);
    assert_eq!(of_ava[0].name, "7A Maths");
}

#[tokio::test]
async fn seeded_pupils_and_classes_are_in_the_directory_and_no_other_schools() {
    let table = TestTable::create().await;
    let store = &table.store;
    let school = SchoolId::parse("s1").unwrap();
    let other = SchoolId::parse("s2").unwrap();
    let seeded = Pupil {
        id: PupilId::parse("p9").unwrap(),
        first_name: "Isla".to_owned(),
        last_name: "Jones".to_owned(),
        year_group: "8".to_owned(),
        house: Some("Oak".to_owned()),
    };
    store
        .put_pupils(&school, std::slice::from_ref(&seeded))
        .await
        .unwrap();
    store
        .put_class(
            &school,
            &ClassRoster {
                id: ClassId::parse("c9").unwrap(),
                name: "8C English".to_owned(),
                year_group: "8".to_owned(),
                teacher_ids: vec![],
                members: vec![Member {
                    pupil_id: seeded.id.clone(),
                    display_name: "Isla Jones".to_owned(),
                }],
            },
        )
        .await
        .unwrap();

    let (found, _) = store
        .pupils(
            &school,
            &PupilQuery {
                name: Some("isl".to_owned()),
                house: Some("Oak".to_owned()),
                ..query(5)
            },
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let all = ClassQuery {
        teacher: None,
        limit: 5,
        after: None,
    };
    let (classes, _) = store.classes(&school, &all).await.unwrap();
    assert_eq!(classes[0].pupil_count, 1);

    assert!(store.pupils(&other, &query(5)).await.unwrap().0.is_empty());
    assert!(store.classes(&other, &all).await.unwrap().0.is_empty());
    assert!(
        store
            .directory_pupil(&other, &seeded.id)
            .await
            .unwrap()
            .is_none()
    );
}
