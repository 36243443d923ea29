import XCTest

@testable import TensorCore

/// The shape rules and the sentences they fail with. Each sentence must name
/// the operation, both shapes and a fix.
final class ShapeRuleTests: XCTestCase {
    func sentence(_ rule: () throws -> Any) -> String {
        do {
            _ = try rule()
            XCTFail("the rule accepted shapes it should reject")
            return ""
        } catch {
            return "\(error)"
        }
    }

    func testBroadcastShapes() throws {
        // NumPy's broadcasting rules (numpy.org/doc/stable/user/basics.broadcasting.html).
        XCTAssertEqual(try Shapes.broadcast([3, 1], [4], op: "+"), [3, 4])
        XCTAssertEqual(try Shapes.broadcast([2, 3, 4], [3, 1], op: "+"), [2, 3, 4])
        XCTAssertEqual(try Shapes.broadcast([], [2, 2], op: "+"), [2, 2])
        XCTAssertEqual(try Shapes.broadcast([8, 1, 6, 1], [7, 1, 5], op: "+"), [8, 7, 6, 5])
        XCTAssertEqual(try Shapes.broadcast([5, 0], [1], op: "+"), [5, 0])
    }

    func testBroadcastMismatchSentence() {
        let message = sentence { try Shapes.broadcast([128, 2], [128, 3], op: "*") }
        XCTAssertTrue(message.hasPrefix("*: shapes [128, 2] and [128, 3] cannot be broadcast together"), message)
        XCTAssertTrue(message.contains("unsqueeze"), message)
    }

    func testMatmulShapes() throws {
        XCTAssertEqual(try Shapes.matmul([3, 4], [4, 5]), [3, 5])
        XCTAssertEqual(try Shapes.matmul([2, 3, 4], [4, 5]), [2, 3, 5])
        XCTAssertEqual(try Shapes.matmul([2, 3, 4], [2, 4, 5]), [2, 3, 5])
        let inner = sentence { try Shapes.matmul([128, 2], [128, 128]) }
        XCTAssertTrue(inner.contains("[128, 2] by [128, 128]") && inner.contains("inner dimensions 2 and 128"), inner)
        let batch = sentence { try Shapes.matmul([2, 3, 4], [3, 4, 5]) }
        XCTAssertTrue(batch.contains("batch dimensions [2]") && batch.contains("[3]"), batch)
        let vector = sentence { try Shapes.matmul([4], [4, 5]) }
        XCTAssertTrue(vector.contains("at least 2 dimensions"), vector)
    }

    func testReshape() throws {
        XCTAssertEqual(try Shapes.reshape([2, 3, 4], to: [-1, 4]), [6, 4])
        XCTAssertEqual(try Shapes.reshape([6], to: [2, 3]), [2, 3])
        XCTAssertEqual(try Shapes.reshape([1], to: []), [])
        let count = sentence { try Shapes.reshape([2, 3], to: [4, 2]) }
        XCTAssertTrue(count.contains("[2, 3] (6 elements) to [4, 2]"), count)
        let twoInferred = sentence { try Shapes.reshape([2, 3], to: [-1, -1]) }
        XCTAssertTrue(twoInferred.contains("at most one -1"), twoInferred)
    }

    func testAxesAndPermutations() throws {
        XCTAssertEqual(try Shapes.axis(-1, rank: 3, op: "sum"), 2)
        let axis = sentence { try Shapes.axis(3, rank: 3, op: "sum") }
        XCTAssertTrue(axis.contains("sum: axis 3 is out of range for a tensor of rank 3"), axis)
        XCTAssertEqual(try Shapes.permutation([2, 0, -2], rank: 3), [2, 0, 1])
        let repeated = sentence { try Shapes.permutation([0, 0, 1], rank: 3) }
        XCTAssertTrue(repeated.contains("not a permutation"), repeated)
    }

    func testConcatShapes() throws {
        XCTAssertEqual(try Shapes.concat([[2, 3], [2, 1]], axis: 1), [2, 4])
        XCTAssertEqual(try Shapes.concat([[2, 3], [5, 3]], axis: -2), [7, 3])
        let mismatch = sentence { try Shapes.concat([[2, 3], [3, 3]], axis: 1) }
        XCTAssertTrue(mismatch.contains("[2, 3], [3, 3] differ outside axis 1"), mismatch)
    }
}
