//! Saving and loading weights.

mod common;

use futures::executor::block_on;
use lab_engine::data::prepare;
use lab_engine::lab_spec::*;
use lab_engine::model::Network;
use lab_engine::training::predict;
use lab_engine::weights::{self, WeightsError};

#[test]
fn save_then_load_gives_the_same_predictions() {
    let device = common::device().inner();
    let spec = ModelSpec {
        input: InputKind::Image,
        layers: vec![
            LayerSpec::Conv2D {
                filters: 3,
                kernel_size: 3,
                strides: 1,
                padding: Padding::Valid,
                activation: Activation::Relu,
                kernel_regularizer: None,
            },
            LayerSpec::BatchNorm {},
            LayerSpec::Flatten {},
            LayerSpec::Dense {
                units: 7,
                activation: Activation::Relu,
                kernel_regularizer: None,
            },
        ],
        head_regularizer: None,
    };
    device.seed(3);
    let model = Network::new(&spec, &device).unwrap();
    let bytes = block_on(weights::to_bytes(&model, &spec)).unwrap();
    let (spec2, loaded) = weights::load_with_spec(&bytes, &device).unwrap();
    assert_eq!(spec2, spec);
    let data = common::synthetic(3, 1);
    let p = prepare(&data, &TrainingConfig::new(spec.clone()));
    let a = block_on(predict(&model, spec.input, &p.train, &device, 100)).unwrap();
    let b = block_on(predict(&loaded, spec.input, &p.train, &device, 100)).unwrap();
    assert_eq!(a, b);
    // And byte for byte the same file again.
    assert_eq!(block_on(weights::to_bytes(&loaded, &spec)).unwrap(), bytes);
}

#[test]
fn mismatched_architecture_names_the_difference() {
    let device = common::device().inner();
    let spec = ModelSpec::mlp(&[64, 32]);
    let bytes = block_on(weights::to_bytes(
        &Network::new(&spec, &device).unwrap(),
        &spec,
    ))
    .unwrap();
    let err = weights::load(&bytes, &ModelSpec::mlp(&[64, 16]), &device)
        .err()
        .unwrap();
    assert!(matches!(err, WeightsError::Mismatch(_)));
    assert!(err.to_string().contains("layer 1"), "{err}");
    // A different dropout rate is the same architecture.
    let mut with_dropout = spec.clone();
    with_dropout
        .layers
        .insert(1, LayerSpec::Dropout { rate: 0.5 });
    assert!(weights::load(&bytes, &with_dropout, &device).is_err());
}

#[test]
fn corrupt_bytes_are_refused() {
    let device = common::device().inner();
    let spec = ModelSpec::mlp(&[8]);
    let bytes = block_on(weights::to_bytes(
        &Network::new(&spec, &device).unwrap(),
        &spec,
    ))
    .unwrap();
    for bad in [
        &bytes[..bytes.len() - 4],
        &bytes[..20],
        b"hello world, not weights".as_slice(),
    ] {
        let err = weights::load(bad, &spec, &device).err().unwrap();
        assert!(matches!(err, WeightsError::Corrupt(_)), "{err}");
    }
}
