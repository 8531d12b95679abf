//! Model zoo used by the examples and benches.
