//! The epoch: a short random name for one lifetime of the history. Offsets only mean something
//! together with it; a client holding another epoch's offset gets `reject_history`.

use std::sync::Arc;

use rand::Rng;

/// URL-safe characters, as in the reference's 4-character nanoid.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// Length of an epoch: 64⁴ ≈ 16.7 million names, as in the reference.
const EPOCH_LEN: usize = 4;

/// A new random epoch.
pub(super) fn new_epoch() -> Arc<str> {
    let mut rng = rand::rng();
    let epoch: String = (0..EPOCH_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    Arc::from(epoch)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn epochs_are_short_url_safe_and_vary() {
        let epochs: HashSet<Arc<str>> = (0..100).map(|_| new_epoch()).collect();
        for epoch in &epochs {
            assert_eq!(epoch.len(), EPOCH_LEN);
            assert!(epoch
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
        }
        // 100 draws from 16.7 million names: a repeat is a one-in-3,000 event, so at least 90
        // distinct names fails only when the draw is broken.
        assert!(epochs.len() >= 90, "{}", epochs.len());
    }
}
