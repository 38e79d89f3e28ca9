//! Personalize Runtime: `GetRecommendations` and `GetPersonalizedRanking` translated onto
//! `POST /v1/recommendations` and `POST /v1/personalized-ranking`.

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    extract::{Extension, State, rejection::BytesRejection},
    response::{IntoResponse, Response},
};
use seer_api::http::{RankingRequest, RecommendationRequest, ScoredItem};
use serde::{Deserialize, Serialize};

use super::{AwsError, Protocol, arn, body_error, check_campaign, check_length, current, ok, parse, required};
use crate::{
    model::Recommender,
    routes::recommendations::{rank_with, recommend_with},
    state::{AppState, Snapshot},
};

const P: Protocol = Protocol::RestJson;

/// Most results when item metadata is asked for (the service's documented limit).
const MAX_RESULTS_WITH_METADATA: i64 = 50;

/// `GetRecommendationsRequest` (every member; `campaignArn` or `recommenderArn` names what
/// answers).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetRecommendationsRequest {
    campaign_arn: Option<String>,
    recommender_arn: Option<String>,
    item_id: Option<String>,
    user_id: Option<String>,
    num_results: Option<i64>,
    context: Option<BTreeMap<String, String>>,
    filter_arn: Option<String>,
    filter_values: Option<BTreeMap<String, String>>,
    promotions: Option<Vec<serde_json::Value>>,
    metadata_columns: Option<BTreeMap<String, Vec<String>>>,
}

/// `GetPersonalizedRankingRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetPersonalizedRankingRequest {
    campaign_arn: Option<String>,
    input_list: Option<Vec<String>>,
    user_id: Option<String>,
    context: Option<BTreeMap<String, String>>,
    filter_arn: Option<String>,
    filter_values: Option<BTreeMap<String, String>>,
    metadata_columns: Option<BTreeMap<String, Vec<String>>>,
}

/// `PredictedItem`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PredictedItem {
    item_id: String,
    score: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GetRecommendationsResponse {
    item_list: Vec<PredictedItem>,
    recommendation_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GetPersonalizedRankingResponse {
    personalized_ranking: Vec<PredictedItem>,
    recommendation_id: String,
}

/// `POST /recommendations`.
pub async fn get_recommendations(
    State(state): State<AppState>,
    Extension(snapshot): Extension<Snapshot>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    recommendations(&state, &snapshot, body).await.map_or_else(IntoResponse::into_response, |r| ok(P, &r))
}

async fn recommendations(
    state: &AppState,
    snapshot: &Snapshot,
    body: Result<Bytes, BytesRejection>,
) -> Result<GetRecommendationsResponse, AwsError> {
    let request: GetRecommendationsRequest = parse(&body.map_err(|e| body_error(P, e))?, P)?;
    let (member, arn_text) = match (&request.campaign_arn, &request.recommender_arn) {
        (Some(c), None) => ("campaignArn", c),
        (None, Some(r)) => ("recommenderArn", r),
        (Some(_), Some(_)) => return Err(AwsError::invalid(P, "give campaignArn or recommenderArn, not both")),
        (None, None) => return Err(AwsError::invalid(P, "campaignArn (or recommenderArn) is required")),
    };
    let model = current(snapshot, P)?;
    let recommender = campaign_recommender(state, &model, member, arn_text)?;
    if request.promotions.as_ref().is_some_and(|p| !p.is_empty()) {
        return Err(AwsError::invalid(P, "promotions: not supported by Seer"));
    }
    check_ids(request.user_id.as_deref(), request.item_id.as_deref())?;
    let metadata = metadata_columns(recommender, request.metadata_columns.as_ref())?;
    let num_results = match request.num_results {
        // The model's minimum is 0; 0 reads as "not given" (the SDKs' zero value).
        None | Some(0) => None,
        Some(n) if n < 0 => return Err(AwsError::invalid(P, format!("numResults: {n} is below 0"))),
        Some(n) if metadata.is_some() && n > MAX_RESULTS_WITH_METADATA => {
            return Err(AwsError::invalid(
                P,
                format!("numResults: {n} is over {MAX_RESULTS_WITH_METADATA}, the most with metadataColumns"),
            ));
        }
        Some(n) => Some(u32::try_from(n).unwrap_or(u32::MAX)),
    };
    let native = RecommendationRequest {
        user_id: request.user_id.clone(),
        item_id: request.item_id.clone(),
        num_results,
        context: checked_context(request.context)?,
        filter: filter_name(request.filter_arn.as_deref())?,
        filter_values: checked_filter_values(request.filter_values)?,
    };
    let answer = recommend_with(state, recommender, &native).await.map_err(|e| AwsError::from_api(P, e))?;
    Ok(GetRecommendationsResponse {
        item_list: predicted(recommender, answer.item_list, metadata.as_deref()),
        recommendation_id: answer.recommendation_id,
    })
}

/// `POST /personalize-ranking`.
pub async fn get_personalized_ranking(
    State(state): State<AppState>,
    Extension(snapshot): Extension<Snapshot>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    ranking(&state, &snapshot, body).await.map_or_else(IntoResponse::into_response, |r| ok(P, &r))
}

async fn ranking(
    state: &AppState,
    snapshot: &Snapshot,
    body: Result<Bytes, BytesRejection>,
) -> Result<GetPersonalizedRankingResponse, AwsError> {
    let request: GetPersonalizedRankingRequest = parse(&body.map_err(|e| body_error(P, e))?, P)?;
    let arn_text = required(P, "campaignArn", &request.campaign_arn)?;
    let input_list = required(P, "inputList", &request.input_list)?;
    let user_id = required(P, "userId", &request.user_id)?;
    let model = current(snapshot, P)?;
    let recommender = campaign_recommender(state, &model, "campaignArn", arn_text)?;
    if request.filter_arn.is_some() {
        return Err(AwsError::invalid(P, "filterArn: filters on GetPersonalizedRanking are not supported by Seer yet"));
    }
    checked_filter_values(request.filter_values)?;
    check_ids(Some(user_id.as_str()), None)?;
    for (i, item) in input_list.iter().enumerate() {
        check_length(P, &format!("inputList[{i}]"), item, 0, 256)?;
    }
    let metadata = metadata_columns(recommender, request.metadata_columns.as_ref())?;
    let native = RankingRequest {
        user_id: user_id.clone(),
        input_list: input_list.clone(),
        context: checked_context(request.context)?,
    };
    let answer = rank_with(state, recommender, &native).await.map_err(|e| AwsError::from_api(P, e))?;
    Ok(GetPersonalizedRankingResponse {
        personalized_ranking: predicted(recommender, answer.personalized_ranking, metadata.as_deref()),
        recommendation_id: answer.recommendation_id,
    })
}

/// Operations of the service that Seer does not serve (`GetActionRecommendations`).
pub async fn unsupported() -> AwsError {
    AwsError::unknown_operation(P, "GetActionRecommendations is not supported by Seer (no action datasets)")
}

/// The Solution behind the campaign `arn_text` names: `ResourceNotFoundException` for another
/// Campaign's ARN or when this server serves a Predictor.
fn campaign_recommender<'m>(
    state: &AppState,
    model: &'m crate::model::Model,
    member: &str,
    arn_text: &str,
) -> Result<&'m Recommender, AwsError> {
    let arn = arn::parse(member, arn_text, "personalize", &["campaign", "recommender"])
        .map_err(|e| AwsError::invalid(P, e))?;
    check_campaign(&state.aws, P, member, &arn)?;
    model.recommender().map_err(|_| {
        AwsError::not_found(P, format!("{member}: {:?} is not a campaign: this server serves a Predictor", arn.name))
    })
}

fn check_ids(user: Option<&str>, item: Option<&str>) -> Result<(), AwsError> {
    if let Some(u) = user {
        check_length(P, "userId", u, 0, 256)?;
    }
    if let Some(i) = item {
        check_length(P, "itemId", i, 0, 256)?;
    }
    Ok(())
}

/// `filterArn` to the Solution's filter name.
fn filter_name(filter_arn: Option<&str>) -> Result<Option<String>, AwsError> {
    filter_arn
        .map(|text| {
            arn::parse("filterArn", text, "personalize", &["filter"])
                .map(|a| a.name.to_string())
                .map_err(|e| AwsError::invalid(P, e))
        })
        .transpose()
}

/// `Context`: at most 150 entries, names `[A-Za-z\d_]+` of at most 150, values at most 1000.
fn checked_context(context: Option<BTreeMap<String, String>>) -> Result<BTreeMap<String, String>, AwsError> {
    let context = context.unwrap_or_default();
    if context.len() > 150 {
        return Err(AwsError::invalid(P, format!("context: {} entries, at most 150", context.len())));
    }
    for (name, value) in &context {
        check_attribute_name("context", name, 150)?;
        check_length(P, &format!("context.{name}"), value, 0, 1000)?;
    }
    Ok(context)
}

/// `FilterValues`: at most 25 entries, names `[A-Za-z0-9_]+` of at most 50, values at most 1000.
fn checked_filter_values(values: Option<BTreeMap<String, String>>) -> Result<BTreeMap<String, String>, AwsError> {
    let values = values.unwrap_or_default();
    if values.len() > 25 {
        return Err(AwsError::invalid(P, format!("filterValues: {} entries, at most 25", values.len())));
    }
    for (name, value) in &values {
        check_attribute_name("filterValues", name, 50)?;
        check_length(P, &format!("filterValues.{name}"), value, 0, 1000)?;
    }
    Ok(values)
}

fn check_attribute_name(member: &str, name: &str, max: usize) -> Result<(), AwsError> {
    if name.is_empty() || name.len() > max || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(AwsError::invalid(
            P,
            format!("{member}: {name:?} is not a name of 1 to {max} letters, digits or underscores"),
        ));
    }
    Ok(())
}

/// `metadataColumns` (`{"ITEMS": ["CATEGORY", ...]}`): the item columns to return, each one
/// the Solution's catalog has.
fn metadata_columns(
    recommender: &Recommender,
    columns: Option<&BTreeMap<String, Vec<String>>>,
) -> Result<Option<Vec<String>>, AwsError> {
    let Some(columns) = columns.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let mut wanted = Vec::new();
    for (dataset, names) in columns {
        if dataset != "ITEMS" {
            return Err(AwsError::invalid(
                P,
                format!("metadataColumns: {dataset:?} is not a dataset type Seer serves (ITEMS)"),
            ));
        }
        if names.len() > 99 {
            return Err(AwsError::invalid(P, format!("metadataColumns.ITEMS: {} columns, at most 99", names.len())));
        }
        for name in names {
            if !recommender.has_item_column(name) {
                return Err(AwsError::invalid(
                    P,
                    format!("metadataColumns.ITEMS: the items dataset has no column {name:?}"),
                ));
            }
            wanted.push(name.clone());
        }
    }
    Ok(Some(wanted))
}

/// Native items as `PredictedItem`s, with their metadata when asked.
fn predicted(recommender: &Recommender, items: Vec<ScoredItem>, metadata: Option<&[String]>) -> Vec<PredictedItem> {
    items
        .into_iter()
        .map(|i| PredictedItem {
            metadata: metadata.map(|columns| recommender.item_metadata(&i.item_id, columns)),
            item_id: i.item_id,
            score: i.score,
        })
        .collect()
}
