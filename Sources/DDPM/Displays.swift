import Foundation
import NN
import NotebookDisplay
import Plotting
import TensorCore

// How the DSL's values show themselves as a cell's last value (or through
// `display(_:)`): a picture where one says more, with the text beside it.

extension NoiseSchedule {
    /// β_t and ᾱ_t against t, side by side.
    public var figure: Figure {
        let figure = Figure(columns: 2, width: 9, height: 3, dpi: 80)
        figure[0, 0].plot(betas, color: .blue)
        figure[0, 0].title = "β_t (\(kind?.rawValue ?? "custom"), T = \(steps))"
        figure[0, 0].xlabel = "t"
        figure[0, 1].plot(alphaBars, color: .orange, label: "ᾱ_t")
        figure[0, 1].plot(sqrtOneMinusAlphaBars, color: .green, label: "√(1 − ᾱ_t)")
        figure[0, 1].title = "ᾱ_t and the noise's scale"
        figure[0, 1].xlabel = "t"
        return figure
    }
}

/// A tensor of 2-D points (`[N, 2]`, N ≥ 20) shows its scatter plot, a
/// batch of images (`[B, C, H, W]`, C of 1 or 3) a grid of up to 64 of them
/// read on [−1, 1]; every tensor shows its shape and values compactly as text.
extension Tensor: Displayable {
    public var mimeBundle: MimeBundle {
        if shape.count == 4, shape[0] >= 1, shape[1] == 1 || shape[1] == 3, shape[2] >= 4, shape[3] >= 4 {
            var bundle = imageBatchFigure(self).mimeBundle
            bundle.text = description
            return bundle
        }
        guard shape.count == 2, shape[1] == 2, shape[0] >= 20 else { return MimeBundle(text: description) }
        let figure = Figure(width: 4, height: 3.2, dpi: 80)
        figure[0, 0].scatter(self, size: shape[0] > 2_000 ? 5 : 12, color: .red, alpha: 0.6, edgeColor: .white)
        figure[0, 0].title = "\(shape[0]) points"
        var bundle = figure.mimeBundle
        bundle.text = description
        return bundle
    }
}

extension Trajectory {
    /// A strip of `panels` frames, evenly spaced from x_T to x_0 (seed
    /// 000's 1×10 strip of the reverse process); for images, `rows`
    /// samples, one per row.
    public func strip(panels: Int = 10, rows: Int = 1) -> Figure {
        if holdsImages { return imageStrip(panels: panels, rows: rows) }
        let chosen = evenlySpaced(panels)
        let figure = Figure(columns: chosen.count, width: 2.8 * Double(chosen.count), height: 3, dpi: 60)
        for (i, index) in chosen.enumerated() {
            let axes = figure[0, i]
            axes.scatter(frames[index], size: 4, color: .red, edgeColor: .white)
            axes.showAxes = false
            axes.title = title(ofFrame: index)
        }
        return figure
    }

    /// The path as an animated GIF, one frame every `every` kept frames (the
    /// seeds' reverse-process GIF): points on shared axes, so that points
    /// move, not the frame; images as a grid of the first `count` samples.
    public func animation(every: Int = 1, delay: Double = 0.1, count: Int = 16) -> Animation {
        var seen = Set<Int>()
        let chosen = (Array(Swift.stride(from: 0, to: frames.count, by: max(1, every))) + [frames.count - 1])
            .filter { seen.insert($0).inserted }
        if holdsImages { return imageAnimation(frames: chosen, count: count, delay: delay) }
        let all = chosen.map { frames[$0].scalars }
        let xs = all.flatMap { s in Swift.stride(from: 0, to: s.count, by: 2).map { Double(s[$0]) } }
        let ys = all.flatMap { s in Swift.stride(from: 1, to: s.count, by: 2).map { Double(s[$0]) } }
        let xlim = (xs.min() ?? -1)...(xs.max() ?? 1), ylim = (ys.min() ?? -1)...(ys.max() ?? 1)
        let figures = chosen.map { index -> Figure in
            let figure = Figure(width: 4, height: 3.4, dpi: 70)
            let axes = figure[0, 0]
            axes.scatter(frames[index], size: 5, color: .red, edgeColor: .white)
            axes.showAxes = false
            axes.xlim = xlim
            axes.ylim = ylim
            axes.title = title(ofFrame: index)
            return figure
        }
        return Animation(frames: figures, delay: delay)
    }
}

/// A summary of a model's layers: each parameter's PyTorch name, shape and
/// count, and the total (an HTML table, with a text fallback).
public func summary(_ module: Module) -> MimeBundle {
    let parameters = module.namedParameters()
    let total = parameters.reduce(0) { $0 + $1.tensor.shape.reduce(1, *) }
    let name = String(describing: type(of: module))
    var text = "\(name): \(total) parameters\n"
    var html = "<table><tr><th style=\"text-align:left\">parameter</th><th>shape</th><th>count</th></tr>"
    for (parameterName, tensor) in parameters {
        let count = tensor.shape.reduce(1, *)
        text += "  \(parameterName) \(tensor.shape) \(count)\n"
        html +=
            "<tr><td style=\"text-align:left\"><code>\(parameterName)</code></td><td>\(tensor.shape)</td><td>\(count)</td></tr>"
    }
    html += "<tr><td style=\"text-align:left\"><b>\(name)</b></td><td></td><td><b>\(total)</b></td></tr></table>"
    return MimeBundle(html: html, text: text)
}

extension NoiseSchedule: Displayable {
    /// Shown with its β and ᾱ curves.
    public var mimeBundle: MimeBundle {
        var bundle = figure.mimeBundle
        bundle.text = description
        return bundle
    }
}

extension Trajectory: Displayable {
    /// Shown as its 1×10 strip.
    public var mimeBundle: MimeBundle {
        var bundle = strip().mimeBundle
        bundle.text = description
        return bundle
    }
}

extension MLPDiffusion: Displayable {
    public var mimeBundle: MimeBundle { summary(self) }
}
