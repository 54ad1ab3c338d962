//! Realistic account histories: salary or pension, utilities (公共料金), card payments, ATM
//! withdrawals, shop takings. Pure and seeded, so tests can check it without a database.

use chrono::{Datelike, Months, NaiveDate};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::sandbox::{Direction, Movement};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Salary earner: 給与, rent, utilities, card, ATM.
    Household,
    /// 年金 every even month, utilities, ATM.
    Pensioner,
    /// A shop's current account: takings, purchases, wages, leases.
    Shop,
}

fn on(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day).or_else(|| NaiveDate::from_ymd_opt(year, month, 28))
}

/// Movements from `start` (inclusive) to `end` (inclusive), never overdrawing.
pub fn generate(profile: Profile, seed: u64, start: NaiveDate, end: NaiveDate) -> Vec<Movement> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    let push =
        |out: &mut Vec<Movement>, date: Option<NaiveDate>, dir, amount: i64, remarks: &str| {
            if let Some(date) = date.filter(|d| *d >= start && *d <= end) {
                out.push(Movement {
                    date,
                    direction: dir,
                    amount: (amount / 10 * 10).max(10),
                    remarks: remarks.to_owned(),
                });
            }
        };
    use Direction::{Deposit, Withdrawal};
    let opening = match profile {
        Profile::Household => 450_000,
        Profile::Pensioner => 1_200_000,
        Profile::Shop => 3_000_000,
    };
    push(&mut out, Some(start), Deposit, opening, "開設入金");

    let mut month = start;
    while month <= end {
        let (y, m) = (month.year(), month.month());
        let winter = matches!(m, 11 | 12 | 1 | 2 | 3);
        match profile {
            Profile::Household => {
                push(
                    &mut out,
                    on(y, m, 25),
                    Deposit,
                    rng.random_range(268_000..292_000),
                    "給与　カ）オホーツクシヨウジ",
                );
                if m == 6 || m == 12 {
                    push(
                        &mut out,
                        on(y, m, 10),
                        Deposit,
                        rng.random_range(380_000..460_000),
                        "賞与　カ）オホーツクシヨウジ",
                    );
                }
                push(
                    &mut out,
                    on(y, m, 27),
                    Withdrawal,
                    68_000,
                    "家賃　キタミフドウサン",
                );
                let power = if winter {
                    rng.random_range(11_000..18_000)
                } else {
                    rng.random_range(5_500..9_000)
                };
                push(
                    &mut out,
                    on(y, m, 26),
                    Withdrawal,
                    power,
                    "電気料金　ホクデン",
                );
                let heat = if winter {
                    rng.random_range(14_000..26_000)
                } else {
                    rng.random_range(3_000..5_000)
                };
                push(
                    &mut out,
                    on(y, m, 20),
                    Withdrawal,
                    heat,
                    "灯油代　キタミセキユ",
                );
                if m % 2 == 0 {
                    push(
                        &mut out,
                        on(y, m, 15),
                        Withdrawal,
                        rng.random_range(5_800..7_400),
                        "水道料金　キタミシ",
                    );
                }
                push(
                    &mut out,
                    on(y, m, 28),
                    Withdrawal,
                    rng.random_range(6_500..9_500),
                    "携帯電話料金　ドコモ",
                );
                push(
                    &mut out,
                    on(y, m, 10),
                    Withdrawal,
                    rng.random_range(42_000..96_000),
                    "カード　ジェーシービー",
                );
                for _ in 0..rng.random_range(2..5) {
                    let day = rng.random_range(1..29);
                    push(
                        &mut out,
                        on(y, m, day),
                        Withdrawal,
                        rng.random_range(1..6) * 10_000,
                        "ＡＴＭ　キタミエキマエ",
                    );
                }
                if rng.random_range(0..4) == 0 {
                    push(
                        &mut out,
                        on(y, m, rng.random_range(1..29)),
                        Deposit,
                        rng.random_range(5_000..30_000),
                        "振込　ヤマダ　タロウ",
                    );
                }
            }
            Profile::Pensioner => {
                if m % 2 == 0 {
                    push(
                        &mut out,
                        on(y, m, 15),
                        Deposit,
                        232_480,
                        "年金　コウセイロウドウシヨウ",
                    );
                }
                let power = if winter {
                    rng.random_range(9_000..15_000)
                } else {
                    rng.random_range(4_500..7_000)
                };
                push(
                    &mut out,
                    on(y, m, 26),
                    Withdrawal,
                    power,
                    "電気料金　ホクデン",
                );
                let heat = if winter {
                    rng.random_range(12_000..22_000)
                } else {
                    rng.random_range(2_500..4_000)
                };
                push(
                    &mut out,
                    on(y, m, 20),
                    Withdrawal,
                    heat,
                    "ガス料金　キタミガス",
                );
                if m % 2 == 1 {
                    push(
                        &mut out,
                        on(y, m, 15),
                        Withdrawal,
                        rng.random_range(4_800..6_200),
                        "水道料金　キタミシ",
                    );
                }
                push(
                    &mut out,
                    on(y, m, 27),
                    Withdrawal,
                    3_200,
                    "電話料金　エヌテイテイ",
                );
                for _ in 0..rng.random_range(2..4) {
                    let day = rng.random_range(1..29);
                    push(
                        &mut out,
                        on(y, m, day),
                        Withdrawal,
                        rng.random_range(2..6) * 10_000,
                        "ＡＴＭ　ホンテン",
                    );
                }
            }
            Profile::Shop => {
                for _ in 0..rng.random_range(6..10) {
                    let day = rng.random_range(1..29);
                    push(
                        &mut out,
                        on(y, m, day),
                        Deposit,
                        rng.random_range(120_000..420_000),
                        "売上入金　カ）オホーツクスーパー",
                    );
                }
                push(
                    &mut out,
                    on(y, m, 5),
                    Withdrawal,
                    rng.random_range(600_000..900_000),
                    "仕入代金　ホクレン",
                );
                push(
                    &mut out,
                    on(y, m, 25),
                    Withdrawal,
                    rng.random_range(480_000..520_000),
                    "給与振込",
                );
                push(
                    &mut out,
                    on(y, m, 27),
                    Withdrawal,
                    38_500,
                    "リース料　ホツカイドウリース",
                );
                push(
                    &mut out,
                    on(y, m, 26),
                    Withdrawal,
                    rng.random_range(22_000..41_000),
                    "電気料金　ホクデン",
                );
                push(
                    &mut out,
                    on(y, m, 28),
                    Withdrawal,
                    rng.random_range(9_000..14_000),
                    "電話料金　エヌテイテイ",
                );
                if m % 3 == 0 {
                    push(
                        &mut out,
                        on(y, m, 20),
                        Withdrawal,
                        rng.random_range(80_000..150_000),
                        "税金　キタミシ",
                    );
                }
            }
        }
        month = month
            .with_day(1)
            .and_then(|d| d.checked_add_months(Months::new(1)))
            .expect("a valid month");
    }
    out.sort_by_key(|m| m.date);
    cap_withdrawals(&mut out);
    out
}

/// Drops any withdrawal that would overdraw: a real account would have refused it.
fn cap_withdrawals(movements: &mut Vec<Movement>) {
    let mut balance: i64 = 0;
    movements.retain(|m| match m.direction {
        Direction::Deposit => {
            balance += m.amount;
            true
        }
        Direction::Withdrawal if m.amount <= balance => {
            balance -= m.amount;
            true
        }
        Direction::Withdrawal => false,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn eighteen_months_never_overdraw_and_stay_in_range() {
        for profile in [Profile::Household, Profile::Pensioner, Profile::Shop] {
            let (start, end) = (d(2025, 5, 1), d(2026, 11, 25));
            let ms = generate(profile, 7, start, end);
            assert!(ms.len() > 18 * 4, "{profile:?}: {}", ms.len());
            let mut balance = 0i64;
            for m in &ms {
                assert!(m.date >= start && m.date <= end);
                assert!(m.amount > 0);
                balance += if m.direction == Direction::Deposit {
                    m.amount
                } else {
                    -m.amount
                };
                assert!(balance >= 0, "{profile:?} overdrawn on {}", m.date);
            }
            assert!(ms.windows(2).all(|w| w[0].date <= w[1].date));
        }
    }

    #[test]
    fn same_seed_same_history() {
        let a = generate(Profile::Household, 1, d(2025, 1, 1), d(2025, 12, 31));
        let b = generate(Profile::Household, 1, d(2025, 1, 1), d(2025, 12, 31));
        assert_eq!(
            a.iter().map(|m| (m.date, m.amount)).collect::<Vec<_>>(),
            b.iter().map(|m| (m.date, m.amount)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn household_has_salary_utilities_card_and_atm() {
        let ms = generate(Profile::Household, 3, d(2025, 1, 1), d(2025, 12, 31));
        for word in ["給与", "電気料金", "カード", "ＡＴＭ", "賞与"] {
            assert!(ms.iter().any(|m| m.remarks.contains(word)), "{word}");
        }
    }
}
