//! Renkei: a branded API service consent portal for Japanese credit unions.

pub mod admin;
pub mod api;
pub mod audit;
pub mod bank;
pub mod bench;
pub mod certs;
pub mod cli;
pub mod config;
pub mod consent;
pub mod db;
pub mod demo;
pub mod error;
pub mod format;
pub mod grants;
pub mod i18n;
pub mod limits;
pub mod my;
pub mod notices;
pub mod oauth;
pub mod sandbox;
pub mod secrets;
pub mod sessions;
pub mod startup;
pub mod telemetry;
pub mod tenancy;
pub mod web;
