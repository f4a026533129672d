import Foundation
import StyleGANIO

/// A small line chart of training statistics over kimg, drawn without any graphics
/// library: one panel per series (losses, R1, SWD), min/max labels in a 5×7 pixel font.
public enum TrainingPlot {
    static let series: [(key: String, label: String, color: (Float, Float, Float))] = [
        ("lossG", "LOSS G", (0.85, 0.25, 0.2)), ("lossD", "LOSS D", (0.2, 0.4, 0.85)),
        ("r1", "R1", (0.3, 0.6, 0.3)), ("swd_avg", "SWD AVG X1E3", (0.55, 0.3, 0.7)),
    ]

    /// Writes the chart of `history` (stats.jsonl records) to `path`.
    public static func write(history: [[String: Double]], to path: String) throws {
        let present = series.filter { s in history.contains { $0[s.key] != nil } }
        let (w, panelH, margin) = (640, 140, 8)
        var canvas = Canvas(width: w, height: max(1, present.count) * (panelH + margin) + margin)
        let kimgs = history.compactMap { $0["kimg"] }
        let (k0, k1) = (kimgs.min() ?? 0, max(kimgs.max() ?? 1, (kimgs.min() ?? 0) + 1e-9))
        for (i, s) in present.enumerated() {
            let top = margin + i * (panelH + margin)
            let points = history.compactMap { r -> (Double, Double)? in
                guard let k = r["kimg"], let v = r[s.key], v.isFinite else { return nil }
                return (k, v)
            }
            let (v0, v1) = (points.map(\.1).min() ?? 0, points.map(\.1).max() ?? 1)
            let span = max(v1 - v0, 1e-9)
            let (left, right, plotTop, bottom) = (60, w - 10, top + 12, top + panelH - 12)
            canvas.rect(x0: left, y0: plotTop, x1: right, y1: bottom, color: (0.6, 0.6, 0.6))
            canvas.text(s.label, x: left, y: top + 2, color: s.color)
            canvas.text(format(v1), x: 2, y: plotTop, color: (0.2, 0.2, 0.2))
            canvas.text(format(v0), x: 2, y: bottom - 7, color: (0.2, 0.2, 0.2))
            canvas.text("KIMG " + format(k0) + " - " + format(k1), x: right - 200, y: top + 2, color: (0.2, 0.2, 0.2))
            var last: (Int, Int)?
            for (k, v) in points {
                let x = left + Int(Double(right - left) * (k - k0) / (k1 - k0))
                let y = bottom - Int(Double(bottom - plotTop) * (v - v0) / span)
                if let last { canvas.line(last.0, last.1, x, y, color: s.color) } else { canvas.dot(x, y, color: s.color) }
                if points.count <= 64 {   // sparse series (SWD): a 3×3 marker per evaluation
                    for dy in -1...1 { for dx in -1...1 { canvas.dot(x + dx, y + dy, color: s.color) } }
                }
                last = (x, y)
            }
        }
        try PNG.write(canvas.image, to: path)
    }

    static func format(_ v: Double) -> String {
        abs(v) >= 1000 || (abs(v) < 0.01 && v != 0) ? String(format: "%.2E", v) : String(format: "%.3f", v)
    }
}

/// An RGB drawing surface on a white background.
struct Canvas {
    var image: RGBImage

    init(width: Int, height: Int) { image = RGBImage(width: width, height: height, fill: 1) }

    mutating func dot(_ x: Int, _ y: Int, color: (Float, Float, Float)) {
        guard x >= 0, y >= 0, x < image.width, y < image.height else { return }
        let plane = image.width * image.height, i = y * image.width + x
        image.pixels[i] = color.0; image.pixels[plane + i] = color.1; image.pixels[2 * plane + i] = color.2
    }

    mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, color: (Float, Float, Float)) {
        let steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for s in 0...steps {
            let t = Double(s) / Double(steps)
            dot(x0 + Int((Double(x1 - x0) * t).rounded()), y0 + Int((Double(y1 - y0) * t).rounded()), color: color)
        }
    }

    mutating func rect(x0: Int, y0: Int, x1: Int, y1: Int, color: (Float, Float, Float)) {
        line(x0, y0, x1, y0, color: color); line(x0, y1, x1, y1, color: color)
        line(x0, y0, x0, y1, color: color); line(x1, y0, x1, y1, color: color)
    }

    /// Upper-case text in a 5×7 font (unknown characters are blank).
    mutating func text(_ s: String, x: Int, y: Int, color: (Float, Float, Float)) {
        for (i, ch) in s.uppercased().enumerated() {
            guard let rows = Font5x7.glyphs[ch] else { continue }
            for (r, bits) in rows.enumerated() {
                for (c, b) in bits.enumerated() where b == "#" { dot(x + i * 6 + c, y + r, color: color) }
            }
        }
    }
}

enum Font5x7 {
    static let glyphs: [Character: [String]] = [
        "0": [" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "],
        "1": ["  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
        "2": [" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"],
        "3": ["#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "],
        "4": ["   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "],
        "5": ["#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "],
        "6": ["  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "],
        "7": ["#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "],
        "8": [" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "],
        "9": [" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "],
        ".": ["     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "],
        "-": ["     ", "     ", "     ", "#####", "     ", "     ", "     "],
        "+": ["     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     "],
        "A": [" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"],
        "D": ["#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### "],
        "E": ["#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"],
        "G": [" ### ", "#   #", "#    ", "# ###", "#   #", "#   #", " ####"],
        "I": [" ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
        "K": ["#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #"],
        "L": ["#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"],
        "M": ["#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"],
        "O": [" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "],
        "R": ["#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #"],
        "S": [" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "],
        "V": ["#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  "],
        "W": ["#   #", "#   #", "#   #", "# # #", "# # #", "# # #", " # # "],
        "X": ["#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #"],
    ]
}
