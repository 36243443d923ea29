import DDPM
import XCTest

/// The point sets against the curves scikit-learn defines them on (with
/// noise 0 every point lies on its curve), and the loader's passes.
final class DatasetsTests: XCTestCase {
    func rows(_ points: Tensor) -> [(x: Double, y: Double)] {
        let s = points.scalars
        return stride(from: 0, to: s.count, by: 2).map { (Double(s[$0]), Double(s[$0 + 1])) }
    }

    func testSwissRollLiesOnScikitLearnsSpiral() {
        let points = swissRoll(count: 1000, noise: 0, generator: Generator(seed: 1))
        XCTAssertEqual(points.shape, [1000, 2])
        for (x, z) in rows(points) {
            let t = (x * x + z * z).squareRoot() * 10  // the radius is t
            XCTAssertTrue(t >= 1.5 * .pi - 1e-4 && t <= 4.5 * .pi + 1e-4)
            XCTAssertEqual(t * cos(t) / 10, x, accuracy: 1e-5)
            XCTAssertEqual(t * sin(t) / 10, z, accuracy: 1e-5)
        }
        // With the seeds' noise 0.1 the points scatter around it.
        let noisy = rows(swissRoll(count: 1000, noise: 0.1, generator: Generator(seed: 1)))
        let clean = rows(points)
        let spread = zip(noisy, clean).map { ($0.x - $1.x) * ($0.x - $1.x) }.reduce(0, +) / 1000
        XCTAssertEqual(spread.squareRoot(), 0.01, accuracy: 0.002)  // 0.1 / 10
    }

    func testSCurveLiesOnScikitLearnsCurve() {
        for (x, z) in rows(sCurve(count: 1000, noise: 0, generator: Generator(seed: 2))) {
            // x = sin t, z = sign(t)(cos t − 1), so (10x)² + (1 − |10z|)² = 1.
            XCTAssertEqual(100 * x * x + (1 - abs(10 * z)) * (1 - abs(10 * z)), 1, accuracy: 1e-4)
        }
    }

    func testMoonsCirclesAndMixture() {
        let moons = rows(twoMoons(count: 1001, noise: 0, generator: Generator(seed: 3)))
        let upper = moons.filter { abs($0.x * $0.x + $0.y * $0.y - 1) < 1e-5 && $0.y >= -1e-6 }
        let lower = moons.filter { abs((1 - $0.x) * (1 - $0.x) + (0.5 - $0.y) * (0.5 - $0.y) - 1) < 1e-5 }
        XCTAssertEqual(upper.count, 500)
        XCTAssertEqual(lower.count, 501)

        let rings = rows(circles(count: 1000, noise: 0, factor: 0.5, generator: Generator(seed: 4)))
        let radii = rings.map { ($0.x * $0.x + $0.y * $0.y).squareRoot() }
        XCTAssertEqual(radii.filter { abs($0 - 1) < 1e-5 }.count, 500)
        XCTAssertEqual(radii.filter { abs($0 - 0.5) < 1e-5 }.count, 500)

        let mixture = rows(
            gaussianMixture(count: 4000, centers: [[-1, 0], [1, 0]], std: 0.05, generator: Generator(seed: 5)))
        XCTAssertEqual(Double(mixture.filter { $0.x > 0 }.count) / 4000, 0.5, accuracy: 0.04)
        XCTAssertTrue(mixture.allSatisfy { abs(abs($0.x) - 1) < 0.3 && abs($0.y) < 0.3 })
    }

    func testSameSeedSameData() {
        XCTAssertEqual(
            swissRoll(count: 10, generator: Generator(seed: 9)).scalars,
            swissRoll(count: 10, generator: Generator(seed: 9)).scalars)
    }

    func testReadPointsFromCSV() {
        let points = readPoints(csv: "x,y\n0.5,-1.25\n# a comment\n\n2;3\n4 5\n")
        XCTAssertEqual(points.shape, [3, 2])
        XCTAssertEqual(points.scalars, [0.5, -1.25, 2, 3, 4, 5])
        // A file that is not there is the environment's failure: it throws, the notebook goes on.
        XCTAssertThrowsError(try readPoints(csvFile: "/nonexistent/points.csv")) { error in
            XCTAssertEqual(
                "\(error)",
                "readPoints: cannot read /nonexistent/points.csv; check the path "
                    + "(relative paths start at the notebook's folder).")
        }
    }

    func testDataLoaderVisitsEveryRowOncePerPass() {
        let data = Tensor((0..<10).map { Float($0) }, shape: [10, 1])
        let loader = DataLoader(data, batchSize: 4, generator: Generator(seed: 6))
        XCTAssertEqual(loader.count, 3)
        let batches = Array(loader)
        XCTAssertEqual(batches.map { $0.shape }, [[4, 1], [4, 1], [2, 1]])
        XCTAssertEqual(batches.flatMap(\.scalars).sorted(), (0..<10).map { Float($0) })
        XCTAssertNotEqual(batches.flatMap(\.scalars), (0..<10).map { Float($0) })  // shuffled
        XCTAssertNotEqual(Array(loader).flatMap(\.scalars), batches.flatMap(\.scalars))  // a new order each pass
        XCTAssertEqual(
            Array(DataLoader(data, batchSize: 4, shuffle: false, dropLast: true)).flatMap(\.scalars),
            (0..<8).map { Float($0) })
    }
}
