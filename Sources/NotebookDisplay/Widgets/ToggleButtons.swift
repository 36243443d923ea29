/// A row of buttons of which one is pressed (`ToggleButtonsModel`):
/// `ToggleButtons("kind", BetaSchedule.allCases)`.
public final class ToggleButtons<Option>: Selection<Option>, @unchecked Sendable {
    public init(_ description: String = "", options: [(String, Option)], index: Int = 0) {
        super.init(
            model: "ToggleButtonsModel", view: "ToggleButtonsView", style: "ToggleButtonsStyleModel",
            description: description, options: options.map { (label: $0.0, value: $0.1) }, index: index)
    }

    public convenience init(_ description: String = "", _ values: [Option], index: Int = 0) {
        self.init(description, options: values.map { (String(describing: $0), $0) }, index: index)
    }
}
