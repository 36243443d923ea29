/// A mistake in how tensors fit together, described in one sentence that names
/// the operation, the shapes involved and what would fix it.
///
/// The shape rules are pure throwing functions (see `Shapes`) so that tests
/// can read the sentences; tensor operations call them through `checked(_:)`,
/// which stops the program with the sentence, as `Array` does for an index
/// out of range. In a notebook that stop is caught by the kernel, which shows
/// the sentence and rolls the cell back.
public struct ShapeError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Runs a shape rule and stops with its sentence when the rule is broken.
@inline(__always)
func checked<T>(_ rule: () throws -> T) -> T {
    do {
        return try rule()
    } catch {
        fail("\(error)")
    }
}

/// Stops the program with a sentence. `fatalError` prints its message even in
/// optimised builds, whereas `precondition` does not.
@inline(never)
package func fail(_ message: String) -> Never {
    fatalError(message)
}

/// Formats a shape as PyTorch users read it: `[128, 2]`.
func describe(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}

/// The shape rules of tensor operations.
public enum Shapes {
    /// NumPy broadcasting: align trailing dimensions; each pair must be equal
    /// or contain a 1.
    public static func broadcast(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        if a == b { return a }
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 {
                result[i] = da
            } else if da == 1 {
                result[i] = db
            } else {
                throw ShapeError(
                    "\(op): shapes \(describe(a)) and \(describe(b)) cannot be broadcast together: "
                        + "dimension \(i - rank) is \(da) in one and \(db) in the other. "
                        + "Trailing dimensions must be equal or 1; reshape one of them (for example with "
                        + ".unsqueeze(axis:)) so that they line up.")
            }
        }
        return result
    }

    /// Resolves a possibly negative axis against a rank.
    public static func axis(_ axis: Int, rank: Int, op: String) throws -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        guard resolved >= 0 && resolved < Swift.max(rank, 1) else {
            throw ShapeError(
                "\(op): axis \(axis) is out of range for a tensor of rank \(rank); "
                    + "use an axis from \(-rank) to \(rank - 1).")
        }
        return resolved
    }

    /// The shape of a matrix product `a · b` for 2-D operands, or for batched
    /// operands `[..., M, K] · [..., K, N]` with equal batch dimensions, or a
    /// batched `a` with a 2-D `b`.
    public static func matmul(_ a: [Int], _ b: [Int]) throws -> [Int] {
        guard a.count >= 2 && b.count >= 2 else {
            throw ShapeError(
                "matmul: both operands need at least 2 dimensions, got \(describe(a)) and \(describe(b)); "
                    + "reshape a vector v to a matrix with v.reshape([1, -1]) or v.reshape([-1, 1]).")
        }
        let (m, k) = (a[a.count - 2], a[a.count - 1])
        let (k2, n) = (b[b.count - 2], b[b.count - 1])
        guard k == k2 else {
            throw ShapeError(
                "matmul: cannot multiply \(describe(a)) by \(describe(b)): the inner dimensions \(k) and \(k2) differ. "
                    + "The last dimension of the left operand must equal the second-to-last of the right; "
                    + "transpose one operand or fix the layer sizes.")
        }
        let batchA = Array(a.dropLast(2))
        let batchB = Array(b.dropLast(2))
        guard batchB.isEmpty || batchA == batchB else {
            throw ShapeError(
                "matmul: batch dimensions \(describe(batchA)) of \(describe(a)) and \(describe(batchB)) of \(describe(b)) differ; "
                    + "batched matmul needs equal batch dimensions or a 2-D right operand.")
        }
        return batchA + [m, n]
    }

    /// Resolves a reshape target in which at most one dimension is -1.
    public static func reshape(_ shape: [Int], to target: [Int]) throws -> [Int] {
        let count = shape.reduce(1, *)
        let inferred = target.indices.filter { target[$0] == -1 }
        guard inferred.count <= 1, target.allSatisfy({ $0 >= 0 || $0 == -1 }) else {
            throw ShapeError(
                "reshape: target \(describe(target)) may contain at most one -1 and no other negative sizes.")
        }
        let known = target.filter { $0 != -1 }.reduce(1, *)
        var result = target
        if let i = inferred.first {
            guard known > 0 && count % known == 0 else {
                throw ShapeError(
                    "reshape: cannot reshape \(describe(shape)) (\(count) elements) to \(describe(target)): "
                        + "\(count) is not a multiple of \(known).")
            }
            result[i] = count / known
        }
        guard result.reduce(1, *) == count else {
            throw ShapeError(
                "reshape: cannot reshape \(describe(shape)) (\(count) elements) to \(describe(target)) "
                    + "(\(result.reduce(1, *)) elements); the element counts must match.")
        }
        return result
    }

    /// Checks that `permutation` is a permutation of `0..<rank`.
    public static func permutation(_ permutation: [Int], rank: Int) throws -> [Int] {
        let resolved = try permutation.map { try axis($0, rank: rank, op: "permute") }
        guard resolved.count == rank && Set(resolved).count == rank else {
            throw ShapeError(
                "permute: \(permutation) is not a permutation of the \(rank) axes of the tensor; "
                    + "name every axis from 0 to \(rank - 1) exactly once.")
        }
        return resolved
    }

    /// The shape of concatenating tensors along `axis`.
    public static func concat(_ shapes: [[Int]], axis: Int) throws -> [Int] {
        guard let first = shapes.first else {
            throw ShapeError("concat: needs at least one tensor.")
        }
        let a = try Shapes.axis(axis, rank: first.count, op: "concat")
        var total = 0
        for shape in shapes {
            guard shape.count == first.count && shape.indices.allSatisfy({ $0 == a || shape[$0] == first[$0] }) else {
                throw ShapeError(
                    "concat: shapes \(shapes.map(describe).joined(separator: ", ")) differ outside axis \(axis); "
                        + "all tensors must have the same shape except along the axis they are joined on.")
            }
            total += shape[a]
        }
        var result = first
        result[a] = total
        return result
    }
}
