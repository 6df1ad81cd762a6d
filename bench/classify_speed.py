"""Throughput and latency of classify + extract, one message at a time, on one core.

    python bench/classify_speed.py [PATH.jsonl ...] [--repeat N]

Without paths it reads the project's own training messages (router/classify/training), so it
runs anywhere. Pin it to one core for a per-core figure: `taskset -c 0 python bench/...`.
Targets (issue 3): >= 5,000 messages/s on one core, p99 <= 5 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from router.classify.classifier import ModelClassifier  # noqa: E402


def texts(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            found += [json.loads(line)["text"] for line in lines if line.strip()]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    paths = args.paths or sorted((ROOT / "router" / "classify" / "training").glob("*.jsonl"))
    messages = texts(paths)
    started = time.perf_counter()
    classifier = ModelClassifier.load()
    load_s = time.perf_counter() - started
    for text in messages[:200]:  # warm up caches
        classifier.classify(text)
    latencies = []
    wall = time.perf_counter()
    for _ in range(args.repeat):
        for text in messages:
            t0 = time.perf_counter()
            classifier.classify(text)
            latencies.append(time.perf_counter() - t0)
    wall = time.perf_counter() - wall
    latencies.sort()
    print(f"model load: {load_s * 1000:.0f} ms; messages: {len(messages)} x {args.repeat}")
    print(f"throughput: {len(latencies) / wall:,.0f} messages/s (one process, one thread)")
    print(
        f"latency: p50 {latencies[len(latencies) // 2] * 1000:.3f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.3f} ms, "
        f"max {latencies[-1] * 1000:.3f} ms, mean {statistics.fmean(latencies) * 1000:.3f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
