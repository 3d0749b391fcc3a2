//! Links the `microsim` binary with its simulation hot path grouped at the start
//! of its code (`scripts/hot-path.ld`, written by `scripts/hot-path.sh`).
//!
//! Scattered over the binary's code, the functions one run executes span about
//! 60 pages; grouped, about 25. The first run of every process (a replay, a
//! `bench peers` row) then takes 3 page faults instead of 15 and runs about 10 %
//! faster (BENCHMARKS.md, "The first run of a process"). The script only adds
//! an output section in front of `.text` (`INSERT BEFORE`), so everything else
//! keeps the linker's default layout, and a pattern that names no function
//! changes nothing.
//!
//! Applied where the linker reads GNU linker scripts: the ELF systems (Linux and
//! the BSDs), linked by GNU ld or LLD (Rust's default on Linux). Skipped when the build's flags ask
//! for mold or gold, which do not take `INSERT`, or when `MICROSIM_HOT_PATH=off`.

use std::env;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=scripts/hot-path.ld");
    println!("cargo:rerun-if-env-changed=MICROSIM_HOT_PATH");
    let elf = matches!(env::var("CARGO_CFG_TARGET_OS").as_deref(), Ok("linux" | "freebsd" | "netbsd" | "openbsd"));
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let other_linker = ["mold", "gold"].iter().any(|l| flags.contains(&format!("fuse-ld={l}")));
    let off = env::var("MICROSIM_HOT_PATH").is_ok_and(|v| v == "off");
    if !elf || other_linker || off {
        return;
    }
    let script = Path::new(&env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join("hot-path.ld");
    if !script.is_file() {
        println!("cargo:warning={} not found: linking without the hot-path layout", script.display());
        return;
    }
    // `-T FILE` as two arguments: both a C compiler driving the link and a
    // linker called directly take it that way.
    println!("cargo:rustc-link-arg-bin=microsim=-T");
    println!("cargo:rustc-link-arg-bin=microsim={}", script.display());
}
