/// What a protocol asks of a gallery (splits, classes, labels, class sizes), gathered once,
/// with the checks that refuse a gallery in one line naming the protocol and the gallery.
struct ProtocolGalleryFacts {
    let gallery: String
    let itemCount: Int
    let classNames: [String]
    let splits: [Split]
    let isMultiLabel: Bool
    /// Per item, its one label; -1 where an item has none or several.
    let singleLabels: [Int]

    var classCount: Int { classNames.count }

    init(_ gallery: any Gallery) {
        self.gallery = gallery.spec.description
        let items = gallery.items
        itemCount = items.count
        classNames = gallery.classNames
        splits = items.map(\.split)
        let classCount = gallery.classNames.count
        singleLabels = items.map { $0.labels.count == 1 && $0.labels[0] >= 0 && $0.labels[0] < classCount ? $0.labels[0] : -1 }
        isMultiLabel = gallery.isMultiLabel || singleLabels.contains(-1)
    }

    func indices(in split: Split) -> [Int] { splits.indices.filter { splits[$0] == split } }

    private func refuse(_ p: EvaluationProtocol, needs: String, has: String) -> EvaluationProtocolError {
        .galleryDoesNotFit(protocolName: p.name, gallery: gallery, needs: needs, has: has)
    }

    func require(_ p: EvaluationProtocol, classCount expected: Int) throws(EvaluationProtocolError) {
        guard classCount == expected else {
            throw refuse(p, needs: "a gallery of \(expected) classes", has: "has \(classCount)")
        }
    }

    func requireTrainAndTestSplits(_ p: EvaluationProtocol) throws(EvaluationProtocolError) {
        let hasTrain = splits.contains(.train), hasTest = splits.contains(.test)
        guard hasTrain && hasTest else {
            let has = !hasTrain && !hasTest ? "has none" : hasTrain ? "has no test split" : "has no train split"
            throw refuse(p, needs: "a gallery with train and test splits", has: has)
        }
    }

    func requireNoSplits(_ p: EvaluationProtocol) throws(EvaluationProtocolError) {
        guard splits.allSatisfy({ $0 == .none }) else {
            throw refuse(p, needs: "a gallery without train/test splits (it draws its own queries)",
                         has: "has them")
        }
    }

    func requireSingleLabel(_ p: EvaluationProtocol) throws(EvaluationProtocolError) {
        guard !isMultiLabel else {
            throw refuse(p, needs: "a single-label gallery (it draws a fixed number per class)",
                         has: "has items with several labels or none")
        }
    }

    /// Every class has at least `perClass` items in `pool`; names the smallest class if not.
    func require(_ p: EvaluationProtocol, perClass: Int, in pool: [Int], what: String) throws(EvaluationProtocolError) {
        var counts = [Int](repeating: 0, count: classCount)
        for index in pool where singleLabels[index] >= 0 && singleLabels[index] < classCount {
            counts[singleLabels[index]] += 1
        }
        guard let smallest = counts.indices.min(by: { counts[$0] < counts[$1] }), counts[smallest] < perClass else { return }
        throw refuse(p, needs: "\(perClass) \(what) in every class",
                     has: "has \(counts[smallest]) in class '\(classNames[smallest])'")
    }
}
