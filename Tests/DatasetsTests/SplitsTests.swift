import Datasets
import TensorCore
import Testing

@Suite struct SplitsTests {
    /// 3 classes of 100, 60 and 40 rows, interleaved.
    let labels: [Int] = (0..<200).map { $0 % 10 < 5 ? 0 : ($0 % 10 < 8 ? 1 : 2) }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func stratifiedKeepsProportions(seed: UInt64) {
        var rng = Philox(seed: seed)
        let (train, validation) = Splits.stratified(labels: labels, validationFraction: 0.2, rng: &rng)
        #expect(train.count == 160 && validation.count == 40)
        #expect(Set(train).isDisjoint(with: validation) && Set(train + validation).count == 200)
        func histogram(_ indices: [Int]) -> [Int] {
            var h = [0, 0, 0]
            for i in indices { h[labels[i]] += 1 }
            return h
        }
        #expect(histogram(validation) == [20, 12, 8])
        #expect(histogram(train) == [80, 48, 32])
        #expect(train == train.sorted() && validation == validation.sorted())
    }

    @Test func stratifiedIsDeterministicPerSeed() {
        var a = Philox(seed: 7), b = Philox(seed: 7), c = Philox(seed: 8)
        let first = Splits.stratified(labels: labels, validationFraction: 0.25, rng: &a)
        let second = Splits.stratified(labels: labels, validationFraction: 0.25, rng: &b)
        let other = Splits.stratified(labels: labels, validationFraction: 0.25, rng: &c)
        #expect(first.validation == second.validation && first.train == second.train)
        #expect(first.validation != other.validation)
        #expect(a == b)
    }

    /// A seeded subset: distinct sorted indices, the same per seed; the whole range when the size
    /// reaches the count, without touching the generator.
    @Test func subsetIsSortedDistinctAndSeeded() {
        var a = Philox(seed: 5), b = Philox(seed: 5)
        let first = Splits.subset(of: 100, size: 30, rng: &a)
        #expect(first.count == 30 && Set(first).count == 30 && first == first.sorted() && first.allSatisfy { (0..<100).contains($0) })
        #expect(Splits.subset(of: 100, size: 30, rng: &b) == first)
        var c = Philox(seed: 6)
        #expect(Splits.subset(of: 100, size: 30, rng: &c) != first)
        var d = Philox(seed: 5)
        #expect(Splits.subset(of: 10, size: 10, rng: &d) == Array(0..<10))
        var untouched = Philox(seed: 5)
        #expect(d.nextUniform() == untouched.nextUniform())
    }

    @Test func trainValidationSizesAndDeterminism() {
        var a = Philox(seed: 11), b = Philox(seed: 11)
        let first = Splits.trainValidation(count: 1000, validationFraction: 0.1, rng: &a)
        let second = Splits.trainValidation(count: 1000, validationFraction: 0.1, rng: &b)
        #expect(first.train.count == 900 && first.validation.count == 100)
        #expect(Set(first.train + first.validation) == Set(0..<1000))
        #expect(first.validation == second.validation)
        var c = Philox(seed: 11)
        #expect(Splits.trainValidation(count: 10, validationFraction: 0, rng: &c).validation.isEmpty)
    }

    @Test(arguments: [(10, 3), (12, 4), (1, 5), (0, 2), (1000, 64)])
    func batchScheduleCoversEveryIndexOncePerEpoch(count: Int, batchSize: Int) {
        let schedule = BatchSchedule(count: count, batchSize: batchSize)
        let rng = Philox(seed: 3, stream: 9)
        for epoch in 0..<3 {
            let batches = schedule.batches(epoch: epoch, rng: rng)
            #expect(batches.count == (count + batchSize - 1) / batchSize)
            #expect(batches.dropLast().allSatisfy { $0.count == batchSize })
            #expect(batches.flatMap { $0 }.sorted() == Array(0..<count))
        }
    }

    @Test func batchScheduleIsAPureFunctionOfRngAndEpoch() {
        let schedule = BatchSchedule(count: 100, batchSize: 10)
        var rng = Philox(seed: 5)
        let epoch2 = schedule.batches(epoch: 2, rng: rng)
        _ = rng.nextUniform()  // the generator's position does not matter, only seed and stream
        #expect(schedule.batches(epoch: 2, rng: rng) == epoch2)
        #expect(schedule.batches(epoch: 3, rng: rng) != epoch2)
        #expect(schedule.batches(epoch: 2, rng: Philox(seed: 5, stream: 1)) != epoch2)
        #expect(schedule.batches(epoch: 2, rng: Philox(seed: 6)) != epoch2)
    }
}
