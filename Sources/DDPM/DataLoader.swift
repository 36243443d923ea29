import TensorCore

/// Mini-batches of a data set's rows, as PyTorch's `DataLoader`: each pass
/// (epoch) visits every row once, in a new random order when `shuffle`; the
/// last batch of a pass may be smaller unless `dropLast`. Over a tensor the
/// batches are tensors; over images and their labels they are pairs, as a
/// PyTorch loader over a labelled data set yields `(x, y)`.
///
///     for batch in DataLoader(data, batchSize: 128) { … }                    // one epoch
///     for (x, y) in DataLoader(digits.images, labels: digits.labels, batchSize: 64) { … }
public struct DataLoader<Batch>: Sequence {
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    public let generator: Generator
    /// The rows of the data set.
    public let rows: Int
    /// The batch made of the given rows.
    private let take: ([Int]) -> Batch

    private init(
        rows: Int, shape: [Int], batchSize: Int, shuffle: Bool, dropLast: Bool, generator: Generator,
        take: @escaping ([Int]) -> Batch
    ) {
        guard batchSize >= 1 else { fail("DataLoader: batchSize must be at least 1, got \(batchSize).") }
        guard rows >= 1 else {
            fail("DataLoader: the data has no rows (shape \(shape)); pass a tensor of shape [N, …].")
        }
        if dropLast && rows < batchSize {
            fail("DataLoader: with dropLast, \(rows) rows make no batch of \(batchSize); lower batchSize.")
        }
        self.rows = rows
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.generator = generator
        self.take = take
    }

    /// Batches per pass.
    public var count: Int { dropLast ? rows / batchSize : (rows + batchSize - 1) / batchSize }

    public func makeIterator() -> AnyIterator<Batch> {
        let order = shuffle ? randperm(rows, generator: generator) : Array(0..<rows)
        var start = 0
        var produced = 0
        let (batches, rows, batchSize, take) = (count, rows, batchSize, take)
        return AnyIterator {
            guard produced < batches else { return nil }
            let end = Swift.min(start + batchSize, rows)
            defer {
                start = end
                produced += 1
            }
            return take(Array(order[start..<end]))
        }
    }
}

extension DataLoader where Batch == Tensor {
    /// Batches of the rows of `data` (`[N, …]`).
    public init(
        _ data: Tensor, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, generator: Generator = .default
    ) {
        self.init(
            rows: data.shape.first ?? 0, shape: data.shape, batchSize: batchSize, shuffle: shuffle,
            dropLast: dropLast, generator: generator
        ) { data[$0] }
    }
}

extension DataLoader where Batch == (Tensor, [Int]) {
    /// Batches of the rows of `data` (`[N, …]`) with their labels (N of them).
    public init(
        _ data: Tensor, labels: [Int], batchSize: Int, shuffle: Bool = true, dropLast: Bool = false,
        generator: Generator = .default
    ) {
        guard labels.count == data.shape.first else {
            fail(
                "DataLoader: \(data.shape.first ?? 0) rows (shape \(data.shape)) but \(labels.count) labels; "
                    + "give one label per row.")
        }
        self.init(
            rows: labels.count, shape: data.shape, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast,
            generator: generator
        ) { rows in (data[rows], rows.map { labels[$0] }) }
    }
}
