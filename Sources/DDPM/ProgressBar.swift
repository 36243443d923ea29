import Foundation
import NotebookDisplay

/// A progress line and a live loss curve, updated in place in the notebook
/// (one output, replaced at most five times a second so that the frontend
/// is not flooded), with the latest sample preview beside the curve.
struct ProgressBar {
    let total: Int
    let unit: String
    let start = Date()
    var lastShown = Date.distantPast
    var handle: DisplayHandle?
    /// The latest preview's PNG and the steps done when it was drawn.
    var preview: (png: [UInt8], step: Int)?

    init(total: Int, unit: String) {
        self.total = total
        self.unit = unit
        if NotebookChannel.current != nil { handle = display(bundle(done: 0, losses: [], note: "")) }
    }

    mutating func advance(to done: Int, losses: [Float]) {
        guard handle != nil, Date().timeIntervalSince(lastShown) >= 0.2 else { return }
        handle?.update(bundle(done: done, losses: losses, note: ""))
        lastShown = Date()  // after drawing: the next update waits 0.2 s of training, however long drawing took
    }

    /// Shows a new preview at once.
    mutating func show(preview png: [UInt8], at done: Int, losses: [Float]) {
        preview = (png, done)
        guard let handle else { return }
        handle.update(bundle(done: done, losses: losses, note: ""))
        lastShown = Date()
    }

    /// The final state: the steps done, their rate and the bar where the run
    /// ended, and why it ended early (`note`), if it did.
    func finish(losses: [Float], note: String) {
        let final = bundle(done: losses.count, losses: losses, note: note)
        if let handle { handle.update(final) } else { print(final.text) }
    }

    func bundle(done: Int, losses: [Float], note: String) -> MimeBundle {
        let loss = losses.last
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let left = rate > 0 ? Double(total - done) / rate : 0
        func clock(_ seconds: Double) -> String { String(format: "%d:%02d", Int(seconds) / 60, Int(seconds) % 60) }
        var text = "\(unit) \(done)/\(total)"
        text += String(
            format: rate >= 10 ? " · %.0f %@s/s · %@ elapsed" : " · %.2g %@s/s · %@ elapsed", rate, unit, clock(elapsed)
        )
        if done < total && note.isEmpty { text += " · \(clock(left)) left" }
        if let loss { text += String(format: " · loss %.4f", loss) }
        text += note
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let html =
            "<div style=\"font-family: monospace\"><progress value=\"\(String(format: "%.4f", fraction))\" max=\"1\" "
            + "style=\"width: 24em; vertical-align: middle\"></progress> \(text)<br>"
            + image(lossCurve(losses).png()) + (preview.map { previewHTML($0.png, step: $0.step) } ?? "") + "</div>"
        return MimeBundle(html: html, text: text)
    }

    private func image(_ png: [UInt8], style: String = "vertical-align: top") -> String {
        "<img style=\"\(style)\" src=\"data:image/png;base64,\(Data(png).base64EncodedString())\">"
    }

    private func previewHTML(_ png: [UInt8], step: Int) -> String {
        "<figure style=\"display: inline-block; margin: 0 0 0 1em; vertical-align: top\">"
            + image(png, style: "image-rendering: pixelated")
            + "<figcaption style=\"font-size: smaller\">samples after \(step) \(unit)s</figcaption></figure>"
    }
}
