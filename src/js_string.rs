use std::mem::MaybeUninit;

use napi::bindgen_prelude::{FromNapiValue, Utf16String};
use napi::{check_status, sys, Result};

/// A JS string taken as UTF-16 and narrowed here. V8 hands UTF-16 over in one copy, where
/// napi-rs's `String` makes it measure and then encode UTF-8: for a 219-byte token that was
/// ~260 ns against ~110 ns per call (benchmark/tokens.mjs).
pub fn read_string(env: sys::napi_env, value: sys::napi_value) -> Result<String> {
    let text = unsafe { Utf16String::from_napi_value(env, value) }?;
    // One pass that both narrows and remembers whether any unit was outside ASCII.
    let mut any_bits = 0u16;
    let bytes: Vec<u8> = text
        .iter()
        .map(|&unit| {
            any_bits |= unit;
            unit as u8
        })
        .collect();
    Ok(if any_bits < 0x80 {
        String::from_utf8(bytes).expect("ASCII is valid UTF-8")
    } else {
        String::from_utf16_lossy(&text)
    })
}

/// Runs `use_text` on at most the first `LIMIT - 1` UTF-16 units of a JS string, read into
/// stack buffers: no allocation when they are ASCII, as every valid token is. A longer string is
/// cut there, so a caller refusing text over `LIMIT - 2` bytes sees it as too long.
pub fn with_bounded_string<const LIMIT: usize, R>(
    env: sys::napi_env,
    value: sys::napi_value,
    use_text: impl FnOnce(&str) -> R,
) -> Result<R> {
    let mut units = [MaybeUninit::<u16>::uninit(); LIMIT];
    let mut written = 0;
    // napi counts a terminating NUL in the buffer size, so it writes at most LIMIT - 1 units.
    check_status!(unsafe {
        sys::napi_get_value_string_utf16(env, value, units.as_mut_ptr().cast(), LIMIT, &mut written)
    })?;
    // SAFETY: napi wrote `written` units, and `written < LIMIT`.
    let units: &[u16] = unsafe { std::slice::from_raw_parts(units.as_ptr().cast(), written) };
    let mut bytes = [MaybeUninit::<u8>::uninit(); LIMIT];
    match narrow_into(units, &mut bytes) {
        Some(text) => Ok(use_text(text)),
        None => Ok(use_text(&String::from_utf16_lossy(units))),
    }
}

/// Narrows ASCII `units` into `bytes`; `None` if any unit is outside ASCII.
fn narrow_into<'b>(units: &[u16], bytes: &'b mut [MaybeUninit<u8>]) -> Option<&'b str> {
    let mut any_bits = 0u16;
    for (byte, &unit) in bytes.iter_mut().zip(units) {
        any_bits |= unit;
        byte.write(unit as u8);
    }
    if any_bits >= 0x80 {
        return None;
    }
    // SAFETY: the first `units.len()` bytes were just written, all below 0x80: valid UTF-8.
    Some(unsafe {
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(
            bytes.as_ptr().cast(),
            units.len(),
        ))
    })
}
