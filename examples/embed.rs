//! Embedding the engine: configure a run, refuse it if it would not fit in
//! memory, paint it coarse to fine, watch its progress, stop it early, get the
//! image back.
//!
//!     cargo run --release --example embed -- photo.jpg painting.jpg out.png

use neural_style::transfer::{Config, Control, MemoryLimit, Picture, Session};
use neural_style::{image_io, weights, Error, Pooling};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [content, style, out] = args.as_slice() else {
        eprintln!("usage: embed CONTENT STYLE OUTPUT");
        std::process::exit(2);
    };
    // 512 px, reached from 256 (two scales: 150 iterations at 256, then 60).
    let config = Config { size: 512, iterations: 60, scales: Some(2), ..Config::default() };
    // The built-in VGG19, average pooling as in the paper, as deep as the run reads.
    let net = Arc::new(weights::network(None, Pooling::Avg, false, config.deepest_tap())?);
    let content = image_io::load(content.as_ref())?;
    let style = image_io::load(style.as_ref())?;
    // Refuses a picture the machine lacks the memory for, naming a size that fits.
    let mut session = Session::new(net, config)?.memory_limit(MemoryLimit::Available);

    // Stop after two minutes whatever happens: the best image so far comes back.
    let deadline = Instant::now() + Duration::from_secs(120);
    let styles = [style.view()];
    let picture = Picture { content: Some(content.view()), styles: &styles, ..Default::default() };
    let result = session.paint(&picture, &mut |_, _, _| {}, &mut |p| {
        if p.eval % 10 == 0 {
            let (_, h, w) = p.prepared.x0.dim();
            eprintln!(
                "scale {}/{} ({w}x{h}), evaluation {:>3}, iteration {}/{}: loss {:.3e}",
                p.scale + 1,
                p.scales,
                p.eval,
                p.iteration,
                p.total_iterations,
                p.progress.evaluation.loss
            );
        }
        if Instant::now() > deadline {
            Control::Stop
        } else {
            Control::Continue
        }
    })?;
    image_io::save(result.outcome.image.view(), out.as_ref())?;
    eprintln!("{} evaluations in {:.1}s, stopped: {:?}", result.evals, result.seconds, result.outcome.stop);
    Ok(())
}
