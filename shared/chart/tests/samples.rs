//! Writes every sample chart as SVG and CSV to `target/chart-samples/`, for
//! a person to open in a browser or a spreadsheet.

mod common;

use std::path::PathBuf;

#[test]
fn samples_are_written_for_review() {
    // The test's scratch folder is target/tmp; the samples go beside it.
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let folder = scratch.parent().unwrap_or(&scratch).join("chart-samples");
    std::fs::create_dir_all(&folder).unwrap();

    for (name, chart) in common::samples() {
        std::fs::write(folder.join(format!("{name}.svg")), chart::to_svg(&chart)).unwrap();
        std::fs::write(folder.join(format!("{name}.csv")), chart::to_csv(&chart)).unwrap();
    }
    assert!(folder.join("heatmap-incidents.svg").exists());
}
