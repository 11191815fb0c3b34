"""Webhook verification: the platforms' HMAC-SHA256 signatures, computed here with Python's
own hmac module, are accepted; a changed body or a wrong secret is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest

import nexus

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_shopify_order_webhook_is_verified_and_mapped() -> None:
    body = (FIXTURES / "shopify" / "order.json").read_bytes()
    headers = {
        "X-Shopify-Hmac-Sha256": sign("shpss_secret", body),
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Shop-Domain": "jsmith.myshopify.com",
    }
    hook = nexus.verify_webhook("shopify", "shpss_secret", headers, body, store="main")
    assert (hook.entity, hook.event, hook.source) == ("orders", "create", "jsmith.myshopify.com")
    assert [r["source"]["id"] for r in hook.records] == ["450789469"]
    assert hook.records[0]["source"]["store"] == "main"
    assert hook.errors == []


def test_woocommerce_webhook_with_header_pairs() -> None:
    body = (FIXTURES / "woocommerce" / "order.json").read_bytes()
    headers = [("x-wc-webhook-signature", sign("wc_secret", body)), ("x-wc-webhook-topic", "order.updated")]
    hook = nexus.verify_webhook("woocommerce", "wc_secret", headers, body)
    assert hook.event == "update"
    assert hook.records[0]["total"]["amount"] == "29.35"


def test_changed_body_or_wrong_secret_is_refused() -> None:
    body = (FIXTURES / "shopify" / "order.json").read_bytes()
    headers = {"X-Shopify-Hmac-Sha256": sign("right", body), "X-Shopify-Topic": "orders/create"}
    with pytest.raises(nexus.AuthError) as info:
        nexus.verify_webhook("shopify", "wrong", headers, body)
    assert info.value.code == "auth_failed"
    assert "wrong" not in str(info.value)
    with pytest.raises(nexus.AuthError):
        nexus.verify_webhook("shopify", "right", headers, body.replace(b"598.94", b"1.00"))
    with pytest.raises(nexus.UnsupportedError):
        nexus.verify_webhook("magento", "right", headers, body)
