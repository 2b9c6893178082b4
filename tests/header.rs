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

/// Every name the header gives C programs is the library's own: a macro, type or
/// function without the `ws_`/`WS_` prefix would collide with the application's names
/// (0.1 leaked `MAX_DEPTH`, a constant of the Rust core, this way).
#[test]
fn every_name_in_the_header_has_the_library_prefix() {
    let header =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/workflow_state.h")).unwrap();
    let mut names = Vec::new();
    for line in header.lines() {
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix("#define ") {
            names.push(rest.split_whitespace().next().unwrap_or_default().to_string());
        } else if let Some(rest) = line.strip_prefix("typedef ") {
            let name = rest.trim_end_matches(';').rsplit(|c: char| !c.is_alphanumeric() && c != '_').next();
            names.push(name.unwrap_or_default().to_string());
        } else if line.contains('(')
            && !line.starts_with('*')
            && !line.starts_with("/*")
            && !line.starts_with('#')
        {
            if let Some(name) = line.split('(').next().and_then(|head| head.split_whitespace().last()) {
                names.push(name.trim_start_matches('*').to_string());
            }
        }
    }
    let foreign: Vec<&String> = names
        .iter()
        .filter(|n| {
            !n.is_empty() && !n.starts_with("ws_") && !n.starts_with("WS_") && *n != "WORKFLOW_STATE_H"
        })
        .collect();
    assert!(names.len() > 40, "the header's names were found: {names:?}");
    assert!(foreign.is_empty(), "names without the ws_/WS_ prefix in the header: {foreign:?}");
}
