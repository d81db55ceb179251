//! Unit tests. They embed CPython (`auto-initialize`, dev-dependency only), so run them with
//! `PYO3_PYTHON=$(which python3) cargo test`. The store is global, so every test holds
//! `LOCK` and starts from an empty store.

use super::*;
use pyo3::ffi::c_str;
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::Duration;

static LOCK: Mutex<()> = Mutex::new(());
static FIRST_ATTACH: OnceLock<HashMap<&'static str, Samples>> = OnceLock::new();

/// Take the test lock; the first caller in the process also makes the first attach of
/// the process (which starts the interpreter) and keeps what it recorded.
fn setup() -> MutexGuard<'static, ()> {
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    FIRST_ATTACH.get_or_init(|| {
        attach("start", |py| py.version_info().major);
        take()
    });
    take();
    guard
}

/// Run `f` on a new thread (which is not attached to the interpreter).
fn on_new_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    thread::spawn(f).join().unwrap()
}

#[test]
fn first_attach_that_starts_python_is_init_not_wait() {
    let _g = setup();
    let s = &FIRST_ATTACH.get().unwrap()["start"];
    assert_eq!(s.init_ns.len(), 1, "{s:?}");
    assert!(s.wait_ns.is_empty(), "{s:?}");
    assert_eq!(s.hold_ns.len(), 1, "{s:?}");
}

#[test]
fn outermost_attach_records_wait_and_hold() {
    let _g = setup();
    on_new_thread(|| {
        for _ in 0..3 {
            attach("outer", |py| {
                thread::sleep(Duration::from_millis(2));
                py.None()
            });
        }
    });
    let all = take();
    let s = &all["outer"];
    assert_eq!(s.wait_ns.len(), 3, "{s:?}");
    assert_eq!(s.hold_ns.len(), 3, "{s:?}");
    assert!(
        s.hold_ns.iter().all(|&ns| ns >= 2_000_000),
        "hold includes the sleep: {s:?}"
    );
    assert_eq!((s.nested, s.dropped), (0, 0));
    assert!(s.detached_ns.is_empty() && s.init_ns.is_empty());
    assert!(take().is_empty(), "take() empties the store");
}

#[test]
fn attach_while_attached_is_nested_without_wait() {
    let _g = setup();
    on_new_thread(|| {
        attach("outer", |_py| attach("inner", |_py| 7));
        // Attached by plain PyO3 (like a #[pyfunction] called from Python).
        Python::attach(|_py| attach("inner", |_py| ()));
    });
    let all = take();
    assert_eq!(all["outer"].wait_ns.len(), 1);
    assert_eq!(all["outer"].nested, 0);
    let inner = &all["inner"];
    assert!(inner.wait_ns.is_empty(), "{inner:?}");
    assert_eq!(inner.nested, 2);
    assert_eq!(inner.hold_ns.len(), 2);
}

#[test]
fn detach_records_detached_and_reattach_wait() {
    let _g = setup();
    let v = on_new_thread(|| {
        attach("call", |py| {
            detach(py, "work", || {
                thread::sleep(Duration::from_millis(3));
                41 + 1
            })
        })
    });
    assert_eq!(v, 42);
    let all = take();
    let w = &all["work"];
    assert_eq!(w.detached_ns.len(), 1, "{w:?}");
    assert!(w.detached_ns[0] >= 3_000_000, "{w:?}");
    assert_eq!(w.wait_ns.len(), 1, "re-attach wait: {w:?}");
    assert!(w.hold_ns.is_empty());
    // The hold of the enclosing attach includes the detached time (it is wall time).
    assert!(all["call"].hold_ns[0] >= 3_000_000);
}

#[test]
fn detach_really_releases_the_gil() {
    let _g = setup();
    // While this thread is detached, another thread must be able to attach at once.
    let waited = on_new_thread(|| {
        attach("holder", |py| {
            detach(py, "release", || {
                on_new_thread(|| {
                    attach("other", |_py| ());
                    take_label("other")
                })
            })
        })
    });
    assert_eq!(waited.wait_ns.len(), 1);
    assert!(waited.wait_ns[0] < 50_000_000, "{waited:?}");
}

fn take_label(label: &'static str) -> Samples {
    let mut guard = store();
    guard
        .as_mut()
        .and_then(|m| m.remove(label))
        .unwrap_or_default()
}

#[test]
fn waits_show_the_switch_interval_when_python_is_busy() {
    let _g = setup();
    let spin = c_str!(
        r#"
import sys, threading, time
sys.setswitchinterval(0.002)
stop = threading.Event()
def spin():
    while not stop.is_set():
        pass
t = threading.Thread(target=spin, daemon=True)
t.start()
"#
    );
    let globals = Python::attach(|py| {
        let globals = PyDict::new(py);
        py.run(spin, Some(&globals), None).unwrap();
        globals.unbind()
    });
    take();
    on_new_thread(|| {
        for _ in 0..5 {
            attach("contended", |_py| ());
            thread::sleep(Duration::from_millis(1));
        }
    });
    Python::attach(|py| {
        let globals = globals.bind(py);
        py.run(
            c_str!("stop.set(); t.join(); sys.setswitchinterval(0.005)"),
            Some(globals),
            None,
        )
        .unwrap();
    });
    let s = take_label("contended");
    let mut waits = s.wait_ns.clone();
    waits.sort_unstable();
    // With a busy Python thread the wait is about one switch interval (2 ms here).
    assert!(waits[2] > 500_000, "median wait {} ns: {s:?}", waits[2]);
}

#[test]
fn samples_are_capped_and_counted() {
    let _g = setup();
    for _ in 0..MAX_SAMPLES + 5 {
        with_samples("cap", |s| Samples::push(&mut s.hold_ns, &mut s.dropped, 1));
    }
    let s = take_label("cap");
    assert_eq!(s.hold_ns.len(), MAX_SAMPLES);
    assert_eq!(s.dropped, 5);
}

#[test]
fn a_panic_inside_records_nothing_and_the_store_still_works() {
    let _g = setup();
    let r = on_new_thread(|| {
        std::panic::catch_unwind(|| attach("boom", |_py| -> () { panic!("inside attach") }))
    });
    assert!(r.is_err());
    assert!(!take().contains_key("boom"));
    on_new_thread(|| attach("after", |_py| ()));
    assert_eq!(take()["after"].hold_ns.len(), 1);
}

#[test]
fn drain_from_python_returns_dicts_and_clears() {
    let _g = setup();
    on_new_thread(|| {
        attach("py", |py| detach(py, "py", || ()));
    });
    Python::attach(|py| {
        let m = PyModule::new(py, "probe").unwrap();
        register(&m).unwrap();
        let code = c_str!(
            r#"
d = probe._gil_probe_drain()
s = d["py"]
assert sorted(s) == ["detached_ns", "dropped", "hold_ns", "init_ns", "nested", "wait_ns"], s
assert len(s["wait_ns"]) == 2 and len(s["hold_ns"]) == 1 and len(s["detached_ns"]) == 1, s
assert all(type(x) is int and x >= 0 for x in s["wait_ns"] + s["hold_ns"]), s
assert s["nested"] == 0 and s["dropped"] == 0 and s["init_ns"] == [], s
assert probe._gil_probe_drain() == {}
"#
        );
        let globals = PyDict::new(py);
        globals.set_item("probe", m).unwrap();
        py.run(code, Some(&globals), None).unwrap();
    });
}

#[test]
fn json_report_has_the_same_shape() {
    let _g = setup();
    on_new_thread(|| attach("j\"son", |_py| ()));
    let json = take_json();
    assert!(json.starts_with("{\"j\\\"son\":{\"wait_ns\":["), "{json}");
    assert!(json.ends_with(",\"nested\":0,\"dropped\":0}}"), "{json}");
    Python::attach(|py| {
        let parsed = py
            .import("json")
            .unwrap()
            .call_method1("loads", (json,))
            .unwrap();
        let entry = parsed.get_item("j\"son").unwrap();
        assert_eq!(entry.get_item("hold_ns").unwrap().len().unwrap(), 1);
    });
    assert_eq!(take_json(), "{}");
}

#[test]
fn a_second_report_never_overwrites_the_first() {
    let _g = setup();
    let dir = std::env::temp_dir().join(format!("gil-probe-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("gil-run.json");
    std::env::set_var("GIL_PROBE_OUT", &out);
    on_new_thread(|| attach("first", |_py| ()));
    assert!(write_report().unwrap());
    on_new_thread(|| attach("second", |_py| ()));
    assert!(write_report().unwrap());
    std::env::remove_var("GIL_PROBE_OUT");
    let first = std::fs::read_to_string(&out).unwrap();
    let second = std::fs::read_to_string(dir.join("gil-run-1.json")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(first.starts_with("{\"first\":") && second.starts_with("{\"second\":"));
}

/// `cargo test --release -- --ignored --nocapture overhead`: cost of the probe per call.
#[test]
#[ignore = "prints timings; run by hand"]
fn overhead() {
    let _g = setup();
    const N: u32 = 200_000;
    let time = |f: &dyn Fn()| {
        let t = Instant::now();
        for _ in 0..N {
            f();
        }
        t.elapsed().as_nanos() as f64 / f64::from(N)
    };
    let plain_outer = on_new_thread(move || time(&|| Python::attach(|_py| ())));
    let probe_outer = on_new_thread(move || time(&|| attach("o", |_py| ())));
    take();
    let (plain_nested, probe_nested, plain_detach, probe_detach) = on_new_thread(move || {
        Python::attach(|py| {
            (
                time(&|| Python::attach(|_py| ())),
                time(&|| attach("n", |_py| ())),
                time(&|| py.detach(|| ())),
                time(&|| detach(py, "d", || ())),
            )
        })
    });
    take();
    println!("outermost attach: plain {plain_outer:.0} ns, probed {probe_outer:.0} ns");
    println!("nested attach:    plain {plain_nested:.0} ns, probed {probe_nested:.0} ns");
    println!("detach:           plain {plain_detach:.0} ns, probed {probe_detach:.0} ns");
}
