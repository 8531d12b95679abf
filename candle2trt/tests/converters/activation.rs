use candle2trt::{Result, TraceModule, TraceTensor};

use crate::common::{check, randn};

macro_rules! unary_tests {
    ($($test:ident: |$x:ident| $body:expr, $input:expr;)*) => {$(
        #[test]
        fn $test() -> Result<()> {
            model!(M, |$x| $body);
            check(&M, &[$input])?;
            Ok(())
        }
    )*};
}

unary_tests! {
    relu: |x| x.relu(), randn(&[2, 3, 4, 5]);
    relu6: |x| x.relu6(), randn(&[2, 8]).affine(5.0, 0.0).unwrap();
    leaky_relu: |x| x.leaky_relu(0.1), randn(&[2, 8]);
    gelu_tanh: |x| x.gelu_tanh(), randn(&[2, 8]);
    gelu_erf: |x| x.gelu_erf(), randn(&[2, 8]);
    silu: |x| x.silu(), randn(&[2, 3, 4]);
    sigmoid: |x| x.sigmoid(), randn(&[2, 8]);
    tanh: |x| x.tanh(), randn(&[2, 8]);
    elu: |x| x.elu(0.7), randn(&[2, 8]);
    hard_sigmoid: |x| x.hard_sigmoid(), randn(&[2, 8]).affine(4.0, 0.0).unwrap();
    hard_swish: |x| x.hard_swish(), randn(&[2, 8]).affine(4.0, 0.0).unwrap();
    softplus: |x| x.softplus(), randn(&[2, 8]);
    clamp: |x| x.clamp(-0.5, 0.25), randn(&[2, 8]);
    clamp_one_sided: |x| x.clamp(f64::NEG_INFINITY, 0.25), randn(&[2, 8]);
    dropout_is_identity: |x| x.dropout(0.5)?.relu(), randn(&[2, 8]);
}

#[test]
fn candle_nn_activations() -> Result<()> {
    use candle_nn::Activation;
    struct M(Vec<Activation>);
    impl TraceModule for M {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            let mut outs = Vec::new();
            for a in &self.0 {
                outs.push(x.apply(a)?);
            }
            T::cat(&outs, 1)
        }
    }
    let acts = vec![
        Activation::Gelu,
        Activation::NewGelu,
        Activation::Relu,
        Activation::Relu2,
        Activation::Relu6,
        Activation::Silu,
        Activation::Sigmoid,
        Activation::HardSigmoid,
        Activation::Swish,
        Activation::HardSwish,
        Activation::Mish,
        Activation::Elu(1.0),
        Activation::LeakyRelu(0.01),
        Activation::GeluPytorchTanh,
    ];
    check(&M(acts), &[randn(&[2, 6])])?;
    Ok(())
}
