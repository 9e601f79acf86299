//! The builder's two rules for convolutions, as plain functions: what input a stack of layers
//! takes (28×28×1 images when it starts with convolutions, 784 flat pixels otherwise), and
//! where a layer the learner adds goes so that the stack stays a valid Keras `Sequential`
//! (convolutions and pooling before the Flatten, Dense layers after it).

use lab_spec::{InputKind, LayerSpec};

/// Whether a layer works on images (Conv2D, MaxPooling2D).
fn on_images(layer: &LayerSpec) -> bool {
    matches!(
        layer,
        LayerSpec::Conv2D { .. } | LayerSpec::MaxPool2D { .. }
    )
}

/// Whether a layer gives flat features (Flatten, Dense): no image layer may follow it.
fn flat(layer: &LayerSpec) -> bool {
    matches!(layer, LayerSpec::Flatten {} | LayerSpec::Dense { .. })
}

/// The input `layers` take: images (`Image`, 28×28×1) when a Conv2D or MaxPooling2D comes
/// before any Flatten or Dense, else the flattened pixels (`Flat`). An input of another kind
/// (a text task's features) is not the builder's to change and stays.
pub fn input_for(layers: &[LayerSpec], current: InputKind) -> InputKind {
    if !matches!(current, InputKind::Flat | InputKind::Image) {
        return current;
    }
    let starts_with_images = layers
        .iter()
        .find(|l| on_images(l) || flat(l))
        .is_some_and(on_images);
    if starts_with_images {
        InputKind::Image
    } else {
        InputKind::Flat
    }
}

/// Where the image part of the stack ends: the first Flatten or Dense (the end without one).
pub fn image_part_end(layers: &[LayerSpec]) -> usize {
    layers.iter().position(flat).unwrap_or(layers.len())
}

/// Adds `layer` where it fits: a Conv2D or MaxPooling2D at the end of the image part, with a
/// Flatten after it unless one follows already (the Dense layers and the softmax head need flat
/// features); a Flatten there too; a Dense at the end (after a Flatten when the stack still ends
/// in images); anything else at the end.
pub fn add_layer(layers: &mut Vec<LayerSpec>, layer: LayerSpec) {
    let end = image_part_end(layers);
    match layer {
        LayerSpec::Conv2D { .. } | LayerSpec::MaxPool2D { .. } => {
            layers.insert(end, layer);
            if !matches!(layers.get(end + 1), Some(LayerSpec::Flatten {})) {
                layers.insert(end + 1, LayerSpec::Flatten {});
            }
        }
        LayerSpec::Flatten {} => layers.insert(end, layer),
        LayerSpec::Dense { .. } => {
            let ends_in_images = layers.iter().rev().find(|l| on_images(l) || flat(l));
            if ends_in_images.is_some_and(on_images) {
                layers.push(LayerSpec::Flatten {});
            }
            layers.push(layer);
        }
        other => layers.push(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::{Activation, ModelSpec, Padding, TrainingConfig};

    fn conv() -> LayerSpec {
        LayerSpec::Conv2D {
            filters: 8,
            kernel_size: 3,
            strides: 1,
            padding: Padding::Valid,
            activation: Activation::Relu,
            kernel_regularizer: None,
        }
    }

    fn pool() -> LayerSpec {
        LayerSpec::MaxPool2D {
            pool_size: 2,
            strides: None,
        }
    }

    fn dense() -> LayerSpec {
        LayerSpec::Dense {
            units: 16,
            activation: Activation::Relu,
            kernel_regularizer: None,
        }
    }

    #[test]
    fn a_stack_starting_with_convolutions_takes_images() {
        use InputKind::{Flat, Image};
        let cnn = ModelSpec::small_cnn();
        assert_eq!(input_for(&cnn.layers, Flat), Image);
        assert_eq!(input_for(&cnn.layers, Image), Image);
        // A BatchNorm or Dropout first does not decide it; the convolution after it does.
        let bn_first = [LayerSpec::BatchNorm {}, conv(), LayerSpec::Flatten {}];
        assert_eq!(input_for(&bn_first, Flat), Image);
        assert_eq!(input_for(&[pool(), LayerSpec::Flatten {}], Flat), Image);
        // An MLP, the empty baseline, and a convolution only after a Dense (refused later by
        // the summary, naming that layer) take flat pixels.
        assert_eq!(input_for(&ModelSpec::mlp(&[256, 128]).layers, Image), Flat);
        assert_eq!(input_for(&[], Image), Flat);
        assert_eq!(input_for(&[dense(), conv()], Image), Flat);
        assert_eq!(input_for(&[LayerSpec::Flatten {}, conv()], Flat), Flat);
        // A text task's input is not the builder's.
        assert_eq!(
            input_for(&[conv()], InputKind::Features(10_000)),
            InputKind::Features(10_000)
        );
    }

    #[test]
    fn added_layers_go_where_the_stack_stays_valid() {
        // A convolution added to an MLP goes first, with a Flatten before the Dense layers.
        let mut layers = ModelSpec::mlp(&[32]).layers;
        add_layer(&mut layers, conv());
        assert_eq!(layers, [conv(), LayerSpec::Flatten {}, dense_32()]);
        // Pooling after it, still before the Flatten.
        add_layer(&mut layers, pool());
        assert_eq!(layers, [conv(), pool(), LayerSpec::Flatten {}, dense_32()]);
        // A Dense at the end.
        add_layer(&mut layers, dense());
        assert_eq!(layers[4], dense());
        // On a stack of images only, a Dense gets a Flatten first, and a Flatten goes last.
        // (the learner removed its Flatten).
        let mut images = vec![conv(), pool()];
        add_layer(&mut images, dense());
        assert_eq!(images, [conv(), pool(), LayerSpec::Flatten {}, dense()]);
        let mut images = vec![conv()];
        add_layer(&mut images, LayerSpec::Flatten {});
        assert_eq!(images, [conv(), LayerSpec::Flatten {}]);
        // Dropout and BatchNorm go at the end, as before.
        add_layer(&mut images, LayerSpec::Dropout { rate: 0.5 });
        assert_eq!(images[2], LayerSpec::Dropout { rate: 0.5 });
        // Into an empty stack (the baseline): with the Flatten the head needs.
        let mut empty = Vec::new();
        add_layer(&mut empty, conv());
        assert_eq!(empty, [conv(), LayerSpec::Flatten {}]);
        assert_eq!(image_part_end(&empty), 1);
        add_layer(&mut empty, pool());
        assert_eq!(empty, [conv(), pool(), LayerSpec::Flatten {}]);
    }

    #[test]
    fn every_stack_built_by_adding_layers_is_a_valid_model() {
        let kinds = [conv(), pool(), dense(), LayerSpec::Flatten {}];
        // Every sequence of three additions to an MLP and to the empty baseline.
        for start in [Vec::new(), ModelSpec::mlp(&[32]).layers] {
            for a in &kinds {
                for b in &kinds {
                    for c in &kinds {
                        let mut layers = start.clone();
                        for l in [a, b, c] {
                            add_layer(&mut layers, l.clone());
                        }
                        let input = input_for(&layers, InputKind::Flat);
                        let config = TrainingConfig::new(ModelSpec {
                            input,
                            layers: layers.clone(),
                            ..Default::default()
                        });
                        assert_eq!(config.validate(None), Ok(()), "{layers:?}");
                    }
                }
            }
        }
    }

    fn dense_32() -> LayerSpec {
        LayerSpec::Dense {
            units: 32,
            activation: Activation::Relu,
            kernel_regularizer: None,
        }
    }
}
