//! `GET /metrics`: Prometheus text — requests by route and status, a latency histogram, pool use.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

use crate::db::Db;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
}

impl Metrics {
    pub fn observe(&self, route: &str, status: u16, seconds: f64) {
        *self
            .requests
            .lock()
            .expect("metrics")
            .entry((route.to_owned(), status))
            .or_default() += 1;
        let mut latency = self.latency.lock().expect("metrics");
        let h = latency.entry(route.to_owned()).or_default();
        h.count += 1;
        h.sum += seconds;
        for (bound, count) in BUCKETS.iter().zip(h.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
    }

    pub fn render(&self, db: &Db) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP renkei_http_requests_total HTTP requests by route pattern and status.\n",
        );
        out.push_str("# TYPE renkei_http_requests_total counter\n");
        for ((route, status), n) in self.requests.lock().expect("metrics").iter() {
            let _ = writeln!(
                out,
                "renkei_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str(
            "# HELP renkei_http_request_duration_seconds Request latency by route pattern.\n",
        );
        out.push_str("# TYPE renkei_http_request_duration_seconds histogram\n");
        for (route, h) in self.latency.lock().expect("metrics").iter() {
            let route = escape(route);
            for (bound, count) in BUCKETS.iter().zip(h.counts.iter()) {
                let _ = writeln!(
                    out,
                    "renkei_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "renkei_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "renkei_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "renkei_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        let status = db.status();
        out.push_str("# HELP renkei_db_pool_connections Database pool connections by state.\n");
        out.push_str("# TYPE renkei_db_pool_connections gauge\n");
        let in_use = status.size.saturating_sub(status.available);
        let _ = writeln!(
            out,
            "renkei_db_pool_connections{{state=\"in_use\"}} {in_use}"
        );
        let _ = writeln!(
            out,
            "renkei_db_pool_connections{{state=\"idle\"}} {}",
            status.available
        );
        let _ = writeln!(out, "renkei_db_pool_max_size {}", status.max_size);
        let _ = writeln!(out, "renkei_db_pool_waiting {}", status.waiting);
        let shared = crate::db::batch::shared_counts();
        // Each counter's name, help and place in `shared_counts`' pair.
        let counters = [
            (
                "renkei_db_shared_statements_total",
                "Statements that answered calls asked together, by question.",
                0,
            ),
            (
                "renkei_db_shared_statement_calls_total",
                "Calls those statements answered, by question.",
                1,
            ),
        ];
        for (name, help, i) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (question, counts) in &shared {
                let _ = writeln!(out, "{name}{{question=\"{question}\"}} {}", counts[i]);
            }
        }
        out.push_str(
            "# HELP renkei_bank_signins_total Sign-ins at the bank's own provider by tenant and \
             outcome (ok, or why it was refused: unavailable, state, token, acr, unknown, ...).\n\
             # TYPE renkei_bank_signins_total counter\n",
        );
        for ((tenant, outcome), n) in crate::oidc::outcomes() {
            let _ = writeln!(
                out,
                "renkei_bank_signins_total{{tenant=\"{tenant}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Times every request; the route is the matched pattern, so slugs and IDs don't explode labels.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let res = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        metrics.observe(
            &route,
            res.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(res)
}

/// The address `metrics.bind` was bound to.
#[derive(Debug, Clone, Copy)]
pub struct Listener(pub std::net::SocketAddr);

/// The metrics listener answers `GET /metrics` and nothing else; no other listener answers it.
pub async fn listener(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    let ours = req
        .app_data::<web::Data<Listener>>()
        .is_some_and(|l| l.0 == req.app_config().local_addr());
    if !ours {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let res = match (req.method(), req.path()) {
        (&actix_web::http::Method::GET, "/metrics") => {
            let body = match (
                req.app_data::<web::Data<Metrics>>(),
                req.app_data::<web::Data<Db>>(),
            ) {
                (Some(m), Some(db)) => m.render(db),
                _ => String::new(),
            };
            HttpResponse::Ok()
                .content_type("text/plain; version=0.0.4; charset=utf-8")
                .body(body)
        }
        _ => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found: this listener serves GET /metrics only\n"),
    };
    Ok(req.into_response(res).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe("/healthz", 200, 0.002);
        m.observe("/healthz", 200, 0.3);
        let latency = m.latency.lock().unwrap();
        let h = &latency["/healthz"];
        assert_eq!(h.count, 2);
        assert_eq!(h.counts[0], 0); // ≤ 1 ms
        assert_eq!(h.counts[1], 1); // ≤ 2.5 ms
        assert_eq!(h.counts[BUCKETS.len() - 1], 2); // ≤ 2.5 s
        assert_eq!(m.requests.lock().unwrap()[&("/healthz".to_owned(), 200)], 2);
    }
}
