//! The smallest firmware that proves a board works: it starts, runs library code, prints,
//! and exits with a status the test checks.
#![no_std]
#![no_main]

tinyml_rt::entry!(main);

fn main() -> i32 {
    let dot = core_probe::dot_i8(&[1, -2, 3, 4], &[5, 6, -7, 8]);
    tinyml_rt::println!("hello from tinyml_rt");
    tinyml_rt::println!("dot = {dot}");
    3
}
