import Foundation
import Basics
import Networks
import Render
import Retrieval

/// A query image bent and encoded by a model: the picture as bent, its binary code, and the
/// attention map when one was asked for and the network has it. Both workspaces encode a query
/// this way, so a bend means the same whatever the database codes came from.
struct QueryEncoding {
    let augmented: RGBImage
    /// One code, made binary as the model's code layer means it.
    let code: BinaryCodes
    let heatmap: AttentionMap?
    let milliseconds: Double

    /// Applies `augmentation` to `image` and encodes the result with `model` in one forward pass.
    init(_ image: RGBImage, augmentation: AugmentationSpec, model: LoadedModel, attention: Bool) throws(ServiceError) {
        do { augmented = try augmentation.apply(to: image) } catch { throw ServiceError(error.localizedDescription) }
        let start = DispatchTime.now()
        let encoding = model.network.encodeWithAttention(augmented, preprocessor: model.preprocessor, attention: attention)
        code = model.network.binaryCodes(encoding.codes)
        heatmap = encoding.map
        milliseconds = Workspace.milliseconds(since: start)
    }
}
