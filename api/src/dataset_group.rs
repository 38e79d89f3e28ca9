//! DatasetGroup: where a team's data lives and what it looks like (Amazon Forecast's and
//! Personalize's dataset groups, datasets, schemas and import jobs in one resource).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Condition, S3Connection};

/// The business domain. It fixes the name of the target field and which dataset types
/// make sense: RETAIL (`demand`), INVENTORY_PLANNING (`demand`), EC2_CAPACITY
/// (`number_of_instances`), WORK_FORCE (`workforce_demand`), WEB_TRAFFIC (`value`),
/// METRICS (`metric_value`) and CUSTOM (`target_value`) are forecasting domains;
/// ECOMMERCE and VIDEO_ON_DEMAND are recommendation domains; CUSTOM serves both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Domain {
    Retail,
    InventoryPlanning,
    Ec2Capacity,
    WorkForce,
    WebTraffic,
    Metrics,
    Custom,
    Ecommerce,
    VideoOnDemand,
}

impl Domain {
    /// Name of the forecasting target column in this domain's target time series.
    pub fn target_field(self) -> &'static str {
        match self {
            Domain::Retail | Domain::InventoryPlanning => "demand",
            Domain::Ec2Capacity => "number_of_instances",
            Domain::WorkForce => "workforce_demand",
            Domain::WebTraffic => "value",
            Domain::Metrics => "metric_value",
            Domain::Custom | Domain::Ecommerce | Domain::VideoOnDemand => "target_value",
        }
    }
}

/// What a dataset holds: TARGET_TIME_SERIES, RELATED_TIME_SERIES and ITEM_METADATA
/// feed Predictors; INTERACTIONS, ITEMS and USERS feed Solutions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DatasetType {
    TargetTimeSeries,
    RelatedTimeSeries,
    ItemMetadata,
    Interactions,
    Items,
    Users,
}

/// File format of a dataset's objects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DataFormat {
    #[default]
    Csv,
    Parquet,
}

/// Type of a schema attribute (as in Amazon Forecast/Personalize schemas).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AttributeType {
    String,
    Integer,
    Float,
    Boolean,
    Timestamp,
    Geolocation,
}

/// One column of a dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaAttribute {
    /// Column name as it appears in the file header (CSV) or schema (Parquet).
    #[schemars(length(min = 1, max = 63))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.matches('^[A-Za-z_][A-Za-z0-9_]*$')",
        "message": "attribute names start with a letter or _ and hold only letters, digits and _"
    }]))]
    pub name: String,
    /// Value type of the column: string, integer, float, boolean, timestamp or geolocation.
    #[serde(rename = "type")]
    pub type_: AttributeType,
    /// For string attributes of items and users: treat the value as a category (used for
    /// cold start and filters). A `|` inside the value separates several categories.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub categorical: bool,
}

/// The columns of a dataset, in file order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatasetSchema {
    /// The columns. Names must be unique.
    #[schemars(length(min = 1, max = 100))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.all(a, self.exists_one(b, b.name == a.name))",
        "message": "attribute names must be unique"
    }]))]
    pub attributes: Vec<SchemaAttribute>,
}

/// One dataset of the group: a type, where its files are, their format and schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dataset {
    /// What the dataset holds (one of each type per group).
    #[serde(rename = "type")]
    pub type_: DatasetType,
    /// `s3://bucket/key` or `file:///path` of one file, or a prefix ending in `/` whose
    /// objects are all read (in key order).
    #[schemars(length(min = 1, max = 2048))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.startsWith('s3://') || self.startsWith('file://')",
        "message": "uri must start with s3:// or file://"
    }]))]
    pub uri: String,
    /// File format: CSV (with a header row; `.gz` files are decompressed) or PARQUET.
    #[serde(default)]
    pub format: DataFormat,
    /// The columns. When omitted, the domain's default schema for this dataset type is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<DatasetSchema>,
    /// How timestamps are written, in Java date-pattern style as in Amazon Forecast
    /// (`yyyy-MM-dd`, `yyyy-MM-dd HH:mm:ss`); `epoch` for unix seconds. ISO 8601 with a `T`
    /// is always accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub timestamp_format: Option<String>,
    /// IANA time zone of timestamps without an offset. Default: UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub time_zone: Option<String>,
    /// For time series: the frequency the data is recorded at (`1min`, `5min`, `15min`,
    /// `H`, `D`, `W`, `M`, `Q`, `Y`, or a multiple such as `2W`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 16))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.matches('^([1-9][0-9]*)?(min|H|D|W|M|Q|Y)$')",
        "message": "dataFrequency must be a frequency such as 15min, H, D, W, 2W, M, Q or Y"
    }]))]
    pub data_frequency: Option<String>,
}

/// Spec of a DatasetGroup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "kube", derive(kube::CustomResource))]
#[cfg_attr(
    feature = "kube",
    kube(
        group = "seer.dev",
        version = "v1alpha1",
        kind = "DatasetGroup",
        namespaced,
        status = "DatasetGroupStatus",
        shortname = "sdg",
        category = "seer",
        doc = "A DatasetGroup declares where a team's data is (object storage URIs), its format and schema. The operator checks the data and records its size, time range and digest.",
        printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
        printcolumn(name = "Domain", type_ = "string", json_path = ".spec.domain"),
        printcolumn(name = "Rows", type_ = "integer", json_path = ".status.totalRows"),
        printcolumn(name = "Digest", type_ = "string", json_path = ".status.digest", priority = 1),
        printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "rule": "self.datasets.all(d, self.datasets.exists_one(e, e.type == d.type))",
        "message": "each dataset type may appear only once",
        "fieldPath": ".datasets"
    },
    {
        "rule": "self.domain in ['ECOMMERCE', 'VIDEO_ON_DEMAND'] || self.domain == 'CUSTOM' || self.datasets.all(d, d.type in ['TARGET_TIME_SERIES', 'RELATED_TIME_SERIES', 'ITEM_METADATA'])",
        "message": "a forecasting domain takes only TARGET_TIME_SERIES, RELATED_TIME_SERIES and ITEM_METADATA datasets",
        "fieldPath": ".datasets"
    },
    {
        "rule": "!(self.domain in ['ECOMMERCE', 'VIDEO_ON_DEMAND']) || self.datasets.all(d, d.type in ['INTERACTIONS', 'ITEMS', 'USERS'])",
        "message": "a recommendation domain takes only INTERACTIONS, ITEMS and USERS datasets",
        "fieldPath": ".datasets"
    },
    {
        "rule": "self.datasets.exists(d, d.type in ['TARGET_TIME_SERIES', 'INTERACTIONS'])",
        "message": "a DatasetGroup needs a TARGET_TIME_SERIES or an INTERACTIONS dataset",
        "fieldPath": ".datasets"
    },
    {
        "rule": "!self.datasets.exists(d, d.type == 'TARGET_TIME_SERIES') || !self.datasets.exists(d, d.type == 'INTERACTIONS')",
        "message": "a DatasetGroup is either for forecasting (TARGET_TIME_SERIES) or for recommendations (INTERACTIONS), not both",
        "fieldPath": ".datasets"
    }
]))]
pub struct DatasetGroupSpec {
    /// Business domain; fixes the target field name and the dataset types allowed. Immutable.
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self == oldSelf",
        "message": "domain is immutable; create a new DatasetGroup instead"
    }]))]
    pub domain: Domain,
    /// The datasets: for forecasting a TARGET_TIME_SERIES (required) plus optional
    /// RELATED_TIME_SERIES and ITEM_METADATA; for recommendations INTERACTIONS (required)
    /// plus optional ITEMS and USERS.
    #[schemars(length(min = 1, max = 6))]
    pub datasets: Vec<Dataset>,
    /// How to reach the object store for `s3://` dataset URIs; unset fields fall back to the
    /// operator's default storage settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Connection>,
}

/// What the operator found in one dataset.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatasetStatus {
    /// Dataset type this entry describes.
    #[serde(rename = "type")]
    pub type_: String,
    /// URI that was read.
    pub uri: String,
    /// Number of objects (files) read.
    #[serde(default)]
    pub objects: i64,
    /// Rows accepted.
    #[serde(default)]
    pub rows: i64,
    /// Rows skipped, with the reasons counted in `skippedReasons`.
    #[serde(default)]
    pub skipped_rows: i64,
    /// Count of skipped rows per reason (e.g. `missing target value`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub skipped_reasons: std::collections::BTreeMap<String, i64>,
    /// Distinct items (time series for forecasting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<i64>,
    /// Distinct users (interactions and users datasets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<i64>,
    /// Earliest timestamp in the data (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Latest timestamp in the data (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// Digest of this dataset's objects (keys, sizes, ETags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// Observed state of a DatasetGroup.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatasetGroupStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling, Stalled and DataValid.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// One entry per dataset, as last validated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<DatasetStatus>,
    /// Rows accepted over all datasets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_rows: Option<i64>,
    /// Digest of all datasets together; a Predictor or Solution version records the digest
    /// it trained on, and `onlyIfDataChanged` compares against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// When the data was last validated (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_validated_time: Option<String>,
}

/// What `seer-trainer validate` reports (on standard output, and compact in a pod's
/// termination message, where the operator reads it into the DatasetGroup's status).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationReport {
    /// The one dataset digest: over every object of every dataset (keys, sizes, ETags).
    pub digest: String,
    /// Rows accepted over all datasets.
    pub total_rows: i64,
    /// One entry per dataset, in spec order.
    pub datasets: Vec<DatasetStatus>,
}

impl ValidationReport {
    /// The report in at most about `max` bytes of JSON (a termination message keeps 4 KiB):
    /// the skipped-row reasons (free text that can grow) are dropped first, then the
    /// per-dataset digests and time ranges. Counts and the group digest always stay.
    pub fn compact(&self, max: usize) -> ValidationReport {
        let mut out = self.clone();
        let fits = |r: &ValidationReport| serde_json::to_string(r).map(|s| s.len() <= max).unwrap_or(false);
        if fits(&out) {
            return out;
        }
        for d in &mut out.datasets {
            d.skipped_reasons.clear();
        }
        if fits(&out) {
            return out;
        }
        for d in &mut out.datasets {
            d.digest = None;
            d.start_time = None;
            d.end_time = None;
        }
        out
    }
}
