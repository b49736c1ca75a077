//! Referral reference numbers: two letters, four digits, and the two letters of the contract
//! type (e.g. `HD2123AC`), with no characters that are easily confused.

/// Letters drawn at random: A–Z without I and O.
const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Pairs that read alike; a candidate holding both of a pair is discarded.
const CONFUSABLE: [(char, char); 4] = [('0', 'O'), ('1', 'I'), ('5', 'S'), ('8', 'B')];

/// Whether `reference` is shaped like a reference number.
pub fn looks_like_reference(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 8
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..6].iter().all(u8::is_ascii_digit)
        && bytes[6..].iter().all(u8::is_ascii_uppercase)
}

/// Whether `reference` holds both characters of a confusable pair.
pub fn has_confusable_pair(reference: &str) -> bool {
    CONFUSABLE
        .iter()
        .any(|(a, b)| reference.contains(*a) && reference.contains(*b))
}

/// A candidate reference from random bytes and the contract type's suffix, or `None` when the
/// candidate holds a confusable pair (draw again).
pub fn candidate(random: [u8; 6], suffix: &str) -> Option<String> {
    let mut reference = String::with_capacity(8);
    for byte in &random[..2] {
        reference.push(char::from(LETTERS[usize::from(*byte) % LETTERS.len()]));
    }
    for byte in &random[2..] {
        reference.push(char::from(b'0' + byte % 10));
    }
    reference.push_str(suffix);
    (!has_confusable_pair(&reference)).then_some(reference)
}

/// Draws candidates from `random` until one holds no confusable pair.
pub fn draw(suffix: &str, mut random: impl FnMut() -> [u8; 6]) -> String {
    loop {
        if let Some(reference) = candidate(random(), suffix) {
            return reference;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_have_the_documented_shape() {
        let mut made = 0;
        for seed in 0..=255u8 {
            let random = [
                seed,
                seed.wrapping_mul(7),
                seed,
                seed.wrapping_add(3),
                seed / 2,
                seed.wrapping_mul(3),
            ];
            if let Some(reference) = candidate(random, "AC") {
                assert!(looks_like_reference(&reference), "{reference}");
                assert!(reference.ends_with("AC"));
                assert!(!reference[..2].contains(['I', 'O']), "{reference}");
                made += 1;
            }
        }
        assert!(made > 100);
    }

    #[test]
    fn confusable_pairs_are_discarded() {
        assert!(has_confusable_pair("SA5123AC"));
        assert!(has_confusable_pair("BC8000AC"));
        assert!(!has_confusable_pair("HD2123AC"));
        // 'B' (index 1) with an 8 in the digits: discarded.
        assert_eq!(candidate([0, 1, 8, 2, 2, 2], "AC"), None);
        assert_eq!(
            candidate([7, 3, 2, 1, 2, 3], "AC").as_deref(),
            Some("HD2123AC")
        );
    }

    #[test]
    fn drawing_skips_confusable_candidates() {
        let mut draws = [[0, 1, 8, 2, 2, 2], [7, 3, 2, 1, 2, 3]].into_iter();
        assert_eq!(
            draw("AC", || draws.next().unwrap_or([7, 3, 2, 1, 2, 3])),
            "HD2123AC"
        );
    }

    #[test]
    fn reference_shape() {
        assert!(looks_like_reference("HD2123AC"));
        assert!(!looks_like_reference("hd2123ac"));
        assert!(!looks_like_reference("HD212AC"));
        assert!(!looks_like_reference("Smith"));
    }
}
