//! What the network sees: for one image, the output of every Conv2D and MaxPooling2D layer
//! (its feature maps), the first Conv2D's filters and the class probabilities — what the
//! course's "visualizing intermediate activations" plots. The values are read back
//! asynchronously (the only way on WebGPU).

use burn::tensor::{Device, Tensor, TensorData, activation};
use lab_spec::{LayerSpec, ModelSpec, Shape};

use crate::model::Network;
use crate::weights::conv_to_keras;

/// One Conv2D or MaxPooling2D layer's output for the image.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerOutput {
    /// Keras' layer name: `conv2d`, `max_pooling2d`, `conv2d_1`.
    pub name: String,
    /// Keras' class name: `Conv2D`, `MaxPooling2D`.
    pub kind: String,
    /// `[height, width, channels]`, as the summary writes the output shape.
    pub shape: [usize; 3],
    /// Map after map: channel `c`'s value at row `y`, column `x` is `values[(c·h + y)·w + x]`.
    pub values: Vec<f32>,
}

/// The first Conv2D's kernel in Keras' layout `[kh, kw, in, filters]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Filters {
    /// Keras' layer name of the Conv2D.
    pub name: String,
    /// `[kh, kw, in, filters]`.
    pub shape: [usize; 4],
    pub values: Vec<f32>,
}

/// What the network sees of one image.
#[derive(Clone, Debug, PartialEq)]
pub struct Activations {
    /// Every Conv2D and MaxPooling2D layer, in the model's order.
    pub layers: Vec<LayerOutput>,
    /// The first Conv2D's filters (`None` without a Conv2D).
    pub filters: Option<Filters>,
    /// The probability of each class (ten for the softmax head; not-positive and positive for a
    /// sigmoid head).
    pub probabilities: Vec<f32>,
}

/// Reads a tensor's values back (asynchronously: the only way on WebGPU).
async fn values<const D: usize>(t: Tensor<D>, what: &str) -> Result<Vec<f32>, String> {
    t.into_data_async()
        .await
        .map_err(|e| format!("could not read {what} back: {e:?}"))?
        .try_to_vec_as::<f32>()
        .map_err(|e| format!("could not read {what} back: {e:?}"))
}

/// What `model` (built from `spec`) sees of one normalized `image` (as many values as the
/// model's input has features).
pub async fn activations(
    model: &Network,
    spec: &ModelSpec,
    image: &[f32],
    device: &Device,
) -> Result<Activations, String> {
    let summary = spec.summary().map_err(|e| e.to_string())?;
    let features = spec.input_shape().features();
    if image.len() != features {
        return Err(format!(
            "the image has {} values but the model takes {features}",
            image.len()
        ));
    }
    let x = Tensor::<2>::from_data(TensorData::new(image.to_vec(), [1, features]), device);
    let (logits, images) = model.forward_with_images(x, spec.input);
    let mut layers = Vec::new();
    for (i, t) in images {
        let shown = matches!(
            spec.layers.get(i),
            Some(LayerSpec::Conv2D { .. } | LayerSpec::MaxPool2D { .. })
        );
        let Some(row) = summary.rows.get(i).filter(|_| shown) else {
            continue;
        };
        let [_, c, h, w] = t.dims();
        let values = values(t, &row.name).await?;
        layers.push(LayerOutput {
            name: row.name.clone(),
            kind: row.kind.clone(),
            shape: [h, w, c],
            values,
        });
    }
    let probabilities = match logits.dims() {
        [_, 1] => {
            let p = values(activation::sigmoid(logits), "the probabilities").await?;
            p.iter().flat_map(|&p| [1.0 - p, p]).collect()
        }
        _ => values(activation::softmax(logits, 1), "the probabilities").await?,
    };
    Ok(Activations {
        layers,
        filters: first_filters(model, spec, &summary).await?,
        probabilities,
    })
}

/// The first Conv2D's kernel, from the model's named tensors (burn's `[out, in, kh, kw]`) in
/// Keras' layout.
async fn first_filters(
    model: &Network,
    spec: &ModelSpec,
    summary: &lab_spec::Summary,
) -> Result<Option<Filters>, String> {
    let Some(i) = spec
        .layers
        .iter()
        .position(|l| matches!(l, LayerSpec::Conv2D { .. }))
    else {
        return Ok(None);
    };
    let wanted = format!("layers[{i}].kernel");
    let Some((_, kernel, dims)) = model
        .named_tensors()
        .into_iter()
        .find(|(name, _, _)| *name == wanted)
    else {
        return Ok(None);
    };
    let [o, inputs, kh, kw] = <[usize; 4]>::try_from(dims)
        .map_err(|d| format!("the first Conv2D's kernel has shape {d:?}"))?;
    let name = summary
        .rows
        .get(i)
        .map_or("conv2d".into(), |r| r.name.clone());
    let burn = values(kernel, &name).await?;
    Ok(Some(Filters {
        name,
        shape: [kh, kw, inputs, o],
        values: conv_to_keras(&burn, [o, inputs, kh, kw]),
    }))
}

/// The summary's `[h, w, c]` of layer `i` when its output is an image.
pub fn image_shape(summary: &lab_spec::Summary, i: usize) -> Option<[usize; 3]> {
    match summary.rows.get(i)?.output_shape {
        Shape::Image { h, w, c } => Some([h, w, c]),
        Shape::Flat(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<T>(f: impl Future<Output = T>) -> T {
        futures::executor::block_on(f)
    }

    #[test]
    fn small_cnn_shows_the_summarys_shapes_and_probabilities_that_sum_to_one() {
        let spec = ModelSpec::small_cnn();
        let device = Device::flex();
        let model = Network::new(&spec, &device).unwrap();
        let image: Vec<f32> = (0..784).map(|i| ((i * 37) % 255) as f32 / 255.0).collect();
        let seen = run(activations(&model, &spec, &image, &device)).unwrap();
        let summary = spec.summary().unwrap();
        let names: Vec<&str> = seen.layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            ["conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1"]
        );
        for (l, i) in seen.layers.iter().zip([0, 1, 2, 3]) {
            assert_eq!(Some(l.shape), image_shape(&summary, i), "{}", l.name);
            assert_eq!(l.values.len(), l.shape.iter().product::<usize>());
            assert_eq!(l.kind, summary.rows[i].kind);
        }
        assert_eq!(seen.layers[0].shape, [26, 26, 32]);
        assert_eq!(seen.layers[3].shape, [5, 5, 64]);
        // ReLU, then max pooling: nothing negative.
        assert!(
            seen.layers
                .iter()
                .all(|l| l.values.iter().all(|&v| v >= 0.0))
        );
        let filters = seen.filters.unwrap();
        assert_eq!(filters.name, "conv2d");
        assert_eq!(filters.shape, [3, 3, 1, 32]);
        assert_eq!(filters.values.len(), 3 * 3 * 32);
        assert_eq!(seen.probabilities.len(), 10);
        let total: f32 = seen.probabilities.iter().sum();
        assert!((total - 1.0).abs() < 1e-5, "{total}");
        assert!(seen.probabilities.iter().all(|&p| (0.0..=1.0).contains(&p)));
    }

    #[test]
    fn the_maps_are_the_forward_pass_of_the_model() {
        // One 1×1 convolution with a linear activation: its map is the image times the
        // kernel plus the bias (zero when fresh).
        let spec = ModelSpec {
            input: lab_spec::InputKind::Image,
            layers: vec![
                LayerSpec::Conv2D {
                    filters: 1,
                    kernel_size: 1,
                    strides: 1,
                    padding: lab_spec::Padding::Valid,
                    activation: lab_spec::Activation::Linear,
                    kernel_regularizer: None,
                },
                LayerSpec::Flatten {},
            ],
            ..Default::default()
        };
        let device = Device::flex();
        let model = Network::new(&spec, &device).unwrap();
        let image: Vec<f32> = (0..784).map(|i| i as f32 / 784.0).collect();
        let seen = run(activations(&model, &spec, &image, &device)).unwrap();
        let w = seen.filters.unwrap().values[0];
        let map = &seen.layers[0].values;
        assert_eq!(seen.layers[0].shape, [28, 28, 1]);
        for (y, x) in [(0, 0), (3, 17), (27, 27)] {
            let i = y * 28 + x;
            assert!((map[i] - image[i] * w).abs() < 1e-5, "({y}, {x})");
        }
    }

    #[test]
    fn a_model_without_convolutions_shows_no_maps_and_a_wrong_image_is_refused() {
        let spec = ModelSpec::mlp(&[8]);
        let device = Device::flex();
        let model = Network::new(&spec, &device).unwrap();
        let seen = run(activations(&model, &spec, &[0.5; 784], &device)).unwrap();
        assert!(seen.layers.is_empty() && seen.filters.is_none());
        assert_eq!(seen.probabilities.len(), 10);
        let e = run(activations(&model, &spec, &[0.5; 10], &device)).unwrap_err();
        assert_eq!(e, "the image has 10 values but the model takes 784");
    }
}
