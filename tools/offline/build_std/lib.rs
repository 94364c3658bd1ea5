//! Needs `core` and `alloc`, so cargo's build-std builds both for the target.
#![no_std]
extern crate alloc;
