//! People on probation, as the data set invents them: gender, age and ethnicity in proportions
//! close to the probation caseload, names, case reference numbers, languages, disabilities.

use chrono::{Duration, Months, NaiveDate};

use super::random::{Rng, between, chance, pick, weighted};
use super::words;
use crate::domain::catalogue::{Eligibility, Gender};
use crate::domain::draft::ServiceUser;

/// Age bands of people referred (years, inclusive) with weights.
const AGE_BANDS: &[((i64, i64), u32)] = &[
    ((18, 25), 16),
    ((26, 35), 35),
    ((36, 45), 27),
    ((46, 55), 14),
    ((56, 72), 8),
];

/// Invents a person eligible for `eligibility`, referred on `on`, in region `region_code`.
pub fn person(
    rng: &mut Rng,
    eligibility: &Eligibility,
    on: NaiveDate,
    region_code: &str,
) -> (String, ServiceUser) {
    let gender = gender(rng, eligibility);
    let first_name = match gender {
        Gender::Female => pick(rng, words::FEMALE_NAMES),
        Gender::Male => pick(rng, words::MALE_NAMES),
        Gender::Other | Gender::NotKnown => {
            if chance(rng, 0.5) {
                pick(rng, words::FEMALE_NAMES)
            } else {
                pick(rng, words::MALE_NAMES)
            }
        }
    };
    // Born between a year and a day before the birthday that made them `age`.
    let age = age(rng, eligibility);
    let date_of_birth = on
        .checked_sub_months(Months::new(u32::try_from(age * 12).unwrap_or(360)))
        .map(|birthday| birthday - Duration::days(between(rng, 0, 364)));
    let preferred_language = if region_code == "D" && chance(rng, 0.08) {
        "Welsh".to_owned()
    } else if chance(rng, 0.07) {
        (*pick(rng, words::LANGUAGES)).to_owned()
    } else {
        "English".to_owned()
    };
    let disabilities = if chance(rng, 0.12) {
        vec![(*pick(rng, words::DISABILITIES)).to_owned()]
    } else {
        Vec::new()
    };
    let crn = format!(
        "{}{:06}",
        char::from(b'A' + u8::try_from(between(rng, 0, 25)).unwrap_or(0)),
        between(rng, 0, 999_999)
    );
    let person = ServiceUser {
        first_name: Some((*first_name).to_owned()),
        last_name: Some((*pick(rng, words::LAST_NAMES)).to_owned()),
        date_of_birth,
        gender: Some(gender),
        ethnicity: ethnicity(rng, region_code),
        preferred_language: Some(preferred_language),
        disabilities,
    };
    (crn, person)
}

fn gender(rng: &mut Rng, eligibility: &Eligibility) -> Gender {
    match (eligibility.allows_female, eligibility.allows_male) {
        (true, false) => Gender::Female,
        (false, true) => Gender::Male,
        _ => *weighted(
            rng,
            &[
                (Gender::Male, 840),
                (Gender::Female, 140),
                (Gender::Other, 10),
                (Gender::NotKnown, 10),
            ],
        ),
    }
}

fn age(rng: &mut Rng, eligibility: &Eligibility) -> i64 {
    let minimum = i64::from(eligibility.minimum_age).max(18);
    let maximum = eligibility.maximum_age.map_or(80, i64::from);
    let (low, high) = *weighted(rng, AGE_BANDS);
    let (low, high) = (low.max(minimum), high.min(maximum));
    if low > high {
        between(rng, minimum, maximum.max(minimum))
    } else {
        between(rng, low, high)
    }
}

/// An ONS category, or none recorded (2%). London's caseload is more diverse than elsewhere.
fn ethnicity(rng: &mut Rng, region_code: &str) -> Option<String> {
    if chance(rng, 0.02) {
        return None;
    }
    let london = region_code == "J";
    let weights: Vec<(&str, u32)> = words::ETHNICITIES
        .iter()
        .map(|(name, weight)| {
            let weight = match (london, name.starts_with("White: English")) {
                (true, true) => weight * 45 / 100,
                (true, false) => weight * 3,
                _ => *weight,
            };
            (*name, weight)
        })
        .collect();
    Some((*weighted(rng, &weights)).to_owned())
}

#[cfg(test)]
mod tests {
    use super::super::random::stream;
    use super::*;
    use chrono::Datelike;

    /// Whole years between `born` and `on`.
    fn age_on(born: NaiveDate, on: NaiveDate) -> i64 {
        let mut years = i64::from(on.year() - born.year());
        if (on.month(), on.day()) < (born.month(), born.day()) {
            years -= 1;
        }
        years
    }

    #[test]
    fn people_fit_the_contract_they_are_referred_to() {
        let women_18_25 = Eligibility {
            minimum_age: 18,
            maximum_age: Some(25),
            allows_female: true,
            allows_male: false,
        };
        let on = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap_or_default();
        let mut rng = stream(7, 1);
        for _ in 0..500 {
            let (crn, person) = person(&mut rng, &women_18_25, on, "J");
            assert_eq!(person.gender, Some(Gender::Female));
            let age = age_on(person.date_of_birth.unwrap_or_default(), on);
            assert!((18..=25).contains(&age), "age {age}");
            assert!(crate::domain::draft::parse_crn(&crn).is_some(), "{crn}");
        }
    }

    #[test]
    fn the_same_stream_invents_the_same_people() {
        let anyone = Eligibility {
            minimum_age: 18,
            maximum_age: None,
            allows_female: true,
            allows_male: true,
        };
        let on = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
        let a = person(&mut stream(3, 9), &anyone, on, "A");
        let b = person(&mut stream(3, 9), &anyone, on, "A");
        assert_eq!(a, b);
    }
}
