//! Continents of the production countries TMDB names (ISO 3166-1 alpha-2).

use polars::prelude::{Expr, NULL, lit};

/// A country code as the lists below spell it: without surrounding white space, in
/// capitals. TMDB sends capitals, but a contributor's " br" must still be Brazil.
pub fn normal_code(code: &str) -> String {
    code.trim().to_uppercase()
}

/// [`normal_code`] over a column of codes. Polars trims and capitalises as Rust's
/// `str` does (Unicode white space and case), so both forms give the same code.
pub fn normal_code_expr(codes: Expr) -> Expr {
    codes.str().strip_chars(lit(NULL)).str().to_uppercase()
}

/// South America, as the analysis slices it.
pub const SOUTH_AMERICA: &[&str] = &[
    "AR", "BO", "BR", "CL", "CO", "EC", "FK", "GF", "GY", "PE", "PY", "SR", "UY", "VE",
];

const NORTH_AMERICA: &[&str] = &[
    "US", "CA", "MX", "GT", "BZ", "SV", "HN", "NI", "CR", "PA", "CU", "DO", "HT", "JM", "PR", "BS",
    "BB", "TT", "GL", "AG", "AI", "AW", "BL", "BM", "BQ", "CW", "DM", "GD", "GP", "KN", "KY", "LC",
    "MF", "MQ", "MS", "PM", "SX", "TC", "VC", "VG", "VI", "AN",
];
const EUROPE: &[&str] = &[
    "GB", "FR", "DE", "IT", "ES", "PT", "NL", "BE", "LU", "IE", "DK", "SE", "NO", "FI", "IS", "AT",
    "CH", "PL", "CZ", "SK", "HU", "RO", "BG", "GR", "HR", "SI", "RS", "BA", "ME", "MK", "AL", "EE",
    "LV", "LT", "UA", "BY", "MD", "RU", "MT", "CY", "XK", "SU", "YU", "CS", "XC", "XG", "DD", "AD",
    "AX", "FO", "GG", "GI", "IM", "JE", "LI", "MC", "SJ", "SM", "VA",
];
const ASIA: &[&str] = &[
    "CN", "JP", "KR", "KP", "IN", "PK", "BD", "LK", "NP", "ID", "MY", "SG", "TH", "VN", "PH", "KH",
    "LA", "MM", "TW", "HK", "MO", "MN", "KZ", "UZ", "KG", "TJ", "TM", "AF", "IR", "IQ", "SY", "LB",
    "JO", "IL", "PS", "SA", "AE", "QA", "KW", "BH", "OM", "YE", "TR", "GE", "AM", "AZ", "BT", "BN",
    "MV", "TL",
];
const AFRICA: &[&str] = &[
    "ZA", "EG", "MA", "DZ", "TN", "LY", "NG", "GH", "SN", "CI", "CM", "KE", "ET", "TZ", "UG", "RW",
    "CD", "CG", "AO", "MZ", "ZW", "ZM", "NA", "BW", "ML", "BF", "NE", "TD", "SD", "SO", "MG", "MU",
    "BJ", "TG", "GN", "SL", "LR", "GA", "MR", "BI", "CF", "CV", "DJ", "EH", "ER", "GM", "GQ", "GW",
    "IO", "KM", "LS", "MW", "RE", "SC", "SH", "SS", "ST", "SZ", "YT",
];
const OCEANIA: &[&str] = &[
    "AU", "NZ", "FJ", "PG", "WS", "TO", "AS", "CC", "CK", "CX", "FM", "GU", "KI", "MH", "MP", "NC",
    "NF", "NR", "NU", "PF", "PN", "PW", "SB", "TK", "TV", "UM", "VU", "WF",
];

/// Antarctica and the sub-Antarctic islands.
const ANTARCTICA: &[&str] = &["AQ", "BV", "GS", "HM", "TF"];

/// The continent of a production country: every ISO 3166-1 code, and the former
/// countries TMDB still names (SU, YU, CS, XC, XG, DD, AN, and XK for Kosovo).
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
    } else if is(ANTARCTICA) {
        "Antarctica"
    } else {
        "Unknown"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code ISO 3166-1 assigns (2026).
    const ISO_3166_1: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI \
        BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX \
        CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL \
        GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP \
        KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK \
        ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE \
        PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM \
        SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY \
        UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

    #[test]
    fn every_country_has_one_continent() {
        let codes: Vec<&str> = ISO_3166_1.split_whitespace().collect();
        assert_eq!(codes.len(), 249);
        let lists = [
            SOUTH_AMERICA,
            NORTH_AMERICA,
            EUROPE,
            ASIA,
            AFRICA,
            OCEANIA,
            ANTARCTICA,
        ];
        for code in codes
            .iter()
            .chain(&["SU", "YU", "CS", "XC", "XG", "DD", "AN", "XK"])
        {
            let homes = lists.iter().filter(|l| l.contains(code)).count();
            assert_eq!(homes, 1, "{code} is in {homes} continents");
            assert_ne!(continent(code), "Unknown", "{code}");
        }
        assert_eq!(continent("QQ"), "Unknown");
    }

    #[test]
    fn south_america_by_name() {
        for (code, country) in [
            ("AR", "Argentina"),
            ("BO", "Bolivia"),
            ("BR", "Brazil"),
            ("CL", "Chile"),
            ("CO", "Colombia"),
            ("EC", "Ecuador"),
            ("FK", "Falkland Islands"),
            ("GF", "French Guiana"),
            ("GY", "Guyana"),
            ("PE", "Peru"),
            ("PY", "Paraguay"),
            ("SR", "Suriname"),
            ("UY", "Uruguay"),
            ("VE", "Venezuela"),
        ] {
            assert_eq!(continent(code), "South America", "{country}");
        }
        assert_eq!(SOUTH_AMERICA.len(), 14);
        for elsewhere in ["MX", "PA", "CR", "TT", "ES", "PT"] {
            assert_ne!(continent(elsewhere), "South America", "{elsewhere}");
        }
    }
}
