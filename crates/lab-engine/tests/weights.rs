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
        head: Head::Softmax,
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

#[test]
fn the_file_is_safetensors_with_keras_names_layouts_and_the_config() {
    let device = common::device().inner();
    let config = TrainingConfig::new(ModelSpec::mlp(&[64, 32]));
    let model = Network::new(&config.model, &device).unwrap();
    let bytes = block_on(weights::to_bytes_with_config(&model, &config)).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names: Vec<(String, Vec<usize>)> = file
        .tensors()
        .into_iter()
        .map(|(n, t)| (n, t.shape().to_vec()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("dense.bias".to_string(), vec![64]),
            ("dense.kernel".to_string(), vec![784, 64]),
            ("dense_1.bias".to_string(), vec![32]),
            ("dense_1.kernel".to_string(), vec![64, 32]),
            ("dense_2.bias".to_string(), vec![10]),
            ("dense_2.kernel".to_string(), vec![32, 10]),
        ]
    );
    assert_eq!(weights::spec_of(&bytes).unwrap(), config.model);
    assert_eq!(weights::config_of(&bytes).unwrap(), Some(config));
}

/// keras_weights.safetensors: a Keras CNN with random weights (Conv2D same/valid with strides,
/// BatchNormalization, MaxPooling2D, Dense), written by fixtures/make_keras_weights.py with
/// Keras 3; keras_weights.json: Keras' softmax outputs on four images.
#[test]
fn weights_written_by_keras_load_and_predict_as_keras_does() {
    let device = common::device().inner();
    let bytes = include_bytes!("fixtures/keras_weights.safetensors");
    let expected: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/keras_weights.json")).unwrap();
    let (spec, model) = weights::load_with_spec(bytes, &device).unwrap();
    assert_eq!(spec.input, InputKind::Image);
    let images: Vec<f32> = expected["images"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|img| img.as_array().unwrap().iter())
        .map(|v| v.as_f64().unwrap() as f32 / 255.0)
        .collect();
    let x = burn::tensor::Tensor::<2>::from_data(
        burn::tensor::TensorData::new(images, [4, 784]),
        &device,
    );
    let probabilities = burn::tensor::activation::softmax(model.forward(x, spec.input), 1)
        .into_data()
        .try_to_vec_as::<f32>()
        .unwrap();
    let keras: Vec<f64> = expected["probabilities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().iter())
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(probabilities.len(), keras.len());
    for (i, (ours, theirs)) in probabilities.iter().zip(&keras).enumerate() {
        assert!(
            (*ours as f64 - theirs).abs() < 1e-5,
            "image {}, class {}: {ours} here, {theirs} in Keras",
            i / 10,
            i % 10
        );
    }
    // The same file into another architecture names the first difference.
    let mut other = spec.clone();
    other.layers[5] = LayerSpec::Dense {
        units: 9,
        activation: Activation::Relu,
        kernel_regularizer: None,
    };
    let err = weights::load(bytes, &other, &device).err().unwrap();
    assert!(matches!(err, WeightsError::Mismatch(_)), "{err}");
    assert!(err.to_string().contains("layer 5"), "{err}");
}

#[test]
fn a_file_without_a_spec_loads_by_names_and_shapes() {
    let device = common::device().inner();
    let spec = ModelSpec::mlp(&[8]);
    let model = Network::new(&spec, &device).unwrap();
    let bytes = block_on(weights::to_bytes(&model, &spec)).unwrap();
    // Rewrite the same tensors without metadata, as another tool would.
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let bare = safetensors::serialize(file.tensors(), None).unwrap();
    assert!(weights::load(&bare, &spec, &device).is_ok());
    assert!(weights::spec_of(&bare).is_err());
    let err = weights::load(&bare, &ModelSpec::mlp(&[9]), &device)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("dense.kernel has shape [784, 8] in the file but [784, 9] here"),
        "{err}"
    );
    // Missing and extra tensors.
    let fewer = safetensors::serialize(
        file.tensors()
            .into_iter()
            .filter(|(n, _)| n != "dense_1.bias"),
        None,
    )
    .unwrap();
    let err = weights::load(&fewer, &spec, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("no tensor dense_1.bias"), "{err}");
}
