//! Placeholder example firmware until //fw:sensor (the keyword-spotting model on stored
//! frames) exists: proves the board boots, computes and reports.
#![no_std]
#![no_main]

tinyml_rt::entry!(main);

fn main() -> i32 {
    tinyml_rt::println!("rules_tinyml: hello from bare-metal Rust on an emulated Cortex-M4");
    0
}
