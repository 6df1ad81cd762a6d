"""Build the configured order and tracking sources (the shops and carriers we ask)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import aiohttp

from router.orders.actions import OrderActions, ShopifyOrderActions, SqlOrderActions
from router.orders.base import OrderSource
from router.orders.shopify import ShopifyOrderSource
from router.orders.sql import SqlOrderSource
from router.orders.woocommerce import WooCommerceOrderSource
from router.settings import SourcesSettings
from router.store.db import Database
from router.tracking.aftership import AfterShipSource
from router.tracking.base import TrackingSource
from router.tracking.easypost import EasyPostSource
from router.tracking.shippo import ShippoSource


def order_sources(
    cfg: SourcesSettings, db: Database, session: aiohttp.ClientSession
) -> list[OrderSource]:
    sources: list[OrderSource] = []
    if cfg.sql:
        sources.append(SqlOrderSource(db))
    if cfg.shopify is not None:
        sources.append(
            ShopifyOrderSource(
                session,
                shop_domain=cfg.shopify.shop_domain,
                access_token=cfg.shopify.access_token.get_secret_value(),
                api_version=cfg.shopify.api_version,
                base_url=cfg.shopify.base_url,
                timeout_s=cfg.budget_s,
            )
        )
    if cfg.woocommerce is not None:
        sources.append(
            WooCommerceOrderSource(
                session,
                base_url=cfg.woocommerce.base_url,
                consumer_key=cfg.woocommerce.consumer_key.get_secret_value(),
                consumer_secret=cfg.woocommerce.consumer_secret.get_secret_value(),
                timeout_s=cfg.budget_s,
            )
        )
    return sources


# A remedy is not on the customer's clock: refundCreate waits for the payment gateway, so it
# gets more than the per-lookup budget (a timeout is retried, and the retry finds the refund).
ACTION_TIMEOUT_S = 10.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def order_actions(
    cfg: SourcesSettings,
    db: Database,
    session: aiohttp.ClientSession,
    clock: Callable[[], datetime] = _utc_now,
) -> OrderActions | None:
    """Where approved remedies are carried out: the shop whose orders we answer about (Shopify
    when configured, else the project's own tables), or nowhere (None: approvals stay manual)."""
    if cfg.shopify is not None:
        return ShopifyOrderActions(
            session,
            shop_domain=cfg.shopify.shop_domain,
            access_token=cfg.shopify.access_token.get_secret_value(),
            api_version=cfg.shopify.api_version,
            base_url=cfg.shopify.base_url,
            timeout_s=max(cfg.budget_s, ACTION_TIMEOUT_S),
        )
    if cfg.sql:
        return SqlOrderActions(db, clock)
    return None


def tracking_source(cfg: SourcesSettings, session: aiohttp.ClientSession) -> TrackingSource | None:
    tracking = cfg.tracking
    if tracking is None:
        return None
    key = tracking.api_key.get_secret_value()
    base = {"base_url": tracking.base_url} if tracking.base_url else {}
    if tracking.provider == "easypost":
        return EasyPostSource(session, api_key=key, timeout_s=cfg.budget_s, **base)
    if tracking.provider == "aftership":
        return AfterShipSource(session, api_key=key, timeout_s=cfg.budget_s, **base)
    return ShippoSource(session, api_key=key, timeout_s=cfg.budget_s, **base)
