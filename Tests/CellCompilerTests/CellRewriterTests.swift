import Foundation
import XCTest

@testable import CellCompiler

final class CellRewriterTests: XCTestCase {
    let rewriter = CellRewriter()

    /// The body of a rewritten cell, without the import prologue and the
    /// #sourceLocation lines.
    func body(_ source: String) -> String {
        let lines = rewriter.rewrite(source, cellName: "Cell[3]", imports: []).split(
            separator: "\n", omittingEmptySubsequences: false)
        return lines.dropFirst().prefix { $0 != "#sourceLocation()" }.joined(separator: "\n")
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
        XCTAssertEqual(
            body(source),
            """
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

    func testStructsKeepSwiftsOwnInitialisers() {
        // Later cells reach the implicit (internal) initialisers by @testable imports (CellIndex).
        XCTAssertEqual(
            body("struct P { var x: Float; var y = 0; let tag = 1 }"),
            "public struct P { public var x: Float; public var y = 0; public let tag = 1 }")
    }

    func testTopLevelAwaitMakesVariablesNonisolatedAndEndsTheAsyncMain() {
        let source =
            "func later() async -> Int { 5 }\nlet five = await later()\n@MainActor var pinned = 1\nasync let a = later()"
        let full = rewriter.rewrite(source, cellName: "Cell[1]", imports: [])
        XCTAssertEqual(
            body(source),
            """
            public func later() async -> Int { 5 }
            public nonisolated(unsafe) let five = await later()
            @MainActor public var pinned = 1
            public async let a = later()
            """)
        XCTAssertTrue(full.hasSuffix("#sourceLocation()\nawait _cellAsyncMainEnded()\n"), full)
        for synchronous in [
            "let f = { await later() }", "func g() async { await later() }",
            "struct S { var v: Int { get async { await later() } } }",
        ] {
            XCTAssertFalse(
                rewriter.rewrite(synchronous, cellName: "Cell[1]", imports: []).contains("_cellAsyncMainEnded"),
                synchronous)
        }
        for asynchronous in ["if true { print(await later()) }", "for await x in stream {}", "async let a = later()"] {
            XCTAssertTrue(
                rewriter.rewrite(asynchronous, cellName: "Cell[1]", imports: []).contains("_cellAsyncMainEnded"),
                asynchronous)
        }
    }

    /// The rewritten cell is valid Swift: swiftc type-checks it, and the
    /// synthesised initialiser is callable.
    func testRewrittenCellTypeChecks() throws {
        let source = """
            struct Point { var x: Float; var y: Float = 0 }
            final class Box { var items: [Point] = []; func add(_ p: Point) { items.append(p) } }
            enum Schedule: String { case linear, cosine; var name: String { rawValue } }
            extension Point { var sum: Float { x + y } }
            let box = Box()
            box.add(Point(x: 1, y: 2))
            box.items.count
            """
        let rewritten =
            rewriter.rewrite(source, cellName: "Cell[1]", imports: [])
            + "public func _cellResult<T>(_ value: T) {}\n"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cell-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("main.swift")
        try rewritten.write(to: file, atomically: true, encoding: .utf8)
        let swiftc = Process()
        swiftc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        swiftc.arguments = ["swiftc", "-swift-version", "5", "-typecheck", file.path]
        let errors = Pipe()
        swiftc.standardError = errors
        try swiftc.run()
        swiftc.waitUntilExit()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(swiftc.terminationStatus, 0, "swiftc rejected:\n\(rewritten)\n\(output)")
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
        XCTAssertEqual(
            body(source).split(separator: "\n", omittingEmptySubsequences: false).count,
            source.split(separator: "\n", omittingEmptySubsequences: false).count)
        let full = rewriter.rewrite(
            source, cellName: "Cell[3]", imports: ["import DDPM", "@testable import var Cell2.b"])
        XCTAssertTrue(
            full.hasPrefix(
                """
                import DDPM
                @testable import var Cell2.b
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

    func testColumnsMapBackToTheUsersText() {
        // `public ` (7 columns) goes before `let b` on line 2, `_cellResult(` before `b` on line 3.
        let result = rewriter.prepare("let a = 1\nlet b: Int = c + 1\nb", cellName: "Cell[1]", imports: { _ in [] })
        XCTAssertEqual(result.originalColumn(line: 2, column: 21), 14)  // `c` as the compiler counts it
        XCTAssertEqual(result.originalColumn(line: 2, column: 3), 1)  // inside the inserted `public `
        XCTAssertEqual(result.originalColumn(line: 3, column: 13), 1)
        XCTAssertEqual(result.originalColumn(line: 4, column: 5), 5)  // no insertion there
        XCTAssertTrue(result.symbols.declaresSomething)
        XCTAssertFalse(
            rewriter.prepare("print(1)", cellName: "Cell[2]", imports: { _ in [] }).symbols.declaresSomething)
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
