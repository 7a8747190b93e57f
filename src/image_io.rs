//! Reading and writing pictures: PNG and JPEG (and whatever else the `image`
//! crate was built with), EXIF orientation applied, alpha composited over
//! white, grey and 16-bit handled. In memory an image is `(3, H, W)` RGB in [0, 1].

use crate::error::Error;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader, Rgb32FImage};
use ndarray::{Array3, ArrayView3};
use std::path::Path;

/// Largest side accepted on load, so a malicious header cannot ask for gigabytes.
pub const MAX_SIDE: u32 = 32768;

/// Decodes an image file into `(3, H, W)` RGB in [0, 1].
pub fn load(path: &Path) -> Result<Array3<f32>, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode(&bytes).map_err(|reason| Error::image(path, reason))
}

/// Decodes image bytes; the error is a reason without the file name.
pub fn decode(bytes: &[u8]) -> Result<Array3<f32>, String> {
    if bytes.is_empty() {
        return Err("file is empty".into());
    }
    let reader = ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().map_err(|e| format!("cannot read: {e}"))?;
    match reader.format() {
        None => return Err("not an image this build can read (PNG or JPEG)".into()),
        Some(image::ImageFormat::Png | image::ImageFormat::Jpeg) => {}
        Some(f) => return Err(format!("{f:?} images are not supported (this build reads PNG and JPEG)")),
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(1 << 30);
    let mut reader = reader;
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| format!("cannot decode: {e}"))?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(format!("image has zero size ({w}x{h})"));
    }
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| format!("cannot decode: {e}"))?;
    img.apply_orientation(orientation);
    Ok(to_array(&img))
}

/// Any decoded image to `(3, H, W)` RGB, alpha composited over white.
pub fn to_array(img: &DynamicImage) -> Array3<f32> {
    let rgba = img.to_rgba32f();
    let (w, h) = rgba.dimensions();
    let mut out = Array3::zeros((3, h as usize, w as usize));
    for (x, y, p) in rgba.enumerate_pixels() {
        let a = p[3].clamp(0.0, 1.0);
        for c in 0..3 {
            out[[c, y as usize, x as usize]] = (p[c].clamp(0.0, 1.0) * a + (1.0 - a)).clamp(0.0, 1.0);
        }
    }
    out
}

fn to_rgb32f(x: ArrayView3<f32>) -> Rgb32FImage {
    let (_, h, w) = x.dim();
    Rgb32FImage::from_fn(w as u32, h as u32, |i, j| image::Rgb([0, 1, 2].map(|c| x[[c, j as usize, i as usize]])))
}

/// `(3, H, W)` to 8-bit RGB.
pub fn to_rgb8(x: ArrayView3<f32>) -> image::RgbImage {
    let (_, h, w) = x.dim();
    image::RgbImage::from_fn(w as u32, h as u32, |i, j| {
        image::Rgb([0, 1, 2].map(|c| (x[[c, j as usize, i as usize]].clamp(0.0, 1.0) * 255.0).round() as u8))
    })
}

/// Resamples `(3, H, W)` to `(3, h, w)` with a Lanczos filter (no-op at the same size).
pub fn resize(x: ArrayView3<f32>, h: usize, w: usize) -> Array3<f32> {
    let (_, h0, w0) = x.dim();
    if (h0, w0) == (h, w) {
        return x.to_owned();
    }
    let img = DynamicImage::ImageRgb32F(to_rgb32f(x)).resize_exact(w as u32, h as u32, FilterType::Lanczos3);
    let mut out = to_array(&img);
    out.mapv_inplace(|v| v.clamp(0.0, 1.0));
    out
}

/// Size `(h, w)` whose longest side is `longest`, keeping the aspect ratio.
pub fn fit_longest(h: usize, w: usize, longest: usize) -> (usize, usize) {
    let s = longest as f64 / h.max(w) as f64;
    (((h as f64 * s).round() as usize).max(1), ((w as f64 * s).round() as usize).max(1))
}

/// Resizes so the longest side is `longest` (untouched if it already is).
pub fn resize_longest(x: ArrayView3<f32>, longest: usize) -> Array3<f32> {
    let (_, h, w) = x.dim();
    let (nh, nw) = fit_longest(h, w, longest);
    resize(x, nh, nw)
}

/// The output format for a path's extension, or an error naming the path.
pub fn format_for(path: &Path) -> Result<image::ImageFormat, Error> {
    let ext = path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("png") => Ok(image::ImageFormat::Png),
        Some("jpg") | Some("jpeg") => Ok(image::ImageFormat::Jpeg),
        _ => Err(Error::image(path, "output must end in .png, .jpg or .jpeg")),
    }
}

/// Encodes `(3, H, W)` in the format of `path`'s extension.
pub fn encode(x: ArrayView3<f32>, path: &Path) -> Result<Vec<u8>, Error> {
    let format = format_for(path)?;
    let mut buf = std::io::Cursor::new(Vec::new());
    to_rgb8(x).write_to(&mut buf, format).map_err(|e| Error::image(path, format!("cannot encode: {e}")))?;
    Ok(buf.into_inner())
}

/// Writes `(3, H, W)` to `path` atomically: a temporary file in the same folder,
/// then a rename, so a crash never leaves half an image under the final name.
pub fn save(x: ArrayView3<f32>, path: &Path) -> Result<(), Error> {
    let bytes = encode(x, path)?;
    write_atomic(path, &bytes)
}

/// `(h, w)` of an image `(C, h, w)`.
pub fn dims(x: &ArrayView3<f32>) -> (usize, usize) {
    (x.dim().1, x.dim().2)
}

/// Whether a file name is one [`load`] reads by its extension: `.png`, `.jpg`
/// or `.jpeg`, in any case.
pub fn is_image_name(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    matches!(ext.as_str(), "png" | "jpg" | "jpeg")
}

/// The image files in `dir` ([`is_image_name`]), sorted by name.
pub fn images_in(dir: &Path) -> Result<Vec<std::path::PathBuf>, Error> {
    let read = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut files: Vec<_> = read.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file() && is_image_name(p)).collect();
    files.sort();
    Ok(files)
}

/// The image files `entries` name: a folder gives its images ([`images_in`]),
/// a file itself. A folder without images, a file that cannot be opened or no
/// image at all is an error.
pub fn images_of(entries: &[std::path::PathBuf]) -> Result<Vec<std::path::PathBuf>, Error> {
    let mut out = Vec::new();
    for path in entries {
        if path.is_dir() {
            let files = images_in(path)?;
            if files.is_empty() {
                return Err(Error::Config(format!("{}: no .png or .jpg files in this folder", path.display())));
            }
            out.extend(files);
        } else {
            std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            out.push(path.clone());
        }
    }
    if out.is_empty() {
        return Err(Error::Config("no images given".into()));
    }
    Ok(out)
}

/// Checks, before any long work, that `path` can be written: its folder exists
/// and accepts a file, it is not a folder, and it is none of `inputs`.
/// Problems with the path itself are [`Error::Invalid`] with field `output`.
pub fn check_output(path: &Path, inputs: &[&Path]) -> Result<(), Error> {
    let invalid = |reason: String| Err(Error::Invalid { field: "output", reason });
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return invalid(format!("folder {} does not exist", dir.display()));
    }
    let probe = dir.join(format!(".neural-style-probe-{}", std::process::id()));
    if let Err(e) = std::fs::write(&probe, b"") {
        return invalid(format!("cannot write a file in {}: {e}", dir.display()));
    }
    let _ = std::fs::remove_file(&probe);
    if path.is_dir() {
        return invalid(format!("{} is a folder", path.display()));
    }
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    let target = canon(dir).map(|d| d.join(path.file_name().unwrap_or_default()));
    if target.is_some() && inputs.iter().any(|input| canon(input) == target) {
        return invalid(format!("{} is also an input; it would be overwritten", path.display()));
    }
    Ok(())
}

/// Writes bytes to `path` through a temporary sibling and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}
