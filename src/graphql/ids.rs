//! Object ids as clients write them: hyphenated UUIDs. Anything else names nothing, exactly like
//! an unknown id, so a malformed id and another organisation's look the same.

use async_graphql::ID;
use uuid::Uuid;

/// Parses an object id written as a hyphenated UUID; `None` for anything else, so other
/// spellings behave exactly like unknown ids.
pub fn parse_uuid(id: &ID) -> Option<Uuid> {
    let text = id.as_str();
    let parsed = Uuid::try_parse(text).ok()?;
    (text.len() == 36 && parsed.hyphenated().to_string() == text.to_ascii_lowercase())
        .then_some(parsed)
}

/// The id named by `id`, or the nil id for a malformed one: the nil id never exists, so the
/// service answers exactly as for an unknown id, after its role checks.
pub fn id_or_nil(id: &ID) -> Uuid {
    parse_uuid(id).unwrap_or(Uuid::nil())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hyphenated_uuids_name_objects() {
        let uuid = Uuid::new_v4();
        assert_eq!(parse_uuid(&ID(uuid.to_string())), Some(uuid));
        assert_eq!(
            parse_uuid(&ID(uuid.to_string().to_ascii_uppercase())),
            Some(uuid)
        );
        for other in [uuid.simple().to_string(), format!("{{{uuid}}}"), "x".into()] {
            assert_eq!(parse_uuid(&ID(other.clone())), None, "{other}");
            assert_eq!(id_or_nil(&ID(other)), Uuid::nil());
        }
    }
}
