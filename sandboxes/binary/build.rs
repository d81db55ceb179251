fn main() {
    // -Wl,-rpath,<libdir of the Python that PyO3 was configured with (PYO3_PYTHON)>
    pyo3_build_config::add_libpython_rpath_link_args();
}
