//! The chart of `cargo xtask bench`: one SVG of the ratios the table reports, drawn with
//! [plotters](https://docs.rs/plotters) (its SVG backend only, no fonts or bitmaps).
//!
//! One row per `(group, case)` that has a `threading` measurement, two bars per row on a
//! logarithmic axis centred on parity (1×): ours / the best Rust peer, and ours / CPython. A
//! bar to the left of the parity line means we are faster. Rows without a peer or without a
//! CPython figure simply lack that bar.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::prelude::*;

use crate::bench::{Measurement, OURS};

/// One row of the chart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// `group case`.
    pub(crate) label: String,
    /// Ours / the fastest non-`threading` Rust implementation, and its name.
    pub(crate) vs_peer: Option<(String, f64)>,
    /// Ours / CPython.
    pub(crate) vs_cpython: Option<f64>,
}

/// The rows, in the order in which `(group, case)` first appears in `rust` and `cpython`
/// (groups kept together, as in the table).
pub(crate) fn rows(rust: &[Measurement], cpython: &[Measurement]) -> Vec<Row> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut imps: BTreeMap<(String, String), Vec<(String, f64)>> = BTreeMap::new();
    let mut cpy: BTreeMap<(String, String), f64> = BTreeMap::new();
    for m in rust.iter().chain(cpython) {
        let key = (m.group.clone(), m.case.clone());
        if !order.contains(&key) {
            order.push(key);
        }
    }
    for m in rust {
        imps.entry((m.group.clone(), m.case.clone())).or_default().push((m.imp.clone(), m.ns));
    }
    for m in cpython {
        cpy.insert((m.group.clone(), m.case.clone()), m.ns);
    }
    let mut groups: Vec<String> = Vec::new();
    for (g, _) in &order {
        if !groups.contains(g) {
            groups.push(g.clone());
        }
    }
    let is_ours = |i: &str| i == OURS || i.starts_with(&format!("{OURS}_"));
    let mut out = Vec::new();
    for group in &groups {
        for key in order.iter().filter(|(g, _)| g == group) {
            let list = imps.get(key).map(Vec::as_slice).unwrap_or_default();
            let Some(ours) = list.iter().find(|(i, _)| i == OURS).map(|(_, ns)| *ns) else {
                continue;
            };
            let best = list
                .iter()
                .filter(|(i, _)| !is_ours(i))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, ns)| (i.clone(), ours / ns));
            out.push(Row {
                label: format!("{} {}", key.0, key.1),
                vs_peer: best,
                vs_cpython: cpy.get(key).map(|c| ours / c),
            });
        }
    }
    out
}

/// Colour of the "vs best Rust peer" bars.
const PEER: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
/// Colour of the "vs CPython" bars.
const CPYTHON: RGBColor = RGBColor(0xff, 0x7f, 0x0e);

/// Draws `rows` as an SVG file at `path` with the given title line.
pub(crate) fn draw(rows: &[Row], title: &str, path: &Path) -> Result<(), String> {
    if rows.is_empty() {
        return Err("no rows to chart".to_owned());
    }
    let n = rows.len();
    // One spare row at the bottom holds the legend, clear of the bars.
    let height = u32::try_from(150 + 28 * n).unwrap_or(u32::MAX);
    let root = SVGBackend::new(path, (1000, height)).into_drawing_area();
    let e = |err: DrawingAreaErrorKind<_>| format!("cannot draw {}: {err:?}", path.display());
    root.fill(&WHITE).map_err(e)?;
    // Every ratio fits the axis; the range is clamped to whole decades around 1×.
    let all: Vec<f64> = rows
        .iter()
        .flat_map(|r| r.vs_peer.as_ref().map(|p| p.1).into_iter().chain(r.vs_cpython))
        .filter(|x| x.is_finite() && *x > 0.0)
        .collect();
    let lo = all.iter().copied().fold(1.0_f64, f64::min).log10().floor().min(-1.0);
    let hi = all.iter().copied().fold(1.0_f64, f64::max).log10().ceil().max(1.0);
    let (x_min, x_max) = (10f64.powf(lo), 10f64.powf(hi));
    // Segment 0 (the bottom) holds the legend; rows 0..n fill segments n..1, top to bottom.
    let segments = i32::try_from(n + 1).map_err(|_| "too many rows".to_owned())?;
    let seg_of = |i: usize| segments - 1 - i32::try_from(i).unwrap_or(0);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(220)
        .build_cartesian_2d((x_min..x_max).log_scale(), (0..segments).into_segmented())
        .map_err(e)?;
    let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    chart
        .configure_mesh()
        .x_desc("time ratio, ours / theirs (log scale; left of 1× = we are faster)")
        .x_label_formatter(&|x| {
            if *x >= 1.0 { format!("{x:.0}×") } else { format!("{x}×") }
        })
        .y_labels(n + 1)
        .y_label_formatter(&|y| match y {
            SegmentValue::CenterOf(seg) if *seg >= 1 && *seg < segments => {
                let i = usize::try_from(segments - 1 - seg).unwrap_or(usize::MAX);
                labels.get(i).cloned().unwrap_or_default()
            }
            _ => String::new(),
        })
        .disable_y_mesh()
        .draw()
        .map_err(e)?;
    // Each row's segment: the peer bar in its upper half, the CPython bar in its lower half.
    // Segmented coordinates take whole segments, so the halves are drawn as sub-rectangles of
    // the pixel area instead.
    let area = chart.plotting_area();
    let bar = |ratio: f64, seg: i32, upper: bool, colour: RGBColor| {
        let x = ratio.clamp(x_min, x_max);
        let (a, b) = if x <= 1.0 { (x, 1.0) } else { (1.0, x) };
        let top = area.map_coordinate(&(a, SegmentValue::Exact(seg + 1)));
        let bottom = area.map_coordinate(&(b, SegmentValue::Exact(seg)));
        let h = bottom.1 - top.1;
        let (y0, y1) = if upper {
            (top.1 + h / 10, top.1 + h / 2)
        } else {
            (top.1 + h / 2, bottom.1 - h / 10)
        };
        Rectangle::new([(top.0, y0), (bottom.0, y1)], colour.filled())
    };
    let pixels = root.strip_coord_spec();
    for (i, r) in rows.iter().enumerate() {
        if let Some((_, ratio)) = &r.vs_peer {
            pixels.draw(&bar(*ratio, seg_of(i), true, PEER)).map_err(e)?;
        }
        if let Some(ratio) = r.vs_cpython {
            pixels.draw(&bar(ratio, seg_of(i), false, CPYTHON)).map_err(e)?;
        }
    }
    // The legend, in the spare bottom segment.
    let legend = [
        (PEER, "ours / best Rust peer (std, parking_lot, crossbeam, rayon, …)"),
        (CPYTHON, "ours / CPython 3"),
    ];
    let origin = area.map_coordinate(&(x_min, SegmentValue::Exact(1)));
    for (k, (colour, text)) in legend.iter().enumerate() {
        let y = origin.1 + 8 + 16 * i32::try_from(k).unwrap_or(0);
        let x = origin.0 + 10;
        pixels.draw(&Rectangle::new([(x, y), (x + 14, y + 10)], colour.filled())).map_err(e)?;
        pixels.draw(&Text::new(*text, (x + 20, y - 1), ("sans-serif", 13))).map_err(e)?;
    }
    // The parity line.
    let p_top = area.map_coordinate(&(1.0, SegmentValue::Exact(segments)));
    let p_bottom = area.map_coordinate(&(1.0, SegmentValue::Exact(0)));
    pixels.draw(&PathElement::new(vec![p_top, p_bottom], BLACK.stroke_width(1))).map_err(e)?;
    root.present().map_err(e)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(group: &str, case: &str, imp: &str, ns: f64) -> Measurement {
        Measurement { group: group.into(), case: case.into(), imp: imp.into(), ns }
    }

    #[test]
    fn rows_pick_the_best_peer_and_cpython() {
        let rust = [
            m("lock", "uncontended", "threading", 5.0),
            m("lock", "uncontended", "std", 10.0),
            m("lock", "uncontended", "parking_lot", 4.0),
            m("lock", "uncontended", "threading_guard", 1.0),
            m("lock", "guard", "threading", 2.0),
            m("event", "is_set", "std", 2.0), // no `threading`: no row
        ];
        let cpython = [m("lock", "uncontended", "cpython", 100.0)];
        let r = rows(&rust, &cpython);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].label, "lock uncontended");
        assert_eq!(r[0].vs_peer, Some(("parking_lot".to_owned(), 1.25)));
        assert_eq!(r[0].vs_cpython, Some(0.05));
        assert_eq!(r[1], Row { label: "lock guard".into(), vs_peer: None, vs_cpython: None });
    }

    #[test]
    fn draws_an_svg_with_every_label() {
        let rows = vec![
            Row {
                label: "lock uncontended".into(),
                vs_peer: Some(("std".into(), 0.98)),
                vs_cpython: Some(0.04),
            },
            Row {
                label: "pool round_trip".into(),
                vs_peer: Some(("crossbeam".into(), 2.5)),
                vs_cpython: None,
            },
        ];
        let path = std::env::temp_dir().join(format!("xtask-chart-{}.svg", std::process::id()));
        draw(&rows, "test chart", &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(svg.starts_with("<svg"), "{}", &svg[..40.min(svg.len())]);
        for needle in ["test chart", "lock uncontended", "pool round_trip", "ours / CPython"] {
            assert!(svg.contains(needle), "missing {needle}");
        }
        assert!(draw(&[], "empty", &path).is_err());
    }
}
