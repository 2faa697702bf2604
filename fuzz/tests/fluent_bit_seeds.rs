//! The `fluent_bit` fuzz target's check on its seeds (the corpus's JSON inputs, one record a line)
//! and on damaged copies of them, so `cargo test` runs it without a fuzzer.

#[test]
fn fluent_bit_check_holds_on_corpus_records_and_damaged_copies() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus");
    let mut n = 0;
    for case in std::fs::read_dir(&root).unwrap() {
        let case = case.unwrap().path();
        if !case.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&case).unwrap() {
            let f = f.unwrap().path();
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            if !(name.ends_with(".jsonl") || name.ends_with(".json"))
                || name.starts_with("expected")
            {
                continue;
            }
            let data: Vec<u8> = std::fs::read(&f)
                .unwrap()
                .into_iter()
                .map(|b| if b == b'\n' { 0x1e } else { b })
                .collect();
            t1586_fuzz::check_fluent_bit(&data);
            // Damaged: a byte changed every 97 bytes, then the records cut short at random.
            let mut bad = data.clone();
            for i in (0..bad.len()).step_by(97) {
                bad[i] = bad[i].wrapping_add(i as u8 | 1);
            }
            t1586_fuzz::check_fluent_bit(&bad);
            t1586_fuzz::check_fluent_bit(&data[..data.len() / 3]);
            n += 1;
        }
    }
    assert!(n > 20, "{n} corpus files");
}
