"""docs/moving-from-aws.md maps every field of every Amazon Forecast and Amazon Personalize
resource to Seer: this test keeps it so as the pinned botocore's service models change.

For each covered resource, the page has a `###` section under its service's `##` heading
whose title names the resource's Create operation in backticks (`CreateAutoPredictor`). Every
member of the operation's request, of the resource's Update requests (both with their nested
structures, through lists, all the way down) and of its Describe output (the top level; for
Personalize, inside the one key that wraps the resource) must appear in backticks in the first
column ("AWS field") of a table row of that section, alone or as a part of a dotted path
(`DataSource.S3Config.Path` names `DataSource`, `S3Config` and `Path`). A failure lists what is
missing, by section.

Run by server/aws-sdk/run.sh with its pinned venv; on its own:
  <venv>/bin/python server/aws-sdk/test_mapping_doc.py
"""

import os
import re
import unittest

import botocore
import botocore.session

PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "moving-from-aws.md")

# service -> (the page's `##` heading starts with, {Create operation: the other operations of
# that resource whose members the same section must name}).
COVERED = {
    "forecast": (
        "Amazon Forecast",
        {
            "CreateDatasetGroup": ["UpdateDatasetGroup", "DescribeDatasetGroup"],
            "CreateDataset": ["DescribeDataset"],
            "CreateDatasetImportJob": ["DescribeDatasetImportJob"],
            "CreateAutoPredictor": ["DescribeAutoPredictor"],
            "CreatePredictor": ["DescribePredictor"],
            "CreateForecast": ["DescribeForecast"],
            "CreateForecastExportJob": ["DescribeForecastExportJob"],
            "CreatePredictorBacktestExportJob": ["DescribePredictorBacktestExportJob"],
            "CreateExplainability": ["DescribeExplainability"],
            "CreateExplainabilityExport": ["DescribeExplainabilityExport"],
            "CreateMonitor": ["DescribeMonitor"],
            "CreateWhatIfAnalysis": ["DescribeWhatIfAnalysis"],
            "CreateWhatIfForecast": ["DescribeWhatIfForecast"],
            "CreateWhatIfForecastExport": ["DescribeWhatIfForecastExport"],
        },
    ),
    "personalize": (
        "Amazon Personalize",
        {
            "CreateDatasetGroup": ["DescribeDatasetGroup"],
            "CreateSchema": ["DescribeSchema"],
            "CreateDataset": ["UpdateDataset", "DescribeDataset"],
            "CreateDatasetImportJob": ["DescribeDatasetImportJob"],
            "CreateSolution": ["UpdateSolution", "DescribeSolution"],
            "CreateSolutionVersion": ["DescribeSolutionVersion"],
            "CreateCampaign": ["UpdateCampaign", "DescribeCampaign"],
            "CreateFilter": ["DescribeFilter"],
            "CreateEventTracker": ["DescribeEventTracker"],
            "CreateBatchInferenceJob": ["DescribeBatchInferenceJob"],
            "CreateBatchSegmentJob": ["DescribeBatchSegmentJob"],
            "CreateRecommender": ["UpdateRecommender", "DescribeRecommender"],
            "CreateMetricAttribution": ["UpdateMetricAttribution", "DescribeMetricAttribution"],
            "CreateDataDeletionJob": ["DescribeDataDeletionJob"],
            "CreateDatasetExportJob": ["DescribeDatasetExportJob"],
        },
    ),
}


def nested_members(shape, path=""):
    """(dotted path, member name) of every member of a structure, through lists, recursively."""
    out = []
    for name, member in shape.members.items():
        here = f"{path}.{name}" if path else name
        out.append((here, name))
        inner = member
        while inner.type_name == "list":
            inner = inner.member
        if inner.type_name == "structure":
            out.extend(nested_members(inner, here))
    return out


def describe_members(model, operation):
    """(name, name) of the top-level members of a Describe output; a Personalize output's one
    wrapping member (`{"solution": {...}}`) is unwrapped."""
    shape = model.operation_model(operation).output_shape
    members = dict(shape.members)
    if len(members) == 1:
        (only,) = members.values()
        if only.type_name == "structure":
            members = dict(only.members)
    return [(name, name) for name in members]


def strip_fences(text):
    """The page without fenced code blocks (their `# comments` are not headings)."""
    out, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            out.append(line)
    return out


def sections(lines, service_heading):
    """`###` title -> its lines, for the `###` sections under the `##` heading that starts
    with `service_heading`."""
    found, current, inside = {}, None, False
    for line in lines:
        if line.startswith("## "):
            inside = line[3:].startswith(service_heading)
            current = None
        elif line.startswith("### "):
            current = line[4:] if inside else None
            if current is not None:
                found[current] = []
        elif current is not None:
            found[current].append(line)
    return found


def first_column_names(lines):
    """Every identifier inside backticks in the first cell of the section's table rows."""
    names = set()
    for line in lines:
        if not line.startswith("|") or re.match(r"^\|[\s|:-]+\|?$", line):
            continue
        cell = re.split(r"(?<!\\)\|", line)[1]
        for span in re.findall(r"`([^`]+)`", cell):
            names.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", span))
    return names


class MappingDocCoversEveryAwsField(unittest.TestCase):
    def test_every_member_of_every_covered_resource_is_in_its_section(self):
        with open(PAGE, encoding="utf-8") as f:
            lines = strip_fences(f.read())
        session = botocore.session.get_session()
        problems = []
        checked = 0
        for service, (heading, resources) in COVERED.items():
            model = session.get_service_model(service)
            titled = sections(lines, heading)
            for create, others in resources.items():
                titles = [t for t in titled if f"`{create}`" in t]
                if len(titles) != 1:
                    problems.append(
                        f"{service} {create}: expected one `###` section under '## {heading}...' whose title "
                        f"names `{create}`, found {len(titles)}"
                    )
                    continue
                names = first_column_names(titled[titles[0]])
                members = nested_members(model.operation_model(create).input_shape)
                for other in others:
                    if other.startswith("Describe"):
                        members += describe_members(model, other)
                    else:
                        members += nested_members(model.operation_model(other).input_shape)
                missing = sorted({path for path, name in members if name not in names})
                checked += len(members)
                if missing:
                    problems.append(
                        f"{service} {create} (section '{titles[0]}'), {len(missing)} missing: {', '.join(missing)}"
                    )
        self.assertGreater(checked, 500, "the models were not read")
        if problems:
            self.fail(
                f"docs/moving-from-aws.md lacks AWS fields (botocore {botocore.__version__}); add each to the first "
                "column of its resource's table, mapped or marked not supported / not needed:\n  "
                + "\n  ".join(problems)
            )

    def test_the_section_finder_sees_tables_and_skips_code(self):
        page = "\n".join(
            [
                "## Amazon Forecast → Seer",
                "```sh",
                "# Amazon Forecast",
                "```",
                "### X: `CreateThing`",
                "| AWS field | Seer | notes |",
                "|---|---|---|",
                "| `DataSource.S3Config.Path`, `Tags` (`Key`) | `metadata.name` | `NotHere` |",
                "## Amazon Personalize → Seer",
                "### Y: `CreateThing`",
            ]
        )
        found = sections(strip_fences(page), "Amazon Forecast")
        self.assertEqual(list(found), ["X: `CreateThing`"])
        self.assertEqual(
            first_column_names(found["X: `CreateThing`"]), {"DataSource", "S3Config", "Path", "Tags", "Key"}
        )


if __name__ == "__main__":
    unittest.main(verbosity=2)
