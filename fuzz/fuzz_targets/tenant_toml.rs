//! `tenants/<slug>/tenant.toml`: every problem is a field error, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use renkei::tenancy::manifest;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = Path::new("tenants/kitami/tenant.toml");
    let _ = manifest::parse(file, text, |_| {
        Ok(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec())
    });
});
