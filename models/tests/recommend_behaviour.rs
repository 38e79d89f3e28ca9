//! Issue 5's behaviour checks on a synthetic catalog: six clusters of ten items (CATEGORY per
//! cluster, BRAND and SIZE cycling), users who each stay in one cluster.

use seer_models::recommend::personalization::RequestOptions;
use seer_models::recommend::rng::SplitMix64;
use seer_models::recommend::{Dataset, DatasetBuilder, Event, PersonalizationParams, UserPersonalization};

const DAY: i64 = 86_400;

fn item(c: usize, k: usize) -> String {
    format!("i{c}_{k}")
}

/// 300 users × 8 events inside their cluster, a day apart; plus a brand-new item `new` (no
/// events, created at the end) in cluster 1 with brand B0 and size S9.
fn catalog() -> Dataset {
    let mut b = DatasetBuilder::new();
    let mut rng = SplitMix64::new(3);
    for c in 0..6 {
        for k in 0..10 {
            let id = item(c, k);
            b.set_item_attribute(&id, "CATEGORY", &format!("C{c}")).unwrap();
            b.set_item_attribute(&id, "BRAND", &format!("B{}", k % 3)).unwrap();
            b.set_item_attribute(&id, "SIZE", &format!("S{}", k % 5)).unwrap();
            b.set_item_created(&id, 0).unwrap();
        }
    }
    for u in 0..300 {
        let c = u % 6;
        for t in 0..8 {
            // Items early in a cluster are more popular.
            let k = (rng.below(10) * rng.below(10)) / 9;
            b.add_event(&format!("u{u}"), &item(c, k), (u as i64) * 10 + t * DAY, None, None).unwrap();
        }
    }
    let end = 8 * DAY + 3000;
    b.set_item_attribute("new", "CATEGORY", "C1").unwrap();
    b.set_item_attribute("new", "BRAND", "B0").unwrap();
    b.set_item_attribute("new", "SIZE", "S9").unwrap();
    b.set_item_created("new", end).unwrap();
    b.build()
}

fn model(ds: &Dataset) -> UserPersonalization {
    let mut p = PersonalizationParams::default();
    p.als.factors = 8;
    p.als.iterations = 8;
    p.trend_window = 2 * DAY;
    UserPersonalization::fit(ds, &p).unwrap()
}

fn ev(ds: &Dataset, id: &str, t: i64) -> Event {
    Event { user: u32::MAX, item: ds.items().get(id).unwrap(), timestamp: t, event_type: 0, value: None }
}

const NO_EXPLORATION: RequestOptions =
    RequestOptions { exploration_weight: Some(0.0), now: None, exact: false, trained_user: None };

#[test]
fn events_on_two_items_bring_their_neighbours_into_the_top_10() {
    let ds = catalog();
    let m = model(&ds);
    let history: Vec<Event> = (0..6).map(|k| ev(&ds, &item(0, k), k as i64)).collect();
    let before = m.recommend(&history, 10, &NO_EXPLORATION, |_| true).unwrap();
    let a = ds.items().get(&item(4, 1)).unwrap();
    let b = ds.items().get(&item(4, 2)).unwrap();
    let neighbours: Vec<u32> = m
        .similar_items()
        .similar(a, 10, |_| true)
        .into_iter()
        .chain(m.similar_items().similar(b, 10, |_| true))
        .map(|s| s.0)
        .collect();
    let count = |recs: &[(u32, f32)]| recs.iter().filter(|r| neighbours.contains(&r.0)).count();
    let mut after_history = history.clone();
    after_history.push(ev(&ds, &item(4, 1), 100));
    after_history.push(ev(&ds, &item(4, 2), 101));
    let after = m.recommend(&after_history, 10, &NO_EXPLORATION, |_| true).unwrap();
    assert!(count(&after) > count(&before), "before {} after {}", count(&before), count(&after));
}

#[test]
fn new_item_with_metadata_is_a_neighbour_of_items_like_it_only() {
    let ds = catalog();
    let m = model(&ds);
    let new = ds.items().get("new").unwrap();
    // i1_3: C1, B0, S3 — shares CATEGORY and BRAND with the new item.
    let sharing = ds.items().get(&item(1, 3)).unwrap();
    // i2_1: C2, B1, S1 — shares nothing.
    let unrelated = ds.items().get(&item(2, 1)).unwrap();
    let sims = m.similar_items();
    assert!(sims.similar(sharing, 10, |_| true).iter().any(|s| s.0 == new));
    assert!(!sims.similar(unrelated, 10, |_| true).iter().any(|s| s.0 == new));
    // A new item's own neighbours come from metadata.
    let own = sims.similar(new, 5, |_| true);
    assert!(!own.is_empty());
    assert!(own.iter().all(|s| ds.item_attributes.get(s.0, "CATEGORY") == Some("C1")));
}

#[test]
fn exploration_shows_new_items() {
    let ds = catalog();
    let m = model(&ds);
    let new = ds.items().get("new").unwrap();
    let history: Vec<Event> = (0..5).map(|k| ev(&ds, &item(1, k), k as i64)).collect();
    let explore = RequestOptions { exploration_weight: Some(0.3), now: None, exact: false, trained_user: None };
    let recs = m.recommend(&history, 10, &explore, |_| true).unwrap();
    assert_eq!(recs.len(), 10);
    assert!(recs.iter().any(|s| s.0 == new), "{recs:?}");
    // Scores never rise down the list, exploration picks included; the first result is the
    // model's best, so one result is never an exploration pick; whatever n and weight.
    let best = m.recommend(&history, 10, &NO_EXPLORATION, |_| true).unwrap();
    for n in 1..=10 {
        for w in [0.3, 0.9, 1.0] {
            let opts = RequestOptions { exploration_weight: Some(w), ..explore };
            let recs = m.recommend(&history, n, &opts, |_| true).unwrap();
            assert_eq!(recs.len(), n);
            assert_eq!(recs[0].0, best[0].0, "n {n}, weight {w}: {recs:?}");
            assert!(recs.windows(2).all(|p| p[0].1 >= p[1].1), "n {n}, weight {w}: {recs:?}");
        }
    }
    // A Campaign's settings replace the trained ones: weight 0 explores nothing; a 90-day
    // cutoff still explores the item 60 days on (the trained 30 days do not: below).
    let mut quiet = m.clone();
    quiet.set_exploration(Some(0.0), None);
    let recs =
        quiet.recommend(&history, 10, &RequestOptions { exploration_weight: None, ..explore }, |_| true).unwrap();
    assert!(!recs.iter().any(|s| s.0 == new), "{recs:?}");
    let mut patient = m.clone();
    patient.set_exploration(None, Some(90 * DAY));
    let later = RequestOptions { now: Some(8 * DAY + 3000 + 60 * DAY), ..explore };
    assert!(patient.recommend(&history, 10, &later, |_| true).unwrap().iter().any(|s| s.0 == new));
    // Exploration respects the age cutoff: long after creation the item is no longer explored.
    let later = RequestOptions {
        exploration_weight: Some(0.3),
        now: Some(8 * DAY + 3000 + 60 * DAY),
        exact: false,
        trained_user: None,
    };
    let recs = m.recommend(&history, 10, &later, |_| true).unwrap();
    assert!(!recs.iter().any(|s| s.0 == new));
}

#[test]
fn unknown_users_get_popular_items_then_personalise() {
    let ds = catalog();
    let m = model(&ds);
    let cold = m.recommend(&[], 5, &NO_EXPLORATION, |_| true).unwrap();
    assert_eq!(cold.len(), 5);
    let history = vec![ev(&ds, &item(5, 0), 1), ev(&ds, &item(5, 1), 2)];
    let warm = m.recommend(&history, 5, &NO_EXPLORATION, |_| true).unwrap();
    let in_cluster = warm.iter().filter(|s| ds.item_attributes.get(s.0, "CATEGORY") == Some("C5")).count();
    assert!(in_cluster >= 4, "{warm:?}");
}

#[test]
fn filters_apply_to_recommendations() {
    let ds = catalog();
    let m = model(&ds);
    let history: Vec<Event> = (0..5).map(|k| ev(&ds, &item(1, k), k as i64)).collect();
    let recs =
        m.recommend(&history, 10, &NO_EXPLORATION, |i| ds.item_attributes.get(i, "BRAND") != Some("B0")).unwrap();
    assert!(!recs.is_empty());
    assert!(recs.iter().all(|s| ds.item_attributes.get(s.0, "BRAND") != Some("B0")));
}

#[test]
fn personalized_ranking_puts_the_users_cluster_first() {
    let ds = catalog();
    let m = model(&ds);
    let history: Vec<Event> = (0..5).map(|k| ev(&ds, &item(2, k), k as i64)).collect();
    let input: Vec<u32> =
        [item(3, 0), item(3, 1), item(2, 6), item(2, 7)].iter().map(|id| ds.items().get(id).unwrap()).collect();
    let ranked = m.rank(&history, &input).unwrap();
    assert_eq!(ranked.len(), 4);
    let top2: Vec<u32> = ranked[..2].iter().map(|s| s.0).collect();
    assert!(top2.contains(&input[2]) && top2.contains(&input[3]), "{ranked:?}");
}
