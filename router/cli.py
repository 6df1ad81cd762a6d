"""`wismo`: serve the roles, write the event schemas, show the demo shop."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from router import schemas
from router.classify.classifier import MODEL_PATH, ModelClassifier
from router.classify.entities import EntityExtractor
from router.classify.evaluate import evaluate, evaluate_extraction, result_json
from router.events import EVENT_TYPES
from router.logging import configure
from router.settings import ROLES, load


def _roles(value: str) -> list[str]:
    roles = [r.strip() for r in value.split(",") if r.strip()]
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise argparse.ArgumentTypeError(
            f"roles must be a comma-separated subset of {','.join(ROLES)}; got {value!r}"
        )
    return roles


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="wismo", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the service (all roles by default)")
    serve.add_argument("--host", help="listen address (default 127.0.0.1, WISMO_HOST)")
    serve.add_argument("--port", type=int, help="listen port (default 8080, WISMO_PORT)")
    serve.add_argument("--demo", action="store_true", help="load the built-in demo shop")
    serve.add_argument("--roles", type=_roles, help=f"subset of {','.join(ROLES)}")
    serve.add_argument("--config", help="TOML settings file (also WISMO_CONFIG_FILE)")

    schema = sub.add_parser("schema", help="write the event JSON Schemas into router/schemas/")
    schema.add_argument("--check", action="store_true", help="only report; exit 1 if stale")

    sub.add_parser("demo-orders", help="list the demo shop's orders and what each one shows")

    classify = sub.add_parser("classify", help="classify JSONL messages from stdin")
    classify.add_argument("--model", help="model file (default: the shipped one)")

    evaluate = sub.add_parser("eval", help="score WISMO detection on labelled JSONL files")
    evaluate.add_argument("paths", nargs="+", type=Path)
    evaluate.add_argument("--model", help="model file (default: the shipped one)")
    evaluate.add_argument("--split", help="only rows whose `split` field has this value")
    evaluate.add_argument("--errors", type=int, default=0, help="print this many mistakes")
    evaluate.add_argument("--json", action="store_true", help="the full report as JSON")

    extraction = sub.add_parser("eval-extraction", help="score entity extraction on gold JSONL")
    extraction.add_argument("paths", nargs="+", type=Path)
    extraction.add_argument("--mistakes", type=int, default=0, help="print this many mistakes")
    extraction.add_argument("--json", action="store_true", help="the full report as JSON")

    train = sub.add_parser("train", help="train the intent model (reproducible)")
    train.add_argument(
        "--public", type=Path, default=Path("../shared/data/public"), help="public datasets"
    )
    train.add_argument(
        "--out", type=Path, help="where to write the model (default: the shipped one)"
    )
    train.add_argument(
        "--own",
        type=Path,
        nargs="+",
        default=[],
        help="your own labelled messages (JSONL from export-decisions, labels filled in)",
    )

    export = sub.add_parser(
        "export-decisions", help="customer messages and their decisions as JSONL, to label"
    )
    export.add_argument("--config", help="TOML settings file (also WISMO_CONFIG_FILE)")
    export.add_argument("--since", type=_moment, help="decided at or after (ISO 8601)")
    export.add_argument("--until", type=_moment, help="decided before (ISO 8601)")
    export.add_argument("--limit", type=_count(1), default=1000, help="at most this many rows")
    export.add_argument("--oldest-first", action="store_true", help="by time, not least sure first")

    simulate = sub.add_parser(
        "simulate", help="a synthetic shop through the real service, with and without notices"
    )
    simulate.add_argument("--days", type=_count(1), default=14, help="days of orders")
    simulate.add_argument("--orders-per-day", type=_count(1), default=30)
    simulate.add_argument("--seed", type=int, default=7, help="same seed, same report")
    simulate.add_argument(
        "--warmup-days", type=_count(0), default=90, help="days of earlier parcels lanes learn"
    )
    simulate.add_argument(
        "--tail-days", type=_count(0), default=10, help="days after the last order to run on"
    )
    simulate.add_argument(
        "--step-minutes", type=_count(1), default=30, help="simulated minutes per clock step"
    )
    simulate.add_argument("--json", action="store_true", help="the report as one JSON object")
    simulate.add_argument(
        "--chart", default="docs/simulation.svg", help="SVG chart of contacts per day ('': none)"
    )
    return top


def _moment(value: str) -> datetime:
    """An ISO 8601 time; one without a zone is UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _count(least: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
        if number < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {number}")
        return number

    return parse


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "schema":
        return _schema(check=args.check)
    if args.command == "classify":
        return _classify(args.model)
    if args.command == "eval":
        return _eval(args)
    if args.command == "eval-extraction":
        return _eval_extraction(args)
    if args.command == "train":
        return _train(args.public, args.out, args.own)
    if args.command == "export-decisions":
        return asyncio.run(_export_decisions(args))
    if args.command == "simulate":
        return _simulate(args)
    return _demo_orders()


def _serve(args: argparse.Namespace) -> int:
    from router.app import Service

    overrides: dict[str, Any] = {}
    for name in ("host", "port", "roles"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    if args.demo:
        overrides["demo"] = True
    settings = load(args.config, **overrides)
    configure(settings.log_level, settings.log_format)
    asyncio.run(Service(settings).run_until_signalled())
    return 0


def _schema(*, check: bool) -> int:
    if check:
        stale = []
        existing = schemas.published()
        for model in EVENT_TYPES.values():
            name = schemas.filename(model)
            if existing.get(name) != schemas.generate(model):
                stale.append(name)
                for issue in schemas.problems(existing.get(name, {}), schemas.generate(model)):
                    print(f"{name}: {issue}")
        for name in stale:
            print(f"stale: {name} (run `wismo schema`)")
        for name in schemas.orphans():
            print(f"orphan: {name} is published but no event class produces it any more")
        return 1 if stale or schemas.orphans() else 0
    written, refused = schemas.write()
    for name in written:
        print(f"wrote {schemas.DIRECTORY / name}")
    for name, issues in refused.items():
        print(f"refused {name}: it would break consumers of the published version:")
        for issue in issues:
            print(f"  - {issue}")
    if refused:
        print("Publish a new version instead (an event class with SCHEMA_VERSION + 1).")
        return 1
    if not written:
        print("schemas are up to date")
    return 0


def _classifier(model: str | None) -> ModelClassifier:
    return ModelClassifier.load(Path(model) if model else MODEL_PATH)


def _classify(model: str | None) -> int:
    """One output line per non-blank input line, in order; a bad line gets an `error` line."""
    classifier = _classifier(model)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise ValueError("expected an object with a `text` string")
        except ValueError as exc:
            print(json.dumps({"error": str(exc)}), flush=False)
            continue
        result = classifier.classify(row["text"])
        out = {**row, **result_json(result)}
        try:
            print(json.dumps(out, ensure_ascii=False))
        except UnicodeEncodeError:  # a lone surrogate in the input: escape it, keep going
            print(json.dumps(out))
    return 0


def _eval(args: argparse.Namespace) -> int:
    classifier = _classifier(args.model)
    for path in args.paths:
        if not path.is_file():
            print(f"no such file: {path}", file=sys.stderr)
            return 2
    try:
        report = evaluate(classifier, args.paths, keep_errors=args.errors, split=args.split)
    except ValueError as exc:  # a malformed line, named by file:line
        print(exc, file=sys.stderr)
        return 2
    data = report.as_dict()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(
        f"model {classifier.name}, {sum(s.as_dict()['n'] for s in report.by_source.values())} "
        f"messages scored, {report.skipped} with wismo=null skipped"
    )
    header = f"{'source':<28} {'n':>6} {'pos':>5} {'P':>6} {'R':>6} {'F1':>6}  tp/fp/fn/tn"
    print(header)
    rows = [*data["by_source"].items(), ("ALL", data["overall"])]
    for name, scores in rows:
        c = scores["confusion"]
        print(
            f"{name:<28} {scores['n']:>6} {scores['positives']:>5} {scores['precision']:>6.3f} "
            f"{scores['recall']:>6.3f} {scores['f1']:>6.3f}  "
            f"{c['tp']}/{c['fp']}/{c['fn']}/{c['tn']}"
        )
    latency = data["latency_ms"]
    print(
        f"latency per message (classify + extract): p50 {latency['p50']:.3f} ms, "
        f"p99 {latency['p99']:.3f} ms; {data['messages_per_s']} messages/s on one core"
    )
    for error in report.errors:
        print(
            f"  {'FN' if error['gold'] else 'FP'} {error['intent']} {error['confidence']:.2f} "
            f"[{error['source']}] {error['text'][:160]!r}"
        )
    return 0


def _eval_extraction(args: argparse.Namespace) -> int:
    extractor = EntityExtractor()
    for path in args.paths:
        try:
            report = evaluate_extraction(extractor.extract, path, keep_mistakes=args.mistakes)
        except (OSError, ValueError) as exc:
            print(exc, file=sys.stderr)
            return 2
        data = report.as_dict()
        if args.json:
            print(json.dumps({"path": str(path), **data}, indent=2))
            continue
        orders, tracking, other = (
            data["order_numbers"],
            data["tracking_numbers"],
            data["other_numbers"],
        )
        print(f"{path}: {data['rows']} rows")
        print(
            f"  order numbers:    gold {orders['gold']}, found {orders['found']}, "
            f"precision {orders['precision']:.4f}, recall {orders['recall']:.4f}"
        )
        print(
            f"  tracking numbers: gold {tracking['gold']}, found {tracking['found']}, "
            f"precision {tracking['precision']:.4f}, recall {tracking['recall']:.4f}"
        )
        print(
            f"  other numbers (phones, dates, ids): {other['gold']} "
            f"{other['gold_by_kind']}, taken as order/tracking: "
            f"{other['taken_as_order_or_tracking']} {other['taken_by_kind']}"
        )
        latency = data["latency_ms"]
        print(f"  latency: p50 {latency['p50']:.3f} ms, p99 {latency['p99']:.3f} ms")
        for m in report.mistakes:
            print(
                f"  - orders {m['gold_orders']} -> {m['found_orders']}, tracking "
                f"{m['gold_tracking']} -> {m['found_tracking']}: {m['text'][:140]!r}"
            )
    return 0


def _train(public: Path, out: Path | None, own: list[Path]) -> int:
    from router.classify.train import train

    if own and out is None:  # the shipped model stays what the project trained
        print("--own trains your own model: say where with --out", file=sys.stderr)
        return 2
    out = out or MODEL_PATH
    if not public.is_dir():
        print(f"public data folder not found: {public} (pass --public)", file=sys.stderr)
        return 2
    for path in own:
        if not path.is_file():
            print(f"no such file: {path}", file=sys.stderr)
            return 2
    try:
        report = train(public, out=out, own=own)
    except ValueError as error:  # a wrong row in an --own file
        print(str(error), file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2))
    print(f"wrote {out}")
    return 0


async def _export_decisions(args: argparse.Namespace) -> int:
    """One JSONL row per customer message, `wismo` and `intent` left null for a person."""
    from sqlalchemy.exc import DBAPIError

    from router.store.db import Database
    from router.store.repo import decisions_to_label

    settings = load(args.config)
    db = Database(settings.database.url)
    try:
        rows = await decisions_to_label(
            db,
            since=args.since,
            until=args.until,
            limit=args.limit,
            least_sure_first=not args.oldest_first,
        )
    except DBAPIError as error:
        print(f"cannot read decisions from the database: {error.orig}", file=sys.stderr)
        return 2
    finally:
        await db.close()
    for row in rows:
        print(row.model_dump_json(exclude_none=False))
    return 0


def _simulate(args: argparse.Namespace) -> int:
    """Both runs, then the table (or JSON) on stdout, progress on stderr, the chart on disk."""
    from router.simulate.chart import contacts_chart
    from router.simulate.report import build_report, table
    from router.simulate.run import Options, simulate

    chart = Path(args.chart) if args.chart else None
    if chart is not None and chart.suffix.lower() != ".svg":
        print(f"--chart writes SVG: {chart} does not end in .svg", file=sys.stderr)
        return 2
    configure("warning", "console")
    options = Options(
        seed=args.seed,
        days=args.days,
        orders_per_day=args.orders_per_day,
        warmup_days=args.warmup_days,
        step_minutes=args.step_minutes,
        tail_days=args.tail_days,
    )

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    report = build_report(asyncio.run(simulate(options, progress=progress)))
    if chart is not None:
        chart.parent.mkdir(parents=True, exist_ok=True)
        chart.write_text(contacts_chart(report), encoding="utf-8")
        progress(f"wrote {chart}")
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0


def _demo_orders() -> int:
    from router.orders.demo import CUSTOMERS, ORDERS

    print(f"{'order':<7} {'e-mail':<28} {'phone':<15} case")
    for order in ORDERS:
        who = CUSTOMERS[order.customer]
        print(f"#{order.number:<6} {who.email:<28} {who.phone:<15} {order.case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
