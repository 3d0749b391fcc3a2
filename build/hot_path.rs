//! Whether `build.rs` links the `microsim` binary with `scripts/hot-path.ld`.
//! Shared with `tests/it/hot_path.rs`, which checks the decision.

/// Why the hot-path layout is not applied, or `None` when it is.
///
/// - `target_os`: the target's `CARGO_CFG_TARGET_OS`. Only the ELF systems
///   (Linux and the BSDs) link with GNU ld or LLD, which read the script.
/// - `rustflags`: the build's `CARGO_ENCODED_RUSTFLAGS` (flags separated by
///   `\x1f`), and `linker`: `RUSTC_LINKER` when a linker is configured. mold
///   and gold take no `INSERT` linker script, so asking for either skips it.
/// - `setting`: `MICROSIM_HOT_PATH`; `off` skips it.
pub fn skip_reason(target_os: &str, rustflags: &str, linker: Option<&str>, setting: Option<&str>) -> Option<String> {
    if setting == Some("off") {
        return Some("MICROSIM_HOT_PATH=off".to_string());
    }
    if !matches!(target_os, "linux" | "freebsd" | "netbsd" | "openbsd") {
        return Some(format!("target OS {target_os:?} is not an ELF system linked by GNU ld or LLD"));
    }
    let names_other = |s: &str| ["mold", "gold"].into_iter().find(|l| s.contains(l));
    let chosen = rustflags
        .split('\x1f')
        .filter(|f| ["fuse-ld=", "ld-path=", "linker="].iter().any(|k| f.contains(k)))
        .find_map(names_other)
        .or_else(|| linker.and_then(|l| l.rsplit('/').next()).and_then(names_other));
    chosen.map(|l| format!("the build links with {l}, which takes no INSERT linker script"))
}
