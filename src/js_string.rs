use napi::bindgen_prelude::Utf16String;

/// A JS string taken as UTF-16 and narrowed here. V8 hands UTF-16 over in one copy, where
/// napi-rs's `String` makes it measure and then encode UTF-8: for a 219-byte token that was
/// ~260 ns against ~110 ns per call (benchmark/tokens.mjs), the largest cost after the HMAC.
pub fn to_rust_string(text: &Utf16String) -> String {
    // One pass that both narrows and remembers whether any unit was outside ASCII.
    let mut any_bits = 0u16;
    let bytes: Vec<u8> = text
        .iter()
        .map(|&unit| {
            any_bits |= unit;
            unit as u8
        })
        .collect();
    if any_bits < 0x80 {
        String::from_utf8(bytes).expect("ASCII is valid UTF-8")
    } else {
        String::from_utf16_lossy(text)
    }
}
