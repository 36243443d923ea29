import XCTest

@testable import CellCompiler

final class CellRewriterTests: XCTestCase {
    let rewriter = CellRewriter()

    /// The body of a rewritten cell, without the import prologue and the
    /// #sourceLocation lines.
    func body(_ source: String) -> String {
        let lines = rewriter.rewrite(source, cellName: "Cell[3]", imports: []).split(
            separator: "\n", omittingEmptySubsequences: false)
        return lines.dropFirst().dropLast(2).joined(separator: "\n")
    }

    func testTopLevelDeclarationsAndMembersBecomePublic() {
        let source = """
            let betas = linspace(0.0001, 0.02, count: 100)
            var steps = 100
            func q(_ t: Int) -> Float { 1 }
            @discardableResult func noted() -> Int { 1 }
            final class Model: Module {
                let width = 128
                init() {}
                func callAsFunction(_ x: Tensor) -> Tensor { x }
                private var cache = 0
                struct Inner { var a = 1 }
            }
            enum Kind: String { case linear, cosine; var label: String { rawValue } }
            extension Tensor: Sized { var size: Int { count } }
            protocol Sized { var size: Int { get } }
            private let hidden = 1
            typealias Steps = [Int]
            """
        XCTAssertEqual(body(source), """
            public let betas = linspace(0.0001, 0.02, count: 100)
            public var steps = 100
            public func q(_ t: Int) -> Float { 1 }
            @discardableResult public func noted() -> Int { 1 }
            public final class Model: Module {
                public let width = 128
                public init() {}
                public func callAsFunction(_ x: Tensor) -> Tensor { x }
                private var cache = 0
                public struct Inner { public var a = 1 }
            }
            public enum Kind: String { case linear, cosine; public var label: String { rawValue } }
            extension Tensor: Sized { public var size: Int { count } }
            public protocol Sized { var size: Int { get } }
            private let hidden = 1
            public typealias Steps = [Int]
            """)
    }

    func testLastBareExpressionBecomesTheResult() {
        XCTAssertEqual(body("let x = 1\nx + 1"), "public let x = 1\n_cellResult(x + 1)")
        XCTAssertEqual(body("print(1)"), "_cellResult(print(1))")
        XCTAssertEqual(body("x = 2"), "x = 2", "an assignment shows nothing")
        XCTAssertEqual(body("for i in 0..<3 { print(i) }"), "for i in 0..<3 { print(i) }")
        XCTAssertEqual(body("if true { 1 } else { 2 }"), "if true { 1 } else { 2 }")
        XCTAssertEqual(body("model  // show it"), "_cellResult(model)  // show it")
    }

    func testLinesAreKeptForDiagnostics() {
        let source = "let a = 1\n\nstruct P {\n  var x = 0\n}\na"
        XCTAssertEqual(body(source).split(separator: "\n", omittingEmptySubsequences: false).count,
                       source.split(separator: "\n", omittingEmptySubsequences: false).count)
        let full = rewriter.rewrite(source, cellName: "Cell[3]", imports: ["DDPM", "Cell2"])
        XCTAssertTrue(full.hasPrefix("""
            @_exported import DDPM
            @_exported import Cell2
            #sourceLocation(file: "Cell[3]", line: 1)
            public let a = 1
            """), full)
        XCTAssertTrue(full.hasSuffix("\n#sourceLocation()\n"))
    }

    func testParseErrorsPointAtTheCellsLine() {
        let diagnostics = rewriter.diagnostics("let x = 1\nlet y = (2 +\nprint(x)")
        XCTAssertFalse(diagnostics.isEmpty)
        XCTAssertEqual(rewriter.diagnostics("let x = [1, 2]\nx.count"), [])
        let misplaced = rewriter.diagnostics("let = 5")
        XCTAssertEqual(misplaced.first?.line, 1)
        XCTAssertTrue(misplaced.first?.message.contains("pattern") ?? false, "\(misplaced)")
    }

    func testCompleteness() {
        XCTAssertEqual(CompletenessStatus(of: "let x = 1"), .complete)
        XCTAssertEqual(CompletenessStatus(of: ""), .complete)
        XCTAssertEqual(CompletenessStatus(of: "for i in 0..<3 {"), .incomplete(indent: "    "))
        XCTAssertEqual(CompletenessStatus(of: "struct A {\n  func f() {"), .incomplete(indent: "        "))
        XCTAssertEqual(CompletenessStatus(of: "let s = \"\"\"\nabc"), .incomplete(indent: ""))
        XCTAssertEqual(CompletenessStatus(of: "print((1, 2)"), .incomplete(indent: "    "))
        XCTAssertEqual(CompletenessStatus(of: "let = 5"), .invalid)
        XCTAssertEqual(CompletenessStatus(of: "}"), .invalid)
    }
}
