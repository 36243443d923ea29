/// A choice of one option among labelled values (ipywidgets' `_Selection`):
/// the frontend sees the labels and the selected `index`; the values stay
/// in the notebook, so they can be anything (the cases of `BetaSchedule`).
open class Selection<Option>: DOMWidget, ValueWidget, @unchecked Sendable {
    public static var valueAttributes: [String] { ["index"] }
    public let options: [(label: String, value: Option)]

    init(
        model: String, view: String, style: String, description: String, options: [(label: String, value: Option)],
        index: Int
    ) {
        require(!options.isEmpty, "\(model.dropLast(5))(\"\(description)\") needs at least one option")
        require(
            options.indices.contains(index),
            "\(model.dropLast(5))(\"\(description)\"): index \(index) is not one of the \(options.count) options")
        self.options = options
        super.init(
            model: model, view: view, style: style,
            attributes: [
                "description": .string(description), "_options_labels": .array(options.map { .string($0.label) }),
                "index": .int(index),
            ])
    }

    /// The selected option's position.
    public var index: Int {
        get { (self["index"]?.intValue).map { min(max($0, 0), options.count - 1) } ?? 0 }
        set {
            require(options.indices.contains(newValue), "index \(newValue) is not one of the options")
            set(["index": .int(newValue)])
        }
    }

    /// The selected option's value.
    public var value: Option { options[index].value }

    /// The selected option's label.
    public var label: String { options[index].label }

    override open var textDescription: String {
        "\(String(describing: Self.self).prefix { $0 != "<" })(\(description) = \(label), options: "
            + options.map(\.label).joined(separator: ", ") + ")"
    }
}

extension Selection where Option: Equatable {
    /// Selects the first option with this value.
    public func select(_ value: Option) {
        guard let position = options.firstIndex(where: { $0.value == value }) else {
            fatalError("\(value) is not one of the options: \(options.map(\.label))")
        }
        index = position
    }
}
