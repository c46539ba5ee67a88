use std::mem::MaybeUninit;

use napi::bindgen_prelude::{FromNapiValue, Utf16String};
use napi::{check_status, sys, Result};

/// A JS string taken as UTF-16 and narrowed here. V8 hands UTF-16 over in one copy, where
/// napi-rs's `String` makes it measure and then encode UTF-8: for a 219-byte token that was
/// ~260 ns against ~110 ns per call (benchmark/tokens.mjs).
pub fn read_string(env: sys::napi_env, value: sys::napi_value) -> Result<String> {
    // SAFETY: `env` and `value` are the live env and an argument of the current JS call; a
    // non-string value is an error, not undefined behaviour.
    let text = unsafe { Utf16String::from_napi_value(env, value) }?;
    let mut bytes = vec![MaybeUninit::uninit(); text.len()];
    Ok(narrow_into(&text, &mut bytes)
        .map_or_else(|| String::from_utf16_lossy(&text), str::to_owned))
}

/// Strings up to this many UTF-16 units, as tokens usually are, are read on the stack; the
/// frame stays under a page, so it needs no stack probes.
const STACK_UNITS: usize = 1024;

/// Runs `use_text` on at most the first `LIMIT - 1` UTF-16 units of a JS string. A longer string
/// is cut there, so a caller refusing text over `LIMIT - 2` bytes sees it as too long. Short
/// ASCII strings, as valid tokens are, are read and narrowed without allocating.
pub fn with_bounded_string<const LIMIT: usize, R>(
    env: sys::napi_env,
    value: sys::napi_value,
    use_text: impl FnOnce(&str) -> R,
) -> Result<R> {
    let mut units = [MaybeUninit::<u16>::uninit(); STACK_UNITS];
    let units = read_units(env, value, &mut units)?;
    // Filling the buffer means the string may go on.
    if units.len() < STACK_UNITS - 1 {
        let mut bytes = [MaybeUninit::<u8>::uninit(); STACK_UNITS];
        return Ok(match narrow_into(units, &mut bytes) {
            Some(text) => use_text(text),
            None => use_text(&String::from_utf16_lossy(units)),
        });
    }
    let mut units = vec![MaybeUninit::<u16>::uninit(); LIMIT];
    let units = read_units(env, value, &mut units)?;
    Ok(use_text(&String::from_utf16_lossy(units)))
}

/// Reads as many UTF-16 units of a JS string as `buffer` holds, less one (napi counts a
/// terminating NUL in the size).
fn read_units(
    env: sys::napi_env,
    value: sys::napi_value,
    buffer: &mut [MaybeUninit<u16>],
) -> Result<&[u16]> {
    let mut written = 0;
    // SAFETY: `env` and `value` belong to the current JS call; napi writes at most
    // `buffer.len()` units (the last a NUL) into `buffer`, and counts them into `written`.
    check_status!(unsafe {
        sys::napi_get_value_string_utf16(
            env,
            value,
            buffer.as_mut_ptr().cast(),
            buffer.len(),
            &mut written,
        )
    })?;
    // SAFETY: napi wrote `written` units, fewer than the buffer holds.
    Ok(unsafe { std::slice::from_raw_parts(buffer.as_ptr().cast(), written) })
}

/// Narrows ASCII `units` into `bytes` in one pass that also notes any unit outside ASCII;
/// `None` if there was one.
fn narrow_into<'b>(units: &[u16], bytes: &'b mut [MaybeUninit<u8>]) -> Option<&'b str> {
    // The unchecked read below covers `units.len()` bytes: a shorter `bytes` would read past it.
    assert!(bytes.len() >= units.len(), "narrowing buffer too short");
    let mut any_bits = 0u16;
    for (byte, &unit) in bytes.iter_mut().zip(units) {
        any_bits |= unit;
        byte.write(unit as u8);
    }
    if any_bits >= 0x80 {
        return None;
    }
    // SAFETY: `bytes` holds at least `units.len()` bytes (asserted above), and the first
    // `units.len()` were just written, all below 0x80: valid UTF-8.
    Some(unsafe {
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(
            bytes.as_ptr().cast(),
            units.len(),
        ))
    })
}
