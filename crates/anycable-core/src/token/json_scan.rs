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
pub struct SyntaxError;

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

/// A string literal as written, between its quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawStr<'a> {
    body: &'a str,
    escaped: bool,
}

impl<'a> RawStr<'a> {
    /// The decoded text, borrowed when there is nothing to unescape.
    pub fn decoded(&self) -> Scan<Cow<'a, str>> {
        if !self.escaped {
            return Ok(Cow::Borrowed(self.body));
        }
        let mut text = String::new();
        self.decode_into(&mut text)?;
        Ok(Cow::Owned(text))
    }

    /// Replaces the contents of `text` with the decoded text, reusing its allocation. As in
    /// serde_json, a `\u` escape of an unpaired UTF-16 surrogate is an error here, in a string
    /// that is decoded, but not in one that is only skipped.
    pub fn decode_into(&self, text: &mut String) -> Scan<()> {
        text.clear();
        if !self.escaped {
            text.push_str(self.body);
            return Ok(());
        }
        // Copied whole with one memcpy, then unescaped in place byte by byte: escapes are never
        // shorter than what they decode to, so writing never overtakes reading, and the runs
        // between escapes are a few bytes, too short to pay for a memcpy each.
        let mut decoded = std::mem::take(text).into_bytes();
        decoded.extend_from_slice(self.body.as_bytes());
        let (mut read, mut write) = (0, 0);
        while read < decoded.len() {
            let byte = decoded[read];
            if byte != b'\\' {
                decoded[write] = byte;
                read += 1;
                write += 1;
                continue;
            }
            let (escaped, used) = match decoded[read + 1] {
                b'u' => decode_unicode_escape(&decoded[read..])?,
                letter => (simple_escape(letter), 2),
            };
            write += escaped.encode_utf8(&mut decoded[write..]).len();
            read += used;
        }
        decoded.truncate(write);
        // SAFETY: the body was a `str`; its runs were copied whole up to escapes, which are
        // ASCII and were replaced by the UTF-8 of the chars they stand for.
        *text = unsafe { String::from_utf8_unchecked(decoded) };
        Ok(())
    }
}

/// The character of a one-letter escape (`\n`, `\"`…); the letter was validated.
fn simple_escape(letter: u8) -> char {
    match letter {
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        other => other as char,
    }
}

/// The character of `\uXXXX`, or of a `\uXXXX\uXXXX` surrogate pair, at the start of
/// `escape` (whose hex digits were validated), and how many bytes it spans.
fn decode_unicode_escape(escape: &[u8]) -> Scan<(char, usize)> {
    let unit = hex4(&escape[2..6]).ok_or(SyntaxError)?;
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
pub enum Value<'a> {
    String(RawStr<'a>),
    /// A number as written, its grammar checked.
    Number(&'a str),
    /// `true`, `false`, `null`, an array or an object, already skipped.
    Other,
}

/// Reads the members of the single JSON object that `text` must be.
pub struct ObjectScanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> ObjectScanner<'a> {
    pub fn new(text: &'a str) -> ObjectScanner<'a> {
        ObjectScanner { text, pos: 0 }
    }

    /// Calls `member` with each key and value in order; fails on any syntax error, including
    /// anything but whitespace after the object.
    pub fn for_each_member(
        mut self,
        mut member: impl FnMut(RawStr<'a>, Value<'a>) -> Scan<()>,
    ) -> Scan<()> {
        self.skip_whitespace();
        self.expect(b'{')?;
        self.skip_whitespace();
        if !self.eat(b'}') {
            loop {
                self.skip_whitespace();
                self.expect(b'"')?;
                let key = self.string_body()?;
                self.skip_whitespace();
                self.expect(b':')?;
                self.skip_whitespace();
                let value = self.member_value()?;
                member(key, value)?;
                self.skip_whitespace();
                if self.eat(b'}') {
                    break;
                }
                self.expect(b',')?;
            }
        }
        self.skip_whitespace();
        if self.pos == self.text.len() {
            Ok(())
        } else {
            Err(SyntaxError)
        }
    }

    fn member_value(&mut self) -> Scan<Value<'a>> {
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
        match rest.get(1).ok_or(SyntaxError)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(2),
            b'u' => rest.get(2..6).and_then(hex4).map(|_| 6).ok_or(SyntaxError),
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
