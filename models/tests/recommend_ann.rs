//! The approximate candidate index against exact scoring on a catalog with real structure: the
//! recommendations it gives agree with exact scoring's (recall at 10), and small catalogs are
//! not indexed.

use seer_models::recommend::personalization::RequestOptions;
use seer_models::recommend::rng::SplitMix64;
use seer_models::recommend::{AnnParams, Dataset, DatasetBuilder, PersonalizationParams, UserPersonalization};

/// 1500 items in 50 tastes of 30; 400 users, each mostly within two tastes (a skewed choice
/// inside each), sometimes anywhere. Small enough for a debug build.
fn catalog() -> Dataset {
    let mut b = DatasetBuilder::new();
    let mut rng = SplitMix64::new(11);
    for u in 0..400 {
        let tastes = [rng.below(50), rng.below(50)];
        let n = 10 + rng.below(40);
        for t in 0..n {
            let item = if rng.below(10) == 0 {
                rng.below(1500)
            } else {
                let taste = tastes[rng.below(2)];
                taste * 30 + (rng.below(30) * rng.below(30)) / 29
            };
            b.add_event(&format!("u{u}"), &format!("i{item}"), (t * 3600) as i64, None, None).unwrap();
        }
    }
    b.build()
}

fn model(ds: &Dataset) -> UserPersonalization {
    let mut p = PersonalizationParams::default();
    p.als.factors = 16;
    p.als.iterations = 6;
    p.ease.max_items = 200;
    p.max_validation_users = 100;
    UserPersonalization::fit(ds, &p).unwrap()
}

#[test]
fn indexed_candidates_keep_the_exact_top_10() {
    let ds = catalog();
    let mut m = model(&ds);
    assert!(!m.index_items(&AnnParams::default()), "1500 items are below the default threshold: exact");
    assert!(m.item_index().is_none());
    assert!(m.index_items(&AnnParams { min_items: 1000, candidates: 100, ..AnnParams::default() }));
    let index = m.item_index().unwrap();
    assert_eq!(index.candidates_per_search(), 100);
    assert!(index.len() > 1200, "items with events are indexed: {}", index.len());

    let exact = RequestOptions { exact: true, ..RequestOptions::default() };
    let approximate = RequestOptions::default();
    let (mut hits, mut total, mut differ) = (0, 0, 0);
    for u in 0..ds.n_users() as u32 {
        let history = ds.user_events(u);
        let want: Vec<u32> = m.recommend(history, 10, &exact, |_| true).unwrap().iter().map(|s| s.0).collect();
        let got: Vec<u32> = m.recommend(history, 10, &approximate, |_| true).unwrap().iter().map(|s| s.0).collect();
        assert_eq!(got.len(), want.len());
        total += want.len();
        hits += got.iter().filter(|i| want.contains(i)).count();
        differ += usize::from(got != want);
    }
    let recall = hits as f64 / total as f64;
    assert!(recall >= 0.95, "recall@10 {recall:.4} ({differ} of {} users' lists differ)", ds.n_users());

    // The index's collaborative candidates against the exact ones, directly.
    let (mut found, mut wanted) = (0, 0);
    for u in 0..ds.n_users() as u32 {
        let (exact, approx) = m.collaborative_candidates(ds.user_events(u)).unwrap();
        let approx = approx.unwrap();
        assert!(approx.len() <= 100 && exact.len() == 200);
        wanted += 10;
        found += exact[..10].iter().filter(|i| approx.contains(i)).count();
    }
    assert!(found as f64 / wanted as f64 >= 0.95, "collaborative recall@10 {found}/{wanted}");

    // Without an index both ways are the same computation.
    m.index_items(&AnnParams { min_items: usize::MAX, ..AnnParams::default() });
    let history = ds.user_events(0);
    assert_eq!(
        m.recommend(history, 10, &exact, |_| true).unwrap(),
        m.recommend(history, 10, &approximate, |_| true).unwrap()
    );
}
