//! A school to test and demonstrate with: the default policy, a few classes
//! of real-looking pupils, a teacher and a senior leader.

use domain::{ClassId, Policy, PupilId, SchoolId, StaffId};
use store::{ClassRoster, Member, Pupil, SchoolSettings, Store};

const FIRST_NAMES: [&str; 40] = [
    "Amelia", "Oliver", "Isla", "Noah", "Ava", "Muhammad", "Freya", "George", "Lily", "Leo",
    "Sophia", "Arthur", "Grace", "Oscar", "Mia", "Harry", "Evie", "Jack", "Poppy", "Theo", "Ella",
    "Charlie", "Aisha", "Finley", "Zara", "Alfie", "Maya", "Jacob", "Ruby", "Reuben", "Chloe",
    "Tomasz", "Hannah", "Kwame", "Niamh", "Rhys", "Priya", "Callum", "Eilidh", "Yusuf",
];
const LAST_NAMES: [&str; 40] = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Khan", "Hughes", "Edwards", "Hussain", "Lewis", "Mensah",
    "Murphy", "Kowalski", "Begum", "Price", "Morgan", "Campbell", "Okafor", "Reid", "Ali",
    "Fraser", "Nowak", "Shah", "Owen",
];

/// What the seeded school holds, for tests to refer to.
#[derive(Debug, Clone)]
pub struct DemoSchool {
    pub id: SchoolId,
    pub teacher: StaffId,
    pub leader: StaffId,
    pub classes: Vec<ClassRoster>,
    pub policy: Policy,
}

impl DemoSchool {
    /// The class of 30 that tests log a whole class in.
    pub fn class(&self) -> &ClassRoster {
        &self.classes[0]
    }

    /// The class of 40, the most one request may log.
    pub fn big_class(&self) -> &ClassRoster {
        &self.classes[2]
    }

    pub fn pupils(&self, class: &ClassRoster) -> Vec<PupilId> {
        class.members.iter().map(|m| m.pupil_id.clone()).collect()
    }
}

/// Seeds a school with the default policy and three classes: 7A maths (30
/// pupils), 8C English (28) and Year 9 assembly group (40).
pub async fn seed_school(store: &Store, school: &SchoolId, name: &str) -> DemoSchool {
    let policy = Policy::default_for_new_school();
    let settings = SchoolSettings {
        name: name.to_owned(),
        time_zone: "Europe/London".to_owned(),
    };
    store
        .put_school(school, &settings, &policy)
        .await
        .expect("seeding the school");

    let teacher = StaffId::parse("staff-teacher").expect("a valid id");
    let leader = StaffId::parse("staff-head").expect("a valid id");
    let layout = [
        ("7A-ma", "7A Maths", "7", 30, 0),
        ("8C-en", "8C English", "8", 28, 30),
        ("9-assembly", "Year 9 Group", "9", 40, 58),
    ];

    let mut classes = Vec::new();
    for (id, class_name, year, size, offset) in layout {
        let pupils: Vec<Pupil> = (0..size)
            .map(|i| {
                let n = offset + i;
                Pupil {
                    id: PupilId::parse(&format!("pupil-{n:03}")).expect("a valid id"),
                    first_name: FIRST_NAMES[n % 40].to_owned(),
                    last_name: LAST_NAMES[(n * 7 + n / 40) % 40].to_owned(),
                    year_group: year.to_owned(),
                    house: Some(["Ash", "Beech", "Cedar", "Oak"][n % 4].to_owned()),
                }
            })
            .collect();
        store
            .put_pupils(school, &pupils)
            .await
            .expect("seeding pupils");

        let class = ClassRoster {
            id: ClassId::parse(id).expect("a valid id"),
            name: class_name.to_owned(),
            year_group: year.to_owned(),
            teacher_ids: vec![teacher.clone()],
            members: pupils
                .iter()
                .map(|p| Member {
                    pupil_id: p.id.clone(),
                    display_name: format!("{} {}", p.first_name, p.last_name),
                })
                .collect(),
        };
        store
            .put_class(school, &class)
            .await
            .expect("seeding a class");
        classes.push(class);
    }

    DemoSchool {
        id: school.clone(),
        teacher,
        leader,
        classes,
        policy,
    }
}
