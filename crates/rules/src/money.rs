//! The rule for placeholder money. TMDB holds budgets and revenues of 1 or a few
//! dollars that stand for "unknown", as 0 does. They would distort profit and the
//! budget bands. Below a floor, a value counts as unknown. Refined applies the floor
//! and counts what it set aside.

/// The default floor, in US dollars: no feature film costs or earns less.
pub const MONEY_FLOOR_USD: i64 = 1_000;

#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct MoneySettings {
    /// Budgets and revenues below this many US dollars are placeholders, read as unknown.
    #[arg(long, env = "CINELAKE_MONEY_FLOOR_USD", default_value_t = MONEY_FLOOR_USD)]
    pub money_floor_usd: i64,
}

impl Default for MoneySettings {
    fn default() -> Self {
        MoneySettings {
            money_floor_usd: MONEY_FLOOR_USD,
        }
    }
}
