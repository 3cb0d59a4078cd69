#!/usr/bin/python3
"""Formats tools/model/build/metrics.jsonl (written by train.py --metrics) as a Markdown table."""
import json
import sys


def main(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    print("| dataset | run | trainable / total params | % | test top-1 | test top-5 | epochs | time |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        run = r["mode"] if r.get("init") else f"{r['mode']} (from scratch)"
        print(f"| {r['dataset']} | {run} | {r['trainable']:,} / {r['total']:,} | "
              f"{100.0 * r['trainable'] / r['total']:.2f} | {r['top1']:.4f} | {r['top5']:.4f} | "
              f"{r['epochs']} | {r['seconds']} s |")
    by = {(r["dataset"], r["mode"], bool(r.get("init"))): r for r in rows}
    lo, fu = by.get(("digits", "lora", True)), by.get(("digits", "full", True))
    if lo and fu:
        ratio = lo["top1"] / fu["top1"]
        pct = 100.0 * lo["trainable"] / lo["total"]
        ok = pct <= 5.0 and ratio >= 0.97
        print(f"\nlora/full accuracy ratio {ratio:.4f}, lora trains {pct:.2f}% of parameters: "
              f"{'PASS' if ok else 'FAIL'} (needs <= 5% and >= 0.97)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tools/model/build/metrics.jsonl")
