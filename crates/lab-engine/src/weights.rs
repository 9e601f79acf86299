//! A model's weights as bytes, together with its spec, and back.
//!
//! Layout: the 8 bytes `TLABW001`, a little-endian `u32` header length, a JSON header
//! `{"spec": ModelSpec, "tensors": [{"name", "shape"}]}`, then every tensor's `f32` values,
//! little-endian, in header order. Kernels are stored as Keras stores them (`[inputs, units]`
//! for Dense; burn's `[filters, channels, kh, kw]` for Conv2D).
//!
//! Reading is all-or-nothing: every check runs before a model is built, and a mismatch names
//! the first difference.

use burn::tensor::{Device, Tensor, TensorData};
use lab_spec::{ModelSpec, Summary};
use serde::{Deserialize, Serialize};

use crate::model::Network;

const MAGIC: &[u8; 8] = b"TLABW001";

#[derive(Serialize, Deserialize)]
struct Header {
    spec: ModelSpec,
    tensors: Vec<TensorEntry>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct TensorEntry {
    name: String,
    shape: Vec<usize>,
}

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
            WeightsError::Corrupt(m) => write!(f, "corrupt weights file: {m}"),
            WeightsError::Mismatch(m) => write!(f, "the weights do not fit this model: {m}"),
            WeightsError::Read(m) => write!(f, "could not read the weights from the device: {m}"),
        }
    }
}

impl std::error::Error for WeightsError {}

/// Serializes a model's weights with its spec. Reads the values back asynchronously (the only
/// way on WebGPU).
pub async fn to_bytes(model: &Network, spec: &ModelSpec) -> Result<Vec<u8>, WeightsError> {
    let named = model.named_tensors();
    let header = Header {
        spec: spec.clone(),
        tensors: named
            .iter()
            .map(|(name, _, shape)| TensorEntry {
                name: name.clone(),
                shape: shape.clone(),
            })
            .collect(),
    };
    let json = serde_json::to_vec(&header).expect("a header always serializes");
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    for (name, tensor, _) in named {
        let data = tensor
            .into_data_async()
            .await
            .map_err(|e| WeightsError::Read(format!("{name}: {e:?}")))?;
        let values = data
            .try_to_vec_as::<f32>()
            .map_err(|e| WeightsError::Read(format!("{name}: {e:?}")))?;
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    Ok(out)
}

/// The spec stored in a weights file.
pub fn spec_of(bytes: &[u8]) -> Result<ModelSpec, WeightsError> {
    parse(bytes).map(|(h, _)| h.spec)
}

fn parse(bytes: &[u8]) -> Result<(Header, &[u8]), WeightsError> {
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(WeightsError::Corrupt(
            "it does not start with TLABW001".into(),
        ));
    }
    let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    let body = &bytes[12..];
    if body.len() < len {
        return Err(WeightsError::Corrupt("the header is cut short".into()));
    }
    let header: Header = serde_json::from_slice(&body[..len])
        .map_err(|e| WeightsError::Corrupt(format!("unreadable header: {e}")))?;
    Ok((header, &body[len..]))
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

/// Loads weights into a model built from `expected`. The file's spec must describe the same
/// architecture (same layers and shapes; dropout rates and regularizers may differ).
pub fn load(bytes: &[u8], expected: &ModelSpec, device: &Device) -> Result<Network, WeightsError> {
    let (header, data) = parse(bytes)?;
    let file_summary = header
        .spec
        .summary()
        .map_err(|e| WeightsError::Corrupt(format!("its model is invalid: {e}")))?;
    let here_summary = expected
        .summary()
        .map_err(|e| WeightsError::Mismatch(e.to_string()))?;
    let arch = |s: &Summary| {
        s.rows
            .iter()
            .map(|r| (r.kind.clone(), r.output_shape, r.params))
            .collect::<Vec<_>>()
    };
    if header.spec.input != expected.input || arch(&file_summary) != arch(&here_summary) {
        return Err(WeightsError::Mismatch(describe_difference(
            &file_summary,
            &here_summary,
        )));
    }
    let model =
        Network::new(expected, device).map_err(|e| WeightsError::Mismatch(e.to_string()))?;
    let wanted: Vec<TensorEntry> = model
        .named_tensors()
        .into_iter()
        .map(|(name, _, shape)| TensorEntry { name, shape })
        .collect();
    if header.tensors.len() != wanted.len() {
        return Err(WeightsError::Corrupt(format!(
            "it lists {} tensors, the model has {}",
            header.tensors.len(),
            wanted.len()
        )));
    }
    for (f, w) in header.tensors.iter().zip(&wanted) {
        if f != w {
            return Err(WeightsError::Corrupt(format!(
                "tensor {} {:?} where {} {:?} was expected",
                f.name, f.shape, w.name, w.shape
            )));
        }
    }
    let floats: usize = wanted
        .iter()
        .map(|w| w.shape.iter().product::<usize>())
        .sum();
    if data.len() != floats * 4 {
        return Err(WeightsError::Corrupt(format!(
            "{} bytes of values where {} were expected",
            data.len(),
            floats * 4
        )));
    }
    let mut offset = 0;
    let tensors: Vec<Tensor<1>> = wanted
        .iter()
        .map(|w| {
            let n: usize = w.shape.iter().product();
            let values: Vec<f32> = data[offset..offset + 4 * n]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            offset += 4 * n;
            Tensor::from_data(TensorData::new(values, [n]), device)
        })
        .collect();
    Ok(model.with_tensors(tensors.into_iter()))
}

/// Loads weights into a model built from the file's own spec.
pub fn load_with_spec(bytes: &[u8], device: &Device) -> Result<(ModelSpec, Network), WeightsError> {
    let spec = spec_of(bytes)?;
    let model = load(bytes, &spec, device)?;
    Ok((spec, model))
}
