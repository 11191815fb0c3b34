//! Reference data the rules and cleansers need: ISO 4217 currencies, ISO 3166-1 countries
//! with their calling codes, common country names, postal code formats, and placeholder
//! and disposable e-mail domains.
//!
//! The code lists are public standards (ISO 4217 list one as published by SIX, ISO 3166-1
//! alpha-2, ITU-T E.164 country calling codes); the name aliases and postal formats are the
//! common spellings and the formats of each country's postal service.

/// Active ISO 4217 codes (list one), sorted, including the funds and precious-metal codes.
/// `XXX` (no currency) and `XTS` (testing) are listed but reported by the rules.
const CURRENCIES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS",
    "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW",
    "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD",
    "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
    "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL",
    "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY",
    "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES",
    "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR",
    "XOF", "XPD", "XPF", "XPT", "XSU", "XTS", "XUA", "XXX", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
];

/// Whether `code` is an ISO 4217 code, exactly (upper case).
pub fn is_currency(code: &str) -> bool {
    match code.as_bytes() {
        [a @ b'A'..=b'Z', b @ b'A'..=b'Z', c @ b'A'..=b'Z'] => CURRENCY_TABLE[letters3(*a, *b, *c)],
        _ => false,
    }
}

const fn letters3(a: u8, b: u8, c: u8) -> usize {
    ((a - b'A') as usize * 26 + (b - b'A') as usize) * 26 + (c - b'A') as usize
}

/// Every three-letter combination: whether it is in [`CURRENCIES`].
static CURRENCY_TABLE: [bool; 26 * 26 * 26] = {
    let mut t = [false; 26 * 26 * 26];
    let mut i = 0;
    while i < CURRENCIES.len() {
        let b = CURRENCIES[i].as_bytes();
        t[letters3(b[0], b[1], b[2])] = true;
        i += 1;
    }
    t
};

/// `s` without surrounding whitespace; cheap when there is none (the common case).
pub fn trimmed(s: &str) -> &str {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if f.is_ascii_graphic() && l.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// Whether `s` is empty or only whitespace.
pub fn blank(s: &str) -> bool {
    match s.as_bytes().first() {
        None => true,
        Some(f) if f.is_ascii_graphic() => false,
        _ => s.trim().is_empty(),
    }
}

/// One ISO 3166-1 country: alpha-2 code, E.164 calling code, English short name.
pub struct Country {
    pub code: &'static str,
    pub calling: u16,
    pub name: &'static str,
}

macro_rules! countries {
    ($($code:literal $calling:literal $name:literal),* $(,)?) => {
        &[$(Country { code: $code, calling: $calling, name: $name }),*]
    };
}

/// Every ISO 3166-1 alpha-2 code, sorted by code.
const COUNTRIES: &[Country] = countries![
    "AD" 376 "Andorra", "AE" 971 "United Arab Emirates", "AF" 93 "Afghanistan",
    "AG" 1 "Antigua and Barbuda", "AI" 1 "Anguilla", "AL" 355 "Albania", "AM" 374 "Armenia",
    "AO" 244 "Angola", "AQ" 672 "Antarctica", "AR" 54 "Argentina", "AS" 1 "American Samoa",
    "AT" 43 "Austria", "AU" 61 "Australia", "AW" 297 "Aruba", "AX" 358 "Aland Islands",
    "AZ" 994 "Azerbaijan", "BA" 387 "Bosnia and Herzegovina", "BB" 1 "Barbados",
    "BD" 880 "Bangladesh", "BE" 32 "Belgium", "BF" 226 "Burkina Faso", "BG" 359 "Bulgaria",
    "BH" 973 "Bahrain", "BI" 257 "Burundi", "BJ" 229 "Benin", "BL" 590 "Saint Barthelemy",
    "BM" 1 "Bermuda", "BN" 673 "Brunei Darussalam", "BO" 591 "Bolivia",
    "BQ" 599 "Bonaire, Sint Eustatius and Saba", "BR" 55 "Brazil", "BS" 1 "Bahamas",
    "BT" 975 "Bhutan", "BV" 47 "Bouvet Island", "BW" 267 "Botswana", "BY" 375 "Belarus",
    "BZ" 501 "Belize", "CA" 1 "Canada", "CC" 61 "Cocos (Keeling) Islands",
    "CD" 243 "Congo, Democratic Republic of the", "CF" 236 "Central African Republic",
    "CG" 242 "Congo", "CH" 41 "Switzerland", "CI" 225 "Cote d'Ivoire", "CK" 682 "Cook Islands",
    "CL" 56 "Chile", "CM" 237 "Cameroon", "CN" 86 "China", "CO" 57 "Colombia",
    "CR" 506 "Costa Rica", "CU" 53 "Cuba", "CV" 238 "Cabo Verde", "CW" 599 "Curacao",
    "CX" 61 "Christmas Island", "CY" 357 "Cyprus", "CZ" 420 "Czechia", "DE" 49 "Germany",
    "DJ" 253 "Djibouti", "DK" 45 "Denmark", "DM" 1 "Dominica", "DO" 1 "Dominican Republic",
    "DZ" 213 "Algeria", "EC" 593 "Ecuador", "EE" 372 "Estonia", "EG" 20 "Egypt",
    "EH" 212 "Western Sahara", "ER" 291 "Eritrea", "ES" 34 "Spain", "ET" 251 "Ethiopia",
    "FI" 358 "Finland", "FJ" 679 "Fiji", "FK" 500 "Falkland Islands", "FM" 691 "Micronesia",
    "FO" 298 "Faroe Islands", "FR" 33 "France", "GA" 241 "Gabon", "GB" 44 "United Kingdom",
    "GD" 1 "Grenada", "GE" 995 "Georgia", "GF" 594 "French Guiana", "GG" 44 "Guernsey",
    "GH" 233 "Ghana", "GI" 350 "Gibraltar", "GL" 299 "Greenland", "GM" 220 "Gambia",
    "GN" 224 "Guinea", "GP" 590 "Guadeloupe", "GQ" 240 "Equatorial Guinea", "GR" 30 "Greece",
    "GS" 500 "South Georgia and the South Sandwich Islands", "GT" 502 "Guatemala",
    "GU" 1 "Guam", "GW" 245 "Guinea-Bissau", "GY" 592 "Guyana", "HK" 852 "Hong Kong",
    "HM" 672 "Heard Island and McDonald Islands", "HN" 504 "Honduras", "HR" 385 "Croatia",
    "HT" 509 "Haiti", "HU" 36 "Hungary", "ID" 62 "Indonesia", "IE" 353 "Ireland",
    "IL" 972 "Israel", "IM" 44 "Isle of Man", "IN" 91 "India",
    "IO" 246 "British Indian Ocean Territory", "IQ" 964 "Iraq", "IR" 98 "Iran",
    "IS" 354 "Iceland", "IT" 39 "Italy", "JE" 44 "Jersey", "JM" 1 "Jamaica", "JO" 962 "Jordan",
    "JP" 81 "Japan", "KE" 254 "Kenya", "KG" 996 "Kyrgyzstan", "KH" 855 "Cambodia",
    "KI" 686 "Kiribati", "KM" 269 "Comoros", "KN" 1 "Saint Kitts and Nevis",
    "KP" 850 "North Korea", "KR" 82 "South Korea", "KW" 965 "Kuwait", "KY" 1 "Cayman Islands",
    "KZ" 7 "Kazakhstan", "LA" 856 "Laos", "LB" 961 "Lebanon", "LC" 1 "Saint Lucia",
    "LI" 423 "Liechtenstein", "LK" 94 "Sri Lanka", "LR" 231 "Liberia", "LS" 266 "Lesotho",
    "LT" 370 "Lithuania", "LU" 352 "Luxembourg", "LV" 371 "Latvia", "LY" 218 "Libya",
    "MA" 212 "Morocco", "MC" 377 "Monaco", "MD" 373 "Moldova", "ME" 382 "Montenegro",
    "MF" 590 "Saint Martin", "MG" 261 "Madagascar", "MH" 692 "Marshall Islands",
    "MK" 389 "North Macedonia", "ML" 223 "Mali", "MM" 95 "Myanmar", "MN" 976 "Mongolia",
    "MO" 853 "Macao", "MP" 1 "Northern Mariana Islands", "MQ" 596 "Martinique",
    "MR" 222 "Mauritania", "MS" 1 "Montserrat", "MT" 356 "Malta", "MU" 230 "Mauritius",
    "MV" 960 "Maldives", "MW" 265 "Malawi", "MX" 52 "Mexico", "MY" 60 "Malaysia",
    "MZ" 258 "Mozambique", "NA" 264 "Namibia", "NC" 687 "New Caledonia", "NE" 227 "Niger",
    "NF" 672 "Norfolk Island", "NG" 234 "Nigeria", "NI" 505 "Nicaragua", "NL" 31 "Netherlands",
    "NO" 47 "Norway", "NP" 977 "Nepal", "NR" 674 "Nauru", "NU" 683 "Niue",
    "NZ" 64 "New Zealand", "OM" 968 "Oman", "PA" 507 "Panama", "PE" 51 "Peru",
    "PF" 689 "French Polynesia", "PG" 675 "Papua New Guinea", "PH" 63 "Philippines",
    "PK" 92 "Pakistan", "PL" 48 "Poland", "PM" 508 "Saint Pierre and Miquelon",
    "PN" 64 "Pitcairn", "PR" 1 "Puerto Rico", "PS" 970 "Palestine", "PT" 351 "Portugal",
    "PW" 680 "Palau", "PY" 595 "Paraguay", "QA" 974 "Qatar", "RE" 262 "Reunion",
    "RO" 40 "Romania", "RS" 381 "Serbia", "RU" 7 "Russia", "RW" 250 "Rwanda",
    "SA" 966 "Saudi Arabia", "SB" 677 "Solomon Islands", "SC" 248 "Seychelles",
    "SD" 249 "Sudan", "SE" 46 "Sweden", "SG" 65 "Singapore", "SH" 290 "Saint Helena",
    "SI" 386 "Slovenia", "SJ" 47 "Svalbard and Jan Mayen", "SK" 421 "Slovakia",
    "SL" 232 "Sierra Leone", "SM" 378 "San Marino", "SN" 221 "Senegal", "SO" 252 "Somalia",
    "SR" 597 "Suriname", "SS" 211 "South Sudan", "ST" 239 "Sao Tome and Principe",
    "SV" 503 "El Salvador", "SX" 1 "Sint Maarten", "SY" 963 "Syria", "SZ" 268 "Eswatini",
    "TC" 1 "Turks and Caicos Islands", "TD" 235 "Chad", "TF" 262 "French Southern Territories",
    "TG" 228 "Togo", "TH" 66 "Thailand", "TJ" 992 "Tajikistan", "TK" 690 "Tokelau",
    "TL" 670 "Timor-Leste", "TM" 993 "Turkmenistan", "TN" 216 "Tunisia", "TO" 676 "Tonga",
    "TR" 90 "Turkey", "TT" 1 "Trinidad and Tobago", "TV" 688 "Tuvalu", "TW" 886 "Taiwan",
    "TZ" 255 "Tanzania", "UA" 380 "Ukraine", "UG" 256 "Uganda",
    "UM" 1 "United States Minor Outlying Islands", "US" 1 "United States", "UY" 598 "Uruguay",
    "UZ" 998 "Uzbekistan", "VA" 39 "Holy See", "VC" 1 "Saint Vincent and the Grenadines",
    "VE" 58 "Venezuela", "VG" 1 "British Virgin Islands", "VI" 1 "U.S. Virgin Islands",
    "VN" 84 "Viet Nam", "VU" 678 "Vanuatu", "WF" 681 "Wallis and Futuna", "WS" 685 "Samoa",
    "YE" 967 "Yemen", "YT" 262 "Mayotte", "ZA" 27 "South Africa", "ZM" 260 "Zambia",
    "ZW" 263 "Zimbabwe",
];

/// The country with this alpha-2 code, exactly (upper case).
pub fn country(code: &str) -> Option<&'static Country> {
    let i = letter_pair(code.as_bytes())?;
    match COUNTRY_INDEX[i] {
        0 => None,
        n => Some(&COUNTRIES[usize::from(n) - 1]),
    }
}

/// `AA`..`ZZ` as 0..676, for two upper-case ASCII letters.
fn letter_pair(code: &[u8]) -> Option<usize> {
    match code {
        [a @ b'A'..=b'Z', b @ b'A'..=b'Z'] => Some(pair(*a, *b)),
        _ => None,
    }
}

const fn pair(a: u8, b: u8) -> usize {
    (a - b'A') as usize * 26 + (b - b'A') as usize
}

/// Position + 1 in [`COUNTRIES`] of every letter pair (0: none).
static COUNTRY_INDEX: [u8; 676] = {
    let mut t = [0u8; 676];
    let mut i = 0;
    while i < COUNTRIES.len() {
        let b = COUNTRIES[i].code.as_bytes();
        t[pair(b[0], b[1])] = (i + 1) as u8;
        i += 1;
    }
    t
};

/// Common names, native names and abbreviations of countries, lower case, beside the
/// English short names of [`COUNTRIES`] (which are matched too).
const ALIASES: &[(&str, &str)] = &[
    ("usa", "US"),
    ("u.s.a.", "US"),
    ("u.s.", "US"),
    ("united states of america", "US"),
    ("america", "US"),
    ("the united states", "US"),
    ("uk", "GB"),
    ("u.k.", "GB"),
    ("great britain", "GB"),
    ("britain", "GB"),
    ("england", "GB"),
    ("scotland", "GB"),
    ("wales", "GB"),
    ("northern ireland", "GB"),
    ("united kingdom of great britain and northern ireland", "GB"),
    ("deutschland", "DE"),
    ("allemagne", "DE"),
    ("espana", "ES"),
    ("españa", "ES"),
    ("holland", "NL"),
    ("the netherlands", "NL"),
    ("nederland", "NL"),
    ("schweiz", "CH"),
    ("suisse", "CH"),
    ("svizzera", "CH"),
    ("osterreich", "AT"),
    ("österreich", "AT"),
    ("italia", "IT"),
    ("belgique", "BE"),
    ("belgie", "BE"),
    ("belgië", "BE"),
    ("sverige", "SE"),
    ("norge", "NO"),
    ("danmark", "DK"),
    ("suomi", "FI"),
    ("polska", "PL"),
    ("brasil", "BR"),
    ("méxico", "MX"),
    ("russian federation", "RU"),
    ("korea", "KR"),
    ("republic of korea", "KR"),
    ("korea, republic of", "KR"),
    ("czech republic", "CZ"),
    ("türkiye", "TR"),
    ("turkiye", "TR"),
    ("ivory coast", "CI"),
    ("côte d'ivoire", "CI"),
    ("uae", "AE"),
    ("hong kong sar", "HK"),
    ("vietnam", "VN"),
    ("nippon", "JP"),
    ("prc", "CN"),
    ("people's republic of china", "CN"),
    ("éire", "IE"),
    ("eire", "IE"),
    ("republic of ireland", "IE"),
    ("aotearoa", "NZ"),
    ("rsa", "ZA"),
    ("macedonia", "MK"),
    ("swaziland", "SZ"),
    ("burma", "MM"),
    ("cape verde", "CV"),
    ("east timor", "TL"),
    ("vatican", "VA"),
    ("vatican city", "VA"),
    ("dr congo", "CD"),
    ("drc", "CD"),
    ("brunei", "BN"),
    ("bolivia, plurinational state of", "BO"),
    ("iran, islamic republic of", "IR"),
    ("lao people's democratic republic", "LA"),
    ("moldova, republic of", "MD"),
    ("syrian arab republic", "SY"),
    ("taiwan, province of china", "TW"),
    ("tanzania, united republic of", "TZ"),
    ("venezuela, bolivarian republic of", "VE"),
    ("magyarország", "HU"),
    ("ελλάδα", "GR"),
    ("hellas", "GR"),
    ("portugal", "PT"),
    ("ireland", "IE"),
    ("россия", "RU"),
    ("中国", "CN"),
    ("日本", "JP"),
    ("україна", "UA"),
];

/// The alpha-2 code for a country written as a name ("Deutschland", "U.S.A.") or as an
/// alpha-2 code in any case; `None` when the text names no country Nexus knows.
pub fn country_code_for(text: &str) -> Option<&'static str> {
    let t = text.trim();
    if t.len() == 2 {
        let up = t.to_ascii_uppercase();
        return country(&up).map(|c| c.code);
    }
    let lower = t.to_lowercase();
    let lower = lower.trim_end_matches('.');
    if let Some((_, code)) = ALIASES
        .iter()
        .find(|(name, _)| name.trim_end_matches('.') == lower)
    {
        return Some(code);
    }
    COUNTRIES
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(lower))
        .map(|c| c.code)
}

/// Postal code formats of the common countries: `9` a digit, `A` a letter, `X` a letter or
/// a digit, anything else itself. Letters match in either case; one space in the code is
/// ignored (so `SW1A 1AA` and `SW1A1AA` both match `AA9A9AA`).
const POSTAL: &[(&str, &[&str])] = &[
    ("AR", &["9999", "A9999AAA"]),
    ("AT", &["9999"]),
    ("AU", &["9999"]),
    ("BE", &["9999"]),
    ("BG", &["9999"]),
    ("BR", &["99999-999", "99999999"]),
    ("BY", &["999999"]),
    ("CA", &["A9A9A9"]),
    ("CH", &["9999"]),
    ("CN", &["999999"]),
    ("CY", &["9999"]),
    ("CZ", &["99999"]),
    ("DE", &["99999"]),
    ("DK", &["9999"]),
    ("DZ", &["99999"]),
    ("EE", &["99999"]),
    ("EG", &["99999"]),
    ("ES", &["99999"]),
    ("FI", &["99999"]),
    ("FR", &["99999"]),
    (
        "GB",
        &["A99AA", "A999AA", "AA99AA", "AA999AA", "A9A9AA", "AA9A9AA"],
    ),
    ("GG", &["AA99AA", "AA999AA"]),
    ("GR", &["99999"]),
    ("HR", &["99999"]),
    ("HU", &["9999"]),
    ("ID", &["99999"]),
    ("IE", &["A99XXXX", "A9AXXXX"]),
    ("IL", &["9999999"]),
    ("IM", &["AA99AA", "AA999AA"]),
    ("IN", &["999999"]),
    ("IS", &["999"]),
    ("IT", &["99999"]),
    ("JE", &["AA99AA", "AA999AA"]),
    ("JP", &["999-9999", "9999999"]),
    ("KR", &["99999"]),
    ("KZ", &["999999"]),
    ("LI", &["9999"]),
    ("LT", &["LT-99999", "99999"]),
    ("LU", &["9999", "L-9999"]),
    ("LV", &["LV-9999", "9999"]),
    ("MA", &["99999"]),
    ("MX", &["99999"]),
    ("MY", &["99999"]),
    ("NL", &["9999AA"]),
    ("NO", &["9999"]),
    ("NZ", &["9999"]),
    ("PH", &["9999"]),
    ("PL", &["99-999"]),
    ("PT", &["9999-999"]),
    ("RO", &["999999"]),
    ("RU", &["999999"]),
    ("SA", &["99999", "99999-9999"]),
    ("SE", &["99999"]),
    ("SG", &["999999"]),
    ("SI", &["9999"]),
    ("SK", &["99999"]),
    ("TH", &["99999"]),
    ("TN", &["9999"]),
    ("TR", &["99999"]),
    ("TW", &["999", "99999", "999999"]),
    ("UA", &["99999"]),
    ("US", &["99999", "99999-9999"]),
    ("VN", &["999999"]),
    ("ZA", &["9999"]),
];

/// The postal formats of a country, where Nexus knows them.
pub fn postal_formats(country_code: &str) -> Option<&'static [&'static str]> {
    postal_formats_for(country_code.as_bytes())
}

/// [`postal_formats`] of a code given as bytes (upper case).
pub fn postal_formats_for(code: &[u8]) -> Option<&'static [&'static str]> {
    match POSTAL_INDEX[letter_pair(code)?] {
        0 => None,
        n => Some(POSTAL[usize::from(n) - 1].1),
    }
}

/// Position + 1 in [`POSTAL`] of every letter pair (0: none).
static POSTAL_INDEX: [u8; 676] = {
    let mut t = [0u8; 676];
    let mut i = 0;
    while i < POSTAL.len() {
        let b = POSTAL[i].0.as_bytes();
        t[pair(b[0], b[1])] = (i + 1) as u8;
        i += 1;
    }
    t
};

/// Whether `code` matches one of `formats` (see [`POSTAL`] for the notation).
pub fn postal_matches(code: &str, formats: &[&str]) -> bool {
    let code = trimmed(code).as_bytes();
    if !code.contains(&b' ') {
        return formats.iter().any(|f| format_matches(f.as_bytes(), code));
    }
    // Ignore one inner space.
    let mut buf = [0u8; 16];
    let mut n = 0;
    let mut spaces = 0;
    for &b in code {
        if b == b' ' {
            spaces += 1;
            if spaces > 1 {
                return false;
            }
            continue;
        }
        if n == buf.len() {
            return false;
        }
        buf[n] = b;
        n += 1;
    }
    let s = &buf[..n];
    formats.iter().any(|f| format_matches(f.as_bytes(), s))
}

fn format_matches(f: &[u8], s: &[u8]) -> bool {
    f.len() == s.len()
        && f.iter().zip(s).all(|(&p, &c)| match p {
            b'9' => c.is_ascii_digit(),
            b'A' => c.is_ascii_alphabetic(),
            b'X' => c.is_ascii_alphanumeric(),
            other => other.eq_ignore_ascii_case(&c),
        })
}

/// Domains that only serve tests, documentation or throw-away inboxes (sorted).
const PLACEHOLDER_DOMAINS: &[&str] = &[
    "10minutemail.com",
    "burnermail.io",
    "dispostable.com",
    "domain.com",
    "email.test",
    "example.com",
    "example.net",
    "example.org",
    "fakeinbox.com",
    "getnada.com",
    "guerrillamail.com",
    "invalid",
    "localhost",
    "maildrop.cc",
    "mailinator.com",
    "mailnesia.com",
    "mintemail.com",
    "sharklasers.com",
    "spamgourmet.com",
    "temp-mail.org",
    "tempail.com",
    "tempmail.com",
    "test",
    "test.com",
    "throwawaymail.com",
    "trashmail.com",
    "yopmail.com",
];

/// Local parts that people type when they do not want to give an address.
const PLACEHOLDER_LOCALS: &[&str] = &[
    "asdf", "dummy", "fake", "no-email", "noemail", "nomail", "none", "null", "test", "unknown",
];

/// Why an address looks like a placeholder or a throw-away inbox, if it does.
pub fn placeholder_email(email: &str) -> Option<&'static str> {
    let email = trimmed(email).as_bytes();
    let at = email.iter().rposition(|&b| b == b'@')?;
    let (local, domain) = (&email[..at], &email[at + 1..]);
    let mut buf = [0u8; 256];
    let domain = if domain.iter().any(u8::is_ascii_uppercase) {
        let lower = buf.get_mut(..domain.len())?;
        lower.copy_from_slice(domain);
        lower.make_ascii_lowercase();
        &*lower
    } else {
        domain
    };
    // Every listed domain has one or two labels: look up the last one and the last two.
    let dot = domain.iter().rposition(|&b| b == b'.');
    let last = &domain[dot.map_or(0, |d| d + 1)..];
    let two = match dot.and_then(|d| domain[..d].iter().rposition(|&b| b == b'.')) {
        Some(d) => &domain[d + 1..],
        None => domain,
    };
    let reserved = matches!(last, b"test" | b"invalid" | b"example" | b"localhost");
    if reserved
        || PLACEHOLDER_DOMAINS
            .iter()
            .any(|d| d.len() == two.len() && d.as_bytes() == two)
    {
        return Some("a placeholder or disposable domain");
    }
    if local.len() <= 9
        && PLACEHOLDER_LOCALS
            .iter()
            .any(|l| l.as_bytes().eq_ignore_ascii_case(local))
    {
        return Some("a placeholder mailbox name");
    }
    None
}

/// The characters of an RFC 5322 `atext` (letters, digits and ``!#$%&'*+-/=?^_`{|}~``),
/// and every byte of a UTF-8 sequence (addresses may be internationalized).
const ATEXT: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric()
            || b >= 0x80
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'/'
                    | b'='
                    | b'?'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'{'
                    | b'|'
                    | b'}'
                    | b'~'
            );
        c += 1;
    }
    t
};

/// Whether `email` is a syntactically valid address (the common subset of RFC 5321/5322
/// that stores accept: a dot-atom local part, a host name with a top-level domain of two
/// letters or more). Surrounding whitespace makes it invalid; upper case does not.
pub fn email_valid(email: &str) -> bool {
    let b = email.as_bytes();
    if b.len() > 254 {
        return false;
    }
    let Some(at) = b.iter().rposition(|&c| c == b'@') else {
        return false;
    };
    let (local, domain) = (&b[..at], &b[at + 1..]);
    if local.is_empty() || local.len() > 64 || domain.len() < 4 {
        return false;
    }
    let atext = |c: u8| ATEXT[usize::from(c)];
    let mut prev_dot = true;
    for &c in local {
        if c == b'.' {
            if prev_dot {
                return false;
            }
            prev_dot = true;
        } else if atext(c) {
            prev_dot = false;
        } else {
            return false;
        }
    }
    if prev_dot {
        return false;
    }
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for label in domain.split(|&c| c == b'.') {
        if label.is_empty()
            || label.len() > 63
            || label[0] == b'-'
            || label[label.len() - 1] == b'-'
            || !label
                .iter()
                .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c >= 0x80)
        {
            return false;
        }
        labels += 1;
        last = label;
    }
    labels >= 2 && last.len() >= 2 && last.iter().all(|c| c.is_ascii_alphabetic() || *c >= 0x80)
}

/// The digits of a phone number (at most 20 kept) and whether it was written in
/// international form, or `None` when it holds characters a phone number does not
/// (letters other than an extension marker).
pub fn phone_digits(phone: &str) -> Option<(Digits, bool)> {
    let t = trimmed(phone).as_bytes();
    let international = t.first() == Some(&b'+');
    let mut digits = Digits::default();
    let mut i = usize::from(international);
    while i < t.len() {
        match t[i] {
            c @ b'0'..=b'9' => digits.push(c),
            // "+44 (0)20 ...": the bracketed trunk zero is not dialled from abroad.
            b'(' if international && t[i..].starts_with(b"(0)") => i += 2,
            b' ' | b'-' | b'.' | b'(' | b')' | b'/' => {}
            // An extension ends the number: "x123", "ext. 123".
            b'x' | b'X' => break,
            b'e' | b'E' if t.len() - i >= 3 && t[i..i + 3].eq_ignore_ascii_case(b"ext") => break,
            // A no-break space.
            0xc2 if t.get(i + 1) == Some(&0xa0) => i += 1,
            _ => return None,
        }
        i += 1;
    }
    Some((digits, international))
}

/// The digits of a phone number, on the stack.
#[derive(Default, Clone, Copy)]
pub struct Digits {
    buf: [u8; 20],
    len: usize,
    overflow: bool,
}

impl Digits {
    fn push(&mut self, d: u8) {
        if self.len < self.buf.len() {
            self.buf[self.len] = d;
            self.len += 1;
        } else {
            self.overflow = true;
        }
    }

    /// The digits as text.
    pub fn as_str(&self) -> &str {
        // SAFETY: only the ASCII digits b'0'..=b'9' are ever pushed.
        unsafe { std::str::from_utf8_unchecked(&self.buf[..self.len]) }
    }

    /// How many digits there are (more than 20 counts as 21).
    pub fn count(&self) -> usize {
        self.len + usize::from(self.overflow)
    }
}

/// Why a phone number is implausible, if it is: wrong length, a calling code that does not
/// exist, or a filler such as `0000000` or `1234567890`.
pub fn phone_problem(phone: &str) -> Option<&'static str> {
    let Some((digits, international)) = phone_digits(phone) else {
        return Some("it holds characters a phone number does not");
    };
    let d = digits.as_str();
    if digits.count() < 7 {
        return Some("it has fewer than 7 digits");
    }
    if digits.count() > 15 {
        return Some("it has more than 15 digits, the E.164 maximum");
    }
    let first = d.as_bytes()[0];
    if d.bytes().all(|x| x == first) {
        return Some("it repeats one digit");
    }
    let b = d.as_bytes();
    let step = |w: &[u8]| (w[1] + 10 - w[0]) % 10;
    if b.windows(2).all(|w| step(w) == 1) || b.windows(2).all(|w| step(w) == 9) {
        return Some("it is a run of consecutive digits");
    }
    if international && calling_code_prefix(d).is_none() {
        return Some("its country calling code does not exist");
    }
    None
}

/// The length of the country calling code at the start of `digits`, if one is there.
pub fn calling_code_prefix(digits: &str) -> Option<usize> {
    let b = digits.as_bytes();
    let mut code = 0usize;
    for n in 1..=3 {
        if b.len() <= n || !b[n - 1].is_ascii_digit() {
            return None;
        }
        code = code * 10 + usize::from(b[n - 1] - b'0');
        if CALLING[code] {
            return Some(n);
        }
    }
    None
}

/// Every number below 1000: whether it is a country calling code.
static CALLING: [bool; 1000] = {
    let mut t = [false; 1000];
    let mut i = 0;
    while i < COUNTRIES.len() {
        t[COUNTRIES[i].calling as usize] = true;
        i += 1;
    }
    t
};

/// A phone number in E.164 form (`+4930123456`), when it can be derived without guessing:
/// from an international number (`+`, `00`, or `011` in the North American plan), or from a
/// national number and the country it belongs to, dropping the national trunk prefix.
pub fn phone_e164(phone: &str, country_code: Option<&str>) -> Option<String> {
    let (digits, international) = phone_digits(phone)?;
    if digits.count() > 15 {
        return None;
    }
    let digits = digits.as_str().to_owned();
    let country = country_code.and_then(country);
    let full = if international {
        calling_code_prefix(&digits)?;
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        calling_code_prefix(rest)?;
        rest.to_owned()
    } else {
        let c = country?;
        if c.calling == 1 {
            if let Some(rest) = digits.strip_prefix("011") {
                calling_code_prefix(rest)?;
                rest.to_owned()
            } else if digits.len() == 11 && digits.starts_with('1') {
                digits
            } else if digits.len() == 10 {
                format!("1{digits}")
            } else {
                return None;
            }
        } else {
            let national = match c.code {
                // Italy, San Marino and the Vatican keep the leading zero in E.164.
                "IT" | "SM" | "VA" => digits.as_str(),
                "RU" | "KZ" => digits.strip_prefix('8').unwrap_or(&digits),
                "HU" => digits
                    .strip_prefix("06")
                    .unwrap_or_else(|| digits.strip_prefix('0').unwrap_or(&digits)),
                _ => digits.strip_prefix('0').unwrap_or(&digits),
            };
            format!("{}{national}", c.calling)
        }
    };
    (8..=15).contains(&full.len()).then(|| format!("+{full}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_for_binary_search() {
        assert!(CURRENCIES.windows(2).all(|w| w[0] < w[1]));
        assert!(COUNTRIES.windows(2).all(|w| w[0].code < w[1].code));
        assert!(POSTAL.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(PLACEHOLDER_DOMAINS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(COUNTRIES.len(), 249);
    }

    #[test]
    fn emails() {
        for ok in [
            "a@b.co",
            "john.doe+shop@example.com",
            "JOHN@EXAMPLE.COM",
            "o'neil@mail.ie",
        ] {
            assert!(email_valid(ok), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "a@b",
            "a@b.c",
            " a@b.co",
            "a b@c.com",
            "a..b@c.com",
            ".a@c.com",
            "a@-b.com",
            "a@b..com",
            "a@b.c0m",
            "a@@b.com",
        ] {
            assert!(!email_valid(bad), "{bad}");
        }
        assert!(placeholder_email("test@example.com").is_some());
        assert!(placeholder_email("jane@mailinator.com").is_some());
        assert!(placeholder_email("bob@mail.example.com").is_some());
        assert!(placeholder_email("bob@notexample.com").is_none());
        assert!(placeholder_email("noemail@gmail.com").is_some());
        assert!(placeholder_email("jane@gmail.com").is_none());
    }

    #[test]
    fn phones() {
        assert_eq!(
            phone_problem("(555) 555-5555"),
            Some("it repeats one digit")
        );
        assert_eq!(phone_problem("+1 212-555-0100"), None);
        assert_eq!(phone_problem("12345"), Some("it has fewer than 7 digits"));
        assert_eq!(
            phone_problem("1234567890"),
            Some("it is a run of consecutive digits")
        );
        assert_eq!(
            phone_problem("call me"),
            Some("it holds characters a phone number does not")
        );
        assert_eq!(
            phone_problem("+999 1234 5678"),
            Some("its country calling code does not exist")
        );
        assert_eq!(
            phone_e164("030 1234567", Some("DE")).as_deref(),
            Some("+49301234567")
        );
        assert_eq!(
            phone_e164("(212) 555-0100", Some("US")).as_deref(),
            Some("+12125550100")
        );
        assert_eq!(
            phone_e164("06 12345678", Some("IT")).as_deref(),
            Some("+390612345678")
        );
        assert_eq!(
            phone_e164("0044 20 7946 0958", None).as_deref(),
            Some("+442079460958")
        );
        assert_eq!(phone_e164("020 7946 0958", None), None);
        assert_eq!(
            phone_e164("+44 (0)20 7946 0958 ext. 12", None).as_deref(),
            Some("+442079460958")
        );
    }

    #[test]
    fn countries_and_postal_codes() {
        assert_eq!(country_code_for("Deutschland"), Some("DE"));
        assert_eq!(country_code_for("united states"), Some("US"));
        assert_eq!(country_code_for("U.S.A."), Some("US"));
        assert_eq!(country_code_for("gb"), Some("GB"));
        assert_eq!(country_code_for("Atlantis"), None);
        let us = postal_formats("US").unwrap();
        assert!(postal_matches("94103", us) && postal_matches("94103-1234", us));
        assert!(!postal_matches("9410", us) && !postal_matches("ABCDE", us));
        let gb = postal_formats("GB").unwrap();
        assert!(postal_matches("SW1A 1AA", gb) && postal_matches("m1 1ae", gb));
        assert!(!postal_matches("SW1A  1AA", gb));
        assert!(postal_matches("K1A 0B1", postal_formats("CA").unwrap()));
        assert!(postal_formats("XX").is_none());
    }
}
