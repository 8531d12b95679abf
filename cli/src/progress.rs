//! TensorRT's build progress on the terminal: a [`trt::ProgressMonitor`] that draws one
//! `indicatif` bar per build phase (nested phases indented under their parent), or prints plain
//! lines where no terminal is attached.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// Bars when standard error is a terminal, nothing otherwise.
    Auto,
    /// Bars, always.
    Bar,
    /// One line per build phase on standard error (for logs).
    Plain,
    /// Nothing.
    None,
}

/// What TensorRT reported during a build: how many phases started and steps completed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgressCounts {
    /// Phases started.
    pub phases: usize,
    /// Steps completed.
    pub steps: usize,
}

/// The progress display of one conversion: a spinner while the model is traced, then
/// TensorRT's phases.
pub struct BuildProgress {
    mode: ProgressMode,
    multi: MultiProgress,
    tracing: Option<ProgressBar>,
    /// Open phases, outermost first.
    open: Vec<(String, ProgressBar, Instant)>,
    counts: Arc<Mutex<ProgressCounts>>,
}

impl std::fmt::Debug for BuildProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildProgress")
            .field("mode", &self.mode)
            .field("open", &self.open.len())
            .finish_non_exhaustive()
    }
}

impl BuildProgress {
    /// Starts the display (the tracing spinner) in `mode`; `counts` receives what TensorRT
    /// reported.
    pub fn start(mode: ProgressMode, what: &str, counts: Arc<Mutex<ProgressCounts>>) -> Self {
        let bars = match mode {
            ProgressMode::Auto => std::io::IsTerminal::is_terminal(&std::io::stderr()),
            ProgressMode::Bar => true,
            ProgressMode::Plain | ProgressMode::None => false,
        };
        let target = if bars {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        let tracing = multi.add(ProgressBar::new_spinner());
        tracing.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        tracing.set_message(format!("tracing {what}"));
        tracing.enable_steady_tick(std::time::Duration::from_millis(120));
        if mode == ProgressMode::Plain {
            eprintln!("[trace] {what}");
        }
        BuildProgress {
            mode,
            multi,
            tracing: Some(tracing),
            open: Vec::new(),
            counts,
        }
    }

    /// Clears whatever is still drawn (after a failed build).
    pub fn clear(&mut self) {
        if let Some(t) = self.tracing.take() {
            t.finish_and_clear();
        }
        for (_, bar, _) in self.open.drain(..) {
            bar.finish_and_clear();
        }
        let _ = self.multi.clear();
    }

    fn bar_style() -> ProgressStyle {
        ProgressStyle::with_template("{prefix}{msg:<32} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ")
    }
}

impl trt::ProgressMonitor for BuildProgress {
    fn phase_start(&mut self, phase: &str, parent: Option<&str>, nb_steps: i32) {
        if let Some(t) = self.tracing.take() {
            t.finish_and_clear();
        }
        // A phase nests under its parent; close anything the parent does not contain.
        let depth = match parent.and_then(|p| self.open.iter().position(|(n, _, _)| n == p)) {
            Some(i) => i + 1,
            None => 0,
        };
        for (_, bar, _) in self.open.drain(depth..) {
            bar.finish_and_clear();
        }
        let bar = self
            .multi
            .add(ProgressBar::new(u64::try_from(nb_steps).unwrap_or(0)));
        bar.set_style(Self::bar_style());
        bar.set_prefix("  ".repeat(depth));
        bar.set_message(phase.to_string());
        if self.mode == ProgressMode::Plain {
            eprintln!("[build] {}{phase} ({nb_steps} steps)", "  ".repeat(depth));
        }
        self.open.push((phase.to_string(), bar, Instant::now()));
        if let Ok(mut c) = self.counts.lock() {
            c.phases += 1;
        }
    }

    fn step_complete(&mut self, phase: &str, step: i32) -> bool {
        if let Some((_, bar, _)) = self.open.iter().find(|(n, _, _)| n == phase) {
            bar.set_position(u64::try_from(step).unwrap_or(0) + 1);
        }
        if let Ok(mut c) = self.counts.lock() {
            c.steps += 1;
        }
        true
    }

    fn phase_finish(&mut self, phase: &str) {
        if let Some(i) = self.open.iter().position(|(n, _, _)| n == phase) {
            for (name, bar, started) in self.open.drain(i..).rev() {
                bar.finish_and_clear();
                if self.mode == ProgressMode::Plain && name == phase {
                    eprintln!(
                        "[build] {}{phase} done in {:.2} s",
                        "  ".repeat(i),
                        started.elapsed().as_secs_f64()
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trt::ProgressMonitor as _;

    #[test]
    fn phases_nest_and_count() {
        let counts = Arc::new(Mutex::new(ProgressCounts::default()));
        let mut p = BuildProgress::start(ProgressMode::None, "m", counts.clone());
        p.phase_start("Building", None, 3);
        p.phase_start("Tactics", Some("Building"), 10);
        assert!(p.step_complete("Tactics", 0));
        assert_eq!(p.open.len(), 2);
        assert_eq!(p.open[1].1.position(), 1);
        p.phase_finish("Tactics");
        assert_eq!(p.open.len(), 1);
        // A new top-level phase closes the open ones.
        p.phase_start("Serializing", None, 1);
        assert_eq!(p.open.len(), 1);
        p.phase_finish("Serializing");
        assert!(p.open.is_empty());
        assert_eq!(
            *counts.lock().unwrap(),
            ProgressCounts {
                phases: 3,
                steps: 1
            }
        );
    }
}
