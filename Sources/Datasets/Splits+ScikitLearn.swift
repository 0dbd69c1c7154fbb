import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Splits {
    /// The split of scikit-learn's `train_test_split(…, test_size: testFraction,
    /// random_state: randomState)` without stratification (its `ShuffleSplit`): with
    /// n_test = ⌈testFraction·count⌉ and n_train = count − n_test, the permutation
    /// `np.random.RandomState(randomState).permutation(count)` (``MersenneTwister``) gives the test
    /// indices as its first n_test entries and the training indices as the next n_train, both
    /// in permutation order — the order in which scikit-learn returns the rows.
    ///
    /// - Precondition: 0 < testFraction < 1 and both parts are non-empty.
    public static func scikitLearnTrainTest(count: Int, testFraction: Double, randomState: UInt32) -> (train: [Int], test: [Int]) {
        precondition(testFraction > 0 && testFraction < 1, "test fraction \(testFraction) must be in (0, 1)")
        let testCount = Int((testFraction * Double(count)).rounded(.up))
        precondition(testCount >= 1 && testCount < count, "a split of \(count) rows with \(testCount) test rows")
        var generator = MersenneTwister(seed: randomState)
        let permutation = generator.permutation(count)
        return (Array(permutation[testCount...]), Array(permutation[..<testCount]))
    }
}
