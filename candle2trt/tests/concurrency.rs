//! Threads: several conversions at once (each builds its own TensorRT builder and network), and
//! one `TrtModule` shared by threads.

#[macro_use]
mod common;

use std::sync::Arc;

use candle2trt::{convert, ConversionOptions, Error, Result, TrtModule};

use common::randn;

/// `TrtModule` may be shared between threads (`Arc<TrtModule>`): checked at compile time.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<TrtModule>();
};

model!(Relu, |x| x.relu()?.mul_scalar(2.0));
model!(Softmax, |x| x.softmax_last_dim());
model!(Reduce, |x| x.exp()?.sum_keepdim(1));

#[test]
fn conversions_from_several_threads_at_once() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let options = ConversionOptions::default()
        .with_input_names(["x"])
        .with_output_names(["y"])
        .with_dynamic_batch(1, 2, 4);
    // Three models, two threads each, all converting at the same time.
    let results: Vec<(String, Result<TrtModule>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let options = &options;
                s.spawn(move || {
                    let x = randn(&[2, 3 + i % 3]);
                    let m = match i % 3 {
                        0 => convert(&Relu, &[&x], options),
                        1 => convert(&Softmax, &[&x], options),
                        _ => convert(&Reduce, &[&x], options),
                    };
                    (format!("model{}-thread{}", i % 3, i / 3), m)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a conversion thread panicked"))
            .collect()
    });
    assert_eq!(results.len(), 6);
    for (name, module) in results {
        let module = module?;
        let i: usize = name[5..6].parse().unwrap();
        // Every engine is whole: it saves, loads back, and has the I/O its model has.
        let path = dir.path().join(format!("{name}.engine"));
        module.save(&path)?;
        let loaded = TrtModule::load(&path)?;
        assert_eq!(loaded.engine_bytes(), module.engine_bytes(), "{name}");
        assert_eq!(loaded.inputs(), module.inputs(), "{name}");
        assert_eq!(loaded.inputs()[0].dims, [-1, 3 + i as i64], "{name}");
        let out = if i == 2 { 1 } else { 3 + i as i64 };
        assert_eq!(loaded.outputs()[0].dims, [-1, out], "{name}");
        assert_eq!(loaded.outputs()[0].name, "y");
    }
    Ok(())
}

#[test]
fn one_engine_cache_file_from_two_threads() -> Result<()> {
    // Two threads ask for the same cached engine at once: whatever the interleaving, each gets
    // a module and the file left behind is whole (writes are atomic renames).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relu.engine");
    let x = randn(&[2, 3]);
    let options = ConversionOptions::default();
    let modules: Vec<Result<TrtModule>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|_| s.spawn(|| TrtModule::load_or_convert(&path, &Relu, &[&x], &options)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for m in modules {
        assert!(m?.cache_outcome().is_some());
    }
    let again = TrtModule::load_or_convert(&path, &Relu, &[&x], &options)?;
    assert_eq!(
        again.cache_outcome(),
        Some(&candle2trt::CacheOutcome::Loaded)
    );
    Ok(())
}

#[test]
fn one_module_shared_by_threads() -> Result<()> {
    let options = ConversionOptions::default()
        .with_input_names(["x"])
        .with_output_names(["y"]);
    let module = Arc::new(convert(&Relu, &[randn(&[2, 3])], &options)?);
    let dir = tempfile::tempdir().unwrap();
    let errors: Vec<String> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|t| {
                let module = Arc::clone(&module);
                let path = dir.path().join(format!("t{t}.engine"));
                s.spawn(move || {
                    // Reading and saving from every thread at once.
                    module.save(&path).unwrap();
                    assert_eq!(
                        TrtModule::load(&path).unwrap().engine_bytes(),
                        module.engine_bytes()
                    );
                    // forward: on this machine (no CUDA tensors) every thread gets the same
                    // typed refusal, and nothing panics.
                    match module.forward(&[randn(&[2, 3])]) {
                        Err(e @ Error::InvalidInput { index: 0, .. }) => e.to_string(),
                        #[cfg(feature = "cuda")]
                        Err(e @ Error::RuntimeUnavailable(_)) => e.to_string(),
                        other => panic!("thread {t}: unexpected {other:?}"),
                    }
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(errors.len(), 4);
    assert!(errors.iter().all(|e| e == &errors[0]), "{errors:?}");
    assert!(errors[0].contains("CUDA device memory"), "{}", errors[0]);
    Ok(())
}
