//! A folder of photographs in one style, the way `neural-style batch` does it:
//! results that exist are skipped (run it again after a crash), a photograph
//! that cannot be read is reported and the rest go on.
//!
//!     cargo run --release --example batch -- photos/ painting.jpg out/

use neural_style::transfer::batch::{self, ItemRecord, Listener, Place, Plan};
use neural_style::transfer::{Config, Session};
use neural_style::{image_io, weights, Error, Pooling};
use std::path::PathBuf;
use std::sync::Arc;

/// Prints one line per item; everything else is left to the defaults.
struct Print;

impl Listener for Print {
    fn finished(&mut self, place: &Place, r: &ItemRecord) -> Result<(), Error> {
        eprintln!("{}: {} {} ({:.1}s){}", place.label, r.status.name(), r.output.display(), r.seconds, r.error.as_deref().unwrap_or(""));
        Ok(())
    }
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [photos, style, out] = args.as_slice() else {
        eprintln!("usage: batch PHOTOS_DIR STYLE OUTPUT_DIR");
        std::process::exit(2);
    };
    let config = Config { size: 256, iterations: 50, ..Config::default() };
    let net = Arc::new(weights::network(None, Pooling::Avg, false, config.deepest_tap())?);
    let mut session = Session::new(net, config)?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(std::path::Path::new(out), e))?;
    // Every photograph in the folder, by name; no sequence, no shard.
    let plan = Plan::new(image_io::images_in(photos.as_ref())?, vec![PathBuf::from(style)], PathBuf::from(out), false, None)?;
    let summary = batch::run(&mut session, &plan, None, &mut Print)?;
    eprintln!("{} done, {} skipped, {} failed in {:.0}s", summary.done, summary.skipped, summary.failed, summary.seconds);
    Ok(())
}
