@testable import Networks

/// Depthwise convolutions that exercise the stride-phase kernels' corners: strides 1, 2, 3 and
/// mixed, odd sizes, asymmetric and lopsided padding, channel multipliers, and the shapes of
/// EfficientNet-Lite0's last blocks at 160 x 160 (10 x 10 and 5 x 5 maps).
enum DepthwiseCases {
    typealias Case = (kernel: (Int, Int), stride: (Int, Int), padding: Padding, size: (Int, Int), multiplier: Int)

    static let all: [Case] = [
        ((3, 3), (1, 1), Padding(1), (7, 7), 1),
        ((5, 5), (1, 1), Padding(2), (10, 13), 1),
        ((3, 3), (2, 2), Padding(top: 0, bottom: 1, left: 0, right: 1), (14, 14), 1),   // TF 'same', even
        ((5, 5), (2, 2), Padding(top: 1, bottom: 2, left: 1, right: 2), (28, 28), 1),   // TF 'same', even
        ((5, 5), (2, 2), Padding(2), (15, 9), 1),                                      // odd sizes
        ((3, 3), (2, 2), .zero, (9, 40), 2),                                           // multiplier 2, no padding
        ((3, 3), (2, 2), Padding(top: 0, bottom: 0, left: 6, right: 0), (5, 6), 1),    // left padding as wide as the rows
        ((3, 2), (2, 2), Padding(top: 1, bottom: 0, left: 1, right: 0), (7, 6), 1),    // even kernel: 2*Wq < left + W
        ((3, 5), (1, 2), Padding(top: 1, bottom: 1, left: 2, right: 2), (6, 11), 1),   // rectangular, mixed strides
        ((3, 3), (3, 3), Padding(1), (11, 10), 1),                                     // stride 3
        ((1, 1), (2, 2), .zero, (5, 5), 3),
        ((5, 5), (2, 2), Padding(top: 1, bottom: 2, left: 1, right: 2), (10, 10), 1),   // Lite0 block 11
        ((5, 5), (1, 1), Padding(2), (5, 5), 1),                                       // Lite0 blocks 12-14
        ((3, 3), (1, 1), Padding(1), (5, 5), 2),                                       // Lite0 block 15, multiplier 2
    ]
}
