//! Command line and environment: what to serve, where, and how.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Parser;
use seer_models::recommend::{AnnParams, ServingParams};

use crate::model::LoadOptions;

use crate::aws::sigv4::AccessKeys;

/// `seer-server`: serves one artifact written by `seer-trainer` (a Predictor's forecasts or a
/// Solution's recommendations) over HTTP.
#[derive(Clone, Debug, Parser)]
#[command(name = "seer-server", version)]
pub struct Args {
    /// The artifact: a version folder (`s3://bucket/<ns>/solution/<name>/v3`) or a resource
    /// folder (`.../solution/<name>`), meaning the version its `latest` pointer names.
    #[arg(long)]
    pub model: String,

    /// Address to listen on (`127.0.0.1:0` picks a free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// A file holding the API key `/v1/*` requires (as `x-api-key` or `Authorization: Bearer`).
    /// Without it, `SEER_API_KEY` is read; with neither, `/v1/*` is open.
    #[arg(long)]
    pub api_key_file: Option<PathBuf>,

    /// A file of AWS access keys the AWS-style routes (Personalize Runtime and Events, Forecast
    /// Query) require requests to be signed with (Signature Version 4): one
    /// `<access key id> <secret access key>` pair a line, `#` comments. Without it,
    /// `SEER_AWS_ACCESS_KEY_ID` and `SEER_AWS_SECRET_ACCESS_KEY` give one pair (not the
    /// `AWS_*` variables, which are the storage's credentials). With neither, those routes take
    /// unsigned and signed requests alike (or the API key, when there is one).
    #[arg(long)]
    pub aws_keys_file: Option<PathBuf>,

    /// The Campaign this server runs: campaign and forecast ARNs naming another are answered
    /// `ResourceNotFoundException`. Without it, any name is answered.
    #[arg(long, env = "SEER_CAMPAIGN_NAME")]
    pub campaign_name: Option<String>,

    /// How long to keep serving after SIGTERM with `/readyz` failing, so load balancers take
    /// the pod out first (e.g. `5s`, `500ms`, `1m`).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub shutdown_delay: Duration,

    /// How long to wait for requests in flight once the delay is over before exiting anyway.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub drain_timeout: Duration,

    /// Largest accepted request body (e.g. `1MiB`, `64KiB`, `1000`).
    #[arg(long, default_value = "1MiB", value_parser = parse_size)]
    pub max_body: usize,

    /// A Solution filter, `name=expression` in Personalize's filter language (repeat the flag
    /// for more). The Solution's own filters come with its version (`filters.json`); this adds
    /// to them or replaces one by name. Requests name them in `filter`.
    #[arg(long = "filter", value_parser = parse_filter_flag)]
    pub filters: Vec<(String, String)>,

    /// Append the events a Solution's server takes in to its event log in object storage
    /// (`<root>/<namespace>/events/<solution>/`), where the next training reads them.
    #[arg(long)]
    pub log_events: bool,

    /// With `--log-events`: write a part at least this often (and at a graceful stop).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub event_log_interval: Duration,

    /// With `--log-events`: write a part as soon as this many events wait.
    #[arg(long, default_value_t = 1000)]
    pub event_log_batch: usize,

    /// Watch the resource's `latest` pointer and switch to each new version once it is loaded
    /// and checked, with no request failing during the switch (`--model` must then name the
    /// resource folder, not a version).
    #[arg(long)]
    pub follow_latest: bool,

    /// How often `--follow-latest` reads the `latest` pointer.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub poll_interval: Duration,

    /// Worker threads of the async runtime (default: one per CPU).
    #[arg(long)]
    pub worker_threads: Option<usize>,

    /// Solutions with more items than this get an approximate nearest-neighbour index (IVF lists)
    /// of their item factors, built at load, that proposes the collaborative candidates, which
    /// are then scored exactly; smaller catalogs score every item exactly. `bench/server`
    /// measures what the index loses (recall against exact scoring).
    #[arg(long, default_value_t = AnnParams::default().min_items)]
    pub ann_min_items: usize,

    /// Lists of the index one search scores (of about 4·√items): more finds more of the exact
    /// collaborative top, more slowly.
    #[arg(long, default_value_t = AnnParams::default().probes)]
    pub ann_probes: usize,

    /// The share of exact scoring's top 10 the served top 10 must keep, measured at load on a
    /// sample of trained users: the item-to-item signals the learned blend weighs least are
    /// skipped on every request, weakest first, while it holds (USER_PERSONALIZATION). 1 keeps
    /// every signal.
    #[arg(long, default_value_t = ServingParams::default().min_recall, value_parser = parse_unit_interval::<f64>)]
    pub serving_min_recall: f64,

    /// A Solution's share of exploration, 0 (only relevance) to 1 (most), instead of the
    /// trained one (USER_PERSONALIZATION; a Campaign's `spec.exploration.explorationWeight`).
    #[arg(long, value_parser = parse_unit_interval::<f32>)]
    pub exploration_weight: Option<f32>,

    /// Only items created (or first seen) within this many days are explored, instead of the
    /// trained cutoff (a Campaign's `spec.exploration.itemAgeCutOffDays`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub exploration_item_age_cutoff_days: Option<u32>,

    /// Live events kept per user (the newest win).
    #[arg(long, default_value_t = 100)]
    pub live_events_per_user: usize,

    /// Users with live events kept in memory (the least recently started are dropped first).
    /// Not used with `--redis-url`, where `--live-events-ttl` bounds them instead.
    #[arg(long, default_value_t = 100_000)]
    pub live_users: usize,

    /// Keep live events in Redis (`redis://[user:password@]host:port[/db]`, `rediss://` for
    /// TLS) instead of in this process, so every replica of a Campaign sees every event.
    /// Credentials may be in the URL: it is never printed (logs show only host and port).
    #[arg(long, env = "SEER_REDIS_URL", hide_env_values = true, value_name = "URL")]
    pub redis_url: Option<RedisUrl>,

    /// With `--redis-url`: a user's (or session's) live events expire this long after their
    /// latest event (e.g. `72h`, `3d`).
    #[arg(long, default_value = "3d", value_parser = parse_duration)]
    pub live_events_ttl: Duration,

    /// With `--redis-url`: the longest a request waits on Redis. Past it a recommendation goes
    /// on without live events and an events request answers 503.
    #[arg(long, default_value = "100ms", value_parser = parse_duration)]
    pub redis_timeout: Duration,
}

/// A Redis URL, which may hold a password: its `Debug` shows none of it, so printing the
/// arguments cannot leak it (and clap's parse error for it cannot either: parsing never fails
/// here; the URL is checked, with a message that does not quote it, at start).
#[derive(Clone)]
pub struct RedisUrl(pub String);

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisUrl(<redacted>)")
    }
}

impl std::str::FromStr for RedisUrl {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_string()))
    }
}

/// A number from 0 to 1.
fn parse_unit_interval<T: std::str::FromStr + PartialOrd + From<u8>>(s: &str) -> Result<T, String> {
    match s.trim().parse::<T>() {
        Ok(v) if v >= T::from(0) && v <= T::from(1) => Ok(v),
        _ => Err(format!("{s:?} is not a number from 0 to 1")),
    }
}

impl Args {
    /// How a loaded version is prepared: its item index, what serving may skip, the Campaign's
    /// exploration settings.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            ann: AnnParams { min_items: self.ann_min_items, probes: self.ann_probes, ..AnnParams::default() },
            serving: ServingParams { min_recall: self.serving_min_recall, ..ServingParams::default() },
            exploration_weight: self.exploration_weight,
            exploration_item_age_cutoff_days: self.exploration_item_age_cutoff_days,
        }
    }

    /// The API key, if one is configured: the file's first line, or `SEER_API_KEY`.
    pub fn api_key(&self) -> Result<Option<String>, String> {
        let key = match &self.api_key_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("--api-key-file {}: cannot read: {e}", path.display()))?;
                Some((text.trim().to_string(), format!("--api-key-file {}", path.display())))
            }
            None => std::env::var("SEER_API_KEY").ok().map(|k| (k.trim().to_string(), "SEER_API_KEY".to_string())),
        };
        match key {
            Some((k, from)) if k.is_empty() => Err(format!("{from}: the API key is empty")),
            Some((k, _)) => Ok(Some(k)),
            None => Ok(None),
        }
    }
}

impl Args {
    /// The AWS access keys, if any: the file's, or the one pair of `SEER_AWS_ACCESS_KEY_ID`
    /// and `SEER_AWS_SECRET_ACCESS_KEY`. Errors never quote a secret.
    pub fn aws_keys(&self) -> Result<Option<AccessKeys>, String> {
        if let Some(path) = &self.aws_keys_file {
            let origin = format!("--aws-keys-file {}", path.display());
            let text = std::fs::read_to_string(path).map_err(|e| format!("{origin}: cannot read: {e}"))?;
            return AccessKeys::parse_file(&text, &origin).map(Some);
        }
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        match (var("SEER_AWS_ACCESS_KEY_ID"), var("SEER_AWS_SECRET_ACCESS_KEY")) {
            (Some(id), Some(secret)) => Ok(Some(AccessKeys::new([(id, secret)]))),
            (None, None) => Ok(None),
            _ => {
                Err("SEER_AWS_ACCESS_KEY_ID and SEER_AWS_SECRET_ACCESS_KEY go together: one is missing or empty".into())
            }
        }
    }
}

/// `500ms`, `5s`, `2m`, `6h`, `3d`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, scale_ms) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1_000)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60_000)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3_600_000)
    } else if let Some(n) = t.strip_suffix('d') {
        (n, 86_400_000)
    } else {
        (t, 1_000)
    };
    let n: u64 =
        number.trim().parse().map_err(|_| format!("{text:?} is not a duration such as 500ms, 5s, 1m, 6h or 3d"))?;
    n.checked_mul(scale_ms).map(Duration::from_millis).ok_or_else(|| format!("{text:?} is too long"))
}

/// `1MiB`, `64KiB`, `1MB`, `2048` (bytes).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let units: [(&str, usize); 7] = [
        ("KiB", 1 << 10),
        ("MiB", 1 << 20),
        ("GiB", 1 << 30),
        ("KB", 1_000),
        ("MB", 1_000_000),
        ("GB", 1_000_000_000),
        ("B", 1),
    ];
    let (number, scale) = units.iter().find_map(|(u, s)| t.strip_suffix(u).map(|n| (n, *s))).unwrap_or((t, 1));
    let n: usize = number.trim().parse().map_err(|_| format!("{text:?} is not a size such as 1MiB or 65536"))?;
    match n.checked_mul(scale) {
        Some(0) => Err("the body limit must be above 0".into()),
        Some(bytes) => Ok(bytes),
        None => Err(format!("{text:?} is too large")),
    }
}

fn parse_filter_flag(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, expr)) if !name.trim().is_empty() && !expr.trim().is_empty() => {
            Ok((name.trim().to_string(), expr.trim().to_string()))
        }
        _ => Err(format!("{text:?} is not name=expression")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_parse() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("6h"), Ok(Duration::from_secs(6 * 3600)));
        assert_eq!(parse_duration("3d"), Ok(Duration::from_secs(3 * 86_400)));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("big").is_err());
        assert_eq!(
            parse_filter_flag("a=EXCLUDE ItemID WHERE x = 1"),
            Ok(("a".into(), "EXCLUDE ItemID WHERE x = 1".into()))
        );
        assert!(parse_filter_flag("noequals").is_err());
        assert_eq!(parse_unit_interval::<f32>("0.25"), Ok(0.25));
        assert_eq!(parse_unit_interval::<f64>("1"), Ok(1.0));
        assert!(parse_unit_interval::<f32>("1.5").is_err() && parse_unit_interval::<f64>("NaN").is_err());
    }

    #[test]
    fn the_redis_url_is_never_printed() {
        let args =
            Args::parse_from(["seer-server", "--model", "file:///m", "--redis-url", "redis://:pw-123@redis:6379"]);
        assert_eq!(args.redis_url.as_ref().map(|u| u.0.as_str()), Some("redis://:pw-123@redis:6379"));
        assert!(!format!("{args:?}").contains("pw-123"), "{args:?}");
        assert_eq!(args.redis_timeout, Duration::from_millis(100));
        assert_eq!(args.live_events_ttl, Duration::from_secs(3 * 86_400));
    }
}
