//! Payment service providers: each provider's folder holds its connector and the
//! declarative description of its settings tab; [`validate`] checks submitted settings
//! against those descriptions for all providers alike.

pub mod atone;
pub mod paygent;
pub mod remise;
pub mod schema;
pub mod timing;
pub mod validate;
pub mod yamato;

use crate::domain::order::ReceiptStatus;
use schema::{ProviderSpec, Service};

/// Every provider kessai supports, in the order the settings screen offers them.
pub static PROVIDERS: [&ProviderSpec; 4] = [
    &paygent::settings::SETTINGS,
    &remise::settings::SETTINGS,
    &atone::settings::SETTINGS,
    &yamato::settings::SETTINGS,
];

/// The provider with that key.
pub fn provider(key: &str) -> Option<&'static ProviderSpec> {
    PROVIDERS.iter().copied().find(|p| p.key == key)
}

/// The provider and service of a settlement kind code (`paygent_card`).
pub fn service(kind: &str) -> Option<(&'static ProviderSpec, &'static Service)> {
    PROVIDERS
        .iter()
        .copied()
        .find_map(|p| p.services.iter().find(|s| s.kind == kind).map(|s| (p, s)))
}

/// The 決済種別 label of a settlement kind, or the code itself when unknown.
pub fn service_label(kind: &str) -> &str {
    service(kind).map(|(_, s)| s.label).unwrap_or(kind)
}

/// Settlement kinds the buyer pays after ordering (convenience store, ATM, net banking):
/// their orders start 未入金 until the provider reports the payment.
const PAID_AFTER_ORDER: [&str; 5] = [
    "paygent_conv",
    "paygent_atm",
    "paygent_netbank",
    "remise_multi",
    "remise_conv",
];

/// The 入金状況 an order of a settlement kind starts with, whoever creates it (the buyer's
/// checkout, a notification, or the operator's 受注データ登録): 未入金 for payments made
/// after ordering, none for cards and other payments settled at checkout.
pub fn initial_receipt_status(kind: &str) -> ReceiptStatus {
    if PAID_AFTER_ORDER.contains(&kind) {
        ReceiptStatus::Unpaid
    } else {
        ReceiptStatus::NotApplicable
    }
}

/// Settlement kinds whose provider allows only one payment method.
pub fn single_method_kinds() -> &'static [&'static str] {
    // Kuroneko Web Collect: 「クロネコ Web コレクトの決済種別で複数の支払方法を登録することは出来ません。」
    &["yamato_card"]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settlement_kinds_are_unique_across_providers() {
        let mut kinds: Vec<&str> = PROVIDERS
            .iter()
            .flat_map(|p| p.services.iter().map(|s| s.kind))
            .collect();
        let n = kinds.len();
        kinds.sort();
        kinds.dedup();
        assert_eq!(kinds.len(), n);
    }

    #[test]
    fn orders_paid_after_ordering_start_unpaid_and_cards_have_no_receipt_status() {
        for kind in PAID_AFTER_ORDER {
            assert!(service(kind).is_some(), "{kind} is a settlement kind");
            assert_eq!(initial_receipt_status(kind), ReceiptStatus::Unpaid);
        }
        for kind in [
            "paygent_card",
            "remise_card",
            "yamato_card",
            "atone",
            "paygent_paidy",
        ] {
            assert_eq!(initial_receipt_status(kind), ReceiptStatus::NotApplicable);
        }
    }

    #[test]
    fn every_provider_has_an_environment_and_a_sandbox_switch() {
        for p in PROVIDERS {
            let keys: Vec<&str> = p
                .sections
                .iter()
                .flat_map(|s| s.fields.iter().map(|f| f.key))
                .collect();
            assert!(keys.contains(&"env"), "{} has no env", p.key);
            assert!(
                keys.contains(&"test_target"),
                "{} has no test_target",
                p.key
            );
        }
    }
}
