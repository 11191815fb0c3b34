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
        #[allow(clippy::too_many_arguments)]
        fn run_rule<'r>(
            &'r self,
            rule: Builtin,
            cfg: &RuleConfig,
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
            fn run_rule<'r>(
                &'r self,
                $rule: Builtin,
                $cfg: &RuleConfig,
                $i: usize,
                $st: &mut State<'r>,
                $refs: &Reference,
                $as_of: Timestamp,
                $s: &mut Sink,
            ) {
                let $r = self;
                let _ = &$refs;
                $run
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
        let as_of = self.now();
        let mut run = Run::new();
        self.run(records, &self.refs, as_of, &mut run);
        report::build(
            run,
            &self.rules,
            as_of,
            records.len() as u64,
            CleansingLog::default(),
        )
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
        let as_of = self.now();
        let mut run = Run::new();
        self.run(&*records, &self.refs, as_of, &mut run);
        report::build(run, &self.rules, as_of, records.len() as u64, log)
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
        let mut builtin: Vec<(Builtin, &RuleConfig, u32)> = Vec::new();
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
            builtin.push((rule, cfg, slot));
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
        for (_, _, slot) in &builtin {
            dims[run.slots[*slot as usize].dimension.index()] = true;
        }
        for (r, _, _) in &fields {
            dims[r.dimension.index()] = true;
        }

        let mut st = State::default();
        let mut findings: Vec<Finding> = Vec::new();
        let mut last_group: Option<usize> = None;
        for (index, rec) in records.iter().enumerate() {
            let src = rec.source();
            run.sink.src = Some(src);
            run.sink.index = index;
            let start = run.sink.violations.len();
            for (rule, cfg, slot) in &builtin {
                run.sink.slot = *slot;
                run.sink.rule_id = Cow::Borrowed(rule.info().id);
                run.sink.severity = cfg.severity;
                run.sink.dimension = rule.info().dimension;
                rec.run_rule(*rule, cfg, index, &mut st, refs, as_of, &mut run.sink);
            }
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
