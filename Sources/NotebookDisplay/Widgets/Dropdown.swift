/// A drop-down list (`DropdownModel`): `Dropdown("schedule", BetaSchedule.allCases)`
/// labels each case by its description; `Dropdown("T", options: [("short", 100), ("long", 1000)])`
/// gives labels.
public final class Dropdown<Option>: Selection<Option>, @unchecked Sendable {
    public init(_ description: String = "", options: [(String, Option)], index: Int = 0) {
        super.init(
            model: "DropdownModel", view: "DropdownView", style: "DescriptionStyleModel", description: description,
            options: options.map { (label: $0.0, value: $0.1) }, index: index)
    }

    public convenience init(_ description: String = "", _ values: [Option], index: Int = 0) {
        self.init(description, options: values.map { (String(describing: $0), $0) }, index: index)
    }
}
