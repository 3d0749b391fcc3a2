//! The hot-path layout of the `microsim` binary (`build.rs`, `scripts/hot-path.ld`):
//! every pattern of the linker script still names a function, and the linker
//! put those functions in the script's section, at the start of the code.
//!
//! Reads the binary's ELF section headers and symbol table directly: 64-bit
//! little-endian ELF, as on x86-64 and AArch64 Linux.
#![cfg(all(target_os = "linux", target_pointer_width = "64", target_endian = "little"))]

use std::path::Path;

#[path = "../../build/hot_path.rs"]
mod rule;

/// The output section `scripts/hot-path.ld` adds.
const SECTION: &str = ".text.microsim_hot";

/// A function of the binary: its name and address.
struct Symbol {
    name: String,
    addr: u64,
}

/// A section of the binary: its name, address and size, and what its header links to.
struct Section {
    name: String,
    addr: u64,
    offset: usize,
    size: usize,
    link: usize,
    kind: u32,
}

fn u16_at(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes(b[at..at + 2].try_into().unwrap()))
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}
fn c_str(b: &[u8], at: usize) -> String {
    let end = b[at..].iter().position(|&c| c == 0).expect("names end with NUL");
    String::from_utf8_lossy(&b[at..at + end]).into_owned()
}

/// The sections of ELF file `elf`.
fn sections(elf: &[u8]) -> Vec<Section> {
    assert_eq!(&elf[..4], b"\x7fELF", "an ELF file");
    assert_eq!(elf[4], 2, "64-bit ELF");
    let (shoff, shentsize, shnum, shstrndx) =
        (u64_at(elf, 0x28) as usize, u16_at(elf, 0x3a), u16_at(elf, 0x3c), u16_at(elf, 0x3e));
    let raw: Vec<_> = (0..shnum).map(|i| &elf[shoff + i * shentsize..shoff + (i + 1) * shentsize]).collect();
    let names_at = u64_at(raw[shstrndx], 0x18) as usize;
    raw.iter()
        .map(|h| Section {
            name: c_str(elf, names_at + u32_at(h, 0) as usize),
            kind: u32_at(h, 4),
            addr: u64_at(h, 0x10),
            offset: u64_at(h, 0x18) as usize,
            size: u64_at(h, 0x20) as usize,
            link: u32_at(h, 0x28) as usize,
        })
        .collect()
}

/// The functions in the symbol table of ELF file `elf`.
fn functions(elf: &[u8], sections: &[Section]) -> Vec<Symbol> {
    const SYMTAB: u32 = 2;
    const FUNC: u8 = 2;
    let symtab = sections.iter().find(|s| s.kind == SYMTAB).expect("the binary keeps its symbol table");
    let strtab = &sections[symtab.link];
    elf[symtab.offset..symtab.offset + symtab.size]
        .chunks_exact(24)
        .filter(|s| s[4] & 0xf == FUNC)
        .map(|s| Symbol { name: c_str(elf, strtab.offset + u32_at(s, 0) as usize), addr: u64_at(s, 8) })
        .collect()
}

/// The function patterns of `scripts/hot-path.ld`: `P` of each `*(.text.P .text.unlikely.P)`.
fn patterns() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/hot-path.ld");
    let script = std::fs::read_to_string(&path).expect("scripts/hot-path.ld is readable");
    script.lines().filter_map(|l| l.trim().strip_prefix("*(.text.")?.split(' ').next().map(str::to_owned)).collect()
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters.
fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            let Some(rest) = name.strip_prefix(head) else { return false };
            (0..=rest.len()).filter(|&i| rest.is_char_boundary(i)).any(|i| glob(tail, &rest[i..]))
        }
    }
}

#[test]
fn the_glob_matches_as_the_linker_does() {
    assert!(glob("_ZN8microsim7runtime5Inner8run_loop17h*", "_ZN8microsim7runtime5Inner8run_loop17h0123456789abcdefE"));
    assert!(glob("a*b*c", "aXbYc") && glob("a*", "a") && glob("*", ""));
    assert!(!glob("a*b", "aXc") && !glob("run", "run_loop") && !glob("a*b*c", "acb"));
}

/// Checked against the test build of the binary, whose own functions have the
/// names they have in a release build. Those of `std` and other crates may not:
/// a test build reuses `std`'s own copies of generic functions, under other
/// names. So only patterns that name this workspace's code must match; they are
/// the ones an edit here makes stale.
#[test]
fn every_hot_path_pattern_of_our_code_names_a_function_of_the_binary() {
    let elf = std::fs::read(env!("CARGO_BIN_EXE_microsim")).expect("the microsim binary is readable");
    let functions = functions(&elf, &sections(&elf));
    let patterns = patterns();
    assert!(patterns.len() >= 20, "scripts/hot-path.ld lists only {} functions", patterns.len());
    let ours: Vec<_> = patterns.iter().filter(|p| p.contains("microsim")).collect();
    assert!(ours.len() >= 20, "scripts/hot-path.ld lists only {} functions of microsim", ours.len());
    let stale: Vec<_> = ours.into_iter().filter(|p| !functions.iter().any(|f| glob(p, &f.name))).collect();
    assert!(stale.is_empty(), "run scripts/hot-path.sh: these patterns name no function of the binary: {stale:#?}");
}

#[test]
fn the_run_loop_and_the_services_sit_in_the_hot_section_first_in_the_code() {
    let elf = std::fs::read(env!("CARGO_BIN_EXE_microsim")).expect("the microsim binary is readable");
    let sections = sections(&elf);
    let hot = sections.iter().find(|s| s.name == SECTION);
    // build.rs says when it links without the layout, and why.
    if let Some(why) = option_env!("MICROSIM_HOT_PATH_SKIPPED") {
        assert!(hot.is_none(), "build.rs skipped the layout ({why}), yet the binary has {SECTION}");
        return;
    }
    let hot =
        hot.unwrap_or_else(|| panic!("the binary has no {SECTION} section: the linker ignored scripts/hot-path.ld"));
    let text = sections.iter().find(|s| s.name == ".text").expect("the binary has a .text section");
    assert!(hot.addr < text.addr, "{SECTION} comes before .text");
    let inside = |f: &Symbol| (hot.addr..hot.addr + hot.size as u64).contains(&f.addr);
    let functions = functions(&elf, &sections);
    for pattern in patterns() {
        for f in functions.iter().filter(|f| glob(&pattern, &f.name)) {
            assert!(inside(f), "{} (pattern {pattern}) is outside {SECTION}", f.name);
        }
    }
}

#[test]
fn the_layout_applies_on_elf_systems_unless_mold_gold_or_off_is_asked_for() {
    let skip = |os, flags, linker, setting| rule::skip_reason(os, flags, linker, setting);
    assert_eq!(skip("linux", "", None, None), None);
    assert_eq!(skip("freebsd", "-Ctarget-cpu=native", None, Some("on")), None);
    assert_eq!(skip("linux", "-C\x1flink-arg=-fuse-ld=lld", Some("/usr/bin/cc"), None), None);
    for (os, flags, linker, setting, why) in [
        ("macos", "", None, None, "not an ELF system"),
        ("windows", "", None, None, "not an ELF system"),
        ("linux", "", None, Some("off"), "MICROSIM_HOT_PATH=off"),
        ("linux", "-C\x1flink-arg=-fuse-ld=mold", None, None, "links with mold"),
        ("linux", "-Clink-arg=-fuse-ld=/usr/local/bin/mold", None, None, "links with mold"),
        ("linux", "-Clink-arg=--ld-path=/usr/bin/ld.gold", None, None, "links with gold"),
        ("linux", "", Some("/opt/mold/bin/mold"), None, "links with mold"),
    ] {
        let reason =
            skip(os, flags, linker, setting).unwrap_or_else(|| panic!("{os} {flags:?} {linker:?} {setting:?} applies"));
        assert!(reason.contains(why), "{os} {flags:?} {linker:?}: {reason}");
    }
}
