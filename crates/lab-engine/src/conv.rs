//! Keras' `Conv2D` as im2col and one matrix product, so the forward pass and both gradients
//! run in the backend's matmul (the SIMD kernels that make dense layers fast), with no
//! convolution kernel of the backend involved.
//!
//! Inside the network images travel as `[channels, batch, height, width]` ("CNHW"; see
//! [`Conv2D::forward_cnhw`]): in that layout the whole batch is one matrix product. The input
//! is padded as Keras pads (`same`: the extra row or column at the bottom/right), then cut into
//! `kh·kw` strided views `[c, n, oh, ow]`, one per kernel position; concatenated along the
//! batch axis they are the patches `[c·kh·kw, n·oh·ow]` (contiguous, no transpose). The kernel
//! `[out, c, kh, kw]` — burn's `Conv2d` layout, which `weights.rs` maps to Keras'
//! `[kh, kw, in, out]` — flattens to `[out, c·kh·kw]` in the same order, and one product gives
//! `[out, n·oh·ow]`, already the `[out, n, oh, ow]` layout of the next layer. The backward pass
//! is two products over the whole batch (kernel gradient `dY·patchesᵀ`, patch gradient
//! `kernelᵀ·dY`) plus a strided slice-assign per kernel position. Burn's max-pooling works on
//! this layout unchanged (it pools each `[height, width]` plane), and the first layer's input
//! `[1, n, 28, 28]` is the batch itself, reshaped.
//!
//! That is the CPU backends' path (flex, ndarray), where it is 2–3× faster than their own
//! convolution. On a GPU backend (WebGPU) im2col costs a kernel launch per kernel position
//! and per slice-assign, so there the product is burn's `conv2d`, one kernel each way, on the
//! same layout with the batch axis swapped in and out ([`Conv2D::uses_im2col`]).

use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::tensor::module::conv2d;
use burn::tensor::ops::{ConvOptions, PadMode};
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

    /// `[n, c, h, w]` → `[n, filters, oh, ow]` (no activation): [`Conv2D::forward_cnhw`]
    /// between two swaps of the first two axes.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.forward_cnhw(x.swap_dims(0, 1)).swap_dims(0, 1)
    }

    /// `[c, n, h, w]` → `[filters, n, oh, ow]` (no activation): the layout the network keeps
    /// its images in, where the batch is one matrix product.
    pub fn forward_cnhw(&self, x: Tensor<4>) -> Tensor<4> {
        self.add_bias_cnhw(self.product_cnhw(x))
    }

    /// [`Conv2D::forward_cnhw`] without the bias. When a max-pooling follows, the network
    /// pools this, then adds the bias ([`Conv2D::add_bias_cnhw`]) to the smaller result: the
    /// same values, since the bias is one number per filter and does not change which element
    /// of a window is the largest.
    pub fn product_cnhw(&self, x: Tensor<4>) -> Tensor<4> {
        if Self::uses_im2col(&x.device()) {
            self.im2col_cnhw(x)
        } else {
            self.direct_cnhw(x)
        }
    }

    /// True on the CPU backends (flex, ndarray; also under autodiff): there the product is
    /// im2col and one matrix product; elsewhere (WebGPU) burn's `conv2d`.
    #[cfg(feature = "cpu")]
    #[allow(deprecated)] // burn 0.22 deprecates ndarray; the worker still uses it
    pub fn uses_im2col(device: &Device) -> bool {
        // Devices compare by hardware, autodiff or not.
        *device == Device::flex() || *device == Device::ndarray()
    }

    /// Built without the CPU backends (the WebGPU worker): always burn's `conv2d`.
    #[cfg(not(feature = "cpu"))]
    pub fn uses_im2col(_device: &Device) -> bool {
        false
    }

    /// Keras' padding of `[h, w]`: `(before, after)` for the rows and for the columns.
    fn padding_of(&self, h: usize, w: usize) -> [(usize, usize); 2] {
        let [_, _, kh, kw] = self.weight.dims();
        match self.padding {
            Padding::Valid => [(0, 0), (0, 0)],
            Padding::Same => [
                same_padding(h, kh, self.strides),
                same_padding(w, kw, self.strides),
            ],
        }
    }

    /// The product as burn's `conv2d` (no bias), on `[n, c, h, w]` between two swaps.
    pub fn direct_cnhw(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, _, h, w] = x.dims();
        let s = self.strides;
        let options = ConvOptions {
            stride: [s, s],
            padding: self.padding_of(h, w),
            dilation: [1, 1],
            groups: 1,
        };
        conv2d(x.swap_dims(0, 1), self.weight.val(), None, options).swap_dims(0, 1)
    }

    /// The product as im2col and one matrix product (see the module's text).
    pub fn im2col_cnhw(&self, x: Tensor<4>) -> Tensor<4> {
        let [c, n, h, w] = x.dims();
        let [filters, _, kh, kw] = self.weight.dims();
        let s = self.strides;
        let [rows, cols] = self.padding_of(h, w);
        let x = if rows == (0, 0) && cols == (0, 0) {
            x
        } else {
            x.pad([rows, cols], PadMode::Constant(0.0))
        };
        let (hp, wp) = (h + rows.0 + rows.1, w + cols.0 + cols.1);
        let (oh, ow) = ((hp - kh) / s + 1, (wp - kw) / s + 1);
        let k = c * kh * kw;
        let m = n * oh * ow;
        let patches = if kh == 1 && kw == 1 && s == 1 {
            x.reshape([c, m])
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
            // [c, kh·kw·n, oh, ow]: per channel, the kernel positions, each the whole batch.
            Tensor::cat(views, 1).reshape([k, m])
        };
        let y = self.weight.val().reshape([filters, k]).matmul(patches);
        y.reshape([filters, n, oh, ow])
    }

    /// `y + bias` for `y` in `[filters, n, h, w]`.
    pub fn add_bias_cnhw(&self, y: Tensor<4>) -> Tensor<4> {
        match &self.bias {
            Some(bias) => y + bias.val().reshape([self.weight.dims()[0], 1, 1, 1]),
            None => y,
        }
    }
}

/// `count` indices from `start`, `step` apart.
fn strided(start: usize, count: usize, step: usize) -> Slice {
    let end = start + (count - 1) * step + 1;
    Slice::new(start as isize, Some(end as isize), step as isize)
}
