//! What the numbers were measured on.

use std::path::Path;

#[derive(Clone, Debug)]
pub struct Machine {
    /// CPUs this process may use (`nproc`).
    pub cpus: usize,
    /// `model name` of /proc/cpuinfo.
    pub cpu_model: String,
    /// /proc/sys/kernel/osrelease (`uname -r`).
    pub kernel: String,
    /// The temp dir the databases live in, and the type of the file system it is on (an fsync
    /// on tmpfs costs nothing, which would make FULL look free).
    pub temp_dir: String,
    pub temp_fs: String,
    /// Whether this binary was built with optimisations (debug numbers mean nothing).
    pub release: bool,
}

impl Machine {
    pub fn detect() -> Self {
        let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "unknown".into());
        let temp = std::env::temp_dir();
        let temp = temp.canonicalize().unwrap_or(temp);
        Self {
            cpus,
            cpu_model,
            kernel,
            temp_fs: fs_type(&temp).unwrap_or_else(|| "unknown".into()),
            temp_dir: temp.display().to_string(),
            release: !cfg!(debug_assertions),
        }
    }
}

/// The type of the mount holding `path` (the longest mount point that prefixes it).
fn fs_type(path: &Path) -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (device, point, kind) = (fields.next()?, fields.next()?, fields.next()?);
            path.starts_with(point).then(|| (point.len(), format!("{kind} on {device}")))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, kind)| kind)
}

/// CPU time of this process's SQLite writer threads (named `sqlite-writer`), from
/// /proc/self/task/*/schedstat: (ns on a CPU, ns runnable but waiting for one).
#[derive(Clone, Copy, Debug, Default)]
pub struct WriterCpu {
    pub on_cpu_ns: u64,
    pub waiting_ns: u64,
}

impl WriterCpu {
    pub fn now() -> Self {
        let mut total = Self::default();
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return total };
        for task in tasks.flatten() {
            let dir = task.path();
            let named = std::fs::read_to_string(dir.join("comm")).is_ok_and(|c| c.trim() == "sqlite-writer");
            let stat = if named { std::fs::read_to_string(dir.join("schedstat")).ok() } else { None };
            if let Some(stat) = stat {
                let mut fields = stat.split_whitespace().map(|f| f.parse::<u64>().unwrap_or(0));
                total.on_cpu_ns += fields.next().unwrap_or(0);
                total.waiting_ns += fields.next().unwrap_or(0);
            }
        }
        total
    }

    /// What the writers used since `earlier`.
    pub fn since(self, earlier: Self) -> Self {
        Self {
            on_cpu_ns: self.on_cpu_ns.saturating_sub(earlier.on_cpu_ns),
            waiting_ns: self.waiting_ns.saturating_sub(earlier.waiting_ns),
        }
    }

    pub fn plus(self, other: Self) -> Self {
        Self { on_cpu_ns: self.on_cpu_ns + other.on_cpu_ns, waiting_ns: self.waiting_ns + other.waiting_ns }
    }
}
