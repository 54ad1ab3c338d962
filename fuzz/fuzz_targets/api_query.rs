//! The partner API's query: account, period and paging key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use renkei::api::cursor::CursorKey;
use renkei::api::dates;
use renkei::oauth::params::Params;
use renkei::sandbox::AccountId;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Params::parse(data, &[]) else {
        return;
    };
    let _ = p.get("accountId").map(AccountId::parse);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
    if let Ok(range) = dates::resolve(p.get("dateFrom"), p.get("dateTo"), today) {
        assert!(range.lower <= range.to);
        if let Some(key) = p.get("nextItemKey") {
            let _ = CursorKey::new(vec![7; 32]).decode(key, "001010123456", &range);
        }
    }
});
