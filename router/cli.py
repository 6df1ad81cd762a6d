"""`wismo`: serve the roles, write the event schemas, show the demo shop."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import Any

from router import schemas
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
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "schema":
        return _schema(check=args.check)
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


def _demo_orders() -> int:
    from router.orders.demo import CUSTOMERS, ORDERS

    print(f"{'order':<7} {'e-mail':<28} {'phone':<15} case")
    for order in ORDERS:
        who = CUSTOMERS[order.customer]
        print(f"#{order.number:<6} {who.email:<28} {who.phone:<15} {order.case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
