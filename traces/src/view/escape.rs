//! Escaping a trace's strings for where they are shown: a terminal (no raw
//! control characters, so a log line cannot move the cursor or change colours)
//! and HTML (no markup, so a node name cannot run a script).

use std::borrow::Cow;

/// `s` with every control and otherwise invisible character, quote and
/// backslash escaped as Rust escapes them (`\n`, `\u{1b}`), for a terminal.
pub fn escape_terminal(s: &str) -> Cow<'_, str> {
    let plain = |c: char| !c.is_control() && c != '\\' && c != '"' && c.escape_debug().len() == 1;
    if s.chars().all(plain) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.escape_debug().to_string())
    }
}

/// `s` with `&`, `<`, `>`, `"` and `'` replaced by character references, and
/// control characters other than tab and newline dropped, for HTML text and
/// attribute values.
pub fn escape_html(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| matches!(c, '&' | '<' | '>' | '"' | '\'') || (c.is_control() && c != '\t' && c != '\n')) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_control_characters_and_quotes() {
        assert_eq!(escape_terminal("plain text é"), "plain text é");
        assert_eq!(escape_terminal("\u{1b}[31mred\n\"q\"\\"), "\\u{1b}[31mred\\n\\\"q\\\"\\\\");
        assert_eq!(escape_terminal("a\u{2028}b\u{7f}"), "a\\u{2028}b\\u{7f}");
    }

    #[test]
    fn html_escapes_markup() {
        assert_eq!(escape_html("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(escape_html("\"><img src=x onerror='a'>&"), "&quot;&gt;&lt;img src=x onerror=&#39;a&#39;&gt;&amp;");
        assert_eq!(escape_html("a\u{0}b"), "ab");
    }
}
