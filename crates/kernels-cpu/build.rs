//! Compiles kernels/*.cu as C++20 with the CPU shim (kernels/shim/all_kernels.cpp) plus the C launch
//! API of csrc/launch.cpp. Needs a C++20 compiler (g++ >= 11); no CUDA toolkit.

fn main() {
    let kernels = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kernels");
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++20")
        .include(&kernels)
        .file(kernels.join("shim/all_kernels.cpp"))
        .file("csrc/launch.cpp")
        // The shim runs one std::thread per CUDA thread; -O1 keeps the tests quick in debug builds.
        .opt_level(1)
        .flag("-pthread")
        .warnings(true)
        .extra_warnings(true);
    build.compile("sparsebridge_kernels_cpu");
    println!("cargo:rerun-if-changed=csrc/launch.cpp");
    for dir in ["", "shim", "tests"] {
        let d = kernels.join(dir);
        if let Ok(entries) = std::fs::read_dir(&d) {
            for e in entries.flatten() {
                if e.path().is_file() {
                    println!("cargo:rerun-if-changed={}", e.path().display());
                }
            }
        }
    }
}
