//! `examples/06_custom_op.rs` runs to the end: its custom ops convert (real engine build) and
//! its wrong converter is caught.

#[allow(dead_code)]
#[path = "../06_custom_op.rs"]
mod example;

#[test]
fn custom_op_example_converts() -> anyhow::Result<()> {
    example::run()
}
