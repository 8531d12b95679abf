//! Pooling against the direct loop and candle.

use super::*;

/// One pooling configuration.
#[derive(Clone, Debug)]
struct Pool {
    name: &'static str,
    input: Vec<usize>,
    kind: PoolingType,
    window: Vec<usize>,
    stride: Vec<usize>,
    pre: Vec<i64>,
    post: Vec<i64>,
    mode: PaddingMode,
    exclusive: bool,
    blend: f32,
}

impl Pool {
    fn new(name: &'static str, input: &[usize], kind: PoolingType, window: &[usize]) -> Self {
        let r = window.len();
        Pool {
            name,
            input: input.to_vec(),
            kind,
            window: window.to_vec(),
            stride: window.to_vec(),
            pre: vec![0; r],
            post: vec![0; r],
            mode: PaddingMode::ExplicitRoundDown,
            exclusive: false,
            blend: 0.0,
        }
    }
    fn stride(mut self, s: &[usize]) -> Self {
        self.stride = s.to_vec();
        self
    }
    fn pad(mut self, pre: &[i64], post: &[i64]) -> Self {
        self.pre = pre.to_vec();
        self.post = post.to_vec();
        self
    }
    fn mode(mut self, m: PaddingMode) -> Self {
        self.mode = m;
        self
    }
    fn exclusive(mut self) -> Self {
        self.exclusive = true;
        self
    }
    fn blend(mut self, b: f32) -> Self {
        self.blend = b;
        self
    }

    /// Pre-padding and the padded input's end per spatial dim (explicit, or NvInfer.h's pooling SAME
    /// formulas: "P = floor((I - 1) / S) * S + F - I", B = floor(P / 2) for SAME_UPPER).
    fn padded(&self) -> Vec<(i64, i64)> {
        let lead = self.input.len() - self.window.len();
        (0..self.window.len())
            .map(|d| {
                let (i, s, f) = (
                    self.input[lead + d] as i64,
                    self.stride[d] as i64,
                    self.window[d] as i64,
                );
                let p = ((i - 1) / s * s + f - i).max(0);
                let (b, a) = match self.mode {
                    PaddingMode::SameUpper => (p / 2, p - p / 2),
                    PaddingMode::SameLower => (p - p / 2, p / 2),
                    _ => (self.pre[d], self.post[d]),
                };
                (b, i + a)
            })
            .collect()
    }
}

/// The direct definition of pooling, in f64: per output `(value, mean |x| over the window)`; the sum over
/// padding-only windows is 0 and their max -inf.
fn reference_pool(p: &Pool, x: &[f32], out_dims: &[usize]) -> Vec<(f64, f64)> {
    let r = p.window.len();
    let lead = p.input.len() - r;
    let planes = prod(&p.input[..lead]);
    let (sp_in, sp_out) = (&p.input[lead..], &out_dims[lead..]);
    let padded = p.padded();
    let mut res = Vec::new();
    for plane in 0..planes {
        let xs = &x[plane * prod(sp_in)..(plane + 1) * prod(sp_in)];
        for o in 0..prod(sp_out) {
            let o = unflat(o, sp_out);
            let (mut max, mut sum, mut abs) = (f64::NEG_INFINITY, 0f64, 0f64);
            let (mut inside, mut in_padded) = (0usize, 0usize);
            for t in 0..prod(&p.window) {
                let t = unflat(t, &p.window);
                let pos: Vec<i64> = (0..r)
                    .map(|d| (o[d] * p.stride[d] + t[d]) as i64 - padded[d].0)
                    .collect();
                if (0..r).all(|d| pos[d] >= -padded[d].0 && pos[d] < padded[d].1) {
                    in_padded += 1;
                }
                if (0..r).all(|d| pos[d] >= 0 && pos[d] < sp_in[d] as i64) {
                    let mut off = 0;
                    for d in 0..r {
                        off = off * sp_in[d] + pos[d] as usize;
                    }
                    let v = xs[off] as f64;
                    max = max.max(v);
                    sum += v;
                    abs += v.abs();
                    inside += 1;
                }
            }
            let count = if p.exclusive { inside } else { in_padded };
            let (avg, mean_abs) = if count == 0 {
                (0.0, 0.0)
            } else {
                (sum / count as f64, abs / count as f64)
            };
            let b = p.blend as f64;
            res.push(match p.kind {
                PoolingType::Max => (max, max.abs()),
                PoolingType::Average => (avg, mean_abs),
                PoolingType::MaxAverageBlend => (
                    (1.0 - b) * max + b * avg,
                    (1.0 - b) * max.abs() + b * mean_abs,
                ),
            });
        }
    }
    res
}

fn pool_cases() -> Vec<Pool> {
    use PaddingMode::*;
    use PoolingType::*;
    vec![
        // max_pool2d: ResNet's 3x3 s2 p1; ceil_mode's extra post-padding; plain 2x2.
        Pool::new("max 3x3 s2 p1", &[1, 3, 11, 10], Max, &[3, 3])
            .stride(&[2, 2])
            .pad(&[1, 1], &[1, 1]),
        Pool::new("max ceil_mode (extra post)", &[2, 2, 8, 7], Max, &[3, 3])
            .stride(&[2, 2])
            .pad(&[0, 0], &[1, 0]),
        Pool::new("max 2x2", &[1, 4, 8, 6], Max, &[2, 2]),
        // avg_pool2d with count_include_pad (exclusive false), adaptive as k = stride.
        Pool::new(
            "avg 3x3 s1 p1 counting padding",
            &[1, 3, 7, 6],
            Average,
            &[3, 3],
        )
        .stride(&[1, 1])
        .pad(&[1, 1], &[1, 1]),
        Pool::new("avg adaptive 2x3", &[2, 3, 6, 9], Average, &[3, 3]),
        Pool::new("avg excluding padding", &[1, 3, 7, 6], Average, &[3, 3])
            .stride(&[2, 2])
            .pad(&[1, 1], &[1, 1])
            .exclusive(),
        // NvInfer.h's other modes and the blend.
        Pool::new("avg ROUND_UP", &[1, 2, 7, 8], Average, &[3, 2])
            .stride(&[2, 3])
            .pad(&[1, 0], &[0, 0])
            .mode(ExplicitRoundUp),
        Pool::new("max ROUND_UP", &[1, 2, 7, 8], Max, &[3, 2])
            .stride(&[2, 3])
            .mode(ExplicitRoundUp),
        Pool::new("avg SAME_UPPER", &[1, 2, 7, 8], Average, &[3, 3])
            .stride(&[2, 3])
            .mode(SameUpper),
        Pool::new("max SAME_LOWER", &[1, 2, 7, 8], Max, &[2, 3])
            .stride(&[2, 2])
            .mode(SameLower),
        Pool::new("blend 0.3", &[1, 2, 6, 6], MaxAverageBlend, &[3, 3])
            .stride(&[1, 1])
            .pad(&[1, 1], &[1, 1])
            .blend(0.3),
        // 1-D pooling as the converters would take it ([k, 1] windows).
        Pool::new("1-D max k3 s2", &[1, 3, 11, 1], Max, &[3, 1])
            .stride(&[2, 1])
            .pad(&[1, 0], &[1, 0]),
        // 3-D: r3d's stem pooling, average with and without padding counted.
        Pool::new("3-D max 1x3x3 s(1,2,2)", &[1, 2, 3, 9, 8], Max, &[1, 3, 3])
            .stride(&[1, 2, 2])
            .pad(&[0, 1, 1], &[0, 1, 1]),
        Pool::new("3-D avg 3x3x3 s2 p1", &[2, 2, 5, 6, 7], Average, &[3, 3, 3])
            .stride(&[2, 2, 2])
            .pad(&[1, 1, 1], &[1, 1, 1]),
        Pool::new("3-D avg exclusive", &[1, 2, 5, 6, 7], Average, &[2, 3, 3])
            .stride(&[2, 2, 2])
            .pad(&[1, 1, 1], &[0, 1, 1])
            .exclusive(),
        Pool::new("3-D max ROUND_UP", &[1, 2, 5, 6, 7], Max, &[2, 2, 2]).mode(ExplicitRoundUp),
    ]
}

fn simulate_pool(p: &Pool, x: &[f32]) -> Option<(Vec<usize>, Vec<f32>)> {
    let lib = common::library()?;
    let logger = Logger::new(Severity::Warning).expect("logger");
    let builder = Builder::new(lib, &logger).expect("builder");
    let net = builder.create_network().expect("network");
    let i64s = |v: &[usize]| v.iter().map(|&x| x as i64).collect::<Vec<_>>();
    let input = net.add_input("x", F, i64s(&p.input)).expect("input");
    let mut pool = Pooling::new(input, p.kind, i64s(&p.window))
        .stride(i64s(&p.stride))
        .pre_post_padding(p.pre.clone(), p.post.clone())
        .exclusive(p.exclusive)
        .blend_factor(p.blend);
    pool.padding_mode = p.mode;
    let y = net.add(pool).expect(p.name).output(0).unwrap();
    output(&net, y);
    let outs = run(&net, &[t(x, &p.input)]);
    Some((outs[0].dims().to_vec(), f32s(&outs[0])))
}

/// Average: the f64 sum then one division rounded to f32 (`u |avg|`, plus the f64 sum's error); max: exact;
/// blend: three more f32 roundings of terms bounded by the blend's magnitude.
fn pool_tolerance(p: &Pool, mean_abs: f64) -> f64 {
    let n = prod(&p.window);
    let f64_sum = n as f64 * f64::EPSILON * mean_abs;
    match p.kind {
        PoolingType::Max => 0.0,
        PoolingType::Average => U * mean_abs + f64_sum,
        PoolingType::MaxAverageBlend => gamma(4) * mean_abs + f64_sum,
    }
}

#[test]
fn pooling_matches_the_direct_loop() {
    for (i, p) in pool_cases().iter().enumerate() {
        let x = values(prod(&p.input), 100 + i as u64);
        let Some((dims, got)) = simulate_pool(p, &x) else {
            return;
        };
        let reference = reference_pool(p, &x, &dims);
        assert_eq!(got.len(), reference.len(), "{}", p.name);
        for (j, (&g, &(v, a))) in got.iter().zip(&reference).enumerate() {
            let bound = pool_tolerance(p, a);
            assert!(
                (g as f64 - v).abs() <= bound || (g as f64 == v),
                "{}: element {j}: {g} vs {v} (bound {bound:e})",
                p.name
            );
        }
    }
}

/// Candle's pooling on the configurations it has: max and average over a padded copy of the input (-inf or
/// zeros: TensorRT's max ignores padding; the converters' average counts it).
#[test]
fn pooling_agrees_with_candle() {
    let mut compared = 0;
    for (i, p) in pool_cases().iter().enumerate() {
        let counted = p.kind == PoolingType::Max || !p.exclusive;
        if p.window.len() != 2 || p.mode != PaddingMode::ExplicitRoundDown || !counted {
            continue;
        }
        let Some(kind) = [PoolingType::Max, PoolingType::Average]
            .into_iter()
            .find(|&k| k == p.kind)
        else {
            continue;
        };
        let x = values(prod(&p.input), 100 + i as u64);
        let Some((dims, got)) = simulate_pool(p, &x) else {
            return;
        };
        let fill = if kind == PoolingType::Max {
            f32::NEG_INFINITY
        } else {
            0.0
        };
        let mut xt = tensor(&x, &p.input);
        for d in 0..2 {
            let axis = 2 + d;
            let mut shape = xt.dims().to_vec();
            let mut parts = Vec::new();
            for (n, before) in [(p.pre[d] as usize, true), (p.post[d] as usize, false)] {
                shape[axis] = n;
                let pad = Tensor::full(fill, shape.clone(), &Device::Cpu).unwrap();
                if n > 0 {
                    parts.push((before, pad));
                }
            }
            let mut all: Vec<Tensor> = parts
                .iter()
                .filter(|(b, _)| *b)
                .map(|(_, t)| t.clone())
                .collect();
            all.push(xt.clone());
            all.extend(parts.iter().filter(|(b, _)| !*b).map(|(_, t)| t.clone()));
            xt = Tensor::cat(&all, axis).unwrap();
        }
        let (k, s) = ((p.window[0], p.window[1]), (p.stride[0], p.stride[1]));
        let y = if kind == PoolingType::Max {
            xt.max_pool2d_with_stride(k, s).unwrap()
        } else {
            xt.avg_pool2d_with_stride(k, s).unwrap()
        };
        let candle = flat(&y);
        assert_eq!(y.dims(), dims, "{}", p.name);
        let reference = reference_pool(p, &x, &dims);
        for (j, ((&g, &c), &(_, a))) in got.iter().zip(&candle).zip(&reference).enumerate() {
            // candle sums in f32: gamma_n of the mean magnitude, on top of our own bound.
            let bound = pool_tolerance(p, a) + gamma(prod(&p.window)) * a;
            assert!(
                (g as f64 - c as f64).abs() <= bound,
                "{}: element {j}: {g} vs candle {c} (bound {bound:e})",
                p.name
            );
        }
        compared += 1;
    }
    assert!(compared >= 5, "only {compared} configurations compared");
}
