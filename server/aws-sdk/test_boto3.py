"""The AWS runtime services of seer-server, driven with boto3 as an application on AWS would
drive them: the clients are made with `endpoint_url` pointing at the server and dummy
credentials, nothing else. Started by server/aws-sdk/run.sh, which trains the models and starts
the servers; their addresses and the example data come in the environment:

  SEER_SOLUTION      a Solution server (USER_PERSONALIZATION), no access keys, --campaign-name shop
  SEER_SIGNED        a Solution server with the access key SEER_KEY_ID / SEER_KEY_SECRET
  SEER_PREDICTOR     the example Predictor (no dimensions), no keys, no Campaign name
  SEER_STORES        a Predictor with a `store` dimension, the same access key, --campaign-name stores
  SEER_EXAMPLES      examples/recommendations (interactions.csv, items.csv)
"""

import csv
import os
import unittest
from collections import defaultdict

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

ENV = os.environ
REGION = "us-east-1"
ACCOUNT = "123456789012"
CAMPAIGN = f"arn:aws:personalize:{REGION}:{ACCOUNT}:campaign/shop"
NOT_BOUGHT = f"arn:aws:personalize:{REGION}:{ACCOUNT}:filter/not-bought"
IN_CATEGORY = f"arn:aws:personalize:{REGION}:{ACCOUNT}:filter/in-category"
DATASET_ITEMS = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/shop/ITEMS"
DATASET_USERS = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/shop/USERS"


def client(service, address, key="AKIDDUMMY", secret="dummy-secret", **kwargs):
    return boto3.client(
        service,
        endpoint_url=f"http://{address}",
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        **kwargs,
    )


def forecast_arn(name):
    return f"arn:aws:forecast:{REGION}:{ACCOUNT}:forecast/{name}"


def load_examples():
    folder = ENV["SEER_EXAMPLES"]
    category = {}
    with open(os.path.join(folder, "items.csv"), newline="") as f:
        for row in csv.DictReader(f):
            category[row["ITEM_ID"]] = row["CATEGORY"]
    purchased = defaultdict(set)
    with open(os.path.join(folder, "interactions.csv"), newline="") as f:
        for row in csv.DictReader(f):
            if row["EVENT_TYPE"] == "purchase":
                purchased[row["USER_ID"]].add(row["ITEM_ID"])
    return category, purchased


CATEGORY, PURCHASED = load_examples()
# A user with purchases, so that the not-bought filter has something to remove.
BUYER = max(sorted(PURCHASED), key=lambda u: len(PURCHASED[u]))


class AwsErrorAssertions(unittest.TestCase):
    def assertAwsError(self, call, code, status):
        with self.assertRaises(ClientError) as caught:
            call()
        error = caught.exception.response
        self.assertEqual(error["Error"]["Code"], code, error)
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], status, error)
        self.assertTrue(error["Error"]["Message"], error)
        return caught.exception


class GetRecommendations(AwsErrorAssertions):
    rt = client("personalize-runtime", ENV["SEER_SOLUTION"])

    def recommend(self, **kwargs):
        return self.rt.get_recommendations(campaignArn=CAMPAIGN, **kwargs)

    def test_a_known_user_gets_scored_items_and_an_id(self):
        r = self.recommend(userId=BUYER, numResults=10)
        items = r["itemList"]
        self.assertEqual(len(items), 10)
        self.assertTrue(all(i["itemId"] in CATEGORY for i in items), items)
        self.assertEqual(len({i["itemId"] for i in items}), 10, "no item twice")
        self.assertTrue(all(isinstance(i["score"], float) for i in items), items)
        self.assertTrue(r["recommendationId"])

    def test_num_results_default_and_bounds(self):
        self.assertEqual(len(self.recommend(userId=BUYER)["itemList"]), 25)
        self.assertEqual(len(self.recommend(userId=BUYER, numResults=0)["itemList"]), 25, "0 reads as not given")
        self.assertEqual(len(self.recommend(userId=BUYER, numResults=1)["itemList"]), 1)
        # 500 is the most: every item the user has not seen, up to 500 (the catalog has 240).
        many = self.recommend(userId=BUYER, numResults=500)["itemList"]
        self.assertGreater(len(many), 100)
        self.assertLessEqual(len(many), 240)
        e = self.assertAwsError(lambda: self.recommend(userId=BUYER, numResults=501), "InvalidInputException", 400)
        self.assertIn("numResults", e.response["Error"]["Message"])
        self.assertIsInstance(e, self.rt.exceptions.InvalidInputException)

    def test_a_cold_user_gets_recommendations(self):
        r = self.recommend(userId="someone-never-seen", numResults=5)
        self.assertEqual(len(r["itemList"]), 5)

    def test_context_is_taken(self):
        r = self.recommend(userId=BUYER, numResults=5, context={"DEVICE": "mobile", "TIME_OF_DAY": "morning"})
        self.assertEqual(len(r["itemList"]), 5)
        self.assertAwsError(
            lambda: self.recommend(userId=BUYER, context={"not a name": "x"}), "InvalidInputException", 400
        )

    def test_the_not_bought_filter_removes_purchases(self):
        unfiltered = {i["itemId"] for i in self.recommend(userId=BUYER, numResults=240)["itemList"]}
        filtered = {
            i["itemId"] for i in self.recommend(userId=BUYER, numResults=240, filterArn=NOT_BOUGHT)["itemList"]
        }
        self.assertTrue(filtered, "something is left")
        self.assertFalse(filtered & PURCHASED[BUYER], "no purchased item")
        self.assertLessEqual(len(filtered), len(unfiltered))

    def test_a_filter_with_values(self):
        for values, wanted in [({"CATEGORY": '"books"'}, {"books"}), ({"CATEGORY": '"toys","music"'}, {"toys", "music"})]:
            r = self.recommend(userId=BUYER, numResults=20, filterArn=IN_CATEGORY, filterValues=values)
            self.assertTrue(r["itemList"])
            self.assertEqual({CATEGORY[i["itemId"]] for i in r["itemList"]} - wanted, set(), values)
        self.assertAwsError(
            lambda: self.recommend(userId=BUYER, filterArn=IN_CATEGORY, filterValues={"CATEGORY": "books"}),
            "InvalidInputException",
            400,
        )

    def test_metadata_columns(self):
        r = self.recommend(userId=BUYER, numResults=5, metadataColumns={"ITEMS": ["CATEGORY", "PRICE"]})
        for item in r["itemList"]:
            self.assertEqual(item["metadata"]["CATEGORY"], CATEGORY[item["itemId"]])
            float(item["metadata"]["PRICE"])
        self.assertAwsError(
            lambda: self.recommend(userId=BUYER, metadataColumns={"ITEMS": ["NO_SUCH_COLUMN"]}),
            "InvalidInputException",
            400,
        )
        self.assertAwsError(
            lambda: self.recommend(userId=BUYER, numResults=51, metadataColumns={"ITEMS": ["CATEGORY"]}),
            "InvalidInputException",
            400,
        )

    def test_unknown_items_filters_and_campaigns_are_not_found(self):
        e = self.assertAwsError(
            lambda: self.recommend(userId=BUYER, itemId="no-such-item"), "ResourceNotFoundException", 404
        )
        self.assertIsInstance(e, self.rt.exceptions.ResourceNotFoundException)
        self.assertAwsError(
            lambda: self.recommend(userId=BUYER, filterArn=f"arn:aws:personalize:{REGION}:{ACCOUNT}:filter/nope"),
            "ResourceNotFoundException",
            404,
        )
        self.assertAwsError(
            lambda: self.rt.get_recommendations(
                campaignArn=f"arn:aws:personalize:{REGION}:{ACCOUNT}:campaign/another", userId=BUYER
            ),
            "ResourceNotFoundException",
            404,
        )

    def test_bad_input(self):
        for arn in ["campaign/shop", f"arn:aws:forecast:{REGION}:{ACCOUNT}:campaign/shop", "arn:aws:personalize:x:y:filter/shop"]:
            self.assertAwsError(lambda: self.rt.get_recommendations(campaignArn=arn, userId=BUYER), "InvalidInputException", 400)
        self.assertAwsError(lambda: self.rt.get_recommendations(userId=BUYER), "InvalidInputException", 400)
        self.assertAwsError(lambda: self.recommend(userId=BUYER, filterArn="not-an-arn"), "InvalidInputException", 400)
        self.assertAwsError(lambda: self.recommend(userId="u" * 257), "InvalidInputException", 400)

    def test_unsigned_requests_are_taken_without_keys(self):
        unsigned = client("personalize-runtime", ENV["SEER_SOLUTION"], config=Config(signature_version=UNSIGNED))
        self.assertEqual(len(unsigned.get_recommendations(campaignArn=CAMPAIGN, userId=BUYER, numResults=3)["itemList"]), 3)

    def test_action_recommendations_are_not_served(self):
        self.assertAwsError(
            lambda: self.rt.get_action_recommendations(campaignArn=CAMPAIGN, userId=BUYER),
            "UnknownOperationException",
            400,
        )


class GetPersonalizedRanking(AwsErrorAssertions):
    rt = client("personalize-runtime", ENV["SEER_SOLUTION"])

    def test_ranks_the_input_unknown_items_last(self):
        known = sorted(CATEGORY)[:6]
        r = self.rt.get_personalized_ranking(
            campaignArn=CAMPAIGN, userId=BUYER, inputList=known + ["not-in-catalog"], context={"DEVICE": "tv"}
        )
        ranked = [i["itemId"] for i in r["personalizedRanking"]]
        self.assertEqual(sorted(ranked), sorted(known + ["not-in-catalog"]))
        self.assertEqual(ranked[-1], "not-in-catalog")
        self.assertTrue(r["recommendationId"])
        with_metadata = self.rt.get_personalized_ranking(
            campaignArn=CAMPAIGN, userId=BUYER, inputList=known, metadataColumns={"ITEMS": ["CATEGORY"]}
        )
        for item in with_metadata["personalizedRanking"]:
            self.assertEqual(item["metadata"], {"CATEGORY": CATEGORY[item["itemId"]]})

    def test_bad_input(self):
        self.assertAwsError(
            lambda: self.rt.get_personalized_ranking(campaignArn=CAMPAIGN, userId=BUYER, inputList=[]),
            "InvalidInputException",
            400,
        )
        self.assertAwsError(
            lambda: self.rt.get_personalized_ranking(
                campaignArn=CAMPAIGN, userId=BUYER, inputList=[f"i{n}" for n in range(501)]
            ),
            "InvalidInputException",
            400,
        )


class PutEvents(AwsErrorAssertions):
    rt = client("personalize-runtime", ENV["SEER_SOLUTION"])
    events = client("personalize-events", ENV["SEER_SOLUTION"])

    def test_events_change_the_next_recommendations(self):
        user = "aws-sdk-new-user"
        before = [i["itemId"] for i in self.rt.get_recommendations(campaignArn=CAMPAIGN, userId=user, numResults=10)["itemList"]]
        books = sorted(i for i, c in CATEGORY.items() if c == "books")[:5]
        bought = books[0]
        self.events.put_events(
            trackingId="tracking-1",
            userId=user,
            sessionId="session-1",
            eventList=[
                {"eventType": "view", "itemId": b, "sentAt": 1_780_000_000 + n, "properties": '{"device": "web"}'}
                for n, b in enumerate(books)
            ]
            + [
                {
                    "eventId": "e-1",
                    "eventType": "purchase",
                    "itemId": bought,
                    "sentAt": 1_780_000_100,
                    "eventValue": 1.0,
                    "recommendationId": "rid-1",
                    "impression": books,
                }
            ],
        )
        after = [i["itemId"] for i in self.rt.get_recommendations(campaignArn=CAMPAIGN, userId=user, numResults=10)["itemList"]]
        self.assertNotEqual(before, after, "the events changed the recommendations")
        not_bought = self.rt.get_recommendations(campaignArn=CAMPAIGN, userId=user, numResults=240, filterArn=NOT_BOUGHT)
        self.assertNotIn(bought, {i["itemId"] for i in not_bought["itemList"]}, "the purchase is filtered out")
        ranked = self.rt.get_personalized_ranking(campaignArn=CAMPAIGN, userId=user, inputList=sorted(CATEGORY)[:40])
        self.assertEqual(len(ranked["personalizedRanking"]), 40)

    def test_bad_events(self):
        ok = {"eventType": "view", "itemId": "i0001", "sentAt": 1_780_000_000}
        put = lambda **kw: self.events.put_events(**{"trackingId": "t", "sessionId": "s", "eventList": [ok], **kw})
        put()
        for bad in [
            {"eventList": [ok] * 11},
            {"eventList": [{**ok, "properties": "not json"}]},
            {"eventList": [{"eventType": "view", "sentAt": 1_780_000_000}]},
            {"sessionId": "s" * 257},
        ]:
            with self.subTest(bad=str(bad)[:60]):
                self.assertAwsError(lambda: put(**bad), "InvalidInputException", 400)

    def test_items_and_users_are_checked_and_acknowledged(self):
        self.events.put_items(
            datasetArn=DATASET_ITEMS, items=[{"itemId": "i9999", "properties": '{"category": "books"}'}]
        )
        self.events.put_users(datasetArn=DATASET_USERS, users=[{"userId": "u9999", "properties": '{"segment": "new"}'}])
        self.assertAwsError(
            lambda: self.events.put_items(datasetArn=DATASET_ITEMS, items=[{"itemId": "x", "properties": "[1]"}]),
            "InvalidInputException",
            400,
        )
        self.assertAwsError(
            lambda: self.events.put_users(datasetArn="arn:aws:personalize:x:y:campaign/shop", users=[{"userId": "u"}]),
            "InvalidInputException",
            400,
        )


class QueryForecast(AwsErrorAssertions):
    fq = client("forecastquery", ENV["SEER_PREDICTOR"])

    def test_a_whole_forecast(self):
        r = self.fq.query_forecast(ForecastArn=forecast_arn("retail-demand"), Filters={"item_id": "item_000"})
        predictions = r["Forecast"]["Predictions"]
        self.assertEqual(sorted(predictions), ["mean", "p10", "p50", "p90"])
        self.assertEqual(len(predictions["p50"]), 14)
        first = predictions["p50"][0]
        self.assertRegex(first["Timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
        self.assertIsInstance(first["Value"], float)
        self.assertTrue(all(p10["Value"] <= p90["Value"] for p10, p90 in zip(predictions["p10"], predictions["p90"])))

    def test_start_and_end_dates_window_it(self):
        whole = self.fq.query_forecast(ForecastArn=forecast_arn("x"), Filters={"item_id": "item_001"})
        stamps = [p["Timestamp"] for p in whole["Forecast"]["Predictions"]["p50"]]
        r = self.fq.query_forecast(
            ForecastArn=forecast_arn("x"), Filters={"item_id": "item_001"}, StartDate=stamps[2], EndDate=stamps[4]
        )
        self.assertEqual([p["Timestamp"] for p in r["Forecast"]["Predictions"]["p50"]], stamps[2:5])
        only_start = self.fq.query_forecast(ForecastArn=forecast_arn("x"), Filters={"item_id": "item_001"}, StartDate=stamps[-1])
        self.assertEqual(len(only_start["Forecast"]["Predictions"]["p90"]), 1)
        self.assertAwsError(
            lambda: self.fq.query_forecast(
                ForecastArn=forecast_arn("x"), Filters={"item_id": "item_001"}, StartDate=stamps[4], EndDate=stamps[2]
            ),
            "InvalidInputException",
            400,
        )

    def test_errors(self):
        e = self.assertAwsError(
            lambda: self.fq.query_forecast(ForecastArn=forecast_arn("x"), Filters={"item_id": "no-such-item"}),
            "ResourceNotFoundException",
            400,
        )
        self.assertIsInstance(e, self.fq.exceptions.ResourceNotFoundException)
        for bad in [
            {"Filters": {"store": "s1"}},
            {"Filters": {"item_id": "item_000"}, "StartDate": "yesterday"},
            {"Filters": {"item_id": "item_000"}, "ForecastArn": "arn:aws:personalize:x:y:forecast/z"},
        ]:
            with self.subTest(bad=bad):
                args = {"ForecastArn": forecast_arn("x"), **bad}
                e = self.assertAwsError(lambda: self.fq.query_forecast(**args), "InvalidInputException", 400)
                self.assertIsInstance(e, self.fq.exceptions.InvalidInputException)

    def test_a_solution_server_has_no_forecast(self):
        other = client("forecastquery", ENV["SEER_SOLUTION"])
        self.assertAwsError(
            lambda: other.query_forecast(ForecastArn=forecast_arn("x"), Filters={"item_id": "i0001"}),
            "ResourceNotFoundException",
            400,
        )


class QueryForecastByDimension(AwsErrorAssertions):
    """The stores Predictor: its server has an access key and its Campaign's name."""

    fq = client("forecastquery", ENV["SEER_STORES"], key=ENV["SEER_KEY_ID"], secret=ENV["SEER_KEY_SECRET"])

    def query(self, **filters):
        return self.fq.query_forecast(ForecastArn=forecast_arn("stores"), Filters=filters)["Forecast"]["Predictions"]

    def test_the_dimension_filter_chooses_the_series(self):
        s1, s2 = self.query(item_id="a", store="s1"), self.query(item_id="a", store="s2")
        self.assertNotEqual([p["Value"] for p in s1["p50"]], [p["Value"] for p in s2["p50"]])
        self.assertEqual(len(self.query(item_id="b", store="s1")["p50"]), 7)
        # Two series and no store: the filter is incomplete.
        self.assertAwsError(lambda: self.query(item_id="a"), "InvalidInputException", 400)
        self.assertAwsError(lambda: self.query(item_id="a", store="s9"), "ResourceNotFoundException", 400)

    def test_another_campaigns_forecast_is_not_found(self):
        self.assertAwsError(
            lambda: self.fq.query_forecast(ForecastArn=forecast_arn("retail-demand"), Filters={"item_id": "a"}),
            "ResourceNotFoundException",
            400,
        )

    def test_a_wrong_secret_is_refused(self):
        wrong = client("forecastquery", ENV["SEER_STORES"], key=ENV["SEER_KEY_ID"], secret="not-the-secret")
        self.assertAwsError(
            lambda: wrong.query_forecast(ForecastArn=forecast_arn("stores"), Filters={"item_id": "a", "store": "s1"}),
            "InvalidSignatureException",
            403,
        )


class SignatureVersion4(AwsErrorAssertions):
    """The Solution server with an access key: what the SDK signs passes, anything else is 403."""

    def runtime(self, **kwargs):
        return client("personalize-runtime", ENV["SEER_SIGNED"], **kwargs)

    def recommend(self, rt):
        return rt.get_recommendations(campaignArn=CAMPAIGN, userId=BUYER, numResults=3)

    def test_a_correctly_signed_request_passes(self):
        rt = self.runtime(key=ENV["SEER_KEY_ID"], secret=ENV["SEER_KEY_SECRET"])
        self.assertEqual(len(self.recommend(rt)["itemList"]), 3)
        events = client("personalize-events", ENV["SEER_SIGNED"], key=ENV["SEER_KEY_ID"], secret=ENV["SEER_KEY_SECRET"])
        events.put_events(
            trackingId="t", userId="signed-user", sessionId="s",
            eventList=[{"eventType": "view", "itemId": "i0002", "sentAt": 1_780_000_000}],
        )

    def test_a_wrong_secret_gets_403(self):
        e = self.assertAwsError(
            lambda: self.recommend(self.runtime(key=ENV["SEER_KEY_ID"], secret="wrong-secret")),
            "InvalidSignatureException",
            403,
        )
        self.assertIn("signature", e.response["Error"]["Message"])

    def test_an_unknown_key_gets_403(self):
        self.assertAwsError(
            lambda: self.recommend(self.runtime(key="AKIDUNKNOWN", secret=ENV["SEER_KEY_SECRET"])),
            "UnrecognizedClientException",
            403,
        )

    def test_an_unsigned_request_gets_403(self):
        self.assertAwsError(
            lambda: self.recommend(self.runtime(config=Config(signature_version=UNSIGNED))),
            "MissingAuthenticationTokenException",
            403,
        )

    def test_the_native_api_is_not_behind_the_signature(self):
        # The native routes keep their own (optional) API key; a signature is for AWS routes.
        import urllib.request

        with urllib.request.urlopen(f"http://{ENV['SEER_SIGNED']}/readyz") as r:
            self.assertEqual(r.status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
