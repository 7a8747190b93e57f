//! Image loading: EXIF orientation, alpha over white, grey and 16-bit inputs,
//! and atomic writes.

use neural_style::image_io::{decode, save};

fn encode(img: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, format).unwrap();
    buf.into_inner()
}

#[test]
fn exif_orientation_is_applied() {
    // 30 wide, 20 tall, red on the left half.
    let img = image::RgbImage::from_fn(30, 20, |x, _| if x < 15 { image::Rgb([255, 0, 0]) } else { image::Rgb([0, 0, 255]) });
    let jpeg = encode(image::DynamicImage::ImageRgb8(img), image::ImageFormat::Jpeg);
    // An APP1 Exif segment saying "rotate 90 degrees clockwise to display" (orientation 6).
    let mut payload = b"Exif\0\0MM\x00\x2a\x00\x00\x00\x08\x00\x01".to_vec();
    payload.extend_from_slice(b"\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00");
    let mut with_exif = jpeg[..2].to_vec();
    with_exif.extend_from_slice(&[0xFF, 0xE1]);
    with_exif.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    with_exif.extend_from_slice(&payload);
    with_exif.extend_from_slice(&jpeg[2..]);
    let plain = decode(&jpeg).unwrap();
    assert_eq!(plain.dim(), (3, 20, 30));
    let rotated = decode(&with_exif).unwrap();
    assert_eq!(rotated.dim(), (3, 30, 20), "rotated to portrait");
    // After a clockwise quarter turn the red half is on top.
    assert!(rotated[[0, 2, 10]] > 0.8 && rotated[[2, 2, 10]] < 0.2, "top is red");
    assert!(rotated[[2, 27, 10]] > 0.8, "bottom is blue");
}

#[test]
fn alpha_is_composited_over_white() {
    let img = image::RgbaImage::from_fn(5, 2, |x, _| match x {
        0 => image::Rgba([0, 0, 0, 0]),        // fully transparent black -> white
        1 => image::Rgba([0, 0, 0, 255]),      // opaque black
        2 => image::Rgba([255, 0, 0, 128]),    // half red over white -> pink
        3 => image::Rgba([100, 100, 100, 64]), // a quarter of mid grey over white
        _ => image::Rgba([0, 255, 0, 255]),
    });
    let x = decode(&encode(image::DynamicImage::ImageRgba8(img), image::ImageFormat::Png)).unwrap();
    assert_eq!(x.dim(), (3, 2, 5));
    for c in 0..3 {
        assert_eq!(x[[c, 0, 0]], 1.0);
        assert_eq!(x[[c, 1, 1]], 0.0);
    }
    assert!((x[[0, 0, 2]] - 1.0).abs() < 1e-6 && (x[[1, 0, 2]] - 0.498).abs() < 0.01);
    // c a + (1 - a): the colour's share by its opacity, white's by the rest.
    let (c, a) = (100.0 / 255.0, 64.0 / 255.0);
    for ch in 0..3 {
        assert!((x[[ch, 0, 3]] - (c * a + 1.0 - a)).abs() < 1e-6, "{}", x[[ch, 0, 3]]);
    }
}

#[test]
fn grey_and_16_bit_inputs() {
    let grey = image::GrayImage::from_fn(5, 3, |x, _| image::Luma([(x * 60) as u8]));
    let x = decode(&encode(image::DynamicImage::ImageLuma8(grey), image::ImageFormat::Png)).unwrap();
    assert_eq!(x.dim(), (3, 3, 5));
    assert!((0..3).all(|c| (x[[c, 1, 2]] - 120.0 / 255.0).abs() < 1e-6), "grey replicated to RGB");
    let deep = image::ImageBuffer::<image::Rgb<u16>, _>::from_fn(4, 4, |x, y| image::Rgb([x as u16 * 20000, y as u16 * 20000, 65535]));
    let x = decode(&encode(image::DynamicImage::ImageRgb16(deep), image::ImageFormat::Png)).unwrap();
    assert!((x[[0, 0, 3]] - 60000.0 / 65535.0).abs() < 1e-5, "16-bit precision kept: {}", x[[0, 0, 3]]);
    assert_eq!(x[[2, 2, 2]], 1.0);
    let grey16 = image::ImageBuffer::<image::LumaA<u16>, _>::from_fn(2, 2, |_, _| image::LumaA([30000, 65535]));
    let x = decode(&encode(image::DynamicImage::ImageLumaA16(grey16), image::ImageFormat::Png)).unwrap();
    assert!((x[[1, 1, 1]] - 30000.0 / 65535.0).abs() < 1e-5);
}

#[test]
fn save_is_atomic_and_round_trips_png() {
    let dir = std::env::temp_dir().join(format!("ns-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let img = ndarray::Array3::from_shape_fn((3, 6, 9), |(c, i, j)| ((c * 50 + i * 20 + j * 10) % 256) as f32 / 255.0);
    let p = dir.join("out.png");
    save(img.view(), &p).unwrap();
    let back = neural_style::image_io::load(&p).unwrap();
    assert!(back.iter().zip(img.iter()).all(|(a, b)| (a - b).abs() < 1e-6), "8-bit PNG round trip");
    let names: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["out.png"], "no temporary file left");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn save_writes_its_temporary_beside_the_target() {
    use std::os::unix::fs::MetadataExt;
    // A folder on another filesystem than the working folder (tmpfs under
    // /dev/shm, the crate on disk): a temporary written anywhere but beside
    // the target could not be renamed onto it.
    let shm = std::path::Path::new("/dev/shm");
    let here = std::fs::metadata(".").unwrap().dev();
    if !shm.is_dir() || std::fs::metadata(shm).unwrap().dev() == here {
        eprintln!("no second filesystem at /dev/shm: nothing to check here");
        return;
    }
    let dir = shm.join(format!("ns-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let img = ndarray::Array3::from_elem((3, 2, 2), 0.5f32);
    let p = dir.join("out.png");
    let saved = save(img.view(), &p);
    std::fs::remove_dir_all(&dir).ok();
    saved.unwrap();
}

#[test]
fn a_folder_gives_its_pictures_by_name_and_nothing_else() {
    use neural_style::image_io::{images_in, images_of};
    let dir = std::env::temp_dir().join(format!("ns-io-folder-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub.png")).unwrap(); // a folder with a picture's name
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    for name in ["b.JPG", "a.png", "c.jpeg", "notes.txt", "d.png.bak"] {
        std::fs::write(dir.join(name), b"x").unwrap();
    }
    let names = |v: Vec<std::path::PathBuf>| v.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect::<Vec<_>>();
    assert_eq!(names(images_in(&dir).unwrap()), ["a.png", "b.JPG", "c.jpeg"]);
    // A folder and a file, in the order given; any file named is taken as it is.
    let listed = images_of(&[dir.clone(), dir.join("notes.txt")]).unwrap();
    assert_eq!(names(listed), ["a.png", "b.JPG", "c.jpeg", "notes.txt"]);
    let no_pictures = images_of(std::slice::from_ref(&empty)).unwrap_err().to_string();
    assert!(no_pictures.contains("no .png or .jpg files"), "{no_pictures}");
    assert!(images_of(&[dir.join("missing.png")]).is_err());
    assert!(images_of(&[]).unwrap_err().to_string().contains("no images"));
    std::fs::remove_dir_all(&dir).ok();
}
