//! Continents of the production countries TMDB names (ISO 3166-1 alpha-2).

/// South America, as the analysis slices it.
pub const SOUTH_AMERICA: &[&str] = &[
    "AR", "BO", "BR", "CL", "CO", "EC", "FK", "GF", "GY", "PE", "PY", "SR", "UY", "VE",
];

const NORTH_AMERICA: &[&str] = &[
    "US", "CA", "MX", "GT", "BZ", "SV", "HN", "NI", "CR", "PA", "CU", "DO", "HT", "JM", "PR", "BS",
    "BB", "TT", "GL",
];
const EUROPE: &[&str] = &[
    "GB", "FR", "DE", "IT", "ES", "PT", "NL", "BE", "LU", "IE", "DK", "SE", "NO", "FI", "IS", "AT",
    "CH", "PL", "CZ", "SK", "HU", "RO", "BG", "GR", "HR", "SI", "RS", "BA", "ME", "MK", "AL", "EE",
    "LV", "LT", "UA", "BY", "MD", "RU", "MT", "CY", "XK", "SU", "YU", "CS", "XC", "XG", "DD",
];
const ASIA: &[&str] = &[
    "CN", "JP", "KR", "KP", "IN", "PK", "BD", "LK", "NP", "ID", "MY", "SG", "TH", "VN", "PH", "KH",
    "LA", "MM", "TW", "HK", "MO", "MN", "KZ", "UZ", "KG", "TJ", "TM", "AF", "IR", "IQ", "SY", "LB",
    "JO", "IL", "PS", "SA", "AE", "QA", "KW", "BH", "OM", "YE", "TR", "GE", "AM", "AZ", "BT",
];
const AFRICA: &[&str] = &[
    "ZA", "EG", "MA", "DZ", "TN", "LY", "NG", "GH", "SN", "CI", "CM", "KE", "ET", "TZ", "UG", "RW",
    "CD", "CG", "AO", "MZ", "ZW", "ZM", "NA", "BW", "ML", "BF", "NE", "TD", "SD", "SO", "MG", "MU",
    "BJ", "TG", "GN", "SL", "LR", "GA", "MR",
];
const OCEANIA: &[&str] = &["AU", "NZ", "FJ", "PG", "WS", "TO"];

pub fn continent(code: &str) -> &'static str {
    let is = |list: &[&str]| list.contains(&code);
    if is(SOUTH_AMERICA) {
        "South America"
    } else if is(NORTH_AMERICA) {
        "North America"
    } else if is(EUROPE) {
        "Europe"
    } else if is(ASIA) {
        "Asia"
    } else if is(AFRICA) {
        "Africa"
    } else if is(OCEANIA) {
        "Oceania"
    } else {
        "Unknown"
    }
}
