//! Catalog rows the demo does not have.

use super::TestApp;

impl TestApp {
    /// A payment method of a settlement kind no provider has (`retired_kind`), as one left
    /// from an earlier version would be.
    pub async fn payment_method_of_unknown_kind(&self) -> i64 {
        let method = kessai::store::NewPaymentMethod {
            name: "旧決済".into(),
            description_html: String::new(),
            settlement_kind: "retired_kind".into(),
            active: true,
        };
        self.state
            .store
            .create_payment_method(&method, self.state.clock.now())
            .await
            .unwrap()
    }
}
