//! Server-rendered pages and mails: the templates under `templates/` and every provider's
//! own ([`crate::providers::templates`]) are compiled into the binary and rendered by
//! minijinja in strict mode, so a missing variable is an error, not a blank.

use std::sync::OnceLock;

use minijinja::{Environment, UndefinedBehavior, Value};

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "layout.html",
    "error.html",
    "login.html",
    "dashboard.html",
    "shop.html",
    "settlement.html",
    "payment_methods.html",
    "payment_method_edit.html",
    "payment_method_form.html",
    "delivery_form.html",
    "delivery.html",
    "delivery_edit.html",
    "jobs.html",
    "audit.html",
    "orders.html",
    "orders_bulk.html",
    "orders_b2.html",
    "members.html",
    "member.html",
    "order.html",
    "payment_errors.html",
    "payment_error.html",
    "prepayment_logs.html",
    "prepayment_log.html",
    "system.html",
    "list_macros.html",
    "api_keys.html",
    "shop_layout.html",
    "checkout_redirect.html",
    "checkout_done.html",
    "mails.html",
    "mail.html",
    "mail/thank_you.txt",
    "mail/order_notice.txt",
    "mail/order_details.txt",
    "mail/signature.txt",
    "shop_error.html",
    "shop_forms.html",
    "shop_products.html",
    "shop_item.html",
    "shop_cart.html",
    "shop_customer.html",
    "shop_delivery.html",
    "shop_confirm.html",
    "member_login.html",
    "member_register.html",
    "member_home.html",
    "member_edit.html",
    "member_withdraw.html",
];

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES
            .iter()
            .copied()
            .chain(crate::providers::templates())
        {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name} does not compile: {e}"));
        }
        env.add_filter("yen", |n: i64| crate::domain::money::group_thousands(n));
        env.add_filter("jst", |t: String| {
            chrono::DateTime::parse_from_rfc3339(&t)
                .map(|t| crate::clock::format_jst(t.with_timezone(&chrono::Utc)))
                .unwrap_or(t)
        });
        env
    })
}

/// Renders a template with `context`.
pub fn render(name: &str, context: Value) -> Result<String, minijinja::Error> {
    environment().get_template(name)?.render(context)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_compiles() {
        for (name, _) in super::TEMPLATES
            .iter()
            .copied()
            .chain(crate::providers::templates())
        {
            super::environment().get_template(name).unwrap();
        }
    }
}
