//! The two WebSocket frames the floor handles: unmasked text frames it sends, and the masked
//! text frame a client sends (its subscribe command).

use std::io::{self, Read};

/// The largest client frame the floor reads: a subscribe command is well below it.
const MAX_CLIENT_PAYLOAD: u64 = 64 * 1024;

/// A final text frame (FIN + opcode 1), unmasked as a server sends it, with `payload`.
pub fn text(payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(payload.len() + 10);
    frame.push(0x81);
    match payload.len() {
        len @ 0..=125 => frame.push(len as u8),
        len @ 126..=0xFFFF => {
            frame.push(126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(payload);
    frame
}

/// Reads one masked client frame and returns its unmasked payload; only unfragmented text frames
/// are taken (the generator's clients send nothing else before subscribing).
pub fn read_client_text(reader: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut head = [0u8; 2];
    reader.read_exact(&mut head)?;
    if head[0] != 0x81 {
        return Err(invalid(format!(
            "expected a text frame, got byte {:#04x}",
            head[0]
        )));
    }
    if head[1] & 0x80 == 0 {
        return Err(invalid("client frame without a mask".into()));
    }
    let len = match head[1] & 0x7F {
        126 => {
            let mut len = [0u8; 2];
            reader.read_exact(&mut len)?;
            u64::from(u16::from_be_bytes(len))
        }
        127 => {
            let mut len = [0u8; 8];
            reader.read_exact(&mut len)?;
            u64::from_be_bytes(len)
        }
        len => u64::from(len),
    };
    if len > MAX_CLIENT_PAYLOAD {
        return Err(invalid(format!("client frame of {len} bytes")));
    }
    let mut mask = [0u8; 4];
    reader.read_exact(&mut mask)?;
    let mut payload = vec![0u8; len as usize];
    reader.read_exact(&mut payload)?;
    for (n, byte) in payload.iter_mut().enumerate() {
        *byte ^= mask[n % 4];
    }
    Ok(payload)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client frame of `payload` with `mask`, as a browser would send it.
    fn masked(payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let mut frame = text(payload);
        let at = frame.len() - payload.len();
        frame[1] |= 0x80;
        for (n, byte) in frame[at..].iter_mut().enumerate() {
            *byte ^= mask[n % 4];
        }
        frame.splice(at..at, mask);
        frame
    }

    #[test]
    fn text_frames_carry_the_length_in_the_smallest_form() {
        assert_eq!(text(b"hi"), b"\x81\x02hi");
        let medium = text(&[b'x'; 300]);
        assert_eq!(&medium[..4], &[0x81, 126, 0x01, 0x2C]);
        assert_eq!(medium.len(), 304);
        let large = text(&vec![b'x'; 70_000]);
        assert_eq!(&large[..2], &[0x81, 127]);
        assert_eq!(u64::from_be_bytes(large[2..10].try_into().unwrap()), 70_000);
    }

    #[test]
    fn client_frames_are_unmasked() {
        let command = br#"{"command":"subscribe","identifier":"{}"}"#;
        let frame = masked(command, [1, 2, 3, 4]);
        assert_eq!(read_client_text(&mut &frame[..]).unwrap(), command);
        let long = vec![b'y'; 200];
        assert_eq!(
            read_client_text(&mut &masked(&long, [9, 8, 7, 6])[..]).unwrap(),
            long
        );
    }

    #[test]
    fn unmasked_binary_or_huge_client_frames_are_refused() {
        let error = |frame: &[u8]| read_client_text(&mut &frame[..]).unwrap_err().kind();
        assert_eq!(error(&text(b"hi")), io::ErrorKind::InvalidData);
        assert_eq!(error(b"\x82\x80\0\0\0\0"), io::ErrorKind::InvalidData);
        let mut huge = vec![0x81, 0xFF];
        huge.extend_from_slice(&(1u64 << 20).to_be_bytes());
        assert_eq!(error(&huge), io::ErrorKind::InvalidData);
        assert_eq!(error(b"\x81"), io::ErrorKind::UnexpectedEof);
    }
}
