import Testing
import TensorCore

/// `Tensor.isFinite` sums x − x with eight partial sums: every position of the unrolled body
/// and of the tail must be checked, for every kind of non-finite value.
struct FinitenessTests {
    @Test(arguments: [0, 1, 7, 8, 9, 15, 16, 17, 23])
    func detectsEachNonFiniteValueAtEveryPosition(count: Int) {
        let finite = Tensor<Float>(shape: [count]) { t in
            for i in 0..<count { t[i] = Float(i) - 3.5 }
        }
        #expect(finite.isFinite)
        for position in 0..<count {
            for bad in [Float.infinity, -Float.infinity, Float.nan, Float.signalingNaN] {
                var t = finite
                t.withUnsafeMutableBufferPointer { $0[position] = bad }
                #expect(!t.isFinite, "\(bad) at \(position) of \(count)")
            }
        }
    }

    @Test func extremeFiniteValuesAreFinite() {
        let values: [Double] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0, 0,
                                .leastNormalMagnitude, 1e300, -1e300, 3, 4, 5]
        #expect(Tensor<Double>(shape: [values.count], scalars: values).isFinite)
        let floats = values.map(Float.init).filter(\.isFinite)
        #expect(Tensor<Float>(shape: [floats.count], scalars: floats).isFinite)
    }
}
