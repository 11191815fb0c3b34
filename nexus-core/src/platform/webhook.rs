//! Verifying and decoding webhooks, without a network round trip.
//!
//! This is what a Django or Node view calls when a store pushes a change:
//!
//! - **Shopify** signs the raw body with the app's secret: `X-Shopify-Hmac-Sha256` is
//!   base64(HMAC-SHA256(secret, body)); `X-Shopify-Topic` (`orders/create`) and
//!   `X-Shopify-Shop-Domain` say what and from where.
//! - **WooCommerce** signs the raw body with the webhook's secret: `X-WC-Webhook-Signature`
//!   is base64(HMAC-SHA256(secret, body)); `X-WC-Webhook-Topic` (`order.updated`) and
//!   `X-WC-Webhook-Source` (the site) say what and from where. The ping WooCommerce sends
//!   when a webhook is saved (`webhook_id=N`, form-encoded) is recognized as such.
//!
//! The signature is compared in constant time. A verified body then goes through the same
//! mappers as pages read from the API ([`Webhook::map_json`]).

use base64::Engine;
use hmac::{Hmac, Mac};

use crate::error::{Error, Result};
use crate::mapping::{JsonMapping, Mapper};
use crate::model::{EntityKind, PlatformKind};

/// A webhook whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Who sent it.
    pub platform: PlatformKind,
    /// The platform's topic (`orders/create`, `order.updated`).
    pub topic: String,
    /// The entity the body holds, when the topic names one Nexus maps.
    pub entity: Option<EntityKind>,
    /// What happened: `create`, `update`, `delete`, `ping`, ...
    pub event: String,
    /// The shop domain (Shopify) or site URL (WooCommerce).
    pub source: Option<String>,
    /// The delivery's id, for de-duplicating retried deliveries.
    pub delivery_id: Option<String>,
    /// The id of the deleted record, for deletion topics.
    pub deleted_id: Option<String>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl Webhook {
    /// Maps the body into unified records (an empty result for pings and deletions).
    pub fn map_json(&self, store: &str) -> Result<JsonMapping> {
        match (self.entity, self.deleted_id.as_ref()) {
            (Some(entity), None) => Mapper::new(self.platform)
                .store(store)
                .map_json(entity, &self.body),
            _ => Ok(JsonMapping {
                records: "[]".to_owned(),
                count: 0,
                errors: Vec::new(),
            }),
        }
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

fn entity_of(resource: &str) -> Option<EntityKind> {
    match resource {
        "order" | "orders" => Some(EntityKind::Order),
        "customer" | "customers" => Some(EntityKind::Customer),
        "product" | "products" => Some(EntityKind::Product),
        "refund" | "refunds" => Some(EntityKind::Refund),
        _ => None,
    }
}

/// Verifies a webhook's signature with `secret` and decodes its topic. `headers` are the
/// request's headers (names in any case); `body` is the raw body, exactly as received.
pub fn verify_webhook(
    platform: PlatformKind,
    secret: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Webhook> {
    let refused = |message: &str| Error::Auth {
        platform,
        status: 401,
        message: message.to_owned(),
    };
    let (sig_header, topic_header, source_header, id_header) = match platform {
        PlatformKind::Shopify => (
            "X-Shopify-Hmac-Sha256",
            "X-Shopify-Topic",
            "X-Shopify-Shop-Domain",
            "X-Shopify-Webhook-Id",
        ),
        PlatformKind::WooCommerce => (
            "X-WC-Webhook-Signature",
            "X-WC-Webhook-Topic",
            "X-WC-Webhook-Source",
            "X-WC-Webhook-Delivery-ID",
        ),
        PlatformKind::Magento => {
            return Err(Error::Unsupported {
                platform,
                entity: EntityKind::Order,
            });
        }
    };
    if secret.is_empty() {
        return Err(Error::InvalidArgument {
            name: "secret",
            message: "the webhook secret is empty".into(),
        });
    }
    let given = header(headers, sig_header)
        .ok_or_else(|| refused(&format!("the {sig_header} header is missing")))?;
    let given = base64::engine::general_purpose::STANDARD
        .decode(given)
        .map_err(|_| refused("the signature is not base64"))?;
    let mut mac = <Hmac<sha2::Sha256>>::new_from_slice(secret.as_bytes()).map_err(|_| {
        Error::InvalidArgument {
            name: "secret",
            message: "unusable HMAC key".into(),
        }
    })?;
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| refused("the signature does not match the body"))?;

    let source = header(headers, source_header).map(str::to_owned);
    let delivery_id = header(headers, id_header).map(str::to_owned);
    let Some(topic) = header(headers, topic_header).map(str::to_owned) else {
        // WooCommerce's ping on saving a webhook: `webhook_id=N`, no topic.
        if platform == PlatformKind::WooCommerce && body.starts_with(b"webhook_id=") {
            return Ok(Webhook {
                platform,
                topic: "ping".into(),
                entity: None,
                event: "ping".into(),
                source,
                delivery_id,
                deleted_id: None,
                body: body.to_vec(),
            });
        }
        return Err(refused(&format!("the {topic_header} header is missing")));
    };
    let (resource, event) = match platform {
        PlatformKind::Shopify => topic.split_once('/').unwrap_or((topic.as_str(), "")),
        _ => topic.split_once('.').unwrap_or((topic.as_str(), "")),
    };
    let entity = entity_of(resource);
    let event = match event {
        "created" => "create",
        "updated" => "update",
        "deleted" => "delete",
        "restored" => "restore",
        other => other,
    }
    .to_owned();
    let deleted_id = if event == "delete" {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| super::id_text(&v["id"]))
    } else {
        None
    };
    Ok(Webhook {
        platform,
        topic,
        entity,
        event,
        source,
        delivery_id,
        deleted_id,
        body: body.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn fixture(rel: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures")
                .join(rel),
        )
        .unwrap()
    }

    // The signatures were computed independently with Python's hmac module:
    // base64(hmac.new(secret, body, sha256).digest()).
    const SHOPIFY_SIG: &str = "f9MzBLMyPnGwzZsAsBbJ3y2gNlw2QQTdwzD8/xKbhuQ=";
    const WOO_SIG: &str = "fMNe0AHItuXwm0VZ+3yNPQRaqcagw7sE6+WPjqsREmA=";

    #[test]
    fn shopify_webhook_verified_and_mapped() {
        let body = fixture("shopify/order.json");
        let headers = h(&[
            ("x-shopify-hmac-sha256", SHOPIFY_SIG),
            ("X-Shopify-Topic", "orders/create"),
            ("X-Shopify-Shop-Domain", "jsmith.myshopify.com"),
            (
                "X-Shopify-Webhook-Id",
                "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            ),
        ]);
        let hook =
            verify_webhook(PlatformKind::Shopify, "shpss_test_secret", &headers, &body).unwrap();
        assert_eq!(hook.entity, Some(EntityKind::Order));
        assert_eq!(hook.event, "create");
        assert_eq!(hook.source.as_deref(), Some("jsmith.myshopify.com"));
        let mapped = hook.map_json("shop").unwrap();
        assert_eq!(mapped.count, 1);
        assert!(mapped.records.contains("\"450789469\""));
    }

    #[test]
    fn woocommerce_webhook_verified_and_mapped() {
        let body = fixture("woocommerce/order.json");
        let headers = h(&[
            ("X-WC-Webhook-Signature", WOO_SIG),
            ("X-WC-Webhook-Topic", "order.updated"),
            ("X-WC-Webhook-Source", "https://example.com/"),
        ]);
        let hook = verify_webhook(
            PlatformKind::WooCommerce,
            "wc_webhook_secret",
            &headers,
            &body,
        )
        .unwrap();
        assert_eq!(
            (hook.entity, hook.event.as_str()),
            (Some(EntityKind::Order), "update")
        );
        assert_eq!(hook.map_json("shop").unwrap().count, 1);
    }

    #[test]
    fn a_changed_body_or_a_wrong_secret_is_refused() {
        let mut body = fixture("shopify/order.json");
        let headers = h(&[
            ("X-Shopify-Hmac-Sha256", SHOPIFY_SIG),
            ("X-Shopify-Topic", "orders/create"),
        ]);
        let e =
            verify_webhook(PlatformKind::Shopify, "another_secret", &headers, &body).unwrap_err();
        assert_eq!(e.code(), "auth_failed");
        assert!(!e.to_string().contains("another_secret"));
        body[10] ^= 1;
        assert_eq!(
            verify_webhook(PlatformKind::Shopify, "shpss_test_secret", &headers, &body)
                .unwrap_err()
                .code(),
            "auth_failed"
        );
        let none = h(&[("X-Shopify-Topic", "orders/create")]);
        assert_eq!(
            verify_webhook(PlatformKind::Shopify, "s", &none, &body)
                .unwrap_err()
                .code(),
            "auth_failed"
        );
        let garbage = h(&[
            ("X-Shopify-Hmac-Sha256", "%%%"),
            ("X-Shopify-Topic", "orders/create"),
        ]);
        assert_eq!(
            verify_webhook(PlatformKind::Shopify, "s", &garbage, &body)
                .unwrap_err()
                .code(),
            "auth_failed"
        );
    }

    #[test]
    fn deletions_and_pings_are_decoded() {
        let secret = "k";
        let sign = |body: &[u8]| {
            let mut mac = <Hmac<sha2::Sha256>>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(body);
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        };
        let body = br#"{"id": 788032119674292922}"#;
        let hook = verify_webhook(
            PlatformKind::Shopify,
            secret,
            &h(&[
                ("X-Shopify-Hmac-Sha256", &sign(body)),
                ("X-Shopify-Topic", "products/delete"),
            ]),
            body,
        )
        .unwrap();
        assert_eq!(hook.deleted_id.as_deref(), Some("788032119674292922"));
        assert_eq!(hook.map_json("s").unwrap().count, 0);
        let ping = b"webhook_id=42";
        let hook = verify_webhook(
            PlatformKind::WooCommerce,
            secret,
            &h(&[("X-WC-Webhook-Signature", &sign(ping))]),
            ping,
        )
        .unwrap();
        assert_eq!(hook.event, "ping");
    }
}
