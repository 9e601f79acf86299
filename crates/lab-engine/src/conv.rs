//! Keras' `Conv2D` as im2col and one matrix product, so the forward pass and both gradients
//! run in the backend's matmul (the SIMD kernels that make dense layers fast), with no
//! convolution kernel of the backend involved.
//!
//! The input `[n, c, h, w]` is padded as Keras pads (`same`: the extra row or column at the
//! bottom/right), then cut into `kh·kw` strided views `[n, c, oh, ow]`, one per kernel
//! position; stacked they are the patches `[n, c·kh·kw, oh·ow]` (contiguous, no transpose).
//! The kernel `[out, c, kh, kw]` — burn's `Conv2d` layout, which `weights.rs` maps to Keras'
//! `[kh, kw, in, out]` — flattens to `[out, c·kh·kw]` in the same order, and one product per
//! image gives `[out, oh·ow]`, already the `[n, out, oh, ow]` layout. Autodiff turns the
//! backward pass into matmuls too, plus a strided slice-assign per kernel position.

use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::tensor::ops::PadMode;
use burn::tensor::{Device, Slice, Tensor};
use lab_spec::Padding;

/// A 2D convolution with a square kernel, square strides and Keras' padding.
#[derive(Module, Debug)]
pub struct Conv2D {
    /// `[filters, channels, kh, kw]`, as burn's `Conv2d` stores it.
    pub weight: Param<Tensor<4>>,
    /// `[filters]`.
    pub bias: Option<Param<Tensor<1>>>,
    #[module(skip)]
    pub strides: usize,
    #[module(skip)]
    pub padding: Padding,
}

/// Keras' (TensorFlow's) `same` padding of one side: `(before, after)`, the odd one after.
pub fn same_padding(size: usize, kernel: usize, stride: usize) -> (usize, usize) {
    let out = size.div_ceil(stride);
    let total = ((out.max(1) - 1) * stride + kernel).saturating_sub(size);
    (total / 2, total - total / 2)
}

impl Conv2D {
    /// A fresh layer with Keras' initialization: Glorot uniform kernel, zero bias.
    pub fn new(
        channels: usize,
        filters: usize,
        kernel_size: usize,
        strides: usize,
        padding: Padding,
        device: &Device,
    ) -> Self {
        let k = kernel_size * kernel_size;
        Self {
            weight: Initializer::XavierUniform { gain: 1.0 }.init_with(
                [filters, channels, kernel_size, kernel_size],
                Some(channels * k),
                Some(filters * k),
                device,
            ),
            bias: Some(Initializer::Zeros.init([filters], device)),
            strides,
            padding,
        }
    }

    /// `[n, c, h, w]` → `[n, filters, oh, ow]` (no activation).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [n, c, h, w] = x.dims();
        let [filters, _, kh, kw] = self.weight.dims();
        let s = self.strides;
        let (rows, cols) = match self.padding {
            Padding::Valid => ((0, 0), (0, 0)),
            Padding::Same => (same_padding(h, kh, s), same_padding(w, kw, s)),
        };
        let x = if rows == (0, 0) && cols == (0, 0) {
            x
        } else {
            x.pad([rows, cols], PadMode::Constant(0.0))
        };
        let (hp, wp) = (h + rows.0 + rows.1, w + cols.0 + cols.1);
        let (oh, ow) = ((hp - kh) / s + 1, (wp - kw) / s + 1);
        let k = c * kh * kw;
        let patches = if kh == 1 && kw == 1 && s == 1 {
            x.reshape([n, c, oh * ow])
        } else {
            let mut views = Vec::with_capacity(kh * kw);
            for dy in 0..kh {
                for dx in 0..kw {
                    views.push(x.clone().slice([
                        Slice::full(),
                        Slice::full(),
                        strided(dy, oh, s),
                        strided(dx, ow, s),
                    ]));
                }
            }
            Tensor::<4>::stack::<5>(views, 2).reshape([n, k, oh * ow])
        };
        let kernel = self.weight.val().reshape([1, filters, k]);
        let mut y = kernel.matmul(patches);
        if let Some(bias) = &self.bias {
            y = y + bias.val().reshape([1, filters, 1]);
        }
        y.reshape([n, filters, oh, ow])
    }
}

/// `count` indices from `start`, `step` apart.
fn strided(start: usize, count: usize, step: usize) -> Slice {
    let end = start + (count - 1) * step + 1;
    Slice::new(start as isize, Some(end as isize), step as isize)
}
