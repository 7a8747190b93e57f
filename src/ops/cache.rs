//! The data caches of the CPU the engine runs on, read once from sysfs
//! (`/sys/devices/system/cpu/cpu0/cache/index*`), so that the blocking of the
//! Winograd products, the Gram and the style terms follows the machine, not
//! the CPU it was tuned on. Where sysfs says nothing (not Linux, a container
//! hiding it), [`FALLBACK`]: the Zen 4/5 machines the constants were tuned on.

use std::path::Path;
use std::sync::OnceLock;

/// Sizes in bytes of one core's data caches (L3: the whole cache the core
/// shares).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caches {
    /// Level 1 data.
    pub l1d: usize,
    /// Level 2, one core's.
    pub l2: usize,
    /// Level 3.
    pub l3: usize,
}

/// What the blocking assumes where the caches cannot be read: 32 KiB, 1 MiB,
/// 32 MiB.
pub const FALLBACK: Caches = Caches { l1d: 32 << 10, l2: 1 << 20, l3: 32 << 20 };

/// This machine's caches, read once.
pub fn caches() -> Caches {
    static CACHES: OnceLock<Caches> = OnceLock::new();
    *CACHES.get_or_init(|| read(Path::new("/sys/devices/system/cpu/cpu0/cache")).unwrap_or(FALLBACK))
}

/// The caches sysfs describes under `dir` (its `index*/{level,type,size}`),
/// a level it does not give taken from [`FALLBACK`]; `None` if it gives none.
pub fn read(dir: &Path) -> Option<Caches> {
    let mut found = (None, None, None);
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let p = entry.path();
        if !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("index")) {
            continue;
        }
        let field = |f: &str| std::fs::read_to_string(p.join(f)).ok().map(|s| s.trim().to_string());
        let (Some(level), Some(kind), Some(size)) = (field("level"), field("type"), field("size").and_then(|s| parse_size(&s))) else {
            continue;
        };
        match (level.as_str(), kind.as_str()) {
            ("1", "Data" | "Unified") => found.0 = Some(size),
            ("2", "Data" | "Unified") => found.1 = Some(size),
            ("3", "Data" | "Unified") => found.2 = Some(size),
            _ => {}
        }
    }
    if found == (None, None, None) {
        return None;
    }
    Some(Caches { l1d: found.0.unwrap_or(FALLBACK.l1d), l2: found.1.unwrap_or(FALLBACK.l2), l3: found.2.unwrap_or(FALLBACK.l3) })
}

/// sysfs's size: `48K`, `2048K`, `32M`, or plain bytes. `None` for anything
/// else or zero.
pub fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let n: usize = digits.parse().ok()?;
    let scale = match unit {
        "" => 1,
        "K" | "KiB" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        "G" | "GiB" => 1 << 30,
        _ => return None,
    };
    (n > 0).then(|| n.checked_mul(scale)).flatten()
}
