//! The weights file (`.nsw`): self-describing, little-endian, checksummed.
//!
//! ```text
//! magic        8 bytes  "NSTYLEW\0"
//! version      u32      1
//! order        u8       0 = RGB, 1 = BGR: channel order of the first layer
//! scale        f32      value of full intensity (255 or 1)
//! mean, std    2 x 3 f32, in the network's channel order
//! note         u32 length + UTF-8: provenance and licence
//! layers       u32 count, then per layer:
//!   name       u16 length + UTF-8 (conv1_1 ...)
//!   shape      4 x u32 (O, I, KH, KW)
//!   encoding   u8: 0 = f32, 1 = 8-bit codebook
//!   scales     u8: 1 if per-filter normalisation scales follow the bias
//! data, per layer in table order:
//!   f32        O*I*KH*KW f32
//!   codebook   256 f32 centroids, then O*I*KH*KW u8 codes
//!   bias       O f32
//!   scales     O f32 (each filter's mean activation), if flagged
//! crc32        u32, IEEE CRC-32 of every byte before it
//! ```
//! `tools/nsw.py` writes the same format for the converters.

use super::crc32::crc32;
use crate::error::Error;
use crate::preprocess::{ChannelOrder, InputConvention};
use byteorder::{LittleEndian as LE, ReadBytesExt, WriteBytesExt};
use std::io::{Cursor, Read};

/// The first bytes of a weights file.
pub const MAGIC: &[u8; 8] = b"NSTYLEW\0";
/// The format version written.
pub const VERSION: u32 = 1;
/// Largest dimension accepted, so a corrupt header cannot ask for terabytes.
const MAX_DIM: u32 = 4096;

/// How one layer's weights are stored.
#[derive(Clone, Debug, PartialEq)]
pub enum Encoding {
    /// (O, I, KH, KW) floats.
    F32(Vec<f32>),
    /// Each weight is `table[code]`: 256 centroids and (O, I, KH, KW) codes.
    Codebook {
        /// The 256 centroids.
        table: Vec<f32>,
        /// One code per weight.
        codes: Vec<u8>,
    },
}

impl Encoding {
    fn tag(&self) -> u8 {
        match self {
            Encoding::F32(_) => 0,
            Encoding::Codebook { .. } => 1,
        }
    }
    /// The weights as floats.
    pub fn decode(&self) -> Vec<f32> {
        match self {
            Encoding::F32(w) => w.clone(),
            Encoding::Codebook { table, codes } => codes.iter().map(|&c| table[c as usize]).collect(),
        }
    }
}

/// One layer as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerRecord {
    /// The layer's name (`conv1_1` ...).
    pub name: String,
    /// (O, I, KH, KW)
    pub shape: [usize; 4],
    /// The weights, plain or quantised.
    pub weights: Encoding,
    /// (O)
    pub bias: Vec<f32>,
    /// (O): each filter's mean activation over the calibration images, if computed.
    pub scales: Option<Vec<f32>>,
}

/// A whole weights file.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightsFile {
    /// How images are prepared for this network.
    pub convention: InputConvention,
    /// Where the weights came from.
    pub note: String,
    /// The convolution layers in order.
    pub layers: Vec<LayerRecord>,
}

fn bad(msg: impl Into<String>) -> Error {
    Error::Weights(msg.into())
}

fn finite(what: &str, v: &[f32]) -> Result<(), Error> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(bad(format!("{what} holds a non-finite number at index {i}"))),
        None => Ok(()),
    }
}

fn read_f32s(r: &mut Cursor<&[u8]>, n: usize, what: &str) -> Result<Vec<f32>, Error> {
    let remaining = r.get_ref().len() - r.position() as usize;
    if n.checked_mul(4).is_none_or(|b| b > remaining) {
        return Err(bad(format!("file is truncated in {what}")));
    }
    let mut v = vec![0.0f32; n];
    r.read_f32_into::<LE>(&mut v).map_err(|_| bad(format!("file is truncated in {what}")))?;
    finite(what, &v)?;
    Ok(v)
}

fn read_str(r: &mut Cursor<&[u8]>, len: usize, what: &str) -> Result<String, Error> {
    let remaining = r.get_ref().len() - r.position() as usize;
    if len > remaining {
        return Err(bad(format!("file is truncated in {what}")));
    }
    let mut b = vec![0u8; len];
    r.read_exact(&mut b).map_err(|_| bad(format!("file is truncated in {what}")))?;
    String::from_utf8(b).map_err(|_| bad(format!("{what} is not UTF-8")))
}

impl WeightsFile {
    /// Parses and checks a weights file: magic, version, checksum, sizes,
    /// finiteness. (Whether the layers are VGG19's is checked by `to_network`.)
    pub fn parse(bytes: &[u8]) -> Result<WeightsFile, Error> {
        if bytes.len() < 8 || &bytes[..8] != MAGIC {
            return Err(bad("not a neural-style weights file (bad magic; convert other formats with tools/)"));
        }
        if bytes.len() < 16 {
            return Err(bad("file is truncated in the header"));
        }
        let (body, tail) = bytes.split_at(bytes.len() - 4);
        let stored = u32::from_le_bytes(tail.try_into().unwrap());
        let mut r = Cursor::new(body);
        r.set_position(8);
        let trunc = |_| bad("file is truncated in the header");
        let version = r.read_u32::<LE>().map_err(trunc)?;
        if version != VERSION {
            return Err(bad(format!("unsupported format version {version} (this build reads {VERSION})")));
        }
        if crc32(body) != stored {
            return Err(bad("checksum mismatch: the file is damaged or truncated"));
        }
        let order = match r.read_u8().map_err(trunc)? {
            0 => ChannelOrder::Rgb,
            1 => ChannelOrder::Bgr,
            o => return Err(bad(format!("unknown channel order {o}"))),
        };
        let scale = r.read_f32::<LE>().map_err(trunc)?;
        let mean = read_f32s(&mut r, 3, "the input mean")?;
        let std = read_f32s(&mut r, 3, "the input std")?;
        if !(scale.is_finite() && scale > 0.0) || std.iter().any(|s| *s <= 0.0) {
            return Err(bad(format!("input convention needs a positive, finite scale and positive std (scale {scale}, std {std:?})")));
        }
        let note_len = r.read_u32::<LE>().map_err(trunc)? as usize;
        let note = read_str(&mut r, note_len, "the note")?;
        let count = r.read_u32::<LE>().map_err(trunc)?;
        if count == 0 || count > 64 {
            return Err(bad(format!("implausible layer count {count}")));
        }
        let mut heads = Vec::new();
        for _ in 0..count {
            let name_len = r.read_u16::<LE>().map_err(trunc)? as usize;
            let name = read_str(&mut r, name_len, "a layer name")?;
            let mut shape = [0usize; 4];
            for s in shape.iter_mut() {
                let d = r.read_u32::<LE>().map_err(trunc)?;
                if d == 0 || d > MAX_DIM {
                    return Err(bad(format!("layer {name}: implausible dimension {d}")));
                }
                *s = d as usize;
            }
            let enc = r.read_u8().map_err(trunc)?;
            let has_scales = r.read_u8().map_err(trunc)?;
            if enc > 1 || has_scales > 1 {
                return Err(bad(format!("layer {name}: unknown encoding {enc} or scales flag {has_scales}")));
            }
            heads.push((name, shape, enc, has_scales == 1));
        }
        let mut layers = Vec::new();
        for (name, shape, enc, has_scales) in heads {
            let n = shape.iter().product::<usize>();
            let weights = if enc == 0 {
                Encoding::F32(read_f32s(&mut r, n, &format!("{name} weights"))?)
            } else {
                let table = read_f32s(&mut r, 256, &format!("{name} codebook"))?;
                let remaining = body.len() - r.position() as usize;
                if n > remaining {
                    return Err(bad(format!("file is truncated in {name} codes")));
                }
                let mut codes = vec![0u8; n];
                r.read_exact(&mut codes).map_err(|_| bad(format!("file is truncated in {name} codes")))?;
                Encoding::Codebook { table, codes }
            };
            let bias = read_f32s(&mut r, shape[0], &format!("{name} bias"))?;
            let scales = if has_scales {
                let s = read_f32s(&mut r, shape[0], &format!("{name} scales"))?;
                if s.iter().any(|v| *v <= 0.0) {
                    return Err(bad(format!("{name} scales must be positive")));
                }
                Some(s)
            } else {
                None
            };
            layers.push(LayerRecord { name, shape, weights, bias, scales });
        }
        if r.position() as usize != body.len() {
            return Err(bad(format!("{} unexpected bytes after the last layer", body.len() - r.position() as usize)));
        }
        let convention = InputConvention { order, scale, mean: [mean[0], mean[1], mean[2]], std: [std[0], std[1], std[2]] };
        Ok(WeightsFile { convention, note, layers })
    }

    /// Serialises to the format above (the inverse of [`WeightsFile::parse`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w: Vec<u8> = Vec::new();
        w.extend_from_slice(MAGIC);
        w.write_u32::<LE>(VERSION).unwrap();
        let c = &self.convention;
        w.write_u8(match c.order {
            ChannelOrder::Rgb => 0,
            ChannelOrder::Bgr => 1,
        })
        .unwrap();
        w.write_f32::<LE>(c.scale).unwrap();
        for v in c.mean.iter().chain(&c.std) {
            w.write_f32::<LE>(*v).unwrap();
        }
        w.write_u32::<LE>(self.note.len() as u32).unwrap();
        w.extend_from_slice(self.note.as_bytes());
        w.write_u32::<LE>(self.layers.len() as u32).unwrap();
        for l in &self.layers {
            w.write_u16::<LE>(l.name.len() as u16).unwrap();
            w.extend_from_slice(l.name.as_bytes());
            for d in l.shape {
                w.write_u32::<LE>(d as u32).unwrap();
            }
            w.write_u8(l.weights.tag()).unwrap();
            w.write_u8(l.scales.is_some() as u8).unwrap();
        }
        for l in &self.layers {
            match &l.weights {
                Encoding::F32(v) => v.iter().for_each(|x| w.write_f32::<LE>(*x).unwrap()),
                Encoding::Codebook { table, codes } => {
                    table.iter().for_each(|x| w.write_f32::<LE>(*x).unwrap());
                    w.extend_from_slice(codes);
                }
            }
            l.bias.iter().for_each(|x| w.write_f32::<LE>(*x).unwrap());
            if let Some(s) = &l.scales {
                s.iter().for_each(|x| w.write_f32::<LE>(*x).unwrap());
            }
        }
        let crc = crc32(&w);
        w.write_u32::<LE>(crc).unwrap();
        w
    }
}
