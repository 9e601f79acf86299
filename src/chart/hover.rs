//! The hover read-out: which chart and which epoch are under the pointer, and where the
//! read-out goes so that it does not cover the other chart.
//!
//! The SVG is drawn `width` units wide and shown scaled (`width: 100%; max-width`), so a
//! pointer's position is measured against the SVG element itself — not its wider container,
//! whose extra width shifted every epoch to the one before — and converted to SVG units.

/// One chart of the SVG, in SVG units.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PanelGeometry {
    /// The panel's whole horizontal extent (axes and margins included): a pointer anywhere
    /// over it reads this panel.
    pub left: f64,
    pub right: f64,
    /// The plotting area's top, where the read-out starts.
    pub plot_top: f64,
    pub plot_bottom: f64,
    /// The x of epochs 1, 2, … as drawn.
    pub epoch_x: Vec<f64>,
}

/// The pointer's x in SVG units, from its client x and the SVG element's box.
pub fn svg_x(client_x: f64, svg_left: f64, svg_css_width: f64, svg_units: f64) -> f64 {
    (client_x - svg_left) * svg_units / svg_css_width.max(1.0)
}

/// The panel under `x` (SVG units) and the epoch (1-based) whose drawn x is nearest.
pub fn hovered(x: f64, panels: &[PanelGeometry]) -> Option<(usize, usize)> {
    let last = panels.len().checked_sub(1)?;
    let panel = panels
        .iter()
        .position(|p| x >= p.left && x < p.right)
        .or_else(|| (x >= panels[last].right).then_some(last))
        .or_else(|| (x < panels[0].left).then_some(0))?;
    let epoch = panels[panel]
        .epoch_x
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - x).abs().total_cmp(&(b.1 - x).abs()))?
        .0
        + 1;
    Some((panel, epoch))
}

/// Which edge of its panel the read-out is pinned to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

/// Where the read-out goes, in CSS pixels of the chart's box: pinned to the panel's `side`
/// edge, `offset` from the box's same edge, at most `max_width` wide — inside the hovered
/// panel, on the half away from the pointer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TooltipPlace {
    pub side: Side,
    pub offset: f64,
    pub max_width: f64,
}

/// Inset of the read-out from the panel's edge, in CSS pixels.
const INSET: f64 = 6.0;

/// Places the read-out inside the panel spanning `panel_left..panel_right` (CSS pixels in a
/// box `box_width` wide), on the side away from the pointer at `pointer`.
pub fn tooltip_place(
    panel_left: f64,
    panel_right: f64,
    pointer: f64,
    box_width: f64,
) -> TooltipPlace {
    let width = (panel_right - panel_left).max(0.0);
    let max_width = (width - 2.0 * INSET).max(0.0);
    if pointer < panel_left + width / 2.0 {
        TooltipPlace {
            side: Side::Right,
            offset: (box_width - panel_right + INSET).max(0.0),
            max_width,
        }
    } else {
        TooltipPlace {
            side: Side::Left,
            offset: (panel_left + INSET).max(0.0),
            max_width,
        }
    }
}

impl TooltipPlace {
    /// The read-out's inline style.
    pub fn style(&self, top: f64) -> String {
        let edge = match self.side {
            Side::Left => "left",
            Side::Right => "right",
        };
        format!(
            "{edge}: {:.1}px; top: {top:.1}px; max-width: {:.1}px",
            self.offset, self.max_width
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two panels as the learning curves draw them: 860 units, epochs 1..4 on each.
    fn panels() -> Vec<PanelGeometry> {
        let xs = |left: f64| (1..=4).map(|e| left + 50.0 + 80.0 * e as f64).collect();
        vec![
            PanelGeometry {
                left: 0.0,
                right: 430.0,
                plot_top: 30.0,
                plot_bottom: 270.0,
                epoch_x: xs(0.0),
            },
            PanelGeometry {
                left: 430.0,
                right: 860.0,
                plot_top: 30.0,
                plot_bottom: 270.0,
                epoch_x: xs(430.0),
            },
        ]
    }

    #[test]
    fn each_drawn_epoch_reads_as_itself_in_both_charts() {
        let panels = panels();
        for (p, panel) in panels.iter().enumerate() {
            for (i, &x) in panel.epoch_x.iter().enumerate() {
                for dx in [-30.0, -5.0, 0.0, 5.0, 30.0] {
                    assert_eq!(
                        hovered(x + dx, &panels),
                        Some((p, i + 1)),
                        "panel {p} x {x}+{dx}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_nearest_epoch_wins_and_margins_read_the_first_or_last() {
        let panels = panels();
        assert_eq!(hovered(169.0, &panels), Some((0, 1)));
        assert_eq!(hovered(171.0, &panels), Some((0, 2)));
        assert_eq!(
            hovered(10.0, &panels),
            Some((0, 1)),
            "over the loss chart's y axis"
        );
        assert_eq!(
            hovered(429.0, &panels),
            Some((0, 4)),
            "right margin of the loss chart"
        );
        assert_eq!(
            hovered(431.0, &panels),
            Some((1, 1)),
            "left margin of the accuracy chart"
        );
        assert_eq!(hovered(900.0, &panels), Some((1, 4)));
        assert_eq!(hovered(-3.0, &panels), Some((0, 1)));
    }

    #[test]
    fn nothing_to_read_without_panels_or_epochs() {
        assert_eq!(hovered(10.0, &[]), None);
        let empty = vec![PanelGeometry {
            right: 430.0,
            ..Default::default()
        }];
        assert_eq!(hovered(10.0, &empty), None);
    }

    #[test]
    fn the_pointer_is_measured_against_the_svg_not_its_container() {
        // The SVG shown at 645 CSS px (75 %) from x = 100: epoch 4 of the loss chart is
        // drawn at 370 units, i.e. at client x 100 + 370 × 0.75.
        let client = 100.0 + 370.0 * 0.75;
        let x = svg_x(client, 100.0, 645.0, 860.0);
        assert!((x - 370.0).abs() < 1e-9);
        assert_eq!(hovered(x, &panels()), Some((0, 4)));
        // What the old code did: the container's box (1000 px wide, max-width did not
        // apply to it) read epoch 3.
        let wrong = svg_x(100.0 + 370.0, 100.0, 1000.0, 860.0);
        assert_eq!(hovered(wrong, &panels()), Some((0, 3)));
        assert_eq!(
            svg_x(5.0, 0.0, 0.0, 860.0),
            4300.0,
            "a zero-width box does not divide by 0"
        );
    }

    #[test]
    fn the_read_out_stays_inside_the_hovered_panel_away_from_the_pointer() {
        // Chart box 860 px; loss panel 0..430, accuracy panel 430..860.
        let place = tooltip_place(0.0, 430.0, 100.0, 860.0);
        assert_eq!(place.side, Side::Right);
        // Its right edge is 6 px inside the loss panel: it never reaches the accuracy chart.
        assert_eq!(place.offset, 860.0 - 430.0 + 6.0);
        assert_eq!(place.max_width, 430.0 - 12.0);
        let place = tooltip_place(0.0, 430.0, 400.0, 860.0);
        assert_eq!((place.side, place.offset), (Side::Left, 6.0));
        let place = tooltip_place(430.0, 860.0, 500.0, 860.0);
        assert_eq!((place.side, place.offset), (Side::Right, 6.0));
        let place = tooltip_place(430.0, 860.0, 800.0, 860.0);
        assert_eq!((place.side, place.offset), (Side::Left, 436.0));
        // Whichever side, left + max_width stays within the panel.
        for pointer in [0.0, 200.0, 429.0] {
            let p = tooltip_place(0.0, 430.0, pointer, 860.0);
            let left = match p.side {
                Side::Left => p.offset,
                Side::Right => 860.0 - p.offset - p.max_width,
            };
            assert!(left >= 0.0 && left + p.max_width <= 430.0, "{p:?}");
        }
        assert_eq!(
            tooltip_place(0.0, 430.0, 400.0, 860.0).style(30.0),
            "left: 6.0px; top: 30.0px; max-width: 418.0px"
        );
    }
}
