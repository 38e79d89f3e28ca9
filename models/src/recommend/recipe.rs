//! One trained recipe, whichever it is, and Personalize's offline evaluation of it.
//!
//! The trainer fits a [`RecipeModel`] from a Solution's recipe and parameters, scores it with
//! [`evaluate_offline`] (the held-out split of [`personalize_split`], every recipe asked the
//! same way: "what next for this user, given their older events"), then fits it again on every
//! event for serving.

use seer_api::{Recipe, metrics::RecommendationMetrics};

use super::data::{Dataset, Event};
use super::metrics::{RankedList, evaluate};
use super::personalization::{PersonalizationParams, RequestOptions, UserPersonalization};
use super::popularity::{Popularity, Trending};
use super::sims::{SimilarItems, SimsParams};
use super::split::personalize_split;
use super::{RecommendError, Scored};

/// List length the offline metrics need (`*_at_25`).
pub const EVALUATION_LIST: usize = 25;

/// Everything a recipe may be tuned with; each recipe reads its part.
#[derive(Clone, Debug, PartialEq)]
pub struct RecipeParams {
    /// USER_PERSONALIZATION and PERSONALIZED_RANKING.
    pub personalization: PersonalizationParams,
    /// SIMILAR_ITEMS and SIMS (USER_PERSONALIZATION has its own copy in `personalization`).
    pub sims: SimsParams,
    /// TRENDING_NOW's window, in timestamp units.
    pub trend_window: i64,
}

impl Default for RecipeParams {
    fn default() -> Self {
        let personalization = PersonalizationParams::default();
        Self { sims: personalization.sims.clone(), trend_window: personalization.trend_window, personalization }
    }
}

/// A fitted model of one recipe.
#[derive(Clone, Debug)]
pub enum RecipeModel {
    /// USER_PERSONALIZATION and PERSONALIZED_RANKING (which re-ranks with the same model).
    UserPersonalization(Box<UserPersonalization>),
    /// SIMILAR_ITEMS and SIMS.
    SimilarItems(Box<SimilarItems>),
    /// POPULARITY_COUNT.
    Popularity(Popularity),
    /// TRENDING_NOW.
    Trending(Trending),
}

impl RecipeModel {
    /// Fits `recipe` on `ds`.
    pub fn fit(recipe: Recipe, ds: &Dataset, params: &RecipeParams) -> Result<Self, RecommendError> {
        if ds.events().is_empty() {
            return Err(RecommendError::Empty);
        }
        Ok(match recipe {
            Recipe::UserPersonalization | Recipe::PersonalizedRanking => {
                Self::UserPersonalization(Box::new(UserPersonalization::fit(ds, &params.personalization)?))
            }
            Recipe::SimilarItems | Recipe::Sims => Self::SimilarItems(Box::new(SimilarItems::fit(ds, &params.sims)?)),
            Recipe::PopularityCount => Self::Popularity(Popularity::fit(ds)?),
            Recipe::TrendingNow => Self::Trending(Trending::fit(ds, params.trend_window, None)?),
        })
    }

    /// The top `n` items for a user whose events so far are `history` (oldest first), the
    /// question every recipe answers in the offline evaluation. SIMILAR_ITEMS answers it with
    /// the neighbours of the user's newest item (what a "more like this" shelf shows).
    pub fn next_for_history(&self, history: &[Event], n: usize) -> Result<Vec<Scored>, RecommendError> {
        Ok(match self {
            Self::UserPersonalization(m) => {
                // Offline metrics measure the model, not the exploration it adds when serving.
                let options = RequestOptions { exploration_weight: Some(0.0), ..RequestOptions::default() };
                m.recommend(history, n, &options, |_| true)?
            }
            Self::SimilarItems(m) => match history.last() {
                Some(e) => m.similar(e.item, n, |_| true),
                None => Vec::new(),
            },
            Self::Popularity(m) => m.recommend(n, |_| true),
            Self::Trending(m) => m.recommend(n, |_| true),
        })
    }
}

/// Personalize's offline evaluation of `recipe` on `ds`: hold out 10% of the users (from
/// `seed`) and their newest 10% of events, fit on the rest, ask for each held-out user's top 25
/// given their older events, and score against what they did next. `extra` records the number
/// of test users.
pub fn evaluate_offline(
    recipe: Recipe,
    ds: &Dataset,
    params: &RecipeParams,
    seed: u64,
) -> Result<RecommendationMetrics, RecommendError> {
    let split = personalize_split(ds, 0.1, 0.1, seed);
    if split.test.is_empty() {
        return Err(RecommendError::InvalidParameter {
            name: "interactions",
            reason: "too few users with two or more events to hold any out for evaluation".into(),
        });
    }
    let model = RecipeModel::fit(recipe, &split.train, params)?;
    let mut recommended = Vec::with_capacity(split.test.len());
    for case in &split.test {
        let list: Vec<u32> =
            model.next_for_history(&case.history, EVALUATION_LIST)?.into_iter().map(|(i, _)| i).collect();
        recommended.push(list);
    }
    let lists: Vec<RankedList<'_>> = split
        .test
        .iter()
        .zip(&recommended)
        .map(|(case, list)| RankedList { recommended: list, relevant: &case.relevant })
        .collect();
    let mut metrics = evaluate(&lists, ds.n_items());
    metrics.extra.insert("test_users".into(), serde_json::json!(split.test.len()));
    Ok(metrics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::DatasetBuilder;

    /// Users in two taste groups: the first half buy items 0..10, the second half items
    /// 10..20, in a fixed cycle, so what comes next is predictable from the group.
    fn two_groups() -> Dataset {
        let mut b = DatasetBuilder::new();
        for u in 0..200 {
            let base = if u < 100 { 0 } else { 10 };
            for t in 0..12 {
                let item = base + (u + t) % 10;
                b.add_event(&format!("u{u}"), &format!("i{item}"), t as i64, None, None).expect("event");
            }
        }
        b.build()
    }

    #[test]
    fn every_recipe_fits_and_scores() -> Result<(), RecommendError> {
        let ds = two_groups();
        let params = RecipeParams { trend_window: 3, ..RecipeParams::default() };
        for recipe in [
            Recipe::UserPersonalization,
            Recipe::PersonalizedRanking,
            Recipe::SimilarItems,
            Recipe::Sims,
            Recipe::PopularityCount,
            Recipe::TrendingNow,
        ] {
            let m = evaluate_offline(recipe, &ds, &params, 42)?;
            assert_eq!(m.extra.get("test_users"), Some(&serde_json::json!(20)), "{recipe:?}");
            for v in [m.coverage, m.precision_at_10, m.normalized_discounted_cumulative_gain_at_10] {
                assert!((0.0..=1.0).contains(&v), "{recipe:?}: {m:?}");
            }
        }
        Ok(())
    }

    #[test]
    fn personalization_beats_popularity_on_group_structure() -> Result<(), RecommendError> {
        let ds = two_groups();
        let params = RecipeParams::default();
        let up = evaluate_offline(Recipe::UserPersonalization, &ds, &params, 42)?;
        let pop = evaluate_offline(Recipe::PopularityCount, &ds, &params, 42)?;
        assert!(
            up.normalized_discounted_cumulative_gain_at_10 > pop.normalized_discounted_cumulative_gain_at_10,
            "{up:?} vs {pop:?}"
        );
        Ok(())
    }

    #[test]
    fn no_events_is_an_error() {
        let ds = DatasetBuilder::new().build();
        assert!(matches!(
            RecipeModel::fit(Recipe::PopularityCount, &ds, &RecipeParams::default()),
            Err(RecommendError::Empty)
        ));
    }
}
