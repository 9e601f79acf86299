//! Our im2col `Conv2D` against burn's `Conv2d` (forward pass and every gradient, on flex and
//! ndarray), and its forward pass against an independent scipy reference
//! (`fixtures/make_conv_fixture.py`).

use burn::module::Param;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2dConfig;
use burn::tensor::{Device, Gradients, Tensor, TensorData};
use lab_engine::conv::{Conv2D, same_padding};
use lab_engine::lab_spec::Padding;
use lab_engine::weights::conv_from_keras;

#[allow(deprecated)] // burn 0.22 deprecates ndarray; the worker still uses it
fn devices() -> Vec<(&'static str, Device)> {
    vec![
        ("flex", Device::flex().autodiff()),
        ("ndarray", Device::ndarray().autodiff()),
    ]
}

/// Deterministic values in [-1, 1) (a small LCG).
fn values(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn tensor<const D: usize>(shape: [usize; D], seed: u64, device: &Device) -> Tensor<D> {
    let len = shape.iter().product();
    Tensor::from_data(TensorData::new(values(len, seed), shape), device)
}

fn vec_of<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

fn assert_close(what: &str, a: Vec<f32>, b: Vec<f32>, tol: f32) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs() / (1.0 + y.abs()))
        .fold(0.0f32, f32::max);
    assert!(worst <= tol, "{what}: differs by {worst}");
}

/// Two convolutions' outputs `ya`, `yb` of the same input (`xa`, `xb`: two gradient-tracked
/// copies) agree, and so do the gradients of a random weighting of them with respect to the
/// input and to the kernels `ka`, `kb`. Gives the two gradient sets back.
fn assert_same_pass(
    what: &str,
    (xa, ya, ka): (&Tensor<4>, Tensor<4>, Tensor<4>),
    (xb, yb, kb): (&Tensor<4>, Tensor<4>, Tensor<4>),
    seed: u64,
) -> (Gradients, Gradients) {
    assert_eq!(ya.dims(), yb.dims(), "{what}: output shape");
    let r = tensor(ya.dims(), seed, &ya.device());
    assert_close(
        &format!("{what} forward"),
        vec_of(ya.clone()),
        vec_of(yb.clone()),
        1e-4,
    );
    let ga = (ya * r.clone()).sum().backward();
    let gb = (yb * r).sum().backward();
    assert_close(
        &format!("{what} d/dx"),
        vec_of(xa.grad(&ga).unwrap()),
        vec_of(xb.grad(&gb).unwrap()),
        1e-4,
    );
    assert_close(
        &format!("{what} d/dkernel"),
        vec_of(ka.grad(&ga).unwrap()),
        vec_of(kb.grad(&gb).unwrap()),
        1e-4,
    );
    (ga, gb)
}

struct Case {
    channels: usize,
    filters: usize,
    kernel: usize,
    strides: usize,
    padding: Padding,
    side: (usize, usize),
}

/// Shapes of every kind: valid and same padding (odd totals included), strides 1–3,
/// kernels 1–5, one and many channels.
fn cases() -> [Case; 9] {
    [
        (1, 32, 3, 1, Padding::Valid, (28, 28)),
        (32, 64, 3, 1, Padding::Valid, (13, 13)),
        (3, 5, 3, 1, Padding::Same, (9, 7)),
        (4, 6, 3, 2, Padding::Same, (11, 10)),
        (4, 6, 3, 2, Padding::Valid, (11, 10)),
        (2, 3, 2, 2, Padding::Same, (7, 7)),
        (3, 4, 5, 3, Padding::Same, (10, 11)),
        (5, 7, 1, 1, Padding::Valid, (6, 5)),
        (5, 7, 1, 2, Padding::Same, (6, 5)),
    ]
    .map(|(channels, filters, kernel, strides, padding, side)| Case {
        channels,
        filters,
        kernel,
        strides,
        padding,
        side,
    })
}

#[test]
fn conv_equals_burns_conv2d_forward_and_gradients() {
    let cases = cases();
    for (name, device) in devices() {
        for (i, c) in cases.iter().enumerate() {
            let seed = 10 * i as u64;
            let (h, w) = c.side;
            let x = tensor([2, c.channels, h, w], seed, &device);
            let weight = tensor(
                [c.filters, c.channels, c.kernel, c.kernel],
                seed + 1,
                &device,
            );
            let bias = tensor([c.filters], seed + 2, &device);
            let ours = Conv2D {
                weight: Param::from_tensor(weight.clone()),
                bias: Some(Param::from_tensor(bias.clone())),
                strides: c.strides,
                padding: c.padding,
            };
            let mut burns = Conv2dConfig::new([c.channels, c.filters], [c.kernel, c.kernel])
                .with_stride([c.strides, c.strides])
                .with_padding(match c.padding {
                    Padding::Valid => PaddingConfig2d::Valid,
                    Padding::Same => PaddingConfig2d::Same,
                })
                .init(&device);
            burns.weight = Param::from_tensor(weight);
            burns.bias = Some(Param::from_tensor(bias));

            let what = format!("{name} case {i}");
            let xa = x.clone().require_grad();
            let xb = x.require_grad();
            let ya = ours.forward(xa.clone());
            let yb = burns.forward(xb.clone());
            // Keras' output side: valid ⌊(n − k) / s⌋ + 1, same ⌈n / s⌉.
            let keras = |n: usize| match c.padding {
                Padding::Valid => (n - c.kernel) / c.strides + 1,
                Padding::Same => n.div_ceil(c.strides),
            };
            assert_eq!(ya.dims(), [2, c.filters, keras(h), keras(w)], "{what}");
            let (ga, gb) = assert_same_pass(
                &what,
                (&xa, ya, ours.weight.val()),
                (&xb, yb, burns.weight.val()),
                seed + 3,
            );
            assert_close(
                &format!("{what} d/dbias"),
                vec_of(ours.bias.as_ref().unwrap().val().grad(&ga).unwrap()),
                vec_of(burns.bias.as_ref().unwrap().val().grad(&gb).unwrap()),
                1e-4,
            );
        }
    }
}

/// The two ways to compute the product — im2col (the CPU backends' path) and burn's
/// `conv2d` on the batch-second layout (the GPU path) — give the same output and gradients.
/// Both run on the CPU backends here, so the GPU path is checked without a GPU.
#[test]
fn im2col_and_direct_products_agree() {
    for (name, device) in devices() {
        assert!(Conv2D::uses_im2col(&device), "{name} uses im2col");
        for (i, c) in cases().iter().enumerate() {
            let seed = 100 + 10 * i as u64;
            let (h, w) = c.side;
            let conv = Conv2D {
                weight: Param::from_tensor(tensor(
                    [c.filters, c.channels, c.kernel, c.kernel],
                    seed + 1,
                    &device,
                )),
                bias: None,
                strides: c.strides,
                padding: c.padding,
            };
            // [c, n, h, w], the layout inside the network.
            let x = tensor([c.channels, 3, h, w], seed, &device);
            let what = format!("{name} case {i}");
            let xa = x.clone().require_grad();
            let xb = x.require_grad();
            let ya = conv.im2col_cnhw(xa.clone());
            let yb = conv.direct_cnhw(xb.clone());
            assert_same_pass(
                &what,
                (&xa, ya, conv.weight.val()),
                (&xb, yb, conv.weight.val()),
                seed + 3,
            );
        }
    }
}

#[test]
fn same_padding_puts_the_odd_row_after() {
    assert_eq!(same_padding(28, 3, 1), (1, 1));
    assert_eq!(same_padding(28, 2, 1), (0, 1));
    assert_eq!(same_padding(11, 3, 2), (1, 1));
    assert_eq!(same_padding(10, 3, 2), (0, 1));
    assert_eq!(same_padding(7, 1, 2), (0, 0));
}

#[derive(serde::Deserialize)]
struct FixtureCase {
    strides: usize,
    padding: Padding,
    /// `[n, c, h, w]`.
    input_shape: [usize; 4],
    input: Vec<f32>,
    /// Keras' layout `[kh, kw, in, out]`.
    kernel_shape: [usize; 4],
    kernel: Vec<f32>,
    bias: Vec<f32>,
    /// `[n, out, oh, ow]`.
    output_shape: [usize; 4],
    output: Vec<f32>,
}

#[test]
fn conv_forward_matches_the_scipy_reference() {
    let cases: Vec<FixtureCase> =
        serde_json::from_str(include_str!("fixtures/conv_reference.json")).unwrap();
    assert!(cases.len() >= 4);
    for (name, device) in devices() {
        for (i, c) in cases.iter().enumerate() {
            let [kh, kw, cin, cout] = c.kernel_shape;
            let kernel = conv_from_keras(&c.kernel, [cout, cin, kh, kw]);
            let conv = Conv2D {
                weight: Param::from_tensor(Tensor::from_data(
                    TensorData::new(kernel, [cout, cin, kh, kw]),
                    &device,
                )),
                bias: Some(Param::from_tensor(Tensor::from_data(
                    TensorData::new(c.bias.clone(), [cout]),
                    &device,
                ))),
                strides: c.strides,
                padding: c.padding,
            };
            let x = Tensor::from_data(TensorData::new(c.input.clone(), c.input_shape), &device);
            let y = conv.forward(x);
            assert_eq!(y.dims(), c.output_shape, "{name} fixture case {i}");
            assert_close(
                &format!("{name} fixture case {i}"),
                vec_of(y),
                c.output.clone(),
                1e-5,
            );
        }
    }
}

/// A Conv2D followed by MaxPooling2D: the network pools before the bias and the activation
/// when it trains (`Network::forward`), and pools the activated output when it shows what the
/// network sees (`Network::forward_with_images`). Same logits and same gradients, for every
/// activation and for overlapping pools (3, strides 2).
#[test]
fn pooling_before_the_bias_and_activation_changes_nothing() {
    use lab_engine::lab_spec::{Activation, InputKind, LayerSpec, ModelSpec};
    use lab_engine::model::{Block, Network};
    let conv = |filters, activation| LayerSpec::Conv2D {
        filters,
        kernel_size: 3,
        strides: 1,
        padding: Padding::Same,
        activation,
        kernel_regularizer: None,
    };
    let pool = |pool_size, strides| LayerSpec::MaxPool2D { pool_size, strides };
    for (name, device) in devices() {
        for (a, activation) in [
            Activation::Relu,
            Activation::Tanh,
            Activation::Sigmoid,
            Activation::Linear,
        ]
        .into_iter()
        .enumerate()
        {
            let mut spec = ModelSpec::small_cnn();
            spec.layers.splice(
                0..4,
                [
                    conv(4, activation),
                    pool(2, None),
                    conv(5, activation),
                    pool(3, Some(2)),
                ],
            );
            let model = Network::new(&spec, &device).unwrap();
            // Biases away from zero, so that adding them after the pooling is tested.
            let model = model.with_tensors(
                Network::new(&spec, &device)
                    .unwrap()
                    .named_tensors()
                    .into_iter()
                    .enumerate()
                    .map(|(i, (_, t, dims))| {
                        let len = dims.iter().product();
                        (t + tensor([len], 100 + i as u64 + 10 * a as u64, &device)).detach()
                    }),
            );
            let x = tensor([3, 784], 7 + a as u64, &device);
            let fused = model.forward(x.clone(), InputKind::Image);
            let (plain, images) = model.forward_with_images(x, InputKind::Image);
            assert_eq!(images.len(), 4, "every conv and pool output is seen");
            assert_eq!(images[3].1.dims(), [3, 5, 6, 6]);
            let what = format!("{name} {activation:?}");
            assert_close(
                &format!("{what} logits"),
                vec_of(fused.clone()),
                vec_of(plain.clone()),
                1e-5,
            );
            let r = tensor([3, 10], 9, &device);
            let gf = (fused * r.clone()).sum().backward();
            let gp = (plain * r).sum().backward();
            // The gradients of both convolutions' kernels and biases.
            let grads = |g: &burn::tensor::Gradients| -> Vec<Vec<f32>> {
                let mut out = Vec::new();
                for block in &model.blocks {
                    if let Block::Conv(c) = block {
                        out.push(vec_of(c.conv.weight.val().grad(g).unwrap()));
                        out.push(vec_of(c.conv.bias.as_ref().unwrap().val().grad(g).unwrap()));
                    }
                }
                out
            };
            let (gf, gp) = (grads(&gf), grads(&gp));
            assert_eq!(gf.len(), 4);
            // A max over values equal up to float rounding (the sigmoid squeezes its input)
            // may pick either in the two orders, and the kernels' gradient then moves by a few
            // tenths of a percent: seen once in about 60 runs on a loaded machine (flex,
            // Sigmoid, 0.0044). A pooling or a bias in the wrong place changes the logits,
            // compared above within 1e-5.
            for (i, (f, p)) in gf.into_iter().zip(gp).enumerate() {
                assert_close(&format!("{what} gradient {i}"), f, p, 1e-2);
            }
        }
    }
}
