//! libFuzzer entry point: runs one script (see src/script.rs) and checks that it leaves
//! no memory behind.

#![no_main]

use workflow_state_fuzz::{live_bytes, run};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let before = live_bytes();
    run(data);
    if live_bytes() > before {
        // The first run of a path may set up what lives as long as the process (SQLite's
        // globals, the standard library's); a leak grows again on a second run.
        let again = live_bytes();
        run(data);
        let leaked = live_bytes() - again;
        assert!(leaked <= 0, "this input leaks {leaked} bytes per run");
    }
});
