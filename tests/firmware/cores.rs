//! Every core of the board starts, runs on its own stack, and wakes core 0 with a notify.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicUsize, Ordering};
use tinyml_rt::cores;

tinyml_rt::entry!(main);

/// Per core: the address of a local variable of its entry, 0 until it ran.
static STACK_ADDRESSES: [AtomicUsize; cores::COUNT] = [const { AtomicUsize::new(0) }; cores::COUNT];

fn check_in() {
    let local = 0_u8;
    let address = core::hint::black_box(&local) as *const u8 as usize;
    STACK_ADDRESSES[cores::id()].store(address, Ordering::Release);
    cores::notify();
}

fn all_checked_in() -> bool {
    STACK_ADDRESSES[1..]
        .iter()
        .all(|address| address.load(Ordering::Acquire) != 0)
}

fn main() -> i32 {
    check_in();
    for core in 1..cores::COUNT {
        if let Err(error) = cores::start(core, check_in) {
            tinyml_rt::println!("core {core} did not start: {error:?}");
            return 1;
        }
    }
    tinyml_rt::println!("start(0): {:?}", cores::start(0, check_in));
    tinyml_rt::println!(
        "start({}): {:?}",
        cores::COUNT,
        cores::start(cores::COUNT, check_in)
    );
    if cores::COUNT > 1 {
        tinyml_rt::println!("start(1) again: {:?}", cores::start(1, check_in));
    }
    while !all_checked_in() {
        cores::wait();
    }
    let mut addresses = [0; cores::COUNT];
    for (address, slot) in addresses.iter_mut().zip(&STACK_ADDRESSES) {
        *address = slot.load(Ordering::Acquire);
    }
    let distinct =
        (0..cores::COUNT).all(|i| (i + 1..cores::COUNT).all(|j| addresses[i] != addresses[j]));
    tinyml_rt::println!(
        "{} cores ran, on distinct stacks: {}",
        cores::COUNT,
        distinct
    );
    3
}
