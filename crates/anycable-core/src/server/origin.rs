/// Whether a browser `Origin` may connect: any origin when the list is empty; otherwise an exact
/// host match or a `*suffix` wildcard (`*.example.com`). Origins are compared without the scheme.
pub fn origin_allowed(allowed: &[String], origin: Option<&str>) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let Some(origin) = origin else {
        // Non-browser clients send no Origin; the check only guards browsers.
        return true;
    };
    let host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .to_ascii_lowercase();
    allowed.iter().any(|pattern| {
        let pattern = pattern
            .split_once("://")
            .map_or(pattern.as_str(), |(_, rest)| rest)
            .to_ascii_lowercase();
        match pattern.strip_prefix('*') {
            Some(suffix) => host.ends_with(suffix),
            None => host == pattern,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(patterns: &[&str]) -> Vec<String> {
        patterns.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn empty_list_allows_everyone() {
        assert!(origin_allowed(&[], Some("https://evil.test")));
    }

    #[test]
    fn exact_and_wildcard_matches() {
        let allowed = list(&["example.com", "*.anycable.io", "localhost:3000"]);
        assert!(origin_allowed(&allowed, Some("https://example.com")));
        assert!(origin_allowed(&allowed, Some("https://demo.anycable.io")));
        assert!(origin_allowed(&allowed, Some("http://localhost:3000")));
        assert!(origin_allowed(&allowed, Some("HTTPS://EXAMPLE.COM")));
        assert!(!origin_allowed(
            &allowed,
            Some("https://example.com.evil.test")
        ));
        assert!(!origin_allowed(&allowed, Some("https://evilanycable.io")));
        assert!(!origin_allowed(&allowed, Some("http://localhost:3001")));
    }

    #[test]
    fn missing_origin_is_not_a_browser() {
        assert!(origin_allowed(&list(&["example.com"]), None));
    }
}
