//! The views behind the dashboards, in dependency order. The SQL lives in `sql/views/`.
//! The binary carries it, so a container needs no checkout.

/// (name, SELECT) pairs; a view may use those before it.
pub const VIEWS: &[(&str, &str)] = &[
    (
        "v_film_country",
        include_str!("../../../sql/views/v_film_country.sql"),
    ),
    (
        "v_best_films",
        include_str!("../../../sql/views/v_best_films.sql"),
    ),
    (
        "v_country_share_best",
        include_str!("../../../sql/views/v_country_share_best.sql"),
    ),
    (
        "v_trends_year_country",
        include_str!("../../../sql/views/v_trends_year_country.sql"),
    ),
    (
        "v_region_year",
        include_str!("../../../sql/views/v_region_year.sql"),
    ),
    (
        "v_popularity_over_time",
        include_str!("../../../sql/views/v_popularity_over_time.sql"),
    ),
    (
        "v_budget_revenue",
        include_str!("../../../sql/views/v_budget_revenue.sql"),
    ),
    (
        "v_top_profits",
        include_str!("../../../sql/views/v_top_profits.sql"),
    ),
    (
        "v_investment_rating",
        include_str!("../../../sql/views/v_investment_rating.sql"),
    ),
    (
        "v_data_freshness",
        include_str!("../../../sql/views/v_data_freshness.sql"),
    ),
    (
        "v_film_cast",
        include_str!("../../../sql/views/v_film_cast.sql"),
    ),
];

/// A view's SELECT without its leading comment lines.
pub fn select_of(sql: &str) -> String {
    sql.lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sql_file_is_a_view_and_every_view_a_file() {
        // cargo sets the variable when it runs the test; the compiled-in path may be
        // another checkout's, where the build was reused from.
        let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(
            || env!("CARGO_MANIFEST_DIR").into(),
            std::path::PathBuf::from,
        );
        let dir = crate_dir.join("../../sql/views");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .trim_end_matches(".sql")
                    .to_string()
            })
            .collect();
        files.sort();
        let mut names: Vec<String> = VIEWS.iter().map(|(n, _)| n.to_string()).collect();
        names.sort();
        assert_eq!(files, names);
    }
}
