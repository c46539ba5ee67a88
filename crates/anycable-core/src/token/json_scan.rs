//! A one-pass JSON reader for token payloads: it borrows string literals instead of copying
//! them, and unescapes only the one value the caller keeps.
//!
//! serde_json did this job, but took ~360 ns of a ~950 ns verify measured inside Node (perf and
//! a no-parse probe, benchmark/tokens.mjs), mostly for unescaping into a growing scratch buffer
//! and then into an owned String. The grammar here is RFC 8259's, strict as serde_json is, and
//! the tests cross-check both on generated and mutated payloads.

use std::borrow::Cow;

/// The input is not valid JSON.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct SyntaxError;

type Scan<T> = Result<T, SyntaxError>;

/// The bytes that end a run of plain characters in a string literal: the closing quote, a
/// backslash, and control characters (which must be escaped). One table load per byte.
static STOPS_STRING_RUN: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// How many of the 8 bytes of `chunk` come before its first quote, backslash or control
/// character (8 if none), found with word-wide bit tricks instead of a branch per byte. Each
/// test flags a byte's top bit; a borrow can flag a byte only above one truly flagged, so the
/// lowest flag is exact. UTF-8 bytes past ASCII have their top bit set and are never flagged.
fn plain_prefix_len(chunk: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let word = u64::from_le_bytes(chunk.try_into().expect("an 8-byte chunk"));
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x;
    let quotes = zero_bytes(word ^ (ONES * u64::from(b'"')));
    let backslashes = zero_bytes(word ^ (ONES * u64::from(b'\\')));
    let controls = word.wrapping_sub(ONES * 0x20) & !word;
    let stops = (quotes | backslashes | controls) & TOPS;
    (stops.trailing_zeros() / 8) as usize
}

/// A string literal as written, between its quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RawStr<'a> {
    body: &'a str,
    escaped: bool,
}

impl<'a> RawStr<'a> {
    /// The decoded text, borrowed when there is nothing to unescape. As in serde_json, a `\u`
    /// escape of an unpaired UTF-16 surrogate is an error in a string that is decoded, but not
    /// in one that is only skipped.
    pub(super) fn decoded(&self) -> Scan<Cow<'a, str>> {
        if !self.escaped {
            return Ok(Cow::Borrowed(self.body));
        }
        unescape(self.body, String::new()).map(|(text, _)| Cow::Owned(text))
    }
}

/// Unescapes the string literal at the start of `literal` (after its opening quote) up to its
/// closing quote or the end of `literal`, into `buffer`'s allocation; returns the text and how
/// many bytes of `literal` it spans.
///
/// One pass that checks and decodes together (a separate checking pass mispredicted the same
/// branches again: ~20 ns of a ~370 ns core verify, `--example token_bench`). Plain bytes move a
/// word at a time: the runs between escapes are a few bytes, too short to pay for a memcpy
/// each, and a branch per byte costs most inside Node, where V8's work between calls leaves the
/// branch predictor cold (~25 ns per verify call, two builds alternated in one process).
fn unescape(literal: &str, buffer: String) -> Scan<(String, usize)> {
    let input = literal.as_bytes();
    let mut output = buffer.into_bytes();
    output.clear();
    // Every escape is longer than what it decodes to, so the text fits and writing never
    // overtakes reading.
    output.resize(input.len(), 0);
    let (mut read, mut write) = (0, 0);
    loop {
        let stop = if let Some(chunk) = input.get(read..read + 8) {
            // A word at a time: copied whole, then the cursors move up to its first stop.
            output[write..write + 8].copy_from_slice(chunk);
            let run = plain_prefix_len(chunk);
            read += run;
            write += run;
            if run == 8 {
                continue;
            }
            input[read]
        } else {
            let Some(&byte) = input.get(read) else { break };
            if !STOPS_STRING_RUN[byte as usize] {
                output[write] = byte;
                read += 1;
                write += 1;
                continue;
            }
            byte
        };
        match stop {
            b'\\' => {
                let (decoded, used) = escape_at(&input[read..])?;
                write += decoded.encode_utf8(&mut output[write..]).len();
                read += used;
            }
            b'"' => break,
            _ => return Err(SyntaxError),
        }
    }
    output.truncate(write);
    // SAFETY: `literal` is a `str`; its bytes were copied whole except escapes, which are ASCII
    // and were replaced by the UTF-8 of the chars they stand for.
    Ok((unsafe { String::from_utf8_unchecked(output) }, read))
}

/// The char of the escape at the start of `escape` (which starts with a backslash), and how many
/// bytes it spans.
fn escape_at(escape: &[u8]) -> Scan<(char, usize)> {
    match escape.get(1) {
        Some(b'u') => decode_unicode_escape(escape),
        Some(&letter) => match ONE_LETTER_ESCAPES[letter as usize] {
            0 => Err(SyntaxError),
            decoded => Ok((decoded as char, 2)),
        },
        None => Err(SyntaxError),
    }
}

/// What each one-letter escape (`\n`, `\"`…) stands for, by its letter; 0 for the others. A
/// table load rather than a `match`, which compiled to an indirect jump that inside Node
/// mispredicted on most escapes (perf annotate).
static ONE_LETTER_ESCAPES: [u8; 256] = {
    let mut table = [0; 256];
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table[b'/' as usize] = b'/';
    table[b'b' as usize] = 0x08;
    table[b'f' as usize] = 0x0C;
    table[b'n' as usize] = b'\n';
    table[b'r' as usize] = b'\r';
    table[b't' as usize] = b'\t';
    table
};

/// The character of `\uXXXX`, or of a `\uXXXX\uXXXX` surrogate pair, at the start of
/// `escape`, and how many bytes it spans.
fn decode_unicode_escape(escape: &[u8]) -> Scan<(char, usize)> {
    let unit = escape.get(2..6).and_then(hex4).ok_or(SyntaxError)?;
    match unit {
        0xD800..=0xDBFF => {
            let low = escape
                .get(6..12)
                .filter(|next| next.starts_with(b"\\u"))
                .and_then(|next| hex4(&next[2..]))
                .filter(|low| (0xDC00..=0xDFFF).contains(low))
                .ok_or(SyntaxError)?;
            let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
            Ok((char::from_u32(code).ok_or(SyntaxError)?, 12))
        }
        _ => Ok((char::from_u32(unit).ok_or(SyntaxError)?, 6)),
    }
}

fn hex4(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &digit| {
        Some(value << 4 | (digit as char).to_digit(16)?)
    })
}

/// One value of an object member, read as far as the caller needs it.
#[derive(Debug, PartialEq)]
pub(super) enum Value<'a> {
    String(RawStr<'a>),
    /// A number as written, its grammar checked.
    Number(&'a str),
    /// `true`, `false`, `null`, an array or an object, already skipped.
    Other,
}

/// Reads the members of the single JSON object that `text` must be, in order: `next_key`, then
/// `value` or `value_decoding_into` for that key, until `next_key` gives `None`.
pub(super) struct ObjectScanner<'a> {
    text: &'a str,
    pos: usize,
    opened: bool,
}

impl<'a> ObjectScanner<'a> {
    pub(super) fn new(text: &'a str) -> ObjectScanner<'a> {
        ObjectScanner {
            text,
            pos: 0,
            opened: false,
        }
    }

    /// The key of the next member, or `None` after the closing brace; fails on any syntax
    /// error, including anything but whitespace after the object.
    pub(super) fn next_key(&mut self) -> Scan<Option<RawStr<'a>>> {
        self.skip_whitespace();
        if !self.opened {
            self.opened = true;
            self.expect(b'{')?;
            self.skip_whitespace();
            if self.eat(b'}') {
                return self.end();
            }
        } else if self.eat(b'}') {
            return self.end();
        } else {
            self.expect(b',')?;
            self.skip_whitespace();
        }
        self.expect(b'"')?;
        let key = self.string_body()?;
        self.skip_whitespace();
        self.expect(b':')?;
        self.skip_whitespace();
        Ok(Some(key))
    }

    fn end(&mut self) -> Scan<Option<RawStr<'a>>> {
        self.skip_whitespace();
        if self.pos == self.text.len() {
            Ok(None)
        } else {
            Err(SyntaxError)
        }
    }

    /// The value of the member whose key was just read.
    pub(super) fn value(&mut self) -> Scan<Value<'a>> {
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                Ok(Value::String(self.string_body()?))
            }
            Some(b'-' | b'0'..=b'9') => Ok(Value::Number(self.number()?)),
            _ => {
                self.skip_value()?;
                Ok(Value::Other)
            }
        }
    }

    /// As `value`, and a string value is also decoded into `text`'s allocation, in the same
    /// pass that reads it.
    pub(super) fn value_decoding_into(&mut self, text: &mut String) -> Scan<Value<'a>> {
        if self.peek() != Some(b'"') {
            return self.value();
        }
        let start = self.pos + 1;
        let (decoded, len) = unescape(&self.text[start..], std::mem::take(text))?;
        self.pos = start + len;
        self.expect(b'"')?;
        // Every escape decodes to fewer bytes than it spans.
        let escaped = decoded.len() < len;
        *text = decoded;
        Ok(Value::String(RawStr {
            body: &self.text[start..start + len],
            escaped,
        }))
    }

    /// Skips one value of any depth. Iterative, so nesting costs heap rather than stack, and is
    /// not limited, as serde_json does not limit it in values it ignores.
    fn skip_value(&mut self) -> Scan<()> {
        // The closing bracket of each container the cursor is in.
        let mut open = Vec::new();
        loop {
            self.skip_whitespace();
            match self.peek().ok_or(SyntaxError)? {
                b'"' => {
                    self.pos += 1;
                    self.string_body()?;
                }
                b'-' | b'0'..=b'9' => {
                    self.number()?;
                }
                b't' => self.literal("true")?,
                b'f' => self.literal("false")?,
                b'n' => self.literal("null")?,
                bracket @ (b'[' | b'{') => {
                    self.pos += 1;
                    self.skip_whitespace();
                    let close = if bracket == b'[' { b']' } else { b'}' };
                    if !self.eat(close) {
                        open.push(close);
                        if close == b'}' {
                            self.member_key()?;
                        }
                        continue;
                    }
                }
                _ => return Err(SyntaxError),
            }
            // A value is complete: close what it completes, or move to the next item.
            loop {
                let Some(&close) = open.last() else {
                    return Ok(());
                };
                self.skip_whitespace();
                if self.eat(close) {
                    open.pop();
                    continue;
                }
                self.expect(b',')?;
                if close == b'}' {
                    self.skip_whitespace();
                    self.member_key()?;
                }
                break;
            }
        }
    }

    /// A key and its colon, inside an object being skipped.
    fn member_key(&mut self) -> Scan<()> {
        self.expect(b'"')?;
        self.string_body()?;
        self.skip_whitespace();
        self.expect(b':')
    }

    /// The literal after an opening quote, up to and past its closing quote.
    fn string_body(&mut self) -> Scan<RawStr<'a>> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut escaped = false;
        loop {
            if let Some(chunk) = bytes.get(self.pos..self.pos + 8) {
                let run = plain_prefix_len(chunk);
                self.pos += run;
                if run == 8 {
                    continue;
                }
            }
            let byte = *bytes.get(self.pos).ok_or(SyntaxError)?;
            if !STOPS_STRING_RUN[byte as usize] {
                self.pos += 1;
            } else if byte == b'"' {
                break;
            } else if byte == b'\\' {
                escaped = true;
                self.pos += self.escape_len()?;
            } else {
                return Err(SyntaxError);
            }
        }
        let body = &self.text[start..self.pos];
        self.pos += 1;
        Ok(RawStr { body, escaped })
    }

    /// The length of the valid escape at the cursor (surrogates are checked on decoding).
    fn escape_len(&self) -> Scan<usize> {
        let rest = &self.text.as_bytes()[self.pos..];
        match rest.get(1) {
            Some(b'u') => rest.get(2..6).and_then(hex4).map(|_| 6).ok_or(SyntaxError),
            Some(&letter) if ONE_LETTER_ESCAPES[letter as usize] != 0 => Ok(2),
            _ => Err(SyntaxError),
        }
    }

    /// A number, checked against the JSON grammar and returned as written.
    fn number(&mut self) -> Scan<&'a str> {
        let start = self.pos;
        self.eat(b'-');
        if !self.eat(b'0') {
            self.digits()?;
        }
        if self.eat(b'.') {
            self.digits()?;
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            self.digits()?;
        }
        Ok(&self.text[start..self.pos])
    }

    /// One or more decimal digits.
    fn digits(&mut self) -> Scan<()> {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        if self.pos > start {
            Ok(())
        } else {
            Err(SyntaxError)
        }
    }

    fn literal(&mut self, word: &str) -> Scan<()> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(SyntaxError)
        }
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8) -> Scan<()> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(SyntaxError)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same count, a byte at a time.
    fn plain_prefix_len_bytewise(chunk: &[u8]) -> usize {
        chunk
            .iter()
            .position(|&byte| STOPS_STRING_RUN[byte as usize])
            .unwrap_or(8)
    }

    #[test]
    fn word_wide_stop_search_agrees_with_bytewise() {
        // Stops, their neighbours, and bytes whose borrows could spill into the next byte.
        let alphabet = [
            0x00, 0x01, 0x1F, 0x20, 0x21, b'"', 0x23, 0x5B, b'\\', 0x5D, b'a', 0x7F, 0x80, 0xA2,
            0xDC, 0xFF,
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..200_000 {
            let mut chunk = [0u8; 8];
            for byte in &mut chunk {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *byte = alphabet[(state % alphabet.len() as u64) as usize];
            }
            assert_eq!(
                plain_prefix_len(&chunk),
                plain_prefix_len_bytewise(&chunk),
                "{chunk:02x?}"
            );
        }
    }
}
