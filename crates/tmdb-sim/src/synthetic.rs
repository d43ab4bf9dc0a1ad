//! Invents plausible TMDB answers, the same for the same id and seed. Genre names are
//! in pt-BR. The production countries are a mix with Brazil, Argentina, Chile,
//! Colombia, Peru and the rest of South America. Budgets and revenues are mostly 0, and
//! some are large.

use serde_json::json;

/// TMDB ids are the IMDb number shifted, so the mapping is one-to-one both ways.
const ID_OFFSET: u64 = 100_000;

struct Mix(u64);

impl Mix {
    fn new(seed: u64, id: u64, salt: u64) -> Self {
        Mix(seed
            ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ salt.wrapping_mul(0xD6E8_FEB8_6659_FD93))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
    fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut pick = self.below(u64::from(total)) as u32;
        for (item, w) in items {
            if pick < *w {
                return item;
            }
            pick -= w;
        }
        &items[0].0
    }
}

fn imdb_number(imdb_id: &str) -> Option<u64> {
    imdb_id.strip_prefix("tt")?.parse().ok()
}

fn known(number: u64, seed: u64, not_found_share: f64) -> bool {
    Mix::new(seed, number, 1).unit() >= not_found_share
}

/// The TMDB id `find` answers for an IMDb id, or `None` for the unknown share.
pub fn tmdb_id_of(imdb_id: &str, seed: u64, not_found_share: f64) -> Option<u64> {
    let n = imdb_number(imdb_id)?;
    known(n, seed, not_found_share).then_some(n + ID_OFFSET)
}

const GENRES: &[((u32, &str), u32)] = &[
    ((18, "Drama"), 40),
    ((35, "Comédia"), 14),
    ((10749, "Romance"), 8),
    ((53, "Thriller"), 7),
    ((80, "Crime"), 6),
    ((28, "Ação"), 5),
    ((99, "Documentário"), 5),
    ((36, "História"), 3),
    ((10751, "Família"), 3),
    ((14, "Fantasia"), 2),
    ((27, "Terror"), 2),
    ((9648, "Mistério"), 2),
    ((10402, "Música"), 2),
    ((10752, "Guerra"), 1),
    ((878, "Ficção científica"), 1),
    ((12, "Aventura"), 1),
];

/// (ISO code, English name, language code, language English name, native name).
type Country = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const COUNTRIES: &[(Country, u32)] = &[
    (
        ("US", "United States of America", "en", "English", "English"),
        20,
    ),
    (("BR", "Brazil", "pt", "Portuguese", "Português"), 12),
    (("AR", "Argentina", "es", "Spanish", "Español"), 9),
    (("FR", "France", "fr", "French", "Français"), 7),
    (("MX", "Mexico", "es", "Spanish", "Español"), 5),
    (("CL", "Chile", "es", "Spanish", "Español"), 5),
    (("GB", "United Kingdom", "en", "English", "English"), 5),
    (("ES", "Spain", "es", "Spanish", "Español"), 5),
    (("CO", "Colombia", "es", "Spanish", "Español"), 4),
    (("PE", "Peru", "es", "Spanish", "Español"), 3),
    (("IT", "Italy", "it", "Italian", "Italiano"), 3),
    (("DE", "Germany", "de", "German", "Deutsch"), 3),
    (("IN", "India", "hi", "Hindi", "हिन्दी"), 3),
    (("UY", "Uruguay", "es", "Spanish", "Español"), 2),
    (("VE", "Venezuela", "es", "Spanish", "Español"), 2),
    (("JP", "Japan", "ja", "Japanese", "日本語"), 2),
    (("KR", "South Korea", "ko", "Korean", "한국어/조선말"), 2),
    (("PT", "Portugal", "pt", "Portuguese", "Português"), 2),
    (("CA", "Canada", "en", "English", "English"), 2),
    (("EC", "Ecuador", "es", "Spanish", "Español"), 1),
    (("BO", "Bolivia", "es", "Spanish", "Español"), 1),
    (("PY", "Paraguay", "es", "Spanish", "Español"), 1),
];

const WORDS: &[&str] = &[
    "Noite",
    "Cidade",
    "Mar",
    "Sertão",
    "Memória",
    "Caminho",
    "Silêncio",
    "Verão",
    "Família",
    "Fronteira",
    "Rio",
    "Sombra",
    "Promessa",
    "Terra",
    "Chuva",
];

/// Whether an id is one TMDB learns of late (on the timeline's date), for the share.
pub fn late(imdb_number: u64, seed: u64, late_share: f64) -> bool {
    late_share > 0.0 && Mix::new(seed, imdb_number, 3).unit() < late_share
}

/// The number of an IMDb id (`tt0000042` is 42).
pub fn number_of(imdb_id: &str) -> Option<u64> {
    imdb_number(imdb_id)
}

/// The IMDb number of a synthetic TMDB id.
pub fn number_of_tmdb(tmdb_id: u64) -> Option<u64> {
    tmdb_id.checked_sub(ID_OFFSET)
}

/// Movie details for a TMDB id, as `/3/movie/{id}?language=pt-BR` returns them.
/// `months` moves the film's audience figures on: popularity drifts and votes grow,
/// month by month, the same for the same id, seed and month.
pub fn details(tmdb_id: u64, seed: u64, not_found_share: f64, months: u32) -> Option<String> {
    let number = tmdb_id.checked_sub(ID_OFFSET)?;
    if !known(number, seed, not_found_share) {
        return None;
    }
    let mut r = Mix::new(seed, number, 2);
    let mut genres: Vec<(u32, &str)> = Vec::new();
    for _ in 0..1 + r.below(3) {
        let g = *r.weighted(GENRES);
        if !genres.contains(&g) {
            genres.push(g);
        }
    }
    let mut countries: Vec<Country> = Vec::new();
    for _ in 0..1 + u64::from(r.unit() < 0.25) {
        let c = *r.weighted(COUNTRIES);
        if !countries.iter().any(|x| x.0 == c.0) {
            countries.push(c);
        }
    }
    let main = countries[0];
    let title = format!(
        "{} {}",
        WORDS[r.below(WORDS.len() as u64) as usize],
        WORDS[r.below(WORDS.len() as u64) as usize]
    );
    let year = 2000 + r.below(25);
    let release_date = if r.unit() < 0.03 {
        String::new()
    } else {
        format!("{year}-{:02}-{:02}", 1 + r.below(12), 1 + r.below(28))
    };
    let budget: u64 = if r.unit() < 0.7 {
        0
    } else {
        (10f64.powf(5.0 + r.unit() * 3.3)) as u64 / 1000 * 1000
    };
    let revenue: u64 = if r.unit() < 0.72 {
        0
    } else if budget > 0 {
        (budget as f64 * (0.05 + r.unit() * 4.0)) as u64
    } else {
        (10f64.powf(4.0 + r.unit() * 4.0)) as u64
    };
    let vote_count = (r.unit().powi(3) * 20_000.0) as u64;
    let vote_average = if vote_count == 0 {
        0.0
    } else {
        ((4.0 + r.unit() * 5.0) * 1000.0).round() / 1000.0
    };
    let mut popularity = 0.6 + r.unit().powi(4) * 80.0;
    let (mut vote_count, mut vote_average) = (vote_count, vote_average);
    if months > 0 {
        let mut drift = Mix::new(seed, number, 4 + u64::from(months));
        popularity *= 0.7 + drift.unit() * 0.6 + f64::from(months) * 0.02;
        let growth = 1 + (vote_count / 50).min(400);
        vote_count += growth * u64::from(months);
        if vote_average == 0.0 {
            vote_average = ((4.0 + drift.unit() * 5.0) * 1000.0).round() / 1000.0;
        }
    }
    let popularity = (popularity * 1000.0).round() / 1000.0;
    let body = json!({
        "adult": false,
        "backdrop_path": format!("/b{tmdb_id}.jpg"),
        "belongs_to_collection": null,
        "budget": budget,
        "genres": genres.iter().map(|(id, name)| json!({"id": id, "name": name})).collect::<Vec<_>>(),
        "homepage": "",
        "id": tmdb_id,
        "imdb_id": format!("tt{number:07}"),
        "origin_country": [main.0],
        "original_language": main.2,
        "original_title": title,
        "overview": format!("Um filme sobre {}.", title.to_lowercase()),
        "popularity": popularity,
        "poster_path": format!("/p{tmdb_id}.jpg"),
        "production_companies": [{
            "id": 1000 + r.below(90_000),
            "logo_path": null,
            "name": format!("{} Filmes", WORDS[r.below(WORDS.len() as u64) as usize]),
            "origin_country": main.0,
        }],
        "production_countries": countries.iter().map(|c| json!({"iso_3166_1": c.0, "name": c.1})).collect::<Vec<_>>(),
        "release_date": release_date,
        "revenue": revenue,
        "runtime": 70 + r.below(80),
        "spoken_languages": [{"english_name": main.3, "iso_639_1": main.2, "name": main.4}],
        "status": "Released",
        "tagline": "",
        "title": title,
        "video": false,
        "vote_average": vote_average,
        "vote_count": vote_count,
    });
    Some(body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_about_16_percent_unknown() {
        let mut unknown = 0;
        let mut south_america = 0;
        for n in 1..=5000u64 {
            let id = format!("tt{n:07}");
            match tmdb_id_of(&id, 1, 0.16) {
                None => unknown += 1,
                Some(t) => {
                    let a = details(t, 1, 0.16, 0).unwrap();
                    assert_eq!(Some(a.clone()), details(t, 1, 0.16, 0));
                    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
                    assert_eq!(v["imdb_id"], id.as_str());
                    let c = v["production_countries"][0]["iso_3166_1"].as_str().unwrap();
                    if ["BR", "AR", "CL", "CO", "PE", "UY", "VE", "EC", "BO", "PY"].contains(&c) {
                        south_america += 1;
                    }
                }
            }
        }
        assert!((650..950).contains(&unknown), "{unknown} unknown of 5000");
        assert!(south_america > 1000, "{south_america}");
        assert_eq!(
            details(5, 1, 0.16, 0),
            None,
            "ids below the offset are unknown"
        );
    }

    #[test]
    fn audience_figures_move_with_the_months_and_only_them() {
        let figures = |months| -> (f64, u64, String) {
            let v: serde_json::Value =
                serde_json::from_str(&details(ID_OFFSET + 42, 1, 0.0, months).unwrap()).unwrap();
            let mut rest = v.clone();
            for k in ["popularity", "vote_count", "vote_average"] {
                rest.as_object_mut().unwrap().remove(k);
            }
            (
                v["popularity"].as_f64().unwrap(),
                v["vote_count"].as_u64().unwrap(),
                rest.to_string(),
            )
        };
        let (p0, v0, rest0) = figures(0);
        let (p1, v1, rest1) = figures(1);
        let (p2, v2, rest2) = figures(2);
        assert!(v0 < v1 && v1 < v2, "{v0} {v1} {v2}");
        assert!(p0 != p1 && p1 != p2);
        assert_eq!(rest0, rest1);
        assert_eq!(rest1, rest2);
        assert_eq!(figures(2), (p2, v2, rest2));
    }
}
