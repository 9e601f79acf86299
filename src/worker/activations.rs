//! "What the network sees": a finished run's final weights (or its best checkpoint) applied to
//! one test image, normalized as the run's training data was; every Conv2D / MaxPooling2D
//! layer's feature maps and the first Conv2D's filters go to the page as greyscale bytes, each
//! map scaled from its own lowest value to its highest, so the message stays small (the small
//! CNN's maps are about 36 kB).

use lab_engine::activations::{self as engine, Activations, Filters, LayerOutput};
use lab_engine::weights;
use lab_spec::worker::{FeatureMaps, Reply, SeenActivations, WhichWeights};

use super::backend::checkpoint_device;
use super::sink::Outbox;
use super::state::State;

/// `values` as greyscale: the lowest finite value 0 (black), the highest 255 (white), linear in
/// between; a map whose finite values are all equal (a ReLU that never fired) is all black, and
/// so is a value that is not finite.
pub fn grey(values: &[f32]) -> Vec<u8> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let span = hi - lo;
    values
        .iter()
        .map(|&v| {
            if !(v.is_finite() && span > 0.0 && span.is_finite()) {
                0
            } else {
                // Within [0, 255] by construction; `as` saturates anyway.
                (((v - lo) / span) * 255.0).round() as u8
            }
        })
        .collect()
}

/// A layer's output (map after map) as one greyscale image per channel.
pub fn layer_maps(layer: &LayerOutput) -> FeatureMaps {
    let [h, w, _] = layer.shape;
    let maps = layer
        .values
        .chunks(h * w)
        .map(|map| serde_bytes::ByteBuf::from(grey(map)))
        .collect();
    FeatureMaps {
        name: layer.name.clone(),
        kind: layer.kind.clone(),
        height: h,
        width: w,
        maps,
    }
}

/// The first Conv2D's filters (Keras' `[kh, kw, in, filters]`), of their first input channel
/// (the image's only one), one greyscale image each.
pub fn filter_maps(filters: &Filters) -> FeatureMaps {
    let [kh, kw, inputs, n] = filters.shape;
    let maps = (0..n)
        .map(|f| {
            let kernel: Vec<f32> = (0..kh * kw)
                .map(|yx| filters.values[yx * inputs * n + f])
                .collect();
            serde_bytes::ByteBuf::from(grey(&kernel))
        })
        .collect();
    FeatureMaps {
        name: filters.name.clone(),
        kind: "Conv2D".into(),
        height: kh,
        width: kw,
        maps,
    }
}

/// What the page is sent of `seen`.
pub struct Image {
    pub index: usize,
    pub pixels: Vec<u8>,
    pub true_class: u8,
    pub test_images: usize,
}

pub fn reply(run: u32, which: WhichWeights, image: Image, seen: &Activations) -> SeenActivations {
    SeenActivations {
        run,
        which,
        index: image.index,
        image: serde_bytes::ByteBuf::from(image.pixels),
        true_class: image.true_class,
        layers: seen.layers.iter().map(layer_maps).collect(),
        filters: seen.filters.as_ref().map(filter_maps),
        probabilities: seen.probabilities.clone(),
        test_images: image.test_images,
    }
}

/// Sends what run `run`'s `which` weights see of test image `index`, or why it cannot.
pub async fn send(state: &State, outbox: &Outbox, run: u32, which: WhichWeights, index: usize) {
    outbox.post(match activations(state, run, which, index).await {
        Ok(seen) => Reply::Activations(seen),
        Err(message) => Reply::ActivationsUnavailable {
            run,
            which,
            index,
            message,
        },
    });
}

async fn activations(
    state: &State,
    run: u32,
    which: WhichWeights,
    index: usize,
) -> Result<SeenActivations, String> {
    let (model, spec, normalized, image, device) = {
        let runs = state.runs.borrow();
        let (stored, bytes) = match which {
            WhichWeights::Final => runs.final_weights(run)?,
            WhichWeights::Best => {
                let (stored, checkpoint) = runs.checkpoint(run)?;
                (stored, checkpoint.bytes.as_slice())
            }
        };
        let data = state
            .data
            .borrow()
            .clone()
            .ok_or("the data is not loaded")?;
        let test_images = data.test.len();
        if index >= test_images {
            return Err(format!(
                "there are {test_images} test images: pick a number from 0 to {}",
                test_images.saturating_sub(1)
            ));
        }
        let spec = stored.config.model.clone();
        let device = checkpoint_device(state.backend.borrow().as_ref(), stored.cpu, &spec);
        let model = weights::load(bytes, &spec, &device).map_err(|e| e.to_string())?;
        let one = data.test.select(&[index]);
        let normalized = stored
            .normalizer
            .apply(&one)
            .x
            .into_dense()
            .ok_or("this run's inputs are not images")?;
        let image = Image {
            index,
            pixels: one.images,
            true_class: one.labels[0],
            test_images,
        };
        (model, spec, normalized, image, device)
    };
    let seen = engine::activations(&model, &spec, &normalized, &device).await?;
    Ok(reply(run, which, image, &seen))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_map_is_scaled_from_its_lowest_to_its_highest_value() {
        assert_eq!(grey(&[-1.0, 0.0, 1.0]), [0, 128, 255]);
        assert_eq!(grey(&[2.0, 4.0, 3.0, 2.5]), [0, 255, 128, 64]);
        // A ReLU that never fired, and an empty map.
        assert_eq!(grey(&[0.0; 4]), [0; 4]);
        assert!(grey(&[]).is_empty());
        // Values that are not finite are black and do not stretch the scale.
        assert_eq!(grey(&[f32::NAN, 1.0, 3.0, f32::INFINITY]), [0, 0, 255, 0]);
    }

    #[test]
    fn a_layer_is_cut_into_one_image_per_channel() {
        // 2 channels of 1×3: the first rises, the second falls.
        let layer = LayerOutput {
            name: "conv2d".into(),
            kind: "Conv2D".into(),
            shape: [1, 3, 2],
            values: vec![0.0, 1.0, 2.0, 5.0, 4.0, 3.0],
        };
        let maps = layer_maps(&layer);
        assert_eq!((maps.height, maps.width), (1, 3));
        assert_eq!(maps.maps.len(), 2);
        assert_eq!(maps.maps[0].as_slice(), [0, 128, 255]);
        assert_eq!(maps.maps[1].as_slice(), [255, 128, 0]);
        assert_eq!(maps.name, "conv2d");
    }

    #[test]
    fn each_filter_is_read_from_keras_layout() {
        // [kh 1, kw 2, in 1, filters 3]: Keras' index is (x·in + i)·filters + f.
        let filters = Filters {
            name: "conv2d".into(),
            shape: [1, 2, 1, 3],
            values: vec![0.0, 1.0, 2.0, 1.0, 0.0, 2.0],
        };
        let maps = filter_maps(&filters);
        assert_eq!((maps.height, maps.width, maps.maps.len()), (1, 2, 3));
        // Filter 0: (0, 1) → rising; filter 1: (1, 0) → falling; filter 2: (2, 2) → flat.
        assert_eq!(maps.maps[0].as_slice(), [0, 255]);
        assert_eq!(maps.maps[1].as_slice(), [255, 0]);
        assert_eq!(maps.maps[2].as_slice(), [0, 0]);
    }

    #[test]
    fn the_reply_carries_the_small_cnns_maps_as_greyscale() {
        let spec = lab_spec::ModelSpec::small_cnn();
        let device = burn::tensor::Device::flex();
        let model = lab_engine::model::Network::new(&spec, &device).unwrap();
        let image: Vec<f32> = (0..784).map(|i| (i % 28) as f32 / 28.0).collect();
        let seen = futures::executor::block_on(engine::activations(&model, &spec, &image, &device))
            .unwrap();
        let pixels = vec![9; 784];
        let r = reply(
            4,
            WhichWeights::Best,
            Image {
                index: 12,
                pixels: pixels.clone(),
                true_class: 3,
                test_images: 10_000,
            },
            &seen,
        );
        let shapes: Vec<(&str, usize, usize, usize)> = r
            .layers
            .iter()
            .map(|l| (l.name.as_str(), l.height, l.width, l.maps.len()))
            .collect();
        assert_eq!(
            shapes,
            [
                ("conv2d", 26, 26, 32),
                ("max_pooling2d", 13, 13, 32),
                ("conv2d_1", 11, 11, 64),
                ("max_pooling2d_1", 5, 5, 64)
            ]
        );
        assert!(
            r.layers
                .iter()
                .all(|l| l.maps.iter().all(|m| m.len() == l.height * l.width))
        );
        let f = r.filters.unwrap();
        assert_eq!((f.height, f.width, f.maps.len()), (3, 3, 32));
        assert_eq!((r.run, r.index, r.true_class), (4, 12, 3));
        assert_eq!(r.image.into_vec(), pixels);
        assert_eq!(r.probabilities.len(), 10);
    }
}
