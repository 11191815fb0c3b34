//! The default rule pack: one entry per built-in rule, with what it checks, an example of
//! what it catches, the fix at the source, and the cleanser or setting that helps.
//!
//! `docs/quality-rules.md` is generated from this table (a test fails when it drifts).

use serde::Serialize;

use super::cleanse::Cleanser;
use super::{Dimension, Severity};
use crate::model::EntityKind;

/// A setting a built-in rule accepts in a rule file or the builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Param {
    /// An amount of money two sums may differ by (`"0.01"`).
    Tolerance,
    /// Field names (paths of the unified form) the rule requires.
    Fields,
    /// The codes that are allowed (currencies, countries); any valid code when unset.
    Allowed,
    /// How far in the future a timestamp may be (`"10m"`, `"2h"`, `"1d"`), for clock skew.
    MaxFutureSkew,
    /// A number of days.
    Days,
}

impl Param {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Param::Tolerance => "tolerance",
            Param::Fields => "fields",
            Param::Allowed => "allowed",
            Param::MaxFutureSkew => "max_future_skew",
            Param::Days => "days",
        }
    }
}

/// Another entity a cross-entity rule needs to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    Nothing,
    Customers,
    Products,
    Orders,
}

/// A built-in rule as documented: the same facts the rule file, the report and the docs use.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    /// The rule's id (`"order.total_matches"`).
    pub id: &'static str,
    /// The kind of record it checks.
    pub entity: EntityKind,
    /// Its DAMA dimension.
    pub dimension: Dimension,
    /// Its default severity.
    pub severity: Severity,
    /// What it checks, in one line.
    pub title: &'static str,
    /// An example of what it catches.
    pub catches: &'static str,
    /// What to change at the source.
    pub advice: &'static str,
    /// The cleanser that fixes what it catches, where one can.
    pub cleanser: Option<Cleanser>,
    /// The settings it accepts beside `enabled` and `severity`.
    pub params: &'static [Param],
    #[serde(skip)]
    pub(crate) needs: Needs,
}

macro_rules! catalog {
    ($($variant:ident = $id:literal, $entity:ident, $dim:ident, $sev:ident,
        [$($param:ident),*], $cleanser:expr, $needs:ident,
        $title:literal, $catches:literal, $advice:literal;)*) => {
        /// Every built-in rule.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub(crate) enum Builtin { $($variant),* }

        /// The built-in rules, in the order of [`Builtin`].
        pub(crate) const CATALOG: &[RuleInfo] = &[$(RuleInfo {
            id: $id,
            entity: EntityKind::$entity,
            dimension: Dimension::$dim,
            severity: Severity::$sev,
            title: $title,
            catches: $catches,
            advice: $advice,
            cleanser: $cleanser,
            params: &[$(Param::$param),*],
            needs: Needs::$needs,
        }),*];

        pub(crate) const ALL: &[Builtin] = &[$(Builtin::$variant),*];
    };
}

use Cleanser as C;

catalog! {
    OrderRequired = "order.required", Order, Completeness, Warning, [Fields], None, Nothing,
        "Orders have the fields the business needs (default: number, email, line items, billing country)",
        "an order with no e-mail address, or with no line items",
        "make the fields mandatory at checkout, or change `fields` to what your store really collects";
    OrderEmailSyntax = "order.email_syntax", Order, Validity, Error, [], Some(C::TrimWhitespace), Nothing,
        "The order's e-mail address is a valid address",
        "`jane.doe@example` (no top-level domain), `jane doe@shop.com`",
        "validate the address field at checkout; addresses padded with spaces are fixed by `trim_whitespace`";
    OrderEmailPlaceholder = "order.email_placeholder", Order, Accuracy, Warning, [], None, Nothing,
        "The order's e-mail address is not a placeholder or a throw-away inbox",
        "`test@example.com`, `noemail@gmail.com`, `x@mailinator.com`",
        "ask staff who enter phone orders to record the buyer's real address, or none";
    OrderCurrency = "order.currency_iso4217", Order, Validity, Error, [Allowed], Some(C::UppercaseCodes), Nothing,
        "The order's currency is an ISO 4217 code in upper case (and one of `allowed`, when set)",
        "`usd`, `XXX` (no currency), `EUR` when only USD and CAD are allowed",
        "set the store currency in the platform's settings; lower-case codes are fixed by `uppercase_codes`";
    OrderCurrencyConsistent = "order.currency_consistent", Order, Consistency, Error, [], None, Nothing,
        "Every amount of the order is in the order's currency",
        "an order in EUR with a shipping line in USD",
        "check the multi-currency plug-in: it converts some lines and not others";
    OrderCountry = "order.country_iso3166", Order, Validity, Warning, [Allowed], Some(C::CountryNames), Nothing,
        "Billing and shipping countries are ISO 3166-1 alpha-2 codes (and one of `allowed`, when set)",
        "`Germany` or `de` where `DE` is expected, `XX`",
        "use the platform's country drop-down instead of a free-text field; names and lower case are fixed by `country_names`";
    OrderPostalCode = "order.postal_code", Order, Validity, Warning, [], None, Nothing,
        "Postal codes have their country's format (for the 60-odd countries whose formats Nexus knows)",
        "`9410` for a US address, `1234` for a Dutch one",
        "turn on address validation at checkout";
    OrderPhone = "order.phone_plausible", Order, Validity, Info, [], None, Nothing,
        "Billing phone numbers are plausible: 7 to 15 digits, a real calling code, no filler",
        "`555-5555-5555` repeated digits, `123456`, `call me`",
        "validate phone numbers at checkout, or make the field optional instead of forcing fillers";
    OrderTotal = "order.total_matches", Order, Consistency, Error, [Tolerance], None, Nothing,
        "The total equals lines - discounts + shipping + fees + tax (tax left out when prices include it), within `tolerance`",
        "an order of 100.00 + 10.00 shipping + 8.80 tax whose total says 108.80",
        "look for plug-ins that change totals after the fact (gift cards, store credit, rounding); raise `tolerance` if the store rounds tax per line";
    OrderSubtotal = "order.subtotal_matches", Order, Consistency, Warning, [Tolerance], None, Nothing,
        "The order's subtotal equals the sum of its lines' subtotals, within `tolerance`",
        "a subtotal of 50.00 over lines worth 45.00",
        "check plug-ins that add hidden lines or edit the subtotal";
    OrderLineTotal = "order.line_total", Order, Consistency, Error, [Tolerance], Some(C::FillDerived), Nothing,
        "Each line's total equals quantity x unit price - line discount, within `tolerance`",
        "2 x 10.00 with no discount and a line total of 15.00",
        "check the pricing plug-in that sets line prices; lines whose total is missing (zero) are filled by `fill_derived`";
    OrderQuantity = "order.quantity_positive", Order, Validity, Error, [], None, Nothing,
        "Every line sells a positive quantity",
        "a line with quantity 0 or -1",
        "record returns as refunds, not as negative lines";
    OrderAmounts = "order.amounts_non_negative", Order, Validity, Error, [], None, Nothing,
        "Prices, line totals, shipping, fees, tax and the order total are not negative",
        "a unit price of -5.00, a total of -12.00",
        "record discounts as discounts and returns as refunds";
    OrderRefundAbovePaid = "order.refund_not_above_total", Order, Accuracy, Error, [Tolerance], None, Nothing,
        "The amount refunded is not above the amount charged",
        "an order of 40.00 with 55.00 refunded",
        "check for refunds issued twice (once in the platform, once at the payment provider)";
    OrderFutureDate = "order.future_date", Order, Timeliness, Error, [MaxFutureSkew], None, Nothing,
        "No timestamp lies in the future (beyond `max_future_skew`, default 10 minutes)",
        "an order created on 2031-01-01, a paid date next week",
        "check the store's time zone setting and the server clock";
    OrderUpdatedBeforeCreated = "order.updated_before_created", Order, Consistency, Warning, [], None, Nothing,
        "The order was not modified, paid or completed before it was created",
        "created 2024-05-02, modified 2024-05-01",
        "check imports that copy dates from another system";
    OrderCompletedUnpaid = "order.completed_without_payment", Order, Consistency, Warning, [], None, Nothing,
        "Completed orders have a payment date or a paid payment status (Magento orders carry no payment date and are skipped)",
        "a WooCommerce order in `completed` with no `date_paid`",
        "mark orders paid before completing them, or check the payment gateway's callback";
    OrderStatusRefund = "order.status_refund_mismatch", Order, Consistency, Warning, [Tolerance], None, Nothing,
        "The status agrees with the refunds: refunded orders have refunds, fully refunded orders say so",
        "status `refunded` with nothing refunded; 100% refunded but still `processing`",
        "refund through the platform so it updates the status, not only at the payment provider";
    OrderStalePending = "order.stale_pending", Order, Timeliness, Info, [Days], None, Nothing,
        "No order waits as pending or on hold for more than `days` (default 30)",
        "an order pending payment since three months ago",
        "cancel abandoned orders automatically (WooCommerce: hold stock setting; Magento: pending order lifetime)";
    OrderDuplicateId = "order.duplicate_id", Order, Uniqueness, Error, [], None, Nothing,
        "Each order id appears once per store",
        "order 1001 twice in the same batch",
        "de-duplicate the export; Nexus's readers drop repeated ids themselves";
    OrderDuplicateNumber = "order.duplicate_number", Order, Uniqueness, Warning, [], None, Nothing,
        "Each order number appears once per store",
        "two different orders both numbered #1001",
        "check the order-number plug-in's sequence";
    OrderLineSku = "order.line_sku_present", Order, Completeness, Info, [], None, Nothing,
        "Every line names a SKU",
        "a line for `Gift wrap` with no SKU",
        "give every product and variant a SKU, so sales can be joined to inventory";
    OrderUnknownCustomer = "order.unknown_customer", Order, Consistency, Warning, [], None, Customers,
        "The order's customer exists among the customers checked with it",
        "an order for customer 77 when no customer 77 was read",
        "sync customers together with orders; a deleted account leaves orders pointing nowhere";
    OrderUnknownProduct = "order.unknown_product", Order, Consistency, Warning, [], None, Products,
        "Each line's product (and variant) exists among the products checked with it",
        "a line for product 5521, which is not in the catalog",
        "sync products together with orders; deleted products leave lines pointing nowhere";

    CustomerRequired = "customer.required", Customer, Completeness, Warning, [Fields], None, Nothing,
        "Customers have the fields the business needs (default: email, first and last name)",
        "an account with no e-mail address",
        "make the fields mandatory at registration, or change `fields`";
    CustomerEmailSyntax = "customer.email_syntax", Customer, Validity, Error, [], Some(C::TrimWhitespace), Nothing,
        "The customer's e-mail address is a valid address",
        "`jane@@shop.com`, `jane.doe@example`",
        "validate the address at registration; addresses padded with spaces are fixed by `trim_whitespace`";
    CustomerEmailPlaceholder = "customer.email_placeholder", Customer, Accuracy, Warning, [], None, Nothing,
        "The customer's e-mail address is not a placeholder or a throw-away inbox",
        "`none@none.com`, `test@test.com`, `a@yopmail.com`",
        "block disposable domains at registration";
    CustomerEmailNormalized = "customer.email_normalized", Customer, Validity, Info, [], Some(C::LowercaseEmail), Nothing,
        "E-mail addresses are stored trimmed and in lower case, so the same person matches across stores",
        "`Jane.Doe@Example.COM `",
        "normalize addresses when accounts are created; `lowercase_email` and `trim_whitespace` fix them";
    CustomerWhitespace = "customer.whitespace", Customer, Validity, Info, [], Some(C::TrimWhitespace), Nothing,
        "Names, phone and address text have no leading, trailing or doubled spaces",
        "`  Jane`, `Doe  Smith`",
        "trim form input; `trim_whitespace` fixes it";
    CustomerPhone = "customer.phone_plausible", Customer, Validity, Warning, [], None, Nothing,
        "Phone numbers are plausible: 7 to 15 digits, a real calling code, no filler",
        "`0000000`, `+999 12345`",
        "validate phone numbers at registration";
    CustomerCountry = "customer.country_iso3166", Customer, Validity, Warning, [Allowed], Some(C::CountryNames), Nothing,
        "Address countries are ISO 3166-1 alpha-2 codes (and one of `allowed`, when set)",
        "`United States` or `usa` where `US` is expected",
        "use the platform's country drop-down; names and lower case are fixed by `country_names`";
    CustomerPostalCode = "customer.postal_code", Customer, Validity, Warning, [], None, Nothing,
        "Address postal codes have their country's format",
        "`SW1A` for a UK address",
        "turn on address validation";
    CustomerAddressComplete = "customer.address_complete", Customer, Completeness, Info, [], None, Nothing,
        "Addresses have a street line, a city, a postal code and a country",
        "a shipping address with a city but no street",
        "make the address fields mandatory";
    CustomerFutureDate = "customer.future_date", Customer, Timeliness, Error, [MaxFutureSkew], None, Nothing,
        "No timestamp lies in the future (beyond `max_future_skew`)",
        "an account created in 2030",
        "check the store's time zone setting and the server clock";
    CustomerUpdatedBeforeCreated = "customer.updated_before_created", Customer, Consistency, Warning, [], None, Nothing,
        "The account was not modified before it was created",
        "created 2024-05-02, modified 2023-01-01",
        "check imports that copy dates from another system";
    CustomerSpentWithoutOrders = "customer.spent_without_orders", Customer, Consistency, Warning, [], None, Nothing,
        "The amount spent agrees with the order count (nothing spent without orders, nothing negative)",
        "total spent 250.00 with 0 orders",
        "recompute the customer statistics in the platform (WooCommerce: Tools > Analytics)";
    CustomerCurrency = "customer.currency_iso4217", Customer, Validity, Error, [Allowed], Some(C::UppercaseCodes), Nothing,
        "The currency of the amount spent is an ISO 4217 code in upper case",
        "`eur`, `XXX`",
        "set the store currency; lower-case codes are fixed by `uppercase_codes`";
    CustomerDuplicateId = "customer.duplicate_id", Customer, Uniqueness, Error, [], None, Nothing,
        "Each customer id appears once per store",
        "customer 42 twice in the same batch",
        "de-duplicate the export";
    CustomerDuplicateEmail = "customer.duplicate_email", Customer, Uniqueness, Warning, [], None, Nothing,
        "No two customers of a store share an e-mail address (compared trimmed, in lower case)",
        "accounts 12 and 57 both `jane@shop.com` (one typed `Jane@Shop.com`)",
        "merge the accounts in the platform; enable unique e-mail addresses at registration";

    ProductRequired = "product.required", Product, Completeness, Warning, [Fields], None, Nothing,
        "Products have the fields the business needs (default: name)",
        "a product with an empty name",
        "complete the catalog, or change `fields`";
    ProductPricePresent = "product.price_present", Product, Completeness, Warning, [], None, Nothing,
        "Active simple products have a price",
        "a published simple product with no price, which cannot be bought",
        "price the product or unpublish it";
    ProductSkuPresent = "product.sku_present", Product, Completeness, Warning, [], None, Nothing,
        "Simple products and every variant have a SKU",
        "a T-shirt variant `Black / M` with no SKU",
        "give every sellable item a SKU";
    ProductSkuUnique = "product.sku_unique", Product, Uniqueness, Error, [], None, Nothing,
        "Each SKU is used once per store, across products and their variants",
        "two products both with SKU `TSHIRT-01`",
        "rename one of the SKUs; inventory and sales reports mix them up otherwise";
    ProductDuplicateId = "product.duplicate_id", Product, Uniqueness, Error, [], None, Nothing,
        "Each product id appears once per store",
        "product 794 twice in the same batch",
        "de-duplicate the export";
    ProductPriceNonNegative = "product.price_non_negative", Product, Validity, Error, [], None, Nothing,
        "Product and variant prices are not negative",
        "a price of -9.99",
        "fix the price in the catalog";
    ProductSaleAboveRegular = "product.sale_above_regular", Product, Consistency, Warning, [], None, Nothing,
        "The selling price is not above the regular (compare-at) price",
        "price 30.00 with a regular price of 25.00",
        "swap the two prices, or clear the compare-at price";
    ProductVariantRange = "product.variant_price_range", Product, Consistency, Warning, [], None, Nothing,
        "The product's own price lies within its variants' prices",
        "a product shown from 5.00 whose variants cost 20.00 to 30.00",
        "re-save the product so the platform recomputes its price from the variants";
    ProductCurrency = "product.currency_iso4217", Product, Validity, Error, [Allowed], Some(C::UppercaseCodes), Nothing,
        "The prices' currency, where given, is an ISO 4217 code in upper case",
        "`usd`",
        "set the store currency; lower-case codes are fixed by `uppercase_codes`";
    ProductNegativeStock = "product.negative_stock", Product, Validity, Warning, [], None, Nothing,
        "Stock levels of the product and its variants are not negative",
        "inventory -3: sold more than was in stock",
        "recount the stock, or stop back-orders if they were not intended";
    ProductFutureDate = "product.future_date", Product, Timeliness, Error, [MaxFutureSkew], None, Nothing,
        "No timestamp lies in the future (beyond `max_future_skew`)",
        "a product created in 2035",
        "check the store's time zone setting and the server clock";
    ProductUpdatedBeforeCreated = "product.updated_before_created", Product, Consistency, Warning, [], None, Nothing,
        "The product was not modified before it was created",
        "created 2024-05-02, modified 2024-01-01",
        "check imports that copy dates from another system";
    ProductVariantsListed = "product.variants_listed", Product, Consistency, Warning, [], None, Nothing,
        "The variants sent with the product are the ones its variant ids list",
        "variant 808950810 sent with the product but missing from its variant ids",
        "re-save the product so the platform rebuilds its variant list";
    ProductVariableWithoutVariants = "product.variable_without_variants", Product, Completeness, Warning, [], None, Nothing,
        "Variable (configurable) products have at least one variant",
        "a variable T-shirt with no sizes, which cannot be bought",
        "add the variants or make the product simple";
    ProductWhitespace = "product.whitespace", Product, Validity, Info, [], Some(C::TrimWhitespace), Nothing,
        "Names and SKUs have no leading, trailing or doubled spaces",
        "SKU `TSHIRT-01 ` (a search for `TSHIRT-01` misses it)",
        "trim catalog input; `trim_whitespace` fixes it";

    VariantRequired = "variant.required", Variant, Completeness, Warning, [Fields], None, Nothing,
        "Variants have the fields the business needs (default: sku, price)",
        "a variation with no price",
        "complete the variations, or change `fields`";
    VariantPriceNonNegative = "variant.price_non_negative", Variant, Validity, Error, [], None, Nothing,
        "Variant prices are not negative",
        "a price of -1.00",
        "fix the price in the catalog";
    VariantSaleAboveRegular = "variant.sale_above_regular", Variant, Consistency, Warning, [], None, Nothing,
        "The selling price is not above the regular price",
        "price 30.00, regular price 25.00",
        "swap the two prices, or clear the regular price";
    VariantNegativeStock = "variant.negative_stock", Variant, Validity, Warning, [], None, Nothing,
        "Stock levels are not negative",
        "inventory -2",
        "recount the stock";
    VariantCurrency = "variant.currency_iso4217", Variant, Validity, Error, [Allowed], Some(C::UppercaseCodes), Nothing,
        "The prices' currency, where given, is an ISO 4217 code in upper case",
        "`usd`",
        "set the store currency; lower-case codes are fixed by `uppercase_codes`";
    VariantFutureDate = "variant.future_date", Variant, Timeliness, Error, [MaxFutureSkew], None, Nothing,
        "No timestamp lies in the future (beyond `max_future_skew`)",
        "a variant modified next year",
        "check the store's time zone setting and the server clock";
    VariantDuplicateId = "variant.duplicate_id", Variant, Uniqueness, Error, [], None, Nothing,
        "Each variant id appears once per store",
        "variation 733 twice in the same batch",
        "de-duplicate the export";
    VariantSkuUnique = "variant.sku_unique", Variant, Uniqueness, Error, [], None, Nothing,
        "Each variant SKU is used once per store",
        "two variations both `MUG-RED`",
        "rename one of the SKUs";
    VariantUnknownProduct = "variant.unknown_product", Variant, Consistency, Warning, [], None, Products,
        "The variant's product exists among the products checked with it",
        "a variation of product 9 when there is no product 9",
        "sync products together with their variations";

    RefundRequired = "refund.required", Refund, Completeness, Warning, [Fields], None, Nothing,
        "Refunds have the fields the business needs (default: the order's id)",
        "a credit memo that names no order",
        "change `fields` if your refunds are not tied to orders";
    RefundAmountPositive = "refund.amount_positive", Refund, Validity, Error, [], None, Nothing,
        "The amount refunded is above zero",
        "a refund of 0.00",
        "void empty refunds in the platform";
    RefundLinesMatch = "refund.lines_match", Refund, Consistency, Warning, [Tolerance], None, Nothing,
        "Refunded lines and shipping do not add up to more than the amount refunded, within `tolerance`",
        "lines worth 50.00 refunded for 20.00 in all",
        "record partial refunds as amounts, not as whole lines";
    RefundQuantityPositive = "refund.quantity_positive", Refund, Validity, Error, [], None, Nothing,
        "Every refunded line returns a positive quantity",
        "a refunded line with quantity 0",
        "leave lines that return nothing out of the refund";
    RefundCurrency = "refund.currency_iso4217", Refund, Validity, Error, [Allowed], Some(C::UppercaseCodes), Nothing,
        "The refund's currency is an ISO 4217 code (`XXX` means the payload named none)",
        "a WooCommerce refund mapped without the store currency: `XXX`",
        "pass the store's currency to the mapper (`currency=`), or fix lower-case codes with `uppercase_codes`";
    RefundFutureDate = "refund.future_date", Refund, Timeliness, Error, [MaxFutureSkew], None, Nothing,
        "No timestamp lies in the future (beyond `max_future_skew`)",
        "a refund dated next month",
        "check the store's time zone setting and the server clock";
    RefundDuplicateId = "refund.duplicate_id", Refund, Uniqueness, Error, [], None, Nothing,
        "Each refund id appears once per store",
        "refund 726 twice in the same batch",
        "de-duplicate the export";
    RefundUnknownOrder = "refund.unknown_order", Refund, Consistency, Warning, [], None, Orders,
        "The refunded order exists among the orders checked with it",
        "a refund of order 999 when no order 999 was read",
        "sync orders together with refunds";
    RefundExceedsOrder = "refund.exceeds_order", Refund, Accuracy, Error, [Tolerance], None, Orders,
        "The refunds of an order do not add up to more than the order's total",
        "two refunds of 30.00 on an order of 50.00",
        "look for a refund issued twice";
}

impl Builtin {
    pub(crate) fn info(self) -> &'static RuleInfo {
        &CATALOG[self as usize]
    }

    pub(crate) fn from_id(id: &str) -> Option<Builtin> {
        CATALOG.iter().position(|r| r.id == id).map(|i| ALL[i])
    }
}

/// The documentation of the default pack, as Markdown (`docs/quality-rules.md`).
pub(crate) fn markdown() -> String {
    let mut out = String::from(
        "# Default quality rules\n\n\
         Generated from `nexus-core/src/quality/catalog.rs`; a test fails when this file drifts \
         (regenerate with `NEXUS_UPDATE_DOCS=1 cargo test -p nexus-core quality_docs`).\n\n\
         Every rule can be disabled or given another severity in a rule file \
         (`rules: {order.phone_plausible: {enabled: false}}`); the settings listed with a rule \
         change its behaviour. Cross-entity rules run when the other entity is checked with \
         it (a `Dataset`, or `known_customers`/`known_products`/`known_orders`).\n",
    );
    for entity in [
        EntityKind::Order,
        EntityKind::Customer,
        EntityKind::Product,
        EntityKind::Variant,
        EntityKind::Refund,
    ] {
        out.push_str(&format!("\n## {}\n\n", capitalize(entity.plural())));
        out.push_str("| rule | dimension | severity | checks | catches | settings | cleanser |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
        for r in CATALOG.iter().filter(|r| r.entity == entity) {
            let params: Vec<String> = r
                .params
                .iter()
                .map(|p| format!("`{}`", p.as_str()))
                .collect();
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} | {} |\n",
                r.id,
                r.dimension,
                r.severity,
                r.title,
                r.catches,
                if params.is_empty() {
                    "-".into()
                } else {
                    params.join(", ")
                },
                r.cleanser
                    .map(|c| format!("`{}`", c.as_str()))
                    .unwrap_or_else(|| "-".into()),
            ));
        }
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
