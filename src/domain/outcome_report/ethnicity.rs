//! Recorded ethnicity, classified into the ONS 2021 categories for England and Wales: five
//! high-level groups and nineteen categories, from the ONS wordings (2021 and 2011) and the
//! nDelius codes. Anything else recorded (free text, a group without its category, a refusal)
//! is "not stated": free text never becomes a row of its own.

use super::NOT_KNOWN;

/// The ONS 2021 high-level ethnic groups, and "not stated".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EthnicGroup {
    Asian,
    Black,
    Mixed,
    White,
    Other,
    NotKnown,
}

impl EthnicGroup {
    pub const ALL: [EthnicGroup; 6] = [
        EthnicGroup::Asian,
        EthnicGroup::Black,
        EthnicGroup::Mixed,
        EthnicGroup::White,
        EthnicGroup::Other,
        EthnicGroup::NotKnown,
    ];

    /// The group of a recorded ethnicity (see [`EthnicCategory::of`]).
    pub fn of(ethnicity: Option<&str>) -> EthnicGroup {
        EthnicCategory::of(ethnicity).group()
    }

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            EthnicGroup::Asian => "ASIAN",
            EthnicGroup::Black => "BLACK",
            EthnicGroup::Mixed => "MIXED",
            EthnicGroup::White => "WHITE",
            EthnicGroup::Other => "OTHER",
            EthnicGroup::NotKnown => NOT_KNOWN,
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.code() == code)
    }

    /// The ONS name of the group.
    pub fn label(self) -> &'static str {
        match self {
            EthnicGroup::Asian => "Asian, Asian British or Asian Welsh",
            EthnicGroup::Black => "Black, Black British, Black Welsh, Caribbean or African",
            EthnicGroup::Mixed => "Mixed or Multiple ethnic groups",
            EthnicGroup::White => "White",
            EthnicGroup::Other => "Other ethnic group",
            EthnicGroup::NotKnown => "Not stated",
        }
    }
}

/// The nineteen ONS 2021 ethnic categories, and "not stated".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EthnicCategory {
    Bangladeshi,
    Chinese,
    Indian,
    Pakistani,
    OtherAsian,
    African,
    Caribbean,
    OtherBlack,
    WhiteAndAsian,
    WhiteAndBlackAfrican,
    WhiteAndBlackCaribbean,
    OtherMixed,
    British,
    Irish,
    GypsyOrIrishTraveller,
    Roma,
    OtherWhite,
    Arab,
    AnyOther,
    NotStated,
}

/// nDelius ethnicity codes and their categories.
const NDELIUS_CODES: [(&str, EthnicCategory); 19] = [
    ("A1", EthnicCategory::Indian),
    ("A2", EthnicCategory::Pakistani),
    ("A3", EthnicCategory::Bangladeshi),
    ("A4", EthnicCategory::Chinese),
    ("A9", EthnicCategory::OtherAsian),
    ("B1", EthnicCategory::Caribbean),
    ("B2", EthnicCategory::African),
    ("B9", EthnicCategory::OtherBlack),
    ("M1", EthnicCategory::WhiteAndBlackCaribbean),
    ("M2", EthnicCategory::WhiteAndBlackAfrican),
    ("M3", EthnicCategory::WhiteAndAsian),
    ("M9", EthnicCategory::OtherMixed),
    ("O1", EthnicCategory::Chinese),
    ("O2", EthnicCategory::Arab),
    ("O9", EthnicCategory::AnyOther),
    ("W1", EthnicCategory::British),
    ("W2", EthnicCategory::Irish),
    ("W3", EthnicCategory::GypsyOrIrishTraveller),
    ("W9", EthnicCategory::OtherWhite),
];

/// Category wordings (lower case, punctuation as spaces) that name a category on their own.
const WORDINGS: [(&str, EthnicCategory); 32] = [
    ("bangladeshi", EthnicCategory::Bangladeshi),
    ("chinese", EthnicCategory::Chinese),
    ("indian", EthnicCategory::Indian),
    ("pakistani", EthnicCategory::Pakistani),
    ("any other asian background", EthnicCategory::OtherAsian),
    ("other asian", EthnicCategory::OtherAsian),
    ("african", EthnicCategory::African),
    ("caribbean", EthnicCategory::Caribbean),
    (
        "any other black black british or caribbean background",
        EthnicCategory::OtherBlack,
    ),
    (
        "any other black african or caribbean background",
        EthnicCategory::OtherBlack,
    ),
    ("any other black background", EthnicCategory::OtherBlack),
    ("other black", EthnicCategory::OtherBlack),
    ("white and asian", EthnicCategory::WhiteAndAsian),
    (
        "white and black african",
        EthnicCategory::WhiteAndBlackAfrican,
    ),
    (
        "white and black caribbean",
        EthnicCategory::WhiteAndBlackCaribbean,
    ),
    (
        "any other mixed or multiple ethnic background",
        EthnicCategory::OtherMixed,
    ),
    ("any other mixed background", EthnicCategory::OtherMixed),
    (
        "other mixed or multiple ethnic groups",
        EthnicCategory::OtherMixed,
    ),
    ("other mixed", EthnicCategory::OtherMixed),
    (
        "english welsh scottish northern irish or british",
        EthnicCategory::British,
    ),
    ("british", EthnicCategory::British),
    ("irish", EthnicCategory::Irish),
    (
        "gypsy or irish traveller",
        EthnicCategory::GypsyOrIrishTraveller,
    ),
    (
        "gypsy irish traveller",
        EthnicCategory::GypsyOrIrishTraveller,
    ),
    ("irish traveller", EthnicCategory::GypsyOrIrishTraveller),
    ("gypsy", EthnicCategory::GypsyOrIrishTraveller),
    ("roma", EthnicCategory::Roma),
    ("any other white background", EthnicCategory::OtherWhite),
    ("other white", EthnicCategory::OtherWhite),
    ("arab", EthnicCategory::Arab),
    ("any other ethnic group", EthnicCategory::AnyOther),
    ("any other background", EthnicCategory::AnyOther),
];

/// Lower case, every run of characters other than letters and digits as one space.
fn normalised(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The group a "group: category" wording's group part names, as ONS 2021 and 2011 write them.
fn group_named(part: &str) -> Option<EthnicGroup> {
    let part = normalised(part);
    let starts = |prefix: &str| part == prefix || part.starts_with(&format!("{prefix} "));
    if starts("asian") {
        Some(EthnicGroup::Asian)
    } else if starts("black") {
        Some(EthnicGroup::Black)
    } else if starts("mixed") {
        Some(EthnicGroup::Mixed)
    } else if starts("white") {
        Some(EthnicGroup::White)
    } else if starts("other ethnic group") || starts("other") || starts("chinese or other") {
        Some(EthnicGroup::Other)
    } else {
        None
    }
}

/// "Other" within a named group: the group's "any other" category.
fn other_in(group: EthnicGroup) -> EthnicCategory {
    match group {
        EthnicGroup::Asian => EthnicCategory::OtherAsian,
        EthnicGroup::Black => EthnicCategory::OtherBlack,
        EthnicGroup::Mixed => EthnicCategory::OtherMixed,
        EthnicGroup::White => EthnicCategory::OtherWhite,
        EthnicGroup::Other => EthnicCategory::AnyOther,
        EthnicGroup::NotKnown => EthnicCategory::NotStated,
    }
}

impl EthnicCategory {
    pub const ALL: [EthnicCategory; 20] = [
        EthnicCategory::Bangladeshi,
        EthnicCategory::Chinese,
        EthnicCategory::Indian,
        EthnicCategory::Pakistani,
        EthnicCategory::OtherAsian,
        EthnicCategory::African,
        EthnicCategory::Caribbean,
        EthnicCategory::OtherBlack,
        EthnicCategory::WhiteAndAsian,
        EthnicCategory::WhiteAndBlackAfrican,
        EthnicCategory::WhiteAndBlackCaribbean,
        EthnicCategory::OtherMixed,
        EthnicCategory::British,
        EthnicCategory::Irish,
        EthnicCategory::GypsyOrIrishTraveller,
        EthnicCategory::Roma,
        EthnicCategory::OtherWhite,
        EthnicCategory::Arab,
        EthnicCategory::AnyOther,
        EthnicCategory::NotStated,
    ];

    /// The category of a recorded ethnicity: an nDelius code (`W9`), an ONS wording with its
    /// group (`White: Irish`, `Asian or Asian British: Indian`, `Mixed: Other`) or a category
    /// wording on its own (`Gypsy or Irish Traveller`, `Arab`). Anything else is not stated.
    pub fn of(ethnicity: Option<&str>) -> EthnicCategory {
        let Some(text) = ethnicity.map(str::trim).filter(|t| !t.is_empty()) else {
            return EthnicCategory::NotStated;
        };
        if let Some((_, category)) = NDELIUS_CODES
            .iter()
            .find(|(code, _)| code.eq_ignore_ascii_case(text))
        {
            return *category;
        }
        let (group, wording) = match text.rsplit_once(':') {
            Some((group, category)) => match group_named(group) {
                Some(group) => (Some(group), category),
                None => return EthnicCategory::NotStated,
            },
            None => (None, text),
        };
        let wording = normalised(wording);
        if let Some((_, category)) = WORDINGS.iter().find(|(w, _)| *w == wording) {
            // A group named with a category of another group is contradictory: not stated.
            // (The 2001 census group "Chinese or other ethnic group" held Chinese, now Asian.)
            return match group {
                Some(EthnicGroup::Other) if *category == EthnicCategory::Chinese => *category,
                Some(group) if group != category.group() => EthnicCategory::NotStated,
                _ => *category,
            };
        }
        match group {
            Some(group) if matches!(wording.as_str(), "other" | "any other") => other_in(group),
            _ => EthnicCategory::NotStated,
        }
    }

    /// The group the category belongs to.
    pub fn group(self) -> EthnicGroup {
        use EthnicCategory::*;
        match self {
            Bangladeshi | Chinese | Indian | Pakistani | OtherAsian => EthnicGroup::Asian,
            African | Caribbean | OtherBlack => EthnicGroup::Black,
            WhiteAndAsian | WhiteAndBlackAfrican | WhiteAndBlackCaribbean | OtherMixed => {
                EthnicGroup::Mixed
            }
            British | Irish | GypsyOrIrishTraveller | Roma | OtherWhite => EthnicGroup::White,
            Arab | AnyOther => EthnicGroup::Other,
            NotStated => EthnicGroup::NotKnown,
        }
    }

    /// The stored code.
    pub fn code(self) -> &'static str {
        use EthnicCategory::*;
        match self {
            Bangladeshi => "BANGLADESHI",
            Chinese => "CHINESE",
            Indian => "INDIAN",
            Pakistani => "PAKISTANI",
            OtherAsian => "OTHER_ASIAN",
            African => "AFRICAN",
            Caribbean => "CARIBBEAN",
            OtherBlack => "OTHER_BLACK",
            WhiteAndAsian => "WHITE_AND_ASIAN",
            WhiteAndBlackAfrican => "WHITE_AND_BLACK_AFRICAN",
            WhiteAndBlackCaribbean => "WHITE_AND_BLACK_CARIBBEAN",
            OtherMixed => "OTHER_MIXED",
            British => "BRITISH",
            Irish => "IRISH",
            GypsyOrIrishTraveller => "GYPSY_OR_IRISH_TRAVELLER",
            Roma => "ROMA",
            OtherWhite => "OTHER_WHITE",
            Arab => "ARAB",
            AnyOther => "ANY_OTHER",
            NotStated => NOT_KNOWN,
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The ONS 2021 name of the category.
    pub fn label(self) -> &'static str {
        use EthnicCategory::*;
        match self {
            Bangladeshi => "Bangladeshi",
            Chinese => "Chinese",
            Indian => "Indian",
            Pakistani => "Pakistani",
            OtherAsian => "Other Asian",
            African => "African",
            Caribbean => "Caribbean",
            OtherBlack => "Other Black",
            WhiteAndAsian => "White and Asian",
            WhiteAndBlackAfrican => "White and Black African",
            WhiteAndBlackCaribbean => "White and Black Caribbean",
            OtherMixed => "Other Mixed or Multiple ethnic groups",
            British => "English, Welsh, Scottish, Northern Irish or British",
            Irish => "Irish",
            GypsyOrIrishTraveller => "Gypsy or Irish Traveller",
            Roma => "Roma",
            OtherWhite => "Other White",
            Arab => "Arab",
            AnyOther => "Any other ethnic group",
            NotStated => "Not stated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EthnicCategory::*;
    use super::*;

    /// Every nDelius code, and every category in the ONS 2021 wording with its group.
    #[test]
    fn every_code_and_wording_is_classified() {
        for (code, category) in NDELIUS_CODES {
            assert_eq!(EthnicCategory::of(Some(code)), category, "{code}");
            let lower = code.to_lowercase();
            assert_eq!(EthnicCategory::of(Some(&lower)), category, "{code}");
        }
        #[rustfmt::skip]
        let ons_2021 = [
            ("Asian, Asian British or Asian Welsh: Bangladeshi", Bangladeshi),
            ("Asian, Asian British or Asian Welsh: Chinese", Chinese),
            ("Asian, Asian British or Asian Welsh: Indian", Indian),
            ("Asian, Asian British or Asian Welsh: Pakistani", Pakistani),
            ("Asian, Asian British or Asian Welsh: Other Asian", OtherAsian),
            ("Black, Black British, Black Welsh, Caribbean or African: African", African),
            ("Black, Black British, Black Welsh, Caribbean or African: Caribbean", Caribbean),
            ("Black, Black British, Black Welsh, Caribbean or African: Other Black", OtherBlack),
            ("Mixed or Multiple ethnic groups: White and Asian", WhiteAndAsian),
            ("Mixed or Multiple ethnic groups: White and Black African", WhiteAndBlackAfrican),
            ("Mixed or Multiple ethnic groups: White and Black Caribbean", WhiteAndBlackCaribbean),
            ("Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups", OtherMixed),
            ("White: English, Welsh, Scottish, Northern Irish or British", British),
            ("White: Irish", Irish),
            ("White: Gypsy or Irish Traveller", GypsyOrIrishTraveller),
            ("White: Roma", Roma),
            ("White: Other White", OtherWhite),
            ("Other ethnic group: Arab", Arab),
            ("Other ethnic group: Any other ethnic group", AnyOther),
        ];
        for (wording, category) in ons_2021 {
            assert_eq!(EthnicCategory::of(Some(wording)), category, "{wording}");
            // The category's own ONS name reads back as the category.
            assert_eq!(
                EthnicCategory::of(Some(category.label())),
                category,
                "{wording}"
            );
        }
        let mut covered: Vec<_> = ons_2021.iter().map(|(_, c)| *c).collect();
        covered.push(NotStated);
        assert_eq!(
            covered,
            EthnicCategory::ALL.to_vec(),
            "all nineteen, in order"
        );
    }

    #[test]
    fn earlier_and_shorter_wordings_are_classified() {
        #[rustfmt::skip]
        let cases = [
            ("Asian or Asian British: Indian", Indian),
            ("Asian or Asian British: Any other Asian background", OtherAsian),
            ("Black or Black British: Caribbean", Caribbean),
            ("Black or Black British: Other", OtherBlack),
            ("Mixed: White and Black Caribbean", WhiteAndBlackCaribbean),
            ("Mixed: Any other mixed background", OtherMixed),
            ("  white: Irish", Irish),
            ("White: Any other White background", OtherWhite),
            ("Gypsy or Irish Traveller", GypsyOrIrishTraveller),
            ("Other: Arab", Arab),
            ("Other ethnic group: Any other ethnic group", AnyOther),
            ("Chinese or other ethnic group: Chinese", Chinese),
            ("Any other ethnic group", AnyOther),
            ("white and black african", WhiteAndBlackAfrican),
        ];
        for (wording, category) in cases {
            assert_eq!(EthnicCategory::of(Some(wording)), category, "{wording}");
        }
    }

    #[test]
    fn anything_else_is_not_stated() {
        for text in [
            None,
            Some(""),
            Some("   "),
            Some("Prefer not to say"),
            Some("NS"),
            Some("Not stated"),
            Some("Something else"),
            Some("White"),
            Some("Asian"),
            Some("Black: Irish"),
            Some("Martian: Other"),
            Some("Z9"),
        ] {
            assert_eq!(EthnicCategory::of(text), NotStated, "{text:?}");
            assert_eq!(EthnicGroup::of(text), EthnicGroup::NotKnown, "{text:?}");
        }
    }

    #[test]
    fn categories_belong_to_their_groups_and_codes_round_trip() {
        assert_eq!(EthnicGroup::of(Some("W9")), EthnicGroup::White);
        assert_eq!(EthnicGroup::of(Some("B1")), EthnicGroup::Black);
        assert_eq!(
            EthnicGroup::of(Some("White: Gypsy or Irish Traveller")),
            EthnicGroup::White
        );
        for category in EthnicCategory::ALL {
            assert_eq!(EthnicCategory::from_code(category.code()), Some(category));
        }
        for group in EthnicGroup::ALL {
            assert_eq!(EthnicGroup::from_code(group.code()), Some(group));
        }
    }
}
