//! Style targets kept between runs: a batch computes each style image's Grams
//! once per size and settings, not once per picture.

use super::Config;
use crate::error::Error;
use crate::objective::StyleTarget;
use crate::vgg::Tap;
use std::collections::HashMap;

/// What a set of style targets depends on besides the network.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct StyleKey {
    /// The caller's name for the style images.
    images: u64,
    /// Longest side the style images are resampled to.
    size: usize,
    layers: Vec<Tap>,
    /// `w_l` and the blend, as bits (f32 is not `Hash`).
    layer_weights: Option<Vec<u32>>,
    blend: Option<Vec<u32>>,
}

impl StyleKey {
    pub(super) fn new(images: u64, config: &Config, size: usize) -> Self {
        let bits = |v: &Option<Vec<f32>>| v.as_ref().map(|v| v.iter().map(|x| x.to_bits()).collect());
        StyleKey {
            images,
            size,
            layers: config.style_layers.clone(),
            layer_weights: bits(&config.style_layer_weights),
            blend: bits(&config.style_blend),
        }
    }
}

/// Style targets by style images and settings, for [`super::prepare_cached`].
#[derive(Default)]
pub struct StyleCache {
    entries: HashMap<StyleKey, Vec<StyleTarget>>,
    hits: usize,
}

impl StyleCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many preparations took their style targets from the cache.
    pub fn hits(&self) -> usize {
        self.hits
    }

    /// How many sets of style targets are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(super) fn get_or_insert(
        &mut self,
        key: StyleKey,
        compute: impl FnOnce() -> Result<Vec<StyleTarget>, Error>,
    ) -> Result<Vec<StyleTarget>, Error> {
        if let Some(t) = self.entries.get(&key) {
            self.hits += 1;
            return Ok(t.clone());
        }
        let t = compute()?;
        self.entries.insert(key, t.clone());
        Ok(t)
    }
}
