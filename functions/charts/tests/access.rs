//! Who may read which chart, and what a chart refuses: each role reaches
//! what its scope says and gets 404 for the rest, exactly as for what does
//! not exist; the charts that compare staff and groups need their own
//! permission; bad input is 400 naming the field, and nothing else.

mod common;

use common::{HANA, HELEN, Harness, OMAR, TESS, UMA};
use domain::Role;

/// The status of a behaviour-over-time chart of `scope` and `id`.
async fn status(h: &Harness, token: &str, scope: &str, id: Option<&str>) -> u16 {
    let mut query = vec![("scope", scope)];
    if let Some(id) = id {
        query.push(("id", id));
    }
    let answer = h.call("behaviour-over-time", token, &query, None).await;
    if answer.status == 404 {
        assert!(
            answer.json()["detail"]
                .as_str()
                .unwrap()
                .contains("or not one whose charts you may read"),
            "{}",
            answer.text
        );
    }
    answer.status
}

#[tokio::test]
async fn each_role_reaches_its_own_and_nothing_else() {
    let h = Harness::new("charts-reach").await;
    let teacher = h.token(TESS, Role::Teacher);
    let tutor = h.token(UMA, Role::Tutor);
    let head = h.token(HANA, Role::HeadOfYear);
    let slt = h.slt();
    let cases: [(&str, &String, &str, Option<&str>, u16); 31] = [
        // Tess teaches 9A: its class and pupils, and herself.
        ("teacher", &teacher, "class", Some("9A-ma"), 200),
        ("teacher", &teacher, "pupil", Some("p-amelia"), 200),
        ("teacher", &teacher, "staff", Some(TESS), 200),
        ("teacher", &teacher, "class", Some("9B-sc"), 404),
        ("teacher", &teacher, "pupil", Some("p-noah"), 404),
        ("teacher", &teacher, "school", None, 404),
        ("teacher", &teacher, "year", Some("9"), 404),
        ("teacher", &teacher, "house", Some("Ash"), 404),
        ("teacher", &teacher, "staff", Some(OMAR), 404),
        ("teacher", &teacher, "pupil", Some("p-nobody"), 404),
        ("teacher", &teacher, "class", Some("no-such-class"), 404),
        // Uma tutors 9T (Amelia, Oliver, Ava).
        ("tutor", &tutor, "pupil", Some("p-amelia"), 200),
        ("tutor", &tutor, "pupil", Some("p-ava"), 200),
        ("tutor", &tutor, "staff", Some(UMA), 200),
        ("tutor", &tutor, "pupil", Some("p-isla"), 404),
        ("tutor", &tutor, "class", Some("9A-ma"), 404),
        ("tutor", &tutor, "year", Some("9"), 404),
        ("tutor", &tutor, "school", None, 404),
        // Hana teaches 10Y Drama: year 10 is hers.
        ("head of year", &head, "year", Some("10"), 200),
        ("head of year", &head, "class", Some("10X-en"), 200),
        ("head of year", &head, "pupil", Some("p-zara"), 200),
        ("head of year", &head, "year", Some("9"), 404),
        ("head of year", &head, "class", Some("9A-ma"), 404),
        ("head of year", &head, "pupil", Some("p-amelia"), 404),
        ("head of year", &head, "school", None, 404),
        // Leaders reach everything that exists.
        ("slt", &slt, "school", None, 200),
        ("slt", &slt, "house", Some("Oak"), 200),
        ("slt", &slt, "staff", Some(OMAR), 200),
        ("slt", &slt, "pupil", Some("p-noah"), 200),
        ("slt", &slt, "pupil", Some("p-nobody"), 404),
        ("slt", &slt, "staff", Some("staff-nobody"), 404),
    ];
    for (who, token, scope, id, expected) in cases {
        assert_eq!(
            status(&h, token, scope, id).await,
            expected,
            "{who}: {scope} {id:?}"
        );
    }

    // A tutor who also teaches reaches both.
    let both = h.token_with(UMA, &[Role::Tutor, Role::Teacher]);
    assert_eq!(status(&h, &both, "pupil", Some("p-oliver")).await, 200);
    // A member of staff with no roster entry may still chart themselves.
    let newcomer = h.token("staff-newcomer", Role::Teacher);
    assert_eq!(
        status(&h, &newcomer, "staff", Some("staff-newcomer")).await,
        200
    );
    // Vendor support and parents read no charts at all.
    let support = h.token(HELEN, Role::Support);
    let refused = h.call("behaviour-over-time", &support, &[], None).await;
    assert_eq!(refused.status, 403);
}

#[tokio::test]
async fn staff_and_group_comparisons_need_their_own_permission() {
    let h = Harness::new("charts-permissions").await;
    let teacher = h.token(TESS, Role::Teacher);
    for (role, user, chart, expected) in [
        (Role::Teacher, TESS, "staff-ratio", 403),
        (Role::Pastoral, HELEN, "staff-ratio", 403),
        (Role::Dsl, HELEN, "staff-ratio", 403),
        (Role::Slt, HELEN, "staff-ratio", 200),
        (Role::Admin, HELEN, "staff-ratio", 200),
        (Role::Teacher, TESS, "groups", 403),
        (Role::HeadOfYear, HANA, "groups", 403),
        (Role::Pastoral, HELEN, "groups", 200),
        (Role::Slt, HELEN, "groups", 200),
    ] {
        let answer = h.call(chart, &h.token(user, role), &[], None).await;
        assert_eq!(answer.status, expected, "{role:?} {chart}: {}", answer.text);
    }
    // The teacher's own class's top pupils are theirs to see.
    let top = h
        .call(
            "top",
            &teacher,
            &[("scope", "class"), ("id", "9A-ma")],
            None,
        )
        .await;
    assert_eq!(top.status, 200, "{}", top.text);
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field() {
    let h = Harness::new("charts-refusals").await;
    let slt = h.slt();

    let unknown = h.call("sparkline", &slt, &[], None).await;
    assert_eq!(unknown.status, 404);
    let detail = unknown.json()["detail"].as_str().unwrap().to_owned();
    for name in [
        "behaviour-over-time",
        "points-over-time",
        "behaviour-types",
        "heatmap",
        "top",
        "staff-ratio",
        "groups",
    ] {
        assert!(detail.contains(name), "{detail}");
    }

    // (chart, query, the field named in the refusal)
    type Refusal<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: [Refusal; 17] = [
        ("behaviour-over-time", &[("from", "2026-13-01")], "from"),
        ("behaviour-over-time", &[("from", "7 Sep 2026")], "from"),
        ("behaviour-over-time", &[("to", "1999-12-31")], "to"),
        (
            "behaviour-over-time",
            &[("from", "2026-12-18"), ("to", "2026-09-07")],
            "to",
        ),
        (
            "behaviour-over-time",
            &[("from", "2025-01-01"), ("to", "2026-09-07")],
            "to",
        ),
        // A `from` after today, with `to` left to default to today.
        ("behaviour-over-time", &[("from", "2099-01-01")], "to"),
        (
            "behaviour-over-time",
            &[("scope", "pupil"), ("id", "p-amelia"), ("interval", "day")],
            "interval",
        ),
        (
            "behaviour-over-time",
            &[("interval", "fortnight")],
            "interval",
        ),
        ("behaviour-over-time", &[("scope", "form")], "scope"),
        ("behaviour-over-time", &[("scope", "pupil")], "id"),
        ("behaviour-over-time", &[("id", "p-amelia")], "id"),
        ("behaviour-over-time", &[("colour", "red")], "colour"),
        ("behaviour-over-time", &[("limit", "5")], "limit"),
        ("behaviour-over-time", &[("format", "pdf")], "format"),
        ("top", &[("limit", "0")], "limit"),
        (
            "top",
            &[("members", "classes"), ("scope", "house"), ("id", "Ash")],
            "members",
        ),
        ("heatmap", &[("measure", "points")], "measure"),
    ];
    for (chart, query, field) in cases {
        let answer = h.call(chart, &slt, query, None).await;
        assert_eq!(
            answer.fields(),
            [field],
            "{chart} {query:?}: {}",
            answer.text
        );
        assert_eq!(
            answer.json()["type"],
            "https://classlights.app/problems/validation"
        );
    }

    for (chart, query, field) in [
        ("top", [("scope", "pupil"), ("id", "p-amelia")], "scope"),
        ("staff-ratio", [("scope", "year"), ("id", "9")], "scope"),
        ("groups", [("scope", "class"), ("id", "9A-ma")], "scope"),
        ("top", [("limit", "51"), ("order", "top")], "limit"),
        ("top", [("order", "middle"), ("limit", "3")], "order"),
    ] {
        let answer = h.call(chart, &slt, &query, None).await;
        assert_eq!(
            answer.fields(),
            [field],
            "{chart} {query:?}: {}",
            answer.text
        );
    }

    // Every refused field is named in one answer.
    let many = h
        .call(
            "top",
            &slt,
            &[("limit", "0"), ("from", "x"), ("measure", "hugs")],
            None,
        )
        .await;
    assert_eq!(many.fields(), ["from", "measure", "limit"]);

    // Odd but harmless values are no 500.
    for query in [
        vec![("scope", "year"), ("id", "🙂")],
        vec![("scope", "house"), ("id", "Ash#Oak")],
        vec![("scope", "class"), ("id", "../../etc")],
        vec![("scope", "staff"), ("id", "x".repeat(64).leak() as &str)],
    ] {
        let answer = h.call("behaviour-over-time", &slt, &query, None).await;
        assert!(
            matches!(answer.status, 200 | 404),
            "{query:?}: {} {}",
            answer.status,
            answer.text
        );
    }
    let answer = h
        .call("heatmap", &slt, &[], Some("text/csv;q=nonsense, */*;q=0"))
        .await;
    assert_eq!(answer.status, 406, "{}", answer.text);
}
