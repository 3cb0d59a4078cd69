#!/usr/bin/env python3
"""Draws the docs' charts as SVG from what the bench and the training scripts write.

  python3 tools/plots/plots.py bench REPORT.json OUTDIR      # bench/results/report.json
  python3 tools/plots/plots.py training HISTORY.jsonl OUTDIR # train.py --history

bench draws each case the report holds: batching.svg (events/s and p50/p99 per configuration),
latency.svg (end-to-end, in, service and out percentiles at the paced rate), memory.svg (RSS and
heap over the memory run). training draws training-<dataset>.svg (test top-1 per epoch, one line
per run: a line's name is the rows' "run" field, else their mode) and training-loss-<dataset>.svg
(runs whose rows have a loss). Python 3 standard library only. Prints what it wrote.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svgplot  # noqa: E402


def _config_label(row):
    return (f"b{row['max.batch.size']} d{row['max.queue.delay.ms']}\n"
            f"dec {row['decode.threads']} inf {row['inference.threads']}")


def batching(case):
    rows = case.get("batchAndDelay", []) + case.get("threadSplits", [])
    labels = [_config_label(r) for r in rows]
    note = case.get("source", "")
    return [
        ("batching.svg", svgplot.bars(
            "Batching grid: events/s on a backlog", labels,
            [("events/s", [r["eventsPerSec"] for r in rows])],
            xlabel="max.batch.size (b), max.queue.delay.ms (d), decode / inference threads" + note,
            ylabel="events/s")),
        ("batching-latency.svg", svgplot.bars(
            f"Batching grid: latency at {case['pacedRate']:.0f} events/s", labels,
            [("p50", [r["p50Ms"] for r in rows]), ("p99", [r["p99Ms"] for r in rows])],
            xlabel="max.batch.size (b), max.queue.delay.ms (d), decode / inference threads" + note,
            ylabel="ms (log scale)", log=True)),
    ]


def latency(case):
    paced = case["paced"]
    parts = [("end to end", paced)] + [(k, v) for k, v in paced.get("split", {}).items()]
    cats = [name for name, _ in parts]
    series = [(p, [v.get(p + "Ms") for _, v in parts]) for p in ("p50", "p95", "p99")]
    return [("latency.svg", svgplot.bars(
        f"Latency at {paced.get('sentPerSec', case['rate']):.0f} events/s (open loop)", cats, series,
        xlabel="in: to the service; service: fetch to inference; out: result to reader"
        + case.get("source", ""), ylabel="ms"))]


def memory(case):
    cols = case["sampleColumns"]
    rows = case["samples"]
    col = {name: [r[i] for r in rows] for i, name in enumerate(cols)}
    series = [(name, col["seconds"], col[key]) for name, key in
              (("RSS", "rssMb"), ("heap used", "heapUsedMb"), ("non-heap used", "nonHeapUsedMb")) if key in col]
    return [("memory.svg", svgplot.lines(
        f"Memory at {case['offeredRate']:.0f} events/s offered", series,
        xlabel="seconds" + case.get("source", ""), ylabel="MB"))]


CASES = {"batching": batching, "latencyUnderLoad": latency, "memory": memory}


def bench(report_path, out_dir):
    with open(report_path) as f:
        report = json.load(f)
    charts = []
    for name, draw in CASES.items():
        case = report.get("cases", {}).get(name)
        if case:
            charts += draw(case)
    if not charts:
        raise SystemExit(f"{report_path}: none of the cases {', '.join(CASES)} is in the report")
    return _write(charts, out_dir)


def training(history_path, out_dir):
    runs = {}
    with open(history_path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                key = (row["dataset"], _run_label(row))
                runs.setdefault(key, []).append(row)
            except (ValueError, KeyError) as e:
                raise SystemExit(f"{history_path}:{n}: not a train.py --history line ({e})")
    if not runs:
        raise SystemExit(f"{history_path}: no epochs")
    charts = []
    for dataset in sorted({d for d, _ in runs}):
        mine = [(label, rows) for (d, label), rows in runs.items() if d == dataset]
        charts.append((f"training-{dataset}.svg", svgplot.lines(
            f"{dataset}: test top-1 by epoch",
            [(label, [r["epoch"] for r in rows], [r.get("test_top1") for r in rows]) for label, rows in mine],
            xlabel="epoch", ylabel="test top-1", y_from_zero=False)))
        with_loss = [(label, rows) for label, rows in mine if any("loss" in r for r in rows)]
        if with_loss:
            charts.append((f"training-loss-{dataset}.svg", svgplot.lines(
                f"{dataset}: training loss by epoch",
                [(label, [r["epoch"] for r in rows], [r.get("loss") for r in rows]) for label, rows in with_loss],
                xlabel="epoch", ylabel="cross-entropy (train)")))
    return _write(charts, out_dir)


def _run_label(row):
    """The line's name: the row's "run" when it has one, else its mode (and init)."""
    if row.get("run"):
        return row["run"]
    if row["mode"] == "full" and not row.get("init"):
        return "full (from scratch)" if row["dataset"] == "digits" else "full"
    return row["mode"]


def _write(charts, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for name, svg in charts:
        path = os.path.join(out_dir, name)
        with open(path, "w") as f:
            f.write(svg)
        paths.append(path)
    return paths


def main(argv):
    if len(argv) != 3 or argv[0] not in ("bench", "training"):
        raise SystemExit(__doc__)
    for path in (bench if argv[0] == "bench" else training)(argv[1], argv[2]):
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
