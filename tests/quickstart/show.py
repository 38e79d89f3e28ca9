"""What the quickstart prints (python3, standard library only).

  show.py objects                  < ListObjectsV2 XML      the keys and sizes
  show.py status ELAPSED_S         < kubectl get -o json    one line per resource; exit 0 all
                                                            Ready, 3 one Stalled, 1 otherwise
  show.py accuracy TITLE           < metrics.json           wQL per quantile, WAPE, MASE, by
                                                            algorithm and by item velocity
  show.py worst TITLE              < backtest/accuracy.csv  the items with the highest avg wQL
  show.py forecasts URL CSV        p10/p50/p90 of a few items, from GET URL/v1/forecasts/{item}
  show.py recommendations URL DIR  two users' recommendations, events sent, then again
"""

import csv
import json
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict


def objects():
    root = ET.fromstring(sys.stdin.read())
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    for c in root.iter(f"{ns}Contents"):
        print(f"  s3://seer-examples/{c.findtext(f'{ns}Key'):<42}{int(c.findtext(f'{ns}Size')):>9} bytes")


def status(elapsed):
    try:
        items = json.load(sys.stdin)["items"]
    except (ValueError, KeyError):
        print(f"  [{elapsed:>4} s] waiting for the API server")
        return 1
    print(f"  [{elapsed // 60:>2}:{elapsed % 60:02}] {len(items)} resources")
    ready = stalled = 0
    for o in items:
        conds = {c["type"]: c for c in o.get("status", {}).get("conditions", [])}
        r, rec, st = conds.get("Ready", {}), conds.get("Reconciling", {}), conds.get("Stalled", {})
        name = f"{o['kind']}/{o['metadata']['name']}"
        if r.get("status") == "True":
            ready += 1
            version = o.get("status", {}).get("servingVersion") or o.get("status", {}).get("latestVersion") or ""
            what = f"\033[32mReady\033[0m {r.get('reason', '')} {version}".rstrip()
        elif st.get("status") == "True":
            stalled += 1
            what = f"\033[31mStalled\033[0m {st.get('reason', '')}: {st.get('message', '')}"
        else:
            c = rec if rec.get("status") == "True" else r
            what = f"{c.get('type', 'Pending')} {c.get('reason', '')}: {c.get('message', '')}" if c else "Pending"
        print(f"    {name:<32} {what[:150]}")
    if stalled:
        return 3
    return 0 if items and ready == len(items) else 1


def f3(v):
    return f"{v:.3f}" if isinstance(v, (int, float)) else "-"


def row(label, m, quantiles):
    q = {round(w["Quantile"], 3): w["LossValue"] for w in m.get("WeightedQuantileLosses", [])}
    errs = m.get("ErrorMetrics", [])
    e = next((x for x in errs if x.get("ForecastType") == "mean"), errs[0] if errs else {})
    cells = [f3(q.get(x)) for x in quantiles]
    cells += [f3(m.get("AverageWeightedQuantileLoss")), f3(e.get("WAPE")), f3(e.get("MASE"))]
    return f"  {label:<28}" + "".join(f"{c:>9}" for c in cells)


def accuracy(title):
    m = json.load(sys.stdin)
    qs = sorted({round(w["Quantile"], 3) for w in m["Summary"].get("WeightedQuantileLosses", [])})
    def head(label):
        cells = [f"wQL p{round(x * 100)}" for x in qs] + ["avg wQL", "WAPE", "MASE"]
        return f"  {label:<28}" + "".join(f"{c:>9}" for c in cells)

    print(f"  Predictor {title}: {m.get('Algorithm')} chosen on {m.get('OptimizationMetric')} (lower is better)\n")
    print(head("algorithm"))
    print(row(f"{m.get('Algorithm')} (chosen)", m["Summary"], qs))
    for e in m.get("PredictorEvaluationResults", []):
        wins = e.get("TestWindows", [])
        w = next((w for w in wins if w.get("EvaluationType") == "SUMMARY"), wins[0] if wins else None)
        if w and e["Algorithm"] != m.get("Algorithm"):
            print(row(e["Algorithm"], w["Metrics"], qs))
    if not m.get("VelocityBreakdown"):
        print(f"\n  By item velocity: not in this version's metrics.json (seer-trainer writes it for a single"
              f"\n  algorithm, not yet for AUTO's per-item choice)")
    else:
        print(f"\n  By item velocity ({m.get('Algorithm')}):")
        print(head("velocity (items)"))
        for v in m["VelocityBreakdown"]:
            print(row(f"{v['Velocity']} ({v['ItemCount']})", v["Metrics"], qs))


def worst(title, n=3):
    rows = [r for r in csv.DictReader(sys.stdin) if r.get("backtest_window") == "Summary"]

    def number(r, k):
        try:
            return float(r[k])
        except (KeyError, ValueError):
            return None

    scored = sorted((r for r in rows if number(r, "Average wQL") is not None),
                    key=lambda r: number(r, "Average wQL"), reverse=True)
    print(f"  {title}: {len(rows)} items backtested; the {min(n, len(scored))} with the highest average wQL")
    print("  " + f"{'item_id':<16}" + "".join(f"{c:>9}" for c in ("avg wQL", "WAPE", "MASE")))
    for r in scored[:n]:
        print("  " + f"{r['item_id']:<16}" + "".join(f"{f3(number(r, c)):>9}" for c in ("Average wQL", "WAPE", "MASE")))


def get(url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        sys.exit(f"{'POST' if data else 'GET'} {url}: HTTP {e.code}: {e.read().decode(errors='replace')[:300]}")
    except OSError as e:
        sys.exit(f"{'POST' if data else 'GET'} {url}: {e}")


def forecasts(url, csv_path):
    with open(csv_path, newline="") as f:
        items = list(dict.fromkeys(r["item_id"] for r in csv.DictReader(f)))
    for item in [items[0], items[len(items) // 2], items[-1]]:
        p = get(f"{url}/v1/forecasts/{item}")["predictions"]
        days = p.get("p50", next(iter(p.values()), []))
        print(f"\n  {item}: {len(days)} days from {days[0]['timestamp'][:10] if days else '-'}"
              f" (first 7; p10-p90 is the 80 % interval)")
        print("    " + f"{'date':<12}" + "".join(f"{k:>8}" for k in ("p10", "p50", "p90")))
        for i, d in enumerate(days[:7]):
            cells = [p[k][i]["value"] if k in p and i < len(p[k]) else None for k in ("p10", "p50", "p90")]
            print(f"    {d['timestamp'][:10]:<12}" + "".join(f"{c:>8.1f}" if c is not None else f"{'-':>8}" for c in cells))


def recommendations(url, data_dir):
    with open(f"{data_dir}/items.csv", newline="") as f:
        category = {r["ITEM_ID"]: r["CATEGORY"] for r in csv.DictReader(f)}
    seen, popular = defaultdict(Counter), Counter()
    with open(f"{data_dir}/interactions.csv", newline="") as f:
        for r in csv.DictReader(f):
            seen[r["USER_ID"]][r["ITEM_ID"]] += 1
            popular[r["ITEM_ID"]] += 1
    users = list(dict.fromkeys(seen))[:2]

    def recs(user):
        return [x["itemId"] for x in get(f"{url}/v1/recommendations", {"userId": user, "numResults": 5})["itemList"]]

    def show(items):
        return ", ".join(f"{i} ({category.get(i, '?')})" for i in items)

    for user in users:
        cats = Counter(category.get(i) for i in seen[user].elements())
        before = recs(user)
        # Three popular items the user never touched, from the category they use least: the
        # kind of event that should change what they see next.
        rare = min(set(category.values()), key=lambda c: (cats.get(c, 0), c))
        sent = [i for i, _ in popular.most_common() if category.get(i) == rare and i not in seen[user]][:3]
        now = int(time.time())
        answer = get(f"{url}/v1/events", {
            "userId": user, "sessionId": f"quickstart-{user}",
            "eventList": [{"eventType": "view", "itemId": i, "sentAt": now} for i in sent]})
        after = recs(user)
        top = ", ".join(f"{c} {n}" for c, n in cats.most_common(3))
        print(f"\n  {user} ({sum(cats.values())} past interactions; mostly {top})")
        print(f"    before:       {show(before)}")
        print(f"    events sent:  view {show(sent)}  → accepted {answer.get('accepted')}")
        print(f"    after:        {show(after)}")
        new = [i for i in after if i not in before]
        print(f"    changed:      {len(new)} of {len(after)} new" + (f" ({show(new)})" if new else ""))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "objects":
        objects()
    elif cmd == "status":
        return status(int(args[0]))
    elif cmd == "accuracy":
        accuracy(args[0])
    elif cmd == "worst":
        worst(args[0])
    elif cmd == "forecasts":
        forecasts(*args)
    elif cmd == "recommendations":
        recommendations(*args)
    else:
        sys.exit(f"show.py: unknown command {cmd}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
