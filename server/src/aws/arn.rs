//! ARNs to Seer names. `arn:<partition>:personalize:<region>:<account>:campaign/<name>` (or
//! `recommender/<name>`) names the Campaign this server runs, `.../filter/<name>` one of its
//! Solution's named filters, `arn:<partition>:forecast:<region>:<account>:forecast/<name>` the
//! Campaign of a Predictor. Region and account are not checked: a Seer server has neither.

/// The parts of an ARN that matter to Seer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `personalize`, `forecast`.
    pub service: &'a str,
    /// `campaign`, `filter`, `dataset`, `forecast`, ...
    pub resource_type: &'a str,
    /// What follows `<type>/` (a dataset's is `<group>/<TYPE>`).
    pub name: &'a str,
}

/// Reads `text` as an ARN of `service` whose resource is one of `types`; the error is a
/// sentence naming the member.
pub fn parse<'a>(member: &str, text: &'a str, service: &str, types: &[&str]) -> Result<Arn<'a>, String> {
    let expected = || {
        format!(
            "{member}: {text:?} is not an ARN of the form arn:aws:{service}:<region>:<account>:{}/<name>",
            types.join("|")
        )
    };
    let mut fields = text.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(svc), Some(_region), Some(_account), Some(resource)) =
        (fields.next(), fields.next(), fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(expected());
    };
    if partition.is_empty() || svc != service {
        return Err(expected());
    }
    let Some((resource_type, name)) = resource.split_once('/') else {
        return Err(expected());
    };
    if name.is_empty() || !types.contains(&resource_type) {
        return Err(expected());
    }
    Ok(Arn { service: svc, resource_type, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_seer_resources() {
        let a = parse(
            "campaignArn",
            "arn:aws:personalize:us-east-1:123456789012:campaign/shop",
            "personalize",
            &["campaign", "recommender"],
        )
        .expect("campaign");
        assert_eq!((a.resource_type, a.name), ("campaign", "shop"));
        let f = parse("filterArn", "arn:aws-cn:personalize:cn-north-1:1:filter/not-bought", "personalize", &["filter"])
            .expect("filter");
        assert_eq!(f.name, "not-bought");
        let d = parse("datasetArn", "arn:aws:personalize:eu-west-1:1:dataset/shop/ITEMS", "personalize", &["dataset"])
            .expect("dataset");
        assert_eq!(d.name, "shop/ITEMS");
        for bad in [
            "",
            "campaign/shop",
            "arn:aws:forecast:us-east-1:1:campaign/shop",
            "arn:aws:personalize:us-east-1:1:filter/x",
            "arn:aws:personalize:us-east-1:1:campaign/",
            "arn:aws:personalize:us-east-1:1:campaign",
            "arn::personalize:us-east-1:1:campaign/x",
        ] {
            let e = parse("campaignArn", bad, "personalize", &["campaign"]).expect_err(bad);
            assert!(e.starts_with("campaignArn: "), "{e}");
        }
    }
}
