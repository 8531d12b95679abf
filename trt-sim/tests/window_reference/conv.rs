//! Convolution and deconvolution against the direct loops and candle.

use super::*;

/// One convolution or deconvolution configuration.
#[derive(Clone, Debug)]
struct Conv {
    name: &'static str,
    /// `[N, C, *spatial]`.
    input: Vec<usize>,
    maps: usize,
    kernel: Vec<usize>,
    stride: Vec<usize>,
    dilation: Vec<usize>,
    pre: Vec<i64>,
    post: Vec<i64>,
    groups: usize,
    mode: PaddingMode,
}

impl Conv {
    fn new(name: &'static str, input: &[usize], maps: usize, kernel: &[usize]) -> Self {
        let r = kernel.len();
        Conv {
            name,
            input: input.to_vec(),
            maps,
            kernel: kernel.to_vec(),
            stride: vec![1; r],
            dilation: vec![1; r],
            pre: vec![0; r],
            post: vec![0; r],
            groups: 1,
            mode: PaddingMode::ExplicitRoundDown,
        }
    }
    fn stride(mut self, s: &[usize]) -> Self {
        self.stride = s.to_vec();
        self
    }
    fn dilation(mut self, d: &[usize]) -> Self {
        self.dilation = d.to_vec();
        self
    }
    fn pad(mut self, pre: &[i64], post: &[i64]) -> Self {
        self.pre = pre.to_vec();
        self.post = post.to_vec();
        self
    }
    fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }
    fn mode(mut self, m: PaddingMode) -> Self {
        self.mode = m;
        self
    }
    fn c(&self) -> usize {
        self.input[1]
    }
    fn taps(&self) -> usize {
        prod(&self.kernel)
    }
    fn i64s(v: &[usize]) -> Vec<i64> {
        v.iter().map(|&x| x as i64).collect()
    }

    /// The pre-padding the windows start from: explicit, or NvInfer.h's SAME formulas ("P = floor((I - 1) /
    /// S) * S + DK - I" for convolution, "P = max(DK - S, 0)" for deconvolution; B = floor(P / 2) for
    /// SAME_UPPER, P - floor(P / 2) for SAME_LOWER; P at least 0).
    fn pre_used(&self, transposed: bool) -> Vec<i64> {
        (0..self.kernel.len())
            .map(|d| {
                let (i, s) = (self.input[2 + d] as i64, self.stride[d] as i64);
                let dk = 1 + self.dilation[d] as i64 * (self.kernel[d] as i64 - 1);
                let p = if transposed {
                    (dk - s).max(0)
                } else {
                    ((i - 1) / s * s + dk - i).max(0)
                };
                match self.mode {
                    PaddingMode::SameUpper => p / 2,
                    PaddingMode::SameLower => p - p / 2,
                    _ => self.pre[d],
                }
            })
            .collect()
    }
}

/// Simulates `case` as a convolution (or deconvolution) with kernel `w` and bias `b`; returns the output
/// dims (TensorRT's, checked by the simulator) and values. `as_inputs`: kernel and bias as layer inputs 1 and 2
/// (constant tensors) instead of weights.
fn simulate(
    case: &Conv,
    transposed: bool,
    x: &[f32],
    w: &[f32],
    b: &[f32],
    tf32: bool,
    as_inputs: bool,
) -> Option<(Vec<usize>, Vec<f32>)> {
    let lib = common::library()?;
    let logger = Logger::new(Severity::Warning).expect("logger");
    let builder = Builder::new(lib, &logger).expect("builder");
    let net = builder.create_network().expect("network");
    let input = net
        .add_input("x", F, Conv::i64s(&case.input))
        .expect("input");
    let kernel = Conv::i64s(&case.kernel);
    let kw = if as_inputs {
        Weights::empty(F)
    } else {
        Weights::from_f32(w)
    };
    let wdims: Vec<i64> = if transposed {
        [case.c() as i64, (case.maps / case.groups) as i64]
    } else {
        [case.maps as i64, (case.c() / case.groups) as i64]
    }
    .into_iter()
    .chain(kernel.iter().copied())
    .collect();
    macro_rules! configure {
        ($ty:ident) => {{
            let mut l = $ty::new(input, case.maps as i64, kernel.clone(), kw)
                .stride(Conv::i64s(&case.stride))
                .dilation(Conv::i64s(&case.dilation))
                .pre_post_padding(case.pre.clone(), case.post.clone())
                .groups(case.groups as i64)
                .padding_mode(case.mode);
            if as_inputs {
                l = l.kernel_tensor(constant(&net, w, &wdims));
                l.bias_tensor = Some(constant(&net, b, &[b.len() as i64]));
            } else {
                l = l.bias(Weights::from_f32(b));
            }
            net.add(l).expect(case.name).output(0).unwrap()
        }};
    }
    let y = if transposed {
        configure!(Deconvolution)
    } else {
        configure!(Convolution)
    };
    output(&net, y);
    let outs = run_with(&net, &[t(x, &case.input)], tf32);
    Some((outs[0].dims().to_vec(), f32s(&outs[0])))
}

/// The direct definition of convolution, in f64: `(value, sum of |terms|)` per output element of `out_dims`.
fn reference_conv(
    case: &Conv,
    x: &[f32],
    w: &[f32],
    b: &[f32],
    out_dims: &[usize],
) -> Vec<(f64, f64)> {
    let r = case.kernel.len();
    let (cg, kg) = (case.c() / case.groups, case.maps / case.groups);
    let pre = case.pre_used(false);
    let xs = strides(&case.input);
    let sp_out = &out_dims[2..];
    let mut res = Vec::with_capacity(prod(out_dims));
    for n in 0..out_dims[0] {
        for (k, &bias) in b.iter().enumerate().take(case.maps) {
            let g = k / kg;
            for o in 0..prod(sp_out) {
                let o = unflat(o, sp_out);
                let (mut v, mut a) = (bias as f64, (bias as f64).abs());
                for ci in 0..cg {
                    let c = g * cg + ci;
                    for t in 0..case.taps() {
                        let t = unflat(t, &case.kernel);
                        let mut off = n * xs[0] + c * xs[1];
                        let mut inside = true;
                        for d in 0..r {
                            let i =
                                (o[d] * case.stride[d] + t[d] * case.dilation[d]) as i64 - pre[d];
                            inside &= i >= 0 && i < case.input[2 + d] as i64;
                            off += i.max(0) as usize * xs[2 + d];
                        }
                        if inside {
                            let mut wi = k * cg + ci;
                            for (&kd, &td) in case.kernel.iter().zip(&t) {
                                wi = wi * kd + td;
                            }
                            let p = w[wi] as f64 * x[off] as f64;
                            v += p;
                            a += p.abs();
                        }
                    }
                }
                res.push((v, a));
            }
        }
    }
    res
}

/// The direct definition of deconvolution, in f64: input position `i` adds `x[c, i] * w[c, k, t]` to output
/// `i * S + t * D - B`, kept where that lies in the output.
fn reference_deconv(
    case: &Conv,
    x: &[f32],
    w: &[f32],
    b: &[f32],
    out_dims: &[usize],
) -> Vec<(f64, f64)> {
    let r = case.kernel.len();
    let (cg, kg) = (case.c() / case.groups, case.maps / case.groups);
    let pre = case.pre_used(true);
    let os = strides(out_dims);
    let sp_in = &case.input[2..];
    let mut res: Vec<(f64, f64)> = (0..prod(out_dims))
        .map(|i| {
            let k = (i / os[1]) % case.maps;
            (b[k] as f64, (b[k] as f64).abs())
        })
        .collect();
    for n in 0..case.input[0] {
        for c in 0..case.c() {
            let g = c / cg;
            for i in 0..prod(sp_in) {
                let xv = x[(n * case.c() + c) * prod(sp_in) + i] as f64;
                let i = unflat(i, sp_in);
                for kl in 0..kg {
                    for t in 0..case.taps() {
                        let ti = unflat(t, &case.kernel);
                        let mut off = n * os[0] + (g * kg + kl) * os[1];
                        let mut inside = true;
                        for d in 0..r {
                            let o =
                                (i[d] * case.stride[d] + ti[d] * case.dilation[d]) as i64 - pre[d];
                            inside &= o >= 0 && o < out_dims[2 + d] as i64;
                            off += o.max(0) as usize * os[2 + d];
                        }
                        if inside {
                            let p = xv * w[(c * kg + kl) * case.taps() + t] as f64;
                            res[off].0 += p;
                            res[off].1 += p.abs();
                        }
                    }
                }
            }
        }
    }
    res
}

/// Every convolution configuration the converters emit, the other padding modes, and 3-D windows.
fn conv_cases() -> Vec<Conv> {
    use PaddingMode::*;
    vec![
        // conv2d: torchvision stems and blocks.
        Conv::new("stem 7x7 s2 p3", &[1, 3, 17, 15], 8, &[7, 7])
            .stride(&[2, 2])
            .pad(&[3, 3], &[3, 3]),
        Conv::new("3x3 s1 p1 batch 2", &[2, 5, 9, 8], 6, &[3, 3]).pad(&[1, 1], &[1, 1]),
        Conv::new("3x3 dilation 2 p2", &[1, 4, 11, 10], 3, &[3, 3])
            .dilation(&[2, 2])
            .pad(&[2, 2], &[2, 2]),
        Conv::new("pointwise 1x1", &[2, 16, 7, 6], 12, &[1, 1]),
        Conv::new("1x1 stride 2 (downsample)", &[1, 8, 9, 9], 16, &[1, 1]).stride(&[2, 2]),
        // conv2d_padded: F.pad's asymmetric padding folded into the convolution's.
        Conv::new("F.pad asymmetric", &[1, 3, 8, 9], 4, &[3, 3])
            .stride(&[2, 2])
            .pad(&[1, 0], &[2, 1]),
        Conv::new("depthwise 3x3 s2", &[2, 6, 10, 9], 6, &[3, 3])
            .stride(&[2, 2])
            .pad(&[1, 1], &[1, 1])
            .groups(6),
        Conv::new("depthwise 5x5 s1 (EfficientNet)", &[1, 4, 9, 9], 4, &[5, 5])
            .pad(&[2, 2], &[2, 2])
            .groups(4),
        Conv::new("depthwise, 2 maps per channel", &[1, 3, 7, 8], 6, &[3, 3])
            .pad(&[1, 1], &[1, 1])
            .groups(3),
        Conv::new("grouped 2 channels per group", &[1, 8, 7, 7], 4, &[3, 3])
            .pad(&[1, 1], &[1, 1])
            .groups(4),
        Conv::new("grouped pointwise batch 2", &[2, 6, 5, 5], 9, &[1, 1]).groups(3),
        // conv1d: (N, C, L) as (N, C, L, 1) with a (k, 1) kernel.
        Conv::new("conv1d k3 s2 p1 d2", &[2, 4, 13, 1], 5, &[3, 1])
            .stride(&[2, 1])
            .dilation(&[2, 1])
            .pad(&[1, 0], &[1, 0]),
        Conv::new("conv1d depthwise", &[1, 4, 10, 1], 4, &[5, 1])
            .pad(&[2, 0], &[2, 0])
            .groups(4),
        // NvInfer.h's other padding modes.
        Conv::new("SAME_UPPER s2", &[1, 3, 8, 7], 4, &[3, 4])
            .stride(&[2, 2])
            .mode(SameUpper),
        Conv::new("SAME_LOWER s2", &[1, 3, 8, 7], 4, &[3, 4])
            .stride(&[2, 2])
            .mode(SameLower),
        Conv::new("EXPLICIT_ROUND_UP", &[1, 2, 8, 7], 3, &[3, 2])
            .stride(&[2, 3])
            .pad(&[1, 0], &[0, 1])
            .mode(ExplicitRoundUp),
        // 3-D: r3d's stem and blocks, r2plus1d's (1, k, k) and (k, 1, 1) factorization, depthwise, dilation.
        Conv::new("3-D stem 3x7x7 s(1,2,2)", &[1, 3, 5, 13, 12], 4, &[3, 7, 7])
            .stride(&[1, 2, 2])
            .pad(&[1, 3, 3], &[1, 3, 3]),
        Conv::new("3-D 3x3x3 s2 p1 batch 2", &[2, 4, 6, 7, 5], 5, &[3, 3, 3])
            .stride(&[2, 2, 2])
            .pad(&[1, 1, 1], &[1, 1, 1]),
        Conv::new("3-D 1x3x3", &[1, 3, 4, 6, 6], 4, &[1, 3, 3]).pad(&[0, 1, 1], &[0, 1, 1]),
        Conv::new("3-D 3x1x1 s(2,1,1)", &[1, 4, 7, 3, 3], 2, &[3, 1, 1])
            .stride(&[2, 1, 1])
            .pad(&[1, 0, 0], &[1, 0, 0]),
        Conv::new("3-D pointwise", &[1, 6, 3, 4, 5], 4, &[1, 1, 1]),
        Conv::new("3-D depthwise dilated", &[1, 4, 6, 7, 7], 4, &[3, 3, 3])
            .dilation(&[1, 2, 1])
            .pad(&[1, 2, 0], &[1, 1, 2])
            .groups(4),
        Conv::new("3-D grouped SAME_UPPER", &[1, 4, 5, 6, 5], 6, &[2, 3, 3])
            .stride(&[1, 2, 2])
            .groups(2)
            .mode(SameUpper),
    ]
}

fn deconv_cases() -> Vec<Conv> {
    use PaddingMode::*;
    vec![
        // conv_transpose2d: pre = padding, post = padding - output_padding.
        Conv::new("4x4 s2 p1 (DCGAN)", &[1, 4, 5, 4], 3, &[4, 4])
            .stride(&[2, 2])
            .pad(&[1, 1], &[1, 1]),
        Conv::new("3x3 s2 p1 output_padding 1", &[2, 3, 4, 5], 2, &[3, 3])
            .stride(&[2, 2])
            .pad(&[1, 1], &[0, 0]),
        Conv::new("3x3 s2 dilation 2 p2", &[1, 2, 4, 3], 3, &[3, 3])
            .stride(&[2, 2])
            .dilation(&[2, 2])
            .pad(&[2, 2], &[2, 2]),
        Conv::new("2x2 s2 no padding (U-Net)", &[1, 6, 3, 4], 3, &[2, 2]).stride(&[2, 2]),
        Conv::new("stride per axis", &[1, 2, 3, 4], 2, &[3, 2])
            .stride(&[3, 1])
            .pad(&[1, 0], &[0, 1]),
        Conv::new("groups 2 batch 2", &[2, 4, 3, 3], 6, &[3, 3])
            .stride(&[2, 2])
            .pad(&[1, 1], &[1, 1])
            .groups(2),
        Conv::new("SAME_UPPER s2", &[1, 2, 3, 4], 3, &[3, 3])
            .stride(&[2, 2])
            .mode(SameUpper),
        Conv::new("SAME_LOWER s2", &[1, 2, 3, 4], 3, &[4, 3])
            .stride(&[2, 2])
            .mode(SameLower),
        Conv::new("3-D 2x2x2 s2", &[1, 3, 2, 3, 3], 2, &[2, 2, 2]).stride(&[2, 2, 2]),
        Conv::new(
            "3-D 3x3x3 s(1,2,2) p1 op(0,1,1)",
            &[1, 2, 3, 4, 3],
            3,
            &[3, 3, 3],
        )
        .stride(&[1, 2, 2])
        .pad(&[1, 1, 1], &[1, 0, 0]),
    ]
}

fn conv_test(transposed: bool, tf32: bool, as_inputs: bool) {
    let cases = if transposed {
        deconv_cases()
    } else {
        conv_cases()
    };
    for (i, case) in cases.iter().enumerate() {
        let cg = case.c() / case.groups;
        let kg = case.maps / case.groups;
        let wn = if transposed {
            case.c() * kg * case.taps()
        } else {
            case.maps * cg * case.taps()
        };
        let x = values(prod(&case.input), 3 * i as u64 + 1);
        let w = values(wn, 3 * i as u64 + 2);
        let b = values(case.maps, 3 * i as u64 + 3);
        let Some((dims, got)) = simulate(case, transposed, &x, &w, &b, tf32, as_inputs) else {
            return;
        };
        // TF32 rounds the input and the kernel, not the bias (NvInfer.h's kTF32 covers the multiply inputs).
        let (xr, wr): (Vec<f32>, Vec<f32>) = if tf32 {
            (
                x.iter().map(|&v| trt_sim::round_tf32(v)).collect(),
                w.iter().map(|&v| trt_sim::round_tf32(v)).collect(),
            )
        } else {
            (x.clone(), w.clone())
        };
        let reference = if transposed {
            reference_deconv(case, &xr, &wr, &b, &dims)
        } else {
            reference_conv(case, &xr, &wr, &b, &dims)
        };
        // Terms per output: the bias and at most every (channel, tap) product reaching it.
        let n = 1 + if transposed { case.c() } else { cg } * case.taps();
        let what = format!("{} (tf32 {tf32}, kernel as input {as_inputs})", case.name);
        check(&what, &got, &reference, n, 1.0);
        if tf32 {
            // The rounding happened: f32 operands give a different result beyond the bound somewhere.
            let exact = if transposed {
                reference_deconv(case, &x, &w, &b, &dims)
            } else {
                reference_conv(case, &x, &w, &b, &dims)
            };
            let moved = got
                .iter()
                .zip(&exact)
                .any(|(&g, &(v, a))| (g as f64 - v).abs() > gamma(n) * a);
            assert!(moved, "{what}: TF32 rounding left no trace");
        }
    }
}

#[test]
fn convolution_matches_the_direct_loop() {
    conv_test(false, false, false);
}

#[test]
fn convolution_rounds_input_and_kernel_to_tf32() {
    conv_test(false, true, false);
}

#[test]
fn convolution_with_kernel_and_bias_as_inputs() {
    conv_test(false, false, true);
    conv_test(false, true, true);
}

#[test]
fn deconvolution_matches_the_direct_loop() {
    conv_test(true, false, false);
    conv_test(true, true, false);
    conv_test(true, false, true);
}

/// TensorRT takes 1-D convolutions only as 2-D ones with a unit dim (how the converters emit them, and the
/// `conv1d` cases above): a 1-D kernel is refused when the layer is added ("Only 2D or 3D convolution is
/// supported").
#[test]
fn tensorrt_refuses_one_d_kernels() {
    network!(net);
    let x = net.add_input("x", F, [1, 3, 11]).unwrap();
    let conv = Convolution::new(x, 4, [3], Weights::from_f32(&[0.5; 36]));
    let Err(err) = net.add(conv) else {
        panic!("TensorRT accepted a 1-D convolution");
    };
    assert!(err.to_string().contains("nbDims == 2"), "{err}");
}

/// Candle's own kernels on the configurations candle has (one stride and dilation for both dims; asymmetric
/// padding as zeros padded onto the input first).
#[test]
fn convolution_agrees_with_candle() {
    let mut compared = 0;
    for (i, case) in conv_cases().iter().enumerate() {
        let r = case.kernel.len();
        let uniform = case.stride.iter().all(|&s| s == case.stride[0])
            && case.dilation.iter().all(|&d| d == case.dilation[0]);
        let conv1d = r == 2 && case.input[3] == 1 && case.kernel[1] == 1 && case.pre[1] == 0;
        if r != 2 || case.mode != PaddingMode::ExplicitRoundDown || !(uniform || conv1d) {
            continue;
        }
        let (cg, n) = (
            case.c() / case.groups,
            1 + case.c() / case.groups * case.taps(),
        );
        let x = values(prod(&case.input), 3 * i as u64 + 1);
        let w = values(case.maps * cg * case.taps(), 3 * i as u64 + 2);
        let b = values(case.maps, 3 * i as u64 + 3);
        let Some((dims, got)) = simulate(case, false, &x, &w, &b, false, false) else {
            return;
        };
        let reference = reference_conv(case, &x, &w, &b, &dims);
        let mut xt = tensor(&x, &case.input);
        for d in 0..2 {
            xt = xt
                .pad_with_zeros(2 + d, case.pre[d] as usize, case.post[d] as usize)
                .unwrap();
        }
        let bias = tensor(&b, &[1, case.maps, 1]);
        let y = if conv1d {
            let k = tensor(&w, &[case.maps, cg, case.kernel[0]]);
            xt.squeeze(3)
                .unwrap()
                .conv1d(&k, 0, case.stride[0], case.dilation[0], case.groups)
                .unwrap()
                .broadcast_add(&bias)
                .unwrap()
        } else {
            let k = tensor(&w, &[case.maps, cg, case.kernel[0], case.kernel[1]]);
            xt.conv2d(&k, 0, case.stride[0], case.dilation[0], case.groups)
                .unwrap()
                .broadcast_add(&bias.unsqueeze(3).unwrap())
                .unwrap()
        };
        agree(case.name, &got, &flat(&y), &reference, n);
        compared += 1;
    }
    assert!(compared >= 10, "only {compared} configurations compared");
}

#[test]
fn deconvolution_agrees_with_candle() {
    let mut compared = 0;
    for (i, case) in deconv_cases().iter().enumerate() {
        let uniform = case.kernel.len() == 2
            && case.stride[0] == case.stride[1]
            && case.dilation[0] == case.dilation[1]
            && case.pre[0] == case.pre[1]
            && case.post[0] == case.post[1];
        if !uniform || case.groups != 1 || case.mode != PaddingMode::ExplicitRoundDown {
            continue;
        }
        let x = values(prod(&case.input), 3 * i as u64 + 1);
        let w = values(case.c() * case.maps * case.taps(), 3 * i as u64 + 2);
        let b = values(case.maps, 3 * i as u64 + 3);
        let Some((dims, got)) = simulate(case, true, &x, &w, &b, false, false) else {
            return;
        };
        let reference = reference_deconv(case, &x, &w, &b, &dims);
        // PyTorch's output_padding = pre - post (the converter's reading).
        let (pad, out_pad) = (case.pre[0] as usize, (case.pre[0] - case.post[0]) as usize);
        let k = tensor(&w, &[case.c(), case.maps, case.kernel[0], case.kernel[1]]);
        let y = tensor(&x, &case.input)
            .conv_transpose2d(&k, pad, out_pad, case.stride[0], case.dilation[0])
            .unwrap()
            .broadcast_add(&tensor(&b, &[1, case.maps, 1, 1]))
            .unwrap();
        agree(
            case.name,
            &got,
            &flat(&y),
            &reference,
            1 + case.c() * case.taps(),
        );
        compared += 1;
    }
    assert!(compared >= 3, "only {compared} configurations compared");
}
