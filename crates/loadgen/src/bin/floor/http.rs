//! Just enough HTTP/1.1 for the floor: a request's head and body, read from a blocking socket.

use std::io::{self, Read};

/// Request heads larger than this are refused (the generator's are well under 1 KiB plus a token).
const MAX_HEAD: usize = 16 * 1024;
/// Broadcast bodies larger than this are refused.
const MAX_BODY: usize = 1 << 20;

/// A request's method and path, its headers and its body.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Reads one request: the head up to the blank line, then `Content-Length` bytes of body.
pub fn read_request(reader: &mut impl Read) -> io::Result<Request> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        if buffer.len() > MAX_HEAD {
            return Err(invalid("request head too large"));
        }
        let read = reader.read(&mut chunk)?;
        if read == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = std::str::from_utf8(&buffer[..head_end]).map_err(|_| invalid("head not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(path)) = (request_line.next(), request_line.next()) else {
        return Err(invalid("no request line"));
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
        .collect();
    let mut request = Request {
        method: method.to_string(),
        path: path.to_string(),
        headers,
        body: buffer[head_end + 4..].to_vec(),
    };
    let length: usize = match request.header("content-length") {
        Some(value) => value.parse().map_err(|_| invalid("bad Content-Length"))?,
        None => 0,
    };
    if length > MAX_BODY {
        return Err(invalid("body too large"));
    }
    let already = request.body.len().min(length);
    request.body.truncate(already);
    request.body.resize(length, 0);
    reader.read_exact(&mut request.body[already..])?;
    Ok(request)
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader handing out `data` a few bytes at a time, as a socket may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = out.len().min(self.0.len()).min(7);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn reads_head_and_body_arriving_in_pieces() {
        let raw = b"POST /_broadcast HTTP/1.1\r\nHost: x\r\nauthorization: Bearer k\r\nContent-Length: 11\r\n\r\n{\"a\":\"bc\"}!";
        let request = read_request(&mut Trickle(raw)).unwrap();
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/_broadcast")
        );
        assert_eq!(request.header("Authorization"), Some("Bearer k"));
        assert_eq!(request.body, b"{\"a\":\"bc\"}!");
    }

    #[test]
    fn a_get_has_no_body() {
        let raw = b"GET /cable HTTP/1.1\r\nSec-WebSocket-Key: abc\r\n\r\n";
        let request = read_request(&mut &raw[..]).unwrap();
        assert_eq!(request.header("sec-websocket-key"), Some("abc"));
        assert!(request.body.is_empty());
    }

    #[test]
    fn truncated_or_oversized_requests_are_errors() {
        let truncated = b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc";
        assert!(read_request(&mut &truncated[..]).is_err());
        assert!(read_request(&mut &b"GET / HTTP/1.1\r\n"[..]).is_err());
        let huge = b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n";
        assert_eq!(
            read_request(&mut &huge[..]).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }
}
