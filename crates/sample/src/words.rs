//! Word lists for titles, people and characters. They give enough variety for realistic
//! text, with the awkward characters of the real files: apostrophes, commas and a
//! leading `"`.

use crate::rng::Rng;

const ADJECTIVES: &[&str] = &[
    "Last",
    "Silent",
    "Broken",
    "Hidden",
    "Golden",
    "Lost",
    "Dark",
    "Wild",
    "Secret",
    "Red",
    "Quiet",
    "Endless",
    "Little",
    "Burning",
    "Forgotten",
    "Bitter",
    "Sweet",
    "Cold",
    "Long",
    "Final",
    "Distant",
    "Wandering",
    "Invisible",
    "Blue",
    "Eternal",
];
const NOUNS: &[&str] = &[
    "River", "City", "Night", "Summer", "Mother", "Road", "House", "Heart", "Sea", "Winter",
    "Garden", "Promise", "Journey", "Storm", "Daughter", "Border", "Island", "Dream", "Shadow",
    "Harvest", "Letter", "Station", "Mountain", "Voice", "Season", "Wedding", "Father",
];
const PT_NOUNS: &[&str] = &[
    "Cidade",
    "Noite",
    "Mãe",
    "Estrada",
    "Casa",
    "Coração",
    "Terra",
    "Saudade",
    "Sertão",
    "Praia",
    "Viagem",
    "Família",
    "Memória",
    "Fronteira",
    "Chuva",
];
const PT_ADJ: &[&str] = &[
    "Perdida",
    "Silenciosa",
    "Eterna",
    "Distante",
    "Escondida",
    "Amarga",
    "Bonita",
    "Vazia",
];
const ES_NOUNS: &[&str] = &[
    "Ciudad",
    "Noche",
    "Madre",
    "Camino",
    "Casa",
    "Tierra",
    "Frontera",
    "Memoria",
    "Lluvia",
    "Historia",
    "Familia",
    "Pampa",
    "Cordillera",
];
const ES_ADJ: &[&str] = &[
    "Perdida",
    "Silenciosa",
    "Eterna",
    "Lejana",
    "Oculta",
    "Amarga",
    "Hermosa",
    "Vacía",
];

/// A film or series title in one of several shapes and languages.
pub fn title(rng: &mut Rng) -> String {
    match rng.below(12) {
        0 | 1 => format!("The {} {}", rng.pick(ADJECTIVES), rng.pick(NOUNS)),
        2 => format!("{} of the {}", rng.pick(NOUNS), rng.pick(NOUNS)),
        3 => format!("A {} {}", rng.pick(PT_NOUNS), rng.pick(PT_ADJ)),
        4 => format!("La {} {}", rng.pick(ES_NOUNS), rng.pick(ES_ADJ)),
        5 => format!("{}'s {}", rng.pick(FIRST_F), rng.pick(NOUNS)),
        6 => format!(
            "{}, {} and {}",
            rng.pick(NOUNS),
            rng.pick(NOUNS),
            rng.pick(NOUNS)
        ),
        7 => format!("\"{}\" {}", rng.pick(ADJECTIVES), rng.pick(NOUNS)),
        8 => format!("Don't Leave the {}", rng.pick(NOUNS)),
        9 => format!("{} {}", rng.pick(ADJECTIVES), rng.pick(NOUNS)),
        10 => format!("{} {}", rng.pick(PT_NOUNS), 1 + rng.below(3)),
        _ => format!(
            "{}: {} {}",
            rng.pick(NOUNS),
            rng.pick(ADJECTIVES),
            rng.pick(NOUNS)
        ),
    }
}

/// IMDb genre names; Drama is by far the most common.
const GENRES: &[&str] = &[
    "Action",
    "Adventure",
    "Animation",
    "Biography",
    "Comedy",
    "Crime",
    "Documentary",
    "Family",
    "Fantasy",
    "History",
    "Horror",
    "Music",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Sport",
    "Thriller",
    "War",
    "Western",
];

/// One to three genres, comma-separated in alphabetical order as IMDb lists them.
pub fn genres(rng: &mut Rng, series: bool) -> String {
    let mut picked: Vec<&str> = Vec::with_capacity(3);
    if rng.chance(if series { 0.35 } else { 0.48 }) {
        picked.push("Drama");
    }
    let n = 1 + rng.below(3) as usize;
    while picked.len() < n {
        let g = *rng.pick(GENRES);
        if !picked.contains(&g) {
            picked.push(g);
        }
    }
    picked.sort_unstable();
    picked.join(",")
}

const FIRST_F: &[&str] = &[
    "Maria",
    "Ana",
    "Lucía",
    "Camila",
    "Sofía",
    "Fernanda",
    "Julia",
    "Marie",
    "Emma",
    "Grace",
    "Isabel",
    "Valentina",
    "Beatriz",
    "Mariana",
    "Claire",
    "Yuki",
    "Anna",
    "Rosa",
    "Helena",
    "Carmen",
    "Laura",
    "Olivia",
];
const FIRST_M: &[&str] = &[
    "João", "Carlos", "José", "Lucas", "Mateo", "Santiago", "Pedro", "Jean", "John", "Paul",
    "Ricardo", "Diego", "Hiroshi", "Marco", "Andrés", "Rafael", "Thomas", "Wagner", "Luis",
    "Gabriel", "Miguel", "Fernando",
];
const LAST: &[&str] = &[
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Pereira",
    "García",
    "Fernández",
    "González",
    "Rodríguez",
    "López",
    "Martínez",
    "Smith",
    "Johnson",
    "Dupont",
    "Moreau",
    "Rossi",
    "Tanaka",
    "Müller",
    "O'Brien",
    "D'Amico",
    "Costa",
    "Almeida",
    "Castro",
    "Vargas",
    "Rojas",
    "Herrera",
    "Morales",
    "Díaz",
];

pub fn person(rng: &mut Rng, female: bool) -> String {
    let first = rng.pick(if female { FIRST_F } else { FIRST_M });
    if rng.chance(0.2) {
        format!("{first} {} {}", rng.pick(LAST), rng.pick(LAST))
    } else {
        format!("{first} {}", rng.pick(LAST))
    }
}

const OTHER_PROFESSIONS: &[&str] = &[
    "writer",
    "director",
    "producer",
    "soundtrack",
    "miscellaneous",
    "editor",
    "casting_director",
    "music_department",
    "cinematographer",
];

/// Starts with actor or actress, as every row of the files does; up to two more.
pub fn professions(rng: &mut Rng, female: bool) -> String {
    let mut out = String::from(if female { "actress" } else { "actor" });
    let extra = [0, 0, 0, 1, 1, 2][rng.below(6) as usize];
    let mut used: Vec<&str> = Vec::new();
    while used.len() < extra {
        let p = *rng.pick(OTHER_PROFESSIONS);
        if !used.contains(&p) {
            used.push(p);
            out.push(',');
            out.push_str(p);
        }
    }
    out
}

pub fn character(rng: &mut Rng) -> String {
    match rng.below(8) {
        0 => "Self".to_string(),
        1 => format!("Dr. {}", rng.pick(LAST)),
        2 => format!("{} (voice)", rng.pick(FIRST_M)),
        3 => format!("{}'s Mother", rng.pick(FIRST_F)),
        4 => format!("{} {}", rng.pick(FIRST_F), rng.pick(LAST)),
        _ => {
            let names = if rng.chance(0.5) { FIRST_F } else { FIRST_M };
            rng.pick(names).to_string()
        }
    }
}
