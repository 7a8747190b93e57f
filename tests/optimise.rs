//! The optimisers through the library API: L-BFGS lowers the loss, every
//! distinct point costs exactly one forward and one backward, stopping early
//! keeps the best image, the paper's three modes run.

mod common;
use common::*;
use ndarray::Array3;
use neural_style::optim::Optimizer;
use neural_style::optim::{Control, StopReason};
use neural_style::transfer::{self, Config, Init, Mode};
use neural_style::vgg::Tap;
use neural_style::Vgg19;
use std::collections::HashSet;
use std::sync::Arc;

fn image(seed: u64, h: usize, w: usize) -> Array3<f32> {
    let mut r = neural_style::rng::Rng::new(seed);
    Array3::from_shape_simple_fn((3, h, w), || r.uniform())
}

fn net() -> Arc<Vgg19> {
    Arc::new(Vgg19::random(11, 8))
}

fn small_config() -> Config {
    Config { size: 24, iterations: 15, init: Init::Noise, ..Default::default() }
}

#[test]
fn lbfgs_lowers_the_loss_and_counts_one_pass_per_distinct_point() {
    let content = image(1, 20, 24);
    let style = image(2, 30, 16);
    let config = small_config();
    let prepared = transfer::prepare(net(), &config, Some(content.view()), &[style.view()]).unwrap();
    assert_eq!(prepared.mode, Mode::Transfer);
    let mut losses = Vec::new();
    let mut points = HashSet::new();
    let wall = std::time::Instant::now();
    let out = transfer::optimise(&prepared, &config, &mut |p| {
        losses.push(p.evaluation.loss);
        let bits: Vec<u32> = p.x.iter().map(|v| v.to_bits()).collect();
        assert!(points.insert(bits), "evaluation {} repeats a point", p.eval);
        let norm = p.evaluation.grad.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt();
        assert!((p.grad_norm - norm).abs() <= 1e-9 * norm, "grad_norm {} is not |gradient| {norm}", p.grad_norm);
        Control::Continue
    })
    .unwrap();
    assert_eq!(out.stop, StopReason::Iterations);
    assert_eq!(out.iterations, 15);
    assert_eq!(out.evals, losses.len());
    // One forward and one backward per distinct point, no more.
    assert_eq!(prepared.objective.passes(), points.len());
    let best = losses.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(best < 0.2 * losses[0], "L-BFGS went from {} to only {best}", losses[0]);
    assert_eq!(out.loss, best);
    assert_eq!(out.image.dim(), (3, 20, 24));
    // The time inside evaluations is counted, and is part of the whole.
    let wall = wall.elapsed().as_secs_f64();
    assert!(out.eval_seconds > 0.0 && out.eval_seconds <= out.seconds, "{} s of {} s", out.eval_seconds, out.seconds);
    assert!(out.seconds <= wall, "the run says {} s; it took {wall} s", out.seconds);
}

#[test]
fn stopping_early_returns_the_best_image() {
    let content = image(3, 16, 16);
    // Adam with a long step overshoots, so some evaluations are worse than an
    // earlier one (the best point is the evaluator's, for either optimiser).
    let config = Config { iterations: 50, optimizer: Optimizer::Adam { learning_rate: 200.0 }, ..small_config() };
    let prepared = transfer::prepare(net(), &config, Some(content.view()), &[image(4, 16, 16).view()]).unwrap();
    // Stop right after a point that is worse than the best so far (or at the
    // 8th evaluation), so the last point is not the one to return.
    let (mut best, mut best_x, mut stopped_on_worse) = (f64::INFINITY, None, false);
    let out = transfer::optimise(&prepared, &config, &mut |p| {
        let l = p.evaluation.loss;
        if l < best {
            best = l;
            best_x = Some(p.x.to_owned());
        } else if p.eval > 1 {
            stopped_on_worse = true;
            return Control::Stop;
        }
        if p.eval >= 8 {
            Control::Stop
        } else {
            Control::Continue
        }
    })
    .unwrap();
    assert_eq!(out.stop, StopReason::Stopped);
    assert_eq!(out.loss, best);
    assert!(out.image == prepared.picture(best_x.unwrap().view()), "the returned image is not the best point's");
    assert!(stopped_on_worse, "no worse trial point in 8 evaluations: the test did not check what it means to");
}

#[test]
fn lbfgs_uses_its_history() {
    // The same start and objective with 1 and 10 pairs of history: the
    // trajectories part once there is more than one pair to use.
    let content = image(12, 16, 16);
    let style = image(13, 16, 16);
    let run = |history: usize| {
        let config = Config { iterations: 8, optimizer: Optimizer::Lbfgs { history }, ..small_config() };
        let p = transfer::prepare(net(), &config, Some(content.view()), &[style.view()]).unwrap();
        let mut losses = Vec::new();
        transfer::optimise(&p, &config, &mut |p| {
            losses.push(p.evaluation.loss);
            Control::Continue
        })
        .unwrap();
        losses
    };
    let (one, ten) = (run(1), run(10));
    let n = one.len().min(ten.len());
    assert!(one[..n] != ten[..n], "history 1 and 10 evaluate the same points: the history is not used");
}

#[test]
fn adam_lowers_the_loss() {
    let content = image(5, 16, 16);
    let config = Config { iterations: 30, optimizer: Optimizer::Adam { learning_rate: 10.0 }, ..small_config() };
    let mut first = None;
    let out = transfer::run(net(), &config, Some(content.view()), &[image(6, 16, 16).view()], &mut |p| {
        first.get_or_insert(p.evaluation.loss);
        Control::Continue
    })
    .unwrap();
    assert!(out.loss < 0.5 * first.unwrap(), "Adam: {} -> {}", first.unwrap(), out.loss);
}

#[test]
fn content_reconstruction_and_texture_synthesis() {
    let content = image(7, 16, 20);
    let config = Config { content_layers: vec![Tap::parse("relu2_2").unwrap()], ..small_config() };
    let p = transfer::prepare(net(), &config, Some(content.view()), &[]).unwrap();
    assert_eq!(p.mode, Mode::ContentReconstruction);
    assert!(p.objective.style.is_empty());
    let out = transfer::optimise(&p, &config, &mut |_| Control::Continue).unwrap();
    assert_eq!(out.image.dim(), (3, 19, 24));

    let style = image(8, 10, 30);
    let config = Config { style_layers: Tap::parse_list("relu1_1,relu2_1").unwrap(), ..small_config() };
    let p = transfer::prepare(net(), &config, None, &[style.view()]).unwrap();
    assert_eq!(p.mode, Mode::TextureSynthesis);
    assert!(p.objective.content.is_empty());
    let out = transfer::optimise(&p, &config, &mut |_| Control::Continue).unwrap();
    assert_eq!(out.image.dim(), (3, 8, 24), "the style's aspect at --size");
}

#[test]
fn same_seed_same_result_on_any_thread_count() {
    let content = image(9, 16, 16);
    let config = Config { iterations: 5, ..small_config() };
    let run =
        || transfer::run(net(), &config, Some(content.view()), &[image(10, 16, 16).view()], &mut |_| Control::Continue).unwrap().image;
    let one = with_threads(1, run);
    let two = with_threads(2, run);
    assert!(one == two, "1 and 2 threads differ");
}

#[test]
fn bad_settings_are_refused() {
    let content = image(11, 8, 8);
    // A mask over the content (or the style image) of one value, but for a corner.
    let mask = |v: f32| {
        let mut m = ndarray::Array2::from_elem((8, 8), 0.5f32);
        m[[3, 4]] = v;
        m
    };
    for (config, what) in [
        (Config { size: 0, ..small_config() }, "size"),
        (Config { style_layer_weights: Some(vec![1.0]), ..small_config() }, "style_layer_weights"),
        (Config { style_blend: Some(vec![0.3, 0.3]), ..small_config() }, "blend"),
        (Config { init: Init::Image(image(1, 5, 5)), ..small_config() }, "init"),
        (
            Config {
                weights: neural_style::transfer::Weights { content: Some(-1.0), style: 1.0, tv: 0.0, temporal: 0.0 },
                ..small_config()
            },
            "weights.content",
        ),
        (
            Config {
                weights: neural_style::transfer::Weights { content: Some(1.0), style: f32::NAN, tv: 0.0, temporal: 0.0 },
                ..small_config()
            },
            "weights.style",
        ),
        (
            Config {
                weights: neural_style::transfer::Weights { content: Some(1.0), style: 1.0, tv: -2.0, temporal: 0.0 },
                ..small_config()
            },
            "weights.tv",
        ),
        (Config { style_layer_weights: Some(vec![1.0, 1.0, -1.0, 1.0, 1.0]), ..small_config() }, "style_layer_weights"),
        (Config { style_layer_weights: Some(vec![1.0; 4]), ..small_config() }, "4 values for 5 style layers"),
        (Config { style_scale: 0.0, ..small_config() }, "style_scale"),
        (Config { style_scale: -0.5, ..small_config() }, "style_scale"),
        (Config { style_scale: f32::NAN, ..small_config() }, "style_scale"),
        (Config { style_scale: f32::INFINITY, ..small_config() }, "style_scale"),
        (Config { style_image_masks: Some(vec![mask(1.0)]), ..small_config() }, "style_image_masks"),
        (Config { style_masks: Some(vec![mask(1.0)]), style_blend: Some(vec![1.0]), ..small_config() }, "style_blend"),
        (Config { style_masks: Some(vec![mask(1.5)]), ..small_config() }, "style_masks"),
        (Config { style_masks: Some(vec![mask(-0.1)]), ..small_config() }, "style_masks"),
        (Config { style_masks: Some(vec![mask(f32::NAN)]), ..small_config() }, "style_masks"),
        (Config { style_masks: Some(vec![ndarray::Array2::zeros((0, 0))]), ..small_config() }, "style_masks"),
        (Config { style_masks: Some(vec![mask(1.0)]), style_image_masks: Some(vec![mask(2.0)]), ..small_config() }, "style_masks"),
        (Config { optimizer: Optimizer::Lbfgs { history: 0 }, ..small_config() }, "optimizer.history"),
        (Config { optimizer: Optimizer::Adam { learning_rate: 0.0 }, ..small_config() }, "optimizer.learning_rate"),
        (Config { optimizer: Optimizer::Adam { learning_rate: f32::NAN }, ..small_config() }, "optimizer.learning_rate"),
    ] {
        let e = transfer::prepare(net(), &config, Some(content.view()), &[image(12, 8, 8).view()]);
        let msg = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains(what), "{what}: got '{msg}'");
        // The library names its own fields, not the binary's flags.
        assert!(!msg.contains("--"), "{what}: got '{msg}'");
    }
    // Their good neighbours pass.
    for config in [
        Config { style_layer_weights: Some(vec![0.1, 0.2, 0.3, 0.2, 0.2]), ..small_config() },
        Config { style_scale: 0.5, ..small_config() },
        Config { style_scale: 2.0, ..small_config() },
        Config { style_masks: Some(vec![mask(1.0)]), ..small_config() },
        Config { style_masks: Some(vec![mask(0.0)]), style_image_masks: Some(vec![mask(1.0)]), ..small_config() },
        Config { optimizer: Optimizer::Adam { learning_rate: 1.0 }, ..small_config() },
    ] {
        let p = transfer::prepare(net(), &config, Some(content.view()), &[image(12, 8, 8).view()]);
        assert!(p.is_ok(), "{config:?}: {:?}", p.err());
    }
}

#[test]
fn coarse_to_fine_schedule() {
    use neural_style::transfer::{coarse_to_fine, Scale};
    let s = coarse_to_fine(1024, 3, 200, None).unwrap();
    assert_eq!(s, vec![Scale { size: 256, iterations: 1250 }, Scale { size: 512, iterations: 500 }, Scale { size: 1024, iterations: 200 }]);
    assert_eq!(coarse_to_fine(512, 1, 100, None).unwrap(), vec![Scale { size: 512, iterations: 100 }]);
    // Never below 32 pixels; repeated sizes merge.
    let s = coarse_to_fine(64, 4, 10, None).unwrap();
    assert_eq!(s.iter().map(|s| s.size).collect::<Vec<_>>(), vec![32, 64]);
    let s = coarse_to_fine(800, 2, 0, Some(&[500, 200])).unwrap();
    assert_eq!(s, vec![Scale { size: 400, iterations: 500 }, Scale { size: 800, iterations: 200 }]);
    assert!(coarse_to_fine(800, 2, 0, Some(&[1])).is_err());
    assert!(coarse_to_fine(800, 0, 10, None).is_err());
}

/// By default a picture larger than the start size is painted there first and
/// refined at sizes doubling up to its own; a smaller one at its own size.
#[test]
fn the_default_schedule_forms_the_look_at_the_start_size() {
    use neural_style::transfer::{Scale, DEFAULT_START_SIZE, REFINE_ITERATIONS};
    let sizes = |size: usize, start_size: usize| {
        let c = Config { size, start_size, ..Config::default() };
        c.schedule().unwrap().iter().map(|s| (s.size, s.iterations)).collect::<Vec<_>>()
    };
    let (n, r) = (Config::default().iterations, REFINE_ITERATIONS);
    assert_eq!(DEFAULT_START_SIZE, 512);
    assert_eq!(sizes(512, 512), [(512, n)]);
    assert_eq!(sizes(256, 512), [(256, n)], "smaller pictures at their own size");
    assert_eq!(sizes(513, 512), [(512, n), (513, r)]);
    assert_eq!(sizes(1024, 512), [(512, n), (1024, r)]);
    assert_eq!(sizes(1500, 512), [(512, n), (1024, r), (1500, r)], "the last step may be less than double");
    assert_eq!(sizes(2048, 512), [(512, n), (1024, r), (2048, r)]);
    assert_eq!(sizes(1024, 256), [(256, n), (512, r), (1024, r)]);
    // Given scales keep their meaning; one scale is the size alone.
    let c = Config { size: 1024, scales: Some(1), ..Config::default() };
    assert_eq!(c.schedule().unwrap(), [Scale { size: 1024, iterations: n }]);
    let c = Config { size: 1024, scale_iterations: Some(vec![7, 3]), ..Config::default() };
    assert_eq!(c.schedule().unwrap(), [Scale { size: 512, iterations: 7 }, Scale { size: 1024, iterations: 3 }]);
    assert!(Config { size: 1024, scale_iterations: Some(vec![7]), ..Config::default() }.validate().is_err());
    assert!(Config { start_size: 0, ..Config::default() }.validate().is_err());
}

/// Luminance-only transfer from the photograph forms a look of 512 px or more
/// from a painting at half its size with half the iterations (rounded up);
/// nothing else does, and a start the user gave, per-scale iterations, no
/// iterations or a smaller look go without it.
#[test]
fn a_luminance_run_from_the_photograph_warms_up_at_half_size() {
    use neural_style::color::{Histogram, PreserveColors};
    use neural_style::transfer::{GREY_WARM_UP_MIN, REFINE_ITERATIONS};
    assert_eq!(GREY_WARM_UP_MIN, 256);
    let steps = |c: Config| c.schedule().unwrap().iter().map(|s| (s.size, s.iterations)).collect::<Vec<_>>();
    let grey = Config { preserve_colors: PreserveColors::Luminance, ..Config::default() };
    assert_eq!(steps(Config { size: 512, ..grey.clone() }), [(256, 50), (512, 100)]);
    assert_eq!(steps(Config { size: 513, iterations: 7, ..grey.clone() }), [(256, 4), (512, 7), (513, REFINE_ITERATIONS)]);
    assert_eq!(steps(Config { size: 1024, init: Init::Content, ..grey.clone() }), [(256, 50), (512, 100), (1024, REFINE_ITERATIONS)]);
    assert_eq!(steps(Config { size: 1024, start_size: 1024, ..grey.clone() }), [(512, 50), (1024, 100)]);
    assert_eq!(steps(Config { size: 511, ..grey.clone() }), [(511, 100)], "a look under 512 px");
    assert_eq!(steps(Config { size: 256, ..grey.clone() }), [(256, 100)]);
    assert_eq!(steps(Config { size: 512, iterations: 0, ..grey.clone() }), [(512, 0)], "no iterations");
    assert_eq!(steps(Config { size: 512, init: Init::Noise, ..grey.clone() }), [(512, 100)]);
    assert_eq!(steps(Config { size: 512, init: Init::Image(Array3::zeros((3, 4, 4))), ..grey.clone() }), [(512, 100)]);
    assert_eq!(steps(Config { size: 512, scale_iterations: Some(vec![9]), ..grey.clone() }), [(512, 9)]);
    assert_eq!(steps(Config { size: 512, scales: Some(2), ..grey.clone() }), [(256, 250), (512, 100)], "given scales as they are");
    for other in [PreserveColors::None, PreserveColors::Original, PreserveColors::Histogram(Histogram::Eigen)] {
        assert_eq!(steps(Config { size: 512, preserve_colors: other, ..Config::default() }), [(512, 100)], "{other:?}");
    }
}

/// The warm-up follows the start the run really makes: the default start is
/// the photograph on the plain network (a warm-up) and noise on the
/// normalised one (none, as with an explicit `Init::Noise`).
#[test]
fn the_warm_up_reads_the_resolved_start() {
    use neural_style::color::PreserveColors;
    use neural_style::transfer::{run_scaled, RunOptions};
    let (content, style) = (image(93, 48, 64), image(94, 24, 24));
    let config = Config { size: 512, iterations: 1, preserve_colors: PreserveColors::Luminance, ..Config::default() };
    for normalised in [false, true] {
        let mut n = Vgg19::random(11, 8);
        n.normalised = normalised;
        let mut seen = Vec::new();
        let mut on_scale = |_: usize, schedule: &[transfer::Scale], _: &transfer::Prepared| {
            seen.push(schedule.iter().map(|s| (s.size, s.iterations)).collect::<Vec<_>>())
        };
        let options = RunOptions { on_scale: Some(&mut on_scale), ..RunOptions::default() };
        run_scaled(Arc::new(n), &config, Some(content.view()), &[style.view()], options, &mut |_| Control::Stop).unwrap();
        let want = if normalised { vec![(512, 1)] } else { vec![(256, 1), (512, 1)] };
        assert_eq!(seen.first(), Some(&want), "normalised: {normalised}");
    }
}

/// The default coarse to fine at small sizes (64 -> 128): the larger scale
/// starts from the smaller one's result, upsampled, not from the photograph.
#[test]
fn the_default_refinement_starts_from_the_look() {
    use neural_style::transfer::{run_scaled, RunOptions};
    let (content, style) = (image(91, 48, 64), image(92, 24, 24));
    let config =
        Config { size: 128, start_size: 64, iterations: 3, scale_iterations: Some(vec![3, 1]), init: Init::Content, ..small_config() };
    let (mut best0, mut first1, mut convention) = (None, None, None);
    let out = run_scaled(net(), &config, Some(content.view()), &[style.view()], RunOptions::default(), &mut |p| {
        let best = ndarray::ArrayView3::from_shape(p.progress.x.dim(), p.progress.best).unwrap();
        match p.scale {
            0 => (best0, convention) = (Some(p.prepared.picture(best)), Some(p.prepared.objective.net.convention)),
            _ if first1.is_none() => first1 = Some(p.progress.x.to_owned()),
            _ => {}
        }
        Control::Continue
    })
    .unwrap();
    assert_eq!(out.outcome.image.dim(), (3, 96, 128));
    let best0 = best0.expect("a first scale");
    assert_eq!(best0.dim(), (3, 48, 64), "the look is formed at the start size");
    let want = convention.unwrap().preprocess(neural_style::image_io::resize(best0.view(), 96, 128).view());
    let photo = convention.unwrap().preprocess(neural_style::image_io::resize(content.view(), 96, 128).view());
    let x1 = first1.expect("a second scale");
    assert_close("the refinement's start", x1.as_slice().unwrap(), want.as_slice().unwrap(), 1e-5);
    assert!(common::rel_err(x1.as_slice().unwrap(), photo.as_slice().unwrap()) > 1e-3, "it started from the photograph");
}

#[test]
fn a_cancelled_evaluation_gives_up_and_leaves_the_objective_usable() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let net = Arc::new(neural_style::Vgg19::random(8, 4));
    let img = |seed| ndarray::Array3::from_shape_vec((3, 96, 80), common::randn(seed, 3 * 96 * 80)).unwrap();
    let ct = neural_style::objective::content_targets(&net, img(1).view(), &neural_style::vgg::paper_content_taps()).unwrap();
    let st =
        neural_style::objective::style_targets(&net, &[img(2).view()], &[1.0], &neural_style::vgg::paper_style_taps(), &[0.2; 5]).unwrap();
    let weights = neural_style::LossWeights { content: 1e-2, style: 1.0, tv: 0.0 };
    let mut obj = neural_style::Objective::new(net.clone(), ct.clone(), st.clone(), weights);
    let flag = Arc::new(AtomicBool::new(false));
    obj.set_cancel(flag.clone());
    let x = img(3);
    let want = obj.evaluate(x.view());
    // Set before: nothing runs.
    flag.store(true, Ordering::SeqCst);
    assert!(obj.try_evaluate(x.view()).is_none());
    flag.store(false, Ordering::SeqCst);
    let again = obj.try_evaluate(x.view()).expect("not cancelled");
    assert_eq!(again.loss.to_bits(), want.loss.to_bits());
    assert!(again.grad == want.grad);
}

/// The flag set from inside a pass (by the tap callback, at each tap in turn,
/// forward and backward): the pass gives up at the next layer boundary, every
/// time, and the workspace it leaves gives the same bits on the next pass.
#[test]
fn a_pass_cancelled_midway_gives_up_and_leaves_its_workspace_whole() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let net = neural_style::Vgg19::random(8, 4);
    let x = ndarray::Array3::from_shape_vec((3, 40, 36), common::randn(4, 3 * 40 * 36)).unwrap();
    let taps = neural_style::vgg::paper_style_taps();
    // The gradient each tap hands back: sin of its features, in place.
    let grad_of = |mut f: ndarray::ArrayViewMut3<f32>| f.mapv_inplace(|v| v.sin());
    let mut ws = neural_style::vgg::Workspace::new();
    let want = net.forward_backward_in(&mut ws, x.view(), &taps, |_, f| grad_of(f));
    // Calls of the tap callback in one whole pass.
    let mut calls = 0;
    net.forward_backward_in(&mut ws, x.view(), &taps, |_, _| calls += 1);
    assert!(calls >= taps.len(), "{calls} calls for {} taps", taps.len());
    for stop_at in 0..calls {
        let cancel = AtomicBool::new(false);
        let mut seen = 0;
        let out = net.forward_backward_cancellable(
            &mut ws,
            x.view(),
            &taps,
            |_, f| {
                grad_of(f);
                if seen == stop_at {
                    cancel.store(true, Ordering::SeqCst);
                }
                seen += 1;
            },
            &cancel,
        );
        assert!(out.is_none(), "set at tap call {stop_at}: the pass went on to the end");
        assert_eq!(seen, stop_at + 1, "set at tap call {stop_at}: later taps were still computed");
        let again = net.forward_backward_in(&mut ws, x.view(), &taps, |_, f| grad_of(f));
        assert!(again == want, "set at tap call {stop_at}: the next pass differs");
    }
}

#[test]
fn size_free_weights_divide_by_positions_and_pixels() {
    use neural_style::transfer::{LossScale, Weights};
    use neural_style::LossWeights;
    let w = Weights { content: Some(0.6), style: 2.0, tv: 3.0, temporal: 0.0 };
    let literal = LossWeights { content: 0.6, style: 2.0, tv: 3.0 };
    assert_eq!(LossScale::Paper.literal(w, 3072, 196_608), literal);
    let m = LossScale::Mean.literal(w, 3072, 196_608);
    assert_eq!((m.content, m.style, m.tv), ((0.6f64 / 3072.0) as f32, 2.0, (3.0f64 / 196_608.0) as f32));
    // prepare() applies it at the run's size: relu4_2 of a 64x48 result has 8x6 positions.
    let net = std::sync::Arc::new(Vgg19::random(3, 16));
    let img = |seed| Array3::from_shape_vec((3, 48, 64), randn(seed, 3 * 48 * 64)).unwrap().mapv(|v| v.abs().min(1.0));
    let (c, s) = (img(1), img(2));
    let config = Config { size: 64, weights: w, ..Config::default() };
    let p = transfer::prepare(net.clone(), &config, Some(c.view()), &[s.view()]).unwrap();
    assert_eq!(p.objective.weights, LossScale::Mean.literal(w, 8 * 6, 64 * 48));
    let paper = Config { loss_scale: LossScale::Paper, ..config };
    assert_eq!(transfer::prepare(net, &paper, Some(c.view()), &[s.view()]).unwrap().objective.weights, literal);
}

/// Adam's first two steps, replayed in f64 from the gradients the callback
/// saw: the first moves every pixel by the step size against its gradient's
/// sign, the second follows the bias-corrected moments (Kingma & Ba, Alg. 1).
#[test]
fn adam_steps_follow_the_update_rule() {
    use neural_style::optim::adam::{BETA1, BETA2};
    let steps = |lr: f32| {
        let config = Config { iterations: 2, optimizer: Optimizer::Adam { learning_rate: lr }, ..small_config() };
        let mut seen: Vec<(Vec<f32>, Vec<f32>)> = Vec::new();
        transfer::run(net(), &config, Some(image(5, 16, 16).view()), &[image(6, 16, 16).view()], &mut |p| {
            seen.push((p.x.iter().copied().collect(), p.evaluation.grad.iter().copied().collect()));
            Control::Continue
        })
        .unwrap();
        assert_eq!(seen.len(), 3, "two steps, then the final point");
        seen
    };
    let seen = steps(10.0);
    let (x0, g0) = &seen[0];
    let (x1, g1) = &seen[1];
    let x2 = &seen[2].0;
    // Step 1: x1 = x0 - a g0 / |g0| (m and v bias-corrected are g0 and g0^2).
    let big: Vec<usize> = (0..x0.len()).filter(|&i| g0[i].abs() > 1e-3 * g0.iter().fold(0.0f32, |m, v| m.max(v.abs()))).collect();
    assert!(big.len() > x0.len() / 2);
    let a = (x0[big[0]] - x1[big[0]]).abs() as f64;
    // The step is the learning rate in 0..255 pixel units, in the preprocessed image's units.
    let unit = net().convention.unit();
    let want = 10.0 / 255.0 / unit.iter().map(|&u| u as f64).sum::<f64>() * 3.0;
    assert!((a - want).abs() < 1e-3 * want, "the first step moves {a}, not the learning rate's {want}");
    for &i in &big {
        let moved = (x1[i] - x0[i]) as f64;
        assert!((moved + a * g0[i].signum() as f64).abs() < 1e-3 * a, "step 1 at {i}: moved {moved}, step {a}, gradient {}", g0[i]);
    }
    // Step 2 from both gradients (the evaluator may scale them: Adam does not see a common factor).
    let (b1, b2) = (BETA1 as f64, BETA2 as f64);
    let s = g1.iter().chain(g0.iter()).fold(0.0f64, |m, v| m.max(v.abs() as f64));
    for &i in &big {
        let (g0, g1) = (g0[i] as f64 / s, g1[i] as f64 / s);
        let m = b1 * (1.0 - b1) * g0 + (1.0 - b1) * g1;
        let v = b2 * (1.0 - b2) * g0 * g0 + (1.0 - b2) * g1 * g1;
        let want = x1[i] as f64 - a * (m / (1.0 - b1 * b1)) / (v / (1.0 - b2 * b2)).sqrt();
        assert!((x2[i] as f64 - want).abs() < 1e-3 * a, "step 2 at {i}: {} vs {want} (step {a})", x2[i]);
    }
    // The step size is proportional to the learning rate.
    let seen = steps(20.0);
    let a2 = (seen[0].0[big[0]] - seen[1].0[big[0]]).abs() as f64;
    assert!((a2 / a - 2.0).abs() < 1e-3, "learning rate 20 steps {a2}, 10 steps {a}");
}

/// A step that overflows the image ends the run as non-finite, with the best
/// (first) image and its loss, not as an error.
#[test]
fn adam_overflowing_stops_as_non_finite_with_the_best_image() {
    let config = Config { iterations: 5, optimizer: Optimizer::Adam { learning_rate: 1e38 }, ..small_config() };
    let mut first = None;
    let out = transfer::run(net(), &config, Some(image(5, 16, 16).view()), &[image(6, 16, 16).view()], &mut |p| {
        first.get_or_insert(p.evaluation.loss);
        Control::Continue
    })
    .expect("a non-finite loss stops the run; it is not an error");
    assert!(matches!(out.stop, StopReason::NonFinite(_)), "{:?}", out.stop);
    assert_eq!(out.loss, first.unwrap(), "the best point is the first");
    assert!(out.image.iter().all(|v| v.is_finite()));
}

/// L-BFGS's first trial step moves the steepest pixel by one unit of the
/// preprocessed image (the objective is scaled by 1/max|g0| for that), and a
/// start with a zero gradient (content reconstruction from the content) ends
/// quietly with a zero loss instead of dividing by zero.
#[test]
fn lbfgs_first_step_is_one_unit_and_a_zero_gradient_is_harmless() {
    let content = image(9, 16, 16);
    let config = Config { iterations: 3, ..small_config() };
    let mut points: Vec<Vec<f32>> = Vec::new();
    transfer::run(net(), &config, Some(content.view()), &[image(10, 16, 16).view()], &mut |p| {
        points.push(p.x.iter().copied().collect());
        Control::Continue
    })
    .unwrap();
    let step = points[0].iter().zip(&points[1]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!((step - 1.0).abs() < 1e-3, "the first trial step moves the steepest pixel by {step}");

    let config = Config { iterations: 5, init: Init::Content, ..small_config() };
    let out = transfer::run(net(), &config, Some(content.view()), &[], &mut |_| Control::Continue).unwrap();
    assert_eq!(out.loss, 0.0, "content reconstruction from the content itself: {:?}", out.stop);
    assert!(!matches!(out.stop, StopReason::NonFinite(_)), "{:?}", out.stop);
}

#[test]
fn style_scale_sizes_the_style_images() {
    // --style-scale 0.5 at size 24: the painting is brought to 12 px on its
    // longest side before its Grams are taken, so the targets are those of
    // the painting given at 12 px.
    let config = Config { style_scale: 0.5, ..small_config() };
    let (content, style) = (image(1, 18, 24), image(2, 40, 30));
    let p = transfer::prepare(net(), &config, Some(content.view()), &[style.view()]).unwrap();
    let net = net();
    let small = neural_style::image_io::resize_longest(style.view(), 12);
    assert_eq!(small.dim(), (3, 12, 9));
    let pre = net.convention.preprocess(small.view());
    let want = neural_style::objective::style_targets(&net, &[pre.view()], &[1.0], &config.style_layers, &config.layer_weights()).unwrap();
    assert_eq!(p.objective.style.len(), want.len());
    for (got, want) in p.objective.style.iter().zip(&want) {
        assert!(got.gram == want.gram, "{}: the Gram of the painting at 12 px", got.tap);
    }
    // And at scale 1 they differ (the test can tell the sizes apart).
    let p1 = transfer::prepare(net.clone(), &small_config(), Some(content.view()), &[style.view()]).unwrap();
    assert!(p1.objective.style[0].gram != want[0].gram);
}

#[test]
fn the_style_cache_serves_the_same_targets_and_never_across_colour_matched_contents() {
    let (a, b, style) = (image(51, 18, 24), image(52, 18, 24).mapv(|v| 0.2 + 0.6 * v), image(53, 20, 20));
    let targets = |p: &transfer::Prepared| p.objective.style.iter().map(|t| t.gram.clone()).collect::<Vec<_>>();
    // Plain transfer: the second content takes the first's targets from the cache.
    let config = small_config();
    let mut cache = transfer::StyleCache::new();
    assert!(cache.is_empty());
    transfer::prepare_cached(net(), &config, Some(a.view()), &[style.view()], Some((&mut cache, 7))).unwrap();
    assert!(!cache.is_empty());
    let second = transfer::prepare_cached(net(), &config, Some(b.view()), &[style.view()], Some((&mut cache, 7))).unwrap();
    assert_eq!((cache.hits(), cache.len()), (1, 1));
    let fresh = transfer::prepare(net(), &config, Some(b.view()), &[style.view()]).unwrap();
    assert!(targets(&second) == targets(&fresh), "cached targets equal fresh ones");
    // Colour preservation: the style is recoloured after each content, so the
    // second content must get its own targets, not the first's.
    let config =
        Config { preserve_colors: neural_style::color::PreserveColors::Histogram(neural_style::color::Histogram::Eigen), ..small_config() };
    let mut cache = transfer::StyleCache::new();
    transfer::prepare_cached(net(), &config, Some(a.view()), &[style.view()], Some((&mut cache, 7))).unwrap();
    let second = transfer::prepare_cached(net(), &config, Some(b.view()), &[style.view()], Some((&mut cache, 7))).unwrap();
    assert_eq!((cache.hits(), cache.len()), (0, 0), "nothing cached with colour preservation");
    let fresh = transfer::prepare(net(), &config, Some(b.view()), &[style.view()]).unwrap();
    let first = transfer::prepare(net(), &config, Some(a.view()), &[style.view()]).unwrap();
    assert!(targets(&second) == targets(&fresh), "the second content's own recoloured style");
    assert!(targets(&first) != targets(&fresh), "the two contents recolour the style differently");
}

#[test]
fn the_memory_estimate_adds_up_its_parts() {
    use neural_style::transfer::estimate_memory;
    let net = Vgg19::random(11, 2);
    let (h, w) = (96, 64);
    let pixels = 4 * 3 * h * w;
    let est = |config: &Config, threads: usize| estimate_memory(&net, config, h, w, threads) as i64;
    let base = small_config();
    let e = est(&base, 1);
    // The optimiser's vectors: two images per L-BFGS history entry, Adam's fixed count.
    let longer = Config { optimizer: Optimizer::Lbfgs { history: 20 }, ..base.clone() };
    assert_eq!(est(&longer, 1) - e, (2 * 10 * pixels) as i64);
    let adam = Config { optimizer: Optimizer::Adam { learning_rate: 1.0 }, ..base.clone() };
    assert_eq!(e - est(&adam, 1), ((2 * 10 + 22 - 18) * pixels) as i64);
    // It holds at least the packed weights to the deepest tap, the workspace,
    // the masks and the fixed 64 MB.
    let taps: Vec<Tap> = base.content_layers.iter().chain(&base.style_layers).copied().collect();
    let deepest = taps.iter().map(|t| t.index()).max().unwrap();
    let weights: usize = net.layers()[..=deepest].iter().map(|l| l.bytes()).sum();
    let floor = weights + net.workspace_bytes(&taps, h, w) + net.mask_bytes(&taps, h, w) + (64 << 20) + 42 * pixels;
    assert!(e as usize > floor, "{e} <= {floor}");
    // The whole sum, from the parts: the targets (relu4_2's P, the five
    // Grams) and the largest layer's Winograd scratch are what is left.
    let (mut fh, mut fw, mut scratch, mut targets) = (h, w, 0, 0);
    for (i, l) in net.layers()[..=deepest].iter().enumerate() {
        if l.spec.pool_before {
            (fh, fw) = (fh / 2, fw / 2);
        }
        scratch = scratch.max(neural_style::ops::winograd::scratch_bytes(&l.geom(fh, fw), 1));
        targets += if base.content_layers.iter().any(|t| t.index() == i) { 4 * l.c_out * fh * fw } else { 0 };
        targets += if base.style_layers.iter().any(|t| t.index() == i) { 4 * l.c_out * l.c_out } else { 0 };
    }
    assert_eq!(e as usize, floor + targets + scratch);
    // Targets, exactly: dropping the content layer (relu4_2, not the deepest)
    // takes away its features P and what the workspace and the masks kept
    // for it; dropping relu1_1's style term its Gram A (and the same).
    let parts = |c: &Config| {
        let taps: Vec<Tap> = c.content_layers.iter().chain(&c.style_layers).copied().collect();
        (net.workspace_bytes(&taps, h, w) + net.mask_bytes(&taps, h, w)) as i64
    };
    let no_content = Config { content_layers: vec![], ..base.clone() };
    let relu4_2 = &net.layers()[Tap::parse("relu4_2").unwrap().index()];
    let p = (4 * relu4_2.c_out * (h / 8) * (w / 8)) as i64;
    assert_eq!(e - est(&no_content, 1), p + parts(&base) - parts(&no_content));
    let no_relu1_1 = Config { style_layers: base.style_layers[1..].to_vec(), style_layer_weights: None, ..base.clone() };
    let relu1_1 = &net.layers()[0];
    let a = (4 * relu1_1.c_out * relu1_1.c_out) as i64;
    assert_eq!(e - est(&no_relu1_1, 1), a + parts(&base) - parts(&no_relu1_1));
    // Dropping the deepest style layer also drops its weights.
    let fewer_styles = Config { style_layers: base.style_layers[..4].to_vec(), style_layer_weights: None, ..base.clone() };
    let relu5_1 = &net.layers()[Tap::parse("relu5_1").unwrap().index()];
    assert!(est(&base, 1) - est(&fewer_styles, 1) >= (4 * relu5_1.c_out * relu5_1.c_out + relu5_1.bytes()) as i64);
    // Each thread keeps its own Winograd scratch.
    assert!(est(&base, 2) > e);
    // And the estimate grows with the image.
    assert!(estimate_memory(&net, &base, 2 * h, 2 * w, 1) as i64 > e + 3 * (2 * 10 + 22) as i64 * pixels as i64);
    // bf16 input gradients keep their own buffers beside f32's: the largest
    // layer's, added.
    let mut net16 = net.clone();
    if net16.set_precision(neural_style::Precision::Bf16).is_ok() {
        let (mut fh, mut fw, mut extra) = (h, w, 0);
        for l in &net.layers()[..=deepest] {
            if l.spec.pool_before {
                (fh, fw) = (fh / 2, fw / 2);
            }
            extra = extra.max(neural_style::ops::winograd::bf16_scratch_bytes(&l.geom(fh, fw), 1));
        }
        assert!(extra > 0);
        assert_eq!(estimate_memory(&net16, &base, h, w, 1) as i64 - e, extra as i64);
    }
}

#[test]
fn the_memory_guard_refuses_with_the_largest_size_that_fits() {
    use neural_style::transfer::{check_memory, estimate_memory, MemoryLimit};
    use neural_style::Error;
    let net = Vgg19::random(11, 2);
    let config = Config { size: 400, ..small_config() };
    let content = image(1, 30, 40); // 4:3, so 400 px is 400x300
    let need = |size: usize| {
        let c = Config { size, ..config.clone() };
        let (h, w) = c.output_size(Some((30, 40)), None).unwrap();
        estimate_memory(&net, &c, h, w, 1)
    };
    let check = |limit| check_memory(&net, &config, Some(content.view()), None, limit, 1);
    // Exactly enough is enough; no limit is no check.
    check(MemoryLimit::Bytes(need(400))).unwrap();
    check(MemoryLimit::None).unwrap();
    // Sizes shrink by 10%: 360, 324, 291, ... With room for 324 exactly, 324 is named.
    assert!(need(360) > need(324));
    match check(MemoryLimit::Bytes(need(324))) {
        Err(Error::Memory { width, height, needed_mb, limit_mb, user_limit, fits }) => {
            assert_eq!((width, height, user_limit, fits), (400, 300, true, Some(324)));
            assert_eq!((needed_mb, limit_mb), (need(400) >> 20, need(324) >> 20));
        }
        other => panic!("{other:?}"),
    }
    // Room for nothing: no size is named.
    match check(MemoryLimit::Bytes(1 << 20)) {
        Err(Error::Memory { fits, .. }) => assert_eq!(fits, None),
        other => panic!("{other:?}"),
    }
}

#[test]
fn available_memory_is_read_from_the_kernel() {
    // Linux: MemAvailable, in bytes; the machine running the tests has more
    // than 64 MB free and less than its total.
    let total: u64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        * 1024;
    let available = neural_style::transfer::available_memory().expect("MemAvailable is known on Linux");
    assert!(available > 64 << 20 && available <= total, "{available} of {total}");
}

#[test]
fn run_scaled_counts_over_its_scales_and_starts_each_from_the_last() {
    use neural_style::transfer::{run_scaled, RunOptions};
    let (content, style) = (image(61, 24, 32), image(62, 20, 20));
    let config = Config { size: 64, init: Init::Content, scales: Some(2), scale_iterations: Some(vec![3, 2]), ..small_config() };
    let options = RunOptions::default();
    // Per evaluation: scale, global eval, global iteration, seconds, total iterations.
    let mut seen = Vec::new();
    // The best picture so far at scale 0, and the first point seen at scale 1 (as pictures).
    let (mut best0, mut first1, mut convention) = (None, None, None);
    let out = run_scaled(net(), &config, Some(content.view()), &[style.view()], options, &mut |p| {
        seen.push((p.scale, p.eval, p.iteration, p.seconds, p.total_iterations));
        let best = ndarray::ArrayView3::from_shape(p.progress.x.dim(), p.progress.best).unwrap();
        match p.scale {
            0 => {
                best0 = Some(p.prepared.picture(best));
                convention = Some(p.prepared.objective.net.convention);
            }
            _ if first1.is_none() => first1 = Some(p.progress.x.to_owned()),
            _ => {}
        }
        Control::Continue
    })
    .unwrap();
    assert_eq!(out.outcome.stop, StopReason::Iterations, "both scales ran their iterations");
    assert_eq!(out.iterations, 5);
    assert_eq!(out.evals, seen.len());
    assert!(seen.iter().enumerate().all(|(i, s)| s.1 == i + 1 && s.4 == 5), "evaluations counted over the scales");
    let at1 = seen.iter().position(|s| s.0 == 1).expect("a second scale");
    assert!(at1 > 0 && seen[at1..].iter().all(|s| s.0 == 1 && s.2 >= 3), "scale 1 counts on from scale 0's 3 iterations");
    assert!(seen.iter().all(|s| s.3 > 0.0) && seen.windows(2).all(|w| w[1].3 >= w[0].3), "seconds over the scales");
    assert!(out.seconds >= seen.last().unwrap().3);
    // Scale 1 (64 px) starts from scale 0's result (32 px) upsampled.
    let best0 = best0.unwrap();
    assert_eq!(best0.dim(), (3, 24, 32), "scale 0 runs at 32 px");
    let start = neural_style::image_io::resize(best0.view(), 48, 64);
    let x1 = first1.unwrap();
    let want = convention.unwrap().preprocess(start.view());
    assert_close("scale 1's start", x1.as_slice().unwrap(), want.as_slice().unwrap(), 1e-5);
    // A stop asked for at scale 0 ends the run there.
    let options = RunOptions::default();
    let mut scales = Vec::new();
    let out = run_scaled(net(), &config, Some(content.view()), &[style.view()], options, &mut |p| {
        scales.push(p.scale);
        if p.eval == 2 {
            Control::Stop
        } else {
            Control::Continue
        }
    })
    .unwrap();
    assert_eq!((out.outcome.stop, out.evals, scales), (StopReason::Stopped, 2, vec![0, 0]));
    // A starting image of another size is brought to the first scale's.
    let config = Config { init: Init::Image(image(63, 30, 40)), scale_iterations: Some(vec![1, 1]), ..config };
    let options = RunOptions::default();
    let out = run_scaled(net(), &config, Some(content.view()), &[style.view()], options, &mut |_| Control::Continue).unwrap();
    assert_eq!(out.outcome.image.dim(), (3, 48, 64));
}

/// What tells the colour modes apart: `original` paints the plain problem and
/// gives back the result's luminance with the photograph's chroma; the modes
/// that change the paintings raise each style layer's weight by how much
/// weaker its loss starts, so every layer starts with its plain-run share;
/// `luminance` alone paints on the grey line.
#[test]
fn colour_modes_paint_the_plain_problem_or_raise_each_layers_weight() {
    use neural_style::color::{self, Histogram, PreserveColors};
    // A grey-ish photograph and a painting of saturated colours.
    let photo = image(71, 24, 32).mapv(|v| 0.4 + 0.2 * v);
    let mut painting = image(72, 24, 24);
    painting.index_axis_mut(ndarray::Axis(0), 1).mapv_inplace(|v| 0.2 * v);
    let config = |m| Config { preserve_colors: m, init: Init::Content, ..small_config() };
    let prepare = |m| transfer::prepare(net(), &config(m), Some(photo.view()), &[painting.view()]).unwrap();
    let plain = prepare(PreserveColors::None);
    let original = prepare(PreserveColors::Original);
    assert_eq!(original.objective.weights, plain.objective.weights, "original: the plain problem");
    assert_eq!(original.x0, plain.x0);
    assert!(original.objective.grey.is_none() && plain.objective.grey.is_none());
    let x = plain.x0.mapv(|v| v * 0.5 + 3.0);
    let (_, h, w) = x.dim();
    let want = color::recombine(plain.picture(x.view()).view(), neural_style::image_io::resize(photo.view(), h, w).view());
    assert_eq!(original.picture(x.view()), want, "original: the result's luminance, the photograph's chroma");
    // Each layer's weighted loss at the start: layer weight x E.
    let shares = |p: &transfer::Prepared| -> Vec<f64> {
        let e = p.objective.evaluate(p.x0.view()).style_layers;
        p.objective.style.iter().map(|t| t.layer_weight as f64 * e.iter().find(|l| l.0 == t.tap).unwrap().1).collect()
    };
    let plain_shares = shares(&plain);
    for m in [PreserveColors::Luminance, PreserveColors::Histogram(Histogram::Eigen)] {
        let p = prepare(m);
        assert_eq!(p.objective.weights, plain.objective.weights, "{m:?}: alpha and beta as given");
        assert_eq!(p.objective.grey.is_some(), m == PreserveColors::Luminance, "{m:?}");
        let mut raised = 0;
        for ((t, &mine), (base, &theirs)) in p.objective.style.iter().zip(&shares(&p)).zip(plain.objective.style.iter().zip(&plain_shares))
        {
            assert_eq!(t.tap, base.tap);
            if t.layer_weight > base.layer_weight {
                raised += 1;
                assert!((mine - theirs).abs() <= 1e-3 * theirs, "{m:?} {:?}: raised to {mine}, the plain share {theirs}", t.tap);
            } else {
                assert_eq!(t.layer_weight, base.layer_weight);
                assert!(mine >= theirs * (1.0 - 1e-4), "{m:?} {:?}: left at {mine} under the plain {theirs}", t.tap);
            }
        }
        assert!(raised > 0, "{m:?}: no layer raised");
    }
}

/// Luminance-only transfer paints luminance only: the objective does not see
/// colour added to the image, its gradient moves the image along the grey
/// line, and the picture drops what is off the line.
#[test]
fn luminance_transfer_stays_on_the_grey_line() {
    use neural_style::color::PreserveColors;
    let (photo, painting) = (image(73, 24, 32), image(74, 24, 24));
    let config = Config { preserve_colors: PreserveColors::Luminance, init: Init::Content, ..small_config() };
    let p = transfer::prepare(net(), &config, Some(photo.view()), &[painting.view()]).unwrap();
    let line = p.objective.grey.expect("luminance mode paints on the grey line");
    // The start is grey: every pixel's channels are one level on the line.
    let level = |x: &ndarray::Array3<f32>, c: usize, i: usize, j: usize| (x[[c, i, j]] - line.offset[c]) / line.slope[c];
    let (_, h, w) = p.x0.dim();
    for (i, j) in [(0, 0), (5, 7), (h - 1, w - 1)] {
        assert!((level(&p.x0, 0, i, j) - level(&p.x0, 2, i, j)).abs() < 1e-5);
    }
    let at = p.objective.evaluate(p.x0.view());
    // Colour added off the line changes nothing.
    let mut coloured = p.x0.clone();
    coloured.index_axis_mut(ndarray::Axis(0), 0).mapv_inplace(|v| v + 20.0 * line.slope[0]);
    coloured.index_axis_mut(ndarray::Axis(0), 2).mapv_inplace(|v| v - 20.0 * line.slope[2] * line.slope[0] / line.slope[2]);
    let off = p.objective.evaluate(coloured.view());
    assert!((off.loss - at.loss).abs() <= 1e-5 * at.loss, "evaluated at the nearest grey image: {} against {}", off.loss, at.loss);
    let (a, b) = (p.picture(coloured.view()), p.picture(p.x0.view()));
    assert!(a.iter().zip(&b).all(|(u, v)| (u - v).abs() < 1e-4), "the picture drops the colour");
    // The gradient is along the line: the channels' gradients are in the
    // slope's proportions at every pixel, and not all zero.
    let g = &at.grad;
    let mut moved = 0.0f32;
    for (i, j) in (0..h).flat_map(|i| (0..w).map(move |j| (i, j))) {
        let d = g[[0, i, j]] / line.slope[0];
        for c in 1..3 {
            assert!((g[[c, i, j]] / line.slope[c] - d).abs() <= 1e-4 * d.abs().max(1e-6), "pixel ({i}, {j})");
        }
        moved += d.abs();
    }
    assert!(moved > 0.0);
}

/// The content weight left to the library means what the documents say: 0.6
/// over the content layer's positions from the photograph, 3 from noise, and
/// under the paper's literal scale those at the reference size (64x48
/// positions at relu4_2).
#[test]
fn the_default_content_weight_follows_the_start() {
    use neural_style::transfer::{LossScale, DEFAULT_CONTENT_WEIGHT, DEFAULT_CONTENT_WEIGHT_NOISE, REFERENCE_CONTENT_POSITIONS};
    let (photo, painting) = (image(81, 48, 64), image(82, 24, 24));
    let alpha = |init: Init, scale: LossScale| {
        let config = Config { size: 64, init, loss_scale: scale, ..Config::default() };
        transfer::prepare(net(), &config, Some(photo.view()), &[painting.view()]).unwrap().objective.weights.content
    };
    let positions = (64 / 8 * 48 / 8) as f32; // relu4_2 of a 64x48 picture
    assert_eq!(alpha(Init::Auto, LossScale::Mean), DEFAULT_CONTENT_WEIGHT / positions, "a transfer starts from the photograph");
    assert_eq!(alpha(Init::Content, LossScale::Mean), DEFAULT_CONTENT_WEIGHT / positions);
    assert_eq!(alpha(Init::Noise, LossScale::Mean), DEFAULT_CONTENT_WEIGHT_NOISE / positions);
    assert_eq!(alpha(Init::Noise, LossScale::Paper), DEFAULT_CONTENT_WEIGHT_NOISE / REFERENCE_CONTENT_POSITIONS as f32);
    assert_eq!(alpha(Init::Content, LossScale::Paper), DEFAULT_CONTENT_WEIGHT / REFERENCE_CONTENT_POSITIONS as f32);
}
