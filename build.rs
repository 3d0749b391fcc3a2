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
//! When it applies is decided in `build/hot_path.rs`: on the ELF systems, unless
//! the build links with mold or gold or `MICROSIM_HOT_PATH=off`.

use std::env;
use std::path::Path;

#[path = "build/hot_path.rs"]
mod hot_path;

fn main() {
    println!("cargo:rerun-if-changed=scripts/hot-path.ld");
    println!("cargo:rerun-if-changed=build/hot_path.rs");
    println!("cargo:rerun-if-env-changed=MICROSIM_HOT_PATH");
    let var = |name| env::var(name).ok();
    let skip = hot_path::skip_reason(
        &var("CARGO_CFG_TARGET_OS").unwrap_or_default(),
        &var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default(),
        var("RUSTC_LINKER").as_deref(),
        var("MICROSIM_HOT_PATH").as_deref(),
    );
    let script = Path::new(&env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join("hot-path.ld");
    let skip = skip.or_else(|| {
        let missing = format!("{} not found", script.display());
        (!script.is_file()).then(|| {
            println!("cargo:warning={missing}: linking without the hot-path layout");
            missing
        })
    });
    // Tells the package's tests what was decided (tests/it/hot_path.rs).
    if let Some(reason) = skip {
        println!("cargo:rustc-env=MICROSIM_HOT_PATH_SKIPPED={reason}");
        return;
    }
    // `-T FILE` as two arguments: both a C compiler driving the link and a
    // linker called directly take it that way.
    println!("cargo:rustc-link-arg-bin=microsim=-T");
    println!("cargo:rustc-link-arg-bin=microsim={}", script.display());
}
