/// An sRGB colour with alpha, each in 0…1.
public struct Color: Equatable, Sendable {
    /// The components, each in 0…1.
    public var red, green, blue, alpha: Double

    public init(red: Double, green: Double, blue: Double, alpha: Double = 1) {
        self.red = red
        self.green = green
        self.blue = blue
        self.alpha = alpha
    }

    /// `Color(hex: 0xF05138)`.
    public init(hex: UInt32, alpha: Double = 1) {
        self.init(
            red: Double((hex >> 16) & 0xFF) / 255, green: Double((hex >> 8) & 0xFF) / 255,
            blue: Double(hex & 0xFF) / 255, alpha: alpha)
    }

    public func withAlpha(_ alpha: Double) -> Color { Color(red: red, green: green, blue: blue, alpha: alpha) }

    /// Named colours, as matplotlib's `"red"`, `"white"`, `"black"`, `"gray"`.
    public static let red = Color(red: 1, green: 0, blue: 0)
    public static let white = Color(red: 1, green: 1, blue: 1)
    public static let black = Color(red: 0, green: 0, blue: 0)
    public static let blue = Color(hex: 0x1F77B4)  // matplotlib's first colours, for lines
    public static let orange = Color(hex: 0xFF7F0E)
    public static let green = Color(hex: 0x2CA02C)
    public static let gray = Color(hex: 0x7F7F7F)
    /// The colour cycle of line plots without a colour (matplotlib's "tab10").
    public static let cycle: [Color] = [
        .blue, .orange, .green, Color(hex: 0xD62728), Color(hex: 0x9467BD),
        Color(hex: 0x8C564B), Color(hex: 0xE377C2), .gray,
    ]
}
