"""How well the clusters group each campaign of a generated collection.

Reads a case built from the synthetic generator (``python main.py demo DIR`` or
``cli.demo.build_demo``) and its ``material/truth.json``, works on a copy of the case, and
prints, before and after splitting screenshots into posts:

- per campaign: how many clusters it is split into (clusters it dominates), the share of its
  items in its largest cluster, and how many of its items are in no cluster;
- cluster purity: the share of a cluster's items that belong to its dominant campaign;
- pairwise precision and recall of "in a common cluster" against "share a campaign" (an item
  that shows two campaigns is in both), over all items, over items of the layouts the rules
  were tuned on, and over pairs touching the held-out layout.

"Before" is the item-level clustering (every item one node) over the links the case holds;
"after" recomputes text links (post parts, no interface text) and clusters over posts.

    python bench/cluster_accuracy.py /tmp/demo3          # DIR holds demo.tideline and material/
    python bench/cluster_accuracy.py --build /tmp/cb     # generate, import and analyse first
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import linking
from evidence import store
from evidence.case import Case


@dataclass
class Truth:
    campaigns: dict[int, frozenset[str]]  # item id -> campaigns it shows (empty: none)
    held_out: set[int]
    layout: dict[int, str]  # screenshot item id -> the generator's layout family


def load_truth(case: Case, material: Path) -> Truth:
    """Map every item of the case to the campaigns the generator put in it."""
    truth = json.loads((material / "truth.json").read_text(encoding="utf-8"))
    files = {f["path"]: f for f in truth["files"]}
    exports = truth.get("exports", {})
    tg = {m["id"]: m for m in exports.get("telegram", {}).get("messages", [])}
    fb = {p["index"]: p for p in exports.get("facebook", {}).get("posts", [])}
    ct = {r["text"]: r for r in exports.get("crowdtangle", {}).get("rows", [])}
    root = material.resolve()
    camps: dict[int, frozenset[str]] = {}
    held: set[int] = set()
    layout: dict[int, str] = {}
    rows = case.db.execute(
        "SELECT i.id, i.source_ref, i.text, src.kind, src.path, s.path_in_source FROM items i"
        " JOIN sources src ON src.id = i.source_id"
        " LEFT JOIN sightings s ON s.item_id = i.id"
    )
    for item_id, ref, text, kind, src_path, path_in in rows:
        rec = None
        if kind == "telegram" and "#message/" in (ref or ""):
            rec = tg.get(int(ref.rsplit("/", 1)[1]))
        elif kind == "facebook" and "#" in (ref or ""):
            rec = fb.get(int(ref.rsplit("#", 1)[1]))
        elif kind == "crowdtangle":
            rec = ct.get(text or "")
        elif path_in:
            full = Path(src_path).resolve() / path_in
            try:
                rel = full.relative_to(root).as_posix()
            except ValueError:
                # A copied case still names the folder it was imported from: match the
                # longest tail of the path that truth.json knows.
                parts = full.parts
                rel = next((t for k in range(len(parts) - 1, 0, -1)
                            if (t := "/".join(parts[-k:])) in files), None)
            rec = files.get(rel)
            if rec and rec.get("held_out"):
                held.add(item_id)
            if rec and rec.get("layout"):
                layout[item_id] = rec["layout"]
        if rec is None:
            camps.setdefault(item_id, frozenset())
            continue
        cs = rec.get("campaigns") or ([rec["campaign"]] if rec.get("campaign") else [])
        camps[item_id] = frozenset(cs) | camps.get(item_id, frozenset())
    return Truth(camps, held, layout)


def item_level_clusters(case: Case) -> list[list[int]]:
    """The clustering before posts: connected components with every item one node."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    for sha, item_id in case.db.execute(
        "SELECT media_sha256, item_id FROM sightings WHERE item_id IS NOT NULL"
    ):
        union(f"m:{sha}", f"i:{item_id}")
    for link in store.links(case, include_rejected=False):
        if linking._joins(link):
            side = "m" if link.kind == "image" else "i"
            union(f"{side}:{link.a}", f"{side}:{link.b}")
    comps: dict[str, list[int]] = defaultdict(list)
    for node in list(parent):
        if node.startswith("i:"):
            comps[find(node)].append(int(node[2:]))
    return [sorted(c) for c in comps.values() if len(c) >= 2]


@dataclass
class Scores:
    precision: float
    recall: float
    true_pairs: int
    predicted_pairs: int


def pairwise(clusters: list[list[int]], truth: Truth, keep) -> Scores:
    together: set[tuple[int, int]] = set()
    for members in clusters:
        together.update(itertools.combinations(sorted(members), 2))
    tp = fp = fn = 0
    for a, b in itertools.combinations(sorted(truth.campaigns), 2):
        if not keep(a, b):
            continue
        same = bool(truth.campaigns[a] & truth.campaigns[b])
        pred = (a, b) in together
        tp += same and pred
        fp += pred and not same
        fn += same and not pred
    return Scores(tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0,
                  tp + fn, tp + fp)


def report(name: str, clusters: list[list[int]], truth: Truth) -> dict:
    camps = sorted(set().union(*truth.campaigns.values()))
    dominant = []
    for m in clusters:
        counts = Counter(c for i in m for c in truth.campaigns.get(i, ()))
        dominant.append(counts.most_common(1)[0][0] if counts else None)
    # A campaign is split into the clusters it dominates; items it shares with another
    # campaign (a two-post screenshot) also sit in that campaign's cluster, which is right.
    spread = {c: sum(d == c for d in dominant) for c in camps}
    best = {c: max((sum(c in truth.campaigns.get(i, ()) for i in m) for m in clusters),
                   default=0) for c in camps}
    total = {c: sum(c in cs for cs in truth.campaigns.values()) for c in camps}
    clustered = set().union(*map(set, clusters)) if clusters else set()
    loose = {c: sum(1 for i, cs in truth.campaigns.items() if c in cs and i not in clustered)
             for c in camps}
    purities = []
    for m in clusters:
        counts = Counter(c for i in m for c in truth.campaigns.get(i, ()))
        top = counts.most_common(1)[0][1] if counts else 0
        purities.append((top / len(m), len(m)))
    weighted = sum(p * n for p, n in purities) / max(1, sum(n for _, n in purities))
    held = truth.held_out
    scores = {
        "all": pairwise(clusters, truth, lambda a, b: True),
        "tuned layouts": pairwise(clusters, truth, lambda a, b: a not in held and b not in held),
        "held-out layout": pairwise(clusters, truth, lambda a, b: a in held or b in held),
    }
    print(f"\n## {name}: {len(clusters)} clusters, sizes "
          f"{sorted((len(m) for m in clusters), reverse=True)[:12]}")
    print("campaign | items | clusters it dominates | share in its largest cluster | in none")
    for c in camps:
        print(f"{c} | {total[c]} | {spread[c]} | {best[c] / max(1, total[c]):.2f} | {loose[c]}")
    for m in sorted(clusters, key=len, reverse=True):
        counts = Counter(c for i in m for c in (truth.campaigns.get(i) or {"none"}))
        print(f"cluster of {len(m)}: " + ", ".join(f"{c} {n}" for c, n in counts.most_common()))
    print(f"purity: weighted by size {weighted:.3f}, worst "
          f"{min((p for p, _ in purities), default=1.0):.3f}")
    for k, s in scores.items():
        print(f"pairwise {k}: precision {s.precision:.3f} recall {s.recall:.3f} "
              f"(pairs sharing a campaign {s.true_pairs}, predicted {s.predicted_pairs})")
    return {"clusters": len(clusters), "spread": spread, "purity": weighted,
            "scores": {k: (round(s.precision, 3), round(s.recall, 3)) for k, s in scores.items()}}


def text_link_errors(case: Case, truth: Truth) -> str:
    """Text links by band, and how many join items that share no campaign."""
    total: Counter = Counter()
    wrong: Counter = Counter()
    for link in store.links(case, "text", include_rejected=False):
        a, b = truth.campaigns.get(int(link.a)), truth.campaigns.get(int(link.b))
        total[link.band] += 1
        wrong[link.band] += bool(a is not None and b is not None and not (a & b))
    return ", ".join(f"{band} {total[band]} (across campaigns {wrong[band]})"
                     for band in sorted(total)) or "none"


def both_clusters(found: list[dict], truth: Truth) -> None:
    """Per layout: items showing two campaigns that sit in the cluster of each."""
    dominant = {}
    for c in found:
        counts = Counter(x for i in c["items"] for x in truth.campaigns.get(i, ()))
        dominant[c["id"]] = counts.most_common(1)[0][0] if counts else None
    per: dict[str, Counter] = defaultdict(Counter)
    for i, cs in truth.campaigns.items():
        if len(cs) < 2:
            continue
        mine = {dominant[c["id"]] for c in found if i in c["items"]}
        lay = truth.layout.get(i, "other")
        per[lay]["items"] += 1
        per[lay]["in both campaigns' clusters"] += cs <= mine
        per[lay]["in one"] += len(cs & mine) == 1
        per[lay]["in a wrong cluster"] += bool(mine - cs)
    print("two-campaign items by layout:", {k: dict(v) for k, v in sorted(per.items())})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path, help="folder holding demo.tideline and material/")
    ap.add_argument("--build", action="store_true", help="generate, import and analyse first")
    args = ap.parse_args(argv)
    if args.build:
        from cli.demo import build_demo

        build_demo(args.dir)
    case_dir, material = args.dir / "demo.tideline", args.dir / "material"
    if not (case_dir / "case.db").is_file() or not (material / "truth.json").is_file():
        print(f"{args.dir} holds no demo.tideline with material/truth.json.", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "case.tideline"
        shutil.copytree(case_dir, work, ignore=shutil.ignore_patterns("cache", "case.lock"))
        with Case.open(work) as case:
            truth = load_truth(case, material)
            print(f"items {len(truth.campaigns)}, with a campaign "
                  f"{sum(bool(c) for c in truth.campaigns.values())}, showing two "
                  f"{sum(len(c) > 1 for c in truth.campaigns.values())}, held-out layout "
                  f"{len(truth.held_out)}")
            before = report("before: items as nodes, stored links",
                            item_level_clusters(case), truth)
            print(f"text links before: {text_link_errors(case, truth)}")
            t0 = time.perf_counter()
            linking.update_links(case, ("text",))
            t_text = time.perf_counter() - t0
            print(f"text links after: {text_link_errors(case, truth)}")
            mid = report("items as nodes, text links over post parts",
                         item_level_clusters(case), truth)
            t0 = time.perf_counter()
            found = linking.clusters(case)
            t_cl = time.perf_counter() - t0
            after = report("after: posts as nodes, text links over post parts",
                           [c["items"] for c in found], truth)
            shared = sorted({i for c in found for i in c["shared_items"]})
            print(f"\nitems in two or more clusters: {len(shared)}; of them showing two "
                  f"campaigns: {sum(len(truth.campaigns.get(i, ())) > 1 for i in shared)}")
            both_clusters(found, truth)
            print(f"time: text links {t_text:.2f} s, clusters {t_cl:.2f} s")
    print("\nsummary:", json.dumps({"before": before["scores"], "text only": mid["scores"],
                                    "after": after["scores"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
