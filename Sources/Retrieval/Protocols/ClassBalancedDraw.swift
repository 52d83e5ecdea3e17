import Basics

/// The seeded per-class draw behind `cifar10-1000` and `corel1k`: shuffle the pool with the
/// generator (Fisher-Yates, `SeededGenerator.shuffle`), then walk the shuffled order and take
/// each item whose class still has room, until every class has `perClass`. So the picks are
/// "the first `perClass` of each class in the shuffled order", a function of the pool's order,
/// its labels and the generator's state only. The same seed on the binary and the folder form
/// of CIFAR-10 picks different images, because their item orders differ.
enum ClassBalancedDraw {
    /// `perClass` items of every class from `pool` (item indices), ascending. The caller has
    /// checked that every class has enough items in the pool.
    static func draw(perClass: Int, from pool: [Int], labels: [Int], classCount: Int,
                     generator: inout SeededGenerator) -> [Int] {
        precondition(perClass >= 0 && classCount >= 0)
        var order = pool
        generator.shuffle(&order)
        var taken = [Int](repeating: 0, count: classCount)
        var picked: [Int] = []
        picked.reserveCapacity(perClass * classCount)
        for index in order where taken[labels[index]] < perClass {
            taken[labels[index]] += 1
            picked.append(index)
            if picked.count == perClass * classCount { break }
        }
        precondition(picked.count == perClass * classCount, "a class has fewer than \(perClass) items in the pool")
        return picked.sorted()
    }

    /// 0..<count without `excluded` (ascending, no duplicates), ascending.
    static func complement(of excluded: [Int], count: Int) -> [Int] {
        var keep = [Bool](repeating: true, count: count)
        for index in excluded { keep[index] = false }
        return (0..<count).filter { keep[$0] }
    }
}
