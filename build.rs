//! Generates the C header from the Rust sources with cbindgen.
//!
//! The header is written to `$OUT_DIR/workflow_state.h` on every build; the committed
//! copy in `include/` is checked against it by `tests/header.rs`. To update the
//! committed copy after changing the C API, build with `WORKFLOW_STATE_WRITE_HEADER=1`.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=WORKFLOW_STATE_WRITE_HEADER");

    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libworkflow_state.so.{major}");
    }

    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen can generate the header");

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    bindings.write_to_file(out_dir.join("workflow_state.h"));
    if std::env::var_os("WORKFLOW_STATE_WRITE_HEADER").is_some() {
        bindings.write_to_file(crate_dir.join("include").join("workflow_state.h"));
    }
}
