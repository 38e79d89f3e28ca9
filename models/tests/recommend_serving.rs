//! What serving precomputes at load (`UserPersonalization::prepare_serving`): the trained users'
//! folded-in factors change nothing in the answers; the packed neighbour rows and the candidate
//! lists, uncut, change nothing either; cut to the serving defaults, the served top 10 keeps the
//! exact one's.

use seer_models::recommend::personalization::RequestOptions;
use seer_models::recommend::rng::SplitMix64;
use seer_models::recommend::{
    AnnParams, Dataset, DatasetBuilder, Event, PersonalizationParams, ServingParams, UserPersonalization,
};

/// 600 items in 30 tastes of 20; 150 users, each mostly within two tastes, with repeats.
fn catalog() -> Dataset {
    let mut b = DatasetBuilder::new();
    let mut rng = SplitMix64::new(5);
    for u in 0..150 {
        let tastes = [rng.below(30), rng.below(30)];
        let n = 10 + rng.below(60);
        for t in 0..n {
            let item = if rng.below(10) == 0 {
                rng.below(600)
            } else {
                let taste = tastes[rng.below(2)];
                taste * 20 + (rng.below(20) * rng.below(20)) / 19
            };
            b.add_event(&format!("u{u}"), &format!("i{item}"), (t * 3600) as i64, None, None).unwrap();
        }
    }
    b.build()
}

fn model(ds: &Dataset) -> UserPersonalization {
    let mut p = PersonalizationParams::default();
    p.als.factors = 8;
    p.als.iterations = 4;
    p.ease.max_items = 100;
    p.max_validation_users = 40;
    UserPersonalization::fit(ds, &p).unwrap()
}

fn top(m: &UserPersonalization, history: &[Event], options: &RequestOptions) -> Vec<(u32, f32)> {
    m.recommend(history, 10, options, |_| true).unwrap()
}

#[test]
fn precomputed_user_vectors_and_uncut_rows_change_nothing() {
    let ds = catalog();
    let plain = model(&ds);
    let mut served = plain.clone();
    assert_eq!(served.prepared_users(), 0);
    // Everything a request sums and every candidate, as exact scoring takes them (each signal's
    // best 200, the model's number).
    let uncut = ServingParams {
        history_neighbors: usize::MAX,
        knn_neighbors: usize::MAX,
        ease_user_items: usize::MAX,
        history_items: usize::MAX,
        knn_user_items: usize::MAX,
        signal_candidates: PersonalizationParams::default().candidates,
        own_candidates: usize::MAX,
        min_recall: 1.0,
        calibration_users: 0,
    };
    served.prepare_serving(&uncut, ds.n_users(), |u| ds.user_events(u));
    assert_eq!(served.prepared_users(), ds.n_users());
    assert!(served.skipped_signals().is_empty(), "no calibration sample, nothing skipped");
    for u in 0..ds.n_users() as u32 {
        let history = ds.user_events(u);
        let want = top(&plain, history, &RequestOptions::default());
        let known = RequestOptions { trained_user: Some(u), ..RequestOptions::default() };
        assert_eq!(top(&served, history, &known), want, "user {u}, precomputed vector");
        assert_eq!(top(&served, history, &RequestOptions::default()), want, "user {u}, folded in");
    }
}

#[test]
fn cut_rows_keep_the_exact_top_10() {
    let ds = catalog();
    let mut m = model(&ds);
    assert!(m.index_items(&AnnParams { min_items: 100, candidates: 64, ..AnnParams::default() }));
    m.prepare_serving(&ServingParams::default(), ds.n_users(), |u| ds.user_events(u));
    let exact = RequestOptions { exact: true, ..RequestOptions::default() };
    let (mut hits, mut total) = (0, 0);
    for u in 0..ds.n_users() as u32 {
        let history = ds.user_events(u);
        let want: Vec<u32> = top(&m, history, &exact).iter().map(|s| s.0).collect();
        let known = RequestOptions { trained_user: Some(u), ..RequestOptions::default() };
        let got: Vec<u32> = top(&m, history, &known).iter().map(|s| s.0).collect();
        assert_eq!(got.len(), want.len());
        total += want.len();
        hits += got.iter().filter(|i| want.contains(i)).count();
    }
    let recall = hits as f64 / total as f64;
    assert!(recall >= 0.95, "recall@10 {recall:.4}");
}

#[test]
fn skipped_signals_keep_the_calibrated_recall() {
    let ds = catalog();
    let mut m = model(&ds);
    assert!(m.index_items(&AnnParams { min_items: 100, candidates: 64, ..AnnParams::default() }));
    let exact = RequestOptions { exact: true, exploration_weight: Some(0.0), ..RequestOptions::default() };
    let served_recall = |m: &UserPersonalization| {
        let (mut hits, mut total) = (0, 0);
        for u in 0..ds.n_users() as u32 {
            let history = ds.user_events(u);
            let want: Vec<u32> = top(m, history, &exact).iter().map(|s| s.0).collect();
            let known =
                RequestOptions { trained_user: Some(u), exploration_weight: Some(0.0), ..RequestOptions::default() };
            hits += top(m, history, &known).iter().filter(|s| want.contains(&s.0)).count();
            total += want.len();
        }
        hits as f64 / total as f64
    };
    // Nothing skipped: what the index and the cut rows alone keep.
    let params = ServingParams { calibration_users: 0, ..ServingParams::default() };
    m.prepare_serving(&params, ds.n_users(), |u| ds.user_events(u));
    let baseline = served_recall(&m);
    // Calibrated on every user: a skip never takes the served top 10 below the target (nor
    // below what it was without skips, when that is under the target: then nothing is skipped).
    for min_recall in [0.5, 0.9, 0.99] {
        let params = ServingParams { min_recall, calibration_users: ds.n_users(), ..ServingParams::default() };
        m.prepare_serving(&params, ds.n_users(), |u| ds.user_events(u));
        let recall = served_recall(&m);
        let skipped = m.skipped_signals();
        assert!(recall >= min_recall.min(baseline), "target {min_recall}: recall {recall:.4}, skipped {skipped:?}");
        if baseline < min_recall {
            assert!(skipped.is_empty(), "target {min_recall} above the baseline {baseline:.4}: skipped {skipped:?}");
        }
    }
    // No target: every item-to-item signal is skipped, and the answers still come.
    let params = ServingParams { min_recall: 0.0, ..ServingParams::default() };
    m.prepare_serving(&params, ds.n_users(), |u| ds.user_events(u));
    assert_eq!(m.skipped_signals(), ["recent_neighbors", "history_neighbors", "history_knn", "ease"]);
    assert_eq!(
        top(&m, ds.user_events(0), &RequestOptions { trained_user: Some(0), ..RequestOptions::default() }).len(),
        10
    );
}

#[test]
fn a_new_event_still_moves_a_prepared_users_answer() {
    let ds = catalog();
    let mut m = model(&ds);
    m.prepare_serving(&ServingParams::default(), ds.n_users(), |u| ds.user_events(u));
    let u = 3;
    let trained = ds.user_events(u);
    let before = top(&m, trained, &RequestOptions { trained_user: Some(u), ..RequestOptions::default() });
    // Events on other tastes (items of 0..20 and 580..600), as live events after the training ones;
    // with live events the server does not name the trained user.
    let mut live = trained.to_vec();
    let last = trained.last().map_or(0, |e| e.timestamp);
    let other: Vec<u32> = (0..20).chain(580..600).filter_map(|i| ds.items().get(&format!("i{i}"))).take(6).collect();
    assert_eq!(other.len(), 6);
    for (k, &item) in other.iter().enumerate() {
        live.push(Event { user: u, item, timestamp: last + 60 * (k as i64 + 1), event_type: 0, value: None });
    }
    let after = top(&m, &live, &RequestOptions::default());
    assert_ne!(before, after);
}
