import Foundation
import NotebookDisplay

/// A progress line and a live loss curve, updated in place in the notebook
/// (one output, replaced at most five times a second so that the frontend
/// is not flooded).
struct ProgressBar {
    let total: Int
    let unit: String
    let start = Date()
    var lastShown = Date.distantPast
    var handle: DisplayHandle?

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
        text += String(format: " · %.0f %@s/s · %@ elapsed", rate, unit, clock(elapsed))
        if done < total && note.isEmpty { text += " · \(clock(left)) left" }
        if let loss { text += String(format: " · loss %.4f", loss) }
        text += note
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let html =
            "<div style=\"font-family: monospace\"><progress value=\"\(String(format: "%.4f", fraction))\" max=\"1\" "
            + "style=\"width: 24em; vertical-align: middle\"></progress> \(text)<br>"
            + "<img src=\"data:image/png;base64,\(Data(lossCurve(losses).png()).base64EncodedString())\"></div>"
        return MimeBundle(html: html, text: text)
    }
}
