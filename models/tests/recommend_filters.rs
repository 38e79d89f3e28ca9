//! One test per filter expression form, and malformed expressions rejected with a position.

use std::collections::HashMap;

use seer_models::recommend::{Dataset, DatasetBuilder, Filter, FilterContext, FilterError, parse_filter_value};

/// Items a..e with GENRE and PRICE; user u1 (AGE 15) purchased a, clicked b; u2 is 40.
fn catalog() -> Dataset {
    let mut b = DatasetBuilder::new();
    for (id, genre, price) in
        [("a", "Comedy", "5"), ("b", "Drama", "12"), ("c", "Comedy|Drama", "30"), ("d", "Horror", "8"), ("e", "", "")]
    {
        b.add_item(id).unwrap();
        b.set_item_attribute(id, "GENRE", genre).unwrap();
        b.set_item_attribute(id, "PRICE", price).unwrap();
    }
    b.add_event("u1", "a", 1, Some("purchase"), Some(1.0)).unwrap();
    b.add_event("u1", "b", 2, Some("click"), Some(4.0)).unwrap();
    b.add_event("u2", "d", 3, Some("click"), None).unwrap();
    b.set_user_attribute("u1", "AGE", "15").unwrap();
    b.set_user_attribute("u2", "AGE", "40").unwrap();
    b.build()
}

/// Items the filter allows, by id, for `user` with `values` and `current`.
fn allowed(ds: &Dataset, expr: &str, user: &str, current: Option<&str>, values: &[(&str, &str)]) -> Vec<String> {
    let f = Filter::parse(expr).unwrap();
    let u = ds.users().get(user).unwrap();
    let mut vals = HashMap::new();
    for (k, v) in values {
        vals.insert(k.to_string(), parse_filter_value(k, v).unwrap());
    }
    let ctx = FilterContext {
        user: Some(u),
        history: ds.user_events(u),
        current_item: current.and_then(|c| ds.items().get(c)),
        values: vals,
    };
    let bound = f.bind(ds, &ctx);
    (0..ds.n_items() as u32).filter(|&i| bound.allows(i)).map(|i| ds.items().name(i).unwrap().to_string()).collect()
}

#[test]
fn exclude_interactions_by_event_type() {
    let ds = catalog();
    let got = allowed(&ds, r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#, "u1", None, &[]);
    assert_eq!(got, ["b", "c", "d", "e"]);
}

#[test]
fn include_interactions_by_event_value() {
    let ds = catalog();
    let got = allowed(&ds, "INCLUDE ItemID WHERE Interactions.EVENT_VALUE >= 2", "u1", None, &[]);
    assert_eq!(got, ["b"]);
}

#[test]
fn include_items_with_placeholder_and_multi_valued_field() {
    let ds = catalog();
    let expr = "INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)";
    assert_eq!(allowed(&ds, expr, "u1", None, &[("GENRE", r#""Drama""#)]), ["b", "c"]);
    assert_eq!(allowed(&ds, expr, "u1", None, &[("GENRE", r#""Horror","Comedy""#)]), ["a", "c", "d"]);
    // No value for the placeholder: the condition is left out and nothing is filtered.
    assert_eq!(allowed(&ds, expr, "u1", None, &[]).len(), 5);
}

#[test]
fn not_in_and_numeric_comparisons_with_and_or() {
    let ds = catalog();
    let got = allowed(&ds, r#"EXCLUDE ItemID WHERE Items.GENRE NOT IN ("Comedy")"#, "u1", None, &[]);
    assert_eq!(got, ["a", "c"]);
    let got = allowed(&ds, r#"INCLUDE ItemID WHERE Items.PRICE < 10 AND Items.GENRE = "Comedy""#, "u1", None, &[]);
    assert_eq!(got, ["a"]);
    let got = allowed(&ds, r#"INCLUDE ItemID WHERE Items.PRICE > 20 OR Items.GENRE = "Horror""#, "u1", None, &[]);
    assert_eq!(got, ["c", "d"]);
    let got = allowed(&ds, "INCLUDE ItemID WHERE Items.PRICE <= 12 AND Items.PRICE != 8", "u1", None, &[]);
    assert_eq!(got, ["a", "b"]);
}

#[test]
fn current_item_comparisons() {
    let ds = catalog();
    let got = allowed(&ds, "INCLUDE ItemID WHERE Items.GENRE IN (CurrentItem.GENRE)", "u1", Some("a"), &[]);
    assert_eq!(got, ["a", "c"]);
    let got = allowed(&ds, "EXCLUDE ItemID WHERE Items.PRICE > CurrentItem.PRICE", "u1", Some("b"), &[]);
    assert_eq!(got, ["a", "b", "d", "e"]);
}

#[test]
fn users_condition_in_if_clause() {
    let ds = catalog();
    // AWS's spelling (CurrentUser.) and Users. mean the request's user alike.
    for expr in [
        r#"EXCLUDE ItemID WHERE Items.GENRE IN ("Horror") IF CurrentUser.AGE < 18"#,
        r#"EXCLUDE ItemID WHERE Items.GENRE IN ("Horror") IF Users.AGE < 18"#,
    ] {
        assert_eq!(allowed(&ds, expr, "u1", None, &[]), ["a", "b", "c", "e"]);
        assert_eq!(allowed(&ds, expr, "u2", None, &[]).len(), 5);
    }
}

#[test]
fn pipe_joins_expressions() {
    let ds = catalog();
    let expr = r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase") | INCLUDE ItemID WHERE Items.GENRE IN ("Comedy")"#;
    assert_eq!(allowed(&ds, expr, "u1", None, &[]), ["c"]);
}

#[test]
fn malformed_expressions_give_positions() {
    let pos = |s: &str| match Filter::parse(s) {
        Err(FilterError::Syntax { position, .. }) => position,
        other => panic!("expected a syntax error for {s:?}, got {other:?}"),
    };
    assert_eq!(pos(""), 1);
    assert_eq!(pos("DROP ItemID"), 1);
    assert_eq!(pos("EXCLUDE ItemID Items.GENRE IN (\"a\")"), 16);
    assert_eq!(pos("EXCLUDE ItemID WHERE Items.GENRE IN \"a\""), 37);
    assert_eq!(pos("EXCLUDE ItemID WHERE Items.GENRE IN (\"a\""), 41);
    assert_eq!(pos("EXCLUDE ItemID WHERE Itms.GENRE IN (\"a\")"), 22);
    assert_eq!(pos("INCLUDE ItemID WHERE Items.PRICE ~ 3"), 34);
    assert_eq!(pos("INCLUDE ItemID WHERE Items.GENRE IN (\"a) "), 38);
    assert_eq!(pos("INCLUDE ItemID WHERE Items.GENRE IN (\"a\") IF Items.X = 1"), 46);
    let msg = Filter::parse("INCLUDE ItemID WHERE Items.PRICE ~ 3").unwrap_err().to_string();
    assert!(msg.contains("position 34"), "{msg}");
    assert!(parse_filter_value("GENRE", "\"a\" \"b\"").is_err());
}

#[test]
fn placeholders_are_listed() {
    let f = Filter::parse("INCLUDE ItemID WHERE Items.GENRE IN ($genre) AND Items.PRICE < $MAX").unwrap();
    assert_eq!(f.placeholders(), ["GENRE", "MAX"]);
}
