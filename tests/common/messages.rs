//! The binary's words the tests look for, in one place: a change of wording
//! is one edit here (and a test that fails names the phrase it missed).

/// A flag written another way, or by the peers' name: the nearest of ours.
pub fn did_you_mean(flag: &str) -> String {
    format!("did you mean {flag}?")
}
/// The first Ctrl-C of a single run.
pub const STOPPING: &str = "stopping";
/// ... and how to quit at once.
pub const AGAIN_TO_QUIT: &str = "again to quit";
/// The run's last line after a Ctrl-C.
pub const INTERRUPTED: &str = "interrupted";
/// A single run's first Ctrl-C promises the best image so far ...
pub const BEST_SO_FAR: &str = "best image so far will be written";
/// ... a batch's says the item being painted is not written.
pub const NOT_WRITTEN: &str = "not written";
/// The batch's last line.
pub fn batch_counts(done: usize, skipped: usize, failed: usize) -> String {
    format!("{done} done, {skipped} skipped, {failed} failed")
}
/// The batch's last line ends so when the style targets served `n` more items.
pub fn reused(n: usize) -> String {
    format!("style targets reused {n} {}", if n == 1 { "time" } else { "times" })
}
/// A content image alone.
pub const NO_STYLE: &str = "no --style given: a content reconstruction";
/// A painting alone.
pub const NO_CONTENT: &str = "no --content given: texture synthesis from the painting";
/// A mask of another shape than the photograph.
pub const STRETCHED: &str = "stretched";
/// An output folder that takes no file.
pub fn cannot_write_in(flag: &str, dir: &str) -> String {
    format!("{flag}: cannot write a file in {dir}")
}
/// The stop reason, said in words.
pub const STOPPED: &str = "stopped: ";
/// An output that is also an input.
pub const ALSO_AN_INPUT: &str = "also an input";
/// Non-finite losses.
pub const NON_FINITE: &str = "non-finite";
/// A coarse-to-fine run's second scale.
pub const SCALE_2_OF_2: &str = "scale 2 of 2";
