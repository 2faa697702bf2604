//! Every input a fuzz run ever crashed on (`tests/fuzz-regressions/TARGET/*`, saved by fuzz/run.sh)
//! replayed through the same checks as its target: each is a regression test from then on.

#[test]
fn saved_fuzz_inputs_pass() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fuzz-regressions");
    let mut n = 0;
    for target in std::fs::read_dir(&root).expect("tests/fuzz-regressions exists") {
        let target = target.unwrap().path();
        if !target.is_dir() {
            continue;
        }
        let name = target.file_name().unwrap().to_string_lossy().into_owned();
        for f in std::fs::read_dir(&target).unwrap() {
            let f = f.unwrap().path();
            eprintln!("replaying {}", f.display());
            t1586_fuzz::replay(&name, &std::fs::read(&f).unwrap());
            n += 1;
        }
    }
    eprintln!("{n} saved inputs replayed");
}
