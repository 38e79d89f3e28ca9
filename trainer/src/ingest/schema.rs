//! The columns a dataset must have, from its declared schema or, when none is declared,
//! from its header and the domain's conventions (as Amazon Forecast and Personalize name
//! them: `item_id`, `timestamp`, the domain's target; `USER_ID`, `ITEM_ID`, `TIMESTAMP`).

use seer_api::{AttributeType, Dataset, DatasetType, Domain};

/// What a column means to Seer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    ItemId,
    UserId,
    Timestamp,
    Target,
    EventType,
    EventValue,
    /// An item's `CREATION_TIMESTAMP` (Personalize's reserved field): when it was added to the
    /// catalogue, which is what makes it new.
    CreationTime,
    Other,
}

impl Role {
    /// Whether the column holds an instant: a bare number there is Unix seconds.
    pub fn is_time(self) -> bool {
        matches!(self, Role::Timestamp | Role::CreationTime)
    }
}

/// One column as it will be read.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub kind: AttributeType,
    pub role: Role,
}

/// The columns of a dataset, in the order rows are handed over.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedSchema {
    pub columns: Vec<Column>,
}

impl ResolvedSchema {
    /// Column names, for messages and comparisons.
    pub fn names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// Index of the column with a role.
    pub fn position(&self, role: Role) -> Option<usize> {
        self.columns.iter().position(|c| c.role == role)
    }
}

fn role_of(dataset_type: DatasetType, domain: Domain, name: &str) -> Role {
    let lower = name.to_ascii_lowercase();
    match dataset_type {
        DatasetType::TargetTimeSeries | DatasetType::RelatedTimeSeries | DatasetType::ItemMetadata => {
            match lower.as_str() {
                "item_id" => Role::ItemId,
                "timestamp" if dataset_type != DatasetType::ItemMetadata => Role::Timestamp,
                t if dataset_type == DatasetType::TargetTimeSeries && t == domain.target_field() => Role::Target,
                _ => Role::Other,
            }
        }
        DatasetType::Interactions | DatasetType::Items | DatasetType::Users => match lower.as_str() {
            "item_id" if dataset_type != DatasetType::Users => Role::ItemId,
            "user_id" if dataset_type != DatasetType::Items => Role::UserId,
            "timestamp" if dataset_type == DatasetType::Interactions => Role::Timestamp,
            "event_type" if dataset_type == DatasetType::Interactions => Role::EventType,
            "event_value" if dataset_type == DatasetType::Interactions => Role::EventValue,
            "creation_timestamp" if dataset_type == DatasetType::Items => Role::CreationTime,
            _ => Role::Other,
        },
    }
}

/// The key roles of a dataset type: a row without one of them cannot be placed and is
/// skipped (and counted). A missing target value is not a key: featurization fills it.
pub fn key_roles(dataset_type: DatasetType) -> &'static [Role] {
    match dataset_type {
        DatasetType::TargetTimeSeries | DatasetType::RelatedTimeSeries => &[Role::ItemId, Role::Timestamp],
        DatasetType::ItemMetadata | DatasetType::Items => &[Role::ItemId],
        DatasetType::Interactions => &[Role::UserId, Role::ItemId, Role::Timestamp],
        DatasetType::Users => &[Role::UserId],
    }
}

/// The roles a dataset of this type cannot do without.
pub fn required_roles(dataset_type: DatasetType) -> &'static [Role] {
    match dataset_type {
        DatasetType::TargetTimeSeries => &[Role::ItemId, Role::Timestamp, Role::Target],
        DatasetType::RelatedTimeSeries => &[Role::ItemId, Role::Timestamp],
        DatasetType::ItemMetadata | DatasetType::Items => &[Role::ItemId],
        DatasetType::Interactions => &[Role::UserId, Role::ItemId, Role::Timestamp],
        DatasetType::Users => &[Role::UserId],
    }
}

fn role_name(role: Role, dataset_type: DatasetType, domain: Domain) -> String {
    let personalize = matches!(dataset_type, DatasetType::Interactions | DatasetType::Items | DatasetType::Users);
    let name = match role {
        Role::ItemId => "item_id",
        Role::UserId => "user_id",
        Role::Timestamp => "timestamp",
        Role::Target => domain.target_field(),
        Role::EventType => "event_type",
        Role::EventValue => "event_value",
        Role::CreationTime => "creation_timestamp",
        Role::Other => "?",
    };
    if personalize { name.to_ascii_uppercase() } else { name.to_string() }
}

fn default_kind(role: Role, dataset_type: DatasetType) -> AttributeType {
    match role {
        Role::Target | Role::EventValue => AttributeType::Float,
        Role::Timestamp if dataset_type == DatasetType::Interactions => AttributeType::Integer,
        Role::CreationTime => AttributeType::Integer,
        Role::Timestamp => AttributeType::Timestamp,
        _ => AttributeType::String,
    }
}

/// Resolves the columns of one file from its header (names as found in the file). Every
/// declared attribute must be in the header; with no declared schema, the header decides
/// and the domain's conventions give types. The roles the dataset type needs must be there.
pub fn resolve(header: &[String], dataset: &Dataset, domain: Domain) -> Result<(ResolvedSchema, Vec<usize>), String> {
    // Names match without regard to case, so `demand` and `DEMAND` are one column said twice:
    // which of them to read would be a guess. (Unnamed columns, such as the empty ones a
    // spreadsheet's trailing commas make, are not names.)
    for (second, name) in header.iter().enumerate().filter(|(_, h)| !h.trim().is_empty()) {
        if let Some(first) = header[..second].iter().position(|h| h.trim().eq_ignore_ascii_case(name.trim())) {
            return Err(format!(
                "column '{}' appears twice in the header (columns {} and {}; names are matched without regard to case)",
                name.trim(),
                first + 1,
                second + 1
            ));
        }
    }
    let mut columns = Vec::new();
    let mut positions = Vec::new();
    let find = |name: &str| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    match &dataset.schema {
        Some(schema) => {
            for attr in &schema.attributes {
                let Some(pos) = find(&attr.name) else {
                    return Err(format!("missing column '{}' (the header has: {})", attr.name, header.join(", ")));
                };
                columns.push(Column {
                    name: attr.name.clone(),
                    kind: attr.type_,
                    role: role_of(dataset.type_, domain, &attr.name),
                });
                positions.push(pos);
            }
            if let Some(extra) =
                header.iter().find(|h| !schema.attributes.iter().any(|a| a.name.eq_ignore_ascii_case(h.trim())))
            {
                return Err(format!(
                    "column '{extra}' is not in the dataset's schema (declare it, or remove it from the file)"
                ));
            }
        }
        None => {
            for (pos, name) in header.iter().enumerate() {
                let name = name.trim().to_string();
                let role = role_of(dataset.type_, domain, &name);
                columns.push(Column { kind: default_kind(role, dataset.type_), role, name });
                positions.push(pos);
            }
        }
    }
    for role in required_roles(dataset.type_) {
        if !columns.iter().any(|c| c.role == *role) {
            return Err(format!(
                "missing column '{}' (a {:?} dataset of domain {:?} needs it; the header has: {})",
                role_name(*role, dataset.type_, domain),
                dataset.type_,
                domain,
                header.join(", ")
            ));
        }
    }
    Ok((ResolvedSchema { columns }, positions))
}
