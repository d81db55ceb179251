//! Links the program against the libpython of PYO3_PYTHON and bakes its folder in as an
//! rpath, so the program loads the same libpython (and finds the same site-packages) as
//! that interpreter rather than whichever libpython3.x.so the system linker finds first.
//!
//! Why here and not in PyO3: the tutor builds binary and extension steps in one target
//! dir with the same PyO3 configuration (PYO3_BUILD_EXTENSION_MODULE set, no
//! `auto-initialize`), so PyO3 compiles once for both kinds. With that variable set PyO3
//! leaves libpython out of the link, as an extension module needs; a program needs it.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let script = "import sysconfig as s; print(s.get_config_var('LIBDIR')); \
                  print(s.get_config_var('LDVERSION'))";
    let out = Command::new(&python)
        .args(["-c", script])
        .output()
        .unwrap_or_else(|e| panic!("could not run {python} (set PYO3_PYTHON): {e}"));
    assert!(out.status.success(), "{python} failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("sysconfig printed UTF-8");
    let mut lines = text.lines();
    let (lib_dir, version) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
    println!("cargo:rustc-link-search=native={lib_dir}");
    println!("cargo:rustc-link-lib=dylib=python{version}");
    if cfg!(target_os = "macos") || cfg!(target_os = "linux") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib_dir}");
    }
}
