"""Anchors for bench/recommendations: implicit 0.7.3 ALS over a grid, popularity, buy-again.

Reads the split that `recommend_bench seer` wrote into WORK (dense indices: train.csv, the test
users' history in test.csv), writes each anchor's top-25 lists (recs_<name>.tsv) and training time
(time_<name>.txt). Scoring is done by `recommend_bench report`, so every method is scored by the
same code.

usage: python anchors.py WORK [--quick]
"""
import os
import sys
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

N = 25


def write(work, name, users, lists, seconds):
    with open(os.path.join(work, f"recs_{name}.tsv"), "w") as f:
        for u, items in zip(users, lists):
            f.write(f"{u}\t{','.join(str(int(i)) for i in items)}\n")
    with open(os.path.join(work, f"time_{name}.txt"), "w") as f:
        f.write(f"{seconds:.3f}\n")


def main():
    work = sys.argv[1]
    quick = "--quick" in sys.argv
    n_users, n_items = map(int, open(os.path.join(work, "shape.txt")).read().split())
    train = pd.read_csv(os.path.join(work, "train.csv"))
    test = pd.read_csv(os.path.join(work, "test.csv"))
    users = np.array(sorted(test.user.unique()))

    # Interaction counts, as Seer's ALS sees them.
    ones = np.ones(len(train), dtype=np.float32)
    train_m = sp.csr_matrix((ones, (train.user, train.item)), shape=(n_users, n_items))
    train_m.sum_duplicates()
    row_of = {u: k for k, u in enumerate(users)}
    hist_m = sp.csr_matrix(
        (np.ones(len(test), dtype=np.float32), ([row_of[u] for u in test.user], test.item)),
        shape=(len(users), n_items),
    )
    hist_m.sum_duplicates()

    # Popularity.
    t0 = time.perf_counter()
    counts = np.asarray(train_m.sum(axis=0)).ravel()
    top = np.argsort(-counts, kind="stable")[:N]
    secs = time.perf_counter() - t0
    write(work, "anchor_popularity", users, [top] * len(users), secs)

    # Buy-again: the user's own items by count (newest first on ties), then popularity.
    t0 = time.perf_counter()
    lists = []
    last_ts = test.groupby(["user", "item"]).timestamp.max()
    cnt = test.groupby(["user", "item"]).size()
    for u in users:
        own = cnt.loc[u]
        ts = last_ts.loc[u]
        order = sorted(own.index, key=lambda i: (-own[i], -ts[i]))[:N]
        seen = set(order)
        order += [i for i in top if i not in seen][: N - len(order)]
        lists.append(order)
    secs = time.perf_counter() - t0
    write(work, "anchor_buy_again", users, lists, secs)

    # implicit ALS grid.
    from implicit.als import AlternatingLeastSquares

    grid = [(f, r, a) for f in (32, 64, 128) for r in (0.01, 0.1, 1.0) for a in (1.0, 10.0)]
    if quick:
        grid = [(64, 0.1, 1.0)]
    for f, r, a in grid:
        model = AlternatingLeastSquares(factors=f, regularization=r, alpha=a, iterations=15, random_state=42)
        t0 = time.perf_counter()
        model.fit(train_m, show_progress=False)
        secs = time.perf_counter() - t0
        for own in (False, True):
            ids, _ = model.recommend(
                users, hist_m, N=N, filter_already_liked_items=not own, recalculate_user=True
            )
            tag = "with_own" if own else "no_own"
            write(work, f"anchor_als_{tag}_f{f}_r{r}_a{a:g}", users, ids.tolist(), secs)
        print(f"implicit ALS f={f} reg={r} alpha={a}: {secs:.1f}s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
