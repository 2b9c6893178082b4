//! The committed C header must be exactly what cbindgen generates from the sources.

#[test]
fn committed_header_matches_the_generated_one() {
    let generated = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/workflow_state.h"))
        .expect("build.rs writes the generated header to OUT_DIR");
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/workflow_state.h"))
        .expect("include/workflow_state.h is committed");
    assert!(
        generated == committed,
        "include/workflow_state.h differs from the header generated from src/ffi; \
         regenerate it with `WORKFLOW_STATE_WRITE_HEADER=1 cargo build`, review and commit it"
    );
}
