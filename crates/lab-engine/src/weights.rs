//! A model's weights as a safetensors file, together with its spec, and back.
//!
//! The file is what Python's `safetensors.numpy.load_file` reads: one `F32` tensor per weight,
//! named after its layer the way Keras names a fresh model's layers (`dense.kernel`,
//! `dense_1.bias`, `conv2d.kernel`, `batch_normalization.moving_mean`; the `Dense(10)` head
//! is the last `dense_N`), in Keras' layouts (Dense `[inputs, units]`, Conv2D
//! `[kh, kw, in, out]`), so `layer.set_weights([...])` takes them as they are. The metadata
//! holds the training config (`config`, JSON, its `model` is the spec) or, when the config is
//! not known, the model spec alone (`spec`, JSON).
//!
//! Reading is all-or-nothing: every check runs before a model is built, and a mismatch names
//! the first differing layer and its shapes. A file written by another tool loads when its
//! tensors have the names and shapes of the model it is loaded into.

use std::collections::BTreeMap;

use burn::tensor::{Device, Tensor, TensorData};
use lab_spec::{LayerSpec, ModelSpec, Summary, TrainingConfig};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use crate::model::Network;

/// The metadata key of the model spec (JSON).
pub const SPEC_KEY: &str = "spec";
/// The metadata key of the training config (JSON), when the file has one.
pub const CONFIG_KEY: &str = "config";
/// The magic bytes of the home-made format of earlier versions, refused with a clear message.
const OLD_MAGIC: &[u8; 8] = b"TLABW001";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WeightsError {
    /// Not a weights file, or cut short.
    Corrupt(String),
    /// The file's model is not the expected one.
    Mismatch(String),
    /// The device could not give the values back.
    Read(String),
}

impl std::fmt::Display for WeightsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WeightsError::Corrupt(m) => write!(f, "not a usable weights file: {m}"),
            WeightsError::Mismatch(m) => write!(f, "the weights do not fit this model: {m}"),
            WeightsError::Read(m) => write!(f, "could not read the weights from the device: {m}"),
        }
    }
}

impl std::error::Error for WeightsError {}

/// Keras' name of every layer of `spec` that has weights, by layer index, and of the head:
/// per kind, the first is `dense` (`conv2d`, `batch_normalization`), the next `dense_1`, ...
pub fn keras_layer_names(spec: &ModelSpec) -> (Vec<Option<String>>, String) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut next = |kind: &'static str| {
        let n = counts.entry(kind).or_insert(0);
        let name = if *n == 0 {
            kind.to_string()
        } else {
            format!("{kind}_{n}")
        };
        *n += 1;
        name
    };
    let layers = spec
        .layers
        .iter()
        .map(|l| match l {
            LayerSpec::Dense { .. } => Some(next("dense")),
            LayerSpec::Conv2D { .. } => Some(next("conv2d")),
            LayerSpec::BatchNorm {} => Some(next("batch_normalization")),
            _ => None,
        })
        .collect();
    (layers, next("dense"))
}

/// One weight tensor as the file holds it.
#[derive(Clone, Debug, PartialEq)]
struct Entry {
    /// The file's name (`dense_1.kernel`).
    name: String,
    /// The file's shape (Keras' layout).
    shape: Vec<usize>,
    /// The model's shape (burn's layout), when it differs in order (Conv2D kernels).
    conv: Option<[usize; 4]>,
}

/// The model's weight tensors, named and shaped as the file holds them, in the model's order.
fn entries(model: &Network, spec: &ModelSpec) -> Vec<(Entry, Tensor<1>)> {
    let (layers, head) = keras_layer_names(spec);
    model
        .named_tensors()
        .into_iter()
        .map(|(internal, tensor, dims)| {
            let (owner, part) = internal
                .split_once('.')
                .expect("internal names are `owner.part`");
            let layer = match owner {
                "head" => head.clone(),
                _ => owner
                    .strip_prefix("layers[")
                    .and_then(|s| s.strip_suffix(']'))
                    .and_then(|i| i.parse::<usize>().ok())
                    .and_then(|i| layers.get(i).cloned().flatten())
                    .expect("every weight belongs to a layer with weights"),
            };
            let is_conv_kernel = part == "kernel" && dims.len() == 4;
            let (shape, conv) = if is_conv_kernel {
                let [o, i, h, w] = [dims[0], dims[1], dims[2], dims[3]];
                (vec![h, w, i, o], Some([o, i, h, w]))
            } else {
                (dims, None)
            };
            let entry = Entry {
                name: format!("{layer}.{part}"),
                shape,
                conv,
            };
            (entry, tensor)
        })
        .collect()
}

/// Each element of a Conv2D kernel as (its index in burn's `[out, in, kh, kw]`, its index in
/// Keras' `[kh, kw, in, out]`).
fn conv_positions([o, i, h, w]: [usize; 4]) -> impl Iterator<Item = (usize, usize)> {
    (0..o).flat_map(move |oo| {
        (0..i).flat_map(move |ii| {
            (0..h).flat_map(move |hh| {
                (0..w).map(move |ww| {
                    (
                        ((oo * i + ii) * h + hh) * w + ww,
                        ((hh * w + ww) * i + ii) * o + oo,
                    )
                })
            })
        })
    })
}

/// burn's Conv2D kernel `[out, in, kh, kw]` → Keras' `[kh, kw, in, out]`.
pub fn conv_to_keras(values: &[f32], dims: [usize; 4]) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    for (burn, keras) in conv_positions(dims) {
        out[keras] = values[burn];
    }
    out
}

/// Keras' Conv2D kernel `[kh, kw, in, out]` → burn's `[out, in, kh, kw]`.
pub fn conv_from_keras(values: &[f32], dims: [usize; 4]) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    for (burn, keras) in conv_positions(dims) {
        out[burn] = values[keras];
    }
    out
}

/// Serializes a model's weights with its spec. Reads the values back asynchronously (the only
/// way on WebGPU).
pub async fn to_bytes(model: &Network, spec: &ModelSpec) -> Result<Vec<u8>, WeightsError> {
    write(model, spec, None).await
}

/// [`to_bytes`] with the training config in the metadata too.
pub async fn to_bytes_with_config(
    model: &Network,
    config: &TrainingConfig,
) -> Result<Vec<u8>, WeightsError> {
    write(model, &config.model, Some(config)).await
}

async fn write(
    model: &Network,
    spec: &ModelSpec,
    config: Option<&TrainingConfig>,
) -> Result<Vec<u8>, WeightsError> {
    let mut tensors: Vec<(Entry, Vec<u8>)> = Vec::new();
    for (entry, tensor) in entries(model, spec) {
        let data = tensor
            .into_data_async()
            .await
            .map_err(|e| WeightsError::Read(format!("{}: {e:?}", entry.name)))?;
        let mut values = data
            .try_to_vec_as::<f32>()
            .map_err(|e| WeightsError::Read(format!("{}: {e:?}", entry.name)))?;
        if let Some(dims) = entry.conv {
            values = conv_to_keras(&values, dims);
        }
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        tensors.push((entry, bytes));
    }
    let views = tensors.iter().map(|(entry, bytes)| {
        let view = TensorView::new(Dtype::F32, entry.shape.clone(), bytes)
            .expect("the shape and the bytes come from the same tensor");
        (entry.name.clone(), view)
    });
    // One metadata entry, so that the header (a hash map) is the same bytes every time: the
    // config (which holds the spec) when known, else the spec.
    let metadata = match config {
        Some(c) => (CONFIG_KEY.to_string(), json(c)),
        None => (SPEC_KEY.to_string(), json(spec)),
    };
    safetensors::serialize(views, Some([metadata].into_iter().collect()))
        .map_err(|e| WeightsError::Read(e.to_string()))
}

/// JSON text of a spec or a config (they always serialize).
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("specs and configs always serialize")
}

/// Parses the file's header and data, refusing what is not a safetensors file.
fn parse(bytes: &[u8]) -> Result<SafeTensors<'_>, WeightsError> {
    if bytes.starts_with(OLD_MAGIC) {
        return Err(WeightsError::Corrupt(
            "it is in the format of an older version of the lab (TLABW001), which this version \
             no longer reads; train the model again and download its .safetensors weights"
                .into(),
        ));
    }
    SafeTensors::deserialize(bytes)
        .map_err(|e| WeightsError::Corrupt(format!("it is not a safetensors file ({e})")))
}

/// The JSON value under `key` in the metadata of a file [`parse`] accepted.
fn metadata_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    key: &str,
) -> Result<Option<T>, WeightsError> {
    let (_, metadata) = SafeTensors::read_metadata(bytes)
        .map_err(|e| WeightsError::Corrupt(format!("it is not a safetensors file ({e})")))?;
    let Some(text) = metadata.metadata().as_ref().and_then(|m| m.get(key)) else {
        return Ok(None);
    };
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| WeightsError::Corrupt(format!("its {key} metadata is unreadable: {e}")))
}

/// The spec stored in a weights file's metadata (alone, or as its config's model).
pub fn spec_of(bytes: &[u8]) -> Result<ModelSpec, WeightsError> {
    parse(bytes)?;
    spec_in(bytes)?.ok_or_else(|| {
        WeightsError::Corrupt("its metadata has no model spec (\"spec\" or \"config\")".into())
    })
}

/// The spec of a file [`parse`] accepted, if its metadata has one.
fn spec_in(bytes: &[u8]) -> Result<Option<ModelSpec>, WeightsError> {
    if let Some(spec) = metadata_json(bytes, SPEC_KEY)? {
        return Ok(Some(spec));
    }
    Ok(metadata_json::<TrainingConfig>(bytes, CONFIG_KEY)?.map(|c| c.model))
}

/// The training config stored in a weights file's metadata, if any.
pub fn config_of(bytes: &[u8]) -> Result<Option<TrainingConfig>, WeightsError> {
    parse(bytes)?;
    metadata_json(bytes, CONFIG_KEY)
}

fn describe_difference(file: &Summary, here: &Summary) -> String {
    for (i, (a, b)) in file.rows.iter().zip(&here.rows).enumerate() {
        if a != b {
            return format!(
                "layer {i} is {} {} with {} parameters in the file but {} {} with {} parameters here",
                a.kind, a.output_shape, a.params, b.kind, b.output_shape, b.params
            );
        }
    }
    format!(
        "the file has {} layers, this model {}",
        file.rows.len(),
        here.rows.len()
    )
}

fn arch(s: &Summary) -> Vec<(String, lab_spec::Shape, usize)> {
    s.rows
        .iter()
        .map(|r| (r.kind.clone(), r.output_shape, r.params))
        .collect()
}

/// Loads weights into a model built from `expected`. When the file carries a spec, it must
/// describe the same architecture (same layers and shapes; dropout rates and regularizers may
/// differ); in any case every weight of the model must be in the file under its name, with its
/// shape, as `F32`, and the file must hold nothing else.
pub fn load(bytes: &[u8], expected: &ModelSpec, device: &Device) -> Result<Network, WeightsError> {
    let file = parse(bytes)?;
    let here_summary = expected
        .summary()
        .map_err(|e| WeightsError::Mismatch(e.to_string()))?;
    if let Some(spec) = spec_in(bytes)? {
        let file_summary = spec
            .summary()
            .map_err(|e| WeightsError::Corrupt(format!("its model is invalid: {e}")))?;
        if spec.input != expected.input || arch(&file_summary) != arch(&here_summary) {
            return Err(WeightsError::Mismatch(describe_difference(
                &file_summary,
                &here_summary,
            )));
        }
    }
    let model =
        Network::new(expected, device).map_err(|e| WeightsError::Mismatch(e.to_string()))?;
    let wanted: Vec<Entry> = entries(&model, expected)
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    let mut values: Vec<Vec<f32>> = Vec::with_capacity(wanted.len());
    for w in &wanted {
        let t = file.tensor(&w.name).map_err(|_| {
            WeightsError::Mismatch(format!(
                "the file has no tensor {} (shape {:?})",
                w.name, w.shape
            ))
        })?;
        if t.shape() != w.shape.as_slice() {
            return Err(WeightsError::Mismatch(format!(
                "{} has shape {:?} in the file but {:?} here",
                w.name,
                t.shape(),
                w.shape
            )));
        }
        if t.dtype() != Dtype::F32 {
            return Err(WeightsError::Mismatch(format!(
                "{} holds {:?} values; the lab reads float32 (F32)",
                w.name,
                t.dtype()
            )));
        }
        let mut v: Vec<f32> = t
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if let Some(dims) = w.conv {
            v = conv_from_keras(&v, dims);
        }
        values.push(v);
    }
    let mut extra: Vec<String> = file
        .names()
        .into_iter()
        .filter(|n| !wanted.iter().any(|w| w.name == *n))
        .map(str::to_string)
        .collect();
    extra.sort();
    if let Some(first) = extra.first() {
        return Err(WeightsError::Mismatch(format!(
            "the file has weights this model does not have: {first}{}",
            if extra.len() > 1 {
                format!(" (and {} more)", extra.len() - 1)
            } else {
                String::new()
            }
        )));
    }
    let tensors = values.into_iter().map(|v| {
        let n = v.len();
        Tensor::from_data(TensorData::new(v, [n]), device)
    });
    Ok(model.with_tensors(tensors))
}

/// Loads weights into a model built from the file's own spec.
pub fn load_with_spec(bytes: &[u8], device: &Device) -> Result<(ModelSpec, Network), WeightsError> {
    let spec = spec_of(bytes)?;
    let model = load(bytes, &spec, device)?;
    Ok((spec, model))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::{Activation, Head, InputKind, Padding};

    #[test]
    fn layers_are_named_as_keras_names_a_fresh_model() {
        let spec = ModelSpec {
            input: InputKind::Image,
            layers: vec![
                LayerSpec::Conv2D {
                    filters: 4,
                    kernel_size: 3,
                    strides: 1,
                    padding: Padding::Same,
                    activation: Activation::Relu,
                    kernel_regularizer: None,
                },
                LayerSpec::BatchNorm {},
                LayerSpec::MaxPool2D {
                    pool_size: 2,
                    strides: None,
                },
                LayerSpec::Conv2D {
                    filters: 4,
                    kernel_size: 3,
                    strides: 1,
                    padding: Padding::Same,
                    activation: Activation::Relu,
                    kernel_regularizer: None,
                },
                LayerSpec::Flatten {},
                LayerSpec::Dense {
                    units: 8,
                    activation: Activation::Relu,
                    kernel_regularizer: None,
                },
                LayerSpec::Dropout { rate: 0.5 },
            ],
            head_regularizer: None,
            head: Head::Softmax,
        };
        let (layers, head) = keras_layer_names(&spec);
        let named: Vec<Option<&str>> = layers.iter().map(|n| n.as_deref()).collect();
        assert_eq!(
            named,
            [
                Some("conv2d"),
                Some("batch_normalization"),
                None,
                Some("conv2d_1"),
                None,
                Some("dense"),
                None
            ]
        );
        assert_eq!(head, "dense_1");
    }

    #[test]
    fn conv_kernels_go_to_keras_layout_and_back() {
        // out 2, in 3, kh 2, kw 2: value = its burn index.
        let dims = [2, 3, 2, 2];
        let burn: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let keras = conv_to_keras(&burn, dims);
        // Keras [kh, kw, in, out] at (h=1, w=0, i=2, o=1) = burn [o=1, i=2, h=1, w=0].
        let k = 2 * 3 * 2 + 2 * 2 + 1; // ((h·kw + w)·in + i)·out + o
        let b = 5 * 2 * 2 + 2; // ((o·in + i)·kh + h)·kw + w
        assert_eq!(keras[k], burn[b]);
        assert_eq!(conv_from_keras(&keras, dims), burn);
    }

    #[test]
    fn the_old_format_and_other_bytes_are_refused_with_a_reason() {
        let old = [OLD_MAGIC.as_slice(), &[0u8; 16]].concat();
        let e = spec_of(&old).unwrap_err().to_string();
        assert!(
            e.contains("older version") && e.contains(".safetensors"),
            "{e}"
        );
        let e = spec_of(b"hello world, not weights")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a safetensors file"), "{e}");
        assert!(matches!(spec_of(&[]), Err(WeightsError::Corrupt(_))));
    }
}
