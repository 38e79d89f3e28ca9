//! Personalize's offline metrics on hand-worked examples, following the definitions in
//! "Evaluating a solution version with metrics" (precision at K = relevant in the top K / K;
//! NDCG with the 1/log(1 + rank) discount, normalised by the ideal ordering; reciprocal rank of
//! the first relevant item in the top 25; coverage = distinct recommended items / catalog).

use seer_models::recommend::metrics::{ndcg_at, precision_at, reciprocal_rank_at};
use seer_models::recommend::{RankedList, evaluate};

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-4, "{a} vs {b}");
}

#[test]
fn one_user_two_relevant_items() {
    // Recommendations item7, item5, item9, item2, item4; the user went on to item5 and item4.
    let recommended = [7, 5, 9, 2, 4];
    let relevant = [5, 4];
    let l = RankedList { recommended: &recommended, relevant: &relevant };
    close(precision_at(&l, 5), 2.0 / 5.0);
    close(reciprocal_rank_at(&l, 25), 1.0 / 2.0);
    // DCG = 1/log(1+2) + 1/log(1+5); ideal = 1/log(1+1) + 1/log(1+2).
    let log = |x: f64| x.log2();
    let expected = (1.0 / log(3.0) + 1.0 / log(6.0)) / (1.0 / log(2.0) + 1.0 / log(3.0));
    close(ndcg_at(&l, 5), expected);
    close(expected, 0.6241);
}

#[test]
fn averages_over_users_and_coverage() {
    let a = [1, 2, 3, 4, 5];
    let ra = [1];
    let b = [6, 7, 8, 9, 10];
    let rb = [11];
    let lists = [RankedList { recommended: &a, relevant: &ra }, RankedList { recommended: &b, relevant: &rb }];
    let m = evaluate(&lists, 20);
    close(m.precision_at_5, (0.2 + 0.0) / 2.0);
    close(m.mean_reciprocal_rank_at_25, 0.5);
    close(m.normalized_discounted_cumulative_gain_at_5, 0.5);
    close(m.coverage, 10.0 / 20.0);
    // Precision at 10 divides by 10 even when fewer items were recommended.
    close(m.precision_at_10, 0.05);
}

#[test]
fn relevant_beyond_k_does_not_count() {
    let rec: Vec<u32> = (0..30).collect();
    let rel = [26];
    let l = RankedList { recommended: &rec, relevant: &rel };
    close(reciprocal_rank_at(&l, 25), 0.0);
    close(ndcg_at(&l, 25), 0.0);
    close(precision_at(&l, 25), 0.0);
}
