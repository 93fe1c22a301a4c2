//! Process-wide hooks for the `Thread` machinery: run code when the process exits normally, and
//! see a panic before Rust's panic hook prints it.
//!
//! Both are OS-layer pieces (they touch the C runtime and the global panic hook), so they live
//! here rather than in algorithm code. Under loom both are no-ops: a model never exits the
//! process, and the panic hook is shared by every model of the test binary (a hook installed by
//! one execution would outlive it, and loom runs thousands).

#[cfg(not(threading_loom))]
use std::panic::PanicHookInfo;

/// A function [`install_panic_filter`] calls for every panic, before the previous panic hook:
/// `true` means "handled, do not print it", `false` lets the previous hook run as usual.
///
/// It runs inside the panic hook: it must not panic (a panic there aborts the process) and
/// should not block.
#[cfg(not(threading_loom))]
pub type PanicFilter = fn(&PanicHookInfo<'_>) -> bool;

/// Under loom: the same shape, never called.
#[cfg(threading_loom)]
pub type PanicFilter = fn(&std::panic::PanicHookInfo<'_>) -> bool;

/// Registers `f` to run when the process exits normally: when `main` returns, or on
/// `std::process::exit` (C's `atexit`; handlers run in reverse order of registration, on the
/// thread that exits).
///
/// Returns whether `f` was registered. It is not run on `std::process::abort`, on a fatal
/// signal, on `libc::_exit`, or when the process aborts on a panic. Platforms without `atexit`
/// in this crate's dependencies (non-Unix) return `false`. Under loom: nothing, `true`. Under
/// Miri, which does not implement `atexit` ("unsupported operation"): nothing, `false`, so a
/// program run by Miri does not wait for its non-daemon threads at the end (Miri ends it when
/// `main` returns).
///
/// `f` is an `extern "C" fn`: it must not unwind (catch panics inside it).
///
/// # Examples
///
/// ```
/// extern "C" fn goodbye() {
///     // Runs after `main` returns.
/// }
/// assert!(threading_core::process::at_exit(goodbye));
/// ```
pub fn at_exit(f: extern "C" fn()) -> bool {
    #[cfg(all(unix, not(threading_loom), not(miri)))]
    {
        // SAFETY: `atexit` only stores the function pointer; `f` is a valid `extern "C" fn()`
        // for the whole life of the process (function items are never unloaded).
        unsafe { libc::atexit(f) == 0 }
    }
    #[cfg(all(any(not(unix), miri), not(threading_loom)))]
    {
        let _ = f;
        false
    }
    #[cfg(threading_loom)]
    {
        let _ = f;
        true
    }
}

/// Puts `filter` in front of the current panic hook, once per process.
///
/// The installed hook calls `filter(info)` for every panic; when it returns `false`, the hook
/// that was installed before (Rust's default hook, or the program's own) runs as usual. Only the
/// first call installs anything; later calls, with any filter, do nothing. A call made while the
/// calling thread is panicking is skipped too (the panic hook cannot be changed then) and the
/// next call tries again.
///
/// A hook the program installs *afterwards* with `std::panic::set_hook` replaces this one, and
/// the filter is no longer consulted (unless that hook chains to the one it replaced, as
/// [`take_hook`](std::panic::take_hook) allows).
///
/// Under loom: does nothing.
///
/// # Examples
///
/// ```
/// fn quiet_about_expected(info: &std::panic::PanicHookInfo<'_>) -> bool {
///     info.payload_as_str() == Some("expected")
/// }
/// threading_core::process::install_panic_filter(quiet_about_expected);
/// let caught = std::panic::catch_unwind(|| panic!("expected"));
/// assert!(caught.is_err()); // and nothing was printed
/// ```
pub fn install_panic_filter(filter: PanicFilter) {
    #[cfg(not(threading_loom))]
    {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        if std::thread::panicking() {
            return; // `take_hook` would panic.
        }
        INSTALL.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if !filter(info) {
                    previous(info);
                }
            }));
        });
    }
    #[cfg(threading_loom)]
    {
        let _ = filter;
    }
}
