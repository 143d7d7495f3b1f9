#!/usr/bin/env python3
"""Reference ROUGE scores from Google's `rouge-score` package.

Reads a JSONL file of {"id", "reference", "summary"} objects (optional extra
field "group", e.g. "cnndm/lead3", to get one mean per group), with sentences
separated by "\\n" in both texts, and scores each line with
RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True).

Output (tab-separated, to stdout):
    id  rouge1  rouge2  rougeLsum       one line per article, F1 in [0, 1], full precision
    #mean  GROUP  N  R1  R2  RLsum       one line per group and one for "all", F1 x 100

Usage: python rouge_ref.py INPUT.jsonl
"""
import json
import sys
from collections import defaultdict

from rouge_score import rouge_scorer

TYPES = ["rouge1", "rouge2", "rougeLsum"]


def main(path):
    scorer = rouge_scorer.RougeScorer(TYPES, use_stemmer=True)
    sums = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            scores = scorer.score(row["reference"], row["summary"])
            values = [scores[t].fmeasure for t in TYPES]
            print("\t".join([str(row["id"])] + [repr(float(v)) for v in values]))
            for group in {"all", row.get("group", "all")}:
                acc = sums[group]
                acc[0] += 1
                for i, v in enumerate(values):
                    acc[i + 1] += v
    for group in sorted(sums):
        n, *totals = sums[group]
        means = ["%.4f" % (100.0 * t / n) for t in totals]
        print("\t".join(["#mean", group, str(n)] + means))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
