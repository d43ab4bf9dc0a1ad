//! Decides a film's role towards South America, once here for every table, view and
//! dashboard. A film is South American, a co-production with South America, or neither.
//!
//! TMDB's movie details carry `origin_country`, the country or countries a film comes
//! from. When a record has it, it decides. Older records lack it, and no single other
//! field suffices. The first listed company would make a US film with one Brazilian
//! partner Brazilian. A majority of companies would take Chilean or Argentine films
//! made with many foreign partners away from South America. So the fallback weighs the
//! production countries, the companies' countries and the original language together
//! (see [`role`]). Rule R11 in `docs/data-model.md` states it with the alternatives.

use crate::geo;

/// The role of a film towards South America.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Made from South America: its origin is a South American country.
    SouthAmerican,
    /// A South American production country, its origin elsewhere.
    CoProduction,
    /// No South American production country, nor origin.
    Other,
}

impl Role {
    /// The words the tables and the dashboards carry.
    pub fn label(self) -> &'static str {
        match self {
            Role::SouthAmerican => "South American",
            Role::CoProduction => "Co-production with South America",
            Role::Other => "Not South American",
        }
    }
}

/// What the role was decided from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// TMDB's `origin_country`.
    OriginCountry,
    /// The production countries, the companies' countries and the original language.
    Fallback,
}

impl Basis {
    pub fn label(self) -> &'static str {
        match self {
            Basis::OriginCountry => "origin_country",
            Basis::Fallback => "production countries, companies and language",
        }
    }
}

/// The languages a film made from South America is most often in: Spanish, Portuguese,
/// Quechua, Guarani, Aymara (ISO 639-1).
pub const SOUTH_AMERICAN_LANGUAGES: &[&str] = &["es", "pt", "qu", "gn", "ay"];

/// What a TMDB record says about where a film comes from.
#[derive(Debug, Clone, Default)]
pub struct Origins<'a> {
    /// `origin_country` (absent in older records: empty).
    pub origin_countries: Vec<&'a str>,
    /// `production_countries[].iso_3166_1`.
    pub production_countries: Vec<&'a str>,
    /// `production_companies[].origin_country`, one per company (empty ones left out).
    pub company_countries: Vec<&'a str>,
    /// `original_language`.
    pub original_language: Option<&'a str>,
}

fn south_american(code: &str) -> bool {
    geo::SOUTH_AMERICA.contains(&geo::normal_code(code).as_str())
}

/// The role of a film, and what it was decided from.
///
/// With `origin_country`, a film is South American when any origin country is in South
/// America. Otherwise it is a co-production when a production country is in South
/// America. Otherwise it is neither.
///
/// Without `origin_country`, a film is neither when no production country is South
/// American. It is South American when every production country is. When there are
/// South American and other production countries, it is South American only when both
/// of these hold:
///
/// - The original language is one of [`SOUTH_AMERICAN_LANGUAGES`].
/// - The South American companies, counted together, are at least one. They are also no
///   fewer than the companies of any other single country.
///
/// Otherwise it is a co-production.
pub fn role(o: &Origins) -> (Role, Basis) {
    let produced_in_sa = o.production_countries.iter().any(|c| south_american(c));
    if !o.origin_countries.is_empty() {
        let r = if o.origin_countries.iter().any(|c| south_american(c)) {
            Role::SouthAmerican
        } else if produced_in_sa {
            Role::CoProduction
        } else {
            Role::Other
        };
        return (r, Basis::OriginCountry);
    }
    if !produced_in_sa {
        return (Role::Other, Basis::Fallback);
    }
    if o.production_countries.iter().all(|c| south_american(c)) {
        return (Role::SouthAmerican, Basis::Fallback);
    }
    let language = o
        .original_language
        .map(|l| l.trim().to_ascii_lowercase())
        .is_some_and(|l| SOUTH_AMERICAN_LANGUAGES.contains(&l.as_str()));
    let mut sa_companies = 0usize;
    let mut others: std::collections::BTreeMap<String, usize> = Default::default();
    for c in o.company_countries.iter().map(|c| c.trim()) {
        if c.is_empty() {
            continue;
        }
        if south_american(c) {
            sa_companies += 1;
        } else {
            *others.entry(geo::normal_code(c)).or_default() += 1;
        }
    }
    let most_of_one_other = others.values().copied().max().unwrap_or(0);
    if language && sa_companies > 0 && sa_companies >= most_of_one_other {
        (Role::SouthAmerican, Basis::Fallback)
    } else {
        (Role::CoProduction, Basis::Fallback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fallback(
        countries: &[&'static str],
        companies: &[&'static str],
        language: &'static str,
    ) -> Role {
        let (r, b) = role(&Origins {
            origin_countries: vec![],
            production_countries: countries.to_vec(),
            company_countries: companies.to_vec(),
            original_language: Some(language),
        });
        assert_eq!(b, Basis::Fallback);
        r
    }

    // The films below are the real records' countries, companies and language.
    #[test]
    fn a_us_or_european_film_with_one_south_american_partner_is_a_co_production() {
        // Armageddon Time: its one Brazilian company is listed first.
        assert_eq!(
            fallback(&["BR", "US"], &["BR", "US", "US", "US", "US"], "en"),
            Role::CoProduction
        );
        // Beckett: four Italian companies and a Brazilian one.
        assert_eq!(
            fallback(&["BR", "IT"], &["IT", "IT", "BR", "IT", "IT"], "it"),
            Role::CoProduction
        );
        // Todos lo saben: Spanish-language, Argentina among five countries, no Argentine
        // company.
        assert_eq!(
            fallback(
                &["ES", "FR", "IT", "AR", "US"],
                &["ES", "ES", "FR", "IT"],
                "es"
            ),
            Role::CoProduction
        );
    }

    #[test]
    fn a_film_led_from_south_america_with_foreign_partners_stays_south_american() {
        // Una mujer fantástica: companies from Germany, the US, Chile and Spain.
        assert_eq!(
            fallback(&["CL", "DE", "US", "ES"], &["DE", "US", "CL", "ES"], "es"),
            Role::SouthAmerican
        );
        // Relatos salvajes: three Argentine companies of six.
        assert_eq!(
            fallback(&["AR", "ES"], &["AR", "AR", "AR", "ES", "ES", "ES"], "es"),
            Role::SouthAmerican
        );
    }

    #[test]
    fn only_south_american_countries_make_a_south_american_film_whatever_else() {
        assert_eq!(fallback(&["BR"], &[], "en"), Role::SouthAmerican);
        assert_eq!(fallback(&["AR", "UY"], &["US"], "es"), Role::SouthAmerican);
        assert_eq!(fallback(&["US"], &["BR"], "pt"), Role::Other);
        assert_eq!(fallback(&[], &["BR"], "pt"), Role::Other);
    }

    #[test]
    fn codes_are_read_in_any_case_and_with_spaces() {
        assert_eq!(fallback(&["br", " cl "], &[], "pt"), Role::SouthAmerican);
        assert_eq!(fallback(&["br", "us"], &["br"], "PT"), Role::SouthAmerican);
    }

    #[test]
    fn origin_country_decides_when_tmdb_gives_it() {
        let with = |origin: &[&'static str], countries: &[&'static str]| {
            role(&Origins {
                origin_countries: origin.to_vec(),
                production_countries: countries.to_vec(),
                // Companies and language would say otherwise: they are not read.
                company_countries: vec!["BR", "BR"],
                original_language: Some("pt"),
            })
        };
        assert_eq!(
            with(&["US"], &["US", "BR"]),
            (Role::CoProduction, Basis::OriginCountry)
        );
        assert_eq!(
            with(&["CL"], &["CL", "DE", "US", "ES"]),
            (Role::SouthAmerican, Basis::OriginCountry)
        );
        assert_eq!(
            with(&["AR", "ES"], &["ES", "AR"]),
            (Role::SouthAmerican, Basis::OriginCountry)
        );
        assert_eq!(with(&["FR"], &["FR"]), (Role::Other, Basis::OriginCountry));
    }
}
