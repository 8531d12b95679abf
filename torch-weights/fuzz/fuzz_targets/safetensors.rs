//! Fuzz target: `torch_weights::fuzz::safetensors` on arbitrary bytes (must never panic).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    torch_weights::fuzz::safetensors(data);
});
