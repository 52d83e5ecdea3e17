import XCTest

/// The one closeness check of the test suites: |a - b| <= atol + rtol * |b| for every
/// element (NaN is never close). Reports the first element that is not.
public func assertClose<T: BinaryFloatingPoint>(_ a: [T], _ b: [T], rtol: T = 0, atol: T = 0, _ message: String = "",
                                                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "lengths differ \(message)", file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() where !(abs(x - y) <= atol + rtol * abs(y)) {
        XCTFail("element \(i): \(x) vs \(y) (rtol \(rtol), atol \(atol)) \(message)", file: file, line: line)
        return
    }
}

/// Scalar form of `assertClose`.
public func assertClose<T: BinaryFloatingPoint>(_ a: T, _ b: T, rtol: T = 0, atol: T = 0, _ message: String = "",
                                                 file: StaticString = #filePath, line: UInt = #line) {
    assertClose([a], [b], rtol: rtol, atol: atol, message, file: file, line: line)
}
