"""schemathesis hooks of the contract test (run.sh loads them with SCHEMATHESIS_HOOKS).

The one rule of the API that JSON Schema cannot state: a forecast window's `start` is not
after its `end` (the server answers 400 to that, as the document says). Generated windows are
put in order, so a schema-valid request is a valid one and positive_data_acceptance stays on.
"""

from datetime import datetime, timezone

import hypothesis.internal.lambda_sources
import schemathesis

# hypothesis names the lambdas in a strategy's repr by parsing their source file with
# `ast.parse`; deep in schemathesis' coverage of the events body, CPython 3.11 fails that
# with "SystemError: AST constructor recursion depth mismatch" and the operation errors.
# The names only decorate reprs, so a plain one does.
hypothesis.internal.lambda_sources.lambda_description = lambda f: "lambda"


def _instant(value):
    """The instant a `start`/`end` value names (a date is midnight UTC), or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@schemathesis.hook
def map_query(context, query):
    if isinstance(query, dict):
        start, end = _instant(query.get("start")), _instant(query.get("end"))
        if start is not None and end is not None and start > end:
            query["start"], query["end"] = query["end"], query["start"]
    return query
