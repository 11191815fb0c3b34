//! The HTML quality report: one self-contained page (inline CSS and SVG, no script, no
//! network), written for a shop owner.

use std::fmt::Write;

use super::report::{GroupScore, QualityReport};
use super::{Dimension, Severity};

/// Escapes text for HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn grade_colour(grade: &str) -> &'static str {
    match grade.chars().next() {
        Some('A') => "#1a7f37",
        Some('B') => "#4d8f1f",
        Some('C') => "#b08800",
        Some('D') => "#c45a00",
        _ => "#cf222e",
    }
}

fn score_colour(score: f64) -> &'static str {
    if score >= 90.0 {
        "#1a7f37"
    } else if score >= 80.0 {
        "#4d8f1f"
    } else if score >= 70.0 {
        "#b08800"
    } else if score >= 60.0 {
        "#c45a00"
    } else {
        "#cf222e"
    }
}

fn severity_badge(s: Severity) -> String {
    let colour = match s {
        Severity::Error => "#cf222e",
        Severity::Warning => "#c45a00",
        Severity::Info => "#57606a",
    };
    format!("<span class=\"badge\" style=\"background:{colour}\">{s}</span>")
}

/// A horizontal bar chart of the dimension scores.
fn dimension_chart(r: &QualityReport) -> String {
    let rows: Vec<(Dimension, Option<f64>)> = Dimension::ALL
        .into_iter()
        .map(|d| (d, r.dimensions.get(&d).and_then(|s| s.score)))
        .collect();
    let (w, row_h, label_w) = (560.0, 30.0, 120.0);
    let h = row_h * rows.len() as f64 + 10.0;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Scores per dimension\">"
    );
    for (i, (d, score)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 5.0;
        let bar_max = w - label_w - 60.0;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" class=\"label\">{}</text>",
            y + 18.0,
            d
        );
        let _ = write!(
            svg,
            "<rect x=\"{label_w}\" y=\"{y}\" width=\"{bar_max}\" height=\"22\" rx=\"3\" fill=\"#eaeef2\"/>"
        );
        match score {
            Some(s) => {
                let bw = bar_max * (s.clamp(0.0, 100.0) / 100.0);
                let _ = write!(
                    svg,
                    "<rect x=\"{label_w}\" y=\"{y}\" width=\"{bw:.1}\" height=\"22\" rx=\"3\" fill=\"{}\"/>\
                     <text x=\"{}\" y=\"{}\" class=\"value\">{s:.1}</text>",
                    score_colour(*s),
                    label_w + bar_max + 8.0,
                    y + 18.0
                );
            }
            None => {
                let _ = write!(
                    svg,
                    "<text x=\"{}\" y=\"{}\" class=\"value muted\">not checked</text>",
                    label_w + bar_max + 8.0,
                    y + 18.0
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

fn group_table(title: &str, groups: &[GroupScore], by_store: bool) -> String {
    if groups.is_empty() {
        return String::new();
    }
    let mut t = format!(
        "<section><h2>{}</h2><table><thead><tr><th>{}</th><th class=\"num\">records</th><th class=\"num\">score</th><th>grade</th></tr></thead><tbody>",
        esc(title),
        if by_store { "store" } else { "data" }
    );
    for g in groups {
        let name = if by_store {
            format!(
                "{} <span class=\"muted\">({})</span>",
                esc(g.store.as_deref().unwrap_or("")),
                g.platform.map(|p| p.as_str()).unwrap_or("")
            )
        } else {
            esc(g.entity.map(|e| e.plural()).unwrap_or(""))
        };
        let _ = write!(
            t,
            "<tr><td>{name}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td><td><span class=\"grade-sm\" style=\"background:{}\">{}</span></td></tr>",
            g.records,
            g.score,
            grade_colour(&g.grade),
            esc(&g.grade)
        );
    }
    t.push_str("</tbody></table></section>");
    t
}

pub(crate) fn render(r: &QualityReport) -> String {
    let mut h = String::with_capacity(32 * 1024);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(
        h,
        "<title>Data quality report: {} ({:.1})</title>",
        esc(&r.grade),
        r.score
    );
    h.push_str(
        "<style>\
         body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2328;margin:0;background:#f6f8fa}\
         main{max-width:960px;margin:0 auto;padding:24px}\
         header{display:flex;gap:24px;align-items:center;background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:20px}\
         .grade{font-size:56px;font-weight:700;color:#fff;border-radius:12px;min-width:110px;text-align:center;padding:10px 16px}\
         .grade-sm{color:#fff;border-radius:4px;padding:1px 8px;font-weight:600}\
         h1{margin:0 0 6px 0;font-size:24px} h2{font-size:18px;margin:0 0 12px 0}\
         section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px 20px;margin-top:16px}\
         table{border-collapse:collapse;width:100%;font-size:14px} th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}\
         th{color:#57606a;font-weight:600} .num{text-align:right;font-variant-numeric:tabular-nums}\
         .muted{color:#57606a} .badge{color:#fff;border-radius:10px;padding:1px 8px;font-size:12px}\
         .chart .label{font-size:14px;fill:#1f2328} .chart .value{font-size:14px;font-weight:600;fill:#1f2328} .chart .muted{fill:#57606a;font-weight:400}\
         ol.recs{padding-left:20px} ol.recs li{margin-bottom:14px} code{background:#f6f8fa;padding:1px 4px;border-radius:4px;font-size:13px}\
         .examples{font-size:13px;color:#57606a;margin:4px 0 0 0;padding-left:18px}\
         .up{color:#1a7f37} .down{color:#cf222e}\
         </style></head><body><main>",
    );

    // Header: grade, score, what was checked.
    let _ = write!(
        h,
        "<header><div class=\"grade\" style=\"background:{}\">{}</div><div><h1>Data quality: {:.1} / 100</h1>\
         <div class=\"muted\">{} records checked on {} &middot; {} problems found &middot; {} fixed by cleansing &middot; Nexus {}</div>",
        grade_colour(&r.grade),
        esc(&r.grade),
        r.score,
        r.records,
        r.generated_at.format("%Y-%m-%d %H:%M UTC"),
        r.violations.len(),
        r.cleansing.changes.len(),
        esc(&r.nexus_version),
    );
    if let Some(t) = &r.trend {
        let (class, arrow) = match t.direction.as_str() {
            "improved" => ("up", "&#9650;"),
            "declined" => ("down", "&#9660;"),
            _ => ("muted", "&#9654;"),
        };
        let _ = write!(
            h,
            "<div class=\"{class}\">{arrow} {:+.1} points since {} (was {:.1}, {})</div>",
            t.score_change,
            t.previous_generated_at.format("%Y-%m-%d"),
            t.previous_score,
            esc(&t.previous_grade)
        );
    }
    h.push_str("</div></header>");

    // Dimensions.
    h.push_str("<section><h2>Scores per dimension</h2>");
    h.push_str(&dimension_chart(r));
    h.push_str(
        "<p class=\"muted\">Completeness: required values present. Validity: values have the right form. \
         Consistency: values agree with each other. Uniqueness: each thing recorded once. \
         Timeliness: dates are current. Accuracy: values describe the real world.</p></section>",
    );

    // Recommendations.
    h.push_str("<section><h2>What to fix first</h2>");
    if r.recommendations.is_empty() {
        h.push_str("<p>No problems found. Nothing to do.</p>");
    } else {
        h.push_str("<ol class=\"recs\">");
        for rec in r.recommendations.iter().take(10) {
            let _ = write!(
                h,
                "<li><strong>{}</strong> {} <span class=\"muted\">({:.1}% &middot; <code>{}</code>)</span><br>{}",
                esc(&rec.problem),
                severity_badge(rec.severity),
                rec.share * 100.0,
                esc(&rec.rule),
                esc(&rec.fix)
            );
            if let Some(s) = &rec.setting {
                let _ = write!(h, "<br><span class=\"muted\">Setting: {}</span>", esc(s));
            }
            if !rec.examples.is_empty() {
                h.push_str("<ul class=\"examples\">");
                for e in &rec.examples {
                    let _ = write!(
                        h,
                        "<li>{} <code>{}</code> ({}): {}</li>",
                        esc(rec.entity.as_str()),
                        esc(&e.record_id),
                        esc(&e.store),
                        esc(&e.message)
                    );
                }
                h.push_str("</ul>");
            }
            h.push_str("</li>");
        }
        h.push_str("</ol>");
    }
    h.push_str("</section>");

    h.push_str(&group_table("Scores per store", &r.stores, true));
    h.push_str(&group_table(
        "Scores per kind of record",
        &r.entities,
        false,
    ));

    // Rules: the ones that found something, then a line for the rest.
    let mut rules: Vec<_> = r.rules.iter().filter(|rc| rc.records_failed > 0).collect();
    rules.sort_by(|a, b| {
        b.records_failed
            .cmp(&a.records_failed)
            .then_with(|| a.rule.cmp(&b.rule))
    });
    if !rules.is_empty() {
        h.push_str("<section><h2>Rules that found problems</h2><table><thead><tr><th>rule</th><th>severity</th><th>dimension</th><th class=\"num\">checked</th><th class=\"num\">failed</th><th class=\"num\">share</th></tr></thead><tbody>");
        for rc in rules {
            let share = if rc.checked > 0 {
                100.0 * rc.records_failed as f64 / rc.checked as f64
            } else {
                0.0
            };
            let _ = write!(
                h,
                "<tr><td><code>{}</code><br><span class=\"muted\">{}</span></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{share:.1}%</td></tr>",
                esc(&rc.rule),
                esc(&rc.title),
                severity_badge(rc.severity),
                rc.dimension,
                rc.checked,
                rc.records_failed
            );
        }
        h.push_str("</tbody></table></section>");
    }
    let passed: Vec<&str> = r
        .rules
        .iter()
        .filter(|rc| rc.records_failed == 0)
        .map(|rc| rc.rule.as_str())
        .collect();
    if !passed.is_empty() {
        let _ = write!(
            h,
            "<section><h2>Rules that found nothing</h2><p class=\"muted\">{} rules passed every record: {}.</p></section>",
            passed.len(),
            passed
                .iter()
                .map(|p| format!("<code>{}</code>", esc(p)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    // Cleansing.
    if !r.cleansing.changes.is_empty() {
        h.push_str("<section><h2>What cleansing changed</h2><p>");
        let counts: Vec<String> = r
            .cleansing
            .counts()
            .into_iter()
            .map(|(c, n)| format!("<code>{c}</code>: {n}"))
            .collect();
        h.push_str(&counts.join(" &middot; "));
        h.push_str("</p><table><thead><tr><th>record</th><th>field</th><th>before</th><th>after</th><th>cleanser</th></tr></thead><tbody>");
        for c in r.cleansing.changes.iter().take(50) {
            let _ = write!(
                h,
                "<tr><td>{} <code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(c.entity.as_str()),
                esc(&c.record_id),
                esc(&c.field),
                esc(c.before.as_deref().unwrap_or("(none)")),
                esc(c.after.as_deref().unwrap_or("(none)")),
                c.cleanser
            );
        }
        h.push_str("</tbody></table>");
        if r.cleansing.changes.len() > 50 {
            let _ = write!(
                h,
                "<p class=\"muted\">and {} more in the JSON report.</p>",
                r.cleansing.changes.len() - 50
            );
        }
        h.push_str("</section>");
    }

    if !r.rejected.is_empty() {
        let _ = write!(
            h,
            "<section><h2>Records not checked</h2><p>{} records are not in the unified form, so no rule could check them:</p><ul>",
            r.rejected.len()
        );
        for x in r.rejected.iter().take(20) {
            let _ = write!(
                h,
                "<li>{} at position {} {}: <code>{}</code> {}</li>",
                esc(x.entity.as_str()),
                x.index,
                x.record_id
                    .as_deref()
                    .map(|id| format!("(id <code>{}</code>)", esc(id)))
                    .unwrap_or_default(),
                esc(&x.path),
                esc(&x.message)
            );
        }
        h.push_str("</ul></section>");
    }

    // Violations.
    if !r.violations.is_empty() {
        h.push_str("<section><h2>Problems, record by record</h2><table><thead><tr><th>record</th><th>field</th><th>problem</th><th>rule</th></tr></thead><tbody>");
        for v in r.violations.iter().take(100) {
            let _ = write!(
                h,
                "<tr><td>{} <code>{}</code><br><span class=\"muted\">{}</span></td><td><code>{}</code></td><td>{}</td><td><code>{}</code> {}</td></tr>",
                esc(v.entity.as_str()),
                esc(&v.record_id),
                esc(&v.store),
                esc(&v.path),
                esc(&v.message),
                esc(&v.rule),
                severity_badge(v.severity)
            );
        }
        h.push_str("</tbody></table>");
        if r.violations.len() > 100 {
            let _ = write!(
                h,
                "<p class=\"muted\">and {} more in the JSON report.</p>",
                r.violations.len() - 100
            );
        }
        h.push_str("</section>");
    }
    h.push_str("</main></body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::esc("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
    }
}
