# syntax=docker/dockerfile:1

FROM rust:1.95-bookworm AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
 && cp target/release/renkei /usr/local/bin/renkei

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /home/renkei --shell /usr/sbin/nologin renkei
COPY --from=builder /usr/local/bin/renkei /usr/local/bin/renkei
WORKDIR /app
# Templates, messages and styles are compiled into the binary; settings and tenants are read at run time.
COPY config/ config/
COPY tenants/ tenants/
USER renkei
ENV RENKEI__HTTP__BIND=0.0.0.0:8080
EXPOSE 8080 8443
HEALTHCHECK CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
CMD ["renkei", "serve"]
