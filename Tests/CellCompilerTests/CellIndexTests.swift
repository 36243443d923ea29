import SwiftParser
import XCTest

@testable import CellCompiler

/// Which earlier cells a cell imports (CellIndex) from what cells declare
/// and use (CellSymbols). The compiled behaviour (shadowing, implicit
/// initialisers, flat compile time) is tested through the kernel in
/// Tests/jupyter/test_newcomer.py.
final class CellIndexTests: XCTestCase {
    func symbols(_ source: String) -> CellSymbols { CellSymbols(tree: Parser.parse(source: source)) }

    func testSymbolsOfACell() {
        let cell = symbols(
            """
            import Foundation
            let (a, b) = (1, 2)
            var `default` = 0
            func f() {}
            struct Dog: Named { let name = "rex"; struct Tag { var label = "" }; func bark() {} }
            enum Color { case red, green }
            actor Counter {}
            extension Tensor { var doubled: Tensor { self * 2 } }
            infix operator ** : MultiplicationPrecedence
            func ** (a: Double, b: Double) -> Double { pow(a, b) }
            print(a + undefinedYet)
            """)
        XCTAssertEqual(
            cell.declarations,
            [
                "a": [.var], "b": [.var], "default": [.var], "f": [.func], "Dog": [.struct],
                "Color": [.enum], "Counter": [.class],
            ])
        XCTAssertEqual(cell.extendedTypes, ["Tensor"])
        XCTAssertEqual(cell.members, ["name", "Tag", "label", "bark", "red", "green", "doubled", "**"])
        XCTAssertEqual(cell.imports, ["import Foundation"])
        XCTAssertTrue(cell.uses.isSuperset(of: ["print", "a", "undefinedYet", "Named", "pow", "**", "*"]))
    }

    func testTheLatestDeclarationOfANameIsImportedScoped() {
        var index = CellIndex()
        index.record(symbols("let a = 1\nlet b = 2\nstruct Dog {}"), module: "Cell1")
        index.record(symbols("let a = \"two\""), module: "Cell2")
        XCTAssertEqual(
            index.imports(for: ["a", "b", "print"]),
            [
                "@testable import var Cell2.a",
                "@testable import var Cell1.b",
            ])
        XCTAssertEqual(index.imports(for: ["print"]), [], "a cell that uses nothing of earlier cells imports none")
    }

    func testExtensionsMembersAndImportsComeWhole() {
        var index = CellIndex()
        index.record(symbols("import Foundation\nstruct Dog {}"), module: "Cell1")
        index.record(
            symbols("extension Dog: CustomStringConvertible { var description: String { \"dog\" } }"),
            module: "Cell2")
        index.record(symbols("extension Tensor { var doubled: Tensor { self } }"), module: "Cell10")
        index.record(symbols("extension Tensor { var doubled: Tensor { self * 2 } }"), module: "Cell11")
        XCTAssertEqual(
            index.imports(for: ["Dog"]),
            [
                "import Foundation", "@testable import Cell2", "@testable import struct Cell1.Dog",
            ])
        XCTAssertEqual(
            index.imports(for: ["x", "doubled"]), ["import Foundation", "@testable import Cell11"],
            "only the latest (it imported Cell10, whose member it shadows)")
    }

    func testImportsDoNotGrowWithHistory() {
        var index = CellIndex()
        for k in 1...1000 { index.record(symbols("let v\(k) = \(k)"), module: "Cell\(k)") }
        XCTAssertEqual(index.imports(for: ["v999", "print"]), ["@testable import var Cell999.v999"])
    }
}
