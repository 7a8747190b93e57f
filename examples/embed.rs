//! Embedding the engine: configure a run, watch its progress, stop it early,
//! get the image back.
//!
//!     cargo run --release --example embed -- photo.jpg painting.jpg out.png

use neural_style::transfer::{self, Config, Control};
use neural_style::{image_io, weights, Error, Pooling};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [content, style, out] = args.as_slice() else {
        eprintln!("usage: embed CONTENT STYLE OUTPUT");
        std::process::exit(2);
    };
    // The built-in VGG19, average pooling as in the paper.
    let net = Arc::new(weights::shipped().to_network(Pooling::Avg, false)?);
    let content = image_io::load(content.as_ref())?;
    let style = image_io::load(style.as_ref())?;
    let config = Config { size: 256, iterations: 60, ..Config::default() };

    // Stop after two minutes whatever happens: the best image so far comes back.
    let deadline = Instant::now() + Duration::from_secs(120);
    let outcome = transfer::run(net, &config, Some(content.view()), &[style.view()], &mut |p| {
        if p.eval % 10 == 0 {
            eprintln!("evaluation {:>3}: loss {:.3e} (style {:.3e})", p.eval, p.evaluation.loss, p.evaluation.style);
        }
        if Instant::now() > deadline {
            Control::Stop
        } else {
            Control::Continue
        }
    })?;
    image_io::save(outcome.image.view(), out.as_ref())?;
    eprintln!("{} evaluations in {:.1}s, stopped: {:?}", outcome.evals, outcome.seconds, outcome.stop);
    Ok(())
}
