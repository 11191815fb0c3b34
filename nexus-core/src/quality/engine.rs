//! The quality engine: runs a rule set over records, cleanses them, builds the report.

use std::borrow::Cow;

use chrono::Utc;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::catalog::{ALL, Builtin, Needs};
use super::cleanse::{self, CleansingLog, Cx};
use super::config::{RuleConfig, RuleSet};
use super::field::Finding;
use super::report::{self, Example, QualityReport, Trend};
use super::rules::{self, IdIndex, OrderIndex, State};
use super::{Dimension, Severity, Violation};
use crate::model::{
    Customer, EntityKind, Order, PlatformKind, Product, Refund, SourceRef, Timestamp, Variant,
};

/// A kind of record the quality engine checks: [`Order`], [`Customer`], [`Product`],
/// [`Variant`] and [`Refund`].
pub trait Checkable: Serialize + private::Sealed {
    /// The entity.
    const ENTITY: EntityKind;
    /// Where the record came from.
    fn source(&self) -> &SourceRef;
}

pub(crate) mod private {
    use super::*;

    /// What only the engine calls: running a rule on a record and cleansing it. The trait
    /// is public only as the supertrait of `Checkable`; no one outside can name it.
    #[allow(private_interfaces)]
    pub trait Sealed {
        /// Runs the active rules on one record (one call per record, the rules' loop
        /// inside, so the big per-entity match is entered once).
        #[allow(clippy::too_many_arguments)]
        fn run_rules<'r>(
            &'r self,
            active: &[Active],
            index: usize,
            st: &mut State<'r>,
            refs: &Reference,
            as_of: Timestamp,
            s: &mut Sink,
        );
        fn cleanse_one(&mut self, cx: &mut Cx);
    }
}

use private::Sealed;

macro_rules! checkable {
    ($t:ty, $entity:ident, |$r:ident, $rule:ident, $cfg:ident, $i:ident, $st:ident, $refs:ident, $as_of:ident, $s:ident| $run:expr, $clean:path) => {
        impl Checkable for $t {
            const ENTITY: EntityKind = EntityKind::$entity;
            fn source(&self) -> &SourceRef {
                &self.source
            }
        }
        #[allow(private_interfaces)]
        impl Sealed for $t {
            fn run_rules<'r>(
                &'r self,
                active: &[Active],
                $i: usize,
                $st: &mut State<'r>,
                $refs: &Reference,
                $as_of: Timestamp,
                $s: &mut Sink,
            ) {
                let $r = self;
                let _ = (&$refs, $as_of);
                for a in active {
                    $s.begin(a);
                    let ($rule, $cfg, $as_of) = (a.rule, a.cfg, a.at);
                    $run
                }
            }
            fn cleanse_one(&mut self, cx: &mut Cx) {
                $clean(self, cx)
            }
        }
    };
}

checkable!(
    Order,
    Order,
    |r, rule, cfg, i, st, refs, as_of, s| rules::order(rule, cfg, r, i, st, refs, as_of, s),
    cleanse::order
);
checkable!(
    Customer,
    Customer,
    |r, rule, cfg, i, st, refs, as_of, s| rules::customer(rule, cfg, r, i, st, as_of, s),
    cleanse::customer
);
checkable!(
    Product,
    Product,
    |r, rule, cfg, i, st, refs, as_of, s| rules::product(rule, cfg, r, i, st, as_of, s),
    cleanse::product
);
checkable!(
    Variant,
    Variant,
    |r, rule, cfg, i, st, refs, as_of, s| rules::variant(rule, cfg, r, i, st, refs, as_of, s),
    cleanse::variant
);
checkable!(
    Refund,
    Refund,
    |r, rule, cfg, i, st, refs, as_of, s| rules::refund(rule, cfg, r, i, st, refs, as_of, s),
    cleanse::refund
);

/// Records of several entities checked together, so the cross-entity rules can run (lines
/// pointing to unknown products, orders to unknown customers, refunds above their order).
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Orders.
    pub orders: Vec<Order>,
    /// Customers.
    pub customers: Vec<Customer>,
    /// Products (with their variants, where the platform sends them).
    pub products: Vec<Product>,
    /// Variants read on their own (WooCommerce variations).
    pub variants: Vec<Variant>,
    /// Refunds.
    pub refunds: Vec<Refund>,
}

/// What the cross-entity rules compare against.
#[derive(Debug, Default, Clone)]
pub(crate) struct Reference {
    pub(crate) customers: Option<IdIndex>,
    pub(crate) products: Option<IdIndex>,
    pub(crate) variants: Option<IdIndex>,
    pub(crate) orders: Option<OrderIndex>,
}

impl Reference {
    fn add_customers(&mut self, customers: &[Customer]) {
        let idx = self.customers.get_or_insert_with(IdIndex::default);
        for c in customers {
            idx.insert(c.source.platform, &c.source.store, &c.source.id);
        }
    }

    fn add_products(&mut self, products: &[Product]) {
        let idx = self.products.get_or_insert_with(IdIndex::default);
        let vars = self.variants.get_or_insert_with(IdIndex::default);
        for p in products {
            idx.insert(p.source.platform, &p.source.store, &p.source.id);
            for v in &p.variant_ids {
                vars.insert(p.source.platform, &p.source.store, v);
            }
            for v in &p.variants {
                vars.insert(p.source.platform, &p.source.store, &v.source.id);
            }
        }
    }

    fn add_variants(&mut self, variants: &[Variant]) {
        let vars = self.variants.get_or_insert_with(IdIndex::default);
        for v in variants {
            vars.insert(v.source.platform, &v.source.store, &v.source.id);
        }
    }

    fn add_orders(&mut self, orders: &[Order]) {
        let idx = self.orders.get_or_insert_with(OrderIndex::default);
        for o in orders {
            idx.insert(
                o.source.platform,
                &o.source.store,
                &o.source.id,
                o.total.amount,
            );
        }
    }

    fn has(&self, needs: Needs) -> bool {
        match needs {
            Needs::Nothing => true,
            Needs::Customers => self.customers.is_some(),
            Needs::Products => self.products.is_some(),
            Needs::Orders => self.orders.is_some(),
        }
    }
}

/// A built-in rule as one run uses it.
pub(crate) struct Active<'a> {
    pub rule: Builtin,
    pub cfg: &'a RuleConfig,
    pub slot: u32,
    pub id: &'static str,
    pub dimension: Dimension,
    /// The rule's reference time: the run's time plus `max_future_skew` for the future-date
    /// rules, minus `days` for the stale-order rule, the run's time otherwise.
    pub at: Timestamp,
}

/// Where the rules report what they find: the violations of the run so far, and the rule
/// and record being checked.
pub(crate) struct Sink<'a> {
    pub(crate) violations: Vec<Violation>,
    pub(crate) slot_of: Vec<u32>,
    slot: u32,
    rule_id: Cow<'static, str>,
    severity: Severity,
    dimension: Dimension,
    src: Option<&'a SourceRef>,
    index: usize,
}

impl<'a> Sink<'a> {
    fn new() -> Self {
        Sink {
            violations: Vec::new(),
            slot_of: Vec::new(),
            slot: 0,
            rule_id: Cow::Borrowed(""),
            severity: Severity::Info,
            dimension: Dimension::Validity,
            src: None,
            index: 0,
        }
    }

    /// Makes `a` the rule whose violations are reported.
    #[inline]
    pub(crate) fn begin(&mut self, a: &Active) {
        self.slot = a.slot;
        self.rule_id = Cow::Borrowed(a.id);
        self.severity = a.cfg.severity;
        self.dimension = a.dimension;
    }

    /// Reports a violation of the current rule by the current record.
    pub(crate) fn flag(
        &mut self,
        path: impl FnOnce() -> String,
        message: impl FnOnce() -> String,
        value: Option<&str>,
        fixable: bool,
    ) {
        let Some(src) = self.src else { return };
        self.violations.push(Violation {
            rule: self.rule_id.clone(),
            entity: src.entity,
            platform: src.platform,
            store: src.store.clone(),
            record_id: src.id.clone(),
            index: self.index,
            path: path(),
            severity: self.severity,
            dimension: self.dimension,
            message: message(),
            value: value.map(str::to_owned),
            fixable,
        });
        self.slot_of.push(self.slot);
    }
}

/// One rule as run: the report's counts per rule are kept per slot.
pub(crate) struct Slot {
    pub id: Cow<'static, str>,
    pub entity: EntityKind,
    pub dimension: Dimension,
    pub severity: Severity,
    pub title: String,
    pub advice: String,
    pub cleanser: Option<super::Cleanser>,
    pub setting: Option<String>,
    pub checked: u64,
    pub records_failed: u64,
    pub violations: u64,
    pub fixable: u64,
    pub examples: Vec<Example>,
    pub stores: Vec<String>,
}

/// Scores kept per entity, platform and store.
#[derive(Clone)]
pub(crate) struct Group {
    pub entity: EntityKind,
    pub platform: PlatformKind,
    pub store: String,
    pub records: u64,
    pub checked: [u64; 6],
    pub failed: [u64; 6],
    pub penalty: [f64; 6],
}

/// Everything a check accumulates before it becomes a report.
pub(crate) struct Run<'a> {
    pub sink: Sink<'a>,
    pub slots: Vec<Slot>,
    pub groups: Vec<Group>,
    group_of: FxHashMap<(EntityKind, PlatformKind, String), usize>,
}

/// The quality engine: a rule set, the time "now" is taken to be, and what the
/// cross-entity rules compare against.
#[derive(Debug, Clone)]
pub struct QualityEngine {
    rules: RuleSet,
    as_of: Option<Timestamp>,
    refs: Reference,
}

impl Default for QualityEngine {
    fn default() -> Self {
        QualityEngine::new(RuleSet::default_pack())
    }
}

impl QualityEngine {
    /// An engine running `rules`.
    pub fn new(rules: RuleSet) -> Self {
        QualityEngine {
            rules,
            as_of: None,
            refs: Reference::default(),
        }
    }

    /// Takes `now` to be this time (for reproducible reports; default: the clock when a
    /// check starts). Future dates and stale orders are judged against it.
    pub fn as_of(mut self, now: Timestamp) -> Self {
        self.as_of = Some(now);
        self
    }

    /// The rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Customers that orders may point to (turns on `order.unknown_customer`).
    pub fn known_customers(mut self, customers: &[Customer]) -> Self {
        self.refs.add_customers(customers);
        self
    }

    /// Products (and their variants) that order lines and variants may point to (turns on
    /// `order.unknown_product` and `variant.unknown_product`).
    pub fn known_products(mut self, products: &[Product]) -> Self {
        self.refs.add_products(products);
        self
    }

    /// Variants read on their own that order lines may point to.
    pub fn known_variants(mut self, variants: &[Variant]) -> Self {
        self.refs.add_variants(variants);
        self
    }

    /// Orders that refunds may point to (turns on `refund.unknown_order` and
    /// `refund.exceeds_order`).
    pub fn known_orders(mut self, orders: &[Order]) -> Self {
        self.refs.add_orders(orders);
        self
    }

    fn now(&self) -> Timestamp {
        self.as_of.unwrap_or_else(Utc::now)
    }

    /// Checks records of one entity.
    pub fn check<R: Checkable>(&self, records: &[R]) -> QualityReport {
        self.checked(records, CleansingLog::default())
    }

    /// The report of records of one entity, with the log of the cleansing done first.
    fn checked<R: Checkable>(&self, records: &[R], log: CleansingLog) -> QualityReport {
        let as_of = self.now();
        let mut run = Run::new();
        self.run(records, &self.refs, as_of, &mut run);
        report::build(run, &self.rules, as_of, records.len() as u64, log)
    }

    /// Cleanses records of one entity in place, with the rule set's cleansing options.
    pub fn cleanse<R: Checkable>(&self, records: &mut [R]) -> CleansingLog {
        let mut log = CleansingLog::default();
        self.cleanse_into(records, &mut log);
        log
    }

    fn cleanse_into<R: Checkable>(&self, records: &mut [R], log: &mut CleansingLog) {
        if !self.rules.cleansing.enabled {
            return;
        }
        for (index, r) in records.iter_mut().enumerate() {
            let mut cx = Cx {
                opts: &self.rules.cleansing,
                log: &mut log.changes,
                index,
            };
            r.cleanse_one(&mut cx);
        }
    }

    /// Cleanses records in place, then checks them; the report holds the cleansing log.
    pub fn check_and_cleanse<R: Checkable>(&self, records: &mut [R]) -> QualityReport {
        let log = self.cleanse(records);
        self.checked(records, log)
    }

    /// Checks every entity of a dataset, with the cross-entity rules, in one report.
    pub fn check_dataset(&self, data: &Dataset) -> QualityReport {
        self.dataset(data, CleansingLog::default())
    }

    /// Cleanses every entity of a dataset, then checks it.
    pub fn check_and_cleanse_dataset(&self, data: &mut Dataset) -> QualityReport {
        let mut log = CleansingLog::default();
        self.cleanse_into(&mut data.orders, &mut log);
        self.cleanse_into(&mut data.customers, &mut log);
        self.cleanse_into(&mut data.products, &mut log);
        self.cleanse_into(&mut data.variants, &mut log);
        self.cleanse_into(&mut data.refunds, &mut log);
        self.dataset(data, log)
    }

    fn dataset(&self, data: &Dataset, log: CleansingLog) -> QualityReport {
        let mut refs = self.refs.clone();
        if !data.customers.is_empty() {
            refs.add_customers(&data.customers);
        }
        if !data.products.is_empty() {
            refs.add_products(&data.products);
        }
        if !data.variants.is_empty() {
            refs.add_variants(&data.variants);
        }
        if !data.orders.is_empty() {
            refs.add_orders(&data.orders);
        }
        let as_of = self.now();
        let mut run = Run::new();
        self.run(&data.orders, &refs, as_of, &mut run);
        self.run(&data.customers, &refs, as_of, &mut run);
        self.run(&data.products, &refs, as_of, &mut run);
        self.run(&data.variants, &refs, as_of, &mut run);
        self.run(&data.refunds, &refs, as_of, &mut run);
        let n = (data.orders.len()
            + data.customers.len()
            + data.products.len()
            + data.variants.len()
            + data.refunds.len()) as u64;
        report::build(run, &self.rules, as_of, n, log)
    }

    /// Checks (and, when `cleanse` is set, cleanses) records given as JSON in the unified
    /// form, as the Python and Node bindings pass them: a list of records of `entity`, or,
    /// when `entity` is `None`, an object holding lists under `orders`, `customers`,
    /// `products`, `variants` and `refunds` (checked together, with the cross-entity rules).
    ///
    /// A record that is not in the unified form cannot sink its batch: it is listed in the
    /// report's `rejected` with the path of the problem and passed through unchanged. With
    /// `previous`, the report's trend is set against it.
    pub fn check_json(
        &self,
        entity: Option<EntityKind>,
        payload: &[u8],
        cleanse: bool,
        previous: Option<&QualityReport>,
    ) -> Result<JsonCheck, crate::Error> {
        let text = std::str::from_utf8(payload).map_err(|e| invalid_json("", e.to_string()))?;
        let mut check = match entity {
            Some(e) => {
                let raws = parse_list(text, "")?;
                let (report, records) = match e {
                    EntityKind::Order => self.json_entity::<Order>(&raws, cleanse),
                    EntityKind::Customer => self.json_entity::<Customer>(&raws, cleanse),
                    EntityKind::Product => self.json_entity::<Product>(&raws, cleanse),
                    EntityKind::Variant => self.json_entity::<Variant>(&raws, cleanse),
                    EntityKind::Refund => self.json_entity::<Refund>(&raws, cleanse),
                    EntityKind::Transaction => {
                        return Err(crate::Error::InvalidArgument {
                            name: "entity",
                            message: "the quality engine checks orders, customers, products, variants and refunds, not transactions".into(),
                        });
                    }
                };
                JsonCheck { report, records }
            }
            None => self.json_dataset(text, cleanse)?,
        };
        if let Some(p) = previous {
            check.report.trend = Some(self.trend(&check.report, p));
        }
        Ok(check)
    }

    fn json_entity<R: Checkable + serde::de::DeserializeOwned>(
        &self,
        raws: &[&serde_json::value::RawValue],
        cleanse: bool,
    ) -> (QualityReport, Option<String>) {
        let (mut typed, positions, rejected) = parse_records::<R>(raws);
        let mut report = if cleanse {
            self.check_and_cleanse(&mut typed)
        } else {
            self.check(&typed)
        };
        remap(&mut report, R::ENTITY, &positions);
        report.rejected = rejected;
        let records = cleanse.then(|| reassemble(raws, &typed, &positions));
        (report, records)
    }

    fn json_dataset(&self, text: &str, cleanse: bool) -> Result<JsonCheck, crate::Error> {
        let map: std::collections::BTreeMap<String, &serde_json::value::RawValue> =
            serde_json::from_str(text).map_err(|e| invalid_json("", e.to_string()))?;
        let mut lists: FxHashMap<EntityKind, Vec<&serde_json::value::RawValue>> =
            FxHashMap::default();
        for (key, raw) in &map {
            let e: EntityKind = key.parse()?;
            if e == EntityKind::Transaction {
                return Err(crate::Error::InvalidArgument {
                    name: "records",
                    message: "the quality engine does not check transactions".into(),
                });
            }
            lists.insert(e, parse_list(raw.get(), key)?);
        }
        let empty = Vec::new();
        let get = |e| lists.get(&e).unwrap_or(&empty);
        let (orders, po, mut rej) = parse_records::<Order>(get(EntityKind::Order));
        let (customers, pc, r2) = parse_records::<Customer>(get(EntityKind::Customer));
        let (products, pp, r3) = parse_records::<Product>(get(EntityKind::Product));
        let (variants, pv, r4) = parse_records::<Variant>(get(EntityKind::Variant));
        let (refunds, pr, r5) = parse_records::<Refund>(get(EntityKind::Refund));
        rej.extend(r2.into_iter().chain(r3).chain(r4).chain(r5));
        let mut data = Dataset {
            orders,
            customers,
            products,
            variants,
            refunds,
        };
        let mut report = if cleanse {
            self.check_and_cleanse_dataset(&mut data)
        } else {
            self.check_dataset(&data)
        };
        // Positions are per entity: remap each entity's violations and changes.
        for (e, pos) in [
            (EntityKind::Order, &po),
            (EntityKind::Customer, &pc),
            (EntityKind::Product, &pp),
            (EntityKind::Variant, &pv),
            (EntityKind::Refund, &pr),
        ] {
            remap(&mut report, e, pos);
        }
        report.rejected = rej;
        let records = cleanse.then(|| {
            let mut out = String::from("{");
            let mut first = true;
            for (key, raw) in &map {
                let Ok(e) = key.parse::<EntityKind>() else {
                    continue;
                };
                let raws = get(e);
                let body = match e {
                    EntityKind::Order => reassemble(raws, &data.orders, &po),
                    EntityKind::Customer => reassemble(raws, &data.customers, &pc),
                    EntityKind::Product => reassemble(raws, &data.products, &pp),
                    EntityKind::Variant => reassemble(raws, &data.variants, &pv),
                    EntityKind::Refund => reassemble(raws, &data.refunds, &pr),
                    EntityKind::Transaction => raw.get().to_owned(),
                };
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&serde_json::to_string(key).unwrap_or_default());
                out.push(':');
                out.push_str(&body);
            }
            out.push('}');
            out
        });
        Ok(JsonCheck { report, records })
    }

    /// The trend of `current` against `previous`, on this engine's grade scale.
    pub fn trend(&self, current: &QualityReport, previous: &QualityReport) -> Trend {
        report::trend(current, previous, &self.rules.grades)
    }

    fn run<'r, R: Checkable>(
        &self,
        records: &'r [R],
        refs: &Reference,
        as_of: Timestamp,
        run: &mut Run<'r>,
    ) {
        let entity = R::ENTITY;
        // The rules that run, each with its report slot.
        let mut builtin: Vec<Active> = Vec::new();
        for rule in ALL.iter().copied() {
            let info = rule.info();
            let cfg = self.rules.config(rule);
            if info.entity != entity || !cfg.enabled || !refs.has(info.needs) {
                continue;
            }
            let slot = run.add_slot(Slot {
                id: Cow::Borrowed(info.id),
                entity,
                dimension: info.dimension,
                severity: cfg.severity,
                title: info.title.to_owned(),
                advice: info.advice.to_owned(),
                cleanser: info.cleanser,
                setting: setting_hint(rule, cfg),
                checked: records.len() as u64,
                records_failed: 0,
                violations: 0,
                fixable: 0,
                examples: Vec::new(),
                stores: Vec::new(),
            });
            let at = if info.params.contains(&super::catalog::Param::MaxFutureSkew) {
                as_of
                    .checked_add_signed(cfg.max_future_skew)
                    .unwrap_or(as_of)
            } else if info.params.contains(&super::catalog::Param::Days) {
                as_of
                    .checked_sub_signed(chrono::TimeDelta::days(cfg.days))
                    .unwrap_or(as_of)
            } else {
                as_of
            };
            builtin.push(Active {
                rule,
                cfg,
                slot,
                id: info.id,
                dimension: info.dimension,
                at,
            });
        }
        let mut fields = Vec::new();
        for (rule, path) in self
            .rules
            .field_rules
            .iter()
            .filter(|(r, _)| r.entity == entity)
        {
            let slot = run.add_slot(Slot {
                id: Cow::Owned(rule.id.clone()),
                entity,
                dimension: rule.dimension,
                severity: rule.severity,
                title: rule.message.clone().unwrap_or_else(|| {
                    format!(
                        "`{}` passes the field rule ({})",
                        rule.field,
                        check_name(&rule.check)
                    )
                }),
                advice: format!(
                    "fix `{}` at the source, or change the field rule `{}`",
                    rule.field, rule.id
                ),
                cleanser: None,
                setting: None,
                checked: records.len() as u64,
                records_failed: 0,
                violations: 0,
                fixable: 0,
                examples: Vec::new(),
                stores: Vec::new(),
            });
            fields.push((rule, path, slot));
        }
        let mut dims = [false; 6];
        for a in &builtin {
            dims[a.dimension.index()] = true;
        }
        for (r, _, _) in &fields {
            dims[r.dimension.index()] = true;
        }

        let mut st = State::with_capacity(records.len());
        let mut findings: Vec<Finding> = Vec::new();
        let mut last_group: Option<usize> = None;
        for (index, rec) in records.iter().enumerate() {
            let src = rec.source();
            run.sink.src = Some(src);
            run.sink.index = index;
            let start = run.sink.violations.len();
            rec.run_rules(&builtin, index, &mut st, refs, as_of, &mut run.sink);
            if !fields.is_empty() {
                let value = serde_json::to_value(rec).unwrap_or(serde_json::Value::Null);
                for (rule, path, slot) in &fields {
                    findings.clear();
                    path.check(&value, &mut findings);
                    if findings.is_empty() {
                        continue;
                    }
                    run.sink.slot = *slot;
                    run.sink.rule_id = Cow::Owned(rule.id.clone());
                    run.sink.severity = rule.severity;
                    run.sink.dimension = rule.dimension;
                    for f in findings.drain(..) {
                        let message = match &rule.message {
                            Some(m) => format!("{}: {m}", f.path),
                            None => format!("`{}` {}", f.path, f.message),
                        };
                        run.sink
                            .flag(|| f.path, || message, f.value.as_deref(), false);
                    }
                }
            }
            let g = match last_group {
                Some(g)
                    if run.groups[g].platform == src.platform
                        && run.groups[g].store == src.store =>
                {
                    g
                }
                _ => run.group(entity, src),
            };
            last_group = Some(g);
            run.tally(g, start, &dims);
        }
        run.sink.src = None;
    }
}

/// What [`QualityEngine::check_json`] returns.
#[derive(Debug, Clone)]
pub struct JsonCheck {
    /// The report.
    pub report: QualityReport,
    /// When cleansing ran: the records as JSON, cleansed, in the order and shape given
    /// (records that are not in the unified form unchanged).
    pub records: Option<String>,
}

fn invalid_json(path: &str, message: String) -> crate::Error {
    crate::DataError {
        index: None,
        id: None,
        kind: crate::DataErrorKind::InvalidJson,
        path: path.to_owned(),
        message,
    }
    .into()
}

/// A JSON list of records, or one record (an object) taken as a list of one.
fn parse_list<'t>(
    text: &'t str,
    path: &str,
) -> Result<Vec<&'t serde_json::value::RawValue>, crate::Error> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let one: &serde_json::value::RawValue =
            serde_json::from_str(text).map_err(|e| invalid_json(path, e.to_string()))?;
        return Ok(vec![one]);
    }
    serde_json::from_str(text).map_err(|e| {
        let message = if trimmed.starts_with('[') {
            e.to_string()
        } else {
            format!("expected a list of records in the unified form: {e}")
        };
        invalid_json(path, message)
    })
}

/// Parses each record on its own; a record that is not in the unified form is rejected
/// with the path of its problem.
fn parse_records<R: Checkable + serde::de::DeserializeOwned>(
    raws: &[&serde_json::value::RawValue],
) -> (Vec<R>, Vec<usize>, Vec<super::Rejected>) {
    #[derive(serde::Deserialize)]
    struct Id {
        source: Option<IdSource>,
    }
    #[derive(serde::Deserialize)]
    struct IdSource {
        id: Option<String>,
    }
    let mut typed = Vec::with_capacity(raws.len());
    let mut positions = Vec::with_capacity(raws.len());
    let mut rejected = Vec::new();
    for (i, raw) in raws.iter().enumerate() {
        let mut de = serde_json::Deserializer::from_str(raw.get());
        match serde_path_to_error::deserialize::<_, R>(&mut de) {
            Ok(r) => {
                typed.push(r);
                positions.push(i);
            }
            Err(e) => {
                let record_id = serde_json::from_str::<Id>(raw.get())
                    .ok()
                    .and_then(|x| x.source)
                    .and_then(|s| s.id);
                rejected.push(super::Rejected {
                    entity: R::ENTITY,
                    index: i,
                    record_id,
                    path: e.path().to_string(),
                    message: e.into_inner().to_string(),
                });
            }
        }
    }
    (typed, positions, rejected)
}

/// Turns the positions of `entity`'s violations and changes, which count the records that
/// parsed, into positions in the list as given.
fn remap(report: &mut QualityReport, entity: EntityKind, positions: &[usize]) {
    let at = |i: usize| positions.get(i).copied().unwrap_or(i);
    for v in report.violations.iter_mut().filter(|v| v.entity == entity) {
        v.index = at(v.index);
    }
    for c in report
        .cleansing
        .changes
        .iter_mut()
        .filter(|c| c.entity == entity)
    {
        c.index = at(c.index);
    }
}

/// The list again: the (cleansed) typed records where they were, rejected ones unchanged.
fn reassemble<R: Serialize>(
    raws: &[&serde_json::value::RawValue],
    typed: &[R],
    positions: &[usize],
) -> String {
    let mut out = String::from("[");
    let mut next = 0;
    for (i, raw) in raws.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if positions.get(next) == Some(&i) {
            out.push_str(
                &serde_json::to_string(&typed[next]).unwrap_or_else(|_| raw.get().to_owned()),
            );
            next += 1;
        } else {
            out.push_str(raw.get());
        }
    }
    out.push(']');
    out
}

fn check_name(c: &super::FieldCheck) -> &'static str {
    match c {
        super::FieldCheck::Required => "required",
        super::FieldCheck::Pattern(_) => "pattern",
        super::FieldCheck::Range { .. } => "range",
        super::FieldCheck::Allowed(_) => "allowed values",
        super::FieldCheck::Length { .. } => "length",
    }
}

/// The rule setting a user would change about a rule's findings, with its current value.
fn setting_hint(rule: Builtin, cfg: &RuleConfig) -> Option<String> {
    use super::catalog::Param;
    let params = rule.info().params;
    let id = rule.info().id;
    if params.contains(&Param::Tolerance) {
        Some(format!(
            "`{id}.tolerance` (now {}) if the differences are rounding",
            cfg.tolerance
        ))
    } else if params.contains(&Param::Fields) {
        Some(format!(
            "`{id}.fields` (now {}) to require only what the store collects",
            cfg.fields.join(", ")
        ))
    } else if params.contains(&Param::Allowed) {
        Some(format!(
            "`{id}.allowed` to list the codes the business accepts"
        ))
    } else if params.contains(&Param::Days) {
        Some(format!("`{id}.days` (now {})", cfg.days))
    } else if params.contains(&Param::MaxFutureSkew) {
        Some(format!(
            "`{id}.max_future_skew` (now {}s) if the store's clock runs ahead",
            cfg.max_future_skew.num_seconds()
        ))
    } else {
        None
    }
}

impl<'a> Run<'a> {
    fn new() -> Self {
        Run {
            sink: Sink::new(),
            slots: Vec::new(),
            groups: Vec::new(),
            group_of: FxHashMap::default(),
        }
    }

    fn add_slot(&mut self, slot: Slot) -> u32 {
        self.slots.push(slot);
        (self.slots.len() - 1) as u32
    }

    fn group(&mut self, entity: EntityKind, src: &SourceRef) -> usize {
        let key = (entity, src.platform, src.store.clone());
        if let Some(g) = self.group_of.get(&key) {
            return *g;
        }
        self.groups.push(Group {
            entity,
            platform: src.platform,
            store: src.store.clone(),
            records: 0,
            checked: [0; 6],
            failed: [0; 6],
            penalty: [0.0; 6],
        });
        let g = self.groups.len() - 1;
        self.group_of.insert(key, g);
        g
    }

    /// Counts one record: its dimensions checked, and what its violations cost.
    fn tally(&mut self, g: usize, start: usize, dims: &[bool; 6]) {
        let group = &mut self.groups[g];
        group.records += 1;
        for (d, on) in dims.iter().enumerate() {
            if *on {
                group.checked[d] += 1;
            }
        }
        let end = self.sink.violations.len();
        if end == start {
            return;
        }
        let mut worst = [0.0f64; 6];
        let mut seen: Vec<u32> = Vec::new();
        for i in start..end {
            let v = &self.sink.violations[i];
            let d = v.dimension.index();
            worst[d] = worst[d].max(v.severity.weight());
            let slot_ix = self.sink.slot_of[i];
            let slot = &mut self.slots[slot_ix as usize];
            slot.violations += 1;
            if v.fixable {
                slot.fixable += 1;
            }
            if slot.examples.len() < 3 {
                slot.examples.push(Example {
                    record_id: v.record_id.clone(),
                    store: v.store.clone(),
                    path: v.path.clone(),
                    message: v.message.clone(),
                });
            }
            if !slot.stores.contains(&v.store) {
                slot.stores.push(v.store.clone());
            }
            if !seen.contains(&slot_ix) {
                seen.push(slot_ix);
                slot.records_failed += 1;
            }
        }
        for (d, w) in worst.iter().enumerate() {
            if *w > 0.0 {
                group.failed[d] += 1;
                group.penalty[d] += w;
            }
        }
    }
}
