//! Burn models built from a [`ModelSpec`]: the layers a learner stacked, then a `Dense(10)`
//! head whose softmax lives in the loss (`log_softmax` is the numerically safe form).

use burn::module::{Module, Param, RunningState};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Initializer};
use burn::tensor::activation;
use burn::tensor::{Device, Tensor};
use lab_spec::{Activation, ConfigError, InputKind, LayerSpec, ModelSpec, Regularizer};

use crate::conv::Conv2D;
use crate::sparse_batch::{Batch, SparseBatch};

/// Keras' `BatchNormalization` defaults: `momentum=0.99` (burn counts the other way round) and
/// `epsilon=1e-3`.
const BN_MOMENTUM: f64 = 0.01;
const BN_EPSILON: f64 = 1e-3;

/// A fully connected layer with Keras' initialization (Glorot uniform kernel, zero bias).
#[derive(Module, Debug)]
pub struct Dense {
    /// `[inputs, units]`, as Keras stores it.
    pub kernel: Param<Tensor<2>>,
    pub bias: Param<Tensor<1>>,
    #[module(skip)]
    pub activation: Activation,
    #[module(skip)]
    pub regularizer: Option<Regularizer>,
}

impl Dense {
    fn new(
        inputs: usize,
        units: usize,
        activation: Activation,
        regularizer: Option<Regularizer>,
        device: &Device,
    ) -> Self {
        Self {
            kernel: Initializer::XavierUniform { gain: 1.0 }.init_with(
                [inputs, units],
                Some(inputs),
                Some(units),
                device,
            ),
            bias: Initializer::Zeros.init([units], device),
            activation,
            regularizer,
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let y = x.matmul(self.kernel.val()) + self.bias.val().unsqueeze::<2>();
        activate(y, self.activation)
    }

    /// [`Dense::forward`] on sparse rows: the product from their non-zero entries only.
    fn forward_sparse(&self, x: &SparseBatch) -> Tensor<2> {
        let y = x.matmul(self.kernel.val()) + self.bias.val().unsqueeze::<2>();
        activate(y, self.activation)
    }
}

/// A convolution with its activation and kernel regularizer.
#[derive(Module, Debug)]
pub struct Conv {
    pub conv: Conv2D,
    #[module(skip)]
    pub activation: Activation,
    #[module(skip)]
    pub regularizer: Option<Regularizer>,
}

impl Conv {
    /// The convolution, then `pool`, then the bias and the activation: the same values as
    /// pooling the activated output (the bias is one number per filter, and every activation
    /// is non-decreasing, so neither changes which element of a window is the largest), with
    /// the bias and activation computed on the pooled tensor (a quarter of the size for 2×2).
    fn forward_pooled(&self, x: Tensor<4>, pool: &MaxPool2d) -> Tensor<4> {
        // Non-decreasing, all of them: an activation added later must be checked here.
        match self.activation {
            Activation::Relu | Activation::Tanh | Activation::Sigmoid | Activation::Linear => {}
        }
        let y = pool.forward(self.conv.product_cnhw(x));
        activate(self.conv.add_bias_cnhw(y), self.activation)
    }
}

/// `Flatten`: `[c, batch, h, w]` → `[batch, h·w·c]` in Keras' channels-last order, so that
/// the features after it line up with a Keras model's.
#[derive(Module, Debug)]
pub struct Flatten {
    #[module(skip)]
    pub channels_last: bool,
}

#[derive(Module, Debug)]
pub enum Block {
    Dense(Dense),
    Dropout(Dropout),
    BatchNorm(BatchNorm),
    Conv(Conv),
    MaxPool(MaxPool2d),
    Flatten(Flatten),
}

/// The network a spec describes.
#[derive(Module, Debug)]
pub struct Network {
    pub blocks: Vec<Block>,
    pub head: Dense,
    /// The sigmoid head's decision threshold (the config's `threshold`): positive when the
    /// probability is above it. Not a weight; 0.5 until [`Network::with_threshold`] sets it.
    pub threshold: f64,
}

/// Activations between layers: images as `[channels, batch, height, width]` (the layout in
/// which a convolution is one matrix product over the batch, see `conv.rs`), or flat
/// features.
enum Act {
    Flat(Tensor<2>),
    Image(Tensor<4>),
}

impl Act {
    fn flat(self) -> Tensor<2> {
        match self {
            Act::Flat(x) => x,
            Act::Image(x) => {
                let [c, b, h, w] = x.dims();
                x.permute([1, 2, 3, 0]).reshape([b, h * w * c])
            }
        }
    }
}

fn activate<const D: usize>(x: Tensor<D>, a: Activation) -> Tensor<D> {
    match a {
        Activation::Relu => activation::relu(x),
        Activation::Tanh => activation::tanh(x),
        Activation::Sigmoid => activation::sigmoid(x),
        Activation::Linear => x,
    }
}

impl Network {
    /// Builds a freshly initialized network. Seed the device first for reproducible weights.
    pub fn new(spec: &ModelSpec, device: &Device) -> Result<Self, ConfigError> {
        let summary = spec.summary()?;
        let mut shape = spec.input_shape();
        let mut blocks = Vec::with_capacity(spec.layers.len());
        for (layer, row) in spec.layers.iter().zip(&summary.rows) {
            let block = match *layer {
                LayerSpec::Dense {
                    units, activation, ..
                } => Block::Dense(Dense::new(
                    shape.features(),
                    units,
                    activation,
                    layer.kernel_regularizer(),
                    device,
                )),
                LayerSpec::Dropout { rate } => Block::Dropout(DropoutConfig::new(rate).init()),
                LayerSpec::BatchNorm {} => {
                    let channels = match shape {
                        lab_spec::Shape::Flat(n) => n,
                        lab_spec::Shape::Image { c, .. } => c,
                    };
                    Block::BatchNorm(
                        BatchNormConfig::new(channels)
                            .with_momentum(BN_MOMENTUM)
                            .with_epsilon(BN_EPSILON)
                            .init(device),
                    )
                }
                LayerSpec::Conv2D {
                    filters,
                    kernel_size,
                    strides,
                    padding,
                    activation,
                    ..
                } => {
                    let lab_spec::Shape::Image { c, .. } = shape else {
                        unreachable!("the summary checked that Conv2D gets an image")
                    };
                    Block::Conv(Conv {
                        conv: Conv2D::new(c, filters, kernel_size, strides, padding, device),
                        activation,
                        regularizer: layer.kernel_regularizer(),
                    })
                }
                LayerSpec::MaxPool2D { pool_size, strides } => {
                    let s = strides.unwrap_or(pool_size);
                    Block::MaxPool(
                        MaxPool2dConfig::new([pool_size, pool_size])
                            .with_strides([s, s])
                            .init(),
                    )
                }
                LayerSpec::Flatten {} => Block::Flatten(Flatten {
                    channels_last: true,
                }),
            };
            blocks.push(block);
            shape = row.output_shape;
        }
        // Dense(10) for softmax or Dense(1) for sigmoid; the activation lives in the loss.
        let head = Dense::new(
            shape.features(),
            spec.head.units(),
            Activation::Linear,
            spec.head_regularizer.filter(Regularizer::is_active),
            device,
        );
        Ok(Self {
            blocks,
            head,
            threshold: 0.5,
        })
    }

    /// This network deciding a sigmoid head's class at `threshold` (ignored for softmax).
    pub fn with_threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self
    }

    /// Logits `[batch, 10]` for a batch of inputs: `[batch, 784]` for flat input, or
    /// `[batch, 784]` reshaped to `[1, batch, 28, 28]` for image input (images travel
    /// channels first, see `Act`).
    pub fn forward(&self, input: Tensor<2>, kind: InputKind) -> Tensor<2> {
        self.forward_seen(Batch::Dense(input), kind, false, |_, _| {})
    }

    /// [`Network::forward`] on a batch that may be sparse: when it is and the first layer is
    /// Dense, that layer multiplies only the batch's non-zero entries
    /// ([`SparseBatch::matmul`]); otherwise the batch is densified first. Same logits.
    pub fn forward_batch(&self, input: Batch, kind: InputKind) -> Tensor<2> {
        self.forward_seen(input, kind, false, |_, _| {})
    }

    /// [`Network::forward`], and the output of every block whose output is an image
    /// (`[batch, channels, height, width]`), with the block's index: what the activations view
    /// shows (`crate::activations`).
    pub fn forward_with_images(
        &self,
        input: Tensor<2>,
        kind: InputKind,
    ) -> (Tensor<2>, Vec<(usize, Tensor<4>)>) {
        let mut images = Vec::new();
        let batch = Batch::Dense(input);
        let logits = self.forward_seen(batch, kind, true, |i, t| images.push((i, t.clone())));
        (logits, images)
    }

    /// The forward pass; with `images`, `seen` gets each block's output that is an image
    /// (otherwise a Conv2D followed by a MaxPooling2D pools before its bias and activation,
    /// see [`Conv::forward_pooled`], and `seen` is not called). A sparse batch
    /// goes through a first Dense layer as a sparse product (then `done` is 1: that block is
    /// done), or is densified.
    fn forward_seen(
        &self,
        input: Batch,
        kind: InputKind,
        images: bool,
        mut seen: impl FnMut(usize, &Tensor<4>),
    ) -> Tensor<2> {
        let (mut x, done) = match (input, self.blocks.first()) {
            (Batch::Sparse(s), Some(Block::Dense(d))) => (Act::Flat(d.forward_sparse(&s)), 1),
            // No layers (IMDB's baseline): the head is the first Dense layer.
            (Batch::Sparse(s), None) => return self.head.forward_sparse(&s),
            (input, _) => {
                let input = input.into_dense();
                let x = match kind {
                    InputKind::Flat | InputKind::Features(_) => Act::Flat(input),
                    InputKind::Image => {
                        let [b, _] = input.dims();
                        Act::Image(input.reshape([1, b, 28, 28]))
                    }
                };
                (x, 0)
            }
        };
        let mut pooled = false;
        for (i, block) in self.blocks.iter().enumerate().skip(done) {
            if std::mem::take(&mut pooled) {
                continue;
            }
            x = match (block, x) {
                (Block::Dense(d), x) => Act::Flat(d.forward(x.flat())),
                (Block::Dropout(d), Act::Flat(t)) => Act::Flat(d.forward(t)),
                (Block::Dropout(d), Act::Image(t)) => Act::Image(d.forward(t)),
                (Block::BatchNorm(n), Act::Flat(t)) => Act::Flat(n.forward(t)),
                (Block::BatchNorm(n), Act::Image(t)) => {
                    Act::Image(n.forward(t.swap_dims(0, 1)).swap_dims(0, 1))
                }
                (Block::Conv(c), Act::Image(t)) => match self.blocks.get(i + 1) {
                    Some(Block::MaxPool(p)) if !images => {
                        pooled = true;
                        Act::Image(c.forward_pooled(t, p))
                    }
                    _ => Act::Image(activate(c.conv.forward_cnhw(t), c.activation)),
                },
                (Block::MaxPool(p), Act::Image(t)) => Act::Image(p.forward(t)),
                (Block::Flatten(_), x) => Act::Flat(x.flat()),
                (_, Act::Flat(_)) => {
                    unreachable!("the summary checked that image layers get images")
                }
            };
            if let (true, Act::Image(t)) = (images, &x) {
                seen(i, &t.clone().swap_dims(0, 1));
            }
        }
        self.head.forward(x.flat())
    }

    /// The kernel regularization penalty `Σ l1·Σ|W| + l2·ΣW²`, or `None` without regularizers.
    pub fn penalty(&self) -> Option<Tensor<1>> {
        let mut total: Option<Tensor<1>> = None;
        let mut add = |w: Tensor<1>, r: &Option<Regularizer>| {
            let Some(r) = r else { return };
            let mut p: Option<Tensor<1>> = None;
            if r.l1 != 0.0 {
                p = Some(w.clone().abs().sum().mul_scalar(r.l1));
            }
            if r.l2 != 0.0 {
                let l2 = w.powi_scalar(2).sum().mul_scalar(r.l2);
                p = Some(match p {
                    Some(p) => p + l2,
                    None => l2,
                });
            }
            if let Some(p) = p {
                total = Some(match total.take() {
                    Some(t) => t + p,
                    None => p,
                });
            }
        };
        for block in &self.blocks {
            match block {
                Block::Dense(d) => add(d.kernel.val().flatten(0, 1), &d.regularizer),
                Block::Conv(c) => add(c.conv.weight.val().flatten(0, 3), &c.regularizer),
                _ => {}
            }
        }
        add(self.head.kernel.val().flatten(0, 1), &self.head.regularizer);
        total
    }

    /// The named weight tensors, in a fixed order (what [`crate::weights`] saves).
    pub fn named_tensors(&self) -> Vec<(String, Tensor<1>, Vec<usize>)> {
        let mut out = Vec::new();
        let mut push = |name: String, t: Tensor<1>, dims: Vec<usize>| out.push((name, t, dims));
        for (i, block) in self.blocks.iter().enumerate() {
            match block {
                Block::Dense(d) => {
                    push(
                        format!("layers[{i}].kernel"),
                        d.kernel.val().flatten(0, 1),
                        d.kernel.dims().to_vec(),
                    );
                    push(
                        format!("layers[{i}].bias"),
                        d.bias.val(),
                        d.bias.dims().to_vec(),
                    );
                }
                Block::Conv(c) => {
                    let w = c.conv.weight.val();
                    let dims = w.dims().to_vec();
                    push(format!("layers[{i}].kernel"), w.flatten(0, 3), dims);
                    if let Some(b) = &c.conv.bias {
                        push(format!("layers[{i}].bias"), b.val(), b.dims().to_vec());
                    }
                }
                Block::BatchNorm(n) => {
                    let dims = n.gamma.dims().to_vec();
                    push(format!("layers[{i}].gamma"), n.gamma.val(), dims.clone());
                    push(format!("layers[{i}].beta"), n.beta.val(), dims.clone());
                    push(
                        format!("layers[{i}].moving_mean"),
                        n.running_mean.value(),
                        dims.clone(),
                    );
                    push(
                        format!("layers[{i}].moving_variance"),
                        n.running_var.value(),
                        dims,
                    );
                }
                _ => {}
            }
        }
        push(
            "head.kernel".into(),
            self.head.kernel.val().flatten(0, 1),
            self.head.kernel.dims().to_vec(),
        );
        push(
            "head.bias".into(),
            self.head.bias.val(),
            self.head.bias.dims().to_vec(),
        );
        out
    }

    /// Replaces every weight tensor, in the order of [`Network::named_tensors`]. The caller
    /// has checked names and sizes.
    pub fn with_tensors(mut self, mut tensors: impl Iterator<Item = Tensor<1>>) -> Self {
        let mut next = || {
            tensors
                .next()
                .expect("the caller checked the number of tensors")
        };
        for block in self.blocks.iter_mut() {
            match block {
                Block::Dense(d) => {
                    let [i, o] = d.kernel.dims();
                    d.kernel = Param::from_tensor(next().reshape([i, o]));
                    d.bias = Param::from_tensor(next());
                }
                Block::Conv(c) => {
                    let dims = c.conv.weight.dims();
                    c.conv.weight = Param::from_tensor(next().reshape(dims));
                    if c.conv.bias.is_some() {
                        c.conv.bias = Some(Param::from_tensor(next()));
                    }
                }
                Block::BatchNorm(n) => {
                    n.gamma = Param::from_tensor(next());
                    n.beta = Param::from_tensor(next());
                    n.running_mean = RunningState::new(next());
                    n.running_var = RunningState::new(next());
                }
                _ => {}
            }
        }
        let [i, o] = self.head.kernel.dims();
        self.head.kernel = Param::from_tensor(next().reshape([i, o]));
        self.head.bias = Param::from_tensor(next());
        self
    }
}
