//! A small hand-written command-line parser for the numbered examples: `--name value` options
//! and `--name` switches, every name declared up front so that typos are errors.

use std::collections::HashMap;

/// Parsed `--name value` options and `--name` switches.
#[derive(Debug, Clone, Default)]
pub struct Args {
    values: HashMap<String, String>,
    switches: Vec<String>,
}

impl Args {
    /// Parses `args` (without the program name). `options` take a value, `switches` do not;
    /// `--help`/`-h` is reported as the switch `help`. Anything else is an error that quotes
    /// `usage`.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        options: &[&str],
        switches: &[&str],
        usage: &str,
    ) -> anyhow::Result<Self> {
        let mut parsed = Args::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "-h" || arg == "--help" {
                parsed.switches.push("help".into());
                continue;
            }
            let Some(name) = arg.strip_prefix("--") else {
                anyhow::bail!("unexpected argument {arg:?}\n\n{usage}");
            };
            let (name, inline) = match name.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (name, None),
            };
            if options.contains(&name) {
                let value = match inline {
                    Some(v) => v,
                    None => args
                        .next()
                        .ok_or_else(|| anyhow::anyhow!("--{name} needs a value\n\n{usage}"))?,
                };
                if parsed.values.insert(name.to_string(), value).is_some() {
                    anyhow::bail!("--{name} given twice\n\n{usage}");
                }
            } else if switches.contains(&name) && inline.is_none() {
                parsed.switches.push(name.to_string());
            } else {
                anyhow::bail!("unknown option --{name}\n\n{usage}");
            }
        }
        Ok(parsed)
    }

    /// The value of `--name`, if given.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value of `--name`, or an error quoting `usage`.
    pub fn required(&self, name: &str, usage: &str) -> anyhow::Result<&str> {
        self.value(name)
            .ok_or_else(|| anyhow::anyhow!("--{name} is required\n\n{usage}"))
    }

    /// Whether the switch `--name` was given.
    pub fn switch(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }
}

/// The device `--device` names (`cpu`, `cuda`), or by default the fastest there is: candle's
/// CUDA device 0 when this build has the `cuda` feature and a GPU is present, else the CPU.
/// The model is built and traced there (its candle forward is most of the conversion time).
pub fn pick_device(name: Option<&str>) -> anyhow::Result<candle_core::Device> {
    use candle_core::Device;
    match name {
        None | Some("auto") => Ok(match Device::cuda_if_available(0) {
            Ok(d @ Device::Cuda(_)) => d,
            _ => Device::Cpu,
        }),
        Some("cpu") => Ok(Device::Cpu),
        Some("cuda") => Device::new_cuda(0).map_err(|e| {
            anyhow::anyhow!(
                "--device cuda: {e} (build with `--features cuda` on a machine with an NVIDIA GPU)"
            )
        }),
        Some(other) => anyhow::bail!("--device takes cpu, cuda or auto, not {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::Args;

    fn parse(args: &[&str]) -> anyhow::Result<Args> {
        Args::parse(
            args.iter().map(|s| s.to_string()),
            &["arch", "weights"],
            &["fp16"],
            "usage: x",
        )
    }

    #[test]
    fn options_switches_and_errors() -> anyhow::Result<()> {
        let a = parse(&["--arch", "resnet18", "--weights=w.pt", "--fp16"])?;
        assert_eq!(a.value("arch"), Some("resnet18"));
        assert_eq!(a.value("weights"), Some("w.pt"));
        assert!(a.switch("fp16") && !a.switch("help"));
        assert!(a.required("check", "u").is_err());
        assert!(parse(&["--arch"]).is_err());
        assert!(parse(&["--arch", "a", "--arch", "b"]).is_err());
        assert!(parse(&["--archh", "a"]).is_err());
        assert!(parse(&["resnet18"]).is_err());
        assert!(parse(&["--fp16=1"]).is_err());
        assert!(parse(&["-h"])?.switch("help"));
        Ok(())
    }
}
