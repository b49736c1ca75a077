//! Every named user of the suite and the claims builder they are made with. The providers'
//! groups are those of the demo catalogue (`catalogue/demo.json`).

use crs_api::http::auth::Claims;

use super::TestApp;

/// Claims for a user with one role and some groups.
pub fn claims(sub: &str, authority: &str, groups: &[&str]) -> Claims {
    Claims {
        sub: sub.into(),
        name: Some(format!("User {sub}")),
        email: None,
        authorities: vec![authority.into()],
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    }
}

/// A probation practitioner.
pub fn pp(sub: &str) -> Claims {
    claims(sub, "ROLE_PROBATION", &[])
}

/// The probation practitioner `pp-1`.
pub fn practitioner() -> Claims {
    pp("pp-1")
}

/// Harbour Light: prime on CRS-ACC-J-01, subcontractor on CRS-DNR-G-01 and CRS-WOS-J-01.
pub fn harbour(sub: &str) -> Claims {
    claims(
        sub,
        "ROLE_CRS_PROVIDER",
        &[
            "INT_SP_HARBOUR_LIGHT",
            "INT_CR_CRS-ACC-J-01",
            "INT_CR_CRS-DNR-G-01",
            "INT_CR_CRS-WOS-J-01",
        ],
    )
}

/// `sp-1` of Harbour Light on two of its contracts only: its own (CRS-ACC-J-01) and a
/// subcontracted one (CRS-DNR-G-01).
pub fn harbour_light_user() -> Claims {
    claims(
        "sp-1",
        "ROLE_CRS_PROVIDER",
        &[
            "INT_SP_HARBOUR_LIGHT",
            "INT_CR_CRS-ACC-J-01",
            "INT_CR_CRS-DNR-G-01",
        ],
    )
}

/// Bridgeway: prime on CRS-DNR-G-01 and CRS-MTR-E-01, subcontractor on CRS-ACC-J-01.
pub fn bridgeway(sub: &str) -> Claims {
    claims(
        sub,
        "ROLE_CRS_PROVIDER",
        &[
            "INT_SP_BRIDGEWAY",
            "INT_CR_CRS-DNR-G-01",
            "INT_CR_CRS-ACC-J-01",
            "INT_CR_CRS-MTR-E-01",
        ],
    )
}

/// Northern Steps: prime on CRS-ETE-A-01 and CRS-PWB-C-01.
pub fn northern(sub: &str) -> Claims {
    claims(
        sub,
        "ROLE_CRS_PROVIDER",
        &[
            "INT_SP_NORTHERN_STEPS",
            "INT_CR_CRS-ETE-A-01",
            "INT_CR_CRS-PWB-C-01",
        ],
    )
}

/// The commissioner `cm-1` of the given probation regions (`"J"` is London).
pub fn commissioner(regions: &[&str]) -> Claims {
    let groups: Vec<String> = regions.iter().map(|r| format!("INT_RG_{r}")).collect();
    let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
    claims("cm-1", "ROLE_CRS_COMMISSIONER", &groups)
}

/// A machine client that may read everything (`ROLE_CRS_READ_ALL`).
pub fn machine() -> Claims {
    claims("m2m", "ROLE_CRS_READ_ALL", &[])
}

/// A caller whose only role the service does not know.
pub fn outsider() -> Claims {
    claims("nobody", "ROLE_SOMETHING_ELSE", &[])
}

/// Tokens of the two users most journeys need: the practitioner who sends (`pp-1`) and the
/// Harbour Light caseworker who delivers (`sp-1`).
pub struct Actors {
    pub pp: String,
    pub sp: String,
}

/// The [`Actors`]' tokens for `app`.
pub fn actors(app: &TestApp) -> Actors {
    Actors {
        pp: app.token(&pp("pp-1")),
        sp: app.token(&harbour("sp-1")),
    }
}
