#!/usr/bin/env python3
"""Writes the synthetic example data under examples/forecast/ and examples/recommendations/.

Everything is generated from a fixed seed with the Python standard library only, so the
files are the same on every run and carry no third-party terms (see README.md here).
Run from anywhere: `python3 examples/generate-data.py`.
"""
import csv
import datetime as dt
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261129


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def poisson(rng, lam):
    # Knuth's method; fine for the small rates used here.
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def forecast(rng):
    out = os.path.join(HERE, "forecast")
    start = dt.date(2024, 1, 1)
    history_days, horizon = 548, 14
    categories = ["grocery", "household", "garden", "toys"]
    target, related, meta = [], [], []
    for i in range(20):
        item = f"item_{i:03d}"
        cat = categories[i % len(categories)]
        meta.append((item, cat))
        intermittent = i % 5 == 4
        base = rng.uniform(0.3, 1.2) if intermittent else rng.uniform(8, 60)
        trend = rng.uniform(-0.2, 0.5) / 365
        weekly = [rng.uniform(0.7, 1.4) for _ in range(7)]
        yearly_amp = 0.35 if cat == "garden" else rng.uniform(0.0, 0.1)
        base_price = round(rng.uniform(1.5, 40), 2)
        for d in range(history_days + horizon):
            day = start + dt.timedelta(days=d)
            promo = 1 if rng.random() < 0.06 else 0
            price = round(base_price * (0.8 if promo else 1.0) * rng.uniform(0.98, 1.02), 2)
            related.append((item, day.isoformat(), f"{price:.2f}", promo))
            if d >= history_days:
                continue  # the horizon is for forecasting, not in the history
            season = 1 + yearly_amp * math.sin(2 * math.pi * (day.timetuple().tm_yday - 80) / 365.25)
            level = base * (1 + trend * d) * weekly[day.weekday()] * season * (1.6 if promo else 1.0)
            target.append((item, day.isoformat(), poisson(rng, level)))
    write_csv(os.path.join(out, "target_time_series.csv"), ["item_id", "timestamp", "demand"], target)
    write_csv(os.path.join(out, "related_time_series.csv"), ["item_id", "timestamp", "price", "promotion"], related)
    write_csv(os.path.join(out, "item_metadata.csv"), ["item_id", "category"], meta)


def recommendations(rng):
    out = os.path.join(HERE, "recommendations")
    categories = ["books", "garden", "kitchen", "music", "outdoor", "toys"]
    consumable = {"kitchen"}  # people buy these again
    t0 = int(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc).timestamp())
    span = 120 * 86400
    items = []
    for j in range(240):
        cat = categories[j % len(categories)]
        created = t0 - rng.randrange(0, 365 * 86400) if j < 220 else t0 + span - rng.randrange(0, 20 * 86400)
        items.append((f"i{j:04d}", cat, round(rng.uniform(2, 120), 2), created))
    by_cat = {c: [it for it in items if it[1] == c] for c in categories}
    popularity = {it[0]: rng.paretovariate(1.6) for it in items}
    users, interactions = [], []
    for u in range(400):
        user = f"u{u:04d}"
        liked = rng.sample(categories, 2)
        users.append((user, rng.choice(["new", "regular", "loyal"])))
        t = t0 + rng.randrange(0, span // 2)
        bought = []
        for _ in range(rng.randint(4, 40)):
            t += rng.randrange(600, 3 * 86400)
            if t >= t0 + span:
                break
            if bought and rng.random() < 0.25 and any(b[1] in consumable for b in bought):
                it = rng.choice([b for b in bought if b[1] in consumable])
            else:
                cat = rng.choice(liked) if rng.random() < 0.85 else rng.choice(categories)
                pool = [it for it in by_cat[cat] if it[3] <= t]
                weights = [popularity[it[0]] for it in pool]
                it = rng.choices(pool, weights)[0]
            interactions.append((user, it[0], t, "view", 1))
            if rng.random() < 0.35:
                qty = rng.randint(1, 3)
                interactions.append((user, it[0], t + rng.randrange(30, 1800), "purchase", qty))
                bought.append(it)
    interactions.sort(key=lambda r: (r[2], r[0]))
    write_csv(os.path.join(out, "interactions.csv"), ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE"], interactions)
    write_csv(os.path.join(out, "items.csv"), ["ITEM_ID", "CATEGORY", "PRICE", "CREATION_TIMESTAMP"], items)
    write_csv(os.path.join(out, "users.csv"), ["USER_ID", "SEGMENT"], users)


if __name__ == "__main__":
    forecast(random.Random(SEED))
    recommendations(random.Random(SEED + 1))
