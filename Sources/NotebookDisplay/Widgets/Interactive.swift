import Foundation

/// The panel `interact` builds (ipywidgets' `interactive`): its controls, an
/// `Image` for a result that is a picture, and an `Output` for any other
/// result and for what the function prints or throws, stacked in a `VBox`.
/// Each change of a control calls the function again with the latest values
/// and redraws the result in place: a picture as one binary `update` of the
/// image (no output area re-rendered), anything else as the Output's content.
///
/// While the function runs its output is captured by the Output widget (its
/// `msg_id` is the id of the frontend's message), so a `print` or an error
/// shows under the panel; a function that traps rolls the notebook back like
/// a failed cell, and the kernel's error lands there too.
public final class Interactive: Box, @unchecked Sendable {
    public let controls: [Widget]
    public let image: Image
    public let output: Output
    private let render: () throws -> MimeBundle
    private var showsImage: Bool

    init(controls: [(widget: Widget, attributes: [String])], render: @escaping () throws -> MimeBundle) {
        self.controls = controls.map(\.widget)
        self.render = render
        // The first result goes into the widgets' initial state: no flicker, and
        // an executed notebook stores it.
        var initialOutputs: [JSONValue] = []
        var picture: (bytes: [UInt8], format: String)?
        do {
            let bundle = try render()
            picture = Interactive.picture(in: bundle)
            if picture == nil { initialOutputs = [Output.displayData(bundle)] }
        } catch {
            initialOutputs = [Output.stream("stderr", Interactive.describe(error))]
        }
        showsImage = picture != nil
        image = Image(png: picture?.bytes ?? [])
        if let picture, picture.format != "png" { image.set(["format": .string(picture.format)]) }
        if picture == nil { image.layout.set(css: ["display": "none"]) }
        output = Output(outputs: initialOutputs)
        super.init(model: "VBoxModel", view: "VBoxView", children: self.controls + [image, output])
        for control in controls {
            control.widget.observe(control.attributes) { [unowned self] _ in self.update() }
        }
    }

    /// Calls the function with the controls' values and shows the result.
    public func update() {
        output.capture {
            // A picture replaces the image; the output area is cleared at once (an
            // earlier error goes). Other results replace the output when they arrive.
            output.clear(wait: !showsImage)
            do {
                let bundle = try render()
                if let picture = Interactive.picture(in: bundle) {
                    image.set(["format": .string(picture.format)], buffers: ["value": Data(picture.bytes)])
                    if !showsImage { image.layout.set(css: ["display": ""]) }
                    showsImage = true
                } else {
                    if showsImage { image.layout.set(css: ["display": "none"]) }
                    showsImage = false
                    display(bundle)
                }
            } catch {
                FileHandle.standardError.write(Data(Interactive.describe(error).utf8))
            }
        }
    }

    /// The PNG or GIF of a bundle that is a picture.
    static func picture(in bundle: MimeBundle) -> (bytes: [UInt8], format: String)? {
        for (mimeType, format) in [("image/png", "png"), ("image/gif", "gif")] {
            if let text = bundle.string(mimeType), let data = Data(base64Encoded: text) {
                return ([UInt8](data), format)
            }
        }
        return nil
    }

    static func describe(_ error: Error) -> String { "\(type(of: error)): \(error)\n" }

    override public var textDescription: String {
        (controls.map(\.textDescription) + [showsImage ? image.textDescription : "Output"]).joined(separator: "\n")
    }
}

/// A panel of controls that calls `body` with their values, now and after
/// every change, and shows what it returns in place (ipywidgets' `interact`):
///
///     interact(Dropdown("schedule", BetaSchedule.allCases), FloatLogSlider("β_T", 1e-3...0.1, value: 0.02)) {
///         kind, betaEnd in NoiseSchedule(kind, steps: 1000, betaEnd: betaEnd).plot()
///     }
///
/// Controls are typed: `body` gets an `Int` from an `IntSlider`, the case
/// itself from a `Dropdown` of enum cases. The result can be anything
/// displayable (a `Figure`, a schedule, a table, text). Sliders update as
/// they are dragged; while the kernel draws, the page holds back the next
/// value and sends only the latest, so a slow drawing shows fewer frames,
/// never stale ones.
@discardableResult
public func interact<each Control: ValueWidget, Result>(
    _ controls: repeat each Control, body: @escaping (repeat (each Control).Value) throws -> Result
) -> Interactive {
    var widgets: [(widget: Widget, attributes: [String])] = []
    for control in repeat each controls { widgets.append((control, type(of: control).valueAttributes)) }
    return Interactive(controls: widgets) { MimeBundle(for: try body(repeat (each controls).value)) }
}
