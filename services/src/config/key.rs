//! Keys and values: a key is `application/environment/name` (Apollo's
//! namespaces), each part 1-64 characters of `a-z 0-9 . _ -`; a watch prefix is
//! one, two or three such parts, ending in `/` when it stops at a namespace.

use super::error::ConfigError;

/// The largest value accepted, in bytes.
pub const MAX_VALUE_BYTES: usize = 1024;

/// The longest part of a key, in characters.
pub const MAX_PART_CHARS: usize = 64;

fn invalid(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::InvalidKey { key: key.to_string(), reason: reason.into() }
}

fn check_part(key: &str, part: &str, what: &str) -> Result<(), ConfigError> {
    if part.is_empty() {
        return Err(invalid(key, format!("the {what} is empty")));
    }
    if part.len() > MAX_PART_CHARS {
        return Err(invalid(key, format!("the {what} is longer than {MAX_PART_CHARS} characters")));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
    if let Some(c) = part.chars().find(|&c| !allowed(c)) {
        return Err(invalid(key, format!("the {what} has {c:?}; allowed are a-z, 0-9, '.', '_' and '-'")));
    }
    Ok(())
}

const PARTS: [&str; 3] = ["application", "environment", "name"];

/// Checks a full key `application/environment/name`.
pub fn check_key(key: &str) -> Result<(), ConfigError> {
    let parts: Vec<&str> = key.split('/').collect();
    if parts.len() != 3 {
        return Err(invalid(key, format!("expected application/environment/name, got {} part(s)", parts.len())));
    }
    for (part, what) in parts.iter().zip(PARTS) {
        check_part(key, part, what)?;
    }
    Ok(())
}

/// Checks a watch prefix: `app/`, `app/env/` or a full key.
pub fn check_prefix(prefix: &str) -> Result<(), ConfigError> {
    let (body, namespace) = match prefix.strip_suffix('/') {
        Some(body) => (body, true),
        None => (prefix, false),
    };
    let parts: Vec<&str> = body.split('/').collect();
    if (namespace && parts.len() > 2) || (!namespace && parts.len() != 3) {
        return Err(invalid(prefix, "a watch prefix is app/, app/env/ or a full key app/env/name"));
    }
    for (part, what) in parts.iter().zip(PARTS) {
        check_part(prefix, part, what)?;
    }
    Ok(())
}

/// Checks a value's size.
pub fn check_value(key: &str, value: &str) -> Result<(), ConfigError> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(ConfigError::ValueTooLarge { key: key.to_string(), len: value.len(), max: MAX_VALUE_BYTES });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_three_valid_parts() {
        assert!(check_key("shop/prod/timeout").is_ok());
        for bad in ["", "shop", "shop/prod", "shop/prod/a/b", "shop//a", "Shop/prod/a", "shop/prod/a b"] {
            assert!(matches!(check_key(bad), Err(ConfigError::InvalidKey { .. })), "{bad:?}");
        }
        let long = format!("shop/prod/{}", "x".repeat(MAX_PART_CHARS + 1));
        assert!(check_key(&long).unwrap_err().to_string().contains("longer than 64"));
    }

    #[test]
    fn prefixes_stop_at_a_namespace_or_are_a_key() {
        for good in ["shop/", "shop/prod/", "shop/prod/a"] {
            assert!(check_prefix(good).is_ok(), "{good:?}");
        }
        for bad in ["", "/", "shop", "shop/prod", "shop/prod/a/", "shop//"] {
            assert!(check_prefix(bad).is_err(), "{bad:?}");
        }
    }
}
