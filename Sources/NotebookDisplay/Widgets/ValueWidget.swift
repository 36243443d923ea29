/// A control with a typed value the user changes: a slider's number, a
/// dropdown's option, a checkbox's state. `interact` builds its panel from
/// these and calls its function with their values.
public protocol ValueWidget: Widget {
    associatedtype Value
    /// The value the control shows now.
    var value: Value { get }
    /// The attributes of the state that hold the value (`value`; `index`
    /// for a selection).
    static var valueAttributes: [String] { get }
}

extension ValueWidget {
    /// Runs `callback` with the new value each time it changes (ipywidgets'
    /// `observe(handler, names="value")`).
    public func observe(_ callback: @escaping (Value) -> Void) {
        observe(Self.valueAttributes) { widget in callback((widget as! Self).value) }
    }
}
