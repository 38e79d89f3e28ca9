//! AWS names and ARNs to Kubernetes object names, and small value conversions both services
//! share (frequencies, schedules).

/// The path segments of an ARN's resource after its type:
/// `arn:aws:personalize:us-west-2:acct:solution/Movies/abc` -> `["Movies", "abc"]`.
pub fn arn_segments(arn: &str) -> Vec<&str> {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    resource.split('/').skip(1).filter(|s| !s.is_empty()).collect()
}

/// The resource's own name in an ARN (its first segment after the type).
pub fn arn_name(arn: &str) -> Option<&str> {
    arn_segments(arn).first().copied()
}

/// A Kubernetes object name for an AWS name: lower case, `-` for anything outside
/// `[a-z0-9-]`, starting with a letter (a Campaign's name also names its Service), at most
/// 63 characters.
pub fn k8s_name(aws: &str) -> String {
    let mut out = String::new();
    for c in aws.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out = out.trim_matches('-').to_string();
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, "aws-");
    }
    out.truncate(63);
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "imported".into() } else { out }
}

/// Whether a frequency is one Seer's CRDs take: `^([1-9][0-9]*)?(min|H|D|W|M|Q|Y)$`.
pub fn is_seer_frequency(text: &str) -> bool {
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    !number.starts_with('0') && ["min", "H", "D", "W", "M", "Q", "Y"].contains(&unit)
}

/// A Personalize `schedulingExpression` (`rate(7 days)`, `cron(0 12 * * ? *)`) as a
/// Seer retrain schedule, and whether it is only an approximation.
pub fn schedule(expression: &str) -> Option<(String, bool)> {
    let e = expression.trim();
    if let Some(inner) = e.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let mut parts = inner.split_whitespace();
        let n: u32 = parts.next()?.parse().ok().filter(|n| *n >= 1)?;
        let unit = parts.next()?.trim_end_matches('s');
        return match (unit, n) {
            ("day", 1) => Some(("@daily".into(), false)),
            ("day", 7) => Some(("@weekly".into(), false)),
            ("day", n) if n < 31 => Some((format!("0 0 */{n} * *"), true)),
            ("hour", 1) => Some(("@hourly".into(), false)),
            ("hour", n) if n < 24 => Some((format!("0 */{n} * * *"), !24u32.is_multiple_of(n))),
            ("minute", n) if n < 60 => Some((format!("*/{n} * * * *"), !60u32.is_multiple_of(n))),
            _ => None,
        };
    }
    let inner = e.strip_prefix("cron(").and_then(|r| r.strip_suffix(')'))?;
    let fields: Vec<&str> = inner.split_whitespace().collect();
    if fields.len() != 6 || fields[5] != "*" {
        return None; // a year other than every year has no five-field equivalent
    }
    let five: Vec<String> =
        fields[..5].iter().map(|f| if *f == "?" { "*".to_string() } else { f.to_string() }).collect();
    if five.iter().any(|f| f.contains(['L', 'W', '#'])) {
        return None;
    }
    Some((five.join(" "), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_arns() {
        assert_eq!(
            arn_segments("arn:aws:personalize:us-west-2:acct-id:solution/MovieSolution/<version-id>"),
            ["MovieSolution", "<version-id>"]
        );
        assert_eq!(
            arn_name("arn:aws:forecast:us-west-2:acct-id:dataset-group/electricity_ds_group"),
            Some("electricity_ds_group")
        );
        assert_eq!(arn_name("arn:aws:personalize:::recipe/aws-sims"), Some("aws-sims"));
        assert_eq!(arn_name("no-arn"), None);
    }

    #[test]
    fn kubernetes_names() {
        assert_eq!(k8s_name("electricity_ds_group"), "electricity-ds-group");
        assert_eq!(k8s_name("MovieSolution"), "moviesolution");
        assert_eq!(k8s_name("__a..b__"), "a-b");
        assert_eq!(k8s_name("2024_demand"), "aws-2024-demand");
        assert_eq!(k8s_name("!!!"), "aws");
        assert_eq!(k8s_name(&"x".repeat(80)).len(), 63);
    }

    #[test]
    fn frequencies() {
        for ok in ["D", "1D", "15min", "2W", "H", "Y"] {
            assert!(is_seer_frequency(ok), "{ok}");
        }
        for bad in ["0D", "d", "15m", "", "min5"] {
            assert!(!is_seer_frequency(bad), "{bad}");
        }
    }

    #[test]
    fn schedules() {
        assert_eq!(schedule("rate(7 days)"), Some(("@weekly".into(), false)));
        assert_eq!(schedule("rate(1 day)"), Some(("@daily".into(), false)));
        assert_eq!(schedule("rate(3 days)"), Some(("0 0 */3 * *".into(), true)));
        assert_eq!(schedule("cron(0 12 ? * MON *)"), Some(("0 12 * * MON".into(), false)));
        assert_eq!(schedule("cron(0 12 * * ? 2026)"), None);
        assert_eq!(schedule("every tuesday"), None);
    }
}
