import Datasets
import TensorCore
import Testing

@Suite struct ImageSetTests {
    /// One 4×4 image with pixels 0…15 (row-major) and one of all ones.
    let set = ImageSet(
        pixels: Tensor<Float>(shape: [2, 4, 4], scalars: (0..<16).map(Float.init) + [Float](repeating: 1, count: 16)),
        labels: [3, 1], classCount: 4)

    @Test func averagePoolingByTwo() {
        let pooled = set.averagePooled(2)
        #expect(pooled.pixels.shape == [2, 2, 2])
        // (0+1+4+5)/4 = 2.5, (2+3+6+7)/4 = 4.5, (8+9+12+13)/4 = 10.5, (10+11+14+15)/4 = 12.5
        #expect(pooled.pixels.scalars == [2.5, 4.5, 10.5, 12.5, 1, 1, 1, 1])
        #expect(pooled.labels == [3, 1])
        #expect(set.averagePooled(4).pixels.scalars == [7.5, 1])
        #expect(set.averagePooled(1).pixels.scalars == set.pixels.scalars)
    }

    /// The authors' 8-bit pooling, block by block: 8-bit sums that wrap modulo 256, divided by 4
    /// in integers, over 255. Blocks (row-major 2×2): 255·4 = 1020 ≡ 252 → 63; 255·3 = 765 ≡ 253 →
    /// 63; 200 + 100 = 300 ≡ 44 → 11; 100 + 50 + 1 + 2 = 153 → 38 (no wrap); 3 → 0; 0 → 0.
    @Test func wrappingUInt8PoolingAsTheAuthorsCode() {
        let blocks: [[Int]] = [[255, 255, 255, 255], [255, 255, 255, 0], [200, 100, 0, 0], [100, 50, 1, 2], [1, 1, 1, 0], [0, 0, 0, 0]]
        // Six 2×2 blocks laid out as one 2×12 image: block k holds columns 2k, 2k + 1.
        var pixels = [Float](repeating: 0, count: 24)
        for (k, block) in blocks.enumerated() {
            for (i, value) in block.enumerated() { pixels[(i / 2) * 12 + 2 * k + i % 2] = Float(value) / 255 }
        }
        let image = ImageSet(pixels: Tensor(shape: [1, 2, 12], scalars: pixels), labels: [0], classCount: 1)
        let pooled = image.wrappingUInt8Pooled(2)
        #expect(pooled.pixels.shape == [1, 1, 6])
        #expect(pooled.pixels.scalars == [63, 63, 11, 38, 0, 0].map { Float($0) / 255 })
        // Below the wrap it is the average rounded down to an 8-bit level.
        #expect(image.averagePooled(2).pixels.scalars[3] == Float(153) / 4 / 255)
    }

    @Test(arguments: [
        (SiteOrder.rowMajor, [0, 1, 2, 3, 4, 5, 6, 7, 8]),
        (SiteOrder.columnMajor, [0, 3, 6, 1, 4, 7, 2, 5, 8]),
        (SiteOrder.snake, [0, 1, 2, 5, 4, 3, 6, 7, 8]),
    ])
    func siteOrdersOnThreeByThree(order: SiteOrder, expected: [Int]) {
        #expect(order.pixelIndices(rows: 3, columns: 3) == expected)
        let image = ImageSet(pixels: Tensor(shape: [1, 3, 3], scalars: (0..<9).map { Float($0) / 10 }),
                             labels: [0], classCount: 1)
        let flat = image.flattened(order: order)
        #expect(flat.shape == [1, 9])
        #expect(flat.scalars == expected.map { Float($0) / 10 })
    }

    @Test func snakeOnRectangleKeepsNeighbours() {
        let order = SiteOrder.snake.pixelIndices(rows: 3, columns: 4)
        #expect(order == [0, 1, 2, 3, 7, 6, 5, 4, 8, 9, 10, 11])
        #expect(Set(order).count == 12)
    }

    @Test func subsetPrefixAndHistogram() {
        let swapped = set.subset([1, 0, 1])
        #expect(swapped.count == 3 && swapped.labels == [1, 3, 1])
        #expect(Array(swapped.pixels.scalars[16..<32]) == (0..<16).map(Float.init))
        #expect(set.prefix(1).labels == [3] && set.prefix(1).pixels.shape == [1, 4, 4])
        #expect(set.prefix(10).count == 2)
        #expect(swapped.labelHistogram() == [0, 2, 0, 1])
    }

    @Test func idxBytesBecomeByteOver255() throws {
        let images = IDXFile(dimensions: [2, 1, 2], bytes: [0, 255, 51, 102])
        let labels = IDXFile(dimensions: [2], bytes: [4, 9])
        let set = try ImageSet(images: images, labels: labels)
        #expect(set.pixels.scalars == [0, 1, 0.2, 0.4])
        #expect(set.rows == 1 && set.columns == 2 && set.classCount == 10)
        expectError({ _ = try ImageSet(images: images, labels: IDXFile(dimensions: [2], bytes: [4, 10])) }) {
            if case .malformed = $0 { return true } else { return false }
        }
    }

    @Test func loadFindsPlainAndGzippedFiles() throws {
        try withTemporaryDirectory { directory in
            try makeDirectory(directory + "/fashion-mnist")
            let images = IDXFile(dimensions: [3, 2, 2], bytes: Array(0..<12))
            let labels = IDXFile(dimensions: [3], bytes: [1, 2, 1])
            try images.write(to: directory + "/fashion-mnist/t10k-images-idx3-ubyte.gz", compressed: true)
            try labels.write(to: directory + "/fashion-mnist/t10k-labels-idx1-ubyte")
            let set = try ImageSet.load(.fashionMNIST, split: .test, dataDirectory: directory, verification: .structureOnly)
            #expect(set.count == 3 && set.labels == [1, 2, 1] && set.pixels.scalars[11] == 11 / 255)
            expectError(.fileNotFound(directory + "/mnist/t10k-images-idx3-ubyte")) {
                _ = try ImageSet.load(.mnist, split: .test, dataDirectory: directory, verification: .structureOnly)
            }
        }
    }
}
