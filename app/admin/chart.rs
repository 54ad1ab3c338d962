//! The dashboard's chart, drawn on the server as SVG: grants created and revoked per day.
//! No script and no CDN, so it shows under the console's CSP and prints as it looks.

use chrono::NaiveDate;

/// One day of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub created: i64,
    pub revoked: i64,
}

const W: f64 = 720.0;
const H: f64 = 220.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 10.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Paired bars per day (created up in the primary colour, revoked in the accent colour), a
/// y-axis with its maximum, and a date under the first, middle and last day. `title` names the
/// chart for screen readers.
pub fn svg(days: &[Day], title: &str, created_label: &str, revoked_label: &str) -> String {
    let max = days
        .iter()
        .map(|d| d.created.max(d.revoked))
        .max()
        .unwrap_or(0)
        .max(1);
    let n = days.len().max(1) as f64;
    let slot = (W - LEFT) / n;
    let bar = (slot / 2.0 - 0.5).max(0.5);
    let plot = H - BOTTOM - TOP;
    let y = |v: i64| TOP + plot - plot * v as f64 / max as f64;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" aria-labelledby="chart-title" class="chart"><title id="chart-title">{}</title>"#,
        escape(title)
    );
    out.push_str(&format!(
        r#"<line x1="{LEFT}" y1="{}" x2="{W}" y2="{}" class="axis"/><text x="{}" y="{}" class="tick" text-anchor="end">{max}</text><text x="{}" y="{}" class="tick" text-anchor="end">0</text>"#,
        TOP + plot,
        TOP + plot,
        LEFT - 4.0,
        TOP + 8.0,
        LEFT - 4.0,
        TOP + plot
    ));
    for (i, d) in days.iter().enumerate() {
        let x = LEFT + slot * i as f64;
        for (k, (v, class, label)) in [
            (d.created, "created", created_label),
            (d.revoked, "revoked", revoked_label),
        ]
        .into_iter()
        .enumerate()
        {
            if v > 0 {
                out.push_str(&format!(
                    r#"<rect x="{:.1}" y="{:.1}" width="{bar:.1}" height="{:.1}" class="{class}"><title>{} {}: {v}</title></rect>"#,
                    x + bar * k as f64,
                    y(v),
                    TOP + plot - y(v),
                    d.date,
                    escape(label)
                ));
            }
        }
    }
    let ticks = [0, days.len() / 2, days.len().saturating_sub(1)];
    for &i in ticks.iter().filter(|&&i| i < days.len()) {
        out.push_str(&format!(
            r#"<text x="{:.1}" y="{}" class="tick" text-anchor="middle">{}</text>"#,
            (LEFT + slot * i as f64 + slot / 2.0).min(W - 30.0),
            H - 6.0,
            days[i].date.format("%m/%d")
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32, created: i64, revoked: i64) -> Day {
        Day {
            date: NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
            created,
            revoked,
        }
    }

    #[test]
    fn bars_scale_to_the_busiest_day_and_carry_their_numbers() {
        let s = svg(
            &[day(1, 4, 0), day(2, 2, 1), day(3, 0, 0)],
            "Grants <per day>",
            "created",
            "revoked",
        );
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert_eq!(s.matches("<rect").count(), 3, "no bar for a zero");
        assert!(s.contains("2026-11-01 created: 4"));
        assert!(s.contains("2026-11-02 revoked: 1"));
        assert!(s.contains("Grants &lt;per day&gt;"), "titles are escaped");
        assert!(s.contains(">4</text>"), "the axis shows the maximum");
        assert!(s.contains("11/01") && s.contains("11/03"));
    }

    #[test]
    fn an_empty_period_draws_an_empty_chart() {
        let s = svg(&[], "t", "c", "r");
        assert!(!s.contains("<rect"));
    }
}
